"""fit, evaluate, predict: the cheat sheet's weight update, run epoch after epoch.

Per batch, ``fit`` does the four steps of "updating weights":
    1. take a batch of training data
    2. forward propagation to get the loss
    3. backpropagate the loss to get the gradients
    4. use the gradients to update the weights (w <- w - alpha dL/dw for SGD)
and logs, per epoch, the mean loss and metrics over the training samples, the
same on the validation data (under eval() and no_grad()), and the learning rate.

Under an initialised process group (``gradsheet.distributed.init_process_group`` in a script
started by ``mpiexec -n N``), ``fit`` trains data-parallel: each rank takes its own share of
every epoch (a ``DistributedSampler``), the model is wrapped in ``DistributedDataParallel`` (its
gradients averaged over the ranks), the epoch's metrics are averaged over the ranks, and rank 0
alone shows progress and writes files (see ``fit``).
"""
from __future__ import annotations

import math
import os
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence, Sized
from typing import TYPE_CHECKING, Any, Optional, Union

import numpy as np

from .. import backend, io, nn
from ..autograd.grad_mode import no_grad
from ..autograd.tensor import Tensor, as_tensor
from ..data import DataLoader, TensorDataset
from ..data.sampler import Sampler
from ..nn import functional as F
from ..optim import lr_scheduler
from .history import History
from .metrics import accuracy, get_metric
from .progress import display

if TYPE_CHECKING:
    from .._typing import PathLike
    from ..data import Dataset
    from ..io.checkpoint import Scheduler
    from ..nn import Module
    from ..optim import Optimizer
    from .callbacks import Callback
    from .metrics import MetricFn

    # fit's data: a Dataset, a DataLoader or an (inputs, targets) pair
    DataLike = Union[Dataset, DataLoader, Sequence[Union[Tensor, np.ndarray]]]
    # a metric: a name from METRICS or a function (output, target) -> float on arrays
    MetricLike = Union[str, Callable[[np.ndarray, np.ndarray], float]]


def _loader(data: Any, batch_size: int, shuffle: bool, who: str,
            sampler: Optional[Callable[[Any], Sampler[int]]] = None) -> DataLoader[Any]:
    """A DataLoader for ``data``: a DataLoader (used as is), a Dataset, or an (X, y) pair;
    ``sampler(dataset)``, when given, makes the sampler of a loader built here."""
    if isinstance(data, DataLoader):
        return data
    if isinstance(data, (tuple, list)) and all(isinstance(t, (Tensor, np.ndarray)) for t in data):
        data = TensorDataset(*data)
    if not (hasattr(data, "__getitem__") and hasattr(data, "__len__")):
        raise TypeError(f"{who}: expected a Dataset, a DataLoader or an (inputs, targets) pair, "
                        f"got {type(data).__name__}")
    if sampler is not None:
        return DataLoader(data, batch_size=batch_size, sampler=sampler(data))
    return DataLoader(data, batch_size=batch_size, shuffle=shuffle)


def _expects_probabilities(loss_fn: Callable[[Tensor, Tensor], Tensor]) -> bool:
    """Whether the loss takes probabilities (BCELoss) rather than logits: sets the binary
    accuracy threshold to 0.5 instead of 0."""
    return isinstance(loss_fn, nn.BCELoss) or loss_fn is F.binary_cross_entropy


def _metrics(metrics: Iterable[MetricLike], loss_fn: Callable[[Tensor, Tensor], Tensor]
             ) -> dict[str, MetricFn]:
    named = dict(get_metric(m) for m in metrics)
    if named.get("accuracy") is accuracy and _expects_probabilities(loss_fn):
        named["accuracy"] = lambda output, target: accuracy(output, target, threshold=0.5)
    return named


def _split(batch: Any, who: str) -> Sequence[Any]:
    if not isinstance(batch, (tuple, list)) or len(batch) != 2:
        got = f"a {type(batch).__name__} of {len(batch)}" if isinstance(batch, (tuple, list)) \
            else f"a {type(batch).__name__}"
        raise TypeError(f"{who}: each batch must be an (inputs, targets) pair, got {got}")
    return batch


