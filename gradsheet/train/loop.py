"""fit, evaluate, predict: the cheat sheet's weight update, run epoch after epoch.

Per batch, ``fit`` does the four steps of "updating weights":
    1. take a batch of training data
    2. forward propagation to get the loss
    3. backpropagate the loss to get the gradients
    4. use the gradients to update the weights (w <- w - alpha dL/dw for SGD)
and logs, per epoch, the mean loss and metrics over the training samples, the
same on the validation data (under eval() and no_grad()), and the learning rate.
"""
import math
import os
import sys
import warnings

import numpy as np
from tqdm import tqdm

from .. import io, nn
from ..autograd.grad_mode import no_grad
from ..autograd.tensor import Tensor, as_tensor
from ..data import DataLoader, TensorDataset
from ..nn import functional as F
from ..optim import lr_scheduler
from .history import History
from .metrics import accuracy, get_metric


def _loader(data, batch_size, shuffle, who):
    """A DataLoader for ``data``: a DataLoader (used as is), a Dataset, or an (X, y) pair."""
    if isinstance(data, DataLoader):
        return data
    if isinstance(data, (tuple, list)) and all(isinstance(t, (Tensor, np.ndarray)) for t in data):
        data = TensorDataset(*data)
    if not (hasattr(data, "__getitem__") and hasattr(data, "__len__")):
        raise TypeError(f"{who}: expected a Dataset, a DataLoader or an (inputs, targets) pair, "
                        f"got {type(data).__name__}")
    return DataLoader(data, batch_size=batch_size, shuffle=shuffle)


def _expects_probabilities(loss_fn):
    """Whether the loss takes probabilities (BCELoss) rather than logits: sets the binary
    accuracy threshold to 0.5 instead of 0."""
    return isinstance(loss_fn, nn.BCELoss) or loss_fn is F.binary_cross_entropy


def _metrics(metrics, loss_fn):
    named = dict(get_metric(m) for m in metrics)
    if named.get("accuracy") is accuracy and _expects_probabilities(loss_fn):
        named["accuracy"] = lambda output, target: accuracy(output, target, threshold=0.5)
    return named


def _split(batch, who):
    if not isinstance(batch, (tuple, list)) or len(batch) != 2:
        got = f"a {type(batch).__name__} of {len(batch)}" if isinstance(batch, (tuple, list)) \
            else f"a {type(batch).__name__}"
        raise TypeError(f"{who}: each batch must be an (inputs, targets) pair, got {got}")
    return batch


class _Running:
    """Means over the samples seen so far (each batch weighted by its size)."""

    def __init__(self):
        self.sums, self.count = {}, 0

    def add(self, n, values):
        self.count += n
        for name, value in values.items():
            self.sums[name] = self.sums.get(name, 0.0) + value * n

    def means(self, prefix=""):
        return {prefix + name: total / self.count for name, total in self.sums.items()}


def _batch_logs(loss, output, target, metric_fns):
    logs = {"loss": loss}
    for name, fn in metric_fns.items():
        logs[name] = fn(output.array, target.array)
    return logs


def _check_finite(loss, epoch, epochs, step, steps):
    if not math.isfinite(loss):
        raise FloatingPointError(
            f"fit: the loss became {loss} at epoch {epoch + 1}/{epochs}, step {step + 1}/{steps}; "
            f"lower the learning rate, check the inputs for NaN/inf, or clip gradients")


# fit(on_divergence=...): a batch loss above DIVERGENCE_FACTOR times the smallest batch loss seen
# so far (a minimum below DIVERGENCE_FLOOR counts as DIVERGENCE_FLOOR) means training diverged
DIVERGENCE_FACTOR = 1e4
DIVERGENCE_FLOOR = 1e-8
_ON_DIVERGENCE = (None, "raise", "warn")


class _Divergence:
    """The running minimum of the batch losses, and what to do when a loss outgrows it."""

    def __init__(self, mode):
        self.mode, self.minimum, self.warned = mode, math.inf, False

    def check(self, loss, epoch, epochs, step, steps):
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


def _warn_non_finite(logs, epoch, epochs, who="fit"):
    """A RuntimeWarning for each validation metric that is NaN or infinite."""
    for name, value in logs.items():
        if isinstance(value, (float, int, np.floating)) and not math.isfinite(value):
            where = f" at epoch {epoch + 1}/{epochs}" if epoch is not None else ""
            warnings.warn(f"{who}: {name} is {value}{where}: the validation data may hold NaN or "
                          f"inf, or the model's outputs overflow", RuntimeWarning, stacklevel=3)


def _train_epoch(model, loss_fn, optimizer, loader, metric_fns, callbacks, epoch, epochs, bar,
                 divergence=None):
    model.train()
    running = _Running()
    steps = len(loader)
    for step, batch in enumerate(loader):  # 1. take a batch of training data
        x, y = _split(batch, "fit")
        output = model(x)
        loss = loss_fn(output, y)  # 2. forward propagation to get the loss
        loss_value = loss.item()
        _check_finite(loss_value, epoch, epochs, step, steps)
        if divergence is not None:
            divergence.check(loss_value, epoch, epochs, step, steps)
        optimizer.zero_grad()
        loss.backward()  # 3. backpropagate the loss to get the gradients
        optimizer.step()  # 4. use the gradients to update the weights
        running.add(len(y), _batch_logs(loss_value, output, y, metric_fns))
        logs = running.means()
        for callback in callbacks:
            callback.on_batch_end(step, logs)
        if not bar.disable:
            bar.set_postfix(logs, refresh=False)
            bar.update()
    if running.count == 0:
        raise ValueError(f"fit: train_data gave no batches ({len(loader.dataset)} samples, "
                         f"batch_size={loader.batch_size}, drop_last={loader.drop_last})")
    return running.means()


