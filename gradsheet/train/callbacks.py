"""Callbacks: code that ``fit`` runs at the start and end of training, epochs and batches.

EarlyStopping ends training when a monitored quantity stops improving;
ModelCheckpoint saves the model's state dict (safetensors) after each epoch or
each improvement; LearningRateMonitor logs every parameter group's learning rate;
LambdaCallback turns functions into a callback (as Keras'). Subclass Callback for your own.
The progress display (``train.ProgressBar``) and the loggers (``train.CSVLogger``,
``train.TensorBoard``) are callbacks too.

``fit`` calls each hook with its logs as a positional argument, in the order of ``callbacks``:
``on_train_begin(logs)``, then per epoch ``on_epoch_begin(epoch, logs)``, per batch
``on_batch_begin(batch, logs)`` and ``on_batch_end(batch, logs)``, ``on_epoch_end(epoch,
logs)``, and at last ``on_train_end(logs)``. The epoch's ``logs`` dict is shared: what a
callback adds to it in ``on_epoch_end`` is seen by the callbacks after it and recorded in the
History. A callback's ``state_dict()`` holds what
changes while it runs, so that ``fit(..., resume_from=...)`` continues it exactly.

Under a process group (data-parallel ``fit``), the callbacks run on every rank with the same
epoch logs (averaged over the ranks), so they decide alike; files are written by rank 0 only
(``is_writer()``).
"""
from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Optional, Union

from .. import io

if TYPE_CHECKING:
    import numpy as np

    from ..optim import Optimizer

    Logs = Optional[dict[str, Any]]


def is_writer() -> bool:
    """Whether this process writes files: True unless it is a rank other than 0 of an
    initialised process group (``gradsheet.distributed``)."""
    dist = sys.modules.get("gradsheet.distributed")
    return dist is None or not dist.is_initialized() or dist.get_rank() == 0


class Callback:
    """Base class: override any hook. ``fit`` sets ``self.model`` before training starts;
    setting ``self.stop_training = True`` ends training after the current epoch (``fit``
    starts no epoch while a callback's ``stop_training`` is True).

    ``epoch`` and ``batch`` count from 0; ``logs`` holds the epoch's values (loss, accuracy,
    val_loss, ..., lr) or, for ``on_batch_end``, the running means over the epoch so far (an
    empty dict for the ``*_begin`` hooks). ``fit`` calls ``set_params`` first: ``self.params``
    holds ``epochs``, ``steps`` (batches per epoch), ``verbose`` and the ``optimizer``.

    ``state_attributes`` names the attributes that change during training; ``state_dict()``
    and ``load_state_dict()`` save and restore them (numbers, strings, None, arrays and
    lists/dicts of them), and ``fit`` stores them in its checkpoints. A subclass with such
    state lists it there (or overrides both methods).
    """

    model: Any = None  # the Module fit trains (set_model); Any, as the hooks use it freely
    params: Optional[dict[str, Any]] = None
    stop_training: bool = False
    state_attributes: tuple[str, ...] = ()

    def state_dict(self) -> dict[str, Any]:
        """``{name: value}`` for each of ``state_attributes`` (the live values, not copies);
        empty for a callback without state."""
        return {name: getattr(self, name) for name in self.state_attributes}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore the attributes saved by ``state_dict()``.

        Raises ValueError naming the callback when ``state``'s keys are not exactly
        ``state_attributes`` (a callback without state accepts only an empty dict).
        """
        if sorted(state) != sorted(self.state_attributes):
            raise ValueError(f"{type(self).__name__}.load_state_dict: expected the keys "
                             f"{sorted(self.state_attributes)}, got {sorted(state)}")
        for name in self.state_attributes:
            setattr(self, name, state[name])

    def _fit_params(self) -> dict[str, Any]:
        """``self.params`` (``epochs``, ``steps``, ...); ValueError naming the callback when
        ``set_params`` never ran (a hook called outside ``fit``)."""
        if self.params is None:
            raise ValueError(f"{type(self).__name__}: no epochs and steps in params "
                             f"(set_params); use it through fit(callbacks=[...])")
        return self.params

    def set_model(self, model: Any) -> None:
        """Remember the model being trained as ``self.model`` (``fit`` calls it first)."""
        self.model = model

    def set_params(self, params: dict[str, Any]) -> None:
        """Remember the run's parameters as ``self.params``: ``{"epochs", "steps", "verbose",
        "optimizer"}`` (``fit`` calls it before ``on_train_begin``)."""
        self.params = params

    def on_train_begin(self, logs: Logs = None) -> None:
        """Called once before the first epoch."""
        pass

    def on_train_end(self, logs: Logs = None) -> None:
        """Called once after the last epoch, with the last epoch's ``logs``."""
        pass

    def on_epoch_begin(self, epoch: int, logs: Logs = None) -> None:
        """Called before epoch ``epoch`` (counted from 0)."""
        pass

    def on_epoch_end(self, epoch: int, logs: Logs = None) -> None:
        """Called after epoch ``epoch`` with its logged values (loss, accuracy, val_*, lr)."""
        pass

    def on_batch_begin(self, batch: int, logs: Logs = None) -> None:
        """Called before training batch ``batch`` (counted from 0 in each epoch)."""
        pass

    def on_batch_end(self, batch: int, logs: Logs = None) -> None:
        """Called after each training batch, with the running means over the epoch so far."""
        pass


