"""Binary math, elementwise and broadcast: atan2, fmod, remainder, floor division, hypot,
lerp, logaddexp, xlogy, ..., each with its gradients.

Operands are brought to PyTorch's common dtype first (``elementwise._operands``): atan2,
xlogy and copysign of integers give the default float dtype, fmod, remainder, floor division
and fmax/fmin keep integers, float_power always computes in float64. Integer division by zero
raises (as torch's ZeroDivisionError). Gradients are PyTorch's formulas, evaluated as torch
evaluates them at 0, +-inf and NaN; gradients may be at the broadcast shape (the engine sums
them back). Unlike torch, whose atan2/hypot/logaddexp/fmax/... take tensors only, a Python
number is accepted for either operand (a constant).
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, NoReturn, Optional

import numpy as np

from ..autograd import inplace
from ..autograd.function import Function
from ..autograd.methods import tensor_method
from ..autograd.tensor import Tensor
from . import elementwise, promotion
from .elementwise import _Binary, _operand, _operands, cast

if TYPE_CHECKING:
    from .._typing import TensorLike

_LN2 = math.log(2.0)


def _quiet() -> np.errstate:
    """NumPy's floating-point warnings off: inf and NaN are the values torch gives, silently."""
    return np.errstate(all="ignore")


def _array(x: Any) -> np.ndarray:
    return x.array if isinstance(x, Tensor) else np.asarray(x)


def _prepare(op: str, a: TensorLike, b: TensorLike, floating: bool = False,
             kinds: str = "biufc") -> tuple[Any, Any, np.dtype]:
    """Both operands in their common (PyTorch) dtype, checked: at least one is a Tensor and the
    dtype's kind is one of ``kinds`` (b bool, iu integer, f floating, c complex)."""
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        raise TypeError(f"{op}: expects a Tensor operand, got {type(a).__name__} and "
                        f"{type(b).__name__}")
    try:
        a, b = _operands(a, b, floating=floating)
    except TypeError as error:
        raise TypeError(f"{op}: {error}") from None
    dtype = promotion.result_type(a, b)
    if dtype.kind not in kinds:
        wanted = "floating" if kinds == "f" else "integer or floating"
        raise TypeError(f"{op}: not implemented for {dtype} operands ({wanted} only, as torch)")
    return a, b, dtype


def _nonzero_divisor(op: str, b: Any, dtype: np.dtype) -> None:
    """Integer division by zero raises, as torch's ZeroDivisionError (NumPy would give 0)."""
    if dtype.kind in "biu" and np.any(_array(b) == 0):
        raise RuntimeError(f"{op}: ZeroDivisionError (integer division by zero)")


class _Quiet(_Binary):
    """``_Binary`` (errors name the op and both shapes) with NumPy's warnings off."""

    def forward(self, a: Any, b: Any) -> np.ndarray:
        with _quiet():
            return super().forward(a, b)


def _floor_division(a: Any, b: Any) -> np.ndarray:
    """floor(a / b) as torch's div(rounding_mode='floor'): exact for integers, and for floats
    Python's fmod-based quotient (a / b where b is 0)."""
    return np.floor_divide(a, b)


def _trunc_division(a: Any, b: Any) -> np.ndarray:
    """a / b rounded towards zero (torch's rounding_mode='trunc'): C's integer division for
    integers, trunc(a / b) for floats."""
    if np.result_type(a, b).kind in "biu":
        q = np.floor_divide(a, b)
        return q + ((np.remainder(a, b) != 0) & ((np.asarray(a) < 0) != (np.asarray(b) < 0)))
    return np.trunc(a / b)


class Atan2(_Quiet):
    """y = atan2(a, b), the angle of the point (b, a) in (-pi, pi];  dy/da = b / (a**2 + b**2),
    dy/db = -a / (a**2 + b**2), with 1 / (a**2 + b**2) taken as 0 where a**2 + b**2 = 0
    (so both are 0 at the origin, as torch)."""

    op = "atan2"

    def compute(self, a: Any, b: Any) -> np.ndarray:
        self.a, self.b = a, b
        return np.arctan2(a, b)

    def backward(self, g: np.ndarray) -> tuple[Optional[np.ndarray], Optional[np.ndarray]]:
        a, b = self.a, self.b
        with _quiet():
            denominator = a * a + b * b
            recip = np.where(denominator == 0, 0, 1 / denominator)
            return (g * b * recip if self.needs_grad(0) else None,
                    g * -a * recip if self.needs_grad(1) else None)


