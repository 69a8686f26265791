"""Learning-rate schedules: α (the cheat sheet's learning rate) as a function of the epoch t.

Each scheduler sets ``group['lr']`` of its optimizer's parameter groups; call
``scheduler.step()`` once per epoch (or per iteration), after ``optimizer.step()``.
Every docstring gives the closed form η_t = f(t, η_0), η_0 being a group's initial lr.
The updates themselves follow PyTorch's chainable form (the new lr computed from
the current one), so schedulers compose (``SequentialLR``) and the lr sequence
matches ``torch.optim.lr_scheduler`` number for number.
"""
import itertools
import math
import numbers
import types
from bisect import bisect_right
from collections import Counter

from .optimizer import Optimizer


def _is_positive_int(value):
    return isinstance(value, numbers.Integral) and value > 0


def _require(owner, key, value, holds, rule):
    if not holds:
        raise ValueError(f"{owner}: invalid {key}={value!r}; expected {rule}")


class _SchedulerState:
    """What every scheduler shares: the last lrs it set, and its state as a dict."""

    def get_last_lr(self):
        """The lrs the last ``step()`` set, one per parameter group."""
        return list(self._last_lr)

    def state_dict(self):
        """Every attribute but the optimizer (the format of torch's schedulers)."""
        return {key: value for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict):
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

    def __init__(self, optimizer, last_epoch=-1):
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

    def _initial_step(self):
        self._step_count = 0  # step() calls so far; kept so torch's scheduler states load
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def step(self):
        """Advance one epoch: t ← t + 1, then set every group's lr to η_t."""
        self._step_count += 1
        self._update_lr()

    def _update_lr(self, epoch=None):
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:
            self.last_epoch = epoch
            values = self._get_closed_form_lr()
        for group, lr in zip(self.optimizer.param_groups, values):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_lr(self):
        """The next lr of every group, from the current ones (call ``step()``, not this)."""
        raise NotImplementedError

    def _get_closed_form_lr(self):
        return self.get_lr()

    def _current_lrs(self):
        return [group["lr"] for group in self.optimizer.param_groups]


class LambdaLR(LRScheduler):
    """η_t = η_0 · λ(t), with λ a function of the epoch (one per group, or one for all).

    Example: ``LambdaLR(opt, lambda t: 0.95 ** t)`` decays by 5% per epoch.
    """

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        groups = len(optimizer.param_groups)
        if isinstance(lr_lambda, (list, tuple)):
            if len(lr_lambda) != groups:
                raise ValueError(f"LambdaLR: expected {groups} lr_lambdas (one per parameter "
                                 f"group), got {len(lr_lambda)}")
            self.lr_lambdas = list(lr_lambda)
        else:
            self.lr_lambdas = [lr_lambda] * groups
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [base * fn(self.last_epoch) for fn, base in zip(self.lr_lambdas, self.base_lrs)]

    def state_dict(self):
        """As the base's, with each lambda's ``__dict__`` if it is a callable object (plain
        functions cannot be saved: they are stored as None and kept as they are on load)."""
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "lr_lambdas")}
        state["lr_lambdas"] = [None if isinstance(fn, types.FunctionType) else dict(fn.__dict__)
                               for fn in self.lr_lambdas]
        return state

    def load_state_dict(self, state_dict):
        """Restore ``state_dict``; each callable object's saved ``__dict__`` is written back into
        the matching lambda (plain functions, saved as None, stay as they are).
        """
        state = dict(state_dict)
        lambdas = state.pop("lr_lambdas")
        self.__dict__.update(state)
        for fn, saved in zip(self.lr_lambdas, lambdas):
            if saved is not None:
                fn.__dict__.update(saved)