class _Monitor:
    """Reads ``monitor`` from the logs and says whether a value beats the best so far by more
    than ``min_delta``: lower is better in 'min' mode, higher in 'max' mode; 'auto' means
    'max' for accuracies and 'min' for everything else (losses, errors), as Keras."""

    def __init__(self, owner: str, monitor: str, mode: str, min_delta: float = 0.0) -> None:
        if mode == "auto":
            mode = "max" if "acc" in monitor else "min"
        if mode not in ("min", "max"):
            raise ValueError(f"{owner}: mode must be 'auto', 'min' or 'max', got {mode!r}")
        self.owner, self.monitor, self.mode = owner, monitor, mode
        self.sign = 1.0 if mode == "max" else -1.0
        self.min_delta = abs(min_delta)

    def value(self, logs: Mapping[str, Any]) -> Any:
        if self.monitor not in logs:
            hint = "; pass val_data= to fit" if self.monitor.startswith("val_") else ""
            raise ValueError(f"{self.owner}: monitor {self.monitor!r} is not among the logged "
                             f"values {sorted(logs)}{hint}")
        return logs[self.monitor]

    def improved(self, current: float, best: Optional[float]) -> bool:
        if best is None:
            return not math.isnan(current)
        return self.sign * (current - best) > self.min_delta


