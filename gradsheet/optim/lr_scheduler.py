"""Learning-rate schedules: α (the cheat sheet's learning rate) as a function of the epoch t.

Each scheduler sets ``group['lr']`` of its optimizer's parameter groups; call
``scheduler.step()`` once per epoch (or per iteration), after ``optimizer.step()``.
Every docstring gives the closed form η_t = f(t, η_0), η_0 being a group's initial lr.
The updates themselves follow PyTorch's chainable form (the new lr computed from
the current one), so schedulers compose (``SequentialLR``) and the lr sequence
matches ``torch.optim.lr_scheduler`` number for number.
"""
from __future__ import annotations

import itertools
import math
import numbers
import types
import warnings
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Optional, SupportsFloat, Union

from .optimizer import Optimizer

_EPOCH_DEPRECATION = ("scheduler.step(epoch): the epoch argument is deprecated (as in torch); call "
                      "scheduler.step() instead. With an epoch, the closed form is used where the "
                      "scheduler has one.")


def _is_positive_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and int(value) > 0


def _require(owner: str, key: str, value: Any, holds: bool, rule: str) -> None:
    if not holds:
        raise ValueError(f"{owner}: invalid {key}={value!r}; expected {rule}")


class _SchedulerState:
    """What every scheduler shares: the last lrs it set, and its state as a dict."""

    optimizer: Optimizer
    _last_lr: list[float]

    def get_last_lr(self) -> list[float]:
        """The lrs the last ``step()`` set, one per parameter group."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """Every attribute but the optimizer (the format of torch's schedulers)."""
        return {key: value for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the attributes saved by ``state_dict``."""
        self.__dict__.update(state_dict)


class LRScheduler(_SchedulerState):
    """Base class: tracks ``last_epoch`` (t) and writes each group's lr on ``step()``.

    Creating a scheduler stores each group's lr as ``initial_lr`` (η_0) and takes step t = 0.
    A subclass implements ``get_lr()`` (the chainable update from the current lrs) and, where
    one exists, ``_get_closed_form_lr()`` (η_t from η_0, used to jump to an epoch).

    Args:
        optimizer: the Optimizer whose learning rates are scheduled.
        last_epoch: the last epoch seen; -1 (default) starts afresh, other values resume and
            need ``initial_lr`` in every group (as a loaded optimizer state has).
    """

    _is_initial = False

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__}: {type(optimizer).__name__} is not an "
                            "Optimizer")
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(f"{type(self).__name__}: param_groups[{i}] has no 'initial_lr' "
                                   f"to resume from at last_epoch={last_epoch}; load the "
                                   "optimizer's state first, or start with last_epoch=-1")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self) -> None:
        self._step_count = 0  # step() calls so far; kept so torch's scheduler states load
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def step(self, epoch: Optional[int] = None) -> None:
        """Advance one epoch: t ← t + 1, then set every group's lr to η_t.

        ``step(epoch)`` (deprecated in torch, and warned about as there) jumps to t = epoch and
        uses the closed form where the scheduler has one.
        """
        self._step_count += 1
        if epoch is not None:
            warnings.warn(_EPOCH_DEPRECATION, UserWarning, stacklevel=2)
        self._update_lr(epoch)

    def _update_lr(self, epoch: Optional[int] = None) -> None:
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:
            self.last_epoch = epoch
            values = self._get_closed_form_lr()
        for group, lr in zip(self.optimizer.param_groups, values):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_lr(self) -> list[float]:
        """The next lr of every group, from the current ones (call ``step()``, not this)."""
        raise NotImplementedError

    def _get_closed_form_lr(self) -> list[float]:
        return self.get_lr()

    def _current_lrs(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]


class _LambdaScheduler(LRScheduler):
    """A scheduler driven by functions of the epoch, one per group (LambdaLR, MultiplicativeLR)."""

    def __init__(self, optimizer: Optimizer,
                 lr_lambda: Union[Callable[[int], float], list[Callable[[int], float]]],
                 last_epoch: int = -1) -> None:
        self.lr_lambdas = _lr_lambdas(type(self).__name__, optimizer, lr_lambda)
        super().__init__(optimizer, last_epoch)

    def state_dict(self) -> dict[str, Any]:
        """As the base's, with each lambda's ``__dict__`` if it is a callable object (plain
        functions cannot be saved: they are stored as None and kept as they are on load)."""
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "lr_lambdas")}
        state["lr_lambdas"] = [None if isinstance(fn, types.FunctionType) else dict(fn.__dict__)
                               for fn in self.lr_lambdas]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore ``state_dict``; each callable object's saved ``__dict__`` is written back into
        the matching lambda (plain functions, saved as None, stay as they are).
        """
        state = dict(state_dict)
        lambdas = state.pop("lr_lambdas")
        self.__dict__.update(state)
        for fn, saved in zip(self.lr_lambdas, lambdas):
            if saved is not None:
                fn.__dict__.update(saved)


class LambdaLR(_LambdaScheduler):
    """η_t = η_0 · λ(t), with λ a function of the epoch (one per group, or one for all).

    Example: ``LambdaLR(opt, lambda t: 0.95 ** t)`` decays by 5% per epoch.
    """

    def get_lr(self) -> list[float]:
        return [base * fn(self.last_epoch) for fn, base in zip(self.lr_lambdas, self.base_lrs)]


def _lr_lambdas(owner: str, optimizer: Optimizer, lr_lambda: Any) -> list[Callable[[int], float]]:
    """One callable per parameter group (the same one for all, or a list of them)."""
    groups = len(optimizer.param_groups)
    if isinstance(lr_lambda, (list, tuple)):
        if len(lr_lambda) != groups:
            raise ValueError(f"{owner}: expected {groups} lr_lambdas (one per parameter group), "
                             f"got {len(lr_lambda)}")
        lambdas = list(lr_lambda)
    else:
        lambdas = [lr_lambda] * groups
    for i, fn in enumerate(lambdas):
        if not callable(fn):
            raise TypeError(f"{owner}: lr_lambda should be a function, but lr_lambda {i} is a "
                            f"{type(fn).__name__}")
    return lambdas


class MultiplicativeLR(_LambdaScheduler):
    """η_t = η_{t-1} · λ(t) (so η_t = η_0 · Π_{s=1..t} λ(s)): multiply by λ(epoch) every epoch.

    λ is one function of the epoch for every group, or one per group; the state dict saves
    callable objects' ``__dict__`` (plain functions as None), as ``LambdaLR``'s does.

    Example: ``MultiplicativeLR(opt, lambda t: 0.95)`` decays by 5% per epoch.
    """

    def get_lr(self) -> list[float]:
        if self._is_initial:
            return self._current_lrs()
        return [lr * fn(self.last_epoch) for fn, lr in zip(self.lr_lambdas, self._current_lrs())]


class StepLR(LRScheduler):
    """η_t = η_0 · γ^floor(t / step_size): multiply by γ every ``step_size`` epochs.

    Example: η_0 = 0.1, step_size = 2, γ = 0.5 gives 0.1, 0.1, 0.05, 0.05, 0.025, ...
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        _require("StepLR", "step_size", step_size, _is_positive_int(step_size),
                 "a positive integer")
        _require("StepLR", "gamma", gamma, gamma >= 0, "gamma >= 0")
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        return [base * self.gamma ** (self.last_epoch // self.step_size)
                for base in self.base_lrs]


class MultiStepLR(LRScheduler):
    """η_t = η_0 · γ^(number of milestones <= t): multiply by γ at each milestone epoch.

    Example: milestones [2, 5], γ = 0.1: η_0 for t < 2, η_0/10 for 2 <= t < 5, then η_0/100.
    """

    def __init__(self, optimizer: Optimizer, milestones: Iterable[int], gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        _require("MultiStepLR", "gamma", gamma, gamma >= 0, "gamma >= 0")
        self.milestones = Counter(milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch not in self.milestones:
            return self._current_lrs()
        factor = self.gamma ** self.milestones[self.last_epoch]
        return [lr * factor for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        milestones = sorted(self.milestones.elements())
        return [base * self.gamma ** bisect_right(milestones, self.last_epoch)
                for base in self.base_lrs]


class ExponentialLR(LRScheduler):
    """η_t = η_0 · γ^t: multiply by γ every epoch."""

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        _require("ExponentialLR", "gamma", gamma, gamma >= 0, "gamma >= 0")
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self._is_initial:  # resuming at last_epoch: keep the loaded lr, do not step ahead
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        return [base * self.gamma ** self.last_epoch for base in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """η_t = η_min + (η_0 - η_min) (1 + cos(π t / T_max)) / 2: half a cosine from η_0 to η_min.

    Past T_max the curve continues (rising back to η_0 at 2 T_max), as in torch.

    Reference: Loshchilov & Hutter, "SGDR: Stochastic Gradient Descent with Warm Restarts",
    ICLR 2017.
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0,
                 last_epoch: int = -1) -> None:
        _require("CosineAnnealingLR", "T_max", T_max, T_max > 0, "T_max > 0")
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        t, T, eta_min = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return self._current_lrs()
        if (t - 1 - T) % (2 * T) == 0:  # at the trough the ratio below would divide by zero
            return [lr + (base - eta_min) * (1 - math.cos(math.pi / T)) / 2
                    for base, lr in zip(self.base_lrs, self._current_lrs())]
        # the ratio of successive closed forms, applied to the current lr
        ratio = (1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T))
        return [ratio * (lr - eta_min) + eta_min for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        cosine = (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
        return [self.eta_min + (base - self.eta_min) * cosine for base in self.base_lrs]


class LinearLR(LRScheduler):
    """η_t = η_0 · (s + (e - s) · min(t, T) / T): a linear ramp of the factor from s to e.

    With s < 1 = e this is the usual linear warm-up; s = start_factor (default 1/3),
    e = end_factor (default 1), T = total_iters (default 5).

    Example: η_0 = 1, s = 0.25, T = 3 gives 0.25, 0.5, 0.75, 1, 1, ...
    """

    def __init__(self, optimizer: Optimizer, start_factor: float = 1.0 / 3,
                 end_factor: float = 1.0, total_iters: int = 5, last_epoch: int = -1) -> None:
        _require("LinearLR", "start_factor", start_factor, 0 < start_factor <= 1,
                 "0 < start_factor <= 1")
        _require("LinearLR", "end_factor", end_factor, 0 <= end_factor <= 1,
                 "0 <= end_factor <= 1")
        _require("LinearLR", "total_iters", total_iters,
                 _is_positive_int(total_iters), "a positive integer")
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        s, e, T, t = self.start_factor, self.end_factor, self.total_iters, self.last_epoch
        if t == 0:
            return [lr * s for lr in self._current_lrs()]
        if self._is_initial or t > T:
            return self._current_lrs()
        # factor(t) / factor(t - 1), applied to the current lr
        ratio = 1.0 + (e - s) / (T * s + (t - 1) * (e - s))
        return [lr * ratio for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        s, e, T = self.start_factor, self.end_factor, self.total_iters
        return [base * (s + (e - s) * min(T, self.last_epoch) / T) for base in self.base_lrs]


class SequentialLR(LRScheduler):
    """Run ``schedulers[i]`` from epoch ``milestones[i-1]`` on, each restarted at its own t = 0.

        η_t = schedulers[i].η_(t - milestones[i-1])   for milestones[i-1] <= t < milestones[i]

    Example (warm-up then cosine): ``SequentialLR(opt, [LinearLR(opt, 0.1, total_iters=5),
    CosineAnnealingLR(opt, T_max=95)], milestones=[5])``.
    """

    def __init__(self, optimizer: Optimizer, schedulers: list[LRScheduler], milestones: list[int],
                 last_epoch: int = -1) -> None:
        if len(schedulers) < 1:
            raise ValueError("SequentialLR: expected at least one scheduler, got none")
        for i, scheduler in enumerate(schedulers):
            if getattr(scheduler, "optimizer", None) is not optimizer:
                raise ValueError(f"SequentialLR: all schedulers must belong to the same optimizer, "
                                 f"but scheduler {i} ({type(scheduler).__name__}) does not")
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(f"SequentialLR: expected one milestone fewer than schedulers, got "
                             f"{len(schedulers)} schedulers and milestones={list(milestones)}")
        milestones = list(milestones)
        _require("SequentialLR", "milestones", milestones,
                 all(a < b for a, b in itertools.pairwise(milestones)), "increasing epochs")
        self._schedulers = list(schedulers)
        self._milestones = milestones
        self.last_epoch = last_epoch + 1
        self.optimizer = optimizer
        # each scheduler's constructor took a step: restore η_0 and undo those steps
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        self._recursive_undo()
        first = self._schedulers[bisect_right(self._milestones, 0)]
        first._initial_step()
        self._last_lr = first.get_last_lr()

    def _recursive_undo(self, scheduler: Optional[LRScheduler] = None) -> None:
        scheduler = self if scheduler is None else scheduler
        if hasattr(scheduler, "_schedulers"):
            for inner in scheduler._schedulers:
                self._recursive_undo(inner)
        elif hasattr(scheduler, "last_epoch"):
            scheduler.last_epoch -= 1

    def step(self) -> None:  # type: ignore[override]  # as torch's: no epoch to jump to
        self.last_epoch += 1
        i = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[i]
        if i > 0 and self._milestones[i - 1] == self.last_epoch:
            scheduler._update_lr(0)  # a fresh start: jump to its epoch 0
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()

    def state_dict(self) -> dict[str, Any]:
        """Every attribute but the optimizer, with each inner scheduler's own state dict in place of
        the schedulers.
        """
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "_schedulers")}
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore ``state_dict``, and each inner scheduler from its saved state dict."""
        state = dict(state_dict)
        saved = state.pop("_schedulers")
        self.__dict__.update(state)
        for scheduler, s in zip(self._schedulers, saved):
            scheduler.load_state_dict(s)


class ReduceLROnPlateau(_SchedulerState):
    """Cut the learning rate when a monitored metric stops improving.

    After ``patience`` epochs without improvement, η ← max(η · factor, min_lr) (changes
    smaller than ``eps`` are skipped), then ``cooldown`` epochs pass before counting again.
    "Improvement" for mode 'min' with threshold_mode 'rel' means m < best · (1 - threshold);
    with 'abs', m < best - threshold ('max' mirrors both). Call ``step(metric)`` once per
    epoch with the validation loss (``train.fit`` does).

    Args:
        optimizer: the Optimizer whose learning rates are cut.
        mode: 'min' (a loss) or 'max' (an accuracy).
        factor: the multiplier, < 1 (default 0.1).
        patience: epochs without improvement tolerated (default 10).
        threshold, threshold_mode: what counts as an improvement (default 1e-4, 'rel').
        cooldown: epochs to wait after a cut (default 0).
        min_lr: a floor, one number or one per group (default 0).
        eps: the smallest change of lr worth making (default 1e-8).
    """

    def __init__(self, optimizer: Optimizer, mode: str = "min", factor: float = 0.1,
                 patience: int = 10, threshold: float = 1e-4, threshold_mode: str = "rel",
                 cooldown: int = 0, min_lr: Union[list[float], float] = 0,
                 eps: float = 1e-8) -> None:
        name = type(self).__name__
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{name}: {type(optimizer).__name__} is not an Optimizer")
        _require(name, "factor", factor, 0 <= factor < 1, "0 <= factor < 1")
        _require(name, "mode", mode, mode in ("min", "max"), "'min' or 'max'")
        _require(name, "threshold_mode", threshold_mode, threshold_mode in ("rel", "abs"),
                 "'rel' or 'abs'")
        groups = optimizer.param_groups
        min_lrs = list(min_lr) if isinstance(min_lr, (list, tuple)) else [min_lr] * len(groups)
        _require(name, "min_lr", min_lr, len(min_lrs) == len(groups),
                 f"one number or {len(groups)} (one per parameter group)")
        self.optimizer = optimizer
        self.mode, self.factor, self.patience = mode, factor, patience
        self.threshold, self.threshold_mode = threshold, threshold_mode
        self.cooldown, self.min_lrs, self.eps = cooldown, min_lrs, eps
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.last_epoch = 0
        self._last_lr = [group["lr"] for group in groups]

    def _improves(self, metric: float) -> bool:
        if self.threshold_mode == "rel":
            scale = 1 - self.threshold if self.mode == "min" else 1 + self.threshold
            bound = self.best * scale
        else:
            bound = self.best - self.threshold if self.mode == "min" else self.best + self.threshold
        return metric < bound if self.mode == "min" else metric > bound

    def step(self, metrics: SupportsFloat) -> None:
        """Record this epoch's metric; cut the lrs if it has not improved for ``patience`` epochs."""
        metric = float(metrics)
        self.last_epoch += 1
        if self._improves(metric):
            self.best, self.num_bad_epochs = metric, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            for group, floor in zip(self.optimizer.param_groups, self.min_lrs):
                new_lr = max(group["lr"] * self.factor, floor)
                if group["lr"] - new_lr > self.eps:
                    group["lr"] = new_lr
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]


