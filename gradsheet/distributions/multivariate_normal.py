"""``MultivariateNormal(loc, covariance_matrix=None, precision_matrix=None, scale_tril=None)``:
the Gaussian N(loc, Sigma) on R^n, computed through a Cholesky factor L (Sigma = L L^T)."""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Optional

import numpy as np

from ..factories import randn
from ..ops.indexing import eye
from ..ops import elementwise, linalg, reduce
from . import constraints
from ._ops import SolveLower
from .distribution import Distribution
from .utils import lazy_property

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .._typing import ShapeLike
    from ..autograd.tensor import Tensor

__all__ = ["MultivariateNormal"]


def _batch_mv(bmat: Tensor, bvec: Tensor) -> Tensor:
    """bmat @ bvec over broadcast batch dims."""
    return linalg.matmul(bmat, bvec.unsqueeze(-1)).squeeze(-1)


def _batch_mahalanobis(L: Tensor, x: Tensor) -> Tensor:
    """x^T (L L^T)^-1 x = |L^-1 x|**2 over broadcast batch dims."""
    return reduce.sum(SolveLower.apply(L, x.unsqueeze(-1)).squeeze(-1) ** 2, -1)


def _identity(n: int, like: Tensor) -> Tensor:
    return eye(n, dtype=like.dtype)


def _precision_to_scale_tril(P: Tensor) -> Tensor:
    """The lower Cholesky factor of P^-1 without inverting P: with the flip J (reversed rows),
    chol(J P J) = J U J for P = U^T U upper-lower, so L = (J chol(J P J) J)^-T."""
    Lf = linalg.linalg_cholesky(P.flip(-2, -1))
    L_inv = Lf.flip(-2, -1).transpose(-2, -1)
    return SolveLower.apply(L_inv, _identity(P.shape[-1], P))


