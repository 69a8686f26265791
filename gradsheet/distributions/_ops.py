"""The differentiable pieces the distributions need beyond gradsheet.ops: a lower-triangular
solve, and the Gamma and Beta samplers with implicit reparameterisation gradients.

Implicit reparameterisation (Figurnov et al. 2018, the gradient torch's ``_standard_gamma``
and ``_dirichlet_grad`` give): a sample x of a distribution with CDF F(x; a) moves with its
parameter as the quantile of a fixed uniform u = F(x; a) does, so

    dx/da = -(dF(x; a)/da) / p(x; a).

dF/da has no closed form for the Gamma and Beta CDFs (the regularised incomplete gamma and
beta functions, SciPy's ``gammainc`` and ``betainc``): it is taken by a Richardson-extrapolated
central difference in a (relative error about 1e-10), from the upper tail where F > 1/2 so
that nothing cancels.
"""
from __future__ import annotations

from typing import Any, Callable, Optional

import numpy as np

from .. import backend
from ..autograd.function import Function


def _scipy() -> Any:
    """scipy.special, imported when first needed (Gamma and Beta only: importing it costs
    more than the rest of gradsheet)."""
    try:
        from scipy import special
    except ImportError:  # pragma: no cover
        raise RuntimeError("Gamma and Beta sampling and their gradients need SciPy "
                           "(pip install scipy)") from None
    return special


# ------------------------------------------------------------ triangular solve
class SolveLower(Function):
    """X = L^-1 B for lower-triangular L (only its lower triangle is read; batch dims
    broadcast);  dL = -tril(L^-T G X^T), dB = L^-T G."""

    def forward(self, L: np.ndarray, B: np.ndarray) -> np.ndarray:
        L = np.tril(L)
        batch = np.broadcast_shapes(L.shape[:-2], B.shape[:-2])
        Lb = np.broadcast_to(L, batch + L.shape[-2:])
        Bb = np.broadcast_to(B, batch + B.shape[-2:])
        with np.errstate(all="ignore"):
            X = _solve(Lb, Bb)
        self.L, self.X = Lb, X
        return X

    def backward(self, g: np.ndarray) -> tuple[Optional[np.ndarray], np.ndarray]:
        with np.errstate(all="ignore"):
            gB = _solve(np.swapaxes(self.L, -1, -2), g)
            gL = -np.tril(gB @ np.swapaxes(self.X, -1, -2)) if self.needs_grad(0) else None
        return gL, gB


