"""Activation functions g(z), each with its derivative, in numerically stable forms."""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Callable, Optional

import numpy as np

from ._checks import int_arg, tensor_args
from .. import backend
from ..autograd import inplace as _inplace
from ..autograd.function import Function
from ..autograd.methods import tensor_method
from ..autograd.tensor import Tensor

if TYPE_CHECKING:
    from .._typing import DType


def _stable_sigmoid(z: np.ndarray, e: Optional[np.ndarray] = None) -> np.ndarray:
    """1 / (1 + e^-z) without overflow: e^-|z| never exceeds 1. The library's one sigmoid on
    arrays (the Sigmoid op, SiLU, GLU, the logit losses' gradients).

    For z >= 0 it is 1 / (1 + e^-z); for z < 0 the same value is e^z / (1 + e^z).
    e^-|z| underflowing to 0 is the exact limit (sigmoid(-1000) = 0), not an error.
    ``e``: e^-|z| when the caller has it already (BCE with logits), saving an exp.
    """
    with np.errstate(under="ignore"):
        if e is None:
            e = np.exp(-np.abs(z))
        return np.where(z >= 0, 1, e) / (1 + e)


class Sigmoid(Function):
    """g(z) = 1 / (1 + e^(-z));  g'(z) = g(z) (1 - g(z))."""

    def forward(self, z: np.ndarray) -> np.ndarray:
        self.y = _stable_sigmoid(z)
        return self.y

    def backward(self, g: np.ndarray) -> np.ndarray:
        y = self.y
        return g * y * (1 - y)


class Tanh(Function):
    """g(z) = (e^z - e^(-z)) / (e^z + e^(-z));  g'(z) = 1 - g(z)**2."""

    def forward(self, z: np.ndarray) -> np.ndarray:
        self.y = np.tanh(z)
        return self.y

    def backward(self, g: np.ndarray) -> np.ndarray:
        y = self.y
        return g * (1 - y * y)


class ReLU(Function):
    """g(z) = max(0, z);  g'(z) = 1 if z > 0 else 0."""

    def forward(self, z: np.ndarray) -> np.ndarray:
        y = np.maximum(z, 0)
        self.y = y
        return y

    def backward(self, g: np.ndarray) -> np.ndarray:
        return g * (self.y > 0)


class LeakyReLU(Function):
    """g(z) = max(eps z, z) for eps << 1 (z if z > 0 else eps z);  g'(z) = 1 if z > 0 else eps."""

    def forward(self, z: np.ndarray, negative_slope: float) -> np.ndarray:
        self.positive = z > 0
        self.slope = negative_slope
        return np.where(self.positive, z, z * negative_slope)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, None]:
        return np.where(self.positive, g, g * self.slope), None


class ELU(Function):
    """g(z) = z if z > 0 else alpha (e^z - 1);  g'(z) = 1 if z > 0 else alpha e^z."""

    def forward(self, z: np.ndarray, alpha: float) -> np.ndarray:
        self.positive = ~(z <= 0)  # NaN takes this branch, as torch
        self.negative_part = np.minimum(z, 0)
        self.alpha = alpha
        return np.where(self.positive, z, alpha * np.expm1(self.negative_part))

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, None]:
        # alpha e^z, not g(z) + alpha: that sum cancels to 0 for z below about -17 (float32)
        with np.errstate(under="ignore"):
            slope = self.alpha * np.exp(self.negative_part)
        return np.where(self.positive, g, g * slope), None


class Softplus(Function):
    """g(z) = log(1 + e^(beta z)) / beta, linear above ``threshold``;  g'(z) = sigmoid(beta z)."""

    def forward(self, z: np.ndarray, beta: float, threshold: float) -> np.ndarray:
        bz = z * beta
        self.linear = bz > threshold
        self.bz = bz
        # log(1 + e^t) = max(t, 0) + log1p(e^-|t|): no overflow for large t (and e^-|t|
        # underflowing to 0 is the exact limit).
        with np.errstate(under="ignore"):
            soft = (np.maximum(bz, 0) + np.log1p(np.exp(-np.abs(bz)))) / beta
        return np.where(self.linear, z, soft)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, None, None]:
        return np.where(self.linear, g, g * _stable_sigmoid(self.bz)), None, None


