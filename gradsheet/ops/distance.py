"""Norms of vectors along a dimension: F.normalize, F.cosine_similarity, F.pairwise_distance.

    ||v||_p = (sum |v_k|^p)^(1/p)   (p = inf: max |v_k|, -inf: min, 0: the count of nonzeros)
    d||v||_p / dv_k = sign(v_k) |v_k|^(p-1) / ||v||_p^(p-1)   (0 where the norm is 0, as torch)

PyTorch's special cases of that gradient are kept: p = 1 gives sign(v), p = inf splits the
gradient evenly among the entries tied at the maximum, p = 0 gives 0.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional, Union

import numpy as np

from ._checks import tensor_args
from ..autograd.function import Function
from ..autograd.tensor import Tensor, as_tensor
from . import promotion
from .elementwise import _convert

if TYPE_CHECKING:
    from .._typing import DimLike, TensorLike


def vector_norm(x: np.ndarray, p: float, axis: Union[int, tuple[int, ...]],
                keepdims: bool = True) -> np.ndarray:
    """||x||_p over ``axis`` (an int or a tuple), keeping the reduced axes when ``keepdims``."""
    a = np.abs(x)
    if p == 0:
        return np.sum(x != 0, axis=axis, keepdims=keepdims).astype(x.dtype)
    if p == np.inf:
        return np.max(a, axis=axis, keepdims=keepdims)
    if p == -np.inf:
        return np.min(a, axis=axis, keepdims=keepdims)
    if p == 1:
        return np.sum(a, axis=axis, keepdims=keepdims)
    if p == 2:
        return np.sqrt(np.sum(x * x, axis=axis, keepdims=keepdims))
    return np.sum(a ** p, axis=axis, keepdims=keepdims) ** (1.0 / p)


def vector_norm_backward(x: np.ndarray, norm: np.ndarray, p: float, g: np.ndarray,
                         axis: Union[int, tuple[int, ...]]) -> np.ndarray:
    """dL/dx from g = dL/d||x||_p (both kept at the reduced shape), torch's formula per p."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if p == 0:
            return np.zeros_like(x * g)
        if p == 1:
            return np.sign(x) * g
        if p == 2:
            return x * np.where(norm == 0, 0.0, g / norm)
        if np.isinf(p):
            a = np.abs(x)
            mask = (a == norm) | np.isnan(a)
            return np.sign(x) * (g / np.sum(mask, axis=axis, keepdims=True)) * mask
        a = np.abs(x)
        if p < 1:
            scaled = np.sign(x) * np.where(x == 0, 0.0, a ** (p - 1))
            return scaled * g * norm ** (1 - p)
        scaled = np.sign(x) * a ** (p - 1) if p < 2 else x * a ** (p - 2)
        return scaled * np.where(norm == 0, 0.0, g / norm ** (p - 1))


def _check_p(op: str, p: float, shape: tuple[int, ...], axes: tuple[int, ...]) -> float:
    if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)):
        raise TypeError(f"{op}: p must be a number, got {p!r}")
    if np.isinf(p) and any(shape[a] == 0 for a in axes):
        raise ValueError(f"{op}: cannot compute the inf norm over an empty dimension (input "
                         f"shape {tuple(shape)}, dims {axes}): the max has no identity")
    return float(p)


def _axes(op: str, dim: DimLike, ndim: int) -> tuple[int, ...]:
    dims = tuple(dim) if isinstance(dim, (list, tuple)) else (dim,)
    axes = []
    for d in dims:
        if isinstance(d, bool) or not isinstance(d, (int, np.integer)):
            raise TypeError(f"{op}: dim must be an int or a tuple of ints, got {dim!r}")
        if not -max(ndim, 1) <= d < max(ndim, 1):
            raise IndexError(f"{op}: dim {d} is out of range for a tensor of {ndim} dimensions "
                             f"(expected to be in range of [{-max(ndim, 1)}, {max(ndim, 1) - 1}])")
        axes.append(int(d) % max(ndim, 1))
    return tuple(axes) if ndim else ()


class Normalize(Function):
    """y = x / max(||x||_p, eps) (norm over ``axes``, broadcast back);
    dL/dx = g / d - dd/dx * sum(g * x) / d^2 with d = max(||x||_p, eps), where dd/dx is the
    norm's gradient when ||x||_p >= eps and 0 when the clamp holds d at eps.
    """

    def forward(self, x: np.ndarray, p: float = 2.0, axes: tuple[int, ...] = (),
                eps: float = 1e-12) -> np.ndarray:
        self.x, self.p, self.axes = x, p, axes
        self.norm = vector_norm(x, p, axes)
        self.d = np.maximum(self.norm, eps)
        self.clamped = self.norm < eps
        return x / self.d

    def backward(self, g: np.ndarray) -> np.ndarray:
        x, d = self.x, self.d
        gd = -np.sum(g * x, axis=self.axes, keepdims=True) / (d * d)
        gn = np.where(self.clamped, 0.0, gd)
        return g / d + vector_norm_backward(x, self.norm, self.p, gn, self.axes)


