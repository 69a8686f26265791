"""default_collate and default_convert: samples -> batches, as PyTorch's (``torch.utils.data``).

default_collate(samples) follows the type of the first sample:

- a Tensor or NumPy array: stacked along a new first dimension (one tensor, the arrays'
  dtype); NumPy scalars (np.float32(1), np.bool_) become a tensor of their dtype;
- Python ints: an int64 tensor (bools a bool tensor; ints mixed with floats follow
  ``gradsheet.tensor``'s inference, as ``torch.tensor``); Python floats: a float64 tensor;
- strings and bytes: left as they are (the list, or the tuple a field of a tuple sample
  makes);
- a Mapping: the same kind of mapping, each key collated over the samples;
- a namedtuple: the same namedtuple, field by field; any other tuple or a list: a list of
  the collated fields (so a batch of ``(x, y)`` samples is ``[X, Y]``); other sequences keep
  their type when it can be rebuilt from a list.

default_convert(sample) turns NumPy arrays and scalars inside a sample into tensors and
leaves everything else as is (the DataLoader's collate_fn when ``batch_size=None``).
"""
from __future__ import annotations

import collections.abc
import copy
import numbers
import re
from collections.abc import Callable, Sequence
from typing import Any, Optional, cast

import numpy as np

from ..autograd.tensor import Tensor, as_tensor

__all__ = ["default_collate", "default_convert"]

_STRING_OR_OBJECT = re.compile(r"[SaUO]")


def _error_message(found: Any) -> str:
    return (f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts or "
            f"lists; found {found}")


def _stack(arrays: Sequence[Any]) -> Tensor:
    """One tensor from equally shaped arrays, stacked along a new first dimension."""
    try:
        return Tensor._wrap(np.stack(arrays))
    except ValueError:
        shapes = []
        for a in arrays:
            if np.shape(a) not in shapes:
                shapes.append(np.shape(a))
        raise RuntimeError(f"default_collate: stack expects each tensor to be equal size, but "
                           f"got shapes {shapes}; pass a collate_fn that pads or keeps them "
                           f"apart") from None


def _unlike(batch: Sequence[Any], alike: Callable[[Any], bool], kind: str) -> Optional[TypeError]:
    """The TypeError for the first sample of ``batch`` that is not ``alike`` sample 0 (the
    batch's kind, e.g. "a Tensor"), naming its position and what it is; None when all are."""
    for i, sample in enumerate(batch):
        if not alike(sample):
            return TypeError(f"default_collate: sample {i} of the batch is "
                             f"{type(sample).__name__} {sample!r}"[:160]
                             + f", not {kind} like sample 0")
    return None


def _numbers(batch: Sequence[Any], convert: Callable[[Sequence[Any]], Tensor]) -> Tensor:
    """``convert(batch)`` for a batch of numbers; when it fails, a TypeError naming the first
    sample that is not a number (or, all being numbers, convert's error named)."""
    try:
        return convert(batch)
    except (TypeError, ValueError) as error:
        odd = _unlike(batch, lambda x: isinstance(x, (numbers.Number, np.bool_, np.number)),
                      "a number")
        raise odd or type(error)(f"default_collate: {error}") from None


def _python_numbers(batch: Sequence[Any], dtype: Optional[type]) -> Tensor:
    """A batch of Python numbers: float64 when sample 0 is a float (as torch), int64 for ints
    (bools a bool tensor, mixed ones ``gradsheet.tensor``'s inference). A batch of one type
    goes to NumPy directly; any other goes through ``tensor``, which refuses None and strings
    (NumPy would make None a NaN)."""
    kind = float if dtype is not None else int
    if all(type(x) is kind for x in batch):
        try:
            return Tensor._wrap(np.array(batch, dtype=dtype or np.int64))
        except OverflowError:
            pass
    from ..factories import tensor
    return _numbers(batch, lambda b: tensor(list(b), dtype=dtype))


