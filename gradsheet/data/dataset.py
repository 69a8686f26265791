"""Datasets: anything with ``dataset[i]`` and ``len(dataset)``, and ways to cut one up.

Dataset is the abstract base of map-style datasets (PyTorch's ``torch.utils.data.Dataset``),
IterableDataset that of streams (``for sample in dataset``); TensorDataset pairs tensors
along their first dimension; StackDataset zips datasets; ConcatDataset and ChainDataset put
datasets end to end (``a + b``); Subset views a dataset through a list of indices;
random_split partitions a dataset into non-overlapping random Subsets.

Two ways to fetch a whole batch at once:

- ``__getitems__(indices) -> list of samples`` (PyTorch's protocol): DataLoader calls it
  instead of one ``__getitem__`` per sample, then collates the list (Subset and
  StackDataset forward it);
- ``get_batch(indices) -> batch`` (gradsheet's): the whole *collated* batch for the indices;
  DataLoader uses it when no ``collate_fn`` is given. TensorDataset, Subset of one and
  CharDataset have it, so training on arrays never loops in Python over samples.
"""
from __future__ import annotations

import bisect
import itertools
import math
import warnings
from collections.abc import Iterable, Iterator, Sequence, Sized
from typing import TYPE_CHECKING, Any, Generic, Optional, TypeVar, Union, cast

import numpy as np

from .. import backend
from ..autograd.tensor import Tensor, as_tensor

if TYPE_CHECKING:
    from .._typing import TensorLike

__all__ = ["ChainDataset", "ConcatDataset", "Dataset", "IterableDataset", "StackDataset",
           "Subset", "TensorDataset", "random_split"]

T_co = TypeVar("T_co", covariant=True)
T = TypeVar("T")


class Dataset(Generic[T_co]):
    """A map from an index in ``range(len(self))`` to one sample. Subclasses define both
    (and may define ``__getitems__(indices)``, a list of samples, to fetch a batch at once).
    ``a + b`` is ``ConcatDataset([a, b])``."""

    def __getitem__(self, index: int) -> T_co:
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__")

    def __add__(self, other: Dataset[T_co]) -> Dataset[T_co]:
        return ConcatDataset([self, other])


class IterableDataset(Dataset[T_co]):
    """A stream of samples: subclasses define ``__iter__`` (and may define ``__len__``).

    With ``DataLoader(num_workers=k)`` each worker process iterates its own copy, so a
    dataset that should yield each sample once splits the work using
    ``get_worker_info()`` (None in the main process; ``.id`` and ``.num_workers`` in a worker),
    e.g. ``iter(range(start + info.id, end, info.num_workers))``. ``a + b`` is
    ``ChainDataset([a, b])``.
    """

    def __iter__(self) -> Iterator[T_co]:
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")

    def __len__(self) -> int:
        # a stream need not have a length: TypeError, as len() of an object without one
        # (so list(loader) and length hints still work)
        raise TypeError(f"object of type {type(self).__name__!r} has no len()")

    def __add__(self, other: Dataset[T_co]) -> Dataset[T_co]:
        return ChainDataset([self, other])


def _tensor_arg(i: int, value: Any) -> Tensor:
    """Tensor ``i`` of a TensorDataset: a Tensor as is, an array or nested list of numbers
    converted; anything else (None, a string, an object) a TypeError naming the position."""
    if isinstance(value, Tensor):
        return value
    try:
        return as_tensor(value)
    except (TypeError, ValueError) as error:
        raise TypeError(f"TensorDataset: tensor {i} must be a Tensor (or an array of numbers), "
                        f"got {type(value).__name__} {value!r}"[:200] + f": {error}") from None


class TensorDataset(Dataset[tuple[Tensor, ...]]):
    """Sample i is ``tuple(t[i] for t in tensors)``: inputs and targets side by side.

    Args:
        *tensors: Tensors (or arrays) that all have the same size in dimension 0.

    Example: ``TensorDataset(X, y)[0] == (X[0], y[0])``.
    """

    def __init__(self, *tensors: TensorLike) -> None:
        if not tensors:
            raise ValueError("TensorDataset: needs at least one tensor")
        converted = tuple(_tensor_arg(i, t) for i, t in enumerate(tensors))
        sizes = [t.shape[0] if t.ndim else None for t in converted]
        if None in sizes or len(set(sizes)) != 1:
            raise ValueError(f"TensorDataset: size mismatch between tensors: every tensor needs "
                             f"the same first dimension, got shapes {[t.shape for t in converted]}")
        self.tensors = converted

    def __getitem__(self, index: Any) -> tuple[Tensor, ...]:
        # a[i, ...] is an ndarray (a 0-d one for a vector), so the dtype survives
        try:
            return tuple(as_tensor(t.array[index, ...]) for t in self.tensors)
        except IndexError as error:
            raise self._index_error(index, error) from None

    def __len__(self) -> int:
        return self.tensors[0].shape[0]

    def get_batch(self, indices: Any) -> list[Tensor]:
        """The collated batch for an integer array of indices: one fancy-index per tensor."""
        try:
            array = np.asarray(indices)  # once, not once per tensor
            if array.size and array.dtype.kind not in "iu":  # (NumPy would truncate 2.5 to 2)
                raise IndexError(f"indices must be integers, got dtype {array.dtype}")
            array = array.astype(np.intp, copy=False)
            return [Tensor._wrap(t.array[array]) for t in self.tensors]
        except (IndexError, TypeError, ValueError, OverflowError) as error:
            raise self._index_error(indices, error) from None

    def _index_error(self, index: Any, error: Exception) -> IndexError:
        """IndexError (torch's type) naming TensorDataset, the index and the sample count."""
        return IndexError(f"TensorDataset: index {index!r}"[:120] + f" does not select samples "
                          f"of the {len(self)} (integers in [-{len(self)}, {len(self)}), slices "
                          f"or integer arrays): {error}")


