"""Loss functions L(prediction, target): each one fused node with a hand-written gradient.

Every loss takes ``reduction``: 'mean' (the default), 'sum', or 'none' (the per-element or
per-sample losses, unreduced). Names, arguments, defaults and semantics follow
torch.nn.functional. One deliberate difference: where PyTorch broadcasts a pointwise loss's
target of another shape (with a warning), gradsheet raises ValueError naming both shapes; the
usual cause is an (N, 1) prediction against an (N,) target, silently an (N, N) loss.
Class weights, ``weight`` and ``pos_weight`` are constants: they get no gradient.
"""
import numpy as np

from ..autograd.function import Function

_REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(op, reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _reduce(loss, reduction):
    """The per-element ``loss`` reduced to its mean or sum, or as it is for 'none'."""
    if reduction == "none":
        return loss
    # np.add.reduce skips ndarray.mean's Python-level wrapper: this is on every step's path
    total = np.add.reduce(loss, axis=None)
    return np.asarray(total / loss.size if reduction == "mean" else total)


def _upstream(g, reduction, n):
    """dL/dl for each of the n elements l of the loss: g / n for 'mean', else g."""
    return g / n if reduction == "mean" else g


def _same_shape_target(op, x, target):
    """``target`` as an array of x's dtype, after checking that its shape is x's."""
    target = np.asarray(target)
    if target.shape != x.shape:
        raise ValueError(f"{op}: target shape {target.shape} must equal input shape {x.shape} "
                         "(gradsheet does not broadcast a loss's target)")
    return target.astype(x.dtype, copy=False)


def _broadcast_weight(op, name, weight, shape, dtype):
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


def _check_unit_interval(op, name, values):
    """Raise unless every value lies in [0, 1] (NaN included among the offenders)."""
    if values.size and not (values.min() >= 0 and values.max() <= 1):
        bad = values[~((values >= 0) & (values <= 1))]
        raise ValueError(f"{op}: every {name} value must lie in [0, 1] for "
                         f"L(z, y) = -[y log z + (1 - y) log(1 - z)], got {bad[:5].tolist()}")


# ---------------------------------------------------------------- regression losses
class MSELoss(Function):
    """l = (x - y)**2;  dl/dx = 2 (x - y) = -dl/dy, so the mean's gradient is 2 (x - y) / n."""

    def forward(self, x, y, reduction):
        self.d = x - _same_shape_target("mse_loss", x, y)
        self.reduction = reduction
        return _reduce(self.d * self.d, reduction)

    def backward(self, g):
        grad = self.d * (2 * _upstream(g, self.reduction, self.d.size))
        return grad, (-grad if self.needs_grad(1) else None)


class L1Loss(Function):
    """l = |x - y|;  dl/dx = sign(x - y) = -dl/dy (0 where x = y, as in PyTorch)."""

    def forward(self, x, y, reduction):
        self.d = x - _same_shape_target("l1_loss", x, y)
        self.reduction = reduction
        return _reduce(np.abs(self.d), reduction)

    def backward(self, g):
        grad = np.sign(self.d) * _upstream(g, self.reduction, self.d.size)
        return grad, (-grad if self.needs_grad(1) else None)


class HuberLoss(Function):
    """l = 0.5 d**2 if |d| < delta else delta (|d| - 0.5 delta), d = x - y: quadratic near 0,
    linear in the tails (robust to outliers);  dl/dx = clip(d, -delta, delta) = -dl/dy.

    ``scale`` multiplies both: smooth_l1_loss with beta is huber_loss with delta = beta, / beta.
    """

    def forward(self, x, y, reduction, delta, scale, op):
        d = x - _same_shape_target(op, x, y)
        abs_d = np.abs(d)
        loss = np.where(abs_d < delta, 0.5 * d * d, delta * (abs_d - 0.5 * delta))
        if scale != 1:
            loss *= scale
        self.d, self.delta, self.scale, self.reduction = d, delta, scale, reduction
        return _reduce(loss, reduction)

    def backward(self, g):
        grad = np.clip(self.d, -self.delta, self.delta)
        grad *= self.scale * _upstream(g, self.reduction, self.d.size)
        return grad, (-grad if self.needs_grad(1) else None)


# ---------------------------------------------------------------- binary cross-entropy
class BinaryCrossEntropy(Function):
    """L(z, y) = -w [y log z + (1 - y) log(1 - z)] for probabilities z in [0, 1], with each log
    clamped at -100 as in PyTorch, so that z = 0 or z = 1 gives a finite loss;
    dL/dz = w (z - y) / max(z (1 - z), 1e-12),  dL/dy = w [log(1 - z) - log z] (logs clamped).
    """

    def forward(self, z, y, weight, reduction):
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

    def backward(self, g):
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

    def forward(self, x, y, weight, pos_weight, reduction):
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

    def backward(self, g):
        x, y, w, p, e = self.x, self.y, self.w, self.p, self.e
        u = _upstream(g, self.reduction, x.size)
        if w is not None:
            u = u * w
        grad_x = grad_y = None
        if self.needs_grad(0):
            sigmoid = np.where(x >= 0, 1, e) / (1 + e)  # e = e^-|x|: never overflows
            grad_x = sigmoid - y if p is None else (1 + (p - 1) * y) * sigmoid - p * y
            grad_x *= u
        if self.needs_grad(1):
            grad_y = -x * u if p is None else ((p - 1) * self.softplus_neg - x) * u
        return grad_x, grad_y, None, None


# ---------------------------------------------------------------- classification
def _num_classes(op, x):
    if x.ndim == 0:
        raise ValueError(f"{op}: input must have a class dimension: (C,), (N, C) or "
                         "(N, C, d1, ...); got a 0-d input")
    return x.shape[1] if x.ndim >= 2 else x.shape[0]


def _index_shape(x):
    """The shape of class-index targets for input x: x's shape without the class dim."""
    return x.shape[:1] + x.shape[2:] if x.ndim >= 2 else ()


def _class_rows(x):
    """x as rows (M, C), classes last: (C,) -> (1, C); (N, C) as it is;
    (N, C, d1, ...) -> (N d1 ..., C), one row per sample and position."""
    if x.ndim <= 2:
        return x.reshape(-1, x.shape[-1])
    return np.moveaxis(x, 1, -1).reshape(-1, x.shape[1])


def _unrows(rows, shape):
    """The inverse of _class_rows, for a gradient laid out as rows."""
    if len(shape) <= 2:
        return rows.reshape(shape)
    return np.moveaxis(rows.reshape(shape[:1] + shape[2:] + shape[1:2]), -1, 1)


def _class_weight(op, weight, num_classes, dtype):
    if weight is None:
        return None
    weight = np.asarray(weight).astype(dtype, copy=False)
    if weight.shape != (num_classes,):
        raise ValueError(f"{op}: weight must have shape ({num_classes},), one entry per "
                         f"class, got {weight.shape}")
    return weight


def _index_targets(op, x, target, weight, ignore_index):
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


def _reduce_rows(loss, reduction, out_shape, valid, w_y):
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


def _row_scale(g, reduction, denominator, valid):
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

    def forward(self, x, target, weight, ignore_index, reduction, label_smoothing):
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

    def _indices(self, y, w, w_y, eps, num_classes, shifted):
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
            if w is not None:
                self.coef = (1 - eps) * w_y + (eps / num_classes) * w_total
        return loss if self.valid is None else np.where(self.valid, loss, 0)

    def _probabilities(self, op, x, target, weight, ignore_index, eps, shifted):
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

    def backward(self, g):
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

    def forward(self, x, target, weight, ignore_index, reduction):
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

    def backward(self, g):
        r = _row_scale(g, self.reduction, self.denominator, self.valid)
        y = self.y
        num_classes = self.shape[1] if len(self.shape) >= 2 else self.shape[0]
        grad = np.zeros((len(y), num_classes), dtype=self.dtype)
        grad[np.arange(len(y)), y] = -r if self.w_y is None else -(r * self.w_y)
        return _unrows(grad, self.shape), None, None


# ---------------------------------------------------------------- functional API
def mse_loss(input, target, reduction="mean"):
    """Mean squared error: mean((input - target)**2). Example: mse_loss([1., 3.], [0., 1.]) = 2.5.

    Unlike PyTorch, a target whose shape differs from the input's raises ValueError.
    """
    _check_reduction("mse_loss", reduction)
    return MSELoss.apply(input, target, reduction=reduction)


def l1_loss(input, target, reduction="mean"):
    """Mean absolute error: mean(|input - target|). Shapes must be equal (no broadcasting)."""
    _check_reduction("l1_loss", reduction)
    return L1Loss.apply(input, target, reduction=reduction)


def huber_loss(input, target, reduction="mean", delta=1.0):
    """0.5 d**2 if |d| < delta else delta (|d| - 0.5 delta), d = input - target, then reduced.
    Shapes must be equal (no broadcasting)."""
    _check_reduction("huber_loss", reduction)
    if not delta > 0:
        raise ValueError(f"huber_loss: delta must be positive, got delta={delta}")
    return HuberLoss.apply(input, target, reduction=reduction, delta=delta, scale=1,
                           op="huber_loss")


def smooth_l1_loss(input, target, reduction="mean", beta=1.0):
    """0.5 d**2 / beta if |d| < beta else |d| - 0.5 beta, d = input - target (huber_loss / beta;
    l1_loss when beta = 0). Shapes must be equal (no broadcasting)."""
    _check_reduction("smooth_l1_loss", reduction)
    if not beta >= 0:
        raise ValueError(f"smooth_l1_loss: beta must be non-negative, got beta={beta}")
    if beta == 0:
        return L1Loss.apply(input, target, reduction=reduction)
    return HuberLoss.apply(input, target, reduction=reduction, delta=beta, scale=1.0 / beta,
                           op="smooth_l1_loss")


def binary_cross_entropy(input, target, weight=None, reduction="mean"):
    """L(z, y) = -w [y log z + (1 - y) log(1 - z)] on probabilities z (logs clamped at -100).

    ``weight`` broadcasts to the input's shape. Example: binary_cross_entropy([0.5], [1.]) = log 2.
    Prefer binary_cross_entropy_with_logits on raw scores: it is stable for any score.
    """
    _check_reduction("binary_cross_entropy", reduction)
    return BinaryCrossEntropy.apply(input, target, weight, reduction=reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean",
                                     pos_weight=None):
    """BCE of sigmoid(input) against target, as max(x, 0) - x y + log(1 + e^-|x|) (stable).

    ``pos_weight`` (e.g. one entry per class, broadcast over the last dim) weights the
    positive term; ``weight`` broadcasts to the input's shape.
    """
    _check_reduction("binary_cross_entropy_with_logits", reduction)
    return BinaryCrossEntropyWithLogits.apply(input, target, weight, pos_weight,
                                              reduction=reduction)


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean",
                  label_smoothing=0.0):
    """Softmax cross-entropy -log softmax(input)_target, fused (see CrossEntropy).

    target: class indices (N,) / (N, d1, ...) / () for a (C,) input, or class probabilities of
    the input's shape. Example: cross_entropy(tensor([[0., 0.]]), tensor([1])) = log 2.
    """
    _check_reduction("cross_entropy", reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must lie in [0, 1], "
                         f"got {label_smoothing}")
    return CrossEntropy.apply(input, target, weight, ignore_index=ignore_index,
                              reduction=reduction, label_smoothing=float(label_smoothing))


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    """Negative log-likelihood -input[target] of log-probabilities (e.g. log_softmax output)."""
    _check_reduction("nll_loss", reduction)
    return NLLLoss.apply(input, target, weight, ignore_index=ignore_index, reduction=reduction)