class SiLU(Function):
    """g(z) = z sigmoid(z);  g'(z) = s (1 + z (1 - s)) with s = sigmoid(z)."""

    def forward(self, z: np.ndarray) -> np.ndarray:
        self.z, self.s = z, _stable_sigmoid(z)
        return z * self.s

    def backward(self, g: np.ndarray) -> np.ndarray:
        s = self.s
        return g * s * (1 + self.z * (1 - s))


class GELU(Function):
    """g(z) = z Phi(z), Phi the standard normal CDF = (1 + erf(z / sqrt 2)) / 2
    (or its tanh approximation);  g'(z) = Phi(z) + z phi(z)."""

    def forward(self, z: np.ndarray, approximate: str) -> np.ndarray:
        self.z, self.approximate = z, approximate
        if approximate == "tanh":
            k = math.sqrt(2 / math.pi)
            self.inner = np.tanh(k * (z + 0.044715 * z ** 3))
            return 0.5 * z * (1 + self.inner)
        self.cdf = 0.5 * (1 + _erf(z / math.sqrt(2)))
        return z * self.cdf

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, None]:
        z = self.z
        if self.approximate == "tanh":
            k = math.sqrt(2 / math.pi)
            t = self.inner
            return g * (0.5 * (1 + t) + 0.5 * z * (1 - t * t) * k * (1 + 3 * 0.044715 * z * z)), None
        with np.errstate(under="ignore"):  # phi(z) -> 0 for large |z| is exact enough
            pdf = np.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
        return g * (self.cdf + z * pdf), None


def _erf(x: np.ndarray) -> np.ndarray:
    """The error function, elementwise, in the input's dtype (SciPy's when installed)."""
    try:
        from scipy.special import erf
    except ImportError:
        return np.vectorize(math.erf, otypes=[x.dtype])(x)
    return erf(x).astype(x.dtype, copy=False)


class Softmax(Function):
    """y_i = e^(z_i - max z) / sum_j e^(z_j - max z) (the shift cancels and prevents overflow);
    dL/dz = y * (dL/dy - sum_j dL/dy_j y_j)."""

    def forward(self, z: np.ndarray, dim: int) -> np.ndarray:
        with np.errstate(under="ignore"):  # far-below-max logits get probability 0
            e = np.exp(z - np.max(z, axis=dim, keepdims=True, initial=-np.inf))
        e /= np.sum(e, axis=dim, keepdims=True)
        self.y, self.dim = e, dim
        return e

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, None]:
        y = self.y
        return y * (g - np.sum(g * y, axis=self.dim, keepdims=True)), None


class LogSoftmax(Function):
    """y_i = z_i - log sum_j e^(z_j)  (computed as (z_i - m) - log sum_j e^(z_j - m));
    dL/dz = dL/dy - softmax(z) * sum_j dL/dy_j."""

    def forward(self, z: np.ndarray, dim: int) -> np.ndarray:
        shifted = z - np.max(z, axis=dim, keepdims=True, initial=-np.inf)
        with np.errstate(under="ignore"):  # the max term contributes e^0 = 1, so the sum >= 1
            y = shifted - np.log(np.sum(np.exp(shifted), axis=dim, keepdims=True))
        self.y, self.dim = y, dim
        return y

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, None]:
        with np.errstate(under="ignore"):
            return g - np.exp(self.y) * np.sum(g, axis=self.dim, keepdims=True), None


@tensor_args("input")
@tensor_method("sigmoid", inplace="sigmoid_")
def sigmoid(input: Tensor) -> Tensor:
    """g(z) = 1 / (1 + e^(-z)), elementwise (the cheat sheet's sigmoid); gradient g(z) (1 - g(z)).

    Computed without overflow for large |z| (as ``torch.sigmoid``).
    """
    if isinstance(input, Tensor) and input.array.dtype.kind == "b":
        input = _promote_integer(input)  # torch.sigmoid(bool) is a float tensor
    return Sigmoid.apply(input)