class StackDataset(Dataset[Union[tuple[Any, ...], dict[str, Any]]]):
    """Sample i is ``tuple(d[i] for d in datasets)`` (positional) or ``{k: d[i]}`` (keywords).

    Example: ``StackDataset(images, labels)[0] == (images[0], labels[0])``;
    ``StackDataset(x=images, y=labels)[0] == {"x": images[0], "y": labels[0]}``.
    """

    def __init__(self, *args: Dataset[Any], **kwargs: Dataset[Any]) -> None:
        if args and kwargs:
            raise ValueError("StackDataset: supported either ``tuple``- (via ``args``) or "
                             "``dict``- (via ``kwargs``) like input/output, but both types "
                             "are given")
        if not args and not kwargs:
            raise ValueError("StackDataset: at least one dataset should be passed")
        parts = list(args) if args else list(kwargs.values())
        lengths = [len(d) for d in parts]
        if len(set(lengths)) != 1:
            raise ValueError(f"StackDataset: size mismatch between datasets, lengths {lengths}")
        self._length = lengths[0]
        self.datasets: Union[tuple[Dataset[Any], ...], dict[str, Dataset[Any]]] = \
            args if args else kwargs

    def __getitem__(self, index: Any) -> Union[tuple[Any, ...], dict[str, Any]]:
        if isinstance(self.datasets, dict):
            return {k: d[index] for k, d in self.datasets.items()}
        return tuple(d[index] for d in self.datasets)

    def __getitems__(self, indices: list[int]) -> list[Union[tuple[Any, ...], dict[str, Any]]]:
        """The samples at ``indices``, each dataset fetched with its own ``__getitems__``
        where it has one."""
        named = isinstance(self.datasets, dict)
        items: Iterable[tuple[Any, Dataset[Any]]] = \
            self.datasets.items() if isinstance(self.datasets, dict) else enumerate(self.datasets)
        columns: dict[Any, list[Any]] = {}  # by name (str) or by position (int)
        for key, d in items:
            getitems = getattr(d, "__getitems__", None)
            if callable(getitems):
                column = getitems(indices)
                if len(column) != len(indices):
                    raise ValueError(f"StackDataset: nested dataset's output size mismatch. "
                                     f"Expected {len(indices)}, got {len(column)}")
            else:
                column = [d[i] for i in indices]
            columns[key] = column
        if named:
            return [{k: columns[k][j] for k in columns} for j in range(len(indices))]
        return [tuple(column[j] for column in columns.values()) for j in range(len(indices))]

    def __len__(self) -> int:
        return self._length


class ConcatDataset(Dataset[T_co]):
    """The datasets end to end: index i falls in the dataset whose cumulative length first
    exceeds it (``cumulative_sizes``); negative indices count from the end.

    Example: ``len(ConcatDataset([a, b])) == len(a) + len(b)``, ``(a + b)[len(a)] == b[0]``.
    """

    @staticmethod
    def cumsum(sequence: Iterable[Sized]) -> list[int]:
        """Running totals of the lengths of ``sequence``'s datasets."""
        return list(itertools.accumulate(len(d) for d in sequence))

    def __init__(self, datasets: Iterable[Dataset[T_co]]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise TypeError("ConcatDataset does not support IterableDataset (use "
                                "ChainDataset)")
        self.cumulative_sizes = self.cumsum(self.datasets)

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx: int) -> T_co:
        if idx < 0:
            if -idx > len(self):
                raise ValueError(f"ConcatDataset: absolute value of index should not exceed "
                                 f"dataset length, got index {idx} for length {len(self)}")
            idx = len(self) + idx
        which = bisect.bisect_right(self.cumulative_sizes, idx)
        start = self.cumulative_sizes[which - 1] if which else 0
        if which == len(self.datasets):
            raise IndexError(f"ConcatDataset: index {idx} is out of range for length {len(self)}")
        return self.datasets[which][idx - start]