class ConstantLR(LRScheduler):
    """η_t = η_0 · f for t < T, then η_0: a constant factor f for the first T epochs.

    f = factor (default 1/3), T = total_iters (default 5). Chainable: the factor is applied at
    t = 0 and undone at t = T, so other schedulers' changes in between are kept.

    Example: η_0 = 1, f = 0.5, T = 2 gives 0.5, 0.5, 1, 1, ...
    """

    def __init__(self, optimizer: Optimizer, factor: float = 1.0 / 3, total_iters: int = 5,
                 last_epoch: int = -1) -> None:
        _require("ConstantLR", "factor", factor, 0 <= factor <= 1, "0 <= factor <= 1")
        self.factor = factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0:
            return [lr * self.factor for lr in self._current_lrs()]
        if self.last_epoch != self.total_iters:
            return self._current_lrs()
        return [lr * (1.0 / self.factor) for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        factor = self.factor + (self.last_epoch >= self.total_iters) * (1 - self.factor)
        return [base * factor for base in self.base_lrs]


class PolynomialLR(LRScheduler):
    """η_t = η_0 · (1 - min(t, T) / T)^p: a polynomial decay to 0 at t = T.

    T = total_iters (default 5), p = power (default 1: linear decay).

    Example: η_0 = 1, T = 4, p = 2 gives 1, 0.5625, 0.25, 0.0625, 0, 0, ...
    """

    def __init__(self, optimizer: Optimizer, total_iters: int = 5, power: float = 1.0,
                 last_epoch: int = -1) -> None:
        _require("PolynomialLR", "total_iters", total_iters, _is_positive_int(total_iters),
                 "a positive integer")
        self.total_iters = total_iters
        self.power = power
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        t, T = self.last_epoch, self.total_iters
        if self._is_initial or t > T:
            return self._current_lrs()
        # factor(t) / factor(t - 1), applied to the current lr
        ratio = ((1.0 - t / T) / (1.0 - (t - 1) / T)) ** self.power
        return [lr * ratio for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        factor = (1.0 - min(self.total_iters, self.last_epoch) / self.total_iters) ** self.power
        return [base * factor for base in self.base_lrs]


class ChainedScheduler(LRScheduler):
    """Step several schedulers at once: η_t is what they give applied one after the other.

        η_t = S_k(... S_2(S_1(η_{t-1})))      (each S_i the chainable update of schedulers[i])

    Example: ``ChainedScheduler([ConstantLR(opt, 0.1, total_iters=2), ExponentialLR(opt, 0.9)])``
    gives 0.1, 0.09, 0.81, 0.729, ... times η_0.

    Args:
        schedulers: the schedulers, all of the same optimizer (ReduceLROnPlateau cannot be
            chained: its step needs a metric).
        optimizer: that optimizer (default: the first scheduler's).
    """

    def __init__(self, schedulers: Sequence[LRScheduler],
                 optimizer: Optional[Optimizer] = None) -> None:
        if len(schedulers) < 1:
            raise ValueError("ChainedScheduler: expected at least one scheduler to chain, got none")
        for i, scheduler in enumerate(schedulers):
            if not hasattr(scheduler, "optimizer"):
                raise TypeError(f"ChainedScheduler: scheduler {i} ({type(scheduler).__name__}) has "
                                "no optimizer")
        optimizer = optimizer or schedulers[0].optimizer
        for i, scheduler in enumerate(schedulers):
            if isinstance(scheduler, ReduceLROnPlateau):
                raise ValueError(f"ChainedScheduler: scheduler {i} is a ReduceLROnPlateau, which "
                                 "cannot be chained: its step() needs the metric")
            if scheduler.optimizer is not optimizer:
                raise ValueError(f"ChainedScheduler: all schedulers must belong to the same "
                                 f"optimizer, but scheduler {i} ({type(scheduler).__name__}) does "
                                 "not")
        self._schedulers = list(schedulers)
        self.optimizer = optimizer
        self._last_lr = [group["lr"] for group in self._schedulers[-1].optimizer.param_groups]

    def step(self) -> None:  # type: ignore[override]  # as torch's: no epoch to jump to
        """Step every scheduler, in order."""
        for scheduler in self._schedulers:
            scheduler.step()
        self._last_lr = [group["lr"] for group in self._schedulers[-1].optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        """Every attribute but the optimizer, with each inner scheduler's own state dict in place of
        the schedulers.
        """
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "_schedulers")}
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore ``state_dict``, and each inner scheduler from its saved state dict."""
        state = dict(state_dict)
        saved = state.pop("_schedulers")
        self.__dict__.update(state)
        for scheduler, s in zip(self._schedulers, saved):
            scheduler.load_state_dict(s)


class CosineAnnealingWarmRestarts(LRScheduler):
    """η = η_min + (η_0 - η_min) (1 + cos(π T_cur / T_i)) / 2, restarting at η_0 every T_i epochs.

    T_cur counts the epochs since the last restart; the first period is T_0 and each restart
    multiplies it by T_mult (periods T_0, T_0 T_mult, T_0 T_mult², ...). ``step(epoch)`` takes
    fractional epochs (e.g. ``epoch + i / iters_per_epoch`` once per batch), as in torch.

    Reference: Loshchilov & Hutter, "SGDR: Stochastic Gradient Descent with Warm Restarts",
    ICLR 2017.
    Example: T_0 = 2, T_mult = 2 restarts at epochs 2, 6, 14, ...
    """

    def __init__(self, optimizer: Optimizer, T_0: int, T_mult: int = 1, eta_min: float = 0.0,
                 last_epoch: int = -1) -> None:
        name = "CosineAnnealingWarmRestarts"
        _require(name, "T_0", T_0, _is_positive_int(T_0), "a positive integer")
        _require(name, "T_mult", T_mult, isinstance(T_mult, numbers.Integral) and T_mult >= 1,
                 "an integer >= 1")
        if not isinstance(eta_min, (float, int)):
            raise ValueError(f"{name}: invalid eta_min={eta_min!r}; expected a float or int, got "
                             f"{type(eta_min).__name__}")
        self.T_0 = T_0
        self.T_i = T_0
        self.T_mult = T_mult
        self.eta_min = eta_min
        self.T_cur: float = last_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        cosine = (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2
        return [self.eta_min + (base - self.eta_min) * cosine for base in self.base_lrs]

    def step(self, epoch: Optional[float] = None) -> None:
        """Advance one epoch (or jump to ``epoch``, which may be fractional) and set the lrs.

        Without an argument T_cur ← T_cur + 1, restarting (T_cur ← T_cur - T_i,
        T_i ← T_i T_mult) when it reaches T_i. With one, T_cur and T_i are those of that epoch:
        epoch mod T_0 when T_mult = 1, else with n = floor(log_{T_mult}(epoch / T_0
        (T_mult - 1) + 1)) restarts so far, T_cur = epoch - T_0 (T_mult^n - 1) / (T_mult - 1)
        and T_i = T_0 T_mult^n.
        """
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur = self.T_cur + 1
            if self.T_cur >= self.T_i:
                self.T_cur = self.T_cur % self.T_i
                self.T_i = self.T_i * self.T_mult
        else:
            if epoch < 0:
                raise ValueError(f"CosineAnnealingWarmRestarts.step: expected a non-negative "
                                 f"epoch, got {epoch}")
            if epoch >= self.T_0:
                if self.T_mult == 1:
                    self.T_cur = epoch % self.T_0
                else:
                    n = int(math.log(epoch / self.T_0 * (self.T_mult - 1) + 1, self.T_mult))
                    self.T_cur = epoch - self.T_0 * (self.T_mult ** n - 1) / (self.T_mult - 1)
                    self.T_i = self.T_0 * self.T_mult ** n
            else:
                self.T_i = self.T_0
                self.T_cur = epoch
        self.last_epoch = math.floor(epoch)
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]


def _per_group(owner: str, name: str, optimizer: Optimizer, value: Any) -> list[Any]:
    """One value per parameter group: a list or tuple of that length, or one value for all."""
    groups = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != groups:
            raise ValueError(f"{owner}: {name} must have one value per parameter group: got "
                             f"{len(value)} values for {groups} groups")
        return list(value)
    return [value] * groups


def _momentum_key(owner: str, optimizer: Optimizer) -> bool:
    """'betas' for Adam-like optimizers (β1 is cycled), 'momentum' for SGD-like ones."""
    if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
        raise ValueError(f"{owner}: optimizer must support momentum or beta1 with the "
                         f"cycle_momentum option enabled ({type(optimizer).__name__} has neither "
                         "'momentum' nor 'betas')")
    return "betas" in optimizer.defaults


def _set_momentum(group: dict[str, Any], use_beta1: bool, momentum: float) -> None:
    if use_beta1:
        group["betas"] = (momentum, *group["betas"][1:])
    else:
        group["momentum"] = momentum


class CyclicLR(LRScheduler):
    """η_t = η_base + (η_max - η_base) · tri(t) · s: a triangular wave between base_lr and max_lr.

    With a cycle of S = step_size_up + step_size_down iterations, cycle c = floor(1 + t / S) and
    x = 1 + t / S - c ∈ [0, 1): tri = x / r while x <= r (r = step_size_up / S), else
    (x - 1) / (r - 1). The amplitude scale s is 1 ('triangular'), 1 / 2^(c - 1)
    ('triangular2'), γ^t ('exp_range'), or ``scale_fn`` of c or of t (``scale_mode``). With
    ``cycle_momentum`` the momentum (β1 for Adam-like optimizers) runs the other way:
    μ_t = μ_max - (μ_max - μ_base) · tri(t) · s. Step once per batch.

    Reference: Smith, "Cyclical Learning Rates for Training Neural Networks", WACV 2017.
    Example: base_lr 0.1, max_lr 1, step_size_up 2: 0.1, 0.55, 1, 0.55, 0.1, 0.55, ...
    """

    def __init__(self, optimizer: Optimizer, base_lr: Union[float, list[float]],
                 max_lr: Union[float, list[float]], step_size_up: int = 2000,
                 step_size_down: Optional[int] = None, mode: str = "triangular",
                 gamma: float = 1.0, scale_fn: Optional[Callable[[float], float]] = None,
                 scale_mode: str = "cycle", cycle_momentum: bool = True,
                 base_momentum: Union[float, list[float]] = 0.8,
                 max_momentum: Union[float, list[float]] = 0.9, last_epoch: int = -1) -> None:
        name = "CyclicLR"
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{name}: {type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        base_lrs = _per_group(name, "base_lr", optimizer, base_lr)
        if last_epoch == -1:
            for lr, group in zip(base_lrs, optimizer.param_groups):
                group["lr"] = lr
        self.max_lrs = _per_group(name, "max_lr", optimizer, max_lr)
        up = float(step_size_up)
        down = float(step_size_down) if step_size_down is not None else up
        _require(name, "step_size_up", up, up + down > 0, "step_size_up + step_size_down > 0")
        self.total_size = up + down
        self.step_ratio = up / self.total_size
        if mode not in ("triangular", "triangular2", "exp_range") and scale_fn is None:
            raise ValueError(f"{name}: invalid mode={mode!r} and no scale_fn; expected "
                             "'triangular', 'triangular2' or 'exp_range'")
        _require(name, "scale_mode", scale_mode, scale_mode in ("cycle", "iterations"),
                 "'cycle' or 'iterations'")
        self.mode = mode
        self.gamma = gamma
        self._scale_fn_custom = scale_fn
        self.scale_mode = scale_mode
        self._init_scale_fn()
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self.use_beta1 = _momentum_key(name, optimizer)
            self.base_momentums = _per_group(name, "base_momentum", optimizer, base_momentum)
            self.max_momentums = _per_group(name, "max_momentum", optimizer, max_momentum)
            if last_epoch == -1:
                for high, low, group in zip(self.max_momentums, self.base_momentums,
                                            optimizer.param_groups):
                    _set_momentum(group, self.use_beta1, high)
                    group["max_momentum"] = high
                    group["base_momentum"] = low
        super().__init__(optimizer, last_epoch)
        self.base_lrs = base_lrs

    def _init_scale_fn(self) -> None:
        # the built-in modes fix the scale mode (as in torch)
        if self._scale_fn_custom is None:
            self.scale_mode = "iterations" if self.mode == "exp_range" else "cycle"

    def scale_fn(self, x: float) -> float:
        """The amplitude scale s at x (the cycle number or the iteration, per ``scale_mode``)."""
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        if self.mode == "triangular":
            return 1.0
        if self.mode == "triangular2":
            return 1 / (2.0 ** (x - 1))
        return self.gamma ** x

    def get_lr(self) -> list[float]:
        cycle = math.floor(1 + self.last_epoch / self.total_size)
        x = 1.0 + self.last_epoch / self.total_size - cycle
        if x <= self.step_ratio:
            scale_factor = x / self.step_ratio
        else:
            scale_factor = (x - 1) / (self.step_ratio - 1)
        scale = self.scale_fn(cycle if self.scale_mode == "cycle" else self.last_epoch)
        lrs = [base + (high - base) * scale_factor * scale
               for base, high in zip(self.base_lrs, self.max_lrs)]
        if self.cycle_momentum:
            for group, low, high in zip(self.optimizer.param_groups, self.base_momentums,
                                        self.max_momentums):
                _set_momentum(group, self.use_beta1, high - (high - low) * scale_factor * scale)
        return lrs

    def state_dict(self) -> dict[str, Any]:
        """Every attribute but the optimizer; a custom ``scale_fn`` is saved as its ``__dict__``
        if it is a callable object, as None if a plain function (which cannot be saved).
        """
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer",)}
        fn = state.pop("_scale_fn_custom")
        state["_scale_fn_custom"] = (None if fn is None or isinstance(fn, types.FunctionType)
                                     else dict(fn.__dict__))
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore ``state_dict``; a saved callable object's ``__dict__`` goes back into this
        scheduler's ``scale_fn``.
        """
        state = dict(state_dict)
        fn = state.pop("_scale_fn_custom", None)
        state.pop("_scale_fn_ref", None)
        self.__dict__.update(state)
        if fn is not None:
            self._scale_fn_custom.__dict__.update(fn)
        self._init_scale_fn()


class OneCycleLR(LRScheduler):
    """The 1cycle policy: η rises from max_lr / d to max_lr, then anneals to max_lr / (d · d_f).

    Over T = total_steps (or epochs · steps_per_epoch) steps, with p = pct_start, the phases
    (each annealed by ``anneal_strategy``: 'cos' a(s, e, u) = e + (s - e)(1 + cos(π u)) / 2,
    'linear' a = s + (e - s) u, u the fraction of the phase done) are::

        two phases (default):  η_0 → η_max over steps [0, pT - 1], η_max → η_min to T - 1
        three_phase:           η_0 → η_max, η_max → η_0 (to 2pT - 2), η_0 → η_min (to T - 1)

    with η_0 = max_lr / div_factor and η_min = η_0 / final_div_factor. With
    ``cycle_momentum`` the momentum (β1 for Adam-like optimizers) runs the other way, between
    max_momentum and base_momentum. Not chainable; step once per batch, T times at most.

    Reference: Smith & Topin, "Super-Convergence: Very Fast Training of Neural Networks Using
    Large Learning Rates", 2017.
    """

    def __init__(self, optimizer: Optimizer, max_lr: Union[float, list[float]],
                 total_steps: Optional[int] = None, epochs: Optional[int] = None,
                 steps_per_epoch: Optional[int] = None, pct_start: float = 0.3,
                 anneal_strategy: str = "cos", cycle_momentum: bool = True,
                 base_momentum: Union[float, list[float]] = 0.85,
                 max_momentum: Union[float, list[float]] = 0.95, div_factor: float = 25.0,
                 final_div_factor: float = 1e4, three_phase: bool = False,
                 last_epoch: int = -1) -> None:
        name = "OneCycleLR"
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{name}: {type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        if total_steps is not None:
            _require(name, "total_steps", total_steps, _is_positive_int(total_steps),
                     "a positive integer")
            self.total_steps = total_steps
        elif epochs is not None and steps_per_epoch is not None:
            _require(name, "epochs", epochs, _is_positive_int(epochs), "a positive integer")
            _require(name, "steps_per_epoch", steps_per_epoch, _is_positive_int(steps_per_epoch),
                     "a positive integer")
            self.total_steps = epochs * steps_per_epoch
        else:
            raise ValueError(f"{name}: define either total_steps or both epochs and "
                             f"steps_per_epoch (got total_steps={total_steps}, epochs={epochs}, "
                             f"steps_per_epoch={steps_per_epoch})")
        T = self.total_steps
        rise = {"start_lr": "initial_lr", "end_lr": "max_lr",
                "start_momentum": "max_momentum", "end_momentum": "base_momentum"}
        self._schedule_phases: list[dict[str, Any]]
        if three_phase:
            self._schedule_phases = [
                {"end_step": float(pct_start * T) - 1, **rise},
                {"end_step": float(2 * pct_start * T) - 2, "start_lr": "max_lr",
                 "end_lr": "initial_lr", "start_momentum": "base_momentum",
                 "end_momentum": "max_momentum"},
                {"end_step": T - 1, "start_lr": "initial_lr", "end_lr": "min_lr",
                 "start_momentum": "max_momentum", "end_momentum": "max_momentum"},
            ]
        else:
            self._schedule_phases = [
                {"end_step": float(pct_start * T) - 1, **rise},
                {"end_step": T - 1, "start_lr": "max_lr", "end_lr": "min_lr",
                 "start_momentum": "base_momentum", "end_momentum": "max_momentum"},
            ]
        _require(name, "pct_start", pct_start, isinstance(pct_start, float) and 0 <= pct_start <= 1,
                 "a float between 0 and 1")
        _require(name, "anneal_strategy", anneal_strategy, anneal_strategy in ("cos", "linear"),
                 "'cos' or 'linear'")
        self._anneal_func_type = anneal_strategy
        max_lrs = _per_group(name, "max_lr", optimizer, max_lr)
        if last_epoch == -1:
            for high, group in zip(max_lrs, optimizer.param_groups):
                group["initial_lr"] = high / div_factor
                group["max_lr"] = high
                group["min_lr"] = group["initial_lr"] / final_div_factor
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self.use_beta1 = _momentum_key(name, optimizer)
            highs = _per_group(name, "max_momentum", optimizer, max_momentum)
            lows = _per_group(name, "base_momentum", optimizer, base_momentum)
            if last_epoch == -1:
                for high, low, group in zip(highs, lows, optimizer.param_groups):
                    _set_momentum(group, self.use_beta1, high)
                    group["max_momentum"] = high
                    group["base_momentum"] = low
        super().__init__(optimizer, last_epoch)

    def _anneal(self, start: float, end: float, pct: float) -> float:
        if self._anneal_func_type == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_lr(self) -> list[float]:
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(f"OneCycleLR: tried to step {step} times, but total_steps is "
                             f"{self.total_steps}")
        lrs = []
        last = len(self._schedule_phases) - 1
        for group in self.optimizer.param_groups:
            start = 0.0
            for i, phase in enumerate(self._schedule_phases):
                end = phase["end_step"]
                if step <= end or i == last:
                    pct = (step - start) / (end - start)
                    lrs.append(self._anneal(group[phase["start_lr"]], group[phase["end_lr"]], pct))
                    if self.cycle_momentum:
                        _set_momentum(group, self.use_beta1,
                                      self._anneal(group[phase["start_momentum"]],
                                                   group[phase["end_momentum"]], pct))
                    break
                start = phase["end_step"]
        return lrs
