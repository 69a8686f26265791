"""Sinusoidal positional encoding: y = dropout(x + PE[position]), the table of "Attention Is
All You Need" (section 3.5), as the ``PositionalEncoding`` of PyTorch's word-language-model
example.

PyTorch has no such layer in ``torch.nn``; every PyTorch Transformer example defines this one
(``register_buffer("pe", ...)`` of shape (max_len, 1, d_model)), so gradsheet's keeps its
arguments, its buffer's name and shape, and adds ``batch_first``: the state dicts of the two
load into each other, and an architecture file can put it between an Embedding and a
TransformerEncoder.

Reference: Vaswani et al., "Attention Is All You Need", NeurIPS 2017, section 3.5.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional

import numpy as np

from .. import backend
from ..autograd.tensor import as_tensor
from ..ops._checks import as_tensor_arg
from .dropout import Dropout
from .module import Module

if TYPE_CHECKING:
    from .._typing import DType, Tensor


def sinusoidal_table(max_len: int, d_model: int, dtype: Optional[DType] = None) -> np.ndarray:
    """PE (max_len, d_model): PE[p, 2i] = sin(p / 10000^(2i / d)), PE[p, 2i+1] =
    cos(p / 10000^(2i / d)), computed in float64 and cast to ``dtype`` (default: the default
    dtype). An odd d_model has one more sine column than cosine columns.

    Example: ``sinusoidal_table(2, 2)`` is [[0, 1], [sin 1, cos 1]].
    """
    position = np.arange(max_len, dtype=np.float64)[:, None]
    frequency = np.exp(np.arange(0, d_model, 2, dtype=np.float64) * (-np.log(10000.0) / d_model))
    table = np.empty((max_len, d_model))
    table[:, 0::2] = np.sin(position * frequency)
    table[:, 1::2] = np.cos(position * frequency[:d_model // 2])
    return table.astype(backend.as_dtype(dtype))


def _size(name: str, value: int, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"PositionalEncoding: {name} must be an integer >= {minimum}, "
                         f"got {value!r}")
    return int(value)


class PositionalEncoding(Module):
    """y = dropout(x + PE[:T]) with PE[p, 2i] = sin(p / 10000^(2i / d_model)),
    PE[p, 2i+1] = cos(p / 10000^(2i / d_model)): the position p of each of the T steps added
    to its embedding (``sinusoidal_table``). Nothing is learned.

    Args:
        d_model: the embedding width E.
        dropout: the dropout probability on the sum, in training (default 0.1).
        max_len: the longest sequence accepted (the table's rows, default 5000).
        batch_first: inputs (N, T, E) instead of (T, N, E).

    Shapes: (T, N, E), or (N, T, E) with batch_first, or unbatched (T, E) -> the same shape.
    Attributes: pe, a buffer (max_len, 1, d_model) holding the table (saved in state dicts,
    under PyTorch's example's name and shape).

    Example: ``PositionalEncoding(4, dropout=0.0)(gs.zeros(2, 1, 4))[1, 0, 0]`` is sin(1).
    """

    def __init__(self, d_model: int, dropout: float = 0.1, max_len: int = 5000,
                 batch_first: bool = False) -> None:
        super().__init__()
        self.d_model = _size("d_model", d_model, 1)
        self.max_len = _size("max_len", max_len, 1)
        self.batch_first = batch_first
        self.dropout = Dropout(p=dropout)
        self.register_buffer("pe", as_tensor(sinusoidal_table(self.max_len, self.d_model)[:, None]))

    def forward(self, x: Tensor) -> Tensor:
        """dropout(x + PE[:T]), T the length of ``x``'s sequence axis."""
        x = as_tensor_arg("PositionalEncoding", "x", x)
        if x.ndim not in (2, 3) or x.shape[-1] != self.d_model:
            raise ValueError(f"PositionalEncoding: x must be (T, N, {self.d_model}), "
                             f"(N, T, {self.d_model}) with batch_first, or (T, {self.d_model}); "
                             f"got shape {list(x.shape)}")
        time_axis = 1 if self.batch_first and x.ndim == 3 else 0
        length = x.shape[time_axis]
        if length > self.max_len:
            raise ValueError(f"PositionalEncoding: x has {length} positions (shape "
                             f"{list(x.shape)}), more than max_len={self.max_len}")
        pe = self.pe[:length] if time_axis == 0 and x.ndim == 3 else self.pe[:length, 0]
        return self.dropout(x + pe)

    def extra_repr(self) -> str:
        """d_model, max_len and batch_first, as the constructor takes them."""
        return f"{self.d_model}, max_len={self.max_len}, batch_first={self.batch_first}"
