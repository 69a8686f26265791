"""Tensor: an n-dimensional array that remembers how it was made.

A Tensor holds ``array`` (a NumPy array: the one name gradsheet's own code reads it by;
``data`` is a Tensor sharing it, as in PyTorch), ``grad`` (a Tensor once backward has
reached it), ``requires_grad``, ``_ctx`` (the Function node that produced it, None for
leaves) and ``_version`` (bumped by each in-place change, ``autograd.inplace``).

This module defines only what a tensor is; its methods (``x.exp()``, ``x + y``,
``x.sum(dim)``, ``x.add_(y)``, ...) are bound by the ops beside their definitions
(``autograd.methods``), each recording one node when an input requires grad.
"""
from __future__ import annotations

import weakref
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Callable, Optional, Union, overload

import numpy as np

from .. import backend
from . import engine, hooks

if TYPE_CHECKING:
    from .._typing import DType, TensorLike
    from .function import Function
    from .hooks import RemovableHandle


def _to_array(data: Any, dtype: Optional[DType] = None) -> np.ndarray:
    """An ndarray for ``data``: floats get the default dtype unless ``dtype`` or an ndarray (or a
    NumPy scalar, as in torch.tensor) says."""
    if isinstance(data, Tensor):
        data = data.array
    if isinstance(data, np.generic):
        data = np.asarray(data)
    if isinstance(data, np.ndarray):
        if data.dtype.kind in "USV":
            raise TypeError(f"tensor: can't convert an array of dtype {data.dtype}: data must be "
                            "numbers or bools")
        return data if dtype is None or data.dtype == dtype else data.astype(dtype)
    if isinstance(data, (list, tuple)) and any(isinstance(x, Tensor) for x in data):
        data = [x.array if isinstance(x, Tensor) else x for x in data]
    array = np.asarray(data)
    if array.dtype.kind in "OUSV":
        _reject_non_numbers(data)
    if dtype is not None:
        return array.astype(backend.as_dtype(dtype), copy=False)
    if array.dtype.kind == "f" or array.dtype == object:
        return array.astype(backend.get_default_dtype())
    return array


def _reject_non_numbers(data: Any) -> None:
    """TypeError naming the first value in (nested) ``data`` that is None or a string."""
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, (list, tuple)):
            stack.extend(reversed(value))
        elif value is None or isinstance(value, (str, bytes)):
            raise TypeError(f"tensor: could not infer the dtype of {value!r} "
                            f"({type(value).__name__}): data must be numbers or bools")
        elif not isinstance(value, (bool, int, float, complex, np.generic, np.ndarray, Tensor)):
            raise TypeError(f"tensor: could not infer the dtype of {type(value).__name__}: data "
                            f"must be numbers or bools (or nested lists of them)")


if TYPE_CHECKING:  # the methods the ops bind, as a type checker sees them (object at run time)
    from ._bound import BoundMethods as _BoundMethods
else:
    _BoundMethods = object


