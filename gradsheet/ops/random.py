"""Random sampling: ``normal``, ``bernoulli``, ``multinomial``, ``poisson`` and the in-place fills
``x.normal_()``, ``x.uniform_()``, ``x.exponential_()``, ``x.bernoulli_()``, ``x.random_()``,
``x.geometric_()``, ``x.log_normal_()``, ``x.cauchy_()``, with PyTorch's signatures.

Every draw comes from gradsheet's seeded generator (``gs.manual_seed``), or from the
``generator=`` given (a ``numpy.random.Generator``, such as the one ``manual_seed`` returns).
The values cannot match PyTorch's generator; shapes, dtypes, argument forms and errors do.

As in PyTorch a sample is not differentiated through its parameters: ``normal(mean, std)``,
``bernoulli(p)`` and ``poisson(rate)`` of tensors that require grad give results that require
grad, with gradient 0 for every parameter (``Sample``). The in-place fills follow
``autograd.inplace``'s rules (a leaf that requires grad is changed only under ``no_grad()``)
and bump the tensor's version counter.
"""
from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Callable, Optional, SupportsIndex, Union

import numpy as np

from .. import backend
from ..autograd import inplace
from ..autograd.function import Function
from ..autograd.methods import tensor_method
from ..autograd.tensor import Tensor
from ..devices import check

if TYPE_CHECKING:
    from .._typing import DType, DeviceLike


# ---------------------------------------------------------------- shared with gradsheet.factories
def check_device(op: str, device: Optional[DeviceLike]) -> None:
    """Accept ``device`` when it names the CPU (None, 'cpu', 'cpu:0', gs.device('cpu')); a
    RuntimeError naming ``op`` otherwise: gradsheet computes on the CPU only. (The one place the
    factories and sampling ops check ``device=``; ``gradsheet.devices.check`` has the rules.)"""
    if device is None:
        return
    check(device, op)


def generator_of(op: str, generator: Optional[np.random.Generator]) -> np.random.Generator:
    """The ``numpy.random.Generator`` to draw from: ``generator`` or gradsheet's default one."""
    if generator is None:
        return backend.default_generator()
    if isinstance(generator, np.random.Generator):
        return generator
    raise TypeError(f"{op}: generator must be a numpy.random.Generator (as gs.manual_seed "
                    f"returns), got {type(generator).__name__}")


def draw_dtype(dtype: np.dtype) -> np.dtype:
    """The dtype NumPy draws floats in for a tensor of ``dtype``: float32 serves float16."""
    return np.dtype(np.float64) if dtype == np.float64 else np.dtype(np.float32)


def floating_only(op: str, dtype: DType, what: str = "tensor") -> None:
    """RuntimeError unless ``dtype`` is floating (PyTorch has no continuous draws into ints)."""
    if np.dtype(dtype).kind != "f":
        raise RuntimeError(f"{op}: a continuous distribution needs a floating {what}, got {dtype}")


def _number(op: str, name: str, value: object) -> float:
    """``value`` (a number or a one-element tensor) as a Python float."""
    if isinstance(value, Tensor):
        if value.numel() != 1:
            raise TypeError(f"{op}: {name} must be a number, got a tensor of shape {value.shape}")
        value = value.item()
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        raise TypeError(f"{op}: {name} must be a number, got {type(value).__name__} {value!r}")
    return float(value)


def _integer(op: str, name: str, value: SupportsIndex) -> int:
    try:
        if isinstance(value, float):
            raise TypeError
        return operator.index(value)
    except TypeError:
        raise TypeError(f"{op}: {name} must be an int, got {type(value).__name__} {value!r}") from None


class Sample(Function):
    """y = a draw from a distribution whose parameters are the inputs (normal's mean and std,
    bernoulli's p, poisson's rate, or the old value of a tensor filled in place);
    dL/d(parameter) = 0 for each one: as in PyTorch, a sample is not differentiated through its
    parameters (no reparameterisation), so the result requires grad but passes back zeros.
    """

    def forward(self, *arrays: np.ndarray, draw: Callable[..., np.ndarray]) -> np.ndarray:
        self.inputs = [(np.shape(a), getattr(a, "dtype", None)) for a in arrays]
        return draw(*arrays)

    def backward(self, g: np.ndarray) -> tuple[Optional[np.ndarray], ...]:
        return tuple(np.zeros(shape, dtype or g.dtype) if self.needs_grad(i) else None
                     for i, (shape, dtype) in enumerate(self.inputs))