def _evaluate(model, loss_fn, loader, metric_fns, prefix=""):
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
    if running.count == 0:
        raise ValueError(f"evaluate: the data gave no batches ({len(loader.dataset)} samples)")
    return running.means(prefix)


def _step_scheduler(scheduler, logs):
    if isinstance(scheduler, lr_scheduler.ReduceLROnPlateau):
        scheduler.step(logs.get("val_loss", logs["loss"]))
    else:
        scheduler.step()


def _report(epoch, epochs, logs):
    values = " - ".join(f"{name}: {value:.4g}" for name, value in logs.items())
    print(f"Epoch {epoch + 1}/{epochs} - {values}", flush=True)


def fit(model, loss_fn, optimizer, train_data, val_data=None, epochs=1, batch_size=32,
        shuffle=True, metrics=("accuracy",), scheduler=None, callbacks=(), verbose=1,
        checkpoint_dir=None, resume_from=None, on_divergence=None):
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
        callbacks: Callback objects (EarlyStopping, ModelCheckpoint, ...).
        verbose: 0 silent; 1 a progress bar per epoch with the running loss and metrics
            (only when stderr is a terminal); 2 one printed line per epoch.
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
    divergence = None if on_divergence is None else _Divergence(on_divergence)
    train_loader = _loader(train_data, batch_size, shuffle, "fit: train_data")
    val_loader = None if val_data is None else _loader(val_data, batch_size, False,
                                                       "fit: val_data")
    metric_fns = _metrics(metrics, loss_fn)
    callbacks = list(callbacks)
    show_bar = verbose == 1 and sys.stderr.isatty()
    # a DataLoader's own shuffling generator is part of the run's random state
    generators = [g for g in (getattr(train_loader, "generator", None),) if g is not None]
    for callback in callbacks:
        callback.set_model(model)
        callback.on_train_begin()
    history, start, step = History(), 0, 0
    if resume_from is not None:
        # after on_train_begin, which resets the callbacks, so that their saved state stays
        checkpoint = io.restore_checkpoint(resume_from, model, optimizer, scheduler, generators,
                                           callbacks or None,  # none given: states unused
                                           epochs=epochs)
        start, step = checkpoint["epoch"], checkpoint["step"]
        history = checkpoint["history"] if checkpoint["history"] is not None else history
    # on_train_end gets the last epoch's logs, also when a resumed run trains no epoch
    logs = {name: values[-1] for name, values in history.history.items()}
    for epoch in range(start, epochs):
        if any(callback.stop_training for callback in callbacks):
            break
        for callback in callbacks:
            callback.on_epoch_begin(epoch)
        lr = optimizer.param_groups[0]["lr"]
        with tqdm(total=len(train_loader), desc=f"Epoch {epoch + 1}/{epochs}", unit="batch",
                  disable=not show_bar, dynamic_ncols=True) as bar:
            logs = _train_epoch(model, loss_fn, optimizer, train_loader, metric_fns, callbacks,
                                epoch, epochs, bar, divergence)
            if val_loader is not None:
                val_logs = _evaluate(model, loss_fn, val_loader, metric_fns, prefix="val_")
                _warn_non_finite(val_logs, epoch, epochs)
                logs.update(val_logs)
            logs["lr"] = lr
            bar.set_postfix(logs)
        if verbose == 2:
            _report(epoch, epochs, logs)
        history.append(epoch, logs)
        if scheduler is not None:
            _step_scheduler(scheduler, logs)
        step += len(train_loader)
        for callback in callbacks:
            callback.on_epoch_end(epoch, dict(logs))
        if checkpoint_dir is not None:
            os.makedirs(checkpoint_dir, exist_ok=True)
            io.save_checkpoint(io.epoch_checkpoint_path(checkpoint_dir, epoch + 1), model,
                               optimizer, scheduler, epoch=epoch + 1, step=step, history=history,
                               generators=generators, callbacks=callbacks)
    for callback in callbacks:
        callback.on_train_end(dict(logs))
    return history


def evaluate(model, loss_fn, data, metrics=("accuracy",), batch_size=32):
    """The mean loss and metrics of ``model`` over ``data``, in eval mode under no_grad.

    Returns a dict such as ``{"loss": 0.31, "accuracy": 0.92}``; ``data`` as in ``fit``.
    """
    loader = _loader(data, batch_size, False, "evaluate: data")
    logs = _evaluate(model, loss_fn, loader, _metrics(metrics, loss_fn))
    _warn_non_finite(logs, None, None, "evaluate")
    return logs


def predict(model, data, batch_size=32):
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
