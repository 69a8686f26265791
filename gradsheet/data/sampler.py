"""Samplers: the order in which a DataLoader visits a dataset, as ``torch.utils.data.sampler``.

A sampler is an iterable of dataset indices (``SequentialSampler``, ``RandomSampler``,
``SubsetRandomSampler``, ``WeightedRandomSampler``), or of lists of indices
(``BatchSampler``, one list per batch). Random samplers draw from a
``numpy.random.Generator`` (``generator=``) or, when none is given, from the one
``gradsheet.manual_seed`` seeds, so a seeded run repeats its orders; they draw lazily,
when iteration starts, and each pass draws a fresh order.
"""
from __future__ import annotations

import itertools
import numbers
from collections.abc import Iterable, Iterator, Sequence, Sized
from typing import TYPE_CHECKING, Any, Generic, Optional, TypeVar, Union, cast

import numpy as np

from .. import backend

if TYPE_CHECKING:
    from ..autograd.tensor import Tensor

__all__ = ["BatchSampler", "RandomSampler", "Sampler", "SequentialSampler",
           "SubsetRandomSampler", "WeightedRandomSampler"]

T_co = TypeVar("T_co", covariant=True)


def _positive_int(owner: str, name: str, value: Any) -> int:
    """``value`` as an int when it is a positive integer (not a bool), ValueError naming it
    otherwise (the messages are PyTorch's)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"{owner}: {name} should be a positive integer value, but got "
                         f"{name}={value!r}")
    return int(value)


def _seed_from(generator: Optional[np.random.Generator]) -> int:
    """A 63-bit seed drawn from ``generator`` (default: gradsheet's seeded generator), as
    ``torch.empty((), dtype=torch.int64).random_(generator=generator)``."""
    rng = backend.default_generator() if generator is None else generator
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"generator must be a numpy.random.Generator (as gs.manual_seed returns), "
                        f"got {type(rng).__name__}")
    return int(rng.integers(0, 2 ** 63, dtype=np.int64))


class Sampler(Generic[T_co]):
    """Base class of samplers: an iterable of indices (or of lists of indices) into a dataset.

    Subclasses define ``__iter__`` and usually ``__len__`` (the number of items a pass
    yields, which ``len(DataLoader)`` reads). Any iterable with ``__len__`` serves as a
    DataLoader's ``sampler=`` as well.
    """

    def __iter__(self) -> Iterator[T_co]:
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")


class SequentialSampler(Sampler[int]):
    """Indices 0, 1, ..., len(data_source) - 1, in that order, every pass."""

    def __init__(self, data_source: Sized) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def _order(self) -> np.ndarray:
        return np.arange(len(self.data_source), dtype=np.int64)

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler[int]):
    """A random order of the indices: a permutation each pass, or draws with replacement.

    Without ``replacement`` a pass yields ``num_samples`` indices from back-to-back random
    permutations of range(n) (one permutation when num_samples = n, the default); with it,
    ``num_samples`` independent uniform draws from range(n).

    Args:
        data_source: the dataset (anything with ``len``).
        replacement: draw with replacement (an index may repeat).
        num_samples: indices per pass; default ``len(data_source)``.
        generator: a ``numpy.random.Generator``; default the one ``gradsheet.manual_seed``
            seeds, read when each pass starts.

    Example: ``DataLoader(data, sampler=RandomSampler(data, replacement=True, num_samples=100))``.
    """

    def __init__(self, data_source: Sized, replacement: bool = False,
                 num_samples: Optional[int] = None,
                 generator: Optional[np.random.Generator] = None) -> None:
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(replacement, bool):
            raise TypeError(f"RandomSampler: replacement should be a boolean value, but got "
                            f"replacement={replacement!r}")
        n = self.num_samples
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n <= 0:
            raise ValueError(f"RandomSampler: num_samples should be a positive integer value, "
                             f"but got num_samples={n!r}")

    @property
    def num_samples(self) -> int:
        """Indices per pass: ``num_samples`` if given, else the data source's current length."""
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        yield from self._order().tolist()

    def _order(self) -> np.ndarray:
        """The whole pass's indices, an int64 array (drawn now)."""
        n = len(self.data_source)
        rng = backend.default_generator() if self.generator is None else self.generator
        count = int(self.num_samples)
        if self.replacement:
            return rng.integers(0, n, size=count, dtype=np.int64)
        blocks = [rng.permutation(n) for _ in range(count // n)]
        if count % n:
            blocks.append(rng.permutation(n)[:count % n])
        return np.concatenate(blocks) if blocks else np.zeros(0, np.int64)

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler[int]):
    """The given ``indices`` in a random order (a fresh permutation each pass, no repeats).

    Args:
        indices: a sequence of dataset indices.
        generator: a ``numpy.random.Generator``; default gradsheet's seeded one.
    """

    def __init__(self, indices: Sequence[int],
                 generator: Optional[np.random.Generator] = None) -> None:
        self.indices = indices
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        rng = backend.default_generator() if self.generator is None else self.generator
        for i in rng.permutation(len(self.indices)).tolist():
            yield self.indices[i]

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler[int]):
    """``num_samples`` indices i in range(len(weights)) drawn with P(i) = w_i / sum(w).

    Without ``replacement`` an index is drawn at most once per pass (each draw
    renormalises over those left), so num_samples may not exceed the number of positive
    weights. Draws follow ``gradsheet.multinomial`` (and raise its RuntimeErrors for
    negative, non-finite or all-zero weights when a pass starts, as PyTorch).

    Args:
        weights: a 1-D sequence of non-negative weights (need not sum to 1).
        num_samples: indices per pass.
        replacement: draw with replacement (default True).
        generator: a ``numpy.random.Generator``; default gradsheet's seeded one.

    Example: ``WeightedRandomSampler([0.1, 0.9], num_samples=10)`` yields mostly 1s.
    """

    def __init__(self, weights: Union[Sequence[float], Tensor, np.ndarray], num_samples: int,
                 replacement: bool = True,
                 generator: Optional[np.random.Generator] = None) -> None:
        self.num_samples = _positive_int("WeightedRandomSampler", "num_samples", num_samples)
        if not isinstance(replacement, bool):
            raise ValueError(f"WeightedRandomSampler: replacement should be a boolean value, "
                             f"but got replacement={replacement!r}")
        from ..autograd.tensor import Tensor, as_tensor
        array = weights.array if isinstance(weights, Tensor) else np.asarray(weights)
        array = np.asarray(array, dtype=np.float64)
        if array.ndim != 1:
            raise ValueError(f"WeightedRandomSampler: weights should be a 1d sequence but given "
                             f"weights have shape {tuple(array.shape)}")
        self.weights = as_tensor(array)
        self.replacement = replacement
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        from ..ops.random import multinomial
        draws = multinomial(self.weights, self.num_samples, self.replacement,
                            generator=self.generator)
        yield from draws.array.tolist()

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler[list[int]]):
    """Group the indices of ``sampler`` into lists of ``batch_size`` (the last one shorter,
    or dropped with ``drop_last``): len = ceil(len(sampler) / batch_size), or floor with
    drop_last.

    Example: ``list(BatchSampler(SequentialSampler(range(5)), 2, False)) == [[0, 1], [2, 3], [4]]``.
    """

    def __init__(self, sampler: Union[Sampler[Any], Iterable[Any]], batch_size: int,
                 drop_last: bool) -> None:
        self.batch_size = _positive_int("BatchSampler", "batch_size", batch_size)
        if not isinstance(drop_last, bool):
            raise ValueError(f"BatchSampler: drop_last should be a boolean value, but got "
                             f"drop_last={drop_last!r}")
        self.sampler = sampler
        self.drop_last = drop_last

    def _whole_order(self) -> bool:
        """True when the sampler is a SequentialSampler or RandomSampler (not one whose
        __iter__ was redefined): its pass can be drawn at once."""
        return type(self.sampler).__iter__ in (SequentialSampler.__iter__, RandomSampler.__iter__)

    def _index_arrays(self) -> Iterator[np.ndarray]:
        """The batches as int64 arrays (slices of the whole order); only when _whole_order().
        The DataLoader hands these to a dataset's get_batch: no Python step per index."""
        order = cast(Union[SequentialSampler, RandomSampler], self.sampler)._order()
        size = self.batch_size
        stop = len(order) - len(order) % size if self.drop_last else len(order)
        for start in range(0, stop, size):
            yield order[start:start + size]

    def __iter__(self) -> Iterator[list[int]]:
        if self._whole_order():
            for array in self._index_arrays():
                yield array.tolist()
            return
        size = self.batch_size
        indices = iter(self.sampler)
        if self.drop_last:
            for full in zip(*([indices] * size)):
                yield list(full)
            return
        batch = list(itertools.islice(indices, size))
        while batch:
            yield batch
            batch = list(itertools.islice(indices, size))

    def __len__(self) -> int:
        # a sampler without __len__ fails here (TypeError), as len() of the loader then does
        sampler = cast(Sized, self.sampler)
        if self.drop_last:
            return len(sampler) // self.batch_size
        return (len(sampler) + self.batch_size - 1) // self.batch_size


class _InfiniteConstantSampler(Sampler[None]):
    """None forever: the placeholder index stream of an IterableDataset (which ignores it)."""

    def __iter__(self) -> Iterator[None]:
        while True:
            yield None