class CosineSimilarity(Function):
    """y = sum_dim (x1 / max(||x1||, eps)) * (x2 / max(||x2||, eps));
    dL/dx1 = (g x2n - x1 / ||x1|| * sum(g x2n x1) / d1) / d1 with x2n = x2 / d2 and
    d1 = max(||x1||, eps) (the norm's gradient passes even where the eps clamp holds, as in
    torch, whose clamp runs in place outside the graph; 0 where ||x1|| = 0); x2 likewise.
    """

    def forward(self, x1: np.ndarray, x2: np.ndarray, axis: int = 0, eps: float = 1e-8
                ) -> np.ndarray:
        self.axis = axis
        self.n1, self.n2 = vector_norm(x1, 2, axis), vector_norm(x2, 2, axis)
        self.d1, self.d2 = np.maximum(self.n1, eps), np.maximum(self.n2, eps)
        self.x1, self.x2 = x1, x2
        self.a, self.b = x1 / self.d1, x2 / self.d2
        return np.sum(self.a * self.b, axis=axis)

    def _grad(self, g: np.ndarray, x: np.ndarray, n: np.ndarray, d: np.ndarray,
              other: np.ndarray) -> np.ndarray:
        ga = g * other
        gd = -np.sum(ga * x, axis=self.axis, keepdims=True) / (d * d)
        return ga / d + vector_norm_backward(x, n, 2, gd, self.axis)

    def backward(self, g: np.ndarray) -> tuple[Optional[np.ndarray], Optional[np.ndarray]]:
        g = np.expand_dims(g, self.axis)
        return (self._grad(g, self.x1, self.n1, self.d1, self.b) if self.needs_grad(0) else None,
                self._grad(g, self.x2, self.n2, self.d2, self.a) if self.needs_grad(1) else None)


class PairwiseDistance(Function):
    """y = ||x1 - x2 + eps||_p over the last dimension;  dL/dx1 = dn/dv g, dL/dx2 = -dn/dv g
    with v = x1 - x2 + eps and dn/dv the p-norm's gradient.
    """

    def forward(self, x1: np.ndarray, x2: np.ndarray, p: float = 2.0, eps: float = 1e-6,
                keepdim: bool = False) -> np.ndarray:
        self.v = x1 - x2 + eps
        self.p, self.keepdim = p, keepdim
        self.axis = (self.v.ndim - 1,) if self.v.ndim else ()
        self.norm = vector_norm(self.v, p, self.axis)
        return self.norm if keepdim or not self.v.ndim else np.squeeze(self.norm, -1)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, Optional[np.ndarray]]:
        if not self.keepdim and self.v.ndim:
            g = np.expand_dims(g, -1)
        dv = vector_norm_backward(self.v, self.norm, self.p, g, self.axis)
        return dv, (-dv if self.needs_grad(1) else None)


def _tensor(x: TensorLike) -> Tensor:
    return x if isinstance(x, Tensor) else as_tensor(x)


def _floating_pair(op: str, x1: TensorLike, x2: TensorLike, require_float: bool
                   ) -> tuple[Tensor, Tensor, tuple[int, ...]]:
    x1, x2 = _tensor(x1), _tensor(x2)
    target = promotion.result_type(x1, x2)
    if np.dtype(target).kind != "f":
        if require_float:
            raise TypeError(f"{op}: expected common dtype to be floating point, yet common dtype "
                            f"is {np.dtype(target)} (inputs {x1.dtype} and {x2.dtype})")
        target = promotion.floating(target)
    try:
        shape = np.broadcast_shapes(x1.shape, x2.shape)
    except ValueError:
        raise ValueError(f"{op}: shapes {tuple(x1.shape)} and {tuple(x2.shape)} do not "
                         "broadcast") from None
    return _convert(x1, target), _convert(x2, target), shape


@tensor_args("input")
def normalize(input: Tensor, p: float = 2.0, dim: DimLike = 1, eps: float = 1e-12) -> Tensor:
    """y = x / max(||x||_p, eps), the norm taken over ``dim`` (an int or a tuple): each vector
    along dim scaled to unit p-norm (vectors shorter than eps are divided by eps).
    Example: ``normalize(tensor([[3., 4.]]))`` is [[0.6, 0.8]].
    """
    op = "normalize"
    x = _tensor(input)
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: expected a floating point tensor as input, got dtype {x.dtype}")
    axes = _axes(op, dim, x.ndim)
    p = _check_p(op, p, x.shape, axes)
    return Normalize.apply(x, p=p, axes=axes, eps=float(eps))


@tensor_args("x1", "x2")
def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """y = sum_dim (x1 / max(||x1||_2, eps)) * (x2 / max(||x2||_2, eps)): the cosine of the angle
    between the vectors along ``dim`` (x1 and x2 broadcast; dim is removed).
    Example: ``cosine_similarity(tensor([[1., 0.]]), tensor([[1., 1.]]))`` is [0.7071].
    """
    op = "cosine_similarity"
    a, b, shape = _floating_pair(op, x1, x2, require_float=True)
    (axis,) = _axes(op, dim, len(shape)) or (None,)
    if axis is None:  # 0-d inputs: the whole (one-element) vectors
        return CosineSimilarity.apply(a.reshape(1), b.reshape(1), axis=0, eps=float(eps))
    if a.shape != shape:
        a = a.expand(*shape)
    if b.shape != shape:
        b = b.expand(*shape)
    return CosineSimilarity.apply(a, b, axis=axis, eps=float(eps))


@tensor_args("x1", "x2")
def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """y = ||x1 - x2 + eps||_p over the last dimension (x1 and x2 broadcast): the distance
    between each pair of row vectors.
    Example: ``pairwise_distance(tensor([[0., 0.]]), tensor([[3., 4.]]))`` is [5.0] (about).
    """
    op = "pairwise_distance"
    a, b, shape = _floating_pair(op, x1, x2, require_float=False)
    p = _check_p(op, p, shape, (len(shape) - 1,) if shape else ())
    return PairwiseDistance.apply(a, b, p=p, eps=float(eps), keepdim=bool(keepdim))


__all__ = ["cosine_similarity", "normalize", "pairwise_distance"]