# ---------------------------------------------------------------- sampling ops
__all__ = ["bernoulli", "multinomial", "normal", "poisson"]


def normal(mean: Union[float, Tensor], std: Union[float, Tensor] = 1.0,
           size: Optional[Sequence[int]] = None, *, generator: Optional[np.random.Generator] = None,
           dtype: Optional[DType] = None, device: Optional[DeviceLike] = None,
           requires_grad: bool = False) -> Tensor:
    """mean + std * z with z ~ N(0, 1) elementwise, in PyTorch's forms: ``normal(mean_t, std_t)``
    (tensors, broadcast together; the result has mean's dtype), ``normal(mean_t, std=1.0)``
    (mean's shape and dtype), ``normal(mean, std_t)`` (std's shape and dtype) and
    ``normal(mean, std, size)`` for two numbers (the default float dtype unless ``dtype``).
    Every std must be >= 0 (RuntimeError otherwise); gradients to mean and std are 0."""
    check_device("normal", device)
    rng = generator_of("normal", generator)
    tensors = [x for x in (mean, std) if isinstance(x, Tensor)]
    if not tensors:
        if size is None:
            raise TypeError("normal: with a number mean and a number std, give size= (a tuple "
                            "of ints); or pass mean or std as a tensor")
        from ..factories import _is_size, _new, _size
        if not _is_size(size):
            raise TypeError(f"normal: size must be a tuple of ints, got {type(size).__name__}")
        shape = _size("normal", (size,))
        mean, std = _number("normal", "mean", mean), _number("normal", "std", std)
        if not std >= 0.0:
            raise RuntimeError(f"normal: expects std >= 0.0, but found std {std}")
        dtype = backend.as_dtype(dtype)
        floating_only("normal", dtype, "dtype")
        z = rng.standard_normal(shape, dtype=draw_dtype(dtype))
        return _new("normal", (mean + std * z).astype(dtype, copy=False), requires_grad)
    if size is not None or dtype is not None or requires_grad:
        raise TypeError("normal: size=, dtype= and requires_grad= go with a number mean and a "
                        "number std only; with a tensor mean or std the result takes its shape "
                        "and dtype")
    out_dtype = tensors[0].dtype  # mean's, else std's
    floating_only("normal", out_dtype, "mean" if isinstance(mean, Tensor) else "std")
    if isinstance(std, Tensor):
        values = std.array
        if values.size and not np.all(values >= 0):
            raise RuntimeError(f"normal: expects all elements of std >= 0.0, got {values.min()}")
    else:
        std = _number("normal", "std", std)
        if not std >= 0.0:
            raise RuntimeError(f"normal: expects std >= 0.0, but found std {std}")
    if not isinstance(mean, Tensor):
        mean = _number("normal", "mean", mean)
    mean_shape = np.shape(getattr(mean, "array", mean))
    std_shape = np.shape(getattr(std, "array", std))
    try:
        shape = np.broadcast_shapes(mean_shape, std_shape)
    except ValueError:
        raise RuntimeError(f"normal: the shape of mean {tuple(mean_shape)} and the shape of std "
                           f"{tuple(std_shape)} do not broadcast") from None

    def draw(*arrays: np.ndarray) -> np.ndarray:
        m, s = (arrays[0], arrays[1]) if len(arrays) == 2 else \
            ((arrays[0], std) if isinstance(mean, Tensor) else (mean, arrays[0]))
        z = rng.standard_normal(shape, dtype=draw_dtype(out_dtype))
        return np.asarray(m + s * z).astype(out_dtype, copy=False)
    return Sample.apply(*tensors, draw=draw)


def _probabilities(op: str, p: Union[float, Tensor]) -> Union[np.ndarray, float]:
    """p's values (a number, or a floating tensor's array) checked to lie in [0, 1]."""
    if isinstance(p, Tensor):
        floating_only(op, p.dtype, "p")
        values = p.array
        if values.size and not np.all((values >= 0) & (values <= 1)):
            bad = values[~((values >= 0) & (values <= 1))].ravel()[0]
            raise RuntimeError(f"{op}: expects every p to be in [0, 1], but got p={bad}")
        return values
    value = _number(op, "p", p)
    if not 0.0 <= value <= 1.0:
        raise RuntimeError(f"{op}: expects p to be in [0, 1], but got p={value}")
    return value


