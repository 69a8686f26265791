"""DataLoader: step 1 of the cheat sheet's weight update, "take a batch of training data".

Each pass (``for batch in loader``) visits every sample once, in order or in a
fresh random order drawn from a seeded ``numpy.random.Generator``, and yields
batches of ``batch_size`` samples; the last, smaller batch is dropped when
``drop_last=True``. So len(loader) = ceil(N / batch_size), or floor(N / batch_size)
with drop_last.
"""
import numpy as np

from .. import backend
from .collate import default_collate


class DataLoader:
    """Iterate over ``dataset`` in batches, as PyTorch's ``torch.utils.data.DataLoader``.

    Args:
        dataset: a Dataset. One with ``get_batch(indices)`` (TensorDataset, Subset of
            one) is fetched with one call per batch when no ``collate_fn`` is given.
        batch_size: samples per batch.
        shuffle: a new random order every pass.
        drop_last: drop the last batch when it is smaller than ``batch_size``.
        collate_fn: turns a list of samples into a batch; default ``default_collate``.
        generator: the ``numpy.random.Generator`` for shuffling; default the one
            ``gradsheet.manual_seed`` seeds (read at the start of each pass).

    Example: ``for x, y in DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True): ...``
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, collate_fn=None,
                 generator=None):
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
                or batch_size <= 0:
            raise ValueError(f"DataLoader: batch_size should be a positive integer, "
                             f"got batch_size={batch_size!r}")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.collate_fn = collate_fn
        self.generator = generator

    def __len__(self):
        n = len(self.dataset)
        if self.drop_last:
            return n // self.batch_size
        return (n + self.batch_size - 1) // self.batch_size

    def __iter__(self):
        n = len(self.dataset)
        if self.shuffle:
            rng = self.generator if self.generator is not None else backend.default_generator()
            order = rng.permutation(n)
        else:
            order = np.arange(n)
        get_batch = getattr(self.dataset, "get_batch", None) if self.collate_fn is None else None
        collate = self.collate_fn or default_collate
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            indices = order[start:start + self.batch_size]
            if get_batch is not None:
                yield get_batch(indices)
            else:
                yield collate([self.dataset[int(i)] for i in indices])

    def __repr__(self):
        return (f"DataLoader({type(self.dataset).__name__} of {len(self.dataset)}, "
                f"batch_size={self.batch_size}, shuffle={self.shuffle}, "
                f"drop_last={self.drop_last})")
