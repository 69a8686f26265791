"""Loss functions L(prediction, target): each one fused node with a hand-written gradient.

Every loss takes ``reduction``: 'mean' (the default), 'sum', or 'none' (the per-element or
per-sample losses, unreduced). Names, arguments, defaults and semantics follow
torch.nn.functional. One deliberate difference: where PyTorch broadcasts a pointwise loss's
target of another shape (with a warning), gradsheet raises ValueError naming both shapes; the
usual cause is an (N, 1) prediction against an (N,) target, silently an (N, N) loss.
Class weights, ``weight`` and ``pos_weight`` are constants: they get no gradient.
"""
from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Optional, Union

import numpy as np

from ._checks import tensor_args
from ..autograd.function import Function
from ..autograd.tensor import Tensor
from .activation import _stable_sigmoid

if TYPE_CHECKING:
    from .._typing import TensorLike

_REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(op: str, reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _reduce(loss: np.ndarray, reduction: str) -> np.ndarray:
    """The per-element ``loss`` reduced to its mean or sum, or as it is for 'none'."""
    if reduction == "none":
        return loss
    # np.add.reduce skips ndarray.mean's Python-level wrapper: this is on every step's path
    total = np.add.reduce(loss, axis=None)
    if reduction == "mean" and not loss.size:  # the mean of an empty batch: nan (0 / 0), as torch
        return np.asarray(np.nan, dtype=loss.dtype)
    return np.asarray(total / loss.size if reduction == "mean" else total)


def _upstream(g: np.ndarray, reduction: str, n: int) -> np.ndarray:
    """dL/dl for each of the n elements l of the loss: g / n for 'mean', else g (n = 0: no
    element gets it)."""
    return g / n if reduction == "mean" and n else g


def _same_shape_target(op: str, x: np.ndarray, target: np.ndarray) -> np.ndarray:
    """``target`` as an array of x's dtype, after checking that its shape is x's."""
    target = np.asarray(target)
    if target.shape != x.shape:
        raise ValueError(f"{op}: target shape {target.shape} must equal input shape {x.shape} "
                         "(gradsheet does not broadcast a loss's target)")
    return target.astype(x.dtype, copy=False)


def _broadcast_weight(op: str, name: str, weight: Optional[np.ndarray], shape: tuple[int, ...],
                      dtype: np.dtype) -> Optional[np.ndarray]:
    """``weight`` (None, or broadcastable to the input's ``shape``) as an array of ``dtype``."""
    if weight is None:
        return None
    weight = np.asarray(weight).astype(dtype, copy=False)
    try:
        fits = np.broadcast_shapes(weight.shape, shape) == shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"{op}: {name} of shape {weight.shape} does not broadcast to the "
                         f"input shape {shape}")
    return weight


def _check_unit_interval(op: str, name: str, values: np.ndarray) -> None:
    """Raise unless every value lies in [0, 1] (NaN included among the offenders)."""
    if values.size and not (values.min() >= 0 and values.max() <= 1):
        bad = values[~((values >= 0) & (values <= 1))]
        raise ValueError(f"{op}: every {name} value must lie in [0, 1] for "
                         f"L(z, y) = -[y log z + (1 - y) log(1 - z)], got {bad[:5].tolist()}")


# ---------------------------------------------------------------- regression losses
class MSELoss(Function):
    """l = (x - y)**2;  dl/dx = 2 (x - y) = -dl/dy, so the mean's gradient is 2 (x - y) / n."""

    def forward(self, x: np.ndarray, y: np.ndarray, reduction: str) -> np.ndarray:
        self.d = x - _same_shape_target("mse_loss", x, y)
        self.reduction = reduction
        return _reduce(self.d * self.d, reduction)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, Optional[np.ndarray]]:
        grad = self.d * (2 * _upstream(g, self.reduction, self.d.size))
        return grad, (-grad if self.needs_grad(1) else None)


class L1Loss(Function):
    """l = |x - y|;  dl/dx = sign(x - y) = -dl/dy (0 where x = y, as in PyTorch)."""

    def forward(self, x: np.ndarray, y: np.ndarray, reduction: str) -> np.ndarray:
        self.d = x - _same_shape_target("l1_loss", x, y)
        self.reduction = reduction
        return _reduce(np.abs(self.d), reduction)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, Optional[np.ndarray]]:
        grad = np.sign(self.d) * _upstream(g, self.reduction, self.d.size)
        return grad, (-grad if self.needs_grad(1) else None)


class HuberLoss(Function):
    """l = 0.5 d**2 if |d| < delta else delta (|d| - 0.5 delta), d = x - y: quadratic near 0,
    linear in the tails (robust to outliers);  dl/dx = clip(d, -delta, delta) = -dl/dy.

    ``scale`` multiplies both: smooth_l1_loss with beta is huber_loss with delta = beta, / beta.
    """

    def forward(self, x: np.ndarray, y: np.ndarray, reduction: str, delta: float, scale: float,
                op: str) -> np.ndarray:
        d = x - _same_shape_target(op, x, y)
        abs_d = np.abs(d)
        loss = np.where(abs_d < delta, 0.5 * d * d, delta * (abs_d - 0.5 * delta))
        if scale != 1:
            loss *= scale
        self.d, self.delta, self.scale, self.reduction = d, delta, scale, reduction
        return _reduce(loss, reduction)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, Optional[np.ndarray]]:
        grad = np.clip(self.d, -self.delta, self.delta)
        grad *= self.scale * _upstream(g, self.reduction, self.d.size)
        return grad, (-grad if self.needs_grad(1) else None)


# ---------------------------------------------------------------- binary cross-entropy
class BinaryCrossEntropy(Function):
    """L(z, y) = -w [y log z + (1 - y) log(1 - z)] for probabilities z in [0, 1], with each log
    clamped at -100 as in PyTorch, so that z = 0 or z = 1 gives a finite loss;
    dL/dz = w (z - y) / max(z (1 - z), 1e-12),  dL/dy = w [log(1 - z) - log z] (logs clamped).
    """

    def forward(self, z: np.ndarray, y: np.ndarray, weight: Optional[np.ndarray], reduction: str
                ) -> np.ndarray:
        op = "binary_cross_entropy"
        y = _same_shape_target(op, z, y)
        _check_unit_interval(op, "input", z)
        _check_unit_interval(op, "target", y)
        w = _broadcast_weight(op, "weight", weight, z.shape, z.dtype)
        with np.errstate(divide="ignore"):  # log 0 = -inf, clamped just below
            log_z = np.maximum(np.log(z), -100.0)
            log_1mz = np.maximum(np.log1p(-z), -100.0)
        loss = (y - 1) * log_1mz - y * log_z
        if w is not None:
            loss *= w
        self.z, self.y, self.w, self.reduction = z, y, w, reduction
        self.log_z, self.log_1mz = log_z, log_1mz
        return _reduce(loss, reduction)

    def backward(self, g: np.ndarray) -> tuple[Optional[np.ndarray], Optional[np.ndarray], None]:
        z, y, w = self.z, self.y, self.w
        u = _upstream(g, self.reduction, z.size)
        if w is not None:
            u = u * w
        grad_z = grad_y = None
        if self.needs_grad(0):
            grad_z = (z - y) / np.maximum(z * (1 - z), 1e-12)
            grad_z *= u
        if self.needs_grad(1):
            grad_y = (self.log_1mz - self.log_z) * u
        return grad_z, grad_y, None