class _Running:
    """Means over the samples seen so far (each batch weighted by its size)."""

    def __init__(self) -> None:
        self.sums: dict[str, float] = {}
        self.count = 0

    def add(self, n: int, values: dict[str, float]) -> None:
        self.count += n
        for name, value in values.items():
            self.sums[name] = self.sums.get(name, 0.0) + value * n

    def means(self, prefix: str = "") -> dict[str, float]:
        return {prefix + name: total / self.count for name, total in self.sums.items()}

    def combine(self, ranks: _Ranks, names: Sequence[str]) -> _Running:
        """The sums and count over every rank (``names`` in order; each rank adds the same
        numbers in rank order, so every rank gets the same bits)."""
        every = ranks.gather([self.count] + [self.sums.get(name, 0.0) for name in names])
        total = every.sum(axis=0)
        self.count = int(total[0])
        self.sums = {name: float(value) for name, value in zip(names, total[1:])}
        return self


def _batch_logs(loss: float, output: Tensor, target: Tensor, metric_fns: dict[str, MetricFn]
                ) -> dict[str, float]:
    logs = {"loss": loss}
    for name, fn in metric_fns.items():
        logs[name] = fn(output.array, target.array)
    return logs


def _check_finite(loss: float, epoch: int, epochs: int, step: int, steps: int,
                  ranks: Optional[_Ranks] = None) -> None:
    if not math.isfinite(loss):
        where = "" if ranks is None else ranks.non_finite_text()
        raise FloatingPointError(
            f"fit: the loss became {loss}{where} at epoch {epoch + 1}/{epochs}, step "
            f"{step + 1}/{steps}; lower the learning rate, check the inputs for NaN/inf, or clip "
            f"gradients")


# fit(on_divergence=...): a batch loss above DIVERGENCE_FACTOR times the smallest batch loss seen
# so far (a minimum below DIVERGENCE_FLOOR counts as DIVERGENCE_FLOOR) means training diverged
DIVERGENCE_FACTOR = 1e4
DIVERGENCE_FLOOR = 1e-8
_ON_DIVERGENCE = (None, "raise", "warn")


class _Divergence:
    """The running minimum of the batch losses, and what to do when a loss outgrows it."""

    def __init__(self, mode: str, quiet: bool = False) -> None:
        # quiet: a rank other than 0, which checks (to raise with the others) but never warns
        self.mode, self.minimum, self.warned = mode, math.inf, quiet

    def check(self, loss: float, epoch: int, epochs: int, step: int, steps: int) -> None:
        """Raise (mode "raise") or warn once (mode "warn") when ``loss`` diverged."""
        scale = max(self.minimum, DIVERGENCE_FLOOR)
        if self.minimum < math.inf and loss > DIVERGENCE_FACTOR * scale:
            message = (f"fit: training diverged at epoch {epoch + 1}/{epochs}, step {step + 1}/"
                       f"{steps}: the loss {loss:.4g} is over {DIVERGENCE_FACTOR:g} times its "
                       f"running minimum {self.minimum:.4g}; lower the learning rate or clip "
                       f"gradients")
            if self.mode == "raise":
                raise FloatingPointError(message)
            if not self.warned:
                warnings.warn(message, RuntimeWarning, stacklevel=4)
                self.warned = True
        self.minimum = min(self.minimum, loss)


def _warn_non_finite(logs: dict[str, float], epoch: Optional[int], epochs: Optional[int],
                     who: str = "fit") -> None:
    """A RuntimeWarning for each validation metric that is NaN or infinite."""
    for name, value in logs.items():
        if isinstance(value, (float, int, np.floating)) and not math.isfinite(value):
            where = f" at epoch {epoch + 1}/{epochs}" if epoch is not None else ""
            warnings.warn(f"{who}: {name} is {value}{where}: the validation data may hold NaN or "
                          f"inf, or the model's outputs overflow", RuntimeWarning, stacklevel=3)