@tensor_method("bernoulli")
def bernoulli(input: Tensor, p: Optional[float] = None, *,
              generator: Optional[np.random.Generator] = None) -> Tensor:
    """y_i = 1 with probability input_i, else 0 (``p`` given: probability p for every element);
    input's shape and (floating) dtype. Each probability must lie in [0, 1] (RuntimeError)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"bernoulli: expects a Tensor, got {type(input).__name__}")
    floating_only("bernoulli", input.dtype, "input")
    rng = generator_of("bernoulli", generator)
    if p is None:
        _probabilities("bernoulli", input)

        def draw(probabilities: np.ndarray) -> np.ndarray:
            return (rng.random(probabilities.shape) < probabilities).astype(probabilities.dtype)
        return Sample.apply(input, draw=draw)
    value = _probabilities("bernoulli", p)
    if isinstance(p, Tensor):
        if p.numel() != 1:
            raise TypeError(f"bernoulli: p must be a number or a one-element tensor, got shape "
                            f"{p.shape}; use bernoulli(p) for elementwise probabilities")
        value = float(value.reshape(()))
    return Tensor._wrap((rng.random(input.shape) < value).astype(input.dtype))


@tensor_method("multinomial")
def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *,
                generator: Optional[np.random.Generator] = None) -> Tensor:
    """Category indices drawn with P(i) = input_i / sum(input) from each row of ``input`` (1-D:
    one distribution, 2-D: one per row), ``num_samples`` of them (int64, shape
    (num_samples,) or (rows, num_samples)). Without ``replacement`` no index repeats in a row
    (each draw renormalises over the ones left); weights need not sum to 1 but must be finite
    and >= 0, with a positive sum per row (RuntimeError otherwise)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"multinomial: expects a Tensor, got {type(input).__name__}")
    num_samples = _integer("multinomial", "num_samples", num_samples)
    if input.ndim not in (1, 2):
        raise RuntimeError(f"multinomial: prob_dist must be 1 or 2 dim, got {input.ndim} dims "
                           f"(shape {input.shape})")
    if input.dtype.kind != "f":
        raise RuntimeError(f"multinomial: only supports floating-point dtypes for input, got "
                           f"{input.dtype}")
    if num_samples <= 0:
        raise RuntimeError(f"multinomial: cannot sample num_samples <= 0 samples (got "
                           f"{num_samples})")
    categories = input.shape[-1]
    if not replacement and num_samples > categories:
        raise RuntimeError(f"multinomial: cannot sample num_samples={num_samples} > "
                           f"{categories} categories without replacement")
    rng = generator_of("multinomial", generator)
    weights = input.array.reshape(-1, categories).astype(np.float64)
    if weights.size and not np.all(np.isfinite(weights) & (weights >= 0)):
        raise RuntimeError("multinomial: probability tensor contains either inf, nan or "
                           "element < 0")
    rows = weights.shape[0]
    totals = weights.sum(axis=1)
    if rows and not np.all(totals > 0):
        raise RuntimeError(f"multinomial: invalid multinomial distribution (sum of probabilities "
                           f"<= 0) in row {int(np.argmin(totals > 0))}")
    if rows == 0:
        out = np.zeros((0, num_samples), np.int64)
    elif replacement:
        out = _with_replacement(rng, weights, totals, num_samples)
    else:
        # Sequential draws without replacement order the categories as E_i / w_i with
        # E_i ~ Exp(1) (the exponential race): take the num_samples smallest.
        with np.errstate(divide="ignore"):
            keys = rng.standard_exponential(weights.shape) / weights
        out = np.argsort(keys, axis=1, kind="stable")[:, :num_samples]
    return Tensor._wrap(out.reshape(input.shape[:-1] + (num_samples,)).astype(np.int64))


def _with_replacement(rng: np.random.Generator, weights: np.ndarray, totals: np.ndarray,
                      num_samples: int) -> np.ndarray:
    """Inverse-CDF draws for every row at once: row r's CDF shifted by r, one searchsorted."""
    rows, categories = weights.shape
    cdf = np.cumsum(weights / totals[:, None], axis=1)
    cdf[:, -1] = 1.0
    offsets = np.arange(rows)[:, None]
    u = rng.random((rows, num_samples)) + offsets
    flat = np.searchsorted((cdf + offsets).ravel(), u.ravel(), side="right").reshape(u.shape)
    index = flat - offsets * categories
    # rounding may land a draw on trailing zero-weight categories: keep it on the last positive
    last = categories - 1 - np.argmax(weights[:, ::-1] > 0, axis=1)
    return np.minimum(index, last[:, None])