@tensor_args("input")
@tensor_method("tanh", inplace="tanh_")
def tanh(input: Tensor) -> Tensor:
    """g(z) = (e^z - e^(-z)) / (e^z + e^(-z)), elementwise; gradient 1 - g(z)**2."""
    return Tanh.apply(input)


@tensor_args("input")
@tensor_method("relu", inplace="relu_")
def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """g(z) = max(0, z), elementwise (the cheat sheet's ReLU); gradient 1 where z > 0, else 0.

    ``inplace=True`` (``F.relu``'s argument) writes the result into ``input``, as ``relu_``.
    """
    if inplace:
        return _write(input, "relu_", relu)
    return ReLU.apply(input)


@tensor_args("input")
def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """g(z) = z if z > 0 else negative_slope * z, elementwise (Leaky ReLU, eps = ``negative_slope``);
    gradient 1 where z > 0, else negative_slope (also at z = 0, as torch).
    """
    if inplace:
        return _write(input, "leaky_relu_", leaky_relu, negative_slope)
    return LeakyReLU.apply(input, negative_slope)


@tensor_args("input")
def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """g(z) = z if z > 0 else alpha (e^z - 1), elementwise; gradient 1 where z > 0, else alpha e^z."""
    if inplace:
        return _write(input, "elu_", elu, alpha)
    return ELU.apply(input, alpha)


@tensor_args("input")
def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """g(z) = log(1 + e^(beta z)) / beta, elementwise; gradient sigmoid(beta z).

    Where beta z > ``threshold`` it returns z itself, as ``torch.nn.functional.softplus``.
    """
    return Softplus.apply(input, beta, threshold)


@tensor_args("input")
def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """g(z) = z sigmoid(z), elementwise (SiLU, also called swish); gradient s (1 + z (1 - s)), s = sigmoid(z).
    """
    if inplace:
        return _write(input, "silu_", silu)
    if isinstance(input, Tensor) and input.array.dtype.kind == "b":
        raise NotImplementedError("silu: not implemented for bool input, as torch")
    return SiLU.apply(input)


@tensor_args("input")
def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """g(z) = z Phi(z), Phi the standard normal CDF, elementwise; gradient Phi(z) + z phi(z).

    ``approximate='tanh'`` uses Phi(z) ~ (1 + tanh(sqrt(2/pi) (z + 0.044715 z**3))) / 2, as PyTorch.
    Raises ValueError for any other value than 'none' or 'tanh'.
    """
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return GELU.apply(input, approximate)


def _softmax_dim(op: str, input: Tensor, dim: Optional[int]) -> int:
    if dim is None:
        raise TypeError(f"{op}: pass dim= (the dimension that sums to one), as in PyTorch")
    if type(dim) is not int:
        dim = int_arg(op, "dim", dim)
    dtype = input.array.dtype if isinstance(input, Tensor) else np.asarray(input).dtype
    if dtype.kind not in "fc":
        raise NotImplementedError(f"{op}: not implemented for {dtype} input (pass a "
                                  f"floating-point tensor, or dtype=)")
    if not -max(input.ndim, 1) <= dim < max(input.ndim, 1):
        raise IndexError(f"{op}: dim {dim} is out of range for shape {input.shape}")
    return dim


@tensor_args("input")
@tensor_method("softmax")
def softmax(input: Tensor, dim: Optional[int] = None) -> Tensor:
    """y_i = e^(z_i) / sum_j e^(z_j) along ``dim`` (each slice sums to 1);
    gradient dL/dz = y * (dL/dy - sum_j dL/dy_j y_j).

    ``dim`` is required (a TypeError says so), unlike PyTorch's deprecated implicit choice.
    """
    return Softmax.apply(input, _softmax_dim("softmax", input, dim))


@tensor_args("input")
@tensor_method("log_softmax")
def log_softmax(input: Tensor, dim: Optional[int] = None) -> Tensor:
    """y_i = z_i - log sum_j e^(z_j) along ``dim``, computed stably (no exp overflow);
    gradient dL/dz = dL/dy - softmax(z) * sum_j dL/dy_j. ``dim`` is required.
    """
    return LogSoftmax.apply(input, _softmax_dim("log_softmax", input, dim))


