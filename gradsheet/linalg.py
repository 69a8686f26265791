"""``gradsheet.linalg``: PyTorch's ``torch.linalg`` namespace.

The ops live in ``gradsheet.ops.linalg`` (each one node with its backward); this module gives
them their ``torch.linalg`` names (``vector_norm`` is defined with the reductions).
"""
from .ops.linalg import (LinAlgError, cholesky_ex, det, eigh, eigvalsh, inv, inv_ex, lstsq,
                         matmul, matrix_norm, matrix_power, matrix_rank, multi_dot, norm, pinv,
                         qr, slogdet, solve, svd, svdvals, vecdot)
from .ops.linalg import linalg_cholesky as cholesky
from .ops.linalg import linalg_cross as cross
from .ops.reduce import vector_norm

__all__ = [
    "LinAlgError", "cholesky", "cholesky_ex", "cross", "det", "eigh", "eigvalsh", "inv", "inv_ex",
    "lstsq", "matmul", "matrix_norm", "matrix_power", "matrix_rank", "multi_dot", "norm", "pinv",
    "qr", "slogdet", "solve", "svd", "svdvals", "vecdot", "vector_norm",
]

