"""``gradsheet.sparse``: PyTorch's ``torch.sparse`` namespace for sparse COO tensors.

The ops live in ``gradsheet.ops.sparse`` (each one node with its backward); this module gives
them their ``torch.sparse`` names: ``mm``, ``sum``, ``softmax``, ``log_softmax``.
"""
from .ops.sparse import sparse_log_softmax as log_softmax
from .ops.sparse import sparse_mm as mm
from .ops.sparse import sparse_softmax as softmax
from .ops.sparse import sparse_sum as sum  # noqa: A004 (torch.sparse.sum)

__all__ = ["log_softmax", "mm", "softmax", "sum"]