# ---------------------------------------------------------------- more activations (issue 10)
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _write(input: Tensor, op: str, function: Callable[..., Tensor], *args: Any) -> Tensor:
    """``function(input, *args)`` written into ``input`` (``F.relu(x, inplace=True)``, ``relu_``)."""
    return _inplace.assign(input, op, function, args, {})


def _floating(op: str, input: Tensor) -> Tensor:
    """Raise TypeError unless ``input`` is floating (torch has no integer kernel for ``op``)."""
    dtype = input.array.dtype if isinstance(input, Tensor) else np.asarray(input).dtype
    if dtype.kind != "f":
        raise TypeError(f"{op}: expects a floating-point tensor, got {dtype}")
    return input


def _promote_integer(input: Tensor) -> Tensor:
    """An integer or bool tensor as the default float dtype (torch's true division promotes)."""
    if isinstance(input, Tensor) and input.array.dtype.kind in "biu":
        from .elementwise import cast
        return cast(input, backend.get_default_dtype())
    return input


class Hardtanh(Function):
    """g(z) = min(max(z, lo), hi);  g'(z) = 0 where z <= lo or z >= hi (the corners included,
    as torch), else 1."""

    def forward(self, z: np.ndarray, min_val: float, max_val: float) -> np.ndarray:
        self.outside = (z <= min_val) | (z >= max_val)
        y = np.minimum(np.maximum(z, min_val), max_val)
        return y.astype(z.dtype, copy=False) if z.dtype.kind != "f" else y

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, None, None]:
        return np.where(self.outside, 0, g), None, None


class Hardswish(Function):
    """g(z) = z min(max(z + 3, 0), 6) / 6;  g'(z) = 0 for z <= -3, z / 3 + 1/2 for -3 < z < 3,
    1 for z >= 3 (torch's choice at the corners)."""

    def forward(self, z: np.ndarray) -> np.ndarray:
        self.z = z
        with np.errstate(invalid="ignore"):  # -inf * 0 = nan, as torch
            return z * np.minimum(np.maximum(z + 3, 0), 6) / 6

    def backward(self, g: np.ndarray) -> np.ndarray:
        z = self.z
        return g * np.where(z <= -3, 0, np.where(z < 3, z / 3 + 0.5, 1))


class Hardsigmoid(Function):
    """g(z) = min(max(z + 3, 0), 6) / 6;  g'(z) = 1/6 for -3 < z < 3, else 0."""

    def forward(self, z: np.ndarray) -> np.ndarray:
        self.inside = (z > -3) & (z < 3)
        return np.minimum(np.maximum(z + 3, 0), 6) / 6

    def backward(self, g: np.ndarray) -> np.ndarray:
        return np.where(self.inside, g / 6, 0)


def _softplus(z: np.ndarray) -> np.ndarray:
    """log(1 + e^z) = max(z, 0) + log(1 + e^-|z|), without overflow."""
    with np.errstate(under="ignore"):
        return np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))


class Mish(Function):
    """g(z) = z tanh(softplus(z));  g'(z) = t + z sigmoid(z) (1 - t**2), t = tanh(softplus(z))."""

    def forward(self, z: np.ndarray) -> np.ndarray:
        self.z, self.t = z, np.tanh(_softplus(z))
        with np.errstate(invalid="ignore"):  # nan at -inf (-inf * 0), as torch
            return z * self.t

    def backward(self, g: np.ndarray) -> np.ndarray:
        z, t = self.z, self.t
        with np.errstate(invalid="ignore"):  # nan at +-inf, as torch
            return g * (t + z * _stable_sigmoid(z) * (1 - t * t))


class ScaledELU(Function):
    """g(z) = s a (e^(k z) - 1) if z <= 0 else s z;  g'(z) = s a k e^(k z) if z <= 0 else s
    (the z <= 0 branch at z = 0, the other one at NaN, as torch). SELU: a = 1.6733,
    s = 1.0507, k = 1; CELU(alpha): a = alpha, s = 1, k = 1 / alpha."""

    def forward(self, z: np.ndarray, alpha: float, scale: float, input_scale: float
                ) -> np.ndarray:
        self.positive = ~(z <= 0)
        self.negative_part = np.minimum(z, 0) * input_scale
        self.coef = scale * alpha * input_scale
        self.scale = scale
        return np.where(self.positive, z * scale, (scale * alpha) * np.expm1(self.negative_part))

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, None, None, None]:
        with np.errstate(under="ignore"):
            slope = self.coef * np.exp(self.negative_part)
        return np.where(self.positive, g * self.scale, g * slope), None, None, None