class ChainDataset(IterableDataset[Any]):
    """IterableDatasets one after the other (chained lazily, as ``itertools.chain``)."""

    def __init__(self, datasets: Iterable[Dataset[Any]]) -> None:
        self.datasets = datasets

    def __iter__(self) -> Iterator[Any]:
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise TypeError(f"ChainDataset only supports IterableDataset, got "
                                f"{type(d).__name__}")
            yield from d

    def __len__(self) -> int:
        total = 0
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise TypeError(f"ChainDataset only supports IterableDataset, got "
                                f"{type(d).__name__}")
            total += len(d)
        return total


class Subset(Dataset[T_co]):
    """The samples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset: Dataset[T_co], indices: Union[Sequence[int], np.ndarray]) -> None:
        self.dataset = dataset
        self.indices = indices
        self._index_array = np.asarray(indices, dtype=np.int64)
        cls = type(self)
        if cls.__getitem__ is not Subset.__getitem__ and cls.__getitems__ is Subset.__getitems__:
            raise NotImplementedError(
                f"{cls.__name__} overrides __getitem__ but not __getitems__: DataLoader fetches "
                f"a Subset's batches with __getitems__, so define it too, e.g. "
                f"def __getitems__(self, indices): return [self[i] for i in indices]")

    def __getitem__(self, index: Any) -> T_co:
        if isinstance(index, list):
            # a list of indices goes to the dataset as one index (as torch's Subset)
            return cast(Any, self.dataset)[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __getitems__(self, indices: list[int]) -> list[T_co]:
        """The samples at ``indices`` (the wrapped dataset's ``__getitems__`` where it has one)."""
        getitems = getattr(self.dataset, "__getitems__", None)
        if callable(getitems):
            return getitems([self.indices[i] for i in indices])
        return [self.dataset[self.indices[i]] for i in indices]

    def __len__(self) -> int:
        return len(self.indices)

    def __getattr__(self, name: str) -> Any:
        # expose get_batch exactly when the wrapped dataset has one (and a subclass does not
        # change what a sample is)
        if name == "get_batch" and type(self).__getitems__ is Subset.__getitems__ \
                and hasattr(self.dataset, "get_batch"):
            return lambda indices: self.dataset.get_batch(self._index_array[indices])
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")


def _split_lengths(n: int, lengths: Iterable[float]) -> list[int]:
    """Integer lengths from ``lengths``; fractions summing to 1 follow PyTorch's rounding:
    floor(n * f) each, then the remaining samples go one by one to the splits in order."""
    lengths = list(lengths)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        for i, frac in enumerate(lengths):
            if not 0 <= frac <= 1:
                raise ValueError(f"random_split: fraction at index {i} is {frac}, "
                                 f"not between 0 and 1")
        sizes = [math.floor(n * frac) for frac in lengths]
        for i in range(n - sum(sizes)):
            sizes[i % len(sizes)] += 1
        for i, size in enumerate(sizes):
            if size == 0:
                warnings.warn(f"Length of split at index {i} is 0. This might result in an "
                              f"empty dataset.", stacklevel=3)
        return sizes
    if any(int(x) != x or x < 0 for x in lengths):
        raise ValueError(f"random_split: lengths must be non-negative integers or fractions "
                         f"summing to 1, got {lengths}")
    sizes = [int(x) for x in lengths]
    if sum(sizes) != n:
        raise ValueError(f"random_split: the lengths {sizes} sum to {sum(sizes)}, "
                         f"not to the dataset's length {n}")
    return sizes


def random_split(dataset: Dataset[T], lengths: Sequence[Union[int, float]],
                 generator: Optional[np.random.Generator] = None) -> list[Subset[T]]:
    """Split ``dataset`` into non-overlapping random Subsets of the given lengths.

    Args:
        dataset: the Dataset to split.
        lengths: integer lengths summing to ``len(dataset)``, or fractions summing to 1
            (``[0.8, 0.2]``): each split gets floor(n * fraction) samples, and the
            remainder is dealt one sample at a time to the splits in order (as PyTorch).
        generator: a ``numpy.random.Generator``; default the one ``gradsheet.manual_seed`` seeds.

    Example: ``train, val = random_split(data, [0.8, 0.2])``.
    """
    sizes = _split_lengths(len(dataset), lengths)
    rng = generator if generator is not None else backend.default_generator()
    order = rng.permutation(len(dataset))
    bounds = np.cumsum([0] + sizes)
    return [Subset(dataset, order[start:stop].tolist())
            for start, stop in itertools.pairwise(bounds)]