class BinaryCrossEntropyWithLogits(Function):
    """BCE of sigmoid(x) against y, with pos_weight p weighting the positive term:
        L = -w [p y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))]
          = w [(1 - y) x + (1 + (p - 1) y) softplus(-x)]
        softplus(-x) = log(1 + e^-x) = max(-x, 0) + log(1 + e^-|x|)
    which for p = 1 is the stable form  max(x, 0) - x y + log(1 + e^-|x|)  (e^-|x| <= 1 cannot
    overflow);  dL/dx = w [(1 + (p - 1) y) sigmoid(x) - p y] (= w (sigmoid(x) - y) for p = 1),
    dL/dy = w [(p - 1) softplus(-x) - x].
    """

    def forward(self, x: np.ndarray, y: np.ndarray, weight: Optional[np.ndarray],
                pos_weight: Optional[np.ndarray], reduction: str) -> np.ndarray:
        op = "binary_cross_entropy_with_logits"
        y = _same_shape_target(op, x, y)
        w = _broadcast_weight(op, "weight", weight, x.shape, x.dtype)
        p = _broadcast_weight(op, "pos_weight", pos_weight, x.shape, x.dtype)
        e = np.exp(-np.abs(x))
        log1p_e = np.log1p(e)
        if p is None:
            loss = np.maximum(x, 0) - x * y + log1p_e
        else:
            self.softplus_neg = np.maximum(-x, 0) + log1p_e
            loss = (1 - y) * x + (1 + (p - 1) * y) * self.softplus_neg
        if w is not None:
            loss *= w
        self.x, self.y, self.w, self.p, self.e, self.reduction = x, y, w, p, e, reduction
        return _reduce(loss, reduction)

    def backward(self, g: np.ndarray) -> tuple[Optional[np.ndarray], Optional[np.ndarray], None, None]:
        x, y, w, p, e = self.x, self.y, self.w, self.p, self.e
        u = _upstream(g, self.reduction, x.size)
        if w is not None:
            u = u * w
        grad_x = grad_y = None
        if self.needs_grad(0):
            sigmoid = _stable_sigmoid(x, e)  # e = e^-|x|, from the forward
            grad_x = sigmoid - y if p is None else (1 + (p - 1) * y) * sigmoid - p * y
            grad_x *= u
        if self.needs_grad(1):
            grad_y = -x * u if p is None else ((p - 1) * self.softplus_neg - x) * u
        return grad_x, grad_y, None, None


# ---------------------------------------------------------------- classification
def _num_classes(op: str, x: np.ndarray) -> int:
    if x.ndim == 0:
        raise ValueError(f"{op}: input must have a class dimension: (C,), (N, C) or "
                         "(N, C, d1, ...); got a 0-d input")
    return x.shape[1] if x.ndim >= 2 else x.shape[0]


def _index_shape(x: np.ndarray) -> tuple[int, ...]:
    """The shape of class-index targets for input x: x's shape without the class dim."""
    return x.shape[:1] + x.shape[2:] if x.ndim >= 2 else ()


def _class_rows(x: np.ndarray) -> np.ndarray:
    """x as rows (M, C), classes last: (C,) -> (1, C); (N, C) as it is;
    (N, C, d1, ...) -> (N d1 ..., C), one row per sample and position."""
    if x.ndim <= 2:
        return x.reshape(-1, x.shape[-1])
    return np.moveaxis(x, 1, -1).reshape(-1, x.shape[1])