class Fmod(_Quiet):
    """y = a - trunc(a / b) b (C's fmod: the sign of a);  dy/da = 1, dy/db = -trunc(a / b)."""

    op = "fmod"

    def compute(self, a: Any, b: Any) -> np.ndarray:
        self.a, self.b = a, b
        return np.fmod(a, b)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, Optional[np.ndarray]]:
        with _quiet():
            return g, (-g * np.trunc(self.a / self.b) if self.needs_grad(1) else None)


class Remainder(_Quiet):
    """y = a - floor(a / b) b (Python's %: the sign of b);  dy/da = 1, dy/db = -floor(a / b)."""

    op = "remainder"

    def compute(self, a: Any, b: Any) -> np.ndarray:
        self.a, self.b = a, b
        if np.result_type(a, b).kind in "biu":
            return np.remainder(a, b)
        mod = np.fmod(a, b)
        return np.where((mod != 0) & ((np.asarray(b) < 0) != (mod < 0)), mod + b, mod)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, Optional[np.ndarray]]:
        with _quiet():
            return g, (-g * _floor_division(self.a, self.b) if self.needs_grad(1) else None)


class FloorDivide(_Quiet):
    """y = floor(a / b);  no gradient: backward raises, as torch's floor_divide (use
    ``div(a, b, rounding_mode='floor')``, whose gradient is 0)."""

    op = "floor_divide"

    def compute(self, a: Any, b: Any) -> np.ndarray:
        return _floor_division(a, b)

    def backward(self, g: np.ndarray) -> NoReturn:
        raise RuntimeError("floor_divide: the derivative for floor_divide is not implemented "
                           "(as torch); div(a, b, rounding_mode='floor') has gradient 0")


class RoundedDivide(Function):
    """y = a / b rounded towards zero ('trunc') or down ('floor');  dy/da = dy/db = 0 (torch's
    div with a rounding_mode)."""

    def forward(self, a: Any, b: Any, mode: str) -> np.ndarray:
        with _quiet():
            try:
                return _trunc_division(a, b) if mode == "trunc" else _floor_division(a, b)
            except ValueError:
                elementwise._check_broadcast("div", a, b)
                raise

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, np.ndarray, None]:
        return np.zeros_like(g), np.zeros_like(g), None


class Hypot(_Quiet):
    """y = sqrt(a**2 + b**2) (no overflow);  dy/da = a / y, dy/db = b / y."""

    op = "hypot"

    def compute(self, a: Any, b: Any) -> np.ndarray:
        self.a, self.b = a, b
        self.y = np.hypot(a, b)
        return self.y

    def backward(self, g: np.ndarray) -> tuple[Optional[np.ndarray], Optional[np.ndarray]]:
        with _quiet():
            return (g * self.a / self.y if self.needs_grad(0) else None,
                    g * self.b / self.y if self.needs_grad(1) else None)


class Lerp(Function):
    """y = a + w (b - a) (computed as b - (b - a)(1 - w) where |w| >= 1/2, as torch);
    dy/da = 1 - w, dy/db = w, dy/dw = b - a."""

    def forward(self, a: Any, b: Any, w: Any) -> np.ndarray:
        self.a, self.b, self.w = a, b, w
        with _quiet():
            try:
                return np.where(np.abs(w) < 0.5, a + w * (b - a), b - (b - a) * (1 - w))
            except ValueError:
                shapes = " and ".join(str(tuple(np.shape(x))) for x in (a, b, w))
                raise ValueError(f"lerp: shapes {shapes} do not broadcast (trailing dimensions "
                                 "must be equal or 1)") from None

    def backward(self, g: np.ndarray
                 ) -> tuple[Optional[np.ndarray], Optional[np.ndarray], Optional[np.ndarray]]:
        a, b, w = self.a, self.b, self.w
        with _quiet():
            return (g * (1 - w) if self.needs_grad(0) else None,
                    g * w if self.needs_grad(1) else None,
                    g * (b - a) if self.needs_grad(2) else None)


