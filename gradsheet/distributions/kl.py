"""``kl_divergence(p, q)`` = KL(p || q) = E_p[log p(X) - log q(X)], with a registry of closed
forms (``register_kl``) chosen by the most specific (type(p), type(q)) match, as torch."""
from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, Union

import numpy as np

from ..factories import full_like
from ..ops import activation, binary, elementwise, reduce, unary
from ._ops import SolveLower
from .bernoulli import Bernoulli
from .beta import Beta
from .categorical import Categorical
from .distribution import Distribution, ExponentialFamily
from .gamma import Gamma
from .independent import Independent
from .multivariate_normal import MultivariateNormal, _batch_mahalanobis
from .normal import Normal
from .uniform import Uniform
from .utils import sum_rightmost

if TYPE_CHECKING:
    from ..autograd.tensor import Tensor

_KL = TypeVar("_KL", bound=Callable[..., Any])  # a closed form fn(p, q) -> Tensor

__all__ = ["kl_divergence", "register_kl"]

# (type_p, type_q) -> function, as registered
_KL_REGISTRY: dict[tuple[type, type], Callable[..., Any]] = {}
# (type(p), type(q)) -> the function dispatch chose (or NotImplemented)
_KL_MEMOIZE: dict[tuple[type, type], Any] = {}


def register_kl(type_p: type[Distribution], type_q: type[Distribution]
                ) -> Callable[[_KL], _KL]:
    """Decorator: ``@register_kl(P, Q)`` makes the function ``fn(p, q)`` the KL(p || q) of
    distributions whose types are P and Q or subclasses of them (the most specific match wins;
    an ambiguous one warns)."""
    for name, t in (("type_p", type_p), ("type_q", type_q)):
        if not (isinstance(t, type) and issubclass(t, Distribution)):
            raise TypeError(f"register_kl: expected {name} to be a Distribution subclass but got "
                            f"{t!r}")

    def decorator(fn: _KL) -> _KL:
        _KL_REGISTRY[type_p, type_q] = fn
        _KL_MEMOIZE.clear()  # the best match may have changed
        return fn
    return decorator


def _dispatch_kl(type_p: type, type_q: type) -> Any:
    """The registered function of the most specific pair: ordered by how far P is up type_p's
    method resolution order, then Q up type_q's (and the other way round, which must agree)."""
    matches = [(p, q) for p, q in _KL_REGISTRY if issubclass(type_p, p) and issubclass(type_q, q)]
    if not matches:
        return NotImplemented
    mro_p, mro_q = type_p.__mro__, type_q.__mro__
    left = min(matches, key=lambda m: (mro_p.index(m[0]), mro_q.index(m[1])))
    right = min(matches, key=lambda m: (mro_q.index(m[1]), mro_p.index(m[0])))
    if _KL_REGISTRY[left] is not _KL_REGISTRY[right]:
        warnings.warn(f"Ambiguous kl_divergence({type_p.__name__}, {type_q.__name__}). "
                      f"Please register_kl({left[0].__name__}, {right[1].__name__})",
                      RuntimeWarning, stacklevel=3)
    return _KL_REGISTRY[left]


def kl_divergence(p: Distribution, q: Distribution) -> Tensor:
    """KL(p || q) = E_p[log p(X) - log q(X)], batched over the batch shape, from the closed
    form registered for the pair's types; NotImplementedError when none is."""
    key = (type(p), type(q))
    if key not in _KL_MEMOIZE:
        _KL_MEMOIZE[key] = _dispatch_kl(*key)
    fn = _KL_MEMOIZE[key]
    if fn is NotImplemented:
        raise NotImplementedError(f"No KL(p || q) is implemented for p type {type(p).__name__} "
                                  f"and q type {type(q).__name__}")
    return fn(p, q)


# ------------------------------------------------------------ helpers
def _infinite_like(t: Tensor) -> Tensor:
    return full_like(t, math.inf)


def _x_log_x(t: Tensor) -> Tensor:
    return binary.xlogy(t, t)  # 0 at t = 0


def _where(mask: Tensor, value: float, t: Tensor) -> Tensor:
    return elementwise.where(mask, value, t)


def _batch_trace_XXT(bmat: Tensor) -> Tensor:
    """trace(X X^T) = the sum of X's squared entries, per matrix."""
    n, m = bmat.shape[-1], bmat.shape[-2]
    return (bmat.reshape(-1, m * n) ** 2).sum(-1).reshape(bmat.shape[:-2])