class LogSigmoid(Function):
    """g(z) = log sigmoid(z) = -softplus(-z) = min(z, 0) - log(1 + e^-|z|) (stable);
    g'(z) = 1 - sigmoid(z) = sigmoid(-z)."""

    def forward(self, z: np.ndarray) -> np.ndarray:
        self.z = z
        with np.errstate(under="ignore"):
            return np.minimum(z, 0) - np.log1p(np.exp(-np.abs(z)))

    def backward(self, g: np.ndarray) -> np.ndarray:
        return g * _stable_sigmoid(-self.z)


class Softsign(Function):
    """g(z) = z / (1 + |z|);  g'(z) = 1 / (1 + |z|)**2."""

    def forward(self, z: np.ndarray) -> np.ndarray:
        self.d = 1 + np.abs(z)
        with np.errstate(invalid="ignore"):  # inf / inf = nan, as torch's z / (1 + |z|)
            return z / self.d

    def backward(self, g: np.ndarray) -> np.ndarray:
        # torch differentiates the quotient: nan at +-inf (inf / inf), 1 / (1 + |z|)**2 elsewhere
        return np.where(np.isinf(self.d), np.nan, g / (self.d * self.d))


class Softmin(Softmax):
    """y = softmax(-z) along dim: y_i = e^(-z_i) / sum_j e^(-z_j);
    dL/dz = -y * (dL/dy - sum_j dL/dy_j y_j)."""

    def forward(self, z: np.ndarray, dim: int) -> np.ndarray:
        return Softmax.forward(self, -z, dim)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, None]:
        return -Softmax.backward(self, g)[0], None


class GLU(Function):
    """GLU(a, b) = a sigmoid(b), a and b the two halves of z along dim;
    dL/da = g sigmoid(b), dL/db = g a sigmoid(b) (1 - sigmoid(b))."""

    def forward(self, z: np.ndarray, dim: int) -> np.ndarray:
        a, b = np.split(z, 2, axis=dim)
        self.a, self.s, self.dim = a, _stable_sigmoid(b), dim
        return a * self.s

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, None]:
        s = self.s
        gs = g * s
        return np.concatenate([gs, gs * self.a * (1 - s)], axis=self.dim), None


class PReLU(Function):
    """g(z) = z if z > 0 else w z, w one slope per channel (dim 1) or one for all;
    dg/dz = 1 if z > 0 else w (w at z = 0, as torch);  dL/dw_c = sum over channel c of
    dL/dy z where z <= 0."""

    def forward(self, z: np.ndarray, w: np.ndarray) -> np.ndarray:
        self.w_shape = w.shape
        self.w = w.reshape((-1,) + (1,) * (z.ndim - 2)) if w.size > 1 else w.reshape(())
        self.z, self.positive = z, z > 0
        return np.where(self.positive, z, self.w * z)

    def backward(self, g: np.ndarray) -> tuple[Optional[np.ndarray], Optional[np.ndarray]]:
        grad_z = grad_w = None
        if self.needs_grad(0):
            grad_z = np.where(self.positive, g, g * self.w)
        if self.needs_grad(1):
            contribution = np.where(self.positive, 0, g * self.z)
            if self.w.ndim:
                axes = (0,) + tuple(range(2, contribution.ndim))
                grad_w = contribution.sum(axis=axes)
            else:
                grad_w = contribution.sum()
            grad_w = np.asarray(grad_w).reshape(self.w_shape)
        return grad_z, grad_w


class Threshold(Function):
    """y = value where z <= threshold else z;  dy/dz = 0 where z <= threshold, else 1."""

    def forward(self, z: np.ndarray, threshold: float, value: float) -> np.ndarray:
        self.below = z <= threshold
        y = np.where(self.below, value, z)
        return y.astype(z.dtype, copy=False)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, None, None]:
        return np.where(self.below, 0, g), None, None