def poisson(input: Tensor, generator: Optional[np.random.Generator] = None) -> Tensor:
    """y_i ~ Poisson(input_i): a count with mean and variance input_i, in input's shape and
    (floating) dtype. Every rate must be >= 0 (RuntimeError otherwise); gradient 0."""
    if not isinstance(input, Tensor):
        raise TypeError(f"poisson: expects a Tensor, got {type(input).__name__}")
    floating_only("poisson", input.dtype, "input")
    rates = input.array
    if rates.size and not np.all(rates >= 0):
        raise RuntimeError(f"poisson: invalid Poisson rate {rates[~(rates >= 0)].ravel()[0]}, "
                           "expected rate to be non-negative")
    if rates.size and rates.max().item() >= 1e18:
        raise RuntimeError(f"poisson: rate {rates.max()} is too large to sample (below 1e18)")
    rng = generator_of("poisson", generator)
    return Sample.apply(input, draw=lambda r: np.asarray(rng.poisson(r)).astype(r.dtype))


# ---------------------------------------------------------------- in-place fills
def _fill(op: str, target: Tensor, values: Callable[[tuple[int, ...], np.dtype], np.ndarray],
          operands: tuple[Tensor, ...] = ()) -> Tensor:
    """Write ``values(shape, dtype)`` into target under the in-place rules (a Sample node when
    recorded: zero gradient to the old value and the tensor operands)."""
    if not isinstance(target, Tensor):
        raise TypeError(f"{op}: expects a Tensor, got {type(target).__name__}")

    def compute(source: Tensor) -> Tensor:
        return Sample.apply(source, *operands, draw=lambda old, *rest: values(old.shape, old.dtype))
    return inplace.write(target, op, compute, list(operands))


def _continuous(op: str, target: Tensor,
                transform: Callable[[np.random.Generator, tuple[int, ...], np.dtype], np.ndarray],
                generator: Optional[np.random.Generator]) -> Tensor:
    """Fill a floating target with transform(rng, shape, draw_dtype)."""
    if not isinstance(target, Tensor):
        raise TypeError(f"{op}: expects a Tensor, got {type(target).__name__}")
    floating_only(op, target.dtype)
    rng = generator_of(op, generator)
    return _fill(op, target, lambda shape, dtype: np.asarray(
        transform(rng, shape, draw_dtype(dtype))).astype(dtype, copy=False))


@tensor_method("normal_")
def normal_(input: Tensor, mean: float = 0.0, std: float = 1.0, *,
            generator: Optional[np.random.Generator] = None) -> Tensor:
    """In place: x_i = mean + std * z_i, z_i ~ N(0, 1); std >= 0. Returns input."""
    mean, std = _number("normal_", "mean", mean), _number("normal_", "std", std)
    if not std >= 0.0:
        raise RuntimeError(f"normal_: expects std >= 0.0, but found std {std}")
    return _continuous("normal_", input, lambda rng, shape, dt: mean + std * rng.standard_normal(
        shape, dtype=dt), generator)


@tensor_method("uniform_")
def uniform_(input: Tensor, *bounds: float, generator: Optional[np.random.Generator] = None,
             **names: float) -> Tensor:
    """In place: x_i ~ U[from, to), ``x.uniform_(from=0, to=1)`` (PyTorch's names; ``from`` is a
    Python keyword, so pass it positionally or as ``**{'from': a}``); from <= to. Returns input."""
    low, high = _bounds("uniform_", bounds, names, ("from", "to"), (0.0, 1.0))
    low, high = _number("uniform_", "from", low), _number("uniform_", "to", high)
    if not (math.isfinite(low) and math.isfinite(high)):
        raise RuntimeError(f"uniform_: from={low} and to={high} must be finite")
    if low > high:
        raise RuntimeError(f"uniform_: expects to return a [from, to) range, but found "
                           f"from={low} > to={high}")

    def transform(rng: np.random.Generator, shape: tuple[int, ...], dt: np.dtype) -> np.ndarray:
        values = (low + (high - low) * rng.random(shape, dtype=dt)).astype(input.dtype)
        if low < high:  # rounding must not reach `to`
            top = np.nextafter(input.dtype.type(high), input.dtype.type(low))
            np.minimum(values, max(top, input.dtype.type(low)), out=values)
        return values
    return _continuous("uniform_", input, transform, generator)


