"""Datasets: anything with ``dataset[i]`` and ``len(dataset)``, and ways to cut one up.

Dataset is the abstract base (PyTorch's ``torch.utils.data.Dataset``);
TensorDataset pairs tensors along their first dimension; Subset views a
dataset through a list of indices; random_split partitions a dataset into
non-overlapping random Subsets.

A dataset may also define ``get_batch(indices) -> batch``, returning the whole
collated batch for an integer array of indices at once; DataLoader then fetches
each batch with that one call instead of one ``__getitem__`` per sample.
TensorDataset and Subset do, so training on arrays never loops in Python over
samples.
"""
import itertools
import math

import numpy as np

from .. import backend
from ..autograd.tensor import Tensor, as_tensor


class Dataset:
    """A map from an index in ``range(len(self))`` to one sample. Subclasses define both."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __len__")


class TensorDataset(Dataset):
    """Sample i is ``tuple(t[i] for t in tensors)``: inputs and targets side by side.

    Args:
        *tensors: Tensors (or arrays) that all have the same size in dimension 0.

    Example: ``TensorDataset(X, y)[0] == (X[0], y[0])``.
    """

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset: needs at least one tensor")
        tensors = tuple(t if isinstance(t, Tensor) else as_tensor(t) for t in tensors)
        sizes = [t.shape[0] if t.ndim else None for t in tensors]
        if None in sizes or len(set(sizes)) != 1:
            raise ValueError(f"TensorDataset: size mismatch between tensors: every tensor needs "
                             f"the same first dimension, got shapes {[t.shape for t in tensors]}")
        self.tensors = tensors

    def __getitem__(self, index):
        # a[i, ...] is an ndarray (a 0-d one for a vector), so the dtype survives
        return tuple(as_tensor(t.array[index, ...]) for t in self.tensors)

    def __len__(self):
        return self.tensors[0].shape[0]

    def get_batch(self, indices):
        """The collated batch for an integer array of indices: one fancy-index per tensor."""
        return [as_tensor(t.array[indices]) for t in self.tensors]


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = indices
        self._index_array = np.asarray(indices, dtype=np.int64)

    def __getitem__(self, index):
        return self.dataset[self.indices[index]]

    def __len__(self):
        return len(self.indices)

    def __getattr__(self, name):
        # expose get_batch exactly when the wrapped dataset has one
        if name == "get_batch" and hasattr(self.dataset, "get_batch"):
            return lambda indices: self.dataset.get_batch(self._index_array[indices])
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")


def _split_lengths(n, lengths):
    """Integer lengths from ``lengths``; fractions summing to 1 follow PyTorch's rounding:
    floor(n * f) each, then the remaining samples go one by one to the splits in order."""
    lengths = list(lengths)
    if math.isclose(sum(lengths), 1) and sum(lengths) != n:
        for i, frac in enumerate(lengths):
            if not 0 <= frac <= 1:
                raise ValueError(f"random_split: fraction at index {i} is {frac}, "
                                 f"not between 0 and 1")
        sizes = [math.floor(n * frac) for frac in lengths]
        for i in range(n - sum(sizes)):
            sizes[i % len(sizes)] += 1
        return sizes
    if any(int(x) != x or x < 0 for x in lengths):
        raise ValueError(f"random_split: lengths must be non-negative integers or fractions "
                         f"summing to 1, got {lengths}")
    sizes = [int(x) for x in lengths]
    if sum(sizes) != n:
        raise ValueError(f"random_split: the lengths {sizes} sum to {sum(sizes)}, "
                         f"not to the dataset's length {n}")
    return sizes


def random_split(dataset, lengths, generator=None):
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
