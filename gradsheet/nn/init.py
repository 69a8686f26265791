"""Weight initialisation, in place, as in ``torch.nn.init``.

Each function fills ``tensor.array`` with draws from the seeded generator
(``gradsheet.manual_seed``) in the tensor's own dtype, records nothing in the
graph, and returns the tensor.

fan_in = size(1) * receptive field, fan_out = size(0) * receptive field, where
the receptive field is the product of dims 2+ (1 for a Linear weight
(out, in); kh * kw for a Conv2d weight (out, in, kh, kw)).

    xavier (Glorot):  std = gain * sqrt(2 / (fan_in + fan_out))
    kaiming (He):     std = gain / sqrt(fan)          (fan = fan_in or fan_out)
    uniform variants: U(-sqrt(3) std, sqrt(3) std)   (the uniform law with that std)

Reference: Glorot & Bengio, 2010; He et al., "Delving Deep into Rectifiers", 2015.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Optional, Union

import numpy as np

from .. import backend

if TYPE_CHECKING:
    from .._typing import Tensor


def calculate_gain(nonlinearity: str, param: Optional[float] = None) -> float:
    """The gain that keeps activations' variance steady through ``nonlinearity``.

    linear, conv*, sigmoid: 1;  tanh: 5/3;  relu: sqrt(2);  selu: 3/4;
    leaky_relu with slope a (default 0.01): sqrt(2 / (1 + a**2)).
    """
    if nonlinearity in ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                        "conv_transpose2d", "conv_transpose3d", "sigmoid"):
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "selu":
        return 3.0 / 4
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = param
        else:
            raise ValueError(f"calculate_gain: negative_slope {param!r} is not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """(fan_in, fan_out) = (size(1), size(0)) times the product of dims 2+."""
    shape = tensor.shape
    if len(shape) < 2:
        raise ValueError(f"fan in and fan out can not be computed for a tensor with fewer than "
                         f"2 dimensions, got shape {tuple(shape)}")
    receptive_field = math.prod(shape[2:])
    return shape[1] * receptive_field, shape[0] * receptive_field


def _calculate_correct_fan(tensor: Tensor, mode: str) -> int:
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode {mode!r} is not supported; use 'fan_in' or 'fan_out'")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _fill(tensor: Tensor, values: Union[np.ndarray, float]) -> Tensor:
    tensor.array[...] = values
    return tensor


def _uniform(tensor: Tensor, low: float, high: float,
             generator: Optional[np.random.Generator]) -> Tensor:
    """U(low, high) in the tensor's dtype: Generator.random draws float32 directly."""
    rng = generator or backend.default_generator()
    dtype = tensor.array.dtype if tensor.array.dtype.kind == "f" else np.float64
    draws = rng.random(tensor.shape, dtype=dtype)
    return _fill(tensor, draws * (high - low) + low)


def _normal(tensor: Tensor, mean: float, std: float,
            generator: Optional[np.random.Generator]) -> Tensor:
    rng = generator or backend.default_generator()
    dtype = tensor.array.dtype if tensor.array.dtype.kind == "f" else np.float64
    draws = rng.standard_normal(tensor.shape, dtype=dtype)
    return _fill(tensor, draws * std + mean)


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0,
             generator: Optional[np.random.Generator] = None) -> Tensor:
    """Fill with draws from U(a, b)."""
    return _uniform(tensor, float(a), float(b), generator)


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0,
            generator: Optional[np.random.Generator] = None) -> Tensor:
    """Fill with draws from N(mean, std**2)."""
    return _normal(tensor, float(mean), float(std), generator)


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill ``tensor`` with ``val`` in place; returns it."""
    return _fill(tensor, val)


def zeros_(tensor: Tensor) -> Tensor:
    """Fill ``tensor`` with 0 in place; returns it."""
    return _fill(tensor, 0)


def ones_(tensor: Tensor) -> Tensor:
    """Fill ``tensor`` with 1 in place; returns it."""
    return _fill(tensor, 1)


def eye_(tensor: Tensor) -> Tensor:
    """Fill a 2-D tensor with the identity matrix (ones on the diagonal, zeros elsewhere)."""
    if tensor.ndim != 2:
        raise ValueError(f"eye_: only 2-dimensional tensors are supported, got shape "
                         f"{tuple(tensor.shape)}")
    return _fill(tensor, np.eye(*tensor.shape, dtype=tensor.array.dtype))


def orthogonal_(tensor: Tensor, gain: float = 1.0, generator: Optional[np.random.Generator] = None) -> Tensor:
    """Fill with a (semi-)orthogonal matrix times ``gain``: Q from the QR decomposition of a
    Gaussian matrix, signs fixed by diag(R) so Q is uniform (Haar) over orthogonal matrices.

    Dims 1+ are flattened, so rows (or columns, whichever are fewer) are orthonormal.
    Reference: Saxe et al., "Exact solutions to the nonlinear dynamics of learning", 2013.
    """
    if tensor.ndim < 2:
        raise ValueError(f"orthogonal_: only tensors with 2 or more dimensions are supported, "
                         f"got shape {tuple(tensor.shape)}")
    rows = tensor.shape[0]
    cols = tensor.array.size // max(rows, 1)
    rng = generator or backend.default_generator()
    flat = rng.standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q *= np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, (gain * q).reshape(tensor.shape))


def xavier_uniform_(tensor: Tensor, gain: float = 1.0,
                    generator: Optional[np.random.Generator] = None) -> Tensor:
    """Fill from U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    bound = math.sqrt(3.0) * gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return _uniform(tensor, -bound, bound, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0,
                   generator: Optional[np.random.Generator] = None) -> Tensor:
    """Fill from N(0, std**2), std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return _normal(tensor, 0.0, std, generator)


def _kaiming_std(tensor: Tensor, a: float, mode: str, nonlinearity: str) -> float:
    return calculate_gain(nonlinearity, a) / math.sqrt(_calculate_correct_fan(tensor, mode))


def kaiming_uniform_(tensor: Tensor, a: float = 0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu",
                     generator: Optional[np.random.Generator] = None) -> Tensor:
    """Fill from U(-b, b), b = sqrt(3) * gain / sqrt(fan); ``a`` is leaky_relu's slope.

    nn.Linear uses a = sqrt(5): gain = sqrt(2 / 6), so b = 1 / sqrt(fan_in).
    """
    if 0 in tensor.shape:
        return tensor
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return _uniform(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: Tensor, a: float = 0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu",
                    generator: Optional[np.random.Generator] = None) -> Tensor:
    """Fill from N(0, std**2), std = gain / sqrt(fan)."""
    if 0 in tensor.shape:
        return tensor
    return _normal(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity), generator)
