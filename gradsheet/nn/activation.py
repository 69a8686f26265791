"""Activation layers g(z): each holds its arguments and calls one function of
``gradsheet.ops.activation``, where the formula and its derivative live.

The ``inplace`` flags of PyTorch's ReLU, LeakyReLU, ELU and SiLU are accepted (so code
and reprs carry over) but the result is always a new tensor: values and gradients
are the same, only memory differs.
"""
from ..ops import activation as A
from .module import Module


class _Inplace(Module):
    """An activation with PyTorch's ``inplace`` flag, shown in the repr only when set."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def _repr_args(self):
        return []

    def extra_repr(self):
        return ", ".join(self._repr_args() + (["inplace=True"] if self.inplace else []))


class Sigmoid(Module):
    """g(z) = 1 / (1 + e^(-z))."""

    def forward(self, input):
        return A.sigmoid(input)


class Tanh(Module):
    """g(z) = (e^z - e^(-z)) / (e^z + e^(-z))."""

    def forward(self, input):
        return A.tanh(input)


class ReLU(_Inplace):
    """g(z) = max(0, z)."""

    def forward(self, input):
        return A.relu(input)


class SiLU(_Inplace):
    """g(z) = z sigmoid(z) (also called swish)."""

    def forward(self, input):
        return A.silu(input)


class LeakyReLU(_Inplace):
    """g(z) = max(eps z, z), eps = ``negative_slope`` (default 0.01)."""

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__(inplace)
        self.negative_slope = negative_slope

    def forward(self, input):
        return A.leaky_relu(input, self.negative_slope)

    def _repr_args(self):
        return [f"negative_slope={self.negative_slope}"]


class ELU(_Inplace):
    """g(z) = z if z > 0 else alpha (e^z - 1)."""

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__(inplace)
        self.alpha = alpha

    def forward(self, input):
        return A.elu(input, self.alpha)

    def _repr_args(self):
        return [f"alpha={self.alpha}"]


class Softplus(Module):
    """g(z) = log(1 + e^(beta z)) / beta, and z itself where beta z > threshold."""

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, input):
        return A.softplus(input, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class GELU(Module):
    """g(z) = z Phi(z), Phi the standard normal CDF; ``approximate='tanh'`` for the tanh form."""

    def __init__(self, approximate="none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, input):
        return A.gelu(input, self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class Softmax(Module):
    """y_i = e^(z_i) / sum_j e^(z_j) along ``dim``."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return A.softmax(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """y_i = z_i - log sum_j e^(z_j) along ``dim``."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return A.log_softmax(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"