def _unrows(rows: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """The inverse of _class_rows, for a gradient laid out as rows."""
    if len(shape) <= 2:
        return rows.reshape(shape)
    return np.moveaxis(rows.reshape(shape[:1] + shape[2:] + shape[1:2]), -1, 1)


def _class_weight(op: str, weight: Optional[np.ndarray], num_classes: int, dtype: np.dtype
                  ) -> Optional[np.ndarray]:
    if weight is None:
        return None
    weight = np.asarray(weight).astype(dtype, copy=False)
    if weight.shape != (num_classes,):
        raise ValueError(f"{op}: weight must have shape ({num_classes},), one entry per "
                         f"class, got {weight.shape}")
    return weight


def _index_targets(op: str, x: np.ndarray, target: np.ndarray, weight: Optional[np.ndarray],
                   ignore_index: int
                   ) -> tuple[np.ndarray, Optional[np.ndarray], Optional[np.ndarray],
                              Optional[np.ndarray]]:
    """Check class-index targets against x; return them flat with what the loss needs.

    Returns (y, valid, w, w_y): y the M class indices, ignored entries replaced by 0 (a safe
    gather index); valid the mask of kept entries, None when all are kept; w the (C,) class
    weights in x's dtype (None: unweighted); w_y each entry's class weight, 0 where ignored.
    """
    num_classes = _num_classes(op, x)
    if target.shape != _index_shape(x):
        raise ValueError(f"{op}: target shape {target.shape} does not fit input shape {x.shape}: "
                         f"class indices need shape {_index_shape(x)} (the input's shape "
                         f"without the class dimension)")
    if target.dtype.kind not in "iu":
        raise TypeError(f"{op}: class-index targets must be integers, got {target.dtype}")
    y = target.reshape(-1)
    valid = y != ignore_index
    all_kept = valid.all()
    kept = y if all_kept else y[valid]
    if kept.size and (kept.min() < 0 or kept.max() >= num_classes):
        bad = kept[(kept < 0) | (kept >= num_classes)]
        raise IndexError(f"{op}: target {bad[0]} is out of bounds for {num_classes} classes: "
                         f"class indices lie in [0, {num_classes}) or equal "
                         f"ignore_index={ignore_index}")
    if all_kept:
        valid = None
    else:
        y = np.where(valid, y, 0)
    w = _class_weight(op, weight, num_classes, x.dtype)
    w_y = None
    if w is not None:
        w_y = w[y] if valid is None else w[y] * valid
    return y, valid, w, w_y


def _reduce_rows(loss: np.ndarray, reduction: str, out_shape: tuple[int, ...],
                 valid: Optional[np.ndarray], w_y: Optional[np.ndarray]
                 ) -> tuple[np.ndarray, Optional[float]]:
    """Reduce per-row losses (0 at ignored rows). 'mean' divides by the summed class weight
    of the kept targets, their count when unweighted, as torch's nll_loss does.
    Returns (output, normaliser)."""
    if reduction == "none":
        return loss.reshape(out_shape), None
    total = loss.sum()
    if reduction == "sum":
        return np.asarray(total), None
    if w_y is not None:
        denominator = w_y.sum()
    else:
        denominator = loss.size if valid is None else int(np.count_nonzero(valid))
    with np.errstate(divide="ignore", invalid="ignore"):  # every target ignored: nan, as torch
        return np.asarray(total / denominator), denominator


def _row_scale(g: np.ndarray, reduction: str, denominator: Optional[float],
               valid: Optional[np.ndarray]) -> np.ndarray:
    """dL/dl_i for each row loss l_i: g_i for 'none', g for 'sum', g / normaliser for 'mean';
    0 at ignored rows (even when the normaliser is 0)."""
    if reduction == "none":
        r = g.reshape(-1)
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            r = g / denominator if reduction == "mean" else g
    return r if valid is None else np.where(valid, r, 0)


class CrossEntropy(Function):
    """Softmax cross-entropy of logits x (class dim 1), fused with its gradient.

        log p = log_softmax(x) = (x - m) - log sum_c e^(x_c - m),  m = max_c x_c (no overflow)
        class index y:    l = (1 - eps) w_y (-log p_y) + (eps / C) sum_c w_c (-log p_c)
        probabilities t:  l = sum_c w_c t'_c (-log p_c),  t' = (1 - eps) t + eps / C
        dl/dx = p sum_c T_c - T,  T the weighted, smoothed target row:
                T_c = (1 - eps) w_y [c = y] + (eps / C) w_c   or   T_c = w_c t'_c
        dl/dt_c = -(1 - eps) w_c log p_c

    w = 1 without class weights, eps = label_smoothing. 'mean' divides by sum of w_y over the
    kept targets (their count when unweighted; by N d1 ... for probability targets); targets
    equal to ignore_index add nothing to the loss, the gradient or that normaliser.

    Shapes: x (C,), (N, C) or (N, C, d1, ...); target () / (N,) / (N, d1, ...) integers,
    or probabilities of x's shape; output () or, for 'none', the target's shape minus C.
    """

    # what backward needs, saved by forward and _indices or _probabilities: T (above) as
    # coef = sum_c T_c per row (None: 1), onehot = T at c = y (1, or per row) and dense = T off
    # c = y (None, eps / C, or per class or row); y the class indices (None for probabilities)
    valid: Optional[np.ndarray]
    y: Optional[np.ndarray]
    target_grad: Optional[np.ndarray]
    coef: Any
    onehot: Any
    dense: Any

    def forward(self, x: np.ndarray, target: np.ndarray, weight: Optional[np.ndarray],
                ignore_index: int, reduction: str, label_smoothing: float) -> np.ndarray:
        op = "cross_entropy"
        num_classes = _num_classes(op, x)
        target = np.asarray(target)
        rows = _class_rows(x)
        shifted = rows - rows.max(axis=1, keepdims=True)  # ours: exp'd in place below
        self.shape, self.reduction = x.shape, reduction
        if target.shape == x.shape:
            loss = self._probabilities(op, x, target, weight, ignore_index, label_smoothing,
                                       shifted)
            self.valid = w_y = None
        else:
            if target.dtype.kind == "f":
                raise ValueError(f"{op}: a floating target holds class probabilities and must "
                                 f"have the input's shape {x.shape}, got {target.shape}; class "
                                 f"indices are integers of shape {_index_shape(x)}")
            y, self.valid, w, w_y = _index_targets(op, x, target, weight, ignore_index)
            loss = self._indices(y, w, w_y, label_smoothing, num_classes, shifted)
        out, self.denominator = _reduce_rows(loss, reduction, _index_shape(x), self.valid, w_y)
        return out

    def _indices(self, y: np.ndarray, w: Optional[np.ndarray], w_y: Optional[np.ndarray],
                 eps: float, num_classes: int, shifted: np.ndarray) -> np.ndarray:
        """Per-row loss for class indices y, without materialising log p or a one-hot."""
        picked = shifted[np.arange(len(y)), y]  # x_y - m
        if eps:
            # sum_c w_c (-log p_c) = (sum_c w_c) lse - sum_c w_c (x_c - m)
            weighted_sum = shifted.sum(axis=1) if w is None else shifted @ w
            w_total = num_classes if w is None else w.sum()
        e = np.exp(shifted, out=shifted)
        sumexp = e.sum(axis=1)
        lse = np.log(sumexp)
        loss = lse - picked  # -log p_y
        if w_y is not None:
            loss *= w_y
        self.e, self.sumexp, self.y, self.target_grad = e, sumexp, y, None
        self.coef = None if w is None else w_y  # sum_c T_c (None: 1)
        self.onehot = 1 if w is None else w_y  # T at c = y
        self.dense = None  # T's part that is not at c = y
        if eps:
            loss = (1 - eps) * loss + (eps / num_classes) * (w_total * lse - weighted_sum)
            self.onehot = (1 - eps) * self.onehot
            self.dense = eps / num_classes if w is None else (eps / num_classes) * w
            if w is not None:  # (and so w_y: _index_targets gives both or neither)
                self.coef = (1 - eps) * w_y + (eps / num_classes) * w_total  # type: ignore[operator]
        return loss if self.valid is None else np.where(self.valid, loss, 0)

    def _probabilities(self, op: str, x: np.ndarray, target: np.ndarray,
                       weight: Optional[np.ndarray], ignore_index: int, eps: float,
                       shifted: np.ndarray) -> np.ndarray:
        """Per-row loss for class-probability targets of x's shape."""
        if target.dtype.kind != "f":
            raise TypeError(f"{op}: a target of the input's shape {x.shape} holds class "
                            f"probabilities and must be floating, got {target.dtype}; class "
                            f"indices have shape {_index_shape(x)}")
        if ignore_index >= 0:
            raise ValueError(f"{op}: ignore_index={ignore_index} cannot be used with "
                             f"class-probability targets (shape {target.shape})")
        num_classes = x.shape[1] if x.ndim >= 2 else x.shape[0]
        w = _class_weight(op, weight, num_classes, x.dtype)
        t = _class_rows(target).astype(x.dtype, copy=False)
        if eps:
            t = (1 - eps) * t + eps / num_classes
        wt = t if w is None else t * w
        e = np.exp(shifted)
        sumexp = e.sum(axis=1)
        log_p = shifted
        log_p -= np.log(sumexp)[:, None]
        self.e, self.sumexp, self.y, self.coef, self.dense = e, sumexp, None, wt.sum(axis=1), wt
        self.target_grad = None
        if self.needs_grad(1):
            self.target_grad = (-(1 - eps)) * (log_p if w is None else log_p * w)
        return -np.einsum("mc,mc->m", wt, log_p)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, Optional[np.ndarray], None]:
        r = _row_scale(g, self.reduction, self.denominator, self.valid)
        r_col = r[:, None] if r.ndim else r
        coef = r if self.coef is None else r * self.coef
        grad = self.e * (coef / self.sumexp)[:, None]  # the scaled softmax, ours to change
        if self.dense is not None:
            grad -= self.dense * r_col
        if self.y is not None:
            grad[np.arange(len(grad)), self.y] -= self.onehot * r
        grad_target = None
        if self.target_grad is not None:
            grad_target = _unrows(self.target_grad * r_col, self.shape)
        return _unrows(grad, self.shape), grad_target, None


class NLLLoss(Function):
    """l = -w_y x_y for log-probabilities x (class dim 1) and class index y;
    dl/dx_c = -w_y [c = y]. Weights, ignore_index and the 'mean' normaliser (sum of w_y over
    the kept targets) as in CrossEntropy, which is this loss after log_softmax, fused.
    """

    def forward(self, x: np.ndarray, target: np.ndarray, weight: Optional[np.ndarray],
                ignore_index: int, reduction: str) -> np.ndarray:
        y, valid, _, w_y = _index_targets("nll_loss", x, np.asarray(target), weight,
                                          ignore_index)
        loss = -_class_rows(x)[np.arange(len(y)), y]
        if w_y is not None:
            loss *= w_y
        if valid is not None:
            loss = np.where(valid, loss, 0)
        self.y, self.valid, self.w_y, self.shape, self.reduction = y, valid, w_y, x.shape, reduction
        self.dtype = x.dtype
        out, self.denominator = _reduce_rows(loss, reduction, _index_shape(x), valid, w_y)
        return out

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, None, None]:
        r = _row_scale(g, self.reduction, self.denominator, self.valid)
        y = self.y
        num_classes = self.shape[1] if len(self.shape) >= 2 else self.shape[0]
        grad = np.zeros((len(y), num_classes), dtype=self.dtype)
        grad[np.arange(len(y)), y] = -r if self.w_y is None else -(r * self.w_y)
        return _unrows(grad, self.shape), None, None


# ---------------------------------------------------------------- functional API
@tensor_args("input", "target")
def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Mean squared error: mean((input - target)**2). Example: mse_loss([1., 3.], [0., 1.]) = 2.5.

    Unlike PyTorch, a target whose shape differs from the input's raises ValueError.
    """
    _check_reduction("mse_loss", reduction)
    return MSELoss.apply(input, target, reduction=reduction)


@tensor_args("input", "target")
def l1_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Mean absolute error: mean(|input - target|). Shapes must be equal (no broadcasting)."""
    _check_reduction("l1_loss", reduction)
    return L1Loss.apply(input, target, reduction=reduction)