def _solve(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """A^-1 B for a batch of triangular A; a matrix with a zero on its diagonal (singular)
    gives NaN rather than an error."""
    shape = np.broadcast_shapes(A.shape[:-2], B.shape[:-2]) + B.shape[-2:]
    if A.shape[-1] == 0 or 0 in shape:
        return np.zeros(shape, dtype=np.result_type(A, B))
    singular = np.any(np.diagonal(A, axis1=-2, axis2=-1) == 0, axis=-1)
    if np.any(singular):
        eye = np.eye(A.shape[-1], dtype=A.dtype)
        A = np.where(singular[..., None, None], eye, A)
        return np.where(singular[..., None, None], np.nan, np.linalg.solve(A, B))
    return np.linalg.solve(A, B)


# ------------------------------------------------------------ implicit gradients
def _step(a: np.ndarray) -> np.ndarray:
    """The finite-difference step in a parameter: small against a and against sqrt(a), the
    scale on which the CDF changes."""
    return 1e-3 * np.minimum(a, np.sqrt(a))


def _cdf_derivative(lower: Callable[[np.ndarray], np.ndarray],
                    upper: Callable[[np.ndarray], np.ndarray], a: np.ndarray,
                    h: np.ndarray) -> np.ndarray:
    """dF/da from F = ``lower(a)`` (or 1 - ``upper(a)`` where F > 1/2: the smaller tail),
    Richardson extrapolation of two central differences."""
    use_upper = lower(a) > 0.5

    def f(t: np.ndarray) -> np.ndarray:
        return np.where(use_upper, -upper(t), lower(t))
    wide = (f(a + h) - f(a - h)) / (2 * h)
    narrow = (f(a + h / 2) - f(a - h / 2)) / h
    return (4 * narrow - wide) / 3


def standard_gamma_grad(alpha: np.ndarray, x: np.ndarray) -> np.ndarray:
    """dx/d(alpha) for a sample x of Gamma(alpha, 1): -(dP(alpha, x)/d alpha) / p(x; alpha),
    P the regularised lower incomplete gamma function (as ``torch._standard_gamma_grad``)."""
    sp = _scipy()
    alpha, x = np.broadcast_arrays(np.asarray(alpha, np.float64), np.asarray(x, np.float64))
    with np.errstate(all="ignore"):
        dP = _cdf_derivative(lambda a: sp.gammainc(a, x), lambda a: sp.gammaincc(a, x), alpha,
                             _step(alpha))
        log_density = (alpha - 1) * np.log(x) - x - sp.gammaln(alpha)
        return -dP / np.exp(log_density)


def beta_grad(a: np.ndarray, b: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(dx/da, dx/db) for a sample x of Beta(a, b): -(dI_x(a, b)/da) / p(x; a, b) and the same
    for b, I the regularised incomplete beta function (the gradient torch's Beta.rsample has)."""
    sp = _scipy()
    a, b, x = np.broadcast_arrays(*(np.asarray(v, np.float64) for v in (a, b, x)))
    with np.errstate(all="ignore"):
        dIa = _cdf_derivative(lambda t: sp.betainc(t, b, x), lambda t: sp.betaincc(t, b, x), a,
                              _step(a))
        dIb = _cdf_derivative(lambda t: sp.betainc(a, t, x), lambda t: sp.betaincc(a, t, x), b,
                              _step(b))
        log_density = (a - 1) * np.log(x) + (b - 1) * np.log1p(-x) - sp.betaln(a, b)
        density = np.exp(log_density)
        return -dIa / density, -dIb / density


def _draw_gamma(alpha: np.ndarray) -> np.ndarray:
    """Standard Gamma(alpha, 1) draws (float64) from gradsheet's generator."""
    rng = backend.default_generator()
    return np.asarray(rng.standard_gamma(np.asarray(alpha, np.float64)))


class StandardGamma(Function):
    """x ~ Gamma(alpha, 1), drawn from gradsheet's generator (at least the dtype's smallest
    normal number, as torch);  dx/d(alpha) = -(dP(alpha, x)/d alpha) / p(x; alpha) (implicit
    reparameterisation, ``standard_gamma_grad``)."""

    def forward(self, alpha: np.ndarray) -> np.ndarray:
        x = _draw_gamma(alpha).astype(alpha.dtype, copy=False)
        x = np.maximum(x, np.finfo(alpha.dtype).tiny)
        self.alpha, self.x = alpha, x
        return x

    def backward(self, g: np.ndarray) -> np.ndarray:
        slope = standard_gamma_grad(self.alpha, self.x)
        return (g * slope).astype(self.alpha.dtype, copy=False)


class BetaSample(Function):
    """x ~ Beta(a, b) as G_a / (G_a + G_b) with G ~ Gamma(., 1) (as torch's Dirichlet sampler),
    kept inside [tiny, 1 - eps];  dx/da, dx/db the implicit reparameterisation gradients
    -(dI_x(a, b)/da) / p(x; a, b) and likewise for b (``beta_grad``)."""

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        a, b = np.broadcast_arrays(a, b)
        dtype = np.result_type(a, b)
        ga, gb = _draw_gamma(a), _draw_gamma(b)
        with np.errstate(all="ignore"):
            x = ga / (ga + gb)
        both_zero = ~np.isfinite(x)
        if np.any(both_zero):  # both draws underflowed (tiny concentrations): Johnk's method
            rng = backend.default_generator()
            x = np.where(both_zero, np.asarray(rng.beta(np.where(both_zero, a, 1.0),
                                                        np.where(both_zero, b, 1.0))), x)
        info = np.finfo(dtype)
        x = np.clip(x.astype(dtype), info.tiny, 1 - info.eps)
        self.a, self.b, self.x = a, b, x
        return x

    def backward(self, g: np.ndarray) -> tuple[Optional[np.ndarray], Optional[np.ndarray]]:
        da, db = beta_grad(self.a, self.b, self.x)
        dtype = self.x.dtype
        return ((g * da).astype(dtype, copy=False) if self.needs_grad(0) else None,
                (g * db).astype(dtype, copy=False) if self.needs_grad(1) else None)
