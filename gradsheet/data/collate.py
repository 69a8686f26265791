"""default_collate: a list of samples -> one batch, as PyTorch's ``default_collate``.

Tensors and arrays are stacked along a new first dimension; Python ints become
an int64 tensor, floats a float64 tensor, bools a bool tensor; strings stay a
list; dicts, namedtuples, tuples and lists are collated field by field (tuples
and lists give a list, as in PyTorch), so a batch of ``(x, y)`` samples becomes
``[X, Y]``.
"""
import collections.abc

import numpy as np

from ..autograd.tensor import Tensor, as_tensor


def _stack(arrays):
    try:
        return as_tensor(np.stack(arrays))
    except ValueError:
        shapes = sorted({np.shape(a) for a in arrays})
        raise ValueError(f"default_collate: cannot stack samples of different shapes {shapes}; "
                         f"pass a collate_fn that pads or keeps them apart") from None


def default_collate(batch):
    """Collate a list of samples into a batch (see the module docstring for the rules)."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _stack([sample.array for sample in batch])
    if isinstance(elem, (np.ndarray, np.generic)):
        if elem.dtype.kind in "OSUV":
            raise TypeError(f"default_collate: cannot batch arrays of dtype {elem.dtype}")
        return _stack(batch)
    if isinstance(elem, bool):
        return as_tensor(np.array(batch, dtype=np.bool_))
    if isinstance(elem, int):
        return as_tensor(np.array(batch, dtype=np.int64))
    if isinstance(elem, float):
        return as_tensor(np.array(batch, dtype=np.float64))
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, collections.abc.Mapping):
        return {key: default_collate([sample[key] for sample in batch]) for key in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return type(elem)(*(default_collate(list(field)) for field in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        sizes = {len(sample) for sample in batch}
        if len(sizes) != 1:
            raise ValueError(f"default_collate: every sample in a batch needs the same number "
                             f"of fields, got lengths {sorted(sizes)}")
        return [default_collate(list(field)) for field in zip(*batch)]
    raise TypeError(f"default_collate: a batch must contain tensors, numpy arrays, numbers, "
                    f"strings, dicts or lists; found {type(elem).__name__}")
