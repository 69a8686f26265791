"""Gradient clipping, in place on ``p.grad``: by the global norm, or elementwise by value."""
from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any, Optional, Union

import numpy as np

from .. import backend
from ..autograd.tensor import Tensor, as_tensor

# a Tensor or an iterable of them (torch.nn.utils.clip_grad._tensor_or_tensors)
_TensorOrTensors = Union[Tensor, Iterable[Tensor]]


def clip_grad_norm_(parameters: _TensorOrTensors, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach: Optional[bool] = None) -> Tensor:
    """Rescale all gradients together so that their global norm is at most ``max_norm``.

        N = ‖(‖g_1‖_p, ‖g_2‖_p, ...)‖_p         (the p-norm of all gradients as one vector)
        g_i ← g_i · min(1, max_norm / (N + 1e-6))

    Args:
        parameters: a Tensor or an iterable of Tensors; those whose ``.grad`` is None are skipped.
        max_norm: the largest global norm allowed (>= 0).
        norm_type: p, a positive number or ``inf`` (max |g|) (default 2).
        error_if_nonfinite: raise if N is nan or inf instead of scaling by it (default False).
        foreach: accepted for torch's signature (None, True or False); NumPy has one code path.

    Returns:
        N, the global norm before clipping, as a 0-d Tensor (of the gradients' promoted dtype).

    Example: gradients (3, 4) with max_norm 1 have N = 5 and become (0.6, 0.8) (times 5/5.000001).
    ``get_total_norm`` followed by ``clip_grads_with_norm_`` is the same computation.
    """
    parameters = _as_list(parameters)
    max_norm = _check_max_norm(max_norm, "clip_grad_norm_")
    grads = [g for g in (p.grad for p in parameters) if g is not None]
    total = _total_norm(grads, norm_type, error_if_nonfinite, foreach, "clip_grad_norm_")
    _scale(grads, max_norm, total.array)
    return total


def get_total_norm(tensors: Union[Tensor, Iterable[Optional[Tensor]]], norm_type: float = 2.0,
                   error_if_nonfinite: bool = False, foreach: Optional[bool] = None) -> Tensor:
    """N = ‖(‖t_1‖_p, ‖t_2‖_p, ...)‖_p: the p-norm of all ``tensors`` as one vector (usually the
    gradients, ``[p.grad for p in params]``), as a 0-d Tensor; 0 for no tensors. Arguments as in
    ``clip_grad_norm_``.
    """
    present = [t for t in _as_list(tensors) if t is not None]
    return _total_norm(present, norm_type, error_if_nonfinite, foreach, "get_total_norm")


def clip_grads_with_norm_(parameters: _TensorOrTensors, max_norm: float, total_norm: Tensor,
                          foreach: Optional[bool] = None) -> None:
    """g_i ← g_i · min(1, max_norm / (total_norm + 1e-6)) for every parameter's gradient, in place,
    with ``total_norm`` precomputed (``get_total_norm``): the second half of ``clip_grad_norm_``.
    """
    _check_foreach(foreach, "clip_grads_with_norm_")
    max_norm = _check_max_norm(max_norm, "clip_grads_with_norm_")
    if not isinstance(total_norm, Tensor):
        raise TypeError(f"clip_grads_with_norm_: total_norm must be a Tensor (as get_total_norm "
                        f"returns), got {type(total_norm).__name__}")
    _scale([p.grad for p in _as_list(parameters) if p.grad is not None], max_norm,
           total_norm.array)


def _check_foreach(foreach: Any, op: str) -> None:
    if foreach is not None and not isinstance(foreach, bool):
        raise TypeError(f"{op}: foreach must be None, True or False, got {foreach!r}")


def _check_max_norm(max_norm: float, op: str) -> float:
    max_norm = float(max_norm)
    if max_norm < 0 or math.isnan(max_norm):
        raise ValueError(f"{op}: invalid max_norm={max_norm}; expected max_norm >= 0")
    return max_norm


def _total_norm(tensors: list[Tensor], norm_type: float, error_if_nonfinite: bool,
                foreach: Optional[bool], op: str) -> Tensor:
    _check_foreach(foreach, op)
    norm_type = float(norm_type)
    if not norm_type > 0:
        raise ValueError(f"{op}: invalid norm_type={norm_type}; expected a positive "
                         "number or inf")
    arrays = [t.array for t in tensors]
    if norm_type == math.inf and any(a.size == 0 for a in arrays):
        raise RuntimeError(f"{op}: cannot compute the inf norm of an empty gradient, because "
                           "max |g| has no identity (as torch's linalg.vector_norm)")
    if not arrays:
        return as_tensor(np.zeros((), dtype=backend.get_default_dtype()))
    norms = np.array([_norm(a, norm_type) for a in arrays], dtype=np.result_type(*arrays))
    total = _norm(norms, norm_type)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"{op}: the total norm of order {norm_type} of the gradients "
                           f"is {total}, so they cannot be clipped; pass error_if_nonfinite=False "
                           "to scale them by the non-finite norm anyway")
    return as_tensor(np.asarray(total))


def _scale(grads: list[Tensor], max_norm: float, total: np.ndarray) -> None:
    coef = max_norm / (total + 1e-6)  # an array of the norm's dtype (NEP 50)
    if not coef >= 1.0:  # a nan norm makes every gradient nan, as in torch
        with np.errstate(invalid="ignore"):  # inf · 0 (an inf norm) is nan too, silently
            for g in grads:
                np.multiply(g.array, coef, out=g.array, casting="unsafe")


def clip_grad_value_(parameters: _TensorOrTensors, clip_value: float,
                     foreach: Optional[bool] = None) -> None:
    """Clamp every gradient entry to [-clip_value, clip_value], in place:  g ← min(max(g, -c), c).

    Args:
        parameters: a Tensor or an iterable of Tensors; those whose ``.grad`` is None are skipped.
        clip_value: c (>= 0).
        foreach: accepted for torch's signature (None, True or False).
    """
    _check_foreach(foreach, "clip_grad_value_")
    clip_value = float(clip_value)
    if not clip_value >= 0:
        raise ValueError(f"clip_grad_value_: invalid clip_value={clip_value}; "
                         "expected clip_value >= 0")
    for p in _as_list(parameters):
        if p.grad is not None:
            np.clip(p.grad.array, -clip_value, clip_value, out=p.grad.array)


def _as_list(parameters: Union[Tensor, Iterable[Any]]) -> list[Any]:
    return [parameters] if isinstance(parameters, Tensor) else list(parameters)


def _norm(x: np.ndarray, p: float) -> np.ndarray:
    """‖x‖_p of a flat view of ``x``, as a 0-d array of its dtype."""
    x = x.reshape(-1)
    if p == 2:
        return np.sqrt(np.dot(x, x))  # one BLAS call, no temporary
    if p == math.inf:
        return np.max(np.abs(x), initial=x.dtype.type(0))
    return np.sum(np.abs(x) ** p) ** (1 / p)