def _train_epoch(model: Module, loss_fn: Callable[[Tensor, Tensor], Tensor], optimizer: Optimizer,
                 loader: DataLoader[Any], metric_fns: dict[str, MetricFn],
                 callbacks: Sequence[Callback], epoch: int, epochs: int,
                 divergence: Optional[_Divergence] = None, ranks: Optional[_Ranks] = None
                 ) -> dict[str, float]:
    model.train()
    running = _Running()
    steps = len(loader)
    for step, batch in enumerate(loader):  # 1. take a batch of training data
        x, y = _split(batch, "fit")
        for callback in callbacks:
            callback.on_batch_begin(step, {})
        output = model(x)
        loss = loss_fn(output, y)  # 2. forward propagation to get the loss
        loss_value = loss.item()
        # under a process group every rank checks the loss of the whole step (all ranks' batches),
        # so that all raise together, before the backward's collectives
        checked = loss_value if ranks is None else ranks.step_loss(loss_value, len(y))
        _check_finite(checked, epoch, epochs, step, steps, ranks)
        if divergence is not None:
            divergence.check(checked, epoch, epochs, step, steps)
        optimizer.zero_grad()
        loss.backward()  # 3. backpropagate the loss to get the gradients
        optimizer.step()  # 4. use the gradients to update the weights
        running.add(len(y), _batch_logs(loss_value, output, y, metric_fns))
        logs = running.means()
        for callback in callbacks:
            callback.on_batch_end(step, logs)
    if running.count == 0:
        raise ValueError(f"fit: train_data gave no batches ({len(loader.dataset)} samples, "
                         f"batch_size={loader.batch_size}, drop_last={loader.drop_last})")
    if ranks is not None:
        running.combine(ranks, ["loss", *metric_fns])
    return running.means()


def _evaluate(model: Module, loss_fn: Callable[[Tensor, Tensor], Tensor], loader: DataLoader[Any],
              metric_fns: dict[str, MetricFn], prefix: str = "", ranks: Optional[_Ranks] = None
              ) -> dict[str, float]:
    was_training = model.training
    model.eval()
    running = _Running()
    try:
        with no_grad():
            for batch in loader:
                x, y = _split(batch, "evaluate")
                output = model(x)
                running.add(len(y), _batch_logs(loss_fn(output, y).item(), output, y, metric_fns))
    finally:
        model.train(was_training)
    if ranks is not None:  # a rank may hold no validation sample: only the total counts
        running.combine(ranks, ["loss", *metric_fns])
    if running.count == 0:
        raise ValueError(f"evaluate: the data gave no batches ({len(loader.dataset)} samples)")
    return running.means(prefix)


def _step_scheduler(scheduler: Scheduler, logs: dict[str, float]) -> None:
    if isinstance(scheduler, lr_scheduler.ReduceLROnPlateau):
        scheduler.step(logs.get("val_loss", logs["loss"]))
    else:
        scheduler.step()


class _Shard(Sampler):
    """Rank r's validation samples: indices r, r + N, r + 2N, ... (N ranks), no padding, so
    that the ranks' shares together hold every sample exactly once."""

    def __init__(self, dataset: Sized, rank: int, world: int) -> None:
        self.n, self.rank, self.world = len(dataset), rank, world

    def __iter__(self) -> Iterator[int]:
        return iter(range(self.rank, self.n, self.world))

    def __len__(self) -> int:
        return len(range(self.rank, self.n, self.world))