class LogAddExp(_Quiet):
    """y = log(e**a + e**b) = max(a, b) + log1p(e**-|a - b|) (a itself where a = b = +-inf);
    dy/da = 1 / (1 + e**(b - a)), dy/db = 1 / (1 + e**(a - b))."""

    op = "logaddexp"

    def compute(self, a: Any, b: Any) -> np.ndarray:
        self.a, self.b = a, b
        m = np.maximum(a, b)
        return np.where(np.isinf(a) & (a == b), a, m + np.log1p(np.exp(-np.abs(a - b))))

    def backward(self, g: np.ndarray) -> tuple[Optional[np.ndarray], Optional[np.ndarray]]:
        a, b = self.a, self.b
        with _quiet():
            return (g / (1 + np.exp(b - a)) if self.needs_grad(0) else None,
                    g / (1 + np.exp(a - b)) if self.needs_grad(1) else None)


class LogAddExp2(_Quiet):
    """y = log2(2**a + 2**b) = max(a, b) + log1p(2**-|a - b|) / log 2 (a where a = b = +-inf);
    dy/da = 1 / (1 + 2**(b - a)), dy/db = 1 / (1 + 2**(a - b))."""

    op = "logaddexp2"

    def compute(self, a: Any, b: Any) -> np.ndarray:
        self.a, self.b = a, b
        m = np.maximum(a, b)
        return np.where(np.isinf(a) & (a == b), a,
                        m + np.log1p(np.exp2(-np.abs(a - b))) * (1 / _LN2))

    def backward(self, g: np.ndarray) -> tuple[Optional[np.ndarray], Optional[np.ndarray]]:
        a, b = self.a, self.b
        with _quiet():
            return (g / (1 + np.exp2(b - a)) if self.needs_grad(0) else None,
                    g / (1 + np.exp2(a - b)) if self.needs_grad(1) else None)


def _xlogy(x: Any, y: Any) -> np.ndarray:
    """x log y, 0 where x == 0 (even at y = 0 or y = inf), NaN where y is NaN."""
    return np.where(np.isnan(y), np.nan, np.where(x == 0, 0, x * np.log(y)))


class Xlogy(_Quiet):
    """y = a log b, 0 where a = 0 (unless b is NaN);  dy/da = log b (0 where a = 0 and b <= 0,
    as torch), dy/db = a / b."""

    op = "xlogy"

    def compute(self, a: Any, b: Any) -> np.ndarray:
        self.a, self.b = a, b
        return _xlogy(a, b).astype(np.result_type(a, b), copy=False)

    def backward(self, g: np.ndarray) -> tuple[Optional[np.ndarray], Optional[np.ndarray]]:
        a, b = self.a, self.b
        with _quiet():
            grad_a = grad_b = None
            if self.needs_grad(0):
                grad_a = np.where((a == 0) & (b <= 0), 0, _xlogy(g, b)).astype(g.dtype, copy=False)
            if self.needs_grad(1):
                grad_b = g * a / b
            return grad_a, grad_b


class Copysign(_Quiet):
    """y = |a| with the sign of b (also of -0.0 and -NaN);  dy/da = y / a (+-1; 0 where a = 0,
    as torch), dy/db = 0."""

    op = "copysign"

    def compute(self, a: Any, b: Any) -> np.ndarray:
        self.a = a
        self.y = np.copysign(a, b)
        return self.y

    def backward(self, g: np.ndarray) -> tuple[Optional[np.ndarray], Optional[np.ndarray]]:
        with _quiet():
            a = self.a
            grad_a = g * np.where(a == 0, 0, self.y / np.where(a == 0, 1, a)) \
                if self.needs_grad(0) else None
            return grad_a, (np.zeros_like(g) if self.needs_grad(1) else None)


class Fmax(_Quiet):
    """y = max(a, b) ignoring NaN (NaN only where both are);  dy/da = 1 where a >= b or b is
    NaN, else dy/db = 1 (ties go to a, as torch)."""

    op = "fmax"

    def compute(self, a: Any, b: Any) -> np.ndarray:
        self.to_a = (a >= b) | np.isnan(b)
        return np.where(self.to_a, a, b)  # not np.fmax: fmax(-0.0, 0.0) is -0.0 in torch

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return np.where(self.to_a, g, 0), np.where(self.to_a, 0, g)