class EarlyStopping(Callback):
    """Stop training after ``patience`` epochs in a row in which ``monitor`` did not improve.

    An epoch improves when its value beats the best so far by more than ``min_delta``
    (lower for losses, higher for accuracies: see ``mode``).

    Args:
        monitor: the logged value to watch, e.g. 'val_loss' or 'val_accuracy'.
        patience: how many epochs in a row without improvement stop training (0: the first).
        min_delta: the smallest change that counts as an improvement.
        mode: 'min', 'max' or 'auto' ('max' when the name contains 'acc').
        restore_best_weights: at the end of training, load the weights of the best epoch.

    Attributes: ``best``, ``best_epoch``, ``stopped_epoch`` (None when training ran to the end).
    These, the wait count, the stop flag and the best weights are its ``state_dict()``.
    """

    state_attributes = ("best", "best_epoch", "wait", "stopped_epoch", "best_weights",
                        "stop_training")
    best: Optional[float] = None
    best_epoch: Optional[int] = None
    stopped_epoch: Optional[int] = None
    best_weights: Optional[dict[str, np.ndarray]] = None
    wait: int = 0

    def __init__(self, monitor: str = "val_loss", patience: int = 0, min_delta: float = 0.0,
                 mode: str = "auto", restore_best_weights: bool = False) -> None:
        if patience < 0:
            raise ValueError(f"EarlyStopping: patience must be >= 0, got {patience}")
        self._monitor = _Monitor("EarlyStopping", monitor, mode, min_delta)
        self.monitor = monitor
        self.patience = patience
        self.restore_best_weights = restore_best_weights

    def on_train_begin(self, logs: Logs = None) -> None:
        """Forget the best value and the wait count, so the callback can be reused."""
        self.stop_training = False
        self.best = self.best_epoch = self.stopped_epoch = self.best_weights = None
        self.wait = 0

    def on_epoch_end(self, epoch: int, logs: Logs = None) -> None:
        """Record an improvement of ``monitor`` (and, with ``restore_best_weights``, copy the
        weights), else count one more epoch without; stop after ``patience`` such epochs in a row.
        """
        current = self._monitor.value(logs or {})
        if self._monitor.improved(current, self.best):
            self.best, self.best_epoch, self.wait = current, epoch, 0
            if self.restore_best_weights:
                self.best_weights = {name: tensor.array.copy()
                                     for name, tensor in self.model.state_dict().items()}
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stop_training = True
            self.stopped_epoch = epoch

    def on_train_end(self, logs: Logs = None) -> None:
        """Load the best epoch's weights back when ``restore_best_weights`` kept them."""
        if self.best_weights is not None:
            self.model.load_state_dict(self.best_weights)


class ModelCheckpoint(Callback):
    """Save ``model.state_dict()`` to ``path`` (safetensors) after each epoch, or only after
    epochs that improve ``monitor`` when ``save_best_only``.

    Args:
        path: the file; may contain ``{epoch}`` (counted from 1) and logged names with format
            specs, e.g. ``"ckpt-{epoch:03d}-{val_loss:.3f}.safetensors"``.
        monitor: the logged value that decides "best" (used only with ``save_best_only``).
        save_best_only: save only when ``monitor`` improves on every earlier epoch.
        mode: 'min', 'max' or 'auto', as in EarlyStopping.

    The file's metadata records the epoch and the logged values (``gradsheet.io.load_metadata``).
    Its ``state_dict()`` holds ``best``, the best value of ``monitor`` so far. Under a process
    group only rank 0 writes the file (every rank keeps ``best``).
    """

    state_attributes = ("best",)
    best: Optional[float] = None

    def __init__(self, path: Union[str, os.PathLike], monitor: str = "val_loss",
                 save_best_only: bool = False, mode: str = "auto") -> None:
        self.path = path
        self.monitor = monitor
        self.save_best_only = save_best_only
        self._monitor = _Monitor("ModelCheckpoint", monitor, mode)

    def on_train_begin(self, logs: Logs = None) -> None:
        """Forget the best value, so the callback can be reused."""
        self.best = None

    def on_epoch_end(self, epoch: int, logs: Logs = None) -> None:
        """Save the state dict to ``path`` formatted with this epoch (from 1) and its logs; with
        ``save_best_only``, only when ``monitor`` improved.
        """
        logs = logs or {}
        if self.save_best_only:
            current = self._monitor.value(logs)
            if not self._monitor.improved(current, self.best):
                return
            self.best = current
        if not is_writer():
            return
        path = str(self.path).format(epoch=epoch + 1, **logs)
        metadata = {"epoch": str(epoch + 1), **{name: repr(value) for name, value in logs.items()}}
        io.save(self.model.state_dict(), path, metadata=metadata)


_HOOKS = ("on_epoch_begin", "on_epoch_end", "on_batch_begin", "on_batch_end", "on_train_begin",
          "on_train_end")


