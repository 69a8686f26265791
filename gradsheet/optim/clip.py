"""Gradient clipping, in place on ``p.grad``: by the global norm, or elementwise by value."""
import math

import numpy as np

from .. import backend
from ..autograd.tensor import Tensor, as_tensor


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Rescale all gradients together so that their global norm is at most ``max_norm``.

        N = ‖(‖g_1‖_p, ‖g_2‖_p, ...)‖_p         (the p-norm of all gradients as one vector)
        g_i ← g_i · min(1, max_norm / (N + 1e-6))

    Args:
        parameters: a Tensor or an iterable of Tensors; those whose ``.grad`` is None are skipped.
        max_norm: the largest global norm allowed (>= 0).
        norm_type: p, a positive number or ``inf`` (max |g|) (default 2).
        error_if_nonfinite: raise if N is nan or inf instead of scaling by it (default False).

    Returns:
        N, the global norm before clipping, as a 0-d Tensor.

    Example: gradients (3, 4) with max_norm 1 have N = 5 and become (0.6, 0.8) (times 5/5.000001).
    """
    grads = [p.grad.array for p in _as_list(parameters) if p.grad is not None]
    max_norm, norm_type = float(max_norm), float(norm_type)
    if max_norm < 0 or math.isnan(max_norm):
        raise ValueError(f"clip_grad_norm_: invalid max_norm={max_norm}; expected max_norm >= 0")
    if not norm_type > 0:
        raise ValueError(f"clip_grad_norm_: invalid norm_type={norm_type}; expected a positive "
                         "number or inf")
    if not grads:
        return as_tensor(np.zeros((), dtype=backend.get_default_dtype()))
    norms = np.array([_norm(g, norm_type) for g in grads], dtype=grads[0].dtype)
    total = _norm(norms, norm_type)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} of the gradients "
                           f"is {total}, so they cannot be clipped; pass error_if_nonfinite=False "
                           "to scale them by the non-finite norm anyway")
    coef = max_norm / (total + 1e-6)  # a numpy scalar of the gradients' dtype (NEP 50)
    if not coef >= 1.0:  # a nan norm makes every gradient nan, as in torch
        with np.errstate(invalid="ignore"):  # inf · 0 (an inf norm) is nan too, silently
            for g in grads:
                np.multiply(g, coef, g)
    return as_tensor(np.asarray(total))


def clip_grad_value_(parameters, clip_value):
    """Clamp every gradient entry to [-clip_value, clip_value], in place:  g ← min(max(g, -c), c).

    Args:
        parameters: a Tensor or an iterable of Tensors; those whose ``.grad`` is None are skipped.
        clip_value: c (>= 0).
    """
    clip_value = float(clip_value)
    if not clip_value >= 0:
        raise ValueError(f"clip_grad_value_: invalid clip_value={clip_value}; "
                         "expected clip_value >= 0")
    for p in _as_list(parameters):
        if p.grad is not None:
            np.clip(p.grad.array, -clip_value, clip_value, out=p.grad.array)


def _as_list(parameters):
    return [parameters] if isinstance(parameters, Tensor) else list(parameters)


def _norm(x, p):
    """‖x‖_p of a flat view of ``x``, as a 0-d array of its dtype."""
    x = x.reshape(-1)
    if p == 2:
        return np.sqrt(np.dot(x, x))  # one BLAS call, no temporary
    if p == math.inf:
        return np.max(np.abs(x), initial=x.dtype.type(0))
    return np.sum(np.abs(x) ** p) ** (1 / p)