def _collate_tensors(batch: Sequence[Any]) -> Tensor:
    odd = _unlike(batch, lambda x: isinstance(x, Tensor), "a Tensor")
    if odd is not None:
        raise odd
    if any(sample.requires_grad for sample in batch):
        from ..ops.shape import stack
        return stack(list(batch), 0)  # differentiable, as torch.stack in PyTorch's collate
    return _stack([sample.array for sample in batch])


def _rebuild(elem: Any, values: Any) -> Any:
    """A Mapping or MutableSequence like ``elem`` holding ``values`` (a dict or a list)."""
    clone = copy.copy(elem)
    if isinstance(elem, collections.abc.MutableMapping):
        clone.update(values)
    else:
        for i, value in enumerate(values):
            clone[i] = value
    return clone


def _field(batch: Sequence[Any], key: Any) -> list[Any]:
    """``[sample[key] for sample in batch]``; a sample without the key is a KeyError (as
    torch's) and one that is not a mapping a TypeError, each naming the sample and the key."""
    odd = _unlike(batch, lambda x: isinstance(x, collections.abc.Mapping), "a mapping")
    if odd is not None:
        raise odd
    for i, sample in enumerate(batch):
        if key not in sample:
            raise KeyError(f"default_collate: sample {i} of the batch lacks the key {key!r} "
                           f"that sample 0 has (its keys: {list(sample)[:10]})")
    return [sample[key] for sample in batch]


def default_collate(batch: Sequence[Any]) -> Any:
    """Collate a list of samples into a batch (the rules are in the module docstring):
    ``[(x_1, y_1), ..., (x_B, y_B)] -> [stack(x_i), stack(y_i)]``."""
    if len(batch) == 0:
        raise IndexError("default_collate: the batch is empty: there is no sample to collate")
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _collate_tensors(batch)
    if isinstance(elem, np.ndarray):
        if _STRING_OR_OBJECT.search(elem.dtype.str) is not None:
            raise TypeError(_error_message(elem.dtype))
        return _stack(batch)
    if isinstance(elem, (np.bool_, np.number, np.object_)):
        return as_tensor(np.array(batch))
    if isinstance(elem, (float, int)):
        return _python_numbers(batch, np.float64 if isinstance(elem, float) else None)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        values = {key: default_collate(_field(batch, key)) for key in elem}
        try:
            if isinstance(elem, collections.abc.MutableMapping):
                return _rebuild(elem, values)
            return cast(Any, type(elem))(values)
        except TypeError:
            return values
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return type(elem)(*(default_collate(field) for field in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(sample) != size for sample in batch):
            sizes = sorted({len(sample) for sample in batch})
            raise RuntimeError(f"default_collate: each element in list of batch should be of "
                               f"equal size, got lengths {sizes}")
        fields = [default_collate(field) for field in zip(*batch)]
        if isinstance(elem, tuple):
            return fields
        try:
            if isinstance(elem, collections.abc.MutableSequence):
                return _rebuild(elem, fields)
            return cast(Any, type(elem))(fields)
        except TypeError:
            return fields
    raise TypeError(_error_message(type(elem)))


def default_convert(data: Any) -> Any:
    """Turn the NumPy arrays and scalars inside ``data`` into tensors (x -> as_tensor(x)),
    recursing into mappings, namedtuples, tuples (which become lists) and sequences; any
    other object (a Tensor, a number, a string, an array of strings) is returned as is."""
    elem_type = type(data)
    if isinstance(data, Tensor):
        return data
    if elem_type.__module__ == "numpy" and elem_type.__name__ not in ("str_", "bytes_"):
        if isinstance(data, np.ndarray) and _STRING_OR_OBJECT.search(data.dtype.str):
            return data
        return as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        values = {key: default_convert(data[key]) for key in data}
        try:
            if isinstance(data, collections.abc.MutableMapping):
                return _rebuild(data, values)
            return elem_type(values)
        except TypeError:
            return values
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return elem_type(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        items = [default_convert(d) for d in data]
        try:
            if isinstance(data, collections.abc.MutableSequence):
                return _rebuild(data, items)
            return elem_type(items)
        except TypeError:
            return items
    return data