class StepLR(LRScheduler):
    """η_t = η_0 · γ^floor(t / step_size): multiply by γ every ``step_size`` epochs.

    Example: η_0 = 0.1, step_size = 2, γ = 0.5 gives 0.1, 0.1, 0.05, 0.05, 0.025, ...
    """

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        _require("StepLR", "step_size", step_size, _is_positive_int(step_size),
                 "a positive integer")
        _require("StepLR", "gamma", gamma, gamma >= 0, "gamma >= 0")
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]

    def _get_closed_form_lr(self):
        return [base * self.gamma ** (self.last_epoch // self.step_size)
                for base in self.base_lrs]


class MultiStepLR(LRScheduler):
    """η_t = η_0 · γ^(number of milestones <= t): multiply by γ at each milestone epoch.

    Example: milestones [2, 5], γ = 0.1: η_0 for t < 2, η_0/10 for 2 <= t < 5, then η_0/100.
    """

    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1):
        _require("MultiStepLR", "gamma", gamma, gamma >= 0, "gamma >= 0")
        self.milestones = Counter(milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch not in self.milestones:
            return self._current_lrs()
        factor = self.gamma ** self.milestones[self.last_epoch]
        return [lr * factor for lr in self._current_lrs()]

    def _get_closed_form_lr(self):
        milestones = sorted(self.milestones.elements())
        return [base * self.gamma ** bisect_right(milestones, self.last_epoch)
                for base in self.base_lrs]


class ExponentialLR(LRScheduler):
    """η_t = η_0 · γ^t: multiply by γ every epoch."""

    def __init__(self, optimizer, gamma, last_epoch=-1):
        _require("ExponentialLR", "gamma", gamma, gamma >= 0, "gamma >= 0")
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self._is_initial:  # resuming at last_epoch: keep the loaded lr, do not step ahead
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]

    def _get_closed_form_lr(self):
        return [base * self.gamma ** self.last_epoch for base in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """η_t = η_min + (η_0 - η_min) (1 + cos(π t / T_max)) / 2: half a cosine from η_0 to η_min.

    Past T_max the curve continues (rising back to η_0 at 2 T_max), as in torch.

    Reference: Loshchilov & Hutter, "SGDR: Stochastic Gradient Descent with Warm Restarts",
    ICLR 2017.
    """

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        _require("CosineAnnealingLR", "T_max", T_max, T_max > 0, "T_max > 0")
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        t, T, eta_min = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return self._current_lrs()
        if (t - 1 - T) % (2 * T) == 0:  # at the trough the ratio below would divide by zero
            return [lr + (base - eta_min) * (1 - math.cos(math.pi / T)) / 2
                    for base, lr in zip(self.base_lrs, self._current_lrs())]
        # the ratio of successive closed forms, applied to the current lr
        ratio = (1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T))
        return [ratio * (lr - eta_min) + eta_min for lr in self._current_lrs()]

    def _get_closed_form_lr(self):
        cosine = (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
        return [self.eta_min + (base - self.eta_min) * cosine for base in self.base_lrs]


class LinearLR(LRScheduler):
    """η_t = η_0 · (s + (e - s) · min(t, T) / T): a linear ramp of the factor from s to e.

    With s < 1 = e this is the usual linear warm-up; s = start_factor (default 1/3),
    e = end_factor (default 1), T = total_iters (default 5).

    Example: η_0 = 1, s = 0.25, T = 3 gives 0.25, 0.5, 0.75, 1, 1, ...
    """

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5,
                 last_epoch=-1):
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

    def get_lr(self):
        s, e, T, t = self.start_factor, self.end_factor, self.total_iters, self.last_epoch
        if t == 0:
            return [lr * s for lr in self._current_lrs()]
        if self._is_initial or t > T:
            return self._current_lrs()
        # factor(t) / factor(t - 1), applied to the current lr
        ratio = 1.0 + (e - s) / (T * s + (t - 1) * (e - s))
        return [lr * ratio for lr in self._current_lrs()]

    def _get_closed_form_lr(self):
        s, e, T = self.start_factor, self.end_factor, self.total_iters
        return [base * (s + (e - s) * min(T, self.last_epoch) / T) for base in self.base_lrs]


class SequentialLR(LRScheduler):
    """Run ``schedulers[i]`` from epoch ``milestones[i-1]`` on, each restarted at its own t = 0.

        η_t = schedulers[i].η_(t - milestones[i-1])   for milestones[i-1] <= t < milestones[i]

    Example (warm-up then cosine): ``SequentialLR(opt, [LinearLR(opt, 0.1, total_iters=5),
    CosineAnnealingLR(opt, T_max=95)], milestones=[5])``.
    """

    def __init__(self, optimizer, schedulers, milestones, last_epoch=-1):
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

    def _recursive_undo(self, scheduler=None):
        scheduler = self if scheduler is None else scheduler
        if hasattr(scheduler, "_schedulers"):
            for inner in scheduler._schedulers:
                self._recursive_undo(inner)
        elif hasattr(scheduler, "last_epoch"):
            scheduler.last_epoch -= 1

    def step(self):
        self.last_epoch += 1
        i = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[i]
        if i > 0 and self._milestones[i - 1] == self.last_epoch:
            scheduler._update_lr(0)  # a fresh start: jump to its epoch 0
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()

    def state_dict(self):
        """Every attribute but the optimizer, with each inner scheduler's own state dict in place of
        the schedulers.
        """
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "_schedulers")}
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def load_state_dict(self, state_dict):
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

    def __init__(self, optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4,
                 threshold_mode="rel", cooldown=0, min_lr=0, eps=1e-8):
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

    def _improves(self, metric):
        if self.threshold_mode == "rel":
            scale = 1 - self.threshold if self.mode == "min" else 1 + self.threshold
            bound = self.best * scale
        else:
            bound = self.best - self.threshold if self.mode == "min" else self.best + self.threshold
        return metric < bound if self.mode == "min" else metric > bound

    def step(self, metrics):
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