class Tanhshrink(Function):
    """g(z) = z - tanh(z);  g'(z) = tanh(z)**2."""

    def forward(self, z: np.ndarray) -> np.ndarray:
        self.t = np.tanh(z)
        return z - self.t

    def backward(self, g: np.ndarray) -> np.ndarray:
        return g * self.t * self.t


class Softshrink(Function):
    """g(z) = z - lambd if z > lambd, z + lambd if z < -lambd, else 0;
    g'(z) = 1 where |z| > lambd, else 0 (NaN passes, as torch)."""

    def forward(self, z: np.ndarray, lambd: float) -> np.ndarray:
        self.kept = ~((z >= -lambd) & (z <= lambd))
        return np.where(self.kept, z - lambd * np.sign(z), 0)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, None]:
        return np.where(self.kept, g, 0), None


class Hardshrink(Function):
    """g(z) = z where |z| > lambd, else 0;  g'(z) = 1 where |z| > lambd, else 0 (NaN passes)."""

    def forward(self, z: np.ndarray, lambd: float) -> np.ndarray:
        self.kept = ~((z >= -lambd) & (z <= lambd))
        return np.where(self.kept, z, 0)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, None]:
        return np.where(self.kept, g, 0), None


class RReLU(Function):
    """Training: g(z) = z if z > 0 else a z, a ~ U(lower, upper) drawn per element (for z <= 0);
    g'(z) = 1 if z > 0 else that same a."""

    def forward(self, z: np.ndarray, lower: float, upper: float) -> np.ndarray:
        draw_dtype = z.dtype if z.dtype in (np.float32, np.float64) else np.dtype(np.float32)
        u = backend.default_generator().random(z.shape, dtype=draw_dtype)
        slope = np.where(z > 0, 1, lower + (upper - lower) * u).astype(z.dtype, copy=False)
        self.slope = slope
        return z * slope

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, None, None]:
        return g * self.slope, None, None


@tensor_args("input")
def relu_(input: Tensor) -> Tensor:
    """In place: g(z) = max(0, z) written into ``input`` (returned); gradient 1 where z > 0."""
    return _write(input, "relu_", relu)


@tensor_args("input")
def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """In place: leaky_relu(input, negative_slope) written into ``input`` (returned)."""
    return _write(input, "leaky_relu_", leaky_relu, negative_slope)


@tensor_args("input")
def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """In place: elu(input, alpha) = z if z > 0 else alpha (e^z - 1), written into ``input``."""
    return _write(input, "elu_", elu, alpha)


@tensor_args("input")
def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    """g(z) = min(max(z, min_val), max_val), elementwise; gradient 1 where min_val < z < max_val,
    0 elsewhere (0 at the corners, as torch). ValueError when min_val > max_val.
    """
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val cannot be greater than max_val, got min_val={min_val} "
                         f"and max_val={max_val}")
    if inplace:
        return _write(input, "hardtanh_", hardtanh, min_val, max_val)
    return Hardtanh.apply(input, min_val, max_val)


@tensor_args("input")
def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """In place: hardtanh(input, min_val, max_val) = clip(z, min_val, max_val), into ``input``."""
    return hardtanh(input, min_val, max_val, inplace=True)


@tensor_args("input")
def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """g(z) = min(max(0, z), 6) = hardtanh(z, 0, 6), elementwise; gradient 1 where 0 < z < 6, else 0.
    """
    if inplace:
        return _write(input, "relu6_", relu6)
    return Hardtanh.apply(input, 0.0, 6.0)


@tensor_args("input")
def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """g(z) = z relu6(z + 3) / 6, elementwise; gradient 0 for z <= -3, z / 3 + 1/2 for
    -3 < z < 3, 1 for z >= 3.
    """
    if inplace:
        return _write(input, "hardswish_", hardswish)
    return Hardswish.apply(_floating("hardswish", input))


