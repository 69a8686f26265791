"""x[index] and x[index] = v, with PyTorch's indexing rules and gradients.

PyTorch and NumPy agree on slices, None, Ellipsis, integer arrays and boolean masks, and
differ in one place: an integer is *basic* indexing in PyTorch (it selects, removing the
dimension), while NumPy counts it among the advanced indices when an array index is also
present, so ``x[0, :, idx]`` has shape (len(idx), n) in NumPy and (n, len(idx)) in
PyTorch. An index that mixes the two is therefore applied in two steps here: first the
integers (a view), then the rest.

    y = x[index]         dL/dx = zeros with dL/dy added at index (twice if picked twice)
    x[index] = v         dL/dx_old = dL/dx with zeros at index,  dL/dv = dL/dx[index]
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Optional

import numpy as np

from ..autograd import inplace
from ..autograd.function import Function
from ..autograd.methods import tensor_method
from ..autograd.tensor import Tensor

if TYPE_CHECKING:
    from .._typing import TensorLike


_BASIC = (int, slice, type(None), type(Ellipsis))


def torch_index(index: Any, shape: tuple[int, ...]) -> tuple[Any, ...]:
    """``index`` as a tuple of steps that NumPy applies one after another with PyTorch's
    meaning: ``(index,)`` when NumPy agrees, else ``(integers, rest)``."""
    if type(index) in _BASIC or type(index) is tuple and all(type(p) in _BASIC for p in index):
        return (index,)  # the common case: ints and slices mean the same in both
    parts = index if isinstance(index, tuple) else (index,)
    parts = tuple(_part(p) for p in parts)
    integers = [isinstance(p, int) for p in parts]
    arrays = [isinstance(p, np.ndarray) for p in parts]
    if not (any(integers) and any(arrays)):
        return (parts if isinstance(index, tuple) else parts[0],)
    consumed = [p.ndim if isinstance(p, np.ndarray) and p.dtype == bool else
                0 if p is None or p is Ellipsis else 1 for p in parts]
    at = next((i for i, p in enumerate(parts) if p is Ellipsis), None)  # (by identity: `in`
    if at is not None:                                                  # compares arrays)
        consumed[at] = len(shape) - sum(c for i, c in enumerate(consumed) if i != at)
    first = []
    for p, n, is_int in zip(parts, consumed, integers):
        first.extend([p] if is_int else [slice(None)] * n)
    rest = tuple(p for p, is_int in zip(parts, integers) if not is_int)
    return tuple(first), rest


def _part(p: Any) -> Any:
    """One index entry as NumPy takes it: Tensors and lists become arrays, 0-d integer
    arrays integers (PyTorch selects with them)."""
    if isinstance(p, Tensor):
        p = p.array
    elif isinstance(p, list):
        p = np.asarray(p) if p else np.zeros(0, np.int64)  # ([] indexes nothing, as in torch)
    if isinstance(p, np.ndarray):
        if p.dtype.kind not in "biu":
            raise IndexError(f"getitem: tensors used as indices must be integer or bool tensors, "
                             f"got {p.dtype}")
        if p.ndim == 0 and p.dtype != bool:
            return int(p)
    elif isinstance(p, np.integer):
        return int(p)
    return p


def _select(array: np.ndarray, steps: Iterable[Any]) -> np.ndarray:
    for step in steps:
        array = array[step]
    return array


def _is_basic(step: Any) -> bool:
    """Basic indexing (ints, slices, None, ...) gives a view and never picks an element twice."""
    parts = step if isinstance(step, tuple) else (step,)
    return all(p is None or p is Ellipsis or isinstance(p, (int, slice)) for p in parts)


def _is_view(steps: tuple[Any, ...]) -> bool:
    return all(_is_basic(step) for step in steps)


def _select_or_raise(op: str, array: np.ndarray, steps: tuple[Any, ...]) -> np.ndarray:
    try:
        return _select(array, steps)
    except IndexError as error:
        raise IndexError(f"{op}: {error} (tensor of shape {array.shape})") from None


class GetItem(Function):
    """y = x[index];  dL/dx = zeros with dL/dy added at ``index`` (np.add.at when an element
    can be picked twice)."""

    def forward(self, x: np.ndarray, steps: tuple[Any, ...]) -> np.ndarray:
        self.shape, self.steps = x.shape, steps
        self.view_of_input = _is_view(steps)  # y shares x's memory (autograd.inplace)
        return _select_or_raise("getitem", x, steps)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, None]:
        grad = np.zeros(self.shape, dtype=g.dtype)
        *lead, last = self.steps
        region = _select(grad, lead)
        if _is_basic(last):
            region[last] = g
        else:
            np.add.at(region, last, g)
        return grad, None

    def write_back(self, base: Tensor, value: TensorLike) -> None:
        """An in-place change to y = base[index]: ``base[index] = value``, recorded."""
        setitem(base, _Steps(self.steps), value)

    def rebuild(self, base: Tensor) -> Tensor:
        """y again, as ``base[index]`` of base's new value."""
        return GetItem.apply(base, self.steps)