class MultivariateNormal(Distribution):
    """N(loc, Sigma) on R^n: p(x) = exp(-(x - loc)^T Sigma^-1 (x - loc) / 2) / sqrt((2 pi)^n
    det Sigma), given by exactly one of ``covariance_matrix`` Sigma, ``precision_matrix``
    Sigma^-1 or ``scale_tril`` L (lower triangular, positive diagonal, Sigma = L L^T); each is
    turned into L by a Cholesky factorization. Batch dims of loc and the matrix broadcast.

    ``rsample`` is loc + L eps with eps ~ N(0, I): gradients flow to loc and L (and through the
    Cholesky factorization to Sigma or its inverse).
    """

    arg_constraints = {"loc": constraints.real_vector,
                       "covariance_matrix": constraints.positive_definite,
                       "precision_matrix": constraints.positive_definite,
                       "scale_tril": constraints.lower_cholesky}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc: Tensor, covariance_matrix: Optional[Tensor] = None,
                 precision_matrix: Optional[Tensor] = None, scale_tril: Optional[Tensor] = None,
                 validate_args: Optional[bool] = None) -> None:
        if loc.dim() < 1:
            raise ValueError("loc must be at least one-dimensional.")
        given = [(name, m) for name, m in (("covariance_matrix", covariance_matrix),
                                           ("precision_matrix", precision_matrix),
                                           ("scale_tril", scale_tril)) if m is not None]
        if len(given) != 1:
            raise ValueError("Exactly one of covariance_matrix or precision_matrix or scale_tril "
                             "may be specified.")
        name, matrix = given[0]
        if matrix.dim() < 2:
            raise ValueError(f"{name} matrix must be at least two-dimensional, with optional "
                             "leading batch dimensions")
        n = loc.shape[-1]
        if matrix.shape[-2:] != (n, n):
            raise ValueError(f"MultivariateNormal: {name} has matrices of shape "
                             f"{tuple(matrix.shape[-2:])} but loc has event size {n}")
        try:
            batch_shape = tuple(int(s) for s in np.broadcast_shapes(matrix.shape[:-2],
                                                                    loc.shape[:-1]))
        except ValueError:
            raise ValueError(f"MultivariateNormal: the batch shapes of loc {tuple(loc.shape)} "
                             f"and {name} {tuple(matrix.shape)} do not broadcast") from None
        setattr(self, name, matrix.expand(batch_shape + (n, n)))
        self.loc = loc.expand(batch_shape + (n,))
        super().__init__(batch_shape, (n,), validate_args=validate_args)
        if scale_tril is not None:
            self._unbroadcasted_scale_tril = scale_tril
        elif covariance_matrix is not None:
            self._unbroadcasted_scale_tril = linalg.linalg_cholesky(covariance_matrix)
        else:
            assert precision_matrix is not None  # exactly one of the three is given (above)
            self._unbroadcasted_scale_tril = _precision_to_scale_tril(precision_matrix)

    def expand(self, batch_shape: Sequence[int], _instance: Any = None) -> MultivariateNormal:
        """MultivariateNormal with loc and the matrices expanded to ``batch_shape``."""
        new = self._get_checked_instance(MultivariateNormal, _instance)
        batch_shape = tuple(batch_shape)
        n = self._event_shape[0]
        new.loc = self.loc.expand(batch_shape + (n,))
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril
        for name in ("covariance_matrix", "scale_tril", "precision_matrix"):
            if name in self.__dict__:
                setattr(new, name, self.__dict__[name].expand(batch_shape + (n, n)))
        return self._finish_expand(new, MultivariateNormal, batch_shape)

    def _matrix_shape(self) -> tuple[int, ...]:
        return self._batch_shape + self._event_shape + self._event_shape

    @lazy_property
    def scale_tril(self) -> Tensor:
        """L, the lower Cholesky factor of Sigma."""
        return self._unbroadcasted_scale_tril.expand(self._matrix_shape())

    @lazy_property
    def covariance_matrix(self) -> Tensor:
        """Sigma = L L^T."""
        L = self._unbroadcasted_scale_tril
        return linalg.matmul(L, L.mT).expand(self._matrix_shape())

    @lazy_property
    def precision_matrix(self) -> Tensor:
        """Sigma^-1 = L^-T L^-1."""
        L = self._unbroadcasted_scale_tril
        L_inv = SolveLower.apply(L, _identity(L.shape[-1], L))
        return linalg.matmul(L_inv.mT, L_inv).expand(self._matrix_shape())

    @property
    def mean(self) -> Tensor:
        """loc."""
        return self.loc

    @property
    def mode(self) -> Tensor:
        """loc."""
        return self.loc

    @property
    def variance(self) -> Tensor:
        """diag(Sigma) = the row sums of L**2."""
        return reduce.sum(self._unbroadcasted_scale_tril ** 2, -1).expand(
            self._batch_shape + self._event_shape)

    def rsample(self, sample_shape: ShapeLike = ()) -> Tensor:
        """loc + L eps, eps ~ N(0, I) of shape sample_shape + batch_shape + (n,)."""
        eps = randn(self._extended_shape(sample_shape), dtype=self.loc.dtype)
        return self.loc + _batch_mv(self._unbroadcasted_scale_tril, eps)

    def _half_log_det(self) -> Tensor:
        L = self._unbroadcasted_scale_tril
        return reduce.sum(elementwise.log(L.diagonal(dim1=-2, dim2=-1)), -1)

    def log_prob(self, value: Tensor) -> Tensor:
        """-(n log(2 pi) + |L^-1 (value - loc)|**2) / 2 - sum(log diag L)."""
        if self._validate_args:
            self._validate_sample(value)
        M = _batch_mahalanobis(self._unbroadcasted_scale_tril, value - self.loc)
        return -0.5 * (self._event_shape[0] * math.log(2 * math.pi) + M) - self._half_log_det()

    def entropy(self) -> Tensor:
        """n (1 + log(2 pi)) / 2 + sum(log diag L)."""
        H = 0.5 * self._event_shape[0] * (1.0 + math.log(2 * math.pi)) + self._half_log_det()
        return H if not self._batch_shape else H.expand(self._batch_shape)

