"""Variable-length batches for the recurrent layers, as ``torch.nn.utils.rnn``.

A batch of B sequences of lengths L_b (longest first after sorting) is *packed* time-major:
step t contributes the rows of the batch_sizes[t] = #{b : L_b > t} sequences still running,

    data = [x_0[s_0], x_0[s_1], ..., x_0[s_{n_0 - 1}], x_1[s_0], ..., x_{T-1}[...]]

with s the sequences in order of decreasing length (``sorted_indices``; None when the batch
was already sorted, ``enforce_sorted=True``). ``pad_packed_sequence`` undoes it, putting each
sequence back in its original batch slot (``unsorted_indices``) and filling the rest with
``padding_value``. Every conversion is one gather or scatter node, so gradients flow through
packing and padding: d(pack)/dx is the scatter of the packed gradient into zeros, and
d(pad)/d(data) the gather of the padded gradient at the packed positions.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, Optional, Union, cast

import numpy as np

from ...autograd.function import Function
from ...autograd.tensor import Tensor

if TYPE_CHECKING:
    from typing import Self  # (Python 3.11; gradsheet runs on 3.10: read by checkers only)

    from ..._typing import TensorLike

# the lengths of a batch's sequences
_Lengths = Union[Tensor, np.ndarray, Sequence[int]]

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence",
           "pad_sequence", "unpad_sequence", "pack_sequence", "unpack_sequence"]


# ------------------------------------------------------------------ nodes
class _Gather(Function):
    """y = x[index] for unique advanced indices ``index``;  dL/dx = 0 with dL/dy scattered back
    to the gathered positions (each position once, so no accumulation is needed)."""

    def forward(self, x: np.ndarray, index: Any) -> np.ndarray:
        self.shape, self.dtype, self.index = x.shape, x.dtype, index
        return x[index]

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, None]:
        out = np.zeros(self.shape, dtype=self.dtype)
        out[self.index] = g
        return out, None


class _Scatter(Function):
    """y = full(shape, padding_value) with y[index] = x (unique indices);
    dL/dx = dL/dy[index] (the padding gets no gradient)."""

    def forward(self, x: np.ndarray, index: Any, shape: tuple[int, ...], padding_value: float
                ) -> np.ndarray:
        self.index = index
        out = np.full(shape, padding_value, dtype=x.dtype)
        out[index] = x
        return out

    def backward(self, g: np.ndarray) -> np.ndarray:
        return g[self.index]


class _PadSequences(Function):
    """y = the sequences x_b (L_b, *) stacked into one padded array, y[index] = cat(x_0, x_1, ...);
    dL/dx_b = the rows of dL/dy[index] that came from x_b."""

    def forward(self, *arrays: np.ndarray, index: Any, shape: tuple[int, ...],
                padding_value: float, dtype: np.dtype) -> np.ndarray:
        self.index = index
        self.splits = np.cumsum([a.shape[0] for a in arrays])[:-1]
        self.dtypes = [a.dtype for a in arrays]
        out = np.full(shape, padding_value, dtype=dtype)
        if arrays:
            out[index] = np.concatenate(arrays, axis=0, dtype=dtype)
        return out

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, ...]:
        rows = np.split(g[self.index], self.splits, axis=0)
        return tuple(r.astype(d, copy=False) for r, d in zip(rows, self.dtypes))


# ------------------------------------------------------------------ PackedSequence
class _PackedSequenceBase(NamedTuple):
    """PackedSequence's fields (torch's ``PackedSequence_``)."""

    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Optional[Tensor]
    unsorted_indices: Optional[Tensor]


def _index_tensor(value: Any, name: str) -> Optional[Tensor]:
    if value is None:
        return None
    array = value.array if isinstance(value, Tensor) else np.asarray(value)
    if array.ndim != 1 or (array.size and array.dtype.kind not in "iu"):
        raise TypeError(f"PackedSequence: {name} must be a 1-D integer tensor, got "
                        f"{array.dtype} of shape {array.shape}")
    return value if isinstance(value, Tensor) and array.dtype == np.int64 else \
        Tensor._wrap(array.astype(np.int64))


class PackedSequence(_PackedSequenceBase):
    """A packed batch of variable-length sequences: (data, batch_sizes, sorted_indices,
    unsorted_indices), as ``torch.nn.utils.rnn.PackedSequence``.

    data (N, *) holds the N = sum of the lengths time steps, time-major; batch_sizes[t] is the
    number of sequences longer than t; sorted_indices[s] is the batch slot of the s-th longest
    sequence and unsorted_indices its inverse (both None when the batch came sorted). Build it
    with ``pack_padded_sequence`` or ``pack_sequence``, not by hand; the recurrent layers take it
    as input and return one.
    """

    def __new__(cls, data: Union[Tensor, Sequence[Any]], batch_sizes: Optional[TensorLike] = None,
                sorted_indices: Optional[TensorLike] = None,
                unsorted_indices: Optional[TensorLike] = None) -> Self:
        if batch_sizes is None:  # PackedSequence((data, batch_sizes)), torch's legacy form
            if not isinstance(data, (list, tuple)) or len(data) != 2:
                raise TypeError("PackedSequence: pass data and batch_sizes (or a pair of them)")
            data, batch_sizes = data
        if not isinstance(data, Tensor):
            raise TypeError(f"PackedSequence: data must be a Tensor, got {type(data).__name__}")
        batches = _index_tensor(batch_sizes, "batch_sizes")
        sorted_ = _index_tensor(sorted_indices, "sorted_indices")
        unsorted = _index_tensor(unsorted_indices, "unsorted_indices")
        if unsorted is None:
            unsorted = invert_permutation(sorted_)
        # (batch_sizes is None only for a legacy pair (data, None), passed on as torch does)
        return super().__new__(cls, data, cast(Tensor, batches), sorted_, unsorted)

    def _with_data(self, data: Tensor) -> Self:
        if data is self.data:
            return self
        return type(self)(data, self.batch_sizes, self.sorted_indices, self.unsorted_indices)

    def to(self, *args: Any, **kwargs: Any) -> Self:
        """The same PackedSequence with ``data.to(*args, **kwargs)`` (self when nothing changes)."""
        return self._with_data(self.data.to(*args, **kwargs))

    def cpu(self) -> Self:
        """self: gradsheet's tensors live on the CPU."""
        return self

    def cuda(self, *args: Any, **kwargs: Any) -> Self:
        """Raises, as ``Tensor.cuda``: gradsheet has no CUDA device."""
        return self._with_data(self.data.cuda(*args, **kwargs))

    def double(self) -> Self:
        """The same PackedSequence with float64 data."""
        return self._with_data(self.data.double())

    def float(self) -> Self:
        """The same PackedSequence with float32 data."""
        return self._with_data(self.data.float())

    def half(self) -> Self:
        """The same PackedSequence with float16 data."""
        return self._with_data(self.data.half())

    def long(self) -> Self:
        """The same PackedSequence with int64 data."""
        return self._with_data(self.data.long())

    def int(self) -> Self:
        """The same PackedSequence with int32 data."""
        return self._with_data(self.data.int())

    def short(self) -> Self:
        """The same PackedSequence with int16 data."""
        return self._with_data(self.data.short())

    def char(self) -> Self:
        """The same PackedSequence with int8 data."""
        return self._with_data(self.data.char())

    def byte(self) -> Self:
        """The same PackedSequence with uint8 data."""
        return self._with_data(self.data.byte())

    @property
    def is_cuda(self) -> bool:
        """False: gradsheet's tensors live on the CPU."""
        return False

    def is_pinned(self) -> bool:
        """False: gradsheet has no pinned memory."""
        return False