@tensor_args("input")
def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """g(z) = relu6(z + 3) / 6, elementwise; gradient 1/6 where -3 < z < 3, else 0."""
    if inplace:
        return _write(input, "hardsigmoid_", hardsigmoid)
    return Hardsigmoid.apply(_floating("hardsigmoid", input))


@tensor_args("input")
def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """g(z) = z tanh(softplus(z)), elementwise; gradient t + z sigmoid(z) (1 - t**2),
    t = tanh(softplus(z)).
    """
    if inplace:
        return _write(input, "mish_", mish)
    return Mish.apply(_floating("mish", input))


@tensor_args("input")
def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """g(z) = scale (max(0, z) + min(0, alpha (e^z - 1))), alpha = 1.6733, scale = 1.0507,
    elementwise; gradient scale where z > 0, else scale alpha e^z.
    """
    if inplace:
        return _write(input, "selu_", selu)
    return ScaledELU.apply(_floating("selu", input), SELU_ALPHA, SELU_SCALE, 1.0)


@tensor_args("input")
def selu_(input: Tensor) -> Tensor:
    """In place: selu(input) = scale (max(0, z) + min(0, alpha (e^z - 1))), into ``input``."""
    return selu(input, inplace=True)


@tensor_args("input")
def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """g(z) = max(0, z) + min(0, alpha (e^(z / alpha) - 1)), elementwise; gradient 1 where z > 0,
    else e^(z / alpha). RuntimeError for alpha = 0, as torch.
    """
    if alpha == 0:
        raise RuntimeError("celu: ZeroDivisionError: alpha cannot be 0 for CELU")
    if inplace:
        return _write(input, "celu_", celu, alpha)
    return ScaledELU.apply(_floating("celu", input), float(alpha), 1.0, 1.0 / alpha)


@tensor_args("input")
def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """In place: celu(input, alpha) = max(0, z) + min(0, alpha (e^(z / alpha) - 1)), into ``input``.
    """
    return celu(input, alpha, inplace=True)


@tensor_args("input")
def logsigmoid(input: Tensor) -> Tensor:
    """g(z) = log(1 / (1 + e^-z)) = -softplus(-z), elementwise, stable for any z;
    gradient 1 - sigmoid(z).
    """
    return LogSigmoid.apply(_floating("logsigmoid", input))


@tensor_args("input")
def softsign(input: Tensor) -> Tensor:
    """g(z) = z / (1 + |z|), elementwise; gradient 1 / (1 + |z|)**2 (integers become floats)."""
    return Softsign.apply(_promote_integer(input))


@tensor_args("input")
def softmin(input: Tensor, dim: Optional[int] = None, _stacklevel: int = 3,
            dtype: Optional[DType] = None) -> Tensor:
    """y_i = e^(-z_i) / sum_j e^(-z_j) = softmax(-z) along ``dim``;
    gradient dL/dz = -y * (dL/dy - sum_j dL/dy_j y_j).

    ``dtype`` casts the input first, as torch. ``dim`` is required (a TypeError says so), as
    for ``softmax``.
    """
    if dtype is not None:
        from .elementwise import cast
        input = cast(input, backend.as_dtype(dtype))
    return Softmin.apply(input, _softmax_dim("softmin", input, dim))


@tensor_args("input")
def glu(input: Tensor, dim: int = -1) -> Tensor:
    """GLU(a, b) = a sigmoid(b), where ``input`` splits into halves a, b along ``dim``;
    gradient sigmoid(b) for a and a sigmoid(b) (1 - sigmoid(b)) for b.

    RuntimeError for a 0-d input or an odd size along ``dim``, IndexError for a bad ``dim``.
    """
    if input.ndim == 0:
        raise RuntimeError("glu: glu does not support scalars because halving size must be even")
    if not -input.ndim <= dim < input.ndim:
        raise IndexError(f"glu: dim {dim} is out of range for shape {tuple(input.shape)} (expected "
                         f"to be in range of [{-input.ndim}, {input.ndim - 1}])")
    dim = dim % input.ndim
    if input.shape[dim] % 2:
        raise RuntimeError(f"glu: Halving dimension must be even, but dimension {dim} is size "
                           f"{input.shape[dim]} (input shape {tuple(input.shape)})")
    return GLU.apply(_floating("glu", input), dim)


