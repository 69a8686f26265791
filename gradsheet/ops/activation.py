"""Activation functions g(z), each with its derivative, in numerically stable forms."""
import math

import numpy as np

from ..autograd.function import Function
from ..autograd.methods import tensor_method


def _stable_sigmoid(z):
    """1 / (1 + e^-z) without overflow: e^-|z| never exceeds 1.

    For z >= 0 it is 1 / (1 + e^-z); for z < 0 the same value is e^z / (1 + e^z).
    e^-|z| underflowing to 0 is the exact limit (sigmoid(-1000) = 0), not an error.
    """
    with np.errstate(under="ignore"):
        e = np.exp(-np.abs(z))
        return np.where(z >= 0, 1, e) / (1 + e)


class Sigmoid(Function):
    """g(z) = 1 / (1 + e^(-z));  g'(z) = g(z) (1 - g(z))."""

    def forward(self, z):
        self.y = _stable_sigmoid(z)
        return self.y

    def backward(self, g):
        y = self.y
        return g * y * (1 - y)


class Tanh(Function):
    """g(z) = (e^z - e^(-z)) / (e^z + e^(-z));  g'(z) = 1 - g(z)**2."""

    def forward(self, z):
        self.y = np.tanh(z)
        return self.y

    def backward(self, g):
        y = self.y
        return g * (1 - y * y)


class ReLU(Function):
    """g(z) = max(0, z);  g'(z) = 1 if z > 0 else 0."""

    def forward(self, z):
        y = np.maximum(z, 0)
        self.y = y
        return y

    def backward(self, g):
        return g * (self.y > 0)


class LeakyReLU(Function):
    """g(z) = max(eps z, z) for eps << 1 (z if z > 0 else eps z);  g'(z) = 1 if z > 0 else eps."""

    def forward(self, z, negative_slope):
        self.positive = z > 0
        self.slope = negative_slope
        return np.where(self.positive, z, z * negative_slope)

    def backward(self, g):
        return np.where(self.positive, g, g * self.slope), None


class ELU(Function):
    """g(z) = z if z > 0 else alpha (e^z - 1);  g'(z) = 1 if z > 0 else alpha e^z."""

    def forward(self, z, alpha):
        self.positive = z > 0
        self.negative_part = np.minimum(z, 0)
        self.alpha = alpha
        return np.where(self.positive, z, alpha * np.expm1(self.negative_part))

    def backward(self, g):
        # alpha e^z, not g(z) + alpha: that sum cancels to 0 for z below about -17 (float32)
        with np.errstate(under="ignore"):
            slope = self.alpha * np.exp(self.negative_part)
        return np.where(self.positive, g, g * slope), None


class Softplus(Function):
    """g(z) = log(1 + e^(beta z)) / beta, linear above ``threshold``;  g'(z) = sigmoid(beta z)."""

    def forward(self, z, beta, threshold):
        bz = z * beta
        self.linear = bz > threshold
        self.bz = bz
        # log(1 + e^t) = max(t, 0) + log1p(e^-|t|): no overflow for large t (and e^-|t|
        # underflowing to 0 is the exact limit).
        with np.errstate(under="ignore"):
            soft = (np.maximum(bz, 0) + np.log1p(np.exp(-np.abs(bz)))) / beta
        return np.where(self.linear, z, soft)

    def backward(self, g):
        return np.where(self.linear, g, g * _stable_sigmoid(self.bz)), None, None


class SiLU(Function):
    """g(z) = z sigmoid(z);  g'(z) = s (1 + z (1 - s)) with s = sigmoid(z)."""

    def forward(self, z):
        self.z, self.s = z, _stable_sigmoid(z)
        return z * self.s

    def backward(self, g):
        s = self.s
        return g * s * (1 + self.z * (1 - s))


class GELU(Function):
    """g(z) = z Phi(z), Phi the standard normal CDF = (1 + erf(z / sqrt 2)) / 2
    (or its tanh approximation);  g'(z) = Phi(z) + z phi(z)."""

    def forward(self, z, approximate):
        self.z, self.approximate = z, approximate
        if approximate == "tanh":
            k = math.sqrt(2 / math.pi)
            self.inner = np.tanh(k * (z + 0.044715 * z ** 3))
            return 0.5 * z * (1 + self.inner)
        self.cdf = 0.5 * (1 + _erf(z / math.sqrt(2)))
        return z * self.cdf

    def backward(self, g):
        z = self.z
        if self.approximate == "tanh":
            k = math.sqrt(2 / math.pi)
            t = self.inner
            return g * (0.5 * (1 + t) + 0.5 * z * (1 - t * t) * k * (1 + 3 * 0.044715 * z * z)), None
        with np.errstate(under="ignore"):  # phi(z) -> 0 for large |z| is exact enough
            pdf = np.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
        return g * (self.cdf + z * pdf), None


def _erf(x):
    """The error function, elementwise, in the input's dtype (SciPy's when installed)."""
    try:
        from scipy.special import erf
    except ImportError:
        return np.vectorize(math.erf, otypes=[x.dtype])(x)
    return erf(x).astype(x.dtype, copy=False)