def invert_permutation(permutation: Optional[TensorLike]) -> Optional[Tensor]:
    """inverse[permutation[i]] = i (None for None): the permutation that undoes ``permutation``."""
    if permutation is None:
        return None
    p = permutation.array if isinstance(permutation, Tensor) else np.asarray(permutation)
    out = np.empty(p.shape, dtype=np.int64)
    out[p] = np.arange(p.shape[0], dtype=np.int64)
    return Tensor._wrap(out)


# ------------------------------------------------------------------ helpers
def _steps(batch_sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(t, s) of each packed row: its time step and its rank among the sequences (longest 0)."""
    total = int(batch_sizes.sum())
    t = np.repeat(np.arange(len(batch_sizes)), batch_sizes)
    starts = np.concatenate(([0], np.cumsum(batch_sizes)[:-1]))
    s = np.arange(total) - np.repeat(starts, batch_sizes)
    return t, s


def _packed_index(sequence: PackedSequence) -> tuple[np.ndarray, np.ndarray]:
    """(t, b) of each row of ``sequence.data``: its time step and its slot in the original
    (unsorted) batch."""
    t, s = _steps(sequence.batch_sizes.array)
    if sequence.unsorted_indices is None:
        return t, s
    B = len(sequence.unsorted_indices.array)
    position = np.empty(B, dtype=np.int64)  # position[s]: the batch slot of rank s
    position[sequence.unsorted_indices.array] = np.arange(B)
    return t, position[s]


def _pack_like(padded: Tensor, sequence: PackedSequence) -> PackedSequence:
    """``padded`` (T, B, *) packed with the batch sizes and order of PackedSequence ``sequence``
    (the recurrent layers' packed output)."""
    data = _Gather.apply(padded, _packed_index(sequence))
    return PackedSequence(data, sequence.batch_sizes, sequence.sorted_indices,
                          sequence.unsorted_indices)


def _as_lengths(lengths: Any, op: str) -> np.ndarray:
    if isinstance(lengths, Tensor):
        array = lengths.array
    else:
        try:
            array = np.asarray(lengths)
        except (TypeError, ValueError) as error:
            raise TypeError(f"{op}: lengths must be a 1-D sequence of ints or a Tensor, got "
                            f"{type(lengths).__name__}") from error
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{op}: lengths must be numbers, got {array.dtype}")
    if array.ndim != 1:
        raise RuntimeError(f"{op}: 'lengths' argument should be a 1D CPU int64 tensor, but got "
                           f"{array.ndim}D lengths of shape {array.shape}")
    return array.astype(np.int64)


def _check_tensor(value: Any, name: str, op: str) -> None:
    if not isinstance(value, Tensor):
        raise TypeError(f"{op}: {name} must be a Tensor, got {type(value).__name__}")


# ------------------------------------------------------------------ packing
def pack_padded_sequence(input: Tensor, lengths: _Lengths, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded batch: data = the rows input[t, b] with t < lengths[b], time-major, sequences
    longest first (see the module docstring); differentiable in ``input``.

    Args:
        input: (T, B, *) padded sequences ((B, T, *) with ``batch_first``).
        lengths: the B lengths (a list or a 1-D Tensor), each in [1, T].
        batch_first: input is (B, T, *).
        enforce_sorted: lengths must be non-increasing (then sorted_indices is None); with False
            any order is sorted here (stably, longest first) and undone by
            ``pad_packed_sequence``.

    Returns:
        a PackedSequence.
    """
    op = "pack_padded_sequence"
    _check_tensor(input, "input", op)
    if input.ndim < 2:
        raise IndexError(f"{op}: input must have at least 2 dimensions (T, B, *), got shape "
                         f"{tuple(input.shape)}")
    lengths = _as_lengths(lengths, op)
    B, T = (input.shape[0], input.shape[1]) if batch_first else (input.shape[1], input.shape[0])
    if len(lengths) != B:
        raise RuntimeError(f"{op}: Expected `len(lengths)` to be equal to batch_size, but got "
                           f"{len(lengths)} (batch_size={B})")
    if enforce_sorted:
        if np.any(lengths[1:] > lengths[:-1]):
            raise RuntimeError(f"{op}: `lengths` array must be sorted in decreasing order when "
                               "`enforce_sorted` is True, got "
                               f"{lengths.tolist()}. You can pass `enforce_sorted=False` to "
                               "pack_padded_sequence and/or pack_sequence to sidestep this "
                               "requirement if you do not need ONNX exportability.")
        sorted_indices = None
        sorted_lengths = lengths
    else:
        sorted_indices = np.argsort(-lengths, kind="stable")
        sorted_lengths = lengths[sorted_indices]
    if B and sorted_lengths[-1] <= 0:
        raise RuntimeError(f"{op}: Length of all samples has to be greater than 0, but found an "
                           f"element in 'lengths' that is <= 0: {lengths.tolist()}")
    if B and sorted_lengths[0] > T:
        raise RuntimeError(f"{op}: a sequence has length {int(sorted_lengths[0])} but the input "
                           f"holds only T={T} time steps (input shape {tuple(input.shape)}, "
                           f"batch_first={batch_first})")
    max_len = int(sorted_lengths[0]) if B else 0
    batch_sizes = np.count_nonzero(sorted_lengths[None, :] > np.arange(max_len)[:, None], axis=1)
    t, s = _steps(batch_sizes)
    b = s if sorted_indices is None else sorted_indices[s]
    data = _Gather.apply(input, (b, t) if batch_first else (t, b))
    return PackedSequence(data, Tensor._wrap(batch_sizes.astype(np.int64)),
                          None if sorted_indices is None else Tensor._wrap(sorted_indices))


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False,
                        padding_value: float = 0.0, total_length: Optional[int] = None
                        ) -> tuple[Tensor, Tensor]:
    """Unpack: padded[t, b] = the packed row of sequence b at step t for t < lengths[b], else
    ``padding_value``; the inverse of ``pack_padded_sequence``, differentiable in the data.

    Args:
        sequence: a PackedSequence.
        batch_first: return (B, T, *) instead of (T, B, *).
        padding_value: the value of the padded steps (default 0).
        total_length: pad to this T (>= the longest length; default the longest length).

    Returns:
        (padded, lengths): lengths an int64 Tensor of the B lengths, in the original batch order.
    """
    op = "pad_packed_sequence"
    if not isinstance(sequence, PackedSequence):
        raise TypeError(f"{op}: expected a PackedSequence, got {type(sequence).__name__}")
    batch_sizes = sequence.batch_sizes.array
    max_len = len(batch_sizes)
    if total_length is not None:
        if total_length < max_len:
            raise ValueError(f"{op}: Expected total_length to be at least the length of the "
                             f"longest sequence in input, but got total_length={total_length} "
                             f"and max sequence length being {max_len}")
        max_len = int(total_length)
    data = sequence.data
    B = int(batch_sizes[0]) if len(batch_sizes) else 0
    if int(batch_sizes.sum()) != data.shape[0]:
        raise ValueError(f"{op}: batch_sizes {batch_sizes.tolist()} add up to "
                         f"{int(batch_sizes.sum())} rows but data has {data.shape[0]}")
    t, b = _packed_index(sequence)
    shape = (B, max_len) if batch_first else (max_len, B)
    padded = _Scatter.apply(data, (b, t) if batch_first else (t, b), shape + tuple(data.shape[1:]),
                            padding_value)
    sorted_lengths = np.count_nonzero(batch_sizes[None, :] > np.arange(B)[:, None], axis=1)
    lengths = sorted_lengths if sequence.unsorted_indices is None else \
        sorted_lengths[sequence.unsorted_indices.array]
    return padded, Tensor._wrap(lengths.astype(np.int64))


def pad_sequence(sequences: Union[Tensor, Iterable[Tensor]], batch_first: bool = False,
                 padding_value: float = 0.0, padding_side: str = "right") -> Tensor:
    """Stack sequences x_b of shapes (L_b, *) into one (T, B, *) Tensor, T = max L_b, with
    padded[t, b] = x_b[t] for t < L_b and ``padding_value`` elsewhere; differentiable.

    Args:
        sequences: a list of Tensors with equal trailing dimensions (a Tensor: its rows).
        batch_first: return (B, T, *).
        padding_value: the fill (cast to the result's dtype, the first sequence's).
        padding_side: 'right' (default) pads after each sequence, 'left' before it.
    """
    op = "pad_sequence"
    if padding_side not in ("left", "right"):
        raise ValueError(f"{op}: Expected padding_side to be one of left or right, but got "
                         f"{padding_side!r}.")
    if isinstance(sequences, Tensor):
        sequences = [sequences[i] for i in range(sequences.shape[0])]
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError(f"{op}: received an empty list of sequences")
    for i, seq in enumerate(sequences):
        _check_tensor(seq, f"sequences[{i}]", op)
        if seq.ndim == 0:
            raise ValueError(f"{op}: sequences[{i}] is 0-d; every sequence needs a time "
                             "dimension (L, *)")
    trailing = tuple(sequences[0].shape[1:])
    for i, seq in enumerate(sequences):
        if tuple(seq.shape[1:]) != trailing:
            raise RuntimeError(f"{op}: every sequence must have trailing shape {trailing} (that "
                               f"of sequences[0]), but sequences[{i}] has shape "
                               f"{tuple(seq.shape)}")
    lengths = np.array([seq.shape[0] for seq in sequences], dtype=np.int64)
    B, T = len(sequences), int(lengths.max())
    b = np.repeat(np.arange(B), lengths)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    t = np.arange(int(lengths.sum())) - np.repeat(starts, lengths)
    if padding_side == "left":
        t = t + np.repeat(T - lengths, lengths)
    shape = ((B, T) if batch_first else (T, B)) + trailing
    return _PadSequences.apply(*sequences, index=(b, t) if batch_first else (t, b), shape=shape,
                               padding_value=padding_value, dtype=sequences[0].array.dtype)


def unpad_sequence(padded_sequences: Tensor, lengths: _Lengths, batch_first: bool = False
                   ) -> list[Tensor]:
    """The list of sequences padded[:lengths[b], b] (views): the inverse of ``pad_sequence``."""
    op = "unpad_sequence"
    _check_tensor(padded_sequences, "padded_sequences", op)
    lengths = _as_lengths(lengths, op)
    if padded_sequences.ndim < 2:
        raise IndexError(f"{op}: padded_sequences must have at least 2 dimensions, got shape "
                         f"{tuple(padded_sequences.shape)}")
    B = padded_sequences.shape[0 if batch_first else 1]
    if len(lengths) != B:
        raise ValueError(f"{op}: {len(lengths)} lengths for a batch of {B} sequences")
    if batch_first:
        return [padded_sequences[i, :int(n)] for i, n in enumerate(lengths)]
    return [padded_sequences[:int(n), i] for i, n in enumerate(lengths)]


def pack_sequence(sequences: Iterable[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of sequences (L_b, *): ``pack_padded_sequence(pad_sequence(sequences),
    lengths, enforce_sorted=enforce_sorted)``."""
    sequences = list(sequences)
    lengths = [seq.shape[0] if isinstance(seq, Tensor) else 0 for seq in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:

    """The list of sequences packed in a PackedSequence, in the original batch order: the inverse
    of ``pack_sequence``."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)