# ------------------------------------------------------------ same families
@register_kl(Bernoulli, Bernoulli)
def _kl_bernoulli_bernoulli(p: Bernoulli, q: Bernoulli) -> Tensor:
    softplus = activation.softplus
    t1 = p.probs * (softplus(-q.logits) - softplus(-p.logits))
    t1 = _where(p.probs == 0, 0.0, _where(q.probs == 0, math.inf, t1))
    t2 = (1 - p.probs) * (softplus(q.logits) - softplus(p.logits))
    t2 = _where(p.probs == 1, 0.0, _where(q.probs == 1, math.inf, t2))
    return t1 + t2


@register_kl(Beta, Beta)
def _kl_beta_beta(p: Beta, q: Beta) -> Tensor:
    lgamma, digamma = unary.lgamma, unary.digamma
    sum_p = p.concentration1 + p.concentration0
    sum_q = q.concentration1 + q.concentration0
    t1 = lgamma(q.concentration1) + lgamma(q.concentration0) + lgamma(sum_p)
    t2 = lgamma(p.concentration1) + lgamma(p.concentration0) + lgamma(sum_q)
    t3 = (p.concentration1 - q.concentration1) * digamma(p.concentration1)
    t4 = (p.concentration0 - q.concentration0) * digamma(p.concentration0)
    t5 = (sum_q - sum_p) * digamma(sum_p)
    return t1 - t2 + t3 + t4 + t5


@register_kl(Categorical, Categorical)
def _kl_categorical_categorical(p: Categorical, q: Categorical) -> Tensor:
    t = p.probs * (p.logits - q.logits)
    t = _where(p.probs == 0, 0.0, _where(q.probs == 0, math.inf, t))
    return reduce.sum(t, -1)


@register_kl(ExponentialFamily, ExponentialFamily)
def _kl_expfamily_expfamily(p: ExponentialFamily, q: ExponentialFamily) -> Tensor:
    if type(p) is not type(q):
        raise NotImplementedError("The cross KL-divergence between different exponential "
                                  "families cannot be computed using Bregman divergences")
    raise NotImplementedError(f"No KL(p || q) is implemented for p and q of type "
                              f"{type(p).__name__} (register one with register_kl)")


@register_kl(Gamma, Gamma)
def _kl_gamma_gamma(p: Gamma, q: Gamma) -> Tensor:
    t1 = q.concentration * elementwise.log(p.rate / q.rate)
    t2 = unary.lgamma(q.concentration) - unary.lgamma(p.concentration)
    t3 = (p.concentration - q.concentration) * unary.digamma(p.concentration)
    t4 = (q.rate - p.rate) * (p.concentration / p.rate)
    return t1 + t2 + t3 + t4


@register_kl(MultivariateNormal, MultivariateNormal)
def _kl_multivariatenormal_multivariatenormal(p: MultivariateNormal,
                                              q: MultivariateNormal) -> Tensor:
    if p.event_shape != q.event_shape:
        raise ValueError("KL-divergence between two Multivariate Normals with different event "
                         f"shapes cannot be computed: {p.event_shape} vs {q.event_shape}")
    Lp, Lq = p._unbroadcasted_scale_tril, q._unbroadcasted_scale_tril
    half_term1 = (reduce.sum(elementwise.log(Lq.diagonal(dim1=-2, dim2=-1)), -1)
                  - reduce.sum(elementwise.log(Lp.diagonal(dim1=-2, dim2=-1)), -1))
    batch = tuple(np.broadcast_shapes(Lq.shape[:-2], Lp.shape[:-2]))
    n = p.event_shape[0]
    term2 = _batch_trace_XXT(SolveLower.apply(Lq.expand(batch + (n, n)),
                                              Lp.expand(batch + (n, n))))
    term3 = _batch_mahalanobis(Lq, q.loc - p.loc)
    return half_term1 + 0.5 * (term2 + term3 - n)


@register_kl(Normal, Normal)
def _kl_normal_normal(p: Normal, q: Normal) -> Tensor:
    var_ratio = (p.scale / q.scale) ** 2
    t1 = ((p.loc - q.loc) / q.scale) ** 2
    return 0.5 * (var_ratio + t1 - 1 - elementwise.log(var_ratio))


@register_kl(Uniform, Uniform)
def _kl_uniform_uniform(p: Uniform, q: Uniform) -> Tensor:
    result = elementwise.log((q.high - q.low) / (p.high - p.low))
    return _where((q.low > p.low) | (q.high < p.high), math.inf, result)


@register_kl(Independent, Independent)
def _kl_independent_independent(p: Independent, q: Independent) -> Tensor:
    if p.reinterpreted_batch_ndims != q.reinterpreted_batch_ndims:
        raise NotImplementedError("KL between Independent distributions with different "
                                  "reinterpreted_batch_ndims "
                                  f"({p.reinterpreted_batch_ndims} vs "
                                  f"{q.reinterpreted_batch_ndims}) is not implemented")
    return sum_rightmost(kl_divergence(p.base_dist, q.base_dist), p.reinterpreted_batch_ndims)