def _bounds(op: str, positional: tuple[Any, ...], names: dict[str, Any], keys: tuple[str, ...],
            defaults: tuple[Any, ...]) -> list[Any]:
    """Positional and keyword arguments (keys may be Python keywords such as 'from')."""
    unknown = sorted(set(names) - set(keys))
    if unknown:
        raise TypeError(f"{op}: unexpected keyword arguments {unknown}; expected {list(keys)}")
    if len(positional) > len(keys):
        raise TypeError(f"{op}: takes at most {len(keys)} positional arguments "
                        f"({', '.join(keys)}), got {len(positional)}")
    values = list(positional) + list(defaults[len(positional):])
    for i, key in enumerate(keys):
        if key in names:
            if i < len(positional):
                raise TypeError(f"{op}: got multiple values for argument {key!r}")
            values[i] = names[key]
    return values


@tensor_method("exponential_")
def exponential_(input: Tensor, lambd: float = 1.0, *,
                 generator: Optional[np.random.Generator] = None) -> Tensor:
    """In place: x_i ~ Exp(lambd), density lambd * exp(-lambd x) on x >= 0 (mean 1/lambd);
    lambd > 0. Returns input."""
    lambd = _number("exponential_", "lambd", lambd)
    if not lambd > 0.0:
        raise RuntimeError(f"exponential_: expects lambda > 0.0, but found lambda={lambd}")
    return _continuous("exponential_", input,
                       lambda rng, shape, dt: rng.standard_exponential(shape, dtype=dt) / lambd,
                       generator)


@tensor_method("log_normal_")
def log_normal_(input: Tensor, mean: float = 1.0, std: float = 2.0, *,
                generator: Optional[np.random.Generator] = None) -> Tensor:
    """In place: x_i = exp(mean + std * z_i), z_i ~ N(0, 1) (log x is normal); std > 0.
    Returns input."""
    mean, std = _number("log_normal_", "mean", mean), _number("log_normal_", "std", std)
    if not std > 0.0:
        raise RuntimeError(f"log_normal_: expects std > 0.0, but found std={std}")

    def transform(rng: np.random.Generator, shape: tuple[int, ...], dt: np.dtype) -> np.ndarray:
        with np.errstate(over="ignore"):
            return np.exp(mean + std * rng.standard_normal(shape, dtype=dt))
    return _continuous("log_normal_", input, transform, generator)


@tensor_method("cauchy_")
def cauchy_(input: Tensor, median: float = 0.0, sigma: float = 1.0, *,
            generator: Optional[np.random.Generator] = None) -> Tensor:
    """In place: x_i = median + sigma * tan(pi (u_i - 1/2)), u_i ~ U(0, 1): the Cauchy density
    1 / (pi sigma (1 + ((x - median) / sigma)^2)); sigma > 0. Returns input."""
    median, sigma = _number("cauchy_", "median", median), _number("cauchy_", "sigma", sigma)
    if not sigma > 0.0:
        raise RuntimeError(f"cauchy_: expects sigma > 0.0, but found sigma={sigma}")
    return _continuous("cauchy_", input,
                       lambda rng, shape, dt: median + sigma * rng.standard_cauchy(shape), generator)


@tensor_method("bernoulli_")
def bernoulli_(input: Tensor, p: Union[float, Tensor] = 0.5, *,
               generator: Optional[np.random.Generator] = None) -> Tensor:
    """In place: x_i = 1 with probability p (a number, or a floating tensor that broadcasts to
    x's shape: p_i), else 0, in x's dtype (any: ints and bool too); p in [0, 1]. Returns input."""
    if not isinstance(input, Tensor):
        raise TypeError(f"bernoulli_: expects a Tensor, got {type(input).__name__}")
    probabilities = _probabilities("bernoulli_", p)
    if isinstance(p, Tensor):
        try:
            if np.broadcast_shapes(p.shape, input.shape) != input.shape:
                raise ValueError
        except ValueError:
            raise RuntimeError(f"bernoulli_: p of shape {p.shape} does not broadcast to the "
                               f"tensor's shape {input.shape}") from None
    rng = generator_of("bernoulli_", generator)
    operands = (p,) if isinstance(p, Tensor) else ()
    return _fill("bernoulli_", input,
                 lambda shape, dtype: (rng.random(shape) < probabilities).astype(dtype), operands)


