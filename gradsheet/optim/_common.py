"""Pieces shared by the optimizers that follow torch 2.13's signatures and messages.

``torch_rule`` builds a validation rule whose ValueError carries torch's own message
("Adadelta: Invalid learning rate: -1 (expected lr >= 0)"); ``pair`` keeps the betas a
rule can name (None stays None, not ``tuple(None)``'s bare TypeError); ``lerp`` is torch's two-branch
linear interpolation, so moment updates round as torch's do; ``scalar_dtype`` is the dtype
torch gives its 0-d state (step counts, NAdam's μ product, ASGD's η and μ).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Optional

import numpy as np

from ..backend import get_default_dtype


# a rule for Optimizer._rules: (key, predicate(group), message(group), rule)
Rule = tuple[str, Callable[[dict[str, Any]], Any], Callable[[dict[str, Any]], str], str]


def torch_rule(key: str, holds: Callable[[dict[str, Any]], Any], message: str,
               rule: str) -> Rule:
    """A rule for ``Optimizer._rules``: ``message`` is torch's text, formatted with the group."""
    return (key, holds, lambda group: message.format(**group, beta0=_beta(group, 0),
                                                     beta1=_beta(group, 1)), rule)


def _beta(group: dict[str, Any], i: int) -> Any:
    betas = group.get("betas")
    return betas[i] if betas is not None else None


LR = torch_rule("lr", lambda g: g["lr"] >= 0, "Invalid learning rate: {lr}", "lr >= 0")
EPS = torch_rule("eps", lambda g: g["eps"] >= 0, "Invalid epsilon value: {eps}", "eps >= 0")
WEIGHT_DECAY = torch_rule("weight_decay", lambda g: g["weight_decay"] >= 0,
                          "Invalid weight_decay value: {weight_decay}", "weight_decay >= 0")
BETAS = (
    torch_rule("betas", lambda g: 0 <= g["betas"][0] < 1,
               "Invalid beta parameter at index 0: {beta0}", "0 <= betas[0] < 1"),
    torch_rule("betas", lambda g: 0 <= g["betas"][1] < 1,
               "Invalid beta parameter at index 1: {beta1}", "0 <= betas[1] < 1"),
)


def pair(betas: Any) -> Any:
    """``betas`` as a tuple when it is a sequence (a list, a tuple, a tensor), else unchanged, so
    that the BETAS rules name what the caller passed ("Adam: betas must be a pair of numbers,
    got NoneType None") instead of ``tuple(None)``'s "'NoneType' object is not iterable"."""
    if isinstance(betas, Iterable) and not isinstance(betas, (str, bytes)):
        return tuple(betas)
    return betas


def torch_options(name: str, defaults: dict[str, Any], foreach: Optional[bool], capturable: bool,
                  differentiable: bool) -> dict[str, Any]:
    """Record torch's implementation switches in ``defaults`` (so state dicts carry them).

    ``foreach`` (batched kernels) and ``capturable`` (CUDA graphs) change nothing here: every
    update is already one NumPy ufunc per parameter and state. ``differentiable=True`` (a
    step that autograd can see through) is not supported: steps write ``p.array`` in place.
    """
    if differentiable:
        raise NotImplementedError(f"{name}: differentiable=True is not supported: gradsheet's "
                                  "optimizers update the parameters' arrays in place, outside "
                                  "autograd")
    defaults.update(foreach=foreach, capturable=capturable, differentiable=differentiable)
    return defaults


def scalar_dtype() -> np.dtype:
    """torch's dtype for 0-d optimizer state: float64 under a float64 default dtype, else float32."""
    return np.dtype(np.float64) if get_default_dtype() == np.float64 else np.dtype(np.float32)


def lerp(start: np.ndarray, end: np.ndarray, weight: float, out: np.ndarray) -> np.ndarray:
    """start ← start + w (end - start) as torch computes it (w < 0.5; else end - (end - start)(1 - w)).

    ``out`` is a scratch array; ``start`` is updated in place and returned.
    """
    np.subtract(end, start, out)
    if abs(weight) < 0.5:
        np.multiply(out, weight, out)
        return np.add(start, out, start)
    np.multiply(out, 1.0 - weight, out)
    return np.subtract(end, out, start)
