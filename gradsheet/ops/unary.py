"""Unary math, elementwise: trigonometric and hyperbolic functions, the exp/log family,
rounding, special functions and tests (isnan, ...), each with its gradient.

Dtypes follow PyTorch: a floating op (sin, erf, reciprocal, ...) on an integer or bool tensor
gives the default float dtype; sign, the rounding ops (floor, ceil, round, trunc), square and
nan_to_num keep an integer dtype; the tests (isnan, signbit, ...) give bool. Rounding ops and
sign have gradient 0 everywhere (as torch). Gradients at the edges (0, +-1, +-inf, NaN) are
PyTorch's formulas evaluated there, so they are +-inf or NaN exactly where torch's are.
(tanh, sigmoid, exp, log, sqrt, abs and neg live in ``activation`` and ``elementwise``.)
"""
from __future__ import annotations

import math
from typing import Any, Callable, Optional, Union

import numpy as np

from ..autograd.function import Function
from ..autograd.methods import tensor_method
from ..autograd.tensor import Tensor
from ..backend import get_default_dtype
from . import elementwise
from .activation import _erf

# SciPy's special functions when installed (the ``rl`` extra), else the fallbacks below;
# imported on first use: importing scipy.special is 0.3 s, more than the rest of gradsheet
_scipy_special = ...  # ... until imported; then the module, or None without SciPy


def _special() -> Any:
    """scipy.special, imported on the first call; None when SciPy is not installed."""
    global _scipy_special
    if _scipy_special is ...:
        try:
            from scipy import special
        except ImportError:  # pragma: no cover - exercised by tests through the fallbacks
            special = None
        _scipy_special = special
    return _scipy_special

_LN2, _LN10 = math.log(2.0), math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_HALF_SQRT_PI = 0.5 * math.sqrt(math.pi)


def _quiet() -> np.errstate:
    """NumPy's floating-point warnings off: inf and NaN are the values torch gives, silently."""
    return np.errstate(all="ignore")


# ------------------------------------------------------------ special functions on arrays
def _erfc(x: np.ndarray) -> np.ndarray:
    """1 - erf(x), accurate for large x (SciPy's when installed), in x's dtype."""
    if _special() is not None:
        return _special().erfc(x).astype(x.dtype, copy=False)
    return np.vectorize(math.erfc, otypes=[x.dtype])(x)


def _erfinv(x: np.ndarray) -> np.ndarray:
    """The inverse of erf on [-1, 1] (+-inf at +-1, NaN outside), in x's dtype."""
    y = _special().erfinv(x) if _special() is not None else _erfinv_fallback(x)
    return np.where(x == 0, x, y).astype(x.dtype, copy=False)  # erfinv(-0.0) = -0.0


def _erfinv_fallback(x: np.ndarray) -> np.ndarray:
    """erfinv without SciPy: Giles' single-precision approximation refined by three Newton
    steps on erf(y) = x (vectorised; float64 accuracy)."""
    x = np.asarray(x)
    z = x.astype(np.float64)
    with _quiet():
        w = -np.log((1.0 - z) * (1.0 + z))
        small = w < 5.0
        ws = np.where(small, w - 2.5, np.sqrt(np.where(small, 5.0, w)) - 3.0)
        coefficients_small = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06,
                              0.00021858087, -0.00125372503, -0.00417768164, 0.246640727,
                              1.50140941)
        coefficients_large = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844,
                              0.00573950773, -0.0076224613, 0.00943887047, 1.00167406, 2.83297682)
        p_small, p_large = np.zeros_like(z), np.zeros_like(z)
        for c_small, c_large in zip(coefficients_small, coefficients_large):  # 9 terms, not elements
            p_small = p_small * ws + c_small
            p_large = p_large * ws + c_large
        y = np.where(small, p_small, p_large) * z
        for _ in range(3):  # Newton: y -= (erf(y) - x) / erf'(y)
            y = y - (_erf(y) - z) / (_TWO_OVER_SQRT_PI * np.exp(-y * y))
        y = np.where(np.abs(z) == 1.0, np.copysign(np.inf, z), y)
        y = np.where(np.abs(z) > 1.0, np.nan, y)
    return y.astype(x.dtype, copy=False)


def _bessel_i0(x: np.ndarray) -> np.ndarray:
    """The modified Bessel function I0, NaN at +-inf (as torch.i0), in x's dtype."""
    if _special() is not None:
        y = _special().i0(x)
    else:
        y = np.i0(x)
    return np.where(np.isinf(x), np.nan, y).astype(x.dtype, copy=False)


