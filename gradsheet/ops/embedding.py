"""Embedding lookup: row i of a table W (num_embeddings, embedding_dim) for each index i,
and one_hot, the same lookup in the identity matrix.

    y[..., :] = W[idx[...], :]
    dL/dW[v] = sum of dL/dy[k] over the positions k with idx[k] = v   (a scatter-add)
               (divided by the count of v in idx with ``scale_grad_by_freq``)

The scatter-add sorts the indices once and sums each run of equal ones with
``np.add.reduceat``: the same sums as ``np.add.at``, about twice as fast. ``max_norm``
rescales the rows that idx looks up, in place and outside the graph, as PyTorch does.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from ._checks import tensor_args
from ..autograd import inplace
from ..autograd.function import Function
from ..autograd.tensor import Tensor
from .distance import vector_norm


class Embedding(Function):
    """y = W[idx];  dL/dW = zeros with dL/dy scatter-added at the rows idx (none at padding_idx;
    each row's sum divided by how often idx holds it, with scale_grad_by_freq).

    Shapes: idx (*) integers in [0, num_embeddings), W (num_embeddings, D) -> y (*, D).
    """

    def forward(self, weight: np.ndarray, indices: np.ndarray, padding_idx: Optional[int] = None,
                scale_grad_by_freq: bool = False) -> np.ndarray:
        self.indices, self.shape, self.padding_idx = indices, weight.shape, padding_idx
        self.scale_grad_by_freq = scale_grad_by_freq
        return weight[indices]

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, None]:
        rows = self.indices.reshape(-1)
        grads = g.reshape(rows.size, self.shape[1])
        grad = np.zeros(self.shape, dtype=g.dtype)
        if rows.size:
            order = np.argsort(rows, kind="stable")
            sorted_rows = rows[order]
            starts = np.flatnonzero(np.r_[True, sorted_rows[1:] != sorted_rows[:-1]])
            sums = np.add.reduceat(grads[order], starts, axis=0)
            if self.scale_grad_by_freq:
                counts = np.diff(np.r_[starts, rows.size])
                sums /= counts[:, None]
            grad[sorted_rows[starts]] = sums
        if self.padding_idx is not None:
            grad[self.padding_idx] = 0
        return grad, None


def _renorm(weight: Tensor, table: np.ndarray, indices: np.ndarray, max_norm: float,
            norm_type: float) -> None:
    """Rows W[i] of the indices i whose norm exceeds max_norm scaled to max_norm / (norm + 1e-7)
    of themselves, in place (torch's embedding_renorm_, outside the graph)."""
    rows = np.unique(indices)
    if not rows.size:
        return
    norms = vector_norm(table[rows], float(norm_type), 1, keepdims=False)
    over = norms > max_norm
    if np.any(over):
        scale = (max_norm / (norms[over] + 1e-7)).astype(table.dtype)
        table[rows[over]] *= scale[:, None]
    if isinstance(weight, Tensor):
        inplace.note_change(weight, "embedding")


@tensor_args("input", "weight")
def embedding(input: Tensor, weight: Tensor, padding_idx: Optional[int] = None,
              max_norm: Optional[float] = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Look up rows of ``weight`` (num_embeddings, D) at the integer ``input`` (*) -> (*, D).

    ``padding_idx`` (may be negative, counted from the end) names a row that gets no gradient.
    ``max_norm``: each looked-up row whose ``norm_type``-norm exceeds it is first rescaled in
    place to norm max_norm (weight changes, as in torch). ``scale_grad_by_freq`` divides each
    row's gradient by the number of times the row occurs in ``input``. ``sparse=True`` is
    accepted, but the gradient is dense (gradsheet has no sparse tensors).
    Example: ``embedding(tensor([2, 0]), W)`` is ``stack([W[2], W[0]])``.
    """
    indices = input.array if isinstance(input, Tensor) else np.asarray(input)
    table = weight.array if isinstance(weight, Tensor) else np.asarray(weight)
    if table.ndim != 2:
        raise ValueError(f"embedding: weight must be 2-D (num_embeddings, embedding_dim), got "
                         f"shape {table.shape}")
    num = table.shape[0]
    if indices.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be integers, got dtype {indices.dtype}")
    if indices.size and (indices.min() < 0 or indices.max() >= num):
        bad = indices.min() if indices.min() < 0 else indices.max()
        raise IndexError(f"embedding: index {int(bad)} is out of range for num_embeddings={num} "
                         f"(valid indices are 0 .. {num - 1})")
    if padding_idx is not None:
        if not -num <= padding_idx < num:
            raise ValueError(f"embedding: padding_idx={padding_idx} must lie in [-{num}, {num}) "
                             f"for num_embeddings={num}")
        padding_idx = int(padding_idx) % num
    if max_norm is not None:
        if isinstance(max_norm, bool) or not isinstance(max_norm, (int, float, np.integer,
                                                                   np.floating)):
            raise TypeError(f"embedding: max_norm must be a number, got {max_norm!r}")
        _renorm(weight, table, indices, float(max_norm), norm_type)
    return Embedding.apply(weight, indices, padding_idx=padding_idx,
                           scale_grad_by_freq=bool(scale_grad_by_freq))


@tensor_args("tensor")
def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """y[..., c] = 1 if tensor[...] == c else 0: int64 of shape (*, num_classes), num_classes
    -1 meaning max(tensor) + 1.
    Example: ``one_hot(tensor([0, 2]))`` is [[1, 0, 0], [0, 0, 1]].
    """
    op = "one_hot"
    labels = tensor.array if isinstance(tensor, Tensor) else np.asarray(tensor)
    if labels.dtype != np.int64:
        raise TypeError(f"{op}: is only applicable to index tensors of dtype int64 (LongTensor), "
                        f"got dtype {labels.dtype}")
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)):
        raise TypeError(f"{op}: num_classes must be an int, got {num_classes!r}")
    num_classes = int(num_classes)
    if labels.size == 0:
        if num_classes <= 0:
            raise ValueError(f"{op}: can not infer the total number of classes from an empty "
                             f"tensor (shape {labels.shape}); pass num_classes")
    else:
        low, high = int(labels.min()), int(labels.max())
        if low < 0:
            raise ValueError(f"{op}: class values must be non-negative, got {low}")
        if num_classes == -1:
            num_classes = high + 1
        elif high >= num_classes:
            raise ValueError(f"{op}: class values must be smaller than num_classes={num_classes}, "
                             f"got {high}")
    out = np.zeros(labels.shape + (num_classes,), dtype=np.int64)
    np.put_along_axis(out, labels[..., None], 1, axis=-1)
    return Tensor._wrap(out)