class LambdaCallback(Callback):
    """A callback made of functions, as Keras' ``LambdaCallback``: each one given replaces
    that hook, called with the hook's positional arguments.

    Args:
        on_epoch_begin, on_epoch_end: ``fn(epoch, logs)``.
        on_batch_begin, on_batch_end: ``fn(batch, logs)``.
        on_train_begin, on_train_end: ``fn(logs)``.

    Example: ``LambdaCallback(on_epoch_end=lambda epoch, logs: print(epoch, logs["loss"]))``.
    Raises TypeError naming the hook when one is not callable.
    """

    def __init__(self, on_epoch_begin: Optional[Callable[[int, Logs], Any]] = None,
                 on_epoch_end: Optional[Callable[[int, Logs], Any]] = None,
                 on_batch_begin: Optional[Callable[[int, Logs], Any]] = None,
                 on_batch_end: Optional[Callable[[int, Logs], Any]] = None,
                 on_train_begin: Optional[Callable[[Logs], Any]] = None,
                 on_train_end: Optional[Callable[[Logs], Any]] = None) -> None:
        given = dict(zip(_HOOKS, (on_epoch_begin, on_epoch_end, on_batch_begin, on_batch_end,
                                  on_train_begin, on_train_end)))
        for hook, fn in given.items():
            if fn is None:
                continue
            if not callable(fn):
                raise TypeError(f"LambdaCallback: {hook} must be callable, got "
                                f"{type(fn).__name__}")
            setattr(self, hook, fn)


def learning_rates(optimizer: Optimizer, momentum: bool = False) -> dict[str, float]:
    """``{name: value}``: the learning rate of each of ``optimizer``'s parameter groups, named
    as PyTorch Lightning's ``LearningRateMonitor``: ``lr-Adam`` for a single group, else
    ``lr-Adam/pg1``, ``lr-Adam/pg2``, ... (``lr-Adam/NAME`` for a group with a ``"name"``);
    with ``momentum``, also ``lr-Adam-momentum`` (and ``.../pgN``): the group's ``momentum``,
    or ``betas[0]`` for Adam-like optimizers (groups with neither are left out)."""
    base = f"lr-{type(optimizer).__name__}"
    groups = optimizer.param_groups
    values: dict[str, float] = {}
    for index, group in enumerate(groups):
        suffix = "" if len(groups) == 1 and "name" not in group else \
            f"/{group.get('name', f'pg{index + 1}')}"
        values[base + suffix] = group["lr"]
        if momentum:
            value = group.get("momentum", group.get("betas", (None,))[0])
            if value is not None:
                values[f"{base}-momentum{suffix}"] = value
    return values


class LearningRateMonitor(Callback):
    """Log the learning rate of every parameter group of the optimizer, once per epoch, into
    the epoch's logs (so the History, the epoch line, CSVLogger and TensorBoard get them), as
    PyTorch Lightning's ``LearningRateMonitor``. The values are those the epoch trained with
    (read in ``on_epoch_begin``, before a scheduler steps); see ``learning_rates`` for the names.

    Args:
        log_momentum: also log each group's momentum (``betas[0]`` for Adam-like optimizers).

    Raises ValueError when ``fit`` gave no optimizer (``set_params``).
    """

    def __init__(self, log_momentum: bool = False) -> None:
        self.log_momentum = log_momentum
        self._values: dict[str, float] = {}

    def on_epoch_begin(self, epoch: int, logs: Logs = None) -> None:
        """Read the learning rates (and momenta) the epoch trains with."""
        optimizer = (self.params or {}).get("optimizer")
        if optimizer is None:
            raise ValueError("LearningRateMonitor: no optimizer in params (set_params); use it "
                             "through fit(callbacks=[...])")
        self._values = learning_rates(optimizer, self.log_momentum)

    def on_epoch_end(self, epoch: int, logs: Logs = None) -> None:
        """Add the values read at the epoch's start to its ``logs``."""
        if logs is not None:
            logs.update(self._values)
