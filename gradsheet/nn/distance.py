"""Distance layers: PairwiseDistance and CosineSimilarity, as in ``torch.nn``; each calls the
function of ``gradsheet.ops.distance``, where the formula and its gradient live."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..ops import distance as _distance
from .module import Module

if TYPE_CHECKING:
    from .._typing import Tensor


class PairwiseDistance(Module):
    """d(x1, x2) = ||x1 - x2 + eps||_p over the last dimension (p = ``norm``, default 2).

    Shapes: (N, D) and (N, D) (or broadcastable, or (D,)) -> (N,), (N, 1) with ``keepdim``.
    """

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> None:
        super().__init__()
        self.norm, self.eps, self.keepdim = p, eps, keepdim

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return _distance.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)


class CosineSimilarity(Module):
    """cos(x1, x2) = x1 . x2 / max(||x1|| ||x2||, eps) along ``dim`` (default 1)."""

    def __init__(self, dim: int = 1, eps: float = 1e-8) -> None:
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return _distance.cosine_similarity(x1, x2, self.dim, self.eps)


__all__ = ["CosineSimilarity", "PairwiseDistance"]