class IndexPut(Function):
    """y = x with y[index] = v;  dL/dx = dL/dy with zeros at ``index``,
    dL/dv = dL/dy[index] (summed over the dimensions v was broadcast along)."""

    def forward(self, x: np.ndarray, v: np.ndarray, steps: tuple[Any, ...]) -> np.ndarray:
        self.steps = steps
        out = x.copy()
        _assign(out, steps, v)
        return out

    def backward(self, g: np.ndarray) -> tuple[Optional[np.ndarray], Optional[np.ndarray], None]:
        grad_x = grad_v = None
        if self.needs_grad(0):
            grad_x = g.copy()
            _assign(grad_x, self.steps, 0)
        if self.needs_grad(1):
            grad_v = _select(g, self.steps)
        return grad_x, grad_v, None


class _Steps(tuple):
    """An index already converted by ``torch_index`` (passed back in by GetItem.write_back)."""


def _assign(array: np.ndarray, steps: tuple[Any, ...], value: Any) -> None:
    *lead, last = steps
    try:
        _select(array, lead)[last] = value
    except (IndexError, ValueError) as error:
        raise type(error)(f"setitem: {error} (tensor of shape {array.shape}, value of shape "
                          f"{np.shape(value)})") from None


def _steps(index: Any, shape: tuple[int, ...]) -> tuple[Any, ...]:
    return tuple(index) if isinstance(index, _Steps) else torch_index(index, shape)


@tensor_method("__getitem__")
def getitem(x: Tensor, index: Any) -> Tensor:
    """x[index] with PyTorch's rules (integers select first; Tensors, lists and masks are
    advanced indices); the gradient is added back at ``index``, so an element picked twice
    gets both contributions.
    """
    return GetItem.apply(x, torch_index(index, x.shape))


@tensor_method("__setitem__")
def setitem(x: Tensor, index: Any, value: TensorLike) -> None:
    """x[index] = value in place, PyTorch's rules. Recorded when x or value requires grad: the
    gradient reaches value (dL/dx at index) and x's earlier value (zero at index)."""
    steps = _steps(index, x.shape)
    operand = value if isinstance(value, Tensor) else None

    def put(source: Tensor) -> Tensor:
        if operand is None or not (operand.requires_grad or source.requires_grad):
            if source is x:  # not recorded: write straight into x's array
                array = operand.array if operand is not None else value
                _assign(x.array, steps, array)
                return x
        v = operand if operand is not None else Tensor._wrap(np.asarray(value, dtype=x.dtype))
        if v.dtype != x.dtype:
            v = v.to(x.dtype)
        return IndexPut.apply(source, v, steps)

    inplace.write(x, "setitem", put, [operand])