@tensor_args("input", "target")
def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean",
               delta: float = 1.0) -> Tensor:
    """0.5 d**2 if |d| < delta else delta (|d| - 0.5 delta), d = input - target, then reduced.
    Shapes must be equal (no broadcasting)."""
    _check_reduction("huber_loss", reduction)
    if not delta > 0:
        raise ValueError(f"huber_loss: delta must be positive, got delta={delta}")
    return HuberLoss.apply(input, target, reduction=reduction, delta=delta, scale=1,
                           op="huber_loss")


@tensor_args("input", "target")
def smooth_l1_loss(input: Tensor, target: Tensor, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """0.5 d**2 / beta if |d| < beta else |d| - 0.5 beta, d = input - target (huber_loss / beta;
    l1_loss when beta = 0). Shapes must be equal (no broadcasting)."""
    _check_reduction("smooth_l1_loss", reduction)
    if not beta >= 0:
        raise ValueError(f"smooth_l1_loss: beta must be non-negative, got beta={beta}")
    if beta == 0:
        return L1Loss.apply(input, target, reduction=reduction)
    return HuberLoss.apply(input, target, reduction=reduction, delta=beta, scale=1.0 / beta,
                           op="smooth_l1_loss")


@tensor_args("input", "target", "weight")
def binary_cross_entropy(input: Tensor, target: Tensor, weight: Optional[Tensor] = None,
                         reduction: str = "mean") -> Tensor:
    """L(z, y) = -w [y log z + (1 - y) log(1 - z)] on probabilities z (logs clamped at -100).

    ``weight`` broadcasts to the input's shape. Example: binary_cross_entropy([0.5], [1.]) = log 2.
    Prefer binary_cross_entropy_with_logits on raw scores: it is stable for any score.
    """
    _check_reduction("binary_cross_entropy", reduction)
    return BinaryCrossEntropy.apply(input, target, weight, reduction=reduction)


@tensor_args("input", "target", "weight", "pos_weight")
def binary_cross_entropy_with_logits(input: Tensor, target: Tensor,
                                     weight: Optional[Tensor] = None, reduction: str = "mean",
                                     pos_weight: Optional[Tensor] = None) -> Tensor:
    """BCE of sigmoid(input) against target, as max(x, 0) - x y + log(1 + e^-|x|) (stable).

    ``pos_weight`` (e.g. one entry per class, broadcast over the last dim) weights the
    positive term; ``weight`` broadcasts to the input's shape.
    """
    _check_reduction("binary_cross_entropy_with_logits", reduction)
    return BinaryCrossEntropyWithLogits.apply(input, target, weight, pos_weight,
                                              reduction=reduction)


@tensor_args("input", "target", "weight")
def cross_entropy(input: Tensor, target: Tensor, weight: Optional[Tensor] = None,
                  ignore_index: int = -100, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy -log softmax(input)_target, fused (see CrossEntropy).

    target: class indices (N,) / (N, d1, ...) / () for a (C,) input, or class probabilities of
    the input's shape. Example: cross_entropy(tensor([[0., 0.]]), tensor([1])) = log 2.
    """
    _check_reduction("cross_entropy", reduction)
    if _array(input).dtype.kind == "b":
        raise NotImplementedError("cross_entropy: not implemented for bool input (logits must be "
                                  "floating point)")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must lie in [0, 1], "
                         f"got {label_smoothing}")
    return CrossEntropy.apply(input, target, weight, ignore_index=ignore_index,
                              reduction=reduction, label_smoothing=float(label_smoothing))


@tensor_args("input", "target", "weight")
def nll_loss(input: Tensor, target: Tensor, weight: Optional[Tensor] = None,
             ignore_index: int = -100, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood -input[target] of log-probabilities (e.g. log_softmax output)."""
    _check_reduction("nll_loss", reduction)
    return NLLLoss.apply(input, target, weight, ignore_index=ignore_index, reduction=reduction)


# ---------------------------------------------------------------- more losses (issue 10)
def _legacy_reduction(op: str, size_average: Optional[bool], reduce: Optional[bool],
                      reduction: str) -> str:
    """torch's deprecated ``size_average`` / ``reduce`` arguments mapped to a reduction."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    reduction = ("mean" if size_average else "sum") if reduce else "none"
    warnings.warn(f"{op}: size_average and reduce args will be deprecated, please use "
                  f"reduction='{reduction}' instead.", stacklevel=3)
    return reduction


def _array(x: TensorLike) -> np.ndarray:
    return x.array if isinstance(x, Tensor) else np.asarray(x)


def _check_margin(op: str, margin: float) -> None:
    if not margin > 0:
        raise ValueError(f"{op}: margin must be greater than 0, got {margin}")


def _broadcast_all(op: str, names: Sequence[str], arrays: Sequence[Any]) -> tuple[int, ...]:
    """The common broadcast shape of ``arrays`` (same ranks, as torch), naming each shape when not."""
    shapes = [np.shape(a) for a in arrays]
    described = ", ".join(f"{n} {tuple(s)}" for n, s in zip(names, shapes))
    if len({len(s) for s in shapes}) > 1:
        raise ValueError(f"{op}: all inputs must have the same number of dimensions, got {described}")
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        raise ValueError(f"{op}: shapes do not broadcast: {described}") from None


class KLDiv(Function):
    """Kullback-Leibler divergence of log-probabilities x from target t, elementwise:
        l = t (log t - x) (0 where t = 0: xlogy);     dl/dx = -t,   dl/dt = log t + 1 - x
        log_target: l = e^t (t - x);                   dl/dx = -e^t, dl/dt = e^t (t - x + 1)
    At t = 0 torch's dl/dt is nan (its xlogy gradient t / t); gradsheet gives the same.
    'batchmean' divides the sum by the batch size (input.shape[0]); 'mean' by the element count.
    """

    def forward(self, x: np.ndarray, t: np.ndarray, reduction: str, log_target: bool
                ) -> np.ndarray:
        t = _same_shape_target("kl_div", x, t)
        with np.errstate(divide="ignore", invalid="ignore"):
            if log_target:
                self.et = np.exp(t)
                loss = self.et * (t - x)
            else:
                log_t = np.log(t)
                loss = np.where(t == 0, 0, t * log_t) - t * x
                self.log_t = log_t
        self.x, self.t, self.log_target, self.reduction = x, t, log_target, reduction
        if reduction == "batchmean":
            total = np.asarray(loss.sum())
            if x.ndim == 0:
                return total
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.asarray(total / x.shape[0])
        return _reduce(loss, reduction)

    def backward(self, g: np.ndarray) -> tuple[Optional[np.ndarray], Optional[np.ndarray]]:
        if self.reduction == "batchmean":
            u = g / self.x.shape[0] if self.x.ndim and self.x.shape[0] else g
        else:
            u = _upstream(g, self.reduction, self.x.size)
        grad_x = grad_t = None
        if self.log_target:
            if self.needs_grad(0):
                grad_x = -self.et * u
            if self.needs_grad(1):
                grad_t = self.et * (self.t - self.x + 1) * u
        else:
            if self.needs_grad(0):
                grad_x = -self.t * u
            if self.needs_grad(1):
                with np.errstate(invalid="ignore"):
                    grad_t = np.where(self.t == 0, np.nan, self.log_t + 1) - self.x
                grad_t = grad_t * u
        return grad_x, grad_t


class PoissonNLL(Function):
    """Poisson negative log-likelihood of target t under rate e^x (log_input) or x:
        log_input: l = e^x - t x;                dl/dx = e^x - t,          dl/dt = -x
        else:      l = x - t log(x + eps);       dl/dx = 1 - t / (x + eps), dl/dt = -log(x + eps)
    full adds Stirling's t log t - t + log(2 pi t) / 2 where t > 1 (dl/dt += log t + 1 / (2 t)).
    """

    def forward(self, x: np.ndarray, t: np.ndarray, log_input: bool, full: bool, eps: float,
                reduction: str) -> np.ndarray:
        t = _same_shape_target("poisson_nll_loss", x, t)
        if log_input:
            self.ex = np.exp(x)
            loss = self.ex - t * x
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                self.log_x = np.log(x + eps)
            loss = x - t * self.log_x
        self.stirling = None
        if full:
            big = t > 1
            with np.errstate(divide="ignore", invalid="ignore"):
                log_t = np.log(np.where(big, t, 1))
                stirling = t * log_t - t + 0.5 * np.log(2 * math.pi * np.where(big, t, 1))
                loss = loss + np.where(big, stirling, 0)
                self.stirling = np.where(big, log_t + 0.5 / np.where(big, t, 1), 0)
        self.x, self.t, self.log_input, self.eps, self.reduction = x, t, log_input, eps, reduction
        return _reduce(loss, reduction)

    def backward(self, g: np.ndarray) -> tuple[Optional[np.ndarray], Optional[np.ndarray]]:
        u = _upstream(g, self.reduction, self.x.size)
        grad_x = grad_t = None
        if self.needs_grad(0):
            grad_x = (self.ex - self.t if self.log_input else 1 - self.t / (self.x + self.eps)) * u
        if self.needs_grad(1):
            grad_t = -self.x if self.log_input else -self.log_x
            if self.stirling is not None:
                grad_t = grad_t + self.stirling
            grad_t = grad_t * u
        return grad_x, grad_t


class GaussianNLL(Function):
    """Gaussian negative log-likelihood of target t under N(x, v), v = max(var, eps):
        l = (log v + (x - t)**2 / v) / 2  (+ log(2 pi) / 2 when full);
        dl/dx = (x - t) / v = -dl/dt,  dl/dvar = (1 / v - (x - t)**2 / v**2) / 2
    (the clamp is not differentiated, as torch clamps without recording it). var has the
    input's shape, or one dimension of size 1 (or the last one missing): one variance shared.
    """

    def forward(self, x: np.ndarray, t: np.ndarray, var: Union[np.ndarray, float],
                var_shape: tuple[int, ...], full: bool, eps: float, reduction: str
                ) -> np.ndarray:
        t = _same_shape_target("gaussian_nll_loss", x, t)
        self.var_shape = np.shape(var)
        v = np.maximum(np.asarray(var, dtype=x.dtype).reshape(var_shape), eps)
        d = x - t
        loss = 0.5 * (np.log(v) + d * d / v)
        if full:
            loss = loss + 0.5 * math.log(2 * math.pi)
        self.d, self.v, self.reduction = d, v, reduction
        return _reduce(loss, reduction)

    def backward(self, g: np.ndarray
                 ) -> tuple[Optional[np.ndarray], Optional[np.ndarray], Optional[np.ndarray]]:
        u = _upstream(g, self.reduction, self.d.size)
        d, v = self.d, self.v
        grad_x = d / v * u
        grad_var = None
        if self.needs_grad(2):
            full = 0.5 * (1 / v - d * d / (v * v)) * u
            axes = tuple(i for i, n in enumerate(v.shape) if n == 1 and full.shape[i] != 1)
            grad_var = full.sum(axis=axes, keepdims=True).reshape(self.var_shape)
        return (grad_x if self.needs_grad(0) else None), (-grad_x if self.needs_grad(1) else None), \
            grad_var


class MarginRanking(Function):
    """l = max(0, -y (x1 - x2) + margin): x1 should rank above x2 where y = 1, below where -1;
    with h = -y (x1 - x2) + margin and m = [h >= 0] (the gradient passes at h = 0, as torch):
    dl/dx1 = -y m, dl/dx2 = y m, dl/dy = -(x1 - x2) m. Inputs broadcast (same rank)."""

    def forward(self, x1: np.ndarray, x2: np.ndarray, y: np.ndarray, margin: float,
                reduction: str) -> np.ndarray:
        diff = x1 - x2
        h = -y * diff + margin
        self.m, self.diff, self.y, self.reduction = h >= 0, diff, y, reduction
        return _reduce(np.where(self.m, h, 0), reduction)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, np.ndarray, Optional[np.ndarray]]:
        u = _upstream(g, self.reduction, self.m.size) * self.m
        grad_y = -self.diff * u if self.needs_grad(2) else None
        yu = self.y * u
        return -yu, yu, grad_y


class HingeEmbedding(Function):
    """l = x where y = 1, max(0, margin - x) where y = -1 (both terms for any other y, as torch);
    dl/dx = [y != -1] - [y != 1] [margin - x >= 0]; the target gets no gradient."""

    def forward(self, x: np.ndarray, y: np.ndarray, margin: float, reduction: str
                ) -> np.ndarray:
        y = _same_shape_target("hinge_embedding_loss", x, y)
        h = margin - x
        self.in_margin = (y != 1) & (h >= 0)
        self.on_self = y != -1
        loss = np.where(self.in_margin, h, 0) + np.where(self.on_self, x, 0)
        self.reduction, self.dtype = reduction, x.dtype
        return _reduce(loss, reduction)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, None]:
        u = _upstream(g, self.reduction, self.on_self.size)
        return (self.on_self.astype(self.dtype) - self.in_margin) * u, None


class CosineEmbedding(Function):
    """With c = x1 . x2 / sqrt((|x1|**2 + 1e-12)(|x2|**2 + 1e-12)) per row (torch's epsilon):
    l = 1 - c where y = 1, max(0, c - margin) where y = -1, 0 for any other y;
        dc/dx1 = x2 / D - c x1 / (|x1|**2 + 1e-12), D the denominator (and the same for x2),
        dl/dc = -1 (y = 1), [c - margin >= 0] (y = -1). The target gets no gradient.
    """

    def forward(self, x1: np.ndarray, x2: np.ndarray, y: np.ndarray, margin: float,
                reduction: str) -> np.ndarray:
        axis = -1
        s = (x1 * x2).sum(axis)
        m1 = (x1 * x1).sum(axis) + 1e-12
        m2 = (x2 * x2).sum(axis) + 1e-12
        denom = np.sqrt(m1 * m2)
        c = s / denom
        pos, neg = y == 1, (y == -1) & (c - margin >= 0)
        loss = np.where(pos, 1 - c, 0) + np.where(neg, c - margin, 0)
        self.x1, self.x2, self.m1, self.m2, self.denom, self.c = x1, x2, m1, m2, denom, c
        self.dl_dc = neg.astype(x1.dtype) - pos
        self.reduction = reduction
        return _reduce(loss, reduction)

    def backward(self, g: np.ndarray) -> tuple[Optional[np.ndarray], Optional[np.ndarray], None]:
        u = (_upstream(g, self.reduction, self.c.size) * self.dl_dc)[..., None]
        c, denom = self.c[..., None], self.denom[..., None]
        grad1 = grad2 = None
        if self.needs_grad(0):
            grad1 = (self.x2 / denom - c * self.x1 / self.m1[..., None]) * u
        if self.needs_grad(1):
            grad2 = (self.x1 / denom - c * self.x2 / self.m2[..., None]) * u
        return grad1, grad2, None


def _norm(v: np.ndarray, p: float) -> np.ndarray:
    """||v||_p over the last axis (p = 0 counts the nonzero entries, p = inf is max |v|)."""
    a = np.abs(v)
    if p == 2:
        return np.sqrt((v * v).sum(-1))
    if p == 1:
        return a.sum(-1)
    if p == 0:
        return (a != 0).sum(-1).astype(v.dtype)
    if p == math.inf:
        return a.max(-1, initial=0)
    with np.errstate(divide="ignore"):
        return (a ** p).sum(-1) ** (1 / p)


def _norm_grad(v: np.ndarray, n: np.ndarray, p: float) -> np.ndarray:
    """d ||v||_p / dv, given the norms n: sign(v) |v|**(p - 1) / n**(p - 1), 0 where n = 0 (as
    torch); p = inf shares it among the entries tied at the max; p = 0 has none."""
    n = n[..., None]
    with np.errstate(divide="ignore", invalid="ignore"):
        if p == 2:
            grad = v / n
        elif p == 1:
            return np.sign(v)
        elif p == 0:
            return np.zeros_like(v)
        elif p == math.inf:
            at_max = np.abs(v) == n
            grad = np.sign(v) * at_max / at_max.sum(-1, keepdims=True)
        else:
            grad = np.sign(v) * np.abs(v) ** (p - 1) / n ** (p - 1)
    return np.where(n == 0, 0, grad)


class TripletMargin(Function):
    """l = max(0, margin + d(a, p) - d(a, n)), d(x, y) = ||x - y + eps||_p over the last dim
    (torch's pairwise_distance); with swap, d(a, n) becomes min(d(a, n), d(p, n)) (a tie
    splits the gradient in half, as torch's minimum). The gradient passes where the hinge is
    >= 0:  dl/da = G(a - p) - w_an G(a - n),  dl/dp = -G(a - p) - w_pn G(p - n),
    dl/dn = w_an G(a - n) + w_pn G(p - n), G the norm's gradient, w the min's weights.
    """

    def forward(self, a: np.ndarray, p_: np.ndarray, n: np.ndarray, margin: float, p: float,
                eps: float, swap: bool, reduction: str) -> np.ndarray:
        v_ap, v_an = a - p_ + eps, a - n + eps
        d_ap, d_an = _norm(v_ap, p), _norm(v_an, p)
        w_an = np.ones_like(d_an)
        self.v_pn = None
        d_neg = d_an
        if swap:
            v_pn = p_ - n + eps
            d_pn = _norm(v_pn, p)
            w_an = np.where(d_an < d_pn, 1.0, np.where(d_an == d_pn, 0.5, 0.0))
            d_neg = np.minimum(d_an, d_pn)
            self.v_pn, self.d_pn = v_pn, d_pn
        h = margin + d_ap - d_neg
        self.active = h >= 0
        self.v_ap, self.v_an, self.d_ap, self.d_an, self.w_an = v_ap, v_an, d_ap, d_an, w_an
        self.p, self.reduction = p, reduction
        return _reduce(np.maximum(h, 0), reduction)  # NaN stays NaN, as torch's clamp_min

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        u = _upstream(g, self.reduction, self.active.size) * self.active
        g_ap = _norm_grad(self.v_ap, self.d_ap, self.p) * u[..., None]
        g_an = _norm_grad(self.v_an, self.d_an, self.p) * (u * self.w_an)[..., None]
        grad_a, grad_p, grad_n = g_ap - g_an, -g_ap, g_an
        if self.v_pn is not None:
            g_pn = _norm_grad(self.v_pn, self.d_pn, self.p) * (u * (1 - self.w_an))[..., None]
            grad_p = grad_p - g_pn
            grad_n = grad_n + g_pn
        return grad_a, grad_p, grad_n


class MultilabelSoftMargin(Function):
    """l_n = -(1 / C) sum_c w_c [y_c log sigmoid(x_c) + (1 - y_c) log sigmoid(-x_c)] (classes on
    the last dim), computed as (1 / C) sum_c w_c [softplus(-x_c) + (1 - y_c) x_c] (stable);
    dl/dx = w (sigmoid(x) - y) / C,  dl/dy = -w x / C."""

    def forward(self, x: np.ndarray, y: np.ndarray, weight: Optional[np.ndarray], reduction: str
                ) -> np.ndarray:
        op = "multilabel_soft_margin_loss"
        y = _same_shape_target(op, x, y)
        if x.ndim == 0:
            raise ValueError(f"{op}: input must have a class dimension (its last), got a 0-d input")
        w = _broadcast_weight(op, "weight", weight, x.shape, x.dtype)
        num_classes = x.shape[-1]
        with np.errstate(under="ignore"):
            per_class = np.maximum(-x, 0) + np.log1p(np.exp(-np.abs(x))) + (1 - y) * x
        if w is not None:
            per_class = per_class * w
        with np.errstate(invalid="ignore", divide="ignore"):
            loss = per_class.sum(-1) / num_classes
        self.x, self.y, self.w, self.c, self.reduction = x, y, w, num_classes, reduction
        return _reduce(loss, reduction)

    def backward(self, g: np.ndarray) -> tuple[Optional[np.ndarray], Optional[np.ndarray], None]:
        u = _upstream(g, self.reduction, self.x.size // max(self.c, 1))
        u = np.asarray(u)[..., None] / max(self.c, 1)
        if self.w is not None:
            u = u * self.w
        grad_x = (_stable_sigmoid(self.x) - self.y) * u if self.needs_grad(0) else None
        grad_y = -self.x * u if self.needs_grad(1) else None
        return grad_x, grad_y, None


def _class_index_target(op: str, x: np.ndarray, target: np.ndarray) -> np.ndarray:
    """For (C,) or (N, C) inputs: the targets as an (N,) int array, checked."""
    if x.ndim not in (1, 2) or x.shape[-1] == 0:
        raise ValueError(f"{op}: expected a non-empty vector (C,) or matrix (N, C) input with an "
                         f"optional 0-dim batch size, got shape {x.shape}")
    target = np.asarray(target)
    if target.dtype.kind not in "iu":
        raise TypeError(f"{op}: class-index targets must be integers, got {target.dtype}")
    expected = x.shape[:1] if x.ndim == 2 else ()
    if target.shape != expected:
        raise ValueError(f"{op}: target shape {target.shape} does not fit input shape {x.shape}: "
                         f"expected {expected}, one class index per sample")
    return target.reshape(-1)


class MultiMargin(Function):
    """Multi-class hinge loss of scores x (C,) or (N, C) and class index y:
        l = (1 / C) sum_{i != y} w_y max(0, margin - x_y + x_i)**p,  p = 1 or 2;
    with h_i = margin - x_y + x_i and active i (h_i > 0, strictly, as torch):
        dl/dx_i = w_y p h_i**(p - 1) / C,  dl/dx_y = -sum_i dl/dx_i."""

    def forward(self, x: np.ndarray, target: np.ndarray, weight: Optional[np.ndarray], p: int,
                margin: float, reduction: str) -> np.ndarray:
        op = "multi_margin_loss"
        y = _class_index_target(op, x, target)
        rows = x.reshape(-1, x.shape[-1])
        num_classes = rows.shape[1]
        if y.size and (y.min() < 0 or y.max() >= num_classes):
            bad = y[(y < 0) | (y >= num_classes)]
            raise IndexError(f"{op}: target {bad[0]} is out of range for {num_classes} classes")
        w = _class_weight(op, weight, num_classes, x.dtype)
        index = np.arange(len(y))
        h = margin - rows[index, y][:, None] + rows
        active = h > 0
        active[index, y] = False
        hp = np.where(active, h if p == 1 else h * h, 0)
        coef = np.full(len(y), 1.0 / num_classes, dtype=x.dtype) if w is None else w[y] / num_classes
        loss = hp.sum(1) * coef
        self.slope = np.where(active, 1 if p == 1 else 2 * h, 0) * coef[:, None]
        self.y, self.shape, self.reduction = y, x.shape, reduction
        return _reduce(loss.reshape(x.shape[:-1]), reduction)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, None, None]:
        u = _upstream(g, self.reduction, len(self.y))
        u = np.asarray(u).reshape(-1, 1) if np.ndim(u) else u
        grad = self.slope * u
        grad[np.arange(len(self.y)), self.y] = -grad.sum(1)
        return grad.reshape(self.shape), None, None


class MultilabelMargin(Function):
    """Multi-label hinge loss of scores x (C,) or (N, C); each target row lists class indices,
    ended by the first -1 (j in it counted as often as listed, as torch):
        l = (1 / C) sum_{j listed} sum_{i not a target} max(0, 1 - (x_j - x_i));
    with the active pairs A_ji = [1 - x_j + x_i > 0] (strictly, as torch) times j's count:
        dl/dx_i = sum_j A_ji / C (i not a target),  dl/dx_j = -sum_i A_ji / C."""

    def forward(self, x: np.ndarray, target: np.ndarray, reduction: str) -> np.ndarray:
        op = "multilabel_margin_loss"
        if x.ndim not in (1, 2) or x.shape[-1] == 0:
            raise ValueError(f"{op}: expected a non-empty vector (C,) or matrix (N, C) input with "
                             f"an optional 0-dim batch size, got shape {x.shape}")
        target = np.asarray(target)
        if target.dtype.kind not in "iu":
            raise TypeError(f"{op}: targets must be integer class indices, got {target.dtype}")
        if target.shape != x.shape:
            raise ValueError(f"{op}: target shape {target.shape} must equal input shape {x.shape} "
                             "(class indices, ended by -1)")
        rows = x.reshape(-1, x.shape[-1])
        t = target.reshape(rows.shape)
        num_classes = rows.shape[1]
        listed = np.cumprod(t != -1, axis=1).astype(bool)  # before the first -1
        if t.size and ((t < -1) | (t >= num_classes)).any():
            bad = t[(t < -1) | (t >= num_classes)]
            raise IndexError(f"{op}: target {bad[0]} is out of range: class indices lie in "
                             f"[0, {num_classes}), -1 ends a row's list")
        counts = np.zeros(rows.shape, dtype=x.dtype)
        row_index = np.broadcast_to(np.arange(len(t))[:, None], t.shape)
        np.add.at(counts, (row_index[listed], t[listed]), 1)
        not_target = counts == 0
        h = 1 - rows[:, :, None] + rows[:, None, :]  # (row, j, i): 1 - x_j + x_i
        pairs = (h > 0) * counts[:, :, None] * not_target[:, None, :]
        loss = (np.where(pairs > 0, h, 0) * pairs).sum((1, 2)) / num_classes
        self.pairs, self.c, self.shape, self.reduction = pairs, num_classes, x.shape, reduction
        return _reduce(loss.reshape(x.shape[:-1]), reduction)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, None]:
        u = _upstream(g, self.reduction, len(self.pairs))
        u = np.asarray(u).reshape(-1, 1) if np.ndim(u) else u
        pairs = self.pairs
        grad = (pairs.sum(1) - pairs.sum(2)) / self.c * u
        return grad.reshape(self.shape), None


class SoftMargin(Function):
    """l = log(1 + e^(-y x)) = softplus(-y x) (stable), for targets y = +-1;
    dl/dx = -y sigmoid(-y x). The target gets no gradient, as torch."""

    def forward(self, x: np.ndarray, y: np.ndarray, reduction: str) -> np.ndarray:
        y = _same_shape_target("soft_margin_loss", x, y)
        z = -y * x
        with np.errstate(under="ignore"):
            loss = np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))
        self.z, self.y, self.reduction = z, y, reduction
        return _reduce(loss, reduction)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, None]:
        u = _upstream(g, self.reduction, self.z.size)
        return -self.y * _stable_sigmoid(self.z) * u, None


# ---------------------------------------------------------------- functional API (issue 10)
@tensor_args("input", "target")
def kl_div(input: Tensor, target: Tensor, size_average: Optional[bool] = None, reduce: Optional[bool] = None,
           reduction: str = "mean", log_target: bool = False) -> Tensor:
    """KL divergence sum t (log t - x) of log-probabilities ``input`` x from probabilities
    ``target`` t (log-probabilities with ``log_target``), elementwise then reduced.

    'batchmean' divides the sum by the batch size (the KL divergence per sample); 'mean', the
    default, divides by the element count and warns, as torch. Shapes must be equal.
    """
    reduction = _legacy_reduction("kl_div", size_average, reduce, reduction)
    if reduction == "mean" and size_average is None and reduce is None:
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the "
                      "support size.'batchmean' divides only by the batch size, and aligns with "
                      "the KL div math definition.'mean' will be changed to behave the same as "
                      "'batchmean' in the next major release.", stacklevel=2)
    if reduction != "batchmean":
        _check_reduction("kl_div", reduction)
    return KLDiv.apply(input, target, reduction=reduction, log_target=bool(log_target))


@tensor_args("input", "target")
def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False,
                     size_average: Optional[bool] = None, eps: float = 1e-8,
                     reduce: Optional[bool] = None, reduction: str = "mean") -> Tensor:
    """Poisson NLL: e^x - t x of log-rates x (``log_input``), or x - t log(x + eps) of rates x;
    ``full`` adds Stirling's approximation t log t - t + log(2 pi t) / 2 where t > 1.
    """
    reduction = _legacy_reduction("poisson_nll_loss", size_average, reduce, reduction)
    _check_reduction("poisson_nll_loss", reduction)
    return PoissonNLL.apply(input, target, log_input=bool(log_input), full=bool(full),
                            eps=eps, reduction=reduction)


@tensor_args("input", "target")
def gaussian_nll_loss(input: Tensor, target: Tensor, var: Union[Tensor, float],
                      full: bool = False, eps: float = 1e-6, reduction: str = "mean") -> Tensor:
    """Gaussian NLL (log v + (x - t)**2 / v) / 2, v = max(var, eps) (+ log(2 pi) / 2 if full).

    ``var``: a number, or a tensor of the input's shape, of its shape without the last
    dimension, or with one dimension of size 1 (a shared variance), as torch; ValueError for
    any other shape or a negative entry.
    """
    op = "gaussian_nll_loss"
    shape = tuple(input.shape)
    if not isinstance(var, (Tensor, np.ndarray, int, float, np.number)) or isinstance(var, bool):
        raise TypeError(f"{op}: argument 'var' must be a Tensor or a number, not "
                        f"{type(var).__name__}")
    values = _array(var)
    if values.dtype.kind not in "iuf":
        raise TypeError(f"{op}: argument 'var' must be a real Tensor or number, got dtype "
                        f"{values.dtype}")
    if np.any(values < 0):
        raise ValueError(f"{op}: var has negative entry/entries")
    var_shape = values.shape
    if isinstance(var, (int, float)):
        var_shape = ()
    elif var_shape != shape:
        if shape[:-1] == var_shape:
            var_shape = var_shape + (1,)
        elif not (len(shape) == len(var_shape) and
                  sum(v for s, v in zip(shape, var_shape) if s != v) == 1):
            raise ValueError(f"{op}: var is of incorrect size: var shape {values.shape} for input "
                             f"shape {shape} (expected the input's shape, it without the last "
                             "dimension, or one dimension of size 1)")
    _check_reduction(op, reduction)
    return GaussianNLL.apply(input, target, var, var_shape=var_shape, full=bool(full), eps=eps,
                             reduction=reduction)


@tensor_args("input1", "input2", "target")
def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0,
                        size_average: Optional[bool] = None, reduce: Optional[bool] = None,
                        reduction: str = "mean") -> Tensor:
    """max(0, -y (x1 - x2) + margin), y = 1 where x1 should rank higher, -1 where lower.

    The three inputs broadcast, with equal ranks (ValueError naming the shapes otherwise).
    """
    op = "margin_ranking_loss"
    reduction = _legacy_reduction(op, size_average, reduce, reduction)
    _check_reduction(op, reduction)
    _broadcast_all(op, ("input1", "input2", "target"), (input1, input2, target))
    return MarginRanking.apply(input1, input2, target, margin=margin, reduction=reduction)


@tensor_args("input", "target")
def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0,
                         size_average: Optional[bool] = None, reduce: Optional[bool] = None,
                         reduction: str = "mean") -> Tensor:
    """x where y = 1, max(0, margin - x) where y = -1 (for distances x between pairs labelled
    similar, y = 1, or dissimilar, y = -1). Shapes must be equal."""
    op = "hinge_embedding_loss"
    reduction = _legacy_reduction(op, size_average, reduce, reduction)
    _check_reduction(op, reduction)
    return HingeEmbedding.apply(input, target, margin=margin, reduction=reduction)


@tensor_args("input1", "input2", "target")
def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0,
                          size_average: Optional[bool] = None, reduce: Optional[bool] = None,
                          reduction: str = "mean") -> Tensor:
    """1 - cos(x1, x2) where y = 1, max(0, cos(x1, x2) - margin) where y = -1, per row.

    Inputs (N, D) with target (N,), or (D,) with a 0-d target; ValueError otherwise.
    """
    op = "cosine_embedding_loss"
    reduction = _legacy_reduction(op, size_average, reduce, reduction)
    _check_reduction(op, reduction)
    t_dim = np.ndim(_array(target))
    s1, s2, st = tuple(np.shape(_array(input1))), tuple(np.shape(_array(input2))), \
        tuple(np.shape(_array(target)))
    if t_dim not in (0, 1):
        raise ValueError(f"{op}: 0D or 1D target tensor expected, multi-target not supported; "
                         f"got target shape {st}")
    if len(s1) != t_dim + 1 or len(s2) != t_dim + 1:
        raise ValueError(f"{op}: a {t_dim}D target expects {t_dim + 1}D input tensors, but found "
                         f"inputs with shapes {s1} and {s2} (target shape {st})")
    try:
        np.broadcast_shapes(s1, s2)
        np.broadcast_shapes(s1[:-1], s2[:-1], st)
    except ValueError:
        raise ValueError(f"{op}: shapes do not broadcast: input1 {s1}, input2 {s2}, "
                         f"target {st}") from None
    return CosineEmbedding.apply(input1, input2, target, margin=margin, reduction=reduction)


@tensor_args("anchor", "positive", "negative")
def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0,
                        p: float = 2, eps: float = 1e-6, swap: bool = False,
                        size_average: Optional[bool] = None, reduce: Optional[bool] = None,
                        reduction: str = "mean") -> Tensor:
    """max(0, margin + d(a, p) - d(a, n)), d(x, y) = ||x - y + eps||_p over the last dimension;
    ``swap`` uses min(d(a, n), d(p, n)) for the negative distance.

    The inputs broadcast, with equal ranks; ValueError for margin <= 0, as torch.
    """
    op = "triplet_margin_loss"
    reduction = _legacy_reduction(op, size_average, reduce, reduction)
    _check_reduction(op, reduction)
    _check_margin(op, margin)
    shape = _broadcast_all(op, ("anchor", "positive", "negative"), (anchor, positive, negative))
    if len(shape) == 0:
        raise ValueError(f"{op}: inputs need at least one dimension (the vectors compared), got "
                         "0-d inputs")
    return TripletMargin.apply(anchor, positive, negative, margin=margin, p=p, eps=eps,
                               swap=bool(swap), reduction=reduction)


@tensor_args("anchor", "positive", "negative")
def triplet_margin_with_distance_loss(
        anchor: Tensor, positive: Tensor, negative: Tensor, *,
        distance_function: Optional[Callable[[Tensor, Tensor], Tensor]] = None,
        margin: float = 1.0, swap: bool = False, reduction: str = "mean") -> Tensor:
    """max(0, margin + d(a, p) - d(a, n)) for any ``distance_function`` d (default: the pairwise
    distance ||x - y + 1e-6||_2, i.e. triplet_margin_loss); ``swap`` uses min(d(a, n), d(p, n)).

    With a custom distance the loss is built from gradsheet ops, differentiated through d.
    """
    op = "triplet_margin_with_distance_loss"
    _check_reduction(op, reduction)
    _check_margin(op, margin)
    dims = [np.ndim(_array(x)) for x in (anchor, positive, negative)]
    if len(set(dims)) > 1:
        raise ValueError(f"{op}: the anchor, positive, and negative tensors are expected to have "
                         f"the same number of dimensions, but got: anchor {dims[0]}D, positive "
                         f"{dims[1]}D, and negative {dims[2]}D inputs")
    if distance_function is None:
        try:
            return triplet_margin_loss(anchor, positive, negative, margin=margin, p=2, eps=1e-6,
                                       swap=swap, reduction=reduction)
        except (TypeError, ValueError, IndexError, RuntimeError) as error:
            raise type(error)(f"{op}: {error}") from None
    from .elementwise import clamp, minimum
    dist_pos = distance_function(anchor, positive)
    dist_neg = distance_function(anchor, negative)
    if swap:
        dist_neg = minimum(dist_neg, distance_function(positive, negative))
    loss = clamp(dist_pos - dist_neg + margin, min=0)
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else loss.mean()


@tensor_args("input", "target", "weight")
def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight: Optional[Tensor] = None,
                                size_average: Optional[bool] = None, reduce: Optional[bool] = None,
                                reduction: str = "mean") -> Tensor:
    """-(1 / C) sum_c w_c [y_c log sigmoid(x_c) + (1 - y_c) log sigmoid(-x_c)] per sample (classes
    on the last dimension), computed stably; ``weight`` broadcasts to the input's shape."""
    op = "multilabel_soft_margin_loss"
    reduction = _legacy_reduction(op, size_average, reduce, reduction)
    _check_reduction(op, reduction)
    return MultilabelSoftMargin.apply(input, target, weight, reduction=reduction)


@tensor_args("input", "target", "weight")
def multi_margin_loss(input: Tensor, target: Tensor, p: int = 1, margin: float = 1.0,
                      weight: Optional[Tensor] = None, size_average: Optional[bool] = None,
                      reduce: Optional[bool] = None, reduction: str = "mean") -> Tensor:
    """(1 / C) sum_{i != y} w_y max(0, margin - x_y + x_i)**p: a multi-class hinge loss for
    scores (N, C) or (C,) and class indices y; p is 1 or 2 (ValueError otherwise)."""
    op = "multi_margin_loss"
    reduction = _legacy_reduction(op, size_average, reduce, reduction)
    _check_reduction(op, reduction)
    if p not in (1, 2):
        raise ValueError(f"{op}: only p == 1 and p == 2 supported, got p={p}")
    if weight is not None and np.ndim(_array(weight)) != 1:
        raise ValueError(f"{op}: weight must be one-dimensional, got shape "
                         f"{tuple(np.shape(_array(weight)))}")
    return MultiMargin.apply(input, target, weight, p=int(p), margin=margin, reduction=reduction)


@tensor_args("input", "target")
def multilabel_margin_loss(input: Tensor, target: Tensor, size_average: Optional[bool] = None,
                           reduce: Optional[bool] = None, reduction: str = "mean") -> Tensor:
    """(1 / C) sum_{j target} sum_{i not target} max(0, 1 - (x_j - x_i)) per sample; each target
    row lists the sample's classes and ends at the first -1 (it has the input's shape)."""
    op = "multilabel_margin_loss"
    reduction = _legacy_reduction(op, size_average, reduce, reduction)
    _check_reduction(op, reduction)
    return MultilabelMargin.apply(input, target, reduction=reduction)


@tensor_args("input", "target")
def soft_margin_loss(input: Tensor, target: Tensor, size_average: Optional[bool] = None,
                     reduce: Optional[bool] = None, reduction: str = "mean") -> Tensor:
    """log(1 + e^(-y x)) for targets y = +-1 (a two-class logistic loss). Shapes must be equal."""
    op = "soft_margin_loss"
    reduction = _legacy_reduction(op, size_average, reduce, reduction)
    _check_reduction(op, reduction)
    return SoftMargin.apply(input, target, reduction=reduction)