class _Ranks:
    """What ``fit`` does differently under an initialised process group: the rank and world
    size, and the few collectives it needs besides DistributedDataParallel's."""

    def __init__(self, dist: Any) -> None:
        self.dist = dist
        self.rank, self.world = dist.get_rank(), dist.get_world_size()
        self.writer = self.rank == 0  # rank 0 alone prints, warns and writes files
        self._losses: Optional[np.ndarray] = None
        self.seed: Optional[int] = None  # the DistributedSampler's seed, when fit made the sampler

    def gather(self, values: Sequence[float]) -> np.ndarray:
        """(world, k) float64: every rank's ``values`` (k numbers), the same array on every rank."""
        mine = np.asarray(values, dtype=np.float64).ravel()
        every = np.empty(self.world * mine.size)
        self.dist.all_gather_into_tensor(every, mine)
        return every.reshape(self.world, mine.size)

    def step_loss(self, loss: float, n: int) -> float:
        """The step's loss over all ranks' batches (the mean weighted by the batch sizes)."""
        self._losses = self.gather([loss * n, n])
        return float(self._losses[:, 0].sum() / self._losses[:, 1].sum())

    def non_finite_text(self) -> str:
        """" on rank(s) ..." naming the ranks whose loss of the last step was not finite."""
        if self._losses is None:
            return ""
        bad = [r for r in range(self.world) if not math.isfinite(self._losses[r, 0])]
        return f" on rank{'s' if len(bad) > 1 else ''} {', '.join(map(str, bad))}" if bad else ""

    def objects(self, obj: Any) -> list[Any]:
        """Every rank's ``obj`` (pickled), in rank order."""
        every = [None] * self.world
        self.dist.all_gather_object(every, obj)
        return every

    def from_zero(self, what: str, fn: Callable[[], Any]) -> Any:
        """``fn()`` run on rank 0 and its result sent to every rank; when it raises there, every
        rank raises (rank 0 the error itself, the others a RuntimeError quoting it)."""
        result: list[Any] = [None, None]
        if self.writer:
            try:
                result[0] = fn()
            except Exception as error:  # noqa: BLE001 (re-raised, here and on the other ranks)
                result[1] = error
        self.dist.broadcast_object_list(result, src=0)
        value, failure = result
        if failure is not None:
            if self.writer:
                raise failure
            raise RuntimeError(f"fit: rank 0 failed to {what}: {type(failure).__name__}: "
                               f"{failure}")
        return value

    def wrap(self, model: Module) -> tuple[Module, Module]:
        """(the model to train, the plain module): ``model`` wrapped in DistributedDataParallel
        (which copies rank 0's parameters and buffers to every rank) unless it already is."""
        from ..nn.parallel import DistributedDataParallel
        if isinstance(model, DistributedDataParallel):
            return model, model.module
        return DistributedDataParallel(model), model

    def sampler(self, shuffle: bool) -> Callable[[Sized], Sampler[int]]:
        """A DistributedSampler maker, seeded from rank 0's gradsheet generator."""
        from ..data.distributed import DistributedSampler
        seeds = [int(backend.default_generator().integers(2**31))]
        self.dist.broadcast_object_list(seeds, src=0)
        seed = self.seed = seeds[0]  # the maker is called at once (by _loader): the same seed
        return lambda data: DistributedSampler(data, num_replicas=self.world, rank=self.rank,
                                               shuffle=shuffle, seed=seed)

    def shard(self, data: Sized) -> _Shard:
        return _Shard(data, self.rank, self.world)


def _distributed() -> Optional[_Ranks]:
    """A ``_Ranks`` when an initialised process group is there, else None (no MPI imported)."""
    dist = sys.modules.get("gradsheet.distributed")
    if dist is None or not dist.is_initialized():
        return None
    return _Ranks(dist)


def _restore_ranks(ranks: _Ranks, checkpoint: dict[str, Any],
                   generators: Sequence[np.random.Generator], epoch_sampler: Any,
                   where: PathLike) -> None:
    """After ``restore_checkpoint`` (which set rank 0's random state on every rank): each rank's
    own random state and the sampler's seed, from a checkpoint of a run on as many ranks."""
    extra = checkpoint.get("extra")
    saved = extra.get("distributed") if isinstance(extra, dict) else None
    if not isinstance(saved, dict) or saved.get("world_size") != ranks.world:
        if ranks.writer:
            written = "1 process" if not isinstance(saved, dict) else \
                f"{saved.get('world_size')} ranks"
            warnings.warn(f"fit: resuming on {ranks.world} ranks from {where}, written by a run "
                          f"on {written}: training goes on, but not bit for bit as that run "
                          f"would have (each rank's random state and data share differ)",
                          RuntimeWarning, stacklevel=3)
        return
    mine = saved["ranks"][ranks.rank]
    backend.set_rng_state(mine["gradsheet"])
    for generator, state in zip(generators, mine["generators"]):
        generator.bit_generator.state = state
    if saved.get("sampler_seed") is not None and hasattr(epoch_sampler, "seed"):
        ranks.seed = epoch_sampler.seed = saved["sampler_seed"]


def _rank_states(generators: Iterable[np.random.Generator]) -> dict[str, Any]:
    """This rank's random state: gradsheet's generator and ``generators``."""
    return {"gradsheet": backend.get_rng_state(),
            "generators": [g.bit_generator.state for g in generators]}


