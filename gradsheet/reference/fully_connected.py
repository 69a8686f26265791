"""The fully connected layer as the cheat sheet writes it: z = W x + b."""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from gradsheet.ops import linalg as fused

from .registry import mirrors

if TYPE_CHECKING:
    from gradsheet.autograd.tensor import Tensor


@mirrors(fused.Linear, "the fused node is one GEMM plus a bias add and its backward two GEMMs "
         "and a column sum, one node instead of three (transpose, matmul, add)")
def linear(x: Tensor, W: Tensor, b: Optional[Tensor] = None) -> Tensor:
    """z = W x + b for each row x of ``x``: z_j = w_jᵀ x + b_j, written x @ Wᵀ + b.

    Shapes: x (*, in), W (out, in), b (out,) -> z (*, out).
    Fused: ``gradsheet.ops.linalg.linear`` (``linalg.Linear``).
    """
    z = x @ W.T
    if b is not None:
        z = z + b
    return z
