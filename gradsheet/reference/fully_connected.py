"""The fully connected layer as the cheat sheet writes it: z = W x + b."""
from gradsheet.ops import linalg as fused

from .registry import mirrors


@mirrors(fused.Linear, "the fused node is one GEMM plus a bias add and its backward two GEMMs "
         "and a column sum, one node instead of three (transpose, matmul, add)")
def linear(x, W, b=None):
    """z = W x + b for each row x of ``x``: z_j = w_jᵀ x + b_j, written x @ Wᵀ + b.

    Shapes: x (*, in), W (out, in), b (out,) -> z (*, out).
    Fused: ``gradsheet.ops.linalg.linear`` (``linalg.Linear``).
    """
    z = x @ W.T
    if b is not None:
        z = z + b
    return z