def fit(model: Module, loss_fn: Callable[[Tensor, Tensor], Tensor], optimizer: Optimizer,
        train_data: DataLike, val_data: Optional[DataLike] = None, epochs: int = 1,
        batch_size: int = 32, shuffle: bool = True, metrics: Iterable[MetricLike] = ("accuracy",),
        scheduler: Optional[Scheduler] = None, callbacks: Iterable[Callback] = (),
        verbose: Union[str, int] = "auto", checkpoint_dir: Optional[PathLike] = None,
        resume_from: Optional[PathLike] = None,
        on_divergence: Optional[str] = None) -> History:
    """Train ``model`` for ``epochs`` passes over ``train_data``; return the History.

    Args:
        model: a Module mapping a batch of inputs to outputs.
        loss_fn: ``loss_fn(output, target) -> scalar Tensor``, a mean over the batch
            (e.g. ``nn.CrossEntropyLoss()``).
        optimizer: e.g. ``optim.Adam(model.parameters(), lr=1e-3)``.
        train_data, val_data: a Dataset, a DataLoader (its own batch_size and shuffle are
            kept) or an (inputs, targets) pair of Tensors. Batches are (inputs, targets).
        epochs: passes over the training data.
        batch_size, shuffle: how a Dataset is batched (validation is never shuffled).
        metrics: names from ``train.metrics.METRICS`` or functions (output, target) -> float.
            The binary accuracy threshold is 0.5 after BCELoss (probabilities), else 0 (logits).
        scheduler: a learning-rate scheduler, stepped once per epoch (ReduceLROnPlateau with
            val_loss, or loss without validation data).
        callbacks: Callback objects (EarlyStopping, ModelCheckpoint, CSVLogger, TensorBoard,
            LearningRateMonitor, LambdaCallback, ProgressBar, ...), their hooks called in
            this order; the epoch's logs they get in ``on_epoch_end`` is one dict, recorded
            in the History after the last of them (so values a callback adds are kept).
        verbose: what is printed to stdout, as Keras: ``"auto"`` (the same as 1, as in Keras)
            and 1 a progress bar per epoch (running loss and metrics) where stdout is a
            terminal or a notebook, one line per epoch elsewhere (piped, CI logs); 2 one line
            per epoch; 0 nothing. The bar gives way to the epoch's line, which shows every logged value
            (train and validation) and the epoch's time (``train.progress``). A ProgressBar
            among ``callbacks`` replaces this display.
        checkpoint_dir: after each epoch (once the callbacks' ``on_epoch_end`` ran), write a
            checkpoint of the whole run (model, optimizer, scheduler, epoch, step, random
            generators, History, the callbacks' ``state_dict()``s) to
            ``checkpoint_dir/epoch-NNNN.safetensors`` (``io.save_checkpoint``).
        resume_from: a checkpoint file to continue from: training resumes at the epoch after
            the checkpoint's, up to ``epochs`` in all, and ends bit for bit as the run that
            was never interrupted. ``callbacks`` must be of the same classes, in the same
            order, as those of the run that wrote it: after their ``on_train_begin``, each
            gets its saved state back (EarlyStopping its best value, wait count and best
            weights, ModelCheckpoint its best value), so it goes on as if never interrupted;
            a resumed run whose EarlyStopping had stopped trains no further epoch. Callbacks
            start afresh only from a checkpoint written without their states; a resume with
            no callbacks at all leaves the saved states unused.
        on_divergence: what to do when training diverges, i.e. a batch loss exceeds
            ``DIVERGENCE_FACTOR`` (1e4) times the smallest batch loss seen so far in this call
            (a minimum below ``DIVERGENCE_FLOOR``, 1e-8, counts as 1e-8): ``"raise"`` raises
            FloatingPointError naming the epoch and step; ``"warn"`` warns once
            (RuntimeWarning) and goes on; None (the default) does not check. A NaN or infinite loss
            raises in every mode.

    Data-parallel training: under an initialised process group (``gradsheet.distributed.
    is_initialized()``, e.g. a script started by ``mpiexec -n N`` that called
    ``init_process_group``) every rank calls ``fit`` with the same arguments, and:

    - ``model`` is wrapped in ``nn.parallel.DistributedDataParallel`` (rank 0's parameters
      and buffers are copied to every rank; gradients are averaged over the ranks), unless it
      is one already; callbacks get ``model`` as passed;
    - a Dataset or (inputs, targets) ``train_data`` is split by a ``DistributedSampler``
      (seeded from rank 0's gradsheet generator, ``set_epoch`` before every epoch): each rank
      takes ``batch_size`` samples per step (so a step sees N × batch_size), every rank the
      same number of steps. A DataLoader is used as given (``set_epoch`` is called when its
      sampler has one); every rank's must give the same number of batches (else ValueError);
    - validation data given as a Dataset or pair is split without padding (rank r takes
      samples r, r + N, ...);
    - the epoch's loss and metrics are means over the samples of all ranks (each rank's sums
      and sample counts are gathered; a padded sample of the sampler counts as a sample); the
      NaN/inf and divergence checks look at each step's loss over all ranks, so every rank
      raises at the same step;
    - rank 0 alone shows the progress bar or epoch lines, warns, and writes the checkpoints
      (other ranks write nothing, and a failed write stops every rank); each checkpoint also
      holds every rank's random state and the sampler's seed (``extra["distributed"]``);
    - ``resume_from`` is read by rank 0 only and sent to the others; resumed on as many ranks
      as wrote it, the run ends bit for bit as the one never interrupted (on another number of
      ranks it goes on, with a RuntimeWarning that it is not bit for bit).

    ``on_batch_end`` callbacks get each rank's own running means; ``on_epoch_end`` the
    averaged logs (the same on every rank, so EarlyStopping stops all ranks together).

    Returns:
        History (a resumed run's includes the checkpoint's epochs) with, per epoch, loss and
        each metric (means over the training samples), val_loss and val_<metric> when
        ``val_data`` is given, and lr (of the first group).

    Raises:
        FloatingPointError when the loss becomes NaN or infinite, naming epoch and step (and,
        with ``on_divergence="raise"``, when it diverges).

    Warns:
        RuntimeWarning naming the metric and epoch when a validation metric (val_loss,
        val_accuracy, ...) is NaN or infinite.
        ValueError when ``resume_from`` holds the states of other callbacks than ``callbacks``
        (and ``callbacks`` is not empty).
    """
    if on_divergence not in _ON_DIVERGENCE:
        raise ValueError(f"fit: on_divergence must be one of {_ON_DIVERGENCE}, got "
                         f"{on_divergence!r}")
    ranks = _distributed()
    given = module = model  # module: the plain model, evaluated, checkpointed and restored
    if ranks is not None:
        model, module = ranks.wrap(model)
    divergence = None if on_divergence is None else _Divergence(
        on_divergence, quiet=ranks is not None and not ranks.writer)
    train_loader = _loader(train_data, batch_size, shuffle, "fit: train_data",
                           None if ranks is None or isinstance(train_data, DataLoader)
                           else ranks.sampler(shuffle))
    val_loader = None if val_data is None else _loader(
        val_data, batch_size, False, "fit: val_data", None if ranks is None else ranks.shard)
    metric_fns = _metrics(metrics, loss_fn)
    callbacks = list(callbacks)  # the run's callbacks, whose states the checkpoints hold
    hooks = callbacks + display(verbose, callbacks)  # and the progress display, last
    writer = ranks is None or ranks.writer
    # a DataLoader's own shuffling generator is part of the run's random state
    generators = [g for g in (getattr(train_loader, "generator", None),) if g is not None]
    epoch_sampler = getattr(train_loader, "sampler", None)
    if not callable(getattr(epoch_sampler, "set_epoch", None)):
        epoch_sampler = None
    if ranks is not None:
        counts = ranks.objects(len(train_loader))
        if len(set(counts)) > 1:
            raise ValueError(f"fit: the ranks' train_data give different numbers of batches per "
                             f"epoch ({', '.join(f'rank {r}: {c}' for r, c in enumerate(counts))}); "
                             f"give each rank a DistributedSampler's share (fit makes one when "
                             f"train_data is a Dataset or an (inputs, targets) pair)")
    params = {"epochs": epochs, "steps": len(train_loader), "verbose": verbose,
              "optimizer": optimizer}
    for callback in hooks:
        callback.set_model(given)
        callback.set_params(params)
        callback.on_train_begin({})
    history, start, step = History(), 0, 0
    if resume_from is not None:
        # after on_train_begin, which resets the callbacks, so that their saved state stays
        checkpoint = resume_from if ranks is None else ranks.from_zero(
            f"read the checkpoint {resume_from}", lambda: io.load_checkpoint(resume_from))
        checkpoint = io.restore_checkpoint(checkpoint, module, optimizer, scheduler, generators,
                                           callbacks or None,  # none given: states unused
                                           epochs=epochs)
        start, step = checkpoint["epoch"], checkpoint["step"]
        if checkpoint["history"] is not None:
            history = History.from_state_dict(checkpoint["history"])
        if ranks is not None:
            _restore_ranks(ranks, checkpoint, generators, epoch_sampler, resume_from)
    # on_train_end gets the last epoch's logs, also when a resumed run trains no epoch
    logs = {name: values[-1] for name, values in history.history.items()}
    for epoch in range(start, epochs):
        if any(callback.stop_training for callback in callbacks):
            break
        if epoch_sampler is not None:  # a DistributedSampler's order of this epoch
            epoch_sampler.set_epoch(epoch)
        for callback in hooks:
            callback.on_epoch_begin(epoch, {})
        lr = optimizer.param_groups[0]["lr"]
        logs = _train_epoch(model, loss_fn, optimizer, train_loader, metric_fns, hooks, epoch,
                            epochs, divergence, ranks)
        if val_loader is not None:
            val_logs = _evaluate(module, loss_fn, val_loader, metric_fns, "val_", ranks)
            if writer:
                _warn_non_finite(val_logs, epoch, epochs)
            logs.update(val_logs)
        logs["lr"] = lr
        if scheduler is not None:
            _step_scheduler(scheduler, logs)
        step += len(train_loader)
        for callback in hooks:  # one dict: what a callback adds is recorded
            callback.on_epoch_end(epoch, logs)
        history.append(epoch, logs)
        if checkpoint_dir is not None:
            path = io.epoch_checkpoint_path(checkpoint_dir, epoch + 1)
            extra = None
            if ranks is not None:  # what every rank needs to go on: its random state
                extra = {"distributed": {"world_size": ranks.world, "sampler_seed": ranks.seed,
                                         "ranks": ranks.objects(_rank_states(generators))}}

            def save(path: str = path, epoch: int = epoch,
                     extra: Optional[dict[str, Any]] = extra) -> None:
                os.makedirs(checkpoint_dir, exist_ok=True)
                io.save_checkpoint(path, module, optimizer, scheduler, epoch=epoch + 1,
                                   step=step, history=history, generators=generators,
                                   callbacks=callbacks, extra=extra)

            if ranks is None:
                save()
            else:  # rank 0 writes; a failure there stops every rank
                ranks.from_zero(f"write the checkpoint {path}", save)
    for callback in hooks:
        callback.on_train_end(dict(logs))
    return history


