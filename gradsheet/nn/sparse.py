"""Embedding: a learned table of vectors, one per token id (nn.Embedding)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional

import numpy as np

from .. import backend, devices
from ..autograd.tensor import Tensor
from ..ops.embedding import embedding
from . import init
from .module import Module
from .parameter import allocate

if TYPE_CHECKING:
    from typing_extensions import Self

    from .._typing import DeviceLike, DType, TensorLike


class Embedding(Module):
    """y = W[idx]: each integer index picks a row of the table W (num_embeddings, embedding_dim).

    Args:
        num_embeddings: size of the vocabulary (indices lie in [0, num_embeddings)).
        embedding_dim: length of each vector.
        padding_idx: a row that is initialised to 0 and never gets a gradient (a padding token);
            negative values count from the end, as in PyTorch.
        max_norm, norm_type: rows looked up whose norm_type-norm exceeds max_norm are rescaled
            in place to that norm (``F.embedding``).
        scale_grad_by_freq: divide each row's gradient by its count in the mini-batch.
        sparse: accepted; the gradient is dense (gradsheet has no sparse tensors).
        device: the CPU (``None``, ``"cpu"``); dtype: dtype of the table (default:
            ``gradsheet.get_default_dtype()``).

    Shapes: input (*) integers -> output (*, embedding_dim).
    Attributes: weight (num_embeddings, embedding_dim), initialised from N(0, 1).

    Example: ``Embedding(10, 3)(gs.tensor([[1, 2], [4, 9]])).shape == (2, 2, 3)``.
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: Optional[int] = None,
                 max_norm: Optional[float] = None, norm_type: float = 2.0,
                 scale_grad_by_freq: bool = False, sparse: bool = False,
                 device: Optional[DeviceLike] = None, dtype: Optional[DType] = None) -> None:
        super().__init__()
        devices.check(device, "Embedding")
        for name, value in (("num_embeddings", num_embeddings), ("embedding_dim", embedding_dim)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
                raise ValueError(f"Embedding: {name} must be a non-negative integer, got {value!r}")
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(f"Embedding: padding_idx={padding_idx} must be within "
                                 f"num_embeddings={num_embeddings} ([-{num_embeddings}, "
                                 f"{num_embeddings}))")
            padding_idx = int(padding_idx) % num_embeddings
        self.num_embeddings, self.embedding_dim = int(num_embeddings), int(embedding_dim)
        self.padding_idx = padding_idx
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        dtype = backend.as_dtype(dtype)
        self.weight = allocate("Embedding", (self.num_embeddings, self.embedding_dim), dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """weight ~ N(0, 1), as PyTorch; the row ``padding_idx`` (if any) is set to 0."""
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight.array[self.padding_idx] = 0

    @classmethod
    def from_pretrained(cls, embeddings: TensorLike, freeze: bool = True,
                        padding_idx: Optional[int] = None, max_norm: Optional[float] = None,
                        norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                        sparse: bool = False) -> Self:
        """An Embedding holding a copy of the 2-D ``embeddings``; trained only if not ``freeze``."""
        array = np.asarray(embeddings.array if isinstance(embeddings, Tensor) else embeddings)
        if array.ndim != 2:
            raise ValueError(f"Embedding.from_pretrained: embeddings must be 2-D, got shape "
                             f"{array.shape}")
        module = cls(array.shape[0], array.shape[1], padding_idx, max_norm, norm_type,
                     scale_grad_by_freq, sparse, dtype=array.dtype)
        module.weight.array[...] = array
        module.weight.requires_grad_(not freeze)
        return module

    def forward(self, input: Tensor) -> Tensor:
        return embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                         self.scale_grad_by_freq, self.sparse)

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            text += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            text += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq is not False:
            text += f", scale_grad_by_freq={self.scale_grad_by_freq}"
        if self.sparse is not False:
            text += ", sparse=True"
        return text