# ------------------------------------------------------------ different families
@register_kl(Beta, Gamma)
def _kl_beta_gamma(p: Beta, q: Gamma) -> Tensor:
    t1 = -p.entropy()
    t2 = unary.lgamma(q.concentration) - q.concentration * elementwise.log(q.rate)
    t3 = (q.concentration - 1) * (unary.digamma(p.concentration1)
                                  - unary.digamma(p.concentration1 + p.concentration0))
    t4 = q.rate * p.concentration1 / (p.concentration1 + p.concentration0)
    return t1 + t2 - t3 + t4


@register_kl(Beta, Normal)
def _kl_beta_normal(p: Beta, q: Normal) -> Tensor:
    E_beta = p.concentration1 / (p.concentration1 + p.concentration0)
    var_normal = q.scale ** 2
    t1 = -p.entropy()
    t2 = 0.5 * elementwise.log(var_normal * 2 * math.pi)
    t3 = (E_beta * (1 - E_beta) / (p.concentration1 + p.concentration0 + 1) + E_beta ** 2) * 0.5
    t4 = q.loc * E_beta
    t5 = q.loc ** 2 * 0.5
    return t1 + t2 + (t3 - t4 + t5) / var_normal


@register_kl(Beta, Uniform)
def _kl_beta_uniform(p: Beta, q: Uniform) -> Tensor:
    result = -p.entropy() + elementwise.log(q.high - q.low)
    return _where((q.low > p.support.lower_bound) | (q.high < p.support.upper_bound), math.inf,
                  result)


@register_kl(Gamma, Beta)
@register_kl(Gamma, Uniform)
def _kl_gamma_infinity(p: Gamma, q: Union[Beta, Uniform]) -> Tensor:
    return _infinite_like(p.concentration)


@register_kl(Gamma, Normal)
def _kl_gamma_normal(p: Gamma, q: Normal) -> Tensor:
    var_normal = q.scale ** 2
    beta_sqr = p.rate ** 2
    t1 = (0.5 * elementwise.log(beta_sqr * var_normal * 2 * math.pi) - p.concentration
          - unary.lgamma(p.concentration))
    t2 = 0.5 * (p.concentration ** 2 + p.concentration) / beta_sqr
    t3 = q.loc * p.concentration / p.rate
    t4 = 0.5 * q.loc ** 2
    return t1 + (p.concentration - 1) * unary.digamma(p.concentration) + (t2 - t3 + t4) / var_normal


@register_kl(Normal, Beta)
@register_kl(Normal, Gamma)
@register_kl(Normal, Uniform)
def _kl_normal_infinity(p: Normal, q: Union[Beta, Gamma, Uniform]) -> Tensor:
    return _infinite_like(p.loc)


@register_kl(Uniform, Beta)
def _kl_uniform_beta(p: Uniform, q: Beta) -> Tensor:
    width = p.high - p.low
    t1 = elementwise.log(width)
    t2 = (q.concentration1 - 1) * (_x_log_x(p.high) - _x_log_x(p.low) - width) / width
    t3 = (q.concentration0 - 1) * (_x_log_x(1 - p.high) - _x_log_x(1 - p.low) + width) / width
    t4 = (unary.lgamma(q.concentration1) + unary.lgamma(q.concentration0)
          - unary.lgamma(q.concentration1 + q.concentration0))
    result = t3 + t4 - t1 - t2
    return _where((p.high > q.support.upper_bound) | (p.low < q.support.lower_bound), math.inf,
                  result)


@register_kl(Uniform, Gamma)
def _kl_uniform_gamma(p: Uniform, q: Gamma) -> Tensor:
    width = p.high - p.low
    t1 = elementwise.log(width)
    t2 = unary.lgamma(q.concentration) - q.concentration * elementwise.log(q.rate)
    t3 = (1 - q.concentration) * (_x_log_x(p.high) - _x_log_x(p.low) - width) / width
    t4 = q.rate * (p.high + p.low) / 2
    return _where(p.low < q.support.lower_bound, math.inf, -t1 + t2 + t3 + t4)


@register_kl(Uniform, Normal)
def _kl_uniform_normal(p: Uniform, q: Normal) -> Tensor:
    width = p.high - p.low
    t1 = elementwise.log(math.sqrt(math.pi * 2) * q.scale / width)
    t2 = width ** 2 / 12
    t3 = ((p.high + p.low - 2 * q.loc) / 2) ** 2
    return t1 + 0.5 * (t2 + t3) / q.scale ** 2