def evaluate(model: Module, loss_fn: Callable[[Tensor, Tensor], Tensor], data: DataLike,
             metrics: Iterable[MetricLike] = ("accuracy",), batch_size: int = 32
             ) -> dict[str, float]:
    """The mean loss and metrics of ``model`` over ``data``, in eval mode under no_grad.

    Returns a dict such as ``{"loss": 0.31, "accuracy": 0.92}``; ``data`` as in ``fit``.
    """
    loader = _loader(data, batch_size, False, "evaluate: data")
    logs = _evaluate(model, loss_fn, loader, _metrics(metrics, loss_fn))
    _warn_non_finite(logs, None, None, "evaluate")
    return logs


def predict(model: Module, data: Union[DataLike, Tensor, np.ndarray], batch_size: int = 32
            ) -> Tensor:
    """``model``'s outputs for every input in ``data``, in eval mode under no_grad.

    Args:
        data: a Tensor or array of inputs (batched along dimension 0), or a Dataset or
            DataLoader whose batches are inputs or (inputs, targets) pairs.

    Returns one Tensor: the outputs of all batches concatenated along dimension 0.
    """
    if isinstance(data, (Tensor, np.ndarray)):
        data = TensorDataset(data)
    loader = _loader(data, batch_size, False, "predict: data")
    was_training = model.training
    model.eval()
    outputs = []
    try:
        with no_grad():
            for batch in loader:
                x = batch[0] if isinstance(batch, (tuple, list)) else batch
                outputs.append(model(x).array)
    finally:
        model.train(was_training)
    if not outputs:
        raise ValueError("predict: the data gave no batches (is it empty?)")
    return as_tensor(np.concatenate(outputs))