def _bessel_i1(x: np.ndarray) -> np.ndarray:
    """The modified Bessel function I1 (dI0/dx), NaN at +-inf (as torch's gradient of i0)."""
    if _special() is not None:
        y = _special().i1(x)
    else:
        y = _bessel_i1_fallback(x)
    return np.where(np.isinf(x), np.nan, y).astype(x.dtype, copy=False)


def _bessel_i1_fallback(x: np.ndarray) -> np.ndarray:
    """I1 without SciPy: its power series sum_k (x/2)^(2k+1) / (k! (k+1)!) for |x| <= 15, the
    asymptotic series e^|x| / sqrt(2 pi |x|) sum_k (-1)^k a_k / |x|^k above (I1 is odd)."""
    x = np.asarray(x, dtype=np.float64)
    ax = np.abs(x)
    with _quiet():
        half = np.minimum(ax, 15.0) / 2.0
        term = half.copy()
        series = term.copy()
        for k in range(1, 60):  # terms, not elements: (x/2)^2 / (k (k+1)) each step
            term = term * half * half / (k * (k + 1))
            series = series + term
        big = np.maximum(ax, 15.0)
        a, total = np.ones_like(big), np.ones_like(big)
        for k in range(1, 30):
            a = a * (4.0 - (2 * k - 1) ** 2) / (k * 8.0 * big)
            total = total + (-1) ** k * a
        asymptotic = np.exp(big) / np.sqrt(2.0 * np.pi * big) * total
    return np.copysign(np.where(ax <= 15.0, series, asymptotic), x)


# ------------------------------------------------------------ input handling
def _tensor(op: str, x: Tensor) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: argument 'input' must be a Tensor, not {type(x).__name__}")
    return x


def _floating(op: str, x: Tensor) -> Tensor:
    """x for a floating op: an integer or bool tensor becomes the default float dtype (a
    constant: such a tensor never requires grad)."""
    _tensor(op, x)
    if x.array.dtype.kind in "biu":
        return Tensor._wrap(x.array.astype(get_default_dtype()))
    return x


def _no_bool(op: str, x: Tensor) -> Tensor:
    _tensor(op, x)
    if x.array.dtype.kind == "b":
        raise TypeError(f"{op}: not implemented for bool tensors (as torch)")
    return x


def _integral(x: Tensor) -> bool:
    return x.array.dtype.kind in "biu"


# ------------------------------------------------------------ the Functions
class _Unary(Function):
    """Shared forward: ``compute`` with NumPy's warnings off (torch warns for none of them)."""

    compute: Callable[..., np.ndarray]  # each op's y = f(x, *params) on arrays

    def forward(self, x: np.ndarray, *params: Any) -> np.ndarray:
        with _quiet():
            return self.compute(x, *params)