class Fmin(_Quiet):
    """y = min(a, b) ignoring NaN (NaN only where both are);  dy/da = 1 where a <= b or b is
    NaN, else dy/db = 1 (ties go to a, as torch)."""

    op = "fmin"

    def compute(self, a: Any, b: Any) -> np.ndarray:
        self.to_a = (a <= b) | np.isnan(b)
        return np.where(self.to_a, a, b)  # ties keep a's signed zero, as torch

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return np.where(self.to_a, g, 0), np.where(self.to_a, 0, g)


# ------------------------------------------------------------ the ops
@tensor_method("atan2", "arctan2", inplace=("atan2_", "arctan2_"))
def atan2(input: Tensor, other: TensorLike) -> Tensor:
    """atan2(input, other), the angle of the point (other, input) in (-pi, pi], broadcast
    (integers give the default float dtype); gradients other / r**2 and -input / r**2,
    r**2 = input**2 + other**2 (0 at the origin)."""
    a, b, _ = _prepare("atan2", input, other, floating=True)
    return Atan2.apply(a, b)


@tensor_method("fmod", inplace="fmod_")
def fmod(input: Tensor, other: TensorLike) -> Tensor:
    """input - trunc(input / other) other, C's fmod (the result has input's sign), broadcast;
    gradients 1 and -trunc(input / other). Integer division by zero raises."""
    a, b, dtype = _prepare("fmod", input, other, kinds="iufc")
    _nonzero_divisor("fmod", b, dtype)
    return Fmod.apply(a, b)


@tensor_method("remainder", "__mod__", inplace=("remainder_", "__imod__"), reflected="__rmod__")
def remainder(input: Tensor, other: TensorLike) -> Tensor:
    """input - floor(input / other) other, Python's % (the result has other's sign), broadcast;
    gradients 1 and -floor(input / other). Integer division by zero raises."""
    a, b, dtype = _prepare("remainder", input, other, kinds="iufc")
    _nonzero_divisor("remainder", b, dtype)
    return Remainder.apply(a, b)


@tensor_method("floor_divide", "__floordiv__", inplace=("floor_divide_", "__ifloordiv__"),
               reflected="__rfloordiv__")
def floor_divide(input: Tensor, other: TensorLike) -> Tensor:
    """floor(input / other), Python's // (integers stay integers), broadcast; not
    differentiable (backward raises, as torch). Integer division by zero raises."""
    a, b, dtype = _prepare("floor_divide", input, other, kinds="iufc")
    _nonzero_divisor("floor_divide", b, dtype)
    return FloorDivide.apply(a, b)


def rounded_divide(input: TensorLike, other: TensorLike, rounding_mode: str) -> Tensor:
    """input / other rounded towards zero (``rounding_mode='trunc'``) or down ('floor'),
    integers staying integers; gradient 0 (``div(..., rounding_mode=...)``)."""
    if rounding_mode not in ("trunc", "floor"):
        raise RuntimeError(f"div: expected rounding_mode to be one of None, 'trunc', or 'floor' "
                           f"but found {rounding_mode!r}")
    a, b, dtype = _prepare("div", input, other, kinds="iufc")
    _nonzero_divisor("div", b, dtype)
    return RoundedDivide.apply(a, b, rounding_mode)


@tensor_method("hypot", inplace="hypot_")
def hypot(input: Tensor, other: TensorLike) -> Tensor:
    """sqrt(input**2 + other**2), without overflow, broadcast (floating only); gradients
    input / y and other / y."""
    a, b, _ = _prepare("hypot", input, other, kinds="f")
    return Hypot.apply(a, b)


@tensor_method("lerp", inplace="lerp_")
def lerp(input: Tensor, end: Tensor, weight: TensorLike) -> Tensor:
    """input + weight (end - input), broadcast, weight a number or a tensor (floating only; end
    and a tensor weight of input's dtype, as torch); gradients 1 - weight, weight and
    end - input."""
    if not isinstance(input, Tensor) or not isinstance(end, Tensor):
        raise TypeError(f"lerp: input and end must be Tensors, got {type(input).__name__} and "
                        f"{type(end).__name__}")
    dtype = input.array.dtype
    if dtype.kind != "f":
        raise TypeError(f"lerp: not implemented for {dtype} tensors (floating only, as torch)")
    weight = _operand(weight)
    for name, x in (("end", end), ("weight", weight)):
        if isinstance(x, Tensor) and x.array.dtype != dtype and (name == "end" or x.ndim):
            raise RuntimeError(f"lerp: expected dtype {dtype} for {name} but got dtype "
                               f"{x.array.dtype}")
    if isinstance(weight, Tensor) and weight.array.dtype != dtype:
        weight = cast(weight, dtype)  # a 0-d weight of another dtype, as torch allows
    elif isinstance(weight, np.ndarray):
        weight = weight.astype(dtype, copy=False)
    return Lerp.apply(input, end, weight)


