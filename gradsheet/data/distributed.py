"""DistributedSampler: each rank of a data-parallel job visits its own share of a dataset
(``torch.utils.data.distributed.DistributedSampler``)."""
from __future__ import annotations

import math
import numbers
from collections.abc import Iterator, Sized
from typing import Any, Optional

import numpy as np

from .sampler import Sampler

__all__ = ["DistributedSampler"]


def _int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"DistributedSampler: {name} must be an integer, got {value!r}")
    return int(value)


class DistributedSampler(Sampler[int]):
    """Rank r's share of the indices: ``order[r::num_replicas]`` of one order of the dataset,
    the same on every rank, so the ranks' shares are disjoint and together cover it.

    The order is ``range(len(dataset))``, or with ``shuffle`` a permutation drawn from
    ``numpy.random.default_rng(seed + epoch)`` (``set_epoch`` before each epoch gives a new
    one; the same seed on every rank gives every rank the same). Without ``drop_last`` the
    order is padded by repeating its first indices until its length is a multiple of
    num_replicas (each rank then yields ceil(n / num_replicas) indices); with it the tail is
    dropped (floor(n / num_replicas) each). Unlike PyTorch's (drawn with torch.Generator) the
    permutation itself is NumPy's; the padding, split and lengths are PyTorch's.

    Args:
        dataset: the dataset (anything with ``len``).
        num_replicas: the number of ranks; default ``gradsheet.distributed.get_world_size()``.
        rank: this process's rank; default ``gradsheet.distributed.get_rank()``.
        shuffle: draw a permutation (default True).
        seed: the permutation's seed, the same on every rank.
        drop_last: drop the tail instead of padding.
    """

    def __init__(self, dataset: Sized, num_replicas: Optional[int] = None,
                 rank: Optional[int] = None, shuffle: bool = True, seed: int = 0,
                 drop_last: bool = False) -> None:
        if num_replicas is None or rank is None:
            from .. import distributed
            if num_replicas is None:
                num_replicas = distributed.get_world_size()
            if rank is None:
                rank = distributed.get_rank()
        num_replicas, rank = _int("num_replicas", num_replicas), _int("rank", rank)
        if num_replicas <= 0:
            raise ValueError(f"DistributedSampler: num_replicas should be a positive integer, got "
                             f"{num_replicas}")
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"DistributedSampler: Invalid rank {rank}, rank should be in the "
                             f"interval [0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        n = len(dataset)
        if drop_last and n % num_replicas:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def _order(self) -> np.ndarray:
        """This rank's indices for the current epoch, as an int64 array."""
        n = len(self.dataset)
        if self.shuffle:
            order = np.random.default_rng(self.seed + self.epoch).permutation(n).astype(np.int64)
        else:
            order = np.arange(n, dtype=np.int64)
        if self.drop_last:
            order = order[:self.total_size]
        elif self.total_size > n:
            order = np.resize(order, self.total_size)  # repeats the order from its start
        return order[self.rank:self.total_size:self.num_replicas]

    def __iter__(self) -> Iterator[int]:
        return iter(self._order().tolist())

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Use epoch's order from now on: the permutation is drawn from seed + epoch (call it
        before each epoch's DataLoader iterator, on every rank, with the same epoch)."""
        self.epoch = epoch