class Softmax(Function):
    """y_i = e^(z_i - max z) / sum_j e^(z_j - max z) (the shift cancels and prevents overflow);
    dL/dz = y * (dL/dy - sum_j dL/dy_j y_j)."""

    def forward(self, z, dim):
        with np.errstate(under="ignore"):  # far-below-max logits get probability 0
            e = np.exp(z - np.max(z, axis=dim, keepdims=True))
        e /= np.sum(e, axis=dim, keepdims=True)
        self.y, self.dim = e, dim
        return e

    def backward(self, g):
        y = self.y
        return y * (g - np.sum(g * y, axis=self.dim, keepdims=True)), None


class LogSoftmax(Function):
    """y_i = z_i - log sum_j e^(z_j)  (computed as (z_i - m) - log sum_j e^(z_j - m));
    dL/dz = dL/dy - softmax(z) * sum_j dL/dy_j."""

    def forward(self, z, dim):
        shifted = z - np.max(z, axis=dim, keepdims=True)
        with np.errstate(under="ignore"):  # the max term contributes e^0 = 1, so the sum >= 1
            y = shifted - np.log(np.sum(np.exp(shifted), axis=dim, keepdims=True))
        self.y, self.dim = y, dim
        return y

    def backward(self, g):
        with np.errstate(under="ignore"):
            return g - np.exp(self.y) * np.sum(g, axis=self.dim, keepdims=True), None


@tensor_method("sigmoid", inplace="sigmoid_")
def sigmoid(input):
    """g(z) = 1 / (1 + e^(-z)), elementwise (the cheat sheet's sigmoid); gradient g(z) (1 - g(z)).

    Computed without overflow for large |z| (as ``torch.sigmoid``).
    """
    return Sigmoid.apply(input)


@tensor_method("tanh", inplace="tanh_")
def tanh(input):
    """g(z) = (e^z - e^(-z)) / (e^z + e^(-z)), elementwise; gradient 1 - g(z)**2."""
    return Tanh.apply(input)


@tensor_method("relu", inplace="relu_")
def relu(input):
    """g(z) = max(0, z), elementwise (the cheat sheet's ReLU); gradient 1 where z > 0, else 0."""
    return ReLU.apply(input)


def leaky_relu(input, negative_slope=0.01):
    """g(z) = z if z > 0 else negative_slope * z, elementwise (Leaky ReLU, eps = ``negative_slope``);
    gradient 1 where z > 0, else negative_slope.
    """
    return LeakyReLU.apply(input, negative_slope)


def elu(input, alpha=1.0):
    """g(z) = z if z > 0 else alpha (e^z - 1), elementwise; gradient 1 where z > 0, else alpha e^z."""
    return ELU.apply(input, alpha)


def softplus(input, beta=1.0, threshold=20.0):
    """g(z) = log(1 + e^(beta z)) / beta, elementwise; gradient sigmoid(beta z).

    Where beta z > ``threshold`` it returns z itself, as ``torch.nn.functional.softplus``.
    """
    return Softplus.apply(input, beta, threshold)


def silu(input):
    """g(z) = z sigmoid(z), elementwise (SiLU, also called swish); gradient s (1 + z (1 - s)), s = sigmoid(z).
    """
    return SiLU.apply(input)


def gelu(input, approximate="none"):
    """g(z) = z Phi(z), Phi the standard normal CDF, elementwise; gradient Phi(z) + z phi(z).

    ``approximate='tanh'`` uses Phi(z) ~ (1 + tanh(sqrt(2/pi) (z + 0.044715 z**3))) / 2, as PyTorch.
    Raises ValueError for any other value than 'none' or 'tanh'.
    """
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return GELU.apply(input, approximate)


def _softmax_dim(op, input, dim):
    if dim is None:
        raise TypeError(f"{op}: pass dim= (the dimension that sums to one), as in PyTorch")
    if not -max(input.ndim, 1) <= dim < max(input.ndim, 1):
        raise IndexError(f"{op}: dim {dim} is out of range for shape {input.shape}")
    return dim


@tensor_method("softmax")
def softmax(input, dim=None):
    """y_i = e^(z_i) / sum_j e^(z_j) along ``dim`` (each slice sums to 1);
    gradient dL/dz = y * (dL/dy - sum_j dL/dy_j y_j).

    ``dim`` is required (a TypeError says so), unlike PyTorch's deprecated implicit choice.
    """
    return Softmax.apply(input, _softmax_dim("softmax", input, dim))


@tensor_method("log_softmax")
def log_softmax(input, dim=None):
    """y_i = z_i - log sum_j e^(z_j) along ``dim``, computed stably (no exp overflow);
    gradient dL/dz = dL/dy - softmax(z) * sum_j dL/dy_j. ``dim`` is required.
    """
    return LogSoftmax.apply(input, _softmax_dim("log_softmax", input, dim))


# gradsheet.* (torch.*) names defined here; gradsheet/__init__.py imports them with *
__all__ = [
    "sigmoid", "softmax", "log_softmax", "tanh", "relu",
]