@tensor_method("logaddexp")
def logaddexp(input: Tensor, other: TensorLike) -> Tensor:
    """log(e**input + e**other), computed without overflow, broadcast (floating only);
    gradients sigmoid(input - other) and sigmoid(other - input)."""
    a, b, _ = _prepare("logaddexp", input, other, kinds="f")
    return LogAddExp.apply(a, b)


@tensor_method("logaddexp2")
def logaddexp2(input: Tensor, other: TensorLike) -> Tensor:
    """log2(2**input + 2**other), computed without overflow, broadcast (floating only);
    gradients 1 / (1 + 2**(other - input)) and 1 / (1 + 2**(input - other))."""
    a, b, _ = _prepare("logaddexp2", input, other, kinds="f")
    return LogAddExp2.apply(a, b)


@tensor_method("xlogy", inplace="xlogy_")
def xlogy(input: Tensor, other: TensorLike) -> Tensor:
    """input log(other), 0 where input == 0 (even at other = 0), NaN where other is NaN,
    broadcast (integers give the default float dtype); gradients log(other) and input / other."""
    a, b, _ = _prepare("xlogy", input, other, floating=True)
    return Xlogy.apply(a, b)


@tensor_method("copysign", inplace="copysign_")
def copysign(input: Tensor, other: TensorLike) -> Tensor:
    """|input| with the sign of other (-0.0 counts as negative), broadcast (integers give the
    default float dtype); gradient +-1 to input (0 where input = 0), 0 to other."""
    a, b, _ = _prepare("copysign", input, other, floating=True)
    return Copysign.apply(a, b)


@tensor_method("fmax")
def fmax(input: Tensor, other: TensorLike) -> Tensor:
    """max(input, other) where a NaN loses to a number (NaN only where both are), broadcast;
    the gradient goes to the larger (to input on ties, and to the number beside a NaN)."""
    a, b, _ = _prepare("fmax", input, other)
    return Fmax.apply(a, b)


@tensor_method("fmin")
def fmin(input: Tensor, other: TensorLike) -> Tensor:
    """min(input, other) where a NaN loses to a number (NaN only where both are), broadcast;
    the gradient goes to the smaller (to input on ties, and to the number beside a NaN)."""
    a, b, _ = _prepare("fmin", input, other)
    return Fmin.apply(a, b)


def _double(x: TensorLike) -> Any:
    """x in float64 (complex128 for complex): a differentiable cast for tensors."""
    if isinstance(x, Tensor):
        return cast(x, np.complex128 if x.array.dtype.kind == "c" else np.float64)
    value = _operand(x)
    if isinstance(value, np.ndarray):
        return value.astype(np.complex128 if value.dtype.kind == "c" else np.float64)
    return value if isinstance(value, complex) else float(value)


@tensor_method("float_power")
def float_power(input: Tensor, exponent: TensorLike) -> Tensor:
    """input ** exponent computed in float64 (complex128 for complex operands), whatever the
    inputs' dtypes; gradients as ``pow``, cast back to each input's dtype."""
    if not isinstance(input, Tensor) and not isinstance(exponent, Tensor):
        raise TypeError(f"float_power: expects a Tensor operand, got {type(input).__name__} and "
                        f"{type(exponent).__name__}")
    return elementwise.pow(_double(input), _double(exponent))


@tensor_method("float_power_")
def _float_power_(self: Tensor, exponent: TensorLike) -> Tensor:
    """In place: self ** exponent in float64 written into self, which must be float64 (as
    torch: the result of float_power is always float64)."""
    if self.array.dtype != np.float64:
        raise RuntimeError(f"float_power_: the base given to float_power_ has dtype "
                           f"{self.array.dtype} but the operation's result requires dtype float64")
    return inplace.assign(self, "float_power_", float_power, (exponent,), {})


arctan2 = atan2

__all__ = [
    "atan2", "arctan2", "fmod", "remainder", "floor_divide", "hypot", "lerp", "logaddexp",
    "logaddexp2", "xlogy", "copysign", "fmax", "fmin", "float_power",
]