@tensor_args("input", "weight")
@tensor_method("prelu")
def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """g(z) = max(0, z) + weight min(0, z), weight one slope per channel (dim 1) or a single one;
    gradient 1 where z > 0 else weight, and sum of dL/dy z over z <= 0 for each weight.

    weight is 0-d or 1-D with 1 or C = input.shape[1] entries (C = 1 for inputs below 2-D);
    RuntimeError otherwise, as torch.
    """
    w_shape = tuple(np.shape(weight.array if isinstance(weight, Tensor) else weight))
    if len(w_shape) > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: "
                           f"ndim = {len(w_shape)} (weight shape {w_shape})")
    n = int(np.prod(w_shape))
    channels = input.shape[1] if input.ndim >= 2 else 1
    if n != 1 and n != channels:
        raise RuntimeError(f"prelu: Mismatch of parameter numbers and input channel size. Found "
                           f"parameter numbers = {n} and channel size = {channels} (input shape "
                           f"{tuple(input.shape)}, weight shape {w_shape})")
    return PReLU.apply(_floating("prelu", input), weight)


@tensor_args("input")
def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """y = value where z <= threshold, else z, elementwise; gradient 0 where z <= threshold, else 1.
    """
    for name, number in (("threshold", threshold), ("value", value)):
        if not isinstance(number, (int, float, np.integer, np.floating)):
            raise TypeError(f"threshold: argument '{name}' must be a number, not "
                            f"{type(number).__name__}")
    if inplace:
        return _write(input, "threshold_", globals()["threshold"], threshold, value)
    return Threshold.apply(input, threshold, value)


@tensor_args("input")
def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    """In place: y = value where z <= threshold, else z, written into ``input`` (returned)."""
    return globals()["threshold"](input, threshold, value, inplace=True)


@tensor_args("input")
def tanhshrink(input: Tensor) -> Tensor:
    """g(z) = z - tanh(z), elementwise; gradient tanh(z)**2 (integers become floats)."""
    return Tanhshrink.apply(_promote_integer(input))


@tensor_args("input")
def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """g(z) = z - lambd if z > lambd, z + lambd if z < -lambd, else 0, elementwise; gradient 1
    where |z| > lambd, else 0. RuntimeError for lambd < 0, as torch.
    """
    if not lambd >= 0:
        raise RuntimeError(f"softshrink: lambda must be greater or equal to 0, got lambd={lambd}")
    return Softshrink.apply(_floating("softshrink", input), lambd)


@tensor_args("input")
@tensor_method("hardshrink")
def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """g(z) = z where |z| > lambd, else 0, elementwise; gradient 1 where |z| > lambd, else 0."""
    return Hardshrink.apply(_floating("hardshrink", input), lambd)


@tensor_args("input")
def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
          inplace: bool = False) -> Tensor:
    """g(z) = z if z > 0 else a z: in training a ~ U(lower, upper) per element (gradient the same
    a), else a = (lower + upper) / 2 (leaky_relu). RuntimeError when lower > upper, as torch.

    The slopes come from gradsheet's generator (gs.manual_seed makes them reproducible).
    """
    if lower > upper:
        raise RuntimeError(f"rrelu: Lower bound should be less than or equal to the upper bound, "
                           f"got lower={lower} and upper={upper}")
    if inplace:
        return _write(input, "rrelu_", rrelu, lower, upper, training)
    _floating("rrelu", input)
    if training:
        return RReLU.apply(input, float(lower), float(upper))
    return LeakyReLU.apply(input, (lower + upper) / 2)


@tensor_args("input")
def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False) -> Tensor:
    """In place: rrelu(input, lower, upper, training) = z if z > 0 else a z, into ``input``."""
    return rrelu(input, lower, upper, training, inplace=True)


# gradsheet.* (torch.*) names defined here; gradsheet/__init__.py imports them with *
__all__ = [
    "sigmoid", "softmax", "log_softmax", "tanh", "relu", "relu_",
    "selu", "selu_", "celu", "celu_", "prelu", "threshold", "threshold_", "hardshrink",
    "rrelu", "rrelu_",
]