class Tensor(_BoundMethods):
    """An array with reverse-mode autograd. Shapes, names and semantics follow PyTorch."""

    __slots__ = ("array", "grad", "requires_grad", "_ctx", "_hooks", "_version", "__weakref__")
    __array_ufunc__ = None  # ndarray <op> Tensor defers to Tensor's reflected operator

    array: np.ndarray
    grad: Optional[Tensor]
    requires_grad: bool
    _ctx: Optional[Function]
    _hooks: Optional[dict[int, Callable[[Tensor], Optional[Tensor]]]]
    _version: int

    def __init__(self, *args: Any, requires_grad: bool = False,
                 dtype: Optional[DType] = None) -> None:
        """As ``torch.Tensor``: ``Tensor(2, 3)`` (or a ``torch.Size``) is an uninitialised tensor
        of that shape, ``Tensor([1, 2])`` or ``Tensor(array)`` copies the data into the default
        float dtype (``dtype=`` for another), ``Tensor()`` is empty. (``as_tensor`` and
        ``tensor`` keep an array's dtype.)"""
        dtype = backend.as_dtype(dtype)
        if not args:
            array = np.empty((0,), dtype)
        elif all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in args) or \
                (len(args) == 1 and type(args[0]).__name__ == "Size"):
            shape = tuple(args[0]) if len(args) == 1 and not isinstance(args[0], (int, np.integer)) \
                else tuple(int(a) for a in args)
            if any(n < 0 for n in shape):
                raise ValueError(f"Tensor: negative dimension in size {shape}")
            array = np.empty(shape, dtype)
        elif len(args) == 1:
            data = args[0]
            if isinstance(data, (float, complex, bool)) or data is None or isinstance(data, str):
                hint = "" if data is None or isinstance(data, str) else \
                    f"; use gs.tensor({data!r}) for a 0-d tensor"
                raise TypeError(f"Tensor: new(): data must be a sequence of numbers (got "
                                f"{type(data).__name__} {data!r}){hint}")
            array = _to_array(data, dtype)
            if array is getattr(data, "array", data):
                array = array.copy()
        else:
            raise TypeError(f"Tensor: expects sizes (ints) or one sequence of data, got "
                            f"{tuple(type(a).__name__ for a in args)}")
        self._init(array, requires_grad)

    def _init(self, array: np.ndarray, requires_grad: bool) -> None:
        self.array = array
        self.grad = None
        self._ctx = None
        self._hooks = None  # a leaf's gradient hooks (register_hook)
        self._version = 0  # bumped by every in-place change (see autograd.inplace)
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _wrap(cls, array: np.ndarray) -> Tensor:
        """A leaf holding ``array`` as it is: no conversion, no copy (for the engine's hot path)."""
        out = cls.__new__(cls)
        out.array, out.grad, out.requires_grad, out._ctx, out._hooks = array, None, False, None, None
        out._version = 0
        return out

    # ------------------------------------------------------------ properties
    @property
    def data(self) -> Tensor:
        """A Tensor sharing this tensor's array, cut from the graph and with its own version
        counter (as PyTorch's ``.data``: ``p.data.add_(g, alpha=-lr)`` changes ``p`` without
        autograd seeing it). Assigning ``t.data = other`` makes ``t`` hold ``other``'s array.
        gradsheet's own code reads the raw NumPy array as ``t.array``.
        """
        return Tensor._wrap(self.array)

    @data.setter
    def data(self, value: TensorLike) -> None:
        self.array = value.array if isinstance(value, Tensor) else np.asarray(value)

    @property
    def shape(self) -> tuple[int, ...]:
        """The size of each dimension, a tuple (PyTorch's ``torch.Size``)."""
        return self.array.shape

    @property
    def ndim(self) -> int:
        """The number of dimensions."""
        return self.array.ndim

    @property
    def dtype(self) -> np.dtype[Any]:
        """The NumPy dtype of the data (float32 by default for floats)."""
        return self.array.dtype

    @property
    def is_leaf(self) -> bool:
        """True when no op made this tensor (a user-created tensor or a parameter)."""
        return self._ctx is None

    @property
    def grad_fn(self) -> Optional[Function]:
        """The Function node that produced this tensor, None for a leaf."""
        return self._ctx

    @overload
    def size(self, dim: None = None) -> tuple[int, ...]: ...
    @overload
    def size(self, dim: int) -> int: ...

    def size(self, dim: Optional[int] = None) -> Union[tuple[int, ...], int]:
        """The shape, or the size of dimension ``dim``."""
        return self.array.shape if dim is None else self.array.shape[dim]

    def dim(self) -> int:
        """The number of dimensions."""
        return self.array.ndim

    def numel(self) -> int:
        """The number of elements: the product of the shape."""
        return self.array.size

    def item(self) -> Union[int, float, bool]:
        """The value of a one-element tensor as a Python number (ValueError for any other size)."""
        if self.array.size != 1:
            raise ValueError(f"item: only a one-element tensor converts to a number, got shape {self.shape}")
        return self.array.item()

    def numpy(self) -> np.ndarray:
        """The data as a NumPy array, shared, not copied; RuntimeError when the tensor requires
        grad (call ``detach()`` first, as in PyTorch).
        """
        if self.requires_grad:
            raise RuntimeError("numpy: call .detach().numpy() on a tensor that requires grad")
        return self.array

    def tolist(self) -> Any:
        """The data as (nested) Python lists of numbers."""
        return self.array.tolist()

    def __array__(self, dtype: Optional[DType] = None, copy: Optional[bool] = None) -> np.ndarray:
        return self.array if dtype is None else self.array.astype(dtype)

    def __len__(self) -> int:
        if self.array.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.array.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        return (self[i] for i in range(len(self)))

    def __bool__(self) -> bool:
        if self.array.size != 1:
            raise RuntimeError(f"bool: the truth value of a tensor of shape {self.shape} is ambiguous")
        return bool(self.array)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self.array.dtype.kind not in "iub":
            raise TypeError(f"only integer tensors can be used as an index, not {self.dtype}")
        return int(self.item())

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        body = np.array2string(self.array, separator=", ", prefix="tensor(", precision=4)
        extras = []
        if self.array.dtype != backend.get_default_dtype():
            extras.append(f"dtype={self.array.dtype}")
        if self._ctx is not None:
            extras.append(f"grad_fn=<{type(self._ctx).__name__}Backward>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + ", ".join([body] + extras) + ")"

    # ------------------------------------------------------------ autograd
    def backward(self, gradient: Optional[TensorLike] = None,
                 retain_graph: Optional[bool] = False) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` (times ``gradient``).

        ``gradient`` may be omitted only for a one-element tensor (then it is 1).
        """
        if not self.requires_grad:
            raise RuntimeError("backward: this tensor does not require grad and has no graph "
                               "(was it computed under no_grad, or from tensors without requires_grad?)")
        if gradient is None:
            if self.array.size != 1:
                raise RuntimeError(f"backward: grad can be implicitly created only for a one-element "
                                   f"tensor; this one has shape {self.shape}: pass gradient=")
            gradient = np.ones(self.array.shape, self.array.dtype)  # (np.ones_like: 1 us more)
        else:
            gradient = _to_array(gradient, self.array.dtype)
            if gradient.shape != self.array.shape:
                raise ValueError(f"backward: gradient of shape {gradient.shape} does not match "
                                 f"the tensor's shape {self.shape}")
        engine.backward(self, gradient, retain_graph)

    def detach(self) -> Tensor:
        """The same data, cut from the graph."""
        return Tensor._wrap(self.array)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set whether this leaf records operations for autograd; returns self.

        Only floating tensors can require grad, and only leaves can be switched off (RuntimeError).
        """
        if requires_grad and self.array.dtype.kind not in "fc":
            raise RuntimeError(f"requires_grad_: only floating tensors can require grad, not {self.dtype}")
        if not requires_grad and self._ctx is not None:
            raise RuntimeError("requires_grad_(False): only leaves can be changed; use detach()")
        self.requires_grad = requires_grad
        return self

    def retain_grad(self) -> None:
        """Keep dL/d(self) in ``.grad`` at the next backward, though self is not a leaf
        (as PyTorch's ``retain_grad``; leaves keep theirs anyway). Accumulates like a leaf's."""
        if self._ctx is None:
            if not self.requires_grad:
                raise RuntimeError("retain_grad: this tensor does not require grad")
            return
        self._ctx.__dict__[engine.RETAINED] = weakref.ref(self)

    def register_hook(self, hook: Callable[[Tensor], Optional[Tensor]]) -> RemovableHandle:
        """Run ``hook(grad)`` on dL/d(self) each time backward computes it; if it returns a
        tensor (same shape), that replaces the gradient, both for what flows on to the
        tensors self was computed from and for ``.grad`` (as PyTorch's ``register_hook``).

        A leaf's hooks see its total gradient before it is accumulated into ``.grad``, and stay
        for every later backward; a non-leaf's see its total gradient before its node's backward
        and live as long as its graph. Returns a handle: ``handle.remove()`` takes it out.
        """
        if not self.requires_grad:
            raise RuntimeError("register_hook: cannot register a hook on a tensor that does not "
                               "require grad")
        if self._ctx is None:
            own = getattr(self, "_hooks", None)
            if own is None:  # (tensors made by ops start without)
                own = self._hooks = {}
            return hooks.add_hook(own, hook, "register_hook")
        if self._ctx.parents is None:
            raise RuntimeError("register_hook: the graph of this tensor was already freed by "
                               "backward()")
        return hooks.add_hook(self._ctx.__dict__.setdefault(engine.HOOKS, {}), hook,
                              "register_hook")

    def register_post_accumulate_grad_hook(self, hook: Callable[[Tensor], None]) -> RemovableHandle:
        """Run ``hook(self)`` in each backward as soon as this leaf's ``.grad`` holds the whole
        gradient of that backward (every node consuming it has delivered and it is accumulated),
        while the rest of the backward goes on; the hook must return None (as PyTorch's
        ``register_post_accumulate_grad_hook``: DDP starts a bucket's allreduce from it).
        Leaves only. Returns a handle: ``handle.remove()`` takes it out.
        """
        if not self.requires_grad:
            raise RuntimeError("register_post_accumulate_grad_hook: cannot register a hook on a "
                               "tensor that doesn't require gradient")
        if self._ctx is not None:
            raise RuntimeError("register_post_accumulate_grad_hook: post accumulate grad hooks "
                               "cannot be registered on non-leaf tensors")
        return hooks.add_hook(engine.post_accumulate_hooks(self), hook,
                              "register_post_accumulate_grad_hook")

    def __format__(self, spec: str) -> str:
        if self.array.ndim == 0 and spec:
            return format(self.array.item(), spec)
        if spec:
            raise TypeError(f"unsupported format string {spec!r} passed to Tensor.__format__ (only "
                            f"a 0-d tensor formats as a number; this one has shape {self.shape})")
        return str(self)

    # The ops bind every other method (x.exp(), x + y, x.sum(dim), x.add_(y), x[i], x[i] = v,
    # ...) beside their definitions: see gradsheet.autograd.methods. autograd imports no op.


def as_tensor(data: TensorLike, dtype: Optional[DType] = None) -> Tensor:
    """A Tensor holding ``data`` without a copy where it can: an ndarray (or a Tensor's array)
    is shared when ``dtype`` is None or its own; lists of floats get the default dtype.
    (This is ``torch.as_tensor``; ``Tensor(...)`` itself follows ``torch.Tensor``.)
    """
    return Tensor._wrap(_to_array(data, None if dtype is None else backend.as_dtype(dtype)))


def _shape_args(args: tuple[Any, ...]) -> tuple[Any, ...]:
    """Accept both f(2, 3) and f((2, 3))."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return args