class Sin(_Unary):
    """y = sin x;  dy/dx = cos x."""

    def compute(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return np.sin(x)

    def backward(self, g: np.ndarray) -> np.ndarray:
        return g * np.cos(self.x)


class Cos(_Unary):
    """y = cos x;  dy/dx = -sin x."""

    def compute(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return np.cos(x)

    def backward(self, g: np.ndarray) -> np.ndarray:
        return g * -np.sin(self.x)


class Tan(_Unary):
    """y = tan x;  dy/dx = 1 + y**2."""

    def compute(self, x: np.ndarray) -> np.ndarray:
        self.y = np.tan(x)
        return self.y

    def backward(self, g: np.ndarray) -> np.ndarray:
        return g * (1 + self.y * self.y)


class Asin(_Unary):
    """y = asin x;  dy/dx = 1 / sqrt(1 - x**2) (inf at +-1, NaN for |x| > 1)."""

    def compute(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return np.arcsin(x)

    def backward(self, g: np.ndarray) -> np.ndarray:
        with _quiet():
            return g / np.sqrt(1 - self.x * self.x)


class Acos(_Unary):
    """y = acos x;  dy/dx = -1 / sqrt(1 - x**2) (-inf at +-1, NaN for |x| > 1)."""

    def compute(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return np.arccos(x)

    def backward(self, g: np.ndarray) -> np.ndarray:
        with _quiet():
            return g * -(1 / np.sqrt(1 - self.x * self.x))


class Atan(_Unary):
    """y = atan x;  dy/dx = 1 / (1 + x**2)."""

    def compute(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return np.arctan(x)

    def backward(self, g: np.ndarray) -> np.ndarray:
        with _quiet():
            return g / (self.x * self.x + 1)


class Sinh(_Unary):
    """y = sinh x;  dy/dx = cosh x."""

    def compute(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return np.sinh(x)

    def backward(self, g: np.ndarray) -> np.ndarray:
        with _quiet():
            return g * np.cosh(self.x)


class Cosh(_Unary):
    """y = cosh x;  dy/dx = sinh x."""

    def compute(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return np.cosh(x)

    def backward(self, g: np.ndarray) -> np.ndarray:
        with _quiet():
            return g * np.sinh(self.x)


class Asinh(_Unary):
    """y = asinh x;  dy/dx = 1 / sqrt(x**2 + 1)."""

    def compute(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return np.arcsinh(x)

    def backward(self, g: np.ndarray) -> np.ndarray:
        with _quiet():
            return g / np.sqrt(self.x * self.x + 1)


class Acosh(_Unary):
    """y = acosh x (NaN below 1);  dy/dx = 1 / sqrt(x**2 - 1) (as torch, also below -1)."""

    def compute(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return np.arccosh(x)

    def backward(self, g: np.ndarray) -> np.ndarray:
        with _quiet():
            return g / np.sqrt(self.x * self.x - 1)


class Atanh(_Unary):
    """y = atanh x;  dy/dx = 1 / (1 - x**2) (inf at +-1)."""

    def compute(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return np.arctanh(x)

    def backward(self, g: np.ndarray) -> np.ndarray:
        with _quiet():
            return g / (1 - self.x * self.x)


class Rsqrt(_Unary):
    """y = 1 / sqrt x;  dy/dx = -y**3 / 2."""

    def compute(self, x: np.ndarray) -> np.ndarray:
        self.y = 1 / np.sqrt(x)
        return self.y

    def backward(self, g: np.ndarray) -> np.ndarray:
        with _quiet():
            return -0.5 * g * self.y ** 3


class Log1p(_Unary):
    """y = log(1 + x), accurate for small x;  dy/dx = 1 / (1 + x)."""

    def compute(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return np.log1p(x)

    def backward(self, g: np.ndarray) -> np.ndarray:
        with _quiet():
            return g / (self.x + 1)


class Expm1(_Unary):
    """y = e**x - 1, accurate for small x;  dy/dx = y + 1."""

    def compute(self, x: np.ndarray) -> np.ndarray:
        self.y = np.expm1(x)
        return self.y

    def backward(self, g: np.ndarray) -> np.ndarray:
        with _quiet():
            return g * (self.y + 1)


class Log2(_Unary):
    """y = log2 x;  dy/dx = 1 / (x log 2)."""

    def compute(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return np.log2(x)

    def backward(self, g: np.ndarray) -> np.ndarray:
        with _quiet():
            return g / (self.x * _LN2)


class Log10(_Unary):
    """y = log10 x;  dy/dx = 1 / (x log 10)."""

    def compute(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return np.log10(x)

    def backward(self, g: np.ndarray) -> np.ndarray:
        with _quiet():
            return g / (self.x * _LN10)


class Exp2(_Unary):
    """y = 2**x;  dy/dx = y log 2."""

    def compute(self, x: np.ndarray) -> np.ndarray:
        self.y = np.exp2(x)
        return self.y

    def backward(self, g: np.ndarray) -> np.ndarray:
        with _quiet():
            return g * self.y * _LN2


class Erf(_Unary):
    """y = erf x = 2/sqrt(pi) int_0^x e^(-t**2) dt;  dy/dx = 2/sqrt(pi) e^(-x**2)."""

    def compute(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return _erf(x)

    def backward(self, g: np.ndarray) -> np.ndarray:
        with _quiet():
            return g * (_TWO_OVER_SQRT_PI * np.exp(-self.x * self.x))


class Erfc(_Unary):
    """y = erfc x = 1 - erf x;  dy/dx = -2/sqrt(pi) e^(-x**2)."""

    def compute(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return _erfc(x)

    def backward(self, g: np.ndarray) -> np.ndarray:
        with _quiet():
            return g * (-_TWO_OVER_SQRT_PI * np.exp(-self.x * self.x))


class Erfinv(_Unary):
    """y = erfinv x (erf y = x);  dy/dx = sqrt(pi)/2 e^(y**2) (inf at +-1, NaN for |x| > 1)."""

    def compute(self, x: np.ndarray) -> np.ndarray:
        self.y = _erfinv(x)
        return self.y

    def backward(self, g: np.ndarray) -> np.ndarray:
        with _quiet():
            return g * (_HALF_SQRT_PI * np.exp(self.y * self.y))


class _Flat(_Unary):
    """A piecewise-constant op: its gradient is 0 everywhere (as torch), also at the jumps."""

    # (Round's gradient has a None for its decimals too)
    def backward(self, g: np.ndarray) -> Union[np.ndarray, tuple[Optional[np.ndarray], ...]]:
        return np.zeros_like(g)


class Sign(_Flat):
    """y = sign x (-1, 0 or 1; 0 for NaN, as torch);  dy/dx = 0."""

    def compute(self, x: np.ndarray) -> np.ndarray:
        return np.where(np.isnan(x), 0, np.sign(x)).astype(x.dtype, copy=False)


class Sgn(_Flat):
    """y = x / |x| (0 at 0): sign x for real x;  dy/dx = 0 for real x."""

    def compute(self, x: np.ndarray) -> np.ndarray:
        if x.dtype.kind == "c":
            magnitude = np.abs(x)
            return np.where(magnitude == 0, 0, x / np.where(magnitude == 0, 1, magnitude))
        return np.where(np.isnan(x), 0, np.sign(x)).astype(x.dtype, copy=False)


class Floor(_Flat):
    """y = floor x (the largest integer <= x);  dy/dx = 0."""

    def compute(self, x: np.ndarray) -> np.ndarray:
        return np.floor(x)


class Ceil(_Flat):
    """y = ceil x (the smallest integer >= x);  dy/dx = 0."""

    def compute(self, x: np.ndarray) -> np.ndarray:
        return np.ceil(x)


class Round(_Flat):
    """y = x rounded to ``decimals`` places, halves to even (round(2.5) = 2);  dy/dx = 0."""

    def compute(self, x: np.ndarray, decimals: int) -> np.ndarray:
        return np.round(x, decimals)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, None]:
        return np.zeros_like(g), None


class Trunc(_Flat):
    """y = trunc x (x rounded towards 0);  dy/dx = 0."""

    def compute(self, x: np.ndarray) -> np.ndarray:
        return np.trunc(x)


class Frac(_Unary):
    """y = x - trunc x (the fractional part, with x's sign);  dy/dx = 1."""

    def compute(self, x: np.ndarray) -> np.ndarray:
        return x - np.trunc(x)

    def backward(self, g: np.ndarray) -> np.ndarray:
        return g


class Reciprocal(_Unary):
    """y = 1 / x;  dy/dx = -y**2."""

    def compute(self, x: np.ndarray) -> np.ndarray:
        self.y = 1 / x
        return self.y

    def backward(self, g: np.ndarray) -> np.ndarray:
        with _quiet():
            return -g * (self.y * self.y)


class NanToNum(_Unary):
    """y = x with NaN, +inf and -inf replaced by the given numbers;  dy/dx = 1 where x is
    finite, 0 where it was replaced."""

    def compute(self, x: np.ndarray, nan: float, posinf: Optional[float],
                neginf: Optional[float]) -> np.ndarray:
        self.finite = np.isfinite(x)
        return _nan_to_num(x, nan, posinf, neginf)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, None, None, None]:
        return np.where(self.finite, g, 0), None, None, None


class Scale(_Unary):
    """y = c x for a constant c (deg2rad: c = pi/180, rad2deg: c = 180/pi);  dy/dx = c."""

    def compute(self, x: np.ndarray, c: float) -> np.ndarray:
        self.c = c
        return x * c

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, None]:
        return g * self.c, None


class Sinc(_Unary):
    """y = sin(pi x) / (pi x), 1 at x = 0;  dy/dx = (pi x cos(pi x) - sin(pi x)) / (pi x**2),
    0 where pi x**2 is 0 (as torch: also where it underflows)."""

    def compute(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        if x.dtype == np.float16:  # sin(pi x) needs more digits than half precision has (torch
            return np.sinc(x.astype(np.float32)).astype(np.float16)  # computes in float32 too)
        return np.sinc(x)

    def backward(self, g: np.ndarray) -> np.ndarray:
        x = self.x
        with _quiet():
            pi_x = math.pi * x
            pi_x2 = x * x * math.pi
            slope = (pi_x * np.cos(pi_x) - np.sin(pi_x)) / pi_x2
            return g * np.where(pi_x2 == 0, 0, slope)  # 0 also where x**2 underflows


class Logit(_Unary):
    """y = log(z / (1 - z)), z = x clamped to [eps, 1 - eps] when eps is given;
    dy/dx = 1 / (x (1 - x)) -- with eps: 0 outside [eps, 1 - eps]; without: NaN outside
    [0, 1] and +-inf (the sign of the incoming gradient) at 0 and 1 (as torch)."""

    def compute(self, x: np.ndarray, eps: Optional[float]) -> np.ndarray:
        self.x, self.eps = x, eps
        if eps is not None:
            x = np.where(x < eps, eps, np.where(x > 1 - eps, 1 - eps, x)).astype(x.dtype, copy=False)
        return np.log(x / (1 - x))

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, None]:
        x, eps = self.x, self.eps
        with _quiet():
            slope = g / (x * (1 - x))
            if eps is not None:
                return np.where((x < eps) | (x > 1 - eps), 0, slope), None
            edge = (x == 0) | (x == 1)
            slope = np.where(edge, g * np.inf, slope)
            return np.where((x < 0) | (x > 1), np.nan, slope), None


class I0(_Unary):
    """y = I0(x), the modified Bessel function of the first kind, order 0;  dy/dx = I1(x)
    (NaN at +-inf, as torch)."""

    def compute(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return _bessel_i0(x)

    def backward(self, g: np.ndarray) -> np.ndarray:
        with _quiet():
            return g * _bessel_i1(self.x)


def _lgamma(x: np.ndarray) -> np.ndarray:
    """log|Gamma(x)| (inf at 0, the negative integers and +-inf), in x's dtype."""
    if _special() is not None:
        y = _special().gammaln(x)
    else:  # pragma: no cover - the fallback without SciPy
        y = np.vectorize(lambda v: math.inf if v in (0.0, -math.inf) or (v < 0 and v == int(v))
                         else math.lgamma(v), otypes=[np.float64])(x)
    return np.where(np.isneginf(x), np.inf, y).astype(x.dtype, copy=False)


def _polygamma(n: int, x: np.ndarray) -> np.ndarray:
    """The n-th derivative of digamma, psi^(n)(x), with torch's values at +-inf, in x's dtype."""
    if _special() is None:  # pragma: no cover - only without SciPy
        raise RuntimeError("digamma/polygamma need SciPy (pip install scipy)")
    y = _special().psi(x) if n == 0 else _special().polygamma(n, x)
    if n == 1:
        y = np.where(np.isneginf(x), np.nan, y)
    elif n >= 2:
        y = np.where(np.isposinf(x), np.nan, y)
    return np.asarray(y).astype(x.dtype, copy=False)


class Lgamma(_Unary):
    """y = log|Gamma(x)|;  dy/dx = digamma(x) = psi(x) (as torch: -inf at 0, NaN at the negative
    integers)."""

    def compute(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return _lgamma(x)

    def backward(self, g: np.ndarray) -> np.ndarray:
        with _quiet():
            return g * _polygamma(0, self.x)


class Polygamma(_Unary):
    """y = psi^(n)(x), the n-th derivative of digamma psi = (log Gamma)' (n = 0: digamma);
    dy/dx = psi^(n+1)(x)."""

    def compute(self, x: np.ndarray, n: int) -> np.ndarray:
        self.x, self.n = x, n
        return _polygamma(n, x)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, None]:
        with _quiet():
            return g * _polygamma(self.n + 1, self.x), None


def _nan_to_num(x: np.ndarray, nan: Optional[float], posinf: Optional[float],
                neginf: Optional[float]) -> np.ndarray:
    info = np.finfo(x.dtype)
    values = [np.asarray(info.max if posinf is None else posinf).astype(x.dtype),
              np.asarray(info.min if neginf is None else neginf).astype(x.dtype),
              np.asarray(0.0 if nan is None else nan).astype(x.dtype)]
    y = np.where(np.isposinf(x), values[0], x)
    y = np.where(np.isneginf(x), values[1], y)
    return np.where(np.isnan(x), values[2], y)


# ------------------------------------------------------------ trigonometric, hyperbolic
@tensor_method("sin", inplace="sin_")
def sin(input: Tensor) -> Tensor:
    """sin x, elementwise; gradient cos x. Integer tensors give the default float dtype."""
    return Sin.apply(_floating("sin", input))


@tensor_method("cos", inplace="cos_")
def cos(input: Tensor) -> Tensor:
    """cos x, elementwise; gradient -sin x."""
    return Cos.apply(_floating("cos", input))


@tensor_method("tan", inplace="tan_")
def tan(input: Tensor) -> Tensor:
    """tan x, elementwise; gradient 1 + tan(x)**2."""
    return Tan.apply(_floating("tan", input))


@tensor_method("asin", "arcsin", inplace=("asin_", "arcsin_"))
def asin(input: Tensor) -> Tensor:
    """asin x (NaN outside [-1, 1]), elementwise; gradient 1 / sqrt(1 - x**2)."""
    return Asin.apply(_floating("asin", input))


@tensor_method("acos", "arccos", inplace=("acos_", "arccos_"))
def acos(input: Tensor) -> Tensor:
    """acos x (NaN outside [-1, 1]), elementwise; gradient -1 / sqrt(1 - x**2)."""
    return Acos.apply(_floating("acos", input))


@tensor_method("atan", "arctan", inplace=("atan_", "arctan_"))
def atan(input: Tensor) -> Tensor:
    """atan x, elementwise; gradient 1 / (1 + x**2)."""
    return Atan.apply(_floating("atan", input))


@tensor_method("sinh", inplace="sinh_")
def sinh(input: Tensor) -> Tensor:
    """sinh x = (e**x - e**-x) / 2, elementwise; gradient cosh x."""
    return Sinh.apply(_floating("sinh", input))


@tensor_method("cosh", inplace="cosh_")
def cosh(input: Tensor) -> Tensor:
    """cosh x = (e**x + e**-x) / 2, elementwise; gradient sinh x."""
    return Cosh.apply(_floating("cosh", input))


@tensor_method("asinh", "arcsinh", inplace=("asinh_", "arcsinh_"))
def asinh(input: Tensor) -> Tensor:
    """asinh x = log(x + sqrt(x**2 + 1)), elementwise; gradient 1 / sqrt(x**2 + 1)."""
    return Asinh.apply(_floating("asinh", input))


@tensor_method("acosh", "arccosh", inplace=("acosh_", "arccosh_"))
def acosh(input: Tensor) -> Tensor:
    """acosh x = log(x + sqrt(x**2 - 1)) (NaN below 1), elementwise; gradient 1 / sqrt(x**2 - 1)."""
    return Acosh.apply(_floating("acosh", input))


@tensor_method("atanh", "arctanh", inplace=("atanh_", "arctanh_"))
def atanh(input: Tensor) -> Tensor:
    """atanh x = log((1 + x) / (1 - x)) / 2 (NaN outside [-1, 1]), elementwise; gradient
    1 / (1 - x**2)."""
    return Atanh.apply(_floating("atanh", input))


@tensor_method("deg2rad", inplace="deg2rad_")
def deg2rad(input: Tensor) -> Tensor:
    """x pi / 180 (degrees to radians), elementwise; gradient pi / 180."""
    return Scale.apply(_floating("deg2rad", input), math.pi / 180)


@tensor_method("rad2deg", inplace="rad2deg_")
def rad2deg(input: Tensor) -> Tensor:
    """x 180 / pi (radians to degrees), elementwise; gradient 180 / pi."""
    return Scale.apply(_floating("rad2deg", input), 180 / math.pi)


@tensor_method("sinc", inplace="sinc_")
def sinc(input: Tensor) -> Tensor:
    """sin(pi x) / (pi x) (the normalised sinc, 1 at 0), elementwise; gradient
    (cos(pi x) - sinc x) / x, 0 at x = 0."""
    return Sinc.apply(_floating("sinc", input))


# ------------------------------------------------------------ exp / log family
@tensor_method("rsqrt", inplace="rsqrt_")
def rsqrt(input: Tensor) -> Tensor:
    """1 / sqrt x, elementwise; gradient -1 / (2 x**1.5)."""
    return Rsqrt.apply(_floating("rsqrt", input))


@tensor_method("log1p", inplace="log1p_")
def log1p(input: Tensor) -> Tensor:
    """log(1 + x), accurate for small x, elementwise; gradient 1 / (1 + x)."""
    return Log1p.apply(_floating("log1p", input))


@tensor_method("expm1", inplace="expm1_")
def expm1(input: Tensor) -> Tensor:
    """e**x - 1, accurate for small x, elementwise; gradient e**x."""
    return Expm1.apply(_floating("expm1", input))


@tensor_method("log2", inplace="log2_")
def log2(input: Tensor) -> Tensor:
    """log2 x, elementwise; gradient 1 / (x log 2)."""
    return Log2.apply(_floating("log2", input))


@tensor_method("log10", inplace="log10_")
def log10(input: Tensor) -> Tensor:
    """log10 x, elementwise; gradient 1 / (x log 10)."""
    return Log10.apply(_floating("log10", input))


@tensor_method("exp2", inplace="exp2_")
def exp2(input: Tensor) -> Tensor:
    """2**x, elementwise; gradient 2**x log 2."""
    return Exp2.apply(_floating("exp2", input))


@tensor_method("reciprocal", inplace="reciprocal_")
def reciprocal(input: Tensor) -> Tensor:
    """1 / x, elementwise (integers give the default float dtype); gradient -1 / x**2."""
    return Reciprocal.apply(_floating("reciprocal", input))


@tensor_method("square", inplace="square_")
def square(input: Tensor) -> Tensor:
    """x**2, elementwise (``pow(x, 2)``: integers stay integers, bool becomes int64); gradient 2x."""
    return elementwise.pow(_tensor("square", input), 2)


@tensor_method("logit", inplace="logit_")
def logit(input: Tensor, eps: Optional[float] = None) -> Tensor:
    """log(x / (1 - x)) (the inverse of sigmoid), x first clamped to [eps, 1 - eps] when ``eps``
    is given (eps < 0 counts as None, as torch); gradient 1 / (x (1 - x)), 0 where clamped."""
    if eps is not None and eps < 0:
        eps = None
    return Logit.apply(_floating("logit", input), eps)


# ------------------------------------------------------------ special functions
@tensor_method("erf", inplace="erf_")
def erf(input: Tensor) -> Tensor:
    """erf x = 2/sqrt(pi) int_0^x e^(-t**2) dt, elementwise; gradient 2/sqrt(pi) e^(-x**2)."""
    return Erf.apply(_floating("erf", input))


@tensor_method("erfc", inplace="erfc_")
def erfc(input: Tensor) -> Tensor:
    """erfc x = 1 - erf x (accurate for large x), elementwise; gradient -2/sqrt(pi) e^(-x**2)."""
    return Erfc.apply(_floating("erfc", input))


@tensor_method("erfinv", inplace="erfinv_")
def erfinv(input: Tensor) -> Tensor:
    """erfinv x, the y with erf y = x (+-inf at +-1, NaN outside [-1, 1]), elementwise; gradient
    sqrt(pi)/2 e^(erfinv(x)**2)."""
    return Erfinv.apply(_floating("erfinv", input))


@tensor_method("i0", inplace="i0_")
def i0(input: Tensor) -> Tensor:
    """I0(x) = sum_k (x/2)^(2k) / (k!)^2, the modified Bessel function of order 0, elementwise;
    gradient I1(x). NaN at +-inf, as torch."""
    return I0.apply(_floating("i0", input))


@tensor_method("lgamma", inplace="lgamma_")
def lgamma(input: Tensor) -> Tensor:
    """log|Gamma(x)|, elementwise (inf at 0 and the negative integers); gradient digamma(x)."""
    return Lgamma.apply(_floating("lgamma", input))


@tensor_method("digamma", inplace="digamma_")
def digamma(input: Tensor) -> Tensor:
    """digamma(x) = psi(x) = d/dx log Gamma(x), elementwise (-inf at 0, NaN at the negative
    integers, as torch); gradient polygamma(1, x)."""
    return Polygamma.apply(_floating("digamma", input), 0)


def _polygamma_order(n: object) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"polygamma: n must be an int, got {type(n).__name__} {n!r}")
    if n < 0:
        raise RuntimeError(f"polygamma: n must be >= 0, got n={n} (as torch, negative n is not "
                           "supported)")
    return int(n)


def _polygamma_method(self: Tensor, n: int) -> Tensor:
    return polygamma(n, self)


@tensor_method("polygamma", inplace="polygamma_", as_method=_polygamma_method)
def polygamma(n: int, input: Tensor) -> Tensor:
    """psi^(n)(x), the n-th derivative of digamma (n = 0: digamma itself), elementwise; gradient
    psi^(n+1)(x). ``x.polygamma(n)`` is the method form."""
    n = _polygamma_order(n)
    return Polygamma.apply(_floating("polygamma", input), n)


# ------------------------------------------------------------ sign and rounding
def _flat(op: str, cls: type[Function], input: Tensor, *params: Any) -> Tensor:
    """A rounding op: an integer tensor is returned as a copy (torch keeps its dtype)."""
    _no_bool(op, input)
    if _integral(input):
        return Tensor._wrap(input.array.copy())
    return cls.apply(input, *params)


@tensor_method("sign", inplace="sign_")
def sign(input: Tensor) -> Tensor:
    """sign x: -1, 0 or 1 (0 for NaN), elementwise, in x's dtype (bool stays bool); gradient 0."""
    _tensor("sign", input)
    if _integral(input):
        return Tensor._wrap(np.sign(input.array) if input.array.dtype.kind != "b" else input.array.copy())
    return Sign.apply(input)


@tensor_method("sgn", inplace="sgn_")
def sgn(input: Tensor) -> Tensor:
    """x / |x| (0 at 0): sign x for real tensors, the unit phase for complex ones; gradient 0
    (real)."""
    _tensor("sgn", input)
    if _integral(input):
        return sign(input)
    return Sgn.apply(input)


@tensor_method("floor", inplace="floor_")
def floor(input: Tensor) -> Tensor:
    """floor x, the largest integer <= x, elementwise (integer tensors unchanged); gradient 0."""
    return _flat("floor", Floor, input)


@tensor_method("ceil", inplace="ceil_")
def ceil(input: Tensor) -> Tensor:
    """ceil x, the smallest integer >= x, elementwise (integer tensors unchanged); gradient 0."""
    return _flat("ceil", Ceil, input)


@tensor_method("round", inplace="round_")
def round(input: Tensor, *, decimals: int = 0) -> Tensor:
    """x rounded to ``decimals`` decimal places (negative: to tens, hundreds, ...), halves to
    even as torch (round(0.5) = 0, round(1.5) = 2), elementwise; gradient 0."""
    _no_bool("round", input)
    if _integral(input) and decimals != 0:
        raise TypeError(f"round: decimals={decimals} is not implemented for integer tensors "
                        f"({input.array.dtype}), as torch")
    return _flat("round", Round, input, int(decimals))


@tensor_method("trunc", "fix", inplace=("trunc_", "fix_"))
def trunc(input: Tensor) -> Tensor:
    """trunc x, x rounded towards zero, elementwise (integer tensors unchanged); gradient 0."""
    return _flat("trunc", Trunc, input)


@tensor_method("frac", inplace="frac_")
def frac(input: Tensor) -> Tensor:
    """x - trunc x, the fractional part (with x's sign), elementwise; gradient 1. Floating
    tensors only, as torch."""
    _tensor("frac", input)
    if _integral(input):
        raise TypeError(f"frac: not implemented for {input.array.dtype} tensors (floating only, "
                        "as torch)")
    return Frac.apply(input)


@tensor_method("nan_to_num", inplace="nan_to_num_")
def nan_to_num(input: Tensor, nan: float = 0.0, posinf: Optional[float] = None,
               neginf: Optional[float] = None) -> Tensor:
    """x with NaN replaced by ``nan``, +inf by ``posinf`` and -inf by ``neginf`` (defaults: 0,
    the dtype's largest and lowest finite value), elementwise; gradient 1 where x is finite, 0
    where replaced. Integer tensors are returned as a copy."""
    _tensor("nan_to_num", input)
    if _integral(input):
        return Tensor._wrap(input.array.copy())
    return NanToNum.apply(input, nan, posinf, neginf)


# ------------------------------------------------------------ tests (bool, no gradient)
def _test(op: str, fn: Callable[[np.ndarray], Any], input: Tensor) -> Tensor:
    _tensor(op, input)
    return Tensor._wrap(np.asarray(fn(input.array)))


@tensor_method("isnan")
def isnan(input: Tensor) -> Tensor:
    """x != x: True where x is NaN, elementwise (bool, no gradient)."""
    return _test("isnan", np.isnan, input)


@tensor_method("isinf")
def isinf(input: Tensor) -> Tensor:
    """|x| == inf, elementwise (bool, no gradient)."""
    return _test("isinf", np.isinf, input)


@tensor_method("isposinf")
def isposinf(input: Tensor) -> Tensor:
    """x == +inf, elementwise (bool, no gradient)."""
    return _test("isposinf", lambda a: np.isposinf(a) if a.dtype.kind in "fc" else
                 np.zeros(a.shape, bool), input)


@tensor_method("isneginf")
def isneginf(input: Tensor) -> Tensor:
    """x == -inf, elementwise (bool, no gradient)."""
    return _test("isneginf", lambda a: np.isneginf(a) if a.dtype.kind in "fc" else
                 np.zeros(a.shape, bool), input)


@tensor_method("isfinite")
def isfinite(input: Tensor) -> Tensor:
    """x is neither inf, -inf nor NaN, elementwise (bool, no gradient)."""
    return _test("isfinite", np.isfinite, input)


@tensor_method("isreal")
def isreal(input: Tensor) -> Tensor:
    """imag(x) == 0, elementwise: all True for a real dtype (bool, no gradient)."""
    return _test("isreal", lambda a: np.imag(a) == 0 if a.dtype.kind == "c" else
                 np.ones(a.shape, bool), input)


@tensor_method("signbit")
def signbit(input: Tensor) -> Tensor:
    """The sign bit of x is set (x < 0, also -0.0 and -NaN), elementwise (bool, no gradient)."""
    return _test("signbit", lambda a: np.zeros(a.shape, bool) if a.dtype.kind == "b" else
                 np.signbit(a), input)


arcsin, arccos, arctan, arcsinh, arccosh, arctanh, fix = asin, acos, atan, asinh, acosh, atanh, trunc

__all__ = [
    "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh",
    "arcsin", "arccos", "arctan", "arcsinh", "arccosh", "arctanh", "deg2rad", "rad2deg", "sinc",
    "rsqrt", "log1p", "expm1", "log2", "log10", "exp2", "reciprocal", "square", "logit",
    "erf", "erfc", "erfinv", "i0", "lgamma", "digamma", "polygamma", "sign", "sgn", "floor",
    "ceil", "round", "trunc", "fix",
    "frac", "nan_to_num", "isnan", "isinf", "isposinf", "isneginf", "isfinite", "isreal",
    "signbit",
]