# The largest integer each floating dtype holds exactly: random_() draws up to it (inclusive)
_FLOAT_LIMIT = {np.dtype(np.float16): 2 ** 11, np.dtype(np.float32): 2 ** 24,
                np.dtype(np.float64): 2 ** 53}


def _integer_range(op: str, dtype: np.dtype) -> tuple[int, int]:
    """The (lowest, highest) integers a tensor of ``dtype`` takes from random_."""
    if dtype.kind == "b":
        return 0, 1
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return int(info.min), int(info.max)
    if dtype in _FLOAT_LIMIT:
        return -_FLOAT_LIMIT[dtype], _FLOAT_LIMIT[dtype]
    raise RuntimeError(f"{op}: not implemented for {dtype}")


@tensor_method("random_")
def random_(input: Tensor, *args: Optional[int], generator: Optional[np.random.Generator] = None,
            **names: Optional[int]) -> Tensor:
    """In place: x_i uniform on the integers [from, to - 1], as PyTorch's ``x.random_(from, to)``;
    ``x.random_(to)`` is [0, to - 1]; ``x.random_()`` (or to=None) runs up to the dtype's limit
    (its largest value for ints, 2**mantissa for floats: 2**24 for float32). Returns input."""
    if not isinstance(input, Tensor):
        raise TypeError(f"random_: expects a Tensor, got {type(input).__name__}")
    if "from" in names:
        raise TypeError("random_: takes from as a positional argument: random_(from, to)")
    if len(args) == 1 and "to" not in names:
        low, high = 0, args[0]
    else:
        low, high = _bounds("random_", args, names, ("from", "to"), (0, None))
    dtype_low, dtype_high = _integer_range("random_", input.dtype)
    low = _integer("random_", "from", low)
    if high is None:
        high_inclusive = dtype_high
        if input.dtype.kind in "biu" and not dtype_low <= low <= dtype_high:
            raise RuntimeError(f"random_: from={low} is out of bounds for {input.dtype}")
    else:
        high = _integer("random_", "to", high)
        if low >= high:
            raise RuntimeError(f"random_: expects 'from' to be less than 'to', but got "
                               f"from={low} >= to={high}")
        high_inclusive = high - 1
        if input.dtype.kind in "biu":
            if not dtype_low <= low <= dtype_high:
                raise RuntimeError(f"random_: from={low} is out of bounds for {input.dtype}")
            if not dtype_low <= high_inclusive <= dtype_high:
                raise RuntimeError(f"random_: to - 1 = {high_inclusive} is out of bounds for "
                                   f"{input.dtype}")
    if low > high_inclusive:
        raise RuntimeError(f"random_: expects 'from' to be less than 'to', but got from={low} "
                           f"above the dtype's limit {high_inclusive}")
    rng = generator_of("random_", generator)

    def values(shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        kind = dtype if dtype.kind in "iu" else np.dtype(np.int64)
        return rng.integers(low, high_inclusive, size=shape, dtype=kind, endpoint=True).astype(dtype)
    return _fill("random_", input, values)


@tensor_method("geometric_")
def geometric_(input: Tensor, p: float, *, generator: Optional[np.random.Generator] = None) -> Tensor:
    """In place: x_i ~ Geometric(p), the number of Bernoulli(p) trials up to and including the
    first success: P(x = k) = (1 - p)^(k - 1) p for k = 1, 2, ...; 0 < p < 1. Returns input."""
    if not isinstance(input, Tensor):
        raise TypeError(f"geometric_: expects a Tensor, got {type(input).__name__}")
    p = _number("geometric_", "p", p)
    if not 0.0 < p < 1.0:
        raise RuntimeError(f"geometric_: expects p to be in (0, 1), but got p={p}")
    if input.dtype.kind == "b":
        raise RuntimeError("geometric_: not implemented for bool tensors")
    rng = generator_of("geometric_", generator)

    def draw(shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        return rng.geometric(p, shape).astype(dtype)
    return _fill("geometric_", input, draw)
