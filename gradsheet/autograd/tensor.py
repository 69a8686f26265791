"""Tensor: an n-dimensional array that remembers how it was made.

A Tensor holds ``array`` (a NumPy array; ``data`` is a Tensor sharing it, as in PyTorch), ``grad`` (a Tensor once backward has
reached it), ``requires_grad`` and ``_ctx``, the Function node that produced
it (None for leaves). Operators and methods call the ops in ``gradsheet.ops``;
each records one node when any input requires grad and recording is on.
"""
import weakref

import numpy as np

from .. import backend
from . import engine, hooks


def _to_array(data, dtype=None):
    """An ndarray for ``data``: floats get the default dtype unless ``dtype`` or an ndarray (or a
    NumPy scalar, as in torch.tensor) says."""
    if isinstance(data, Tensor):
        data = data.array
    if isinstance(data, np.generic):
        data = np.asarray(data)
    if isinstance(data, np.ndarray):
        return data if dtype is None or data.dtype == dtype else data.astype(dtype)
    if isinstance(data, (list, tuple)) and any(isinstance(x, Tensor) for x in data):
        data = [x.array if isinstance(x, Tensor) else x for x in data]
    array = np.asarray(data)
    if dtype is not None:
        return array.astype(backend.as_dtype(dtype), copy=False)
    if array.dtype.kind == "f" or array.dtype == object:
        return array.astype(backend.get_default_dtype())
    return array


class Tensor:
    """An array with reverse-mode autograd. Shapes, names and semantics follow PyTorch."""

    __slots__ = ("array", "grad", "requires_grad", "_ctx", "_hooks", "_version", "__weakref__")
    __array_ufunc__ = None  # ndarray <op> Tensor defers to Tensor's reflected operator

    def __init__(self, data, requires_grad=False, dtype=None):
        self.array = _to_array(data, None if dtype is None else backend.as_dtype(dtype))
        self.grad = None
        self._ctx = None
        self._hooks = None  # a leaf's gradient hooks (register_hook)
        self._version = 0  # bumped by every in-place change (see autograd.inplace)
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _wrap(cls, array):
        """A leaf holding ``array`` as it is: no conversion, no copy (for the engine's hot path)."""
        out = cls.__new__(cls)
        out.array, out.grad, out.requires_grad, out._ctx, out._hooks = array, None, False, None, None
        out._version = 0
        return out

    # ------------------------------------------------------------ properties
    @property
    def data(self):
        """A Tensor sharing this tensor's array, cut from the graph and with its own version
        counter (as PyTorch's ``.data``: ``p.data.add_(g, alpha=-lr)`` changes ``p`` without
        autograd seeing it). Assigning ``t.data = other`` makes ``t`` hold ``other``'s array.
        gradsheet's own code reads the raw NumPy array as ``t.array``.
        """
        return Tensor._wrap(self.array)

    @data.setter
    def data(self, value):
        self.array = value.array if isinstance(value, Tensor) else np.asarray(value)

    @property
    def shape(self):
        """The size of each dimension, a tuple (PyTorch's ``torch.Size``)."""
        return self.array.shape

    @property
    def ndim(self):
        """The number of dimensions."""
        return self.array.ndim

    @property
    def dtype(self):
        """The NumPy dtype of the data (float32 by default for floats)."""
        return self.array.dtype

    @property
    def T(self):
        """This tensor with all its dimensions reversed (x.permute(n-1, ..., 0)); differentiable."""
        return shape_ops.permute(self, tuple(range(self.array.ndim - 1, -1, -1)))

    @property
    def is_leaf(self):
        """True when no op made this tensor (a user-created tensor or a parameter)."""
        return self._ctx is None

    @property
    def grad_fn(self):
        """The Function node that produced this tensor, None for a leaf."""
        return self._ctx

    def size(self, dim=None):
        """The shape, or the size of dimension ``dim``."""
        return self.array.shape if dim is None else self.array.shape[dim]

    def dim(self):
        """The number of dimensions."""
        return self.array.ndim

    def numel(self):
        """The number of elements: the product of the shape."""
        return self.array.size

    def item(self):
        """The value of a one-element tensor as a Python number (ValueError for any other size)."""
        if self.array.size != 1:
            raise ValueError(f"item: only a one-element tensor converts to a number, got shape {self.shape}")
        return self.array.item()

    def numpy(self):
        """The data as a NumPy array, shared, not copied; RuntimeError when the tensor requires
        grad (call ``detach()`` first, as in PyTorch).
        """
        if self.requires_grad:
            raise RuntimeError("numpy: call .detach().numpy() on a tensor that requires grad")
        return self.array

    def tolist(self):
        """The data as (nested) Python lists of numbers."""
        return self.array.tolist()

    def __array__(self, dtype=None, copy=None):
        return self.array if dtype is None else self.array.astype(dtype)

    def __len__(self):
        if self.array.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.array.shape[0]

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __bool__(self):
        if self.array.size != 1:
            raise RuntimeError(f"bool: the truth value of a tensor of shape {self.shape} is ambiguous")
        return bool(self.array)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self.array.dtype.kind not in "iub":
            raise TypeError(f"only integer tensors can be used as an index, not {self.dtype}")
        return int(self.item())

    __hash__ = object.__hash__

    def __repr__(self):
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
    def backward(self, gradient=None, retain_graph=False):
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
            gradient = np.ones_like(self.array)
        else:
            gradient = _to_array(gradient, self.array.dtype)
            if gradient.shape != self.array.shape:
                raise ValueError(f"backward: gradient of shape {gradient.shape} does not match "
                                 f"the tensor's shape {self.shape}")
        engine.backward(self, gradient, retain_graph)

    def detach(self):
        """The same data, cut from the graph."""
        return Tensor._wrap(self.array)

    def requires_grad_(self, requires_grad=True):
        """Set whether this leaf records operations for autograd; returns self.

        Only floating tensors can require grad, and only leaves can be switched off (RuntimeError).
        """
        if requires_grad and self.array.dtype.kind not in "fc":
            raise RuntimeError(f"requires_grad_: only floating tensors can require grad, not {self.dtype}")
        if not requires_grad and self._ctx is not None:
            raise RuntimeError("requires_grad_(False): only leaves can be changed; use detach()")
        self.requires_grad = requires_grad
        return self

    def retain_grad(self):
        """Keep dL/d(self) in ``.grad`` at the next backward, though self is not a leaf
        (as PyTorch's ``retain_grad``; leaves keep theirs anyway). Accumulates like a leaf's."""
        if self._ctx is None:
            if not self.requires_grad:
                raise RuntimeError("retain_grad: this tensor does not require grad")
            return
        self._ctx.__dict__[engine.RETAINED] = weakref.ref(self)

    def register_hook(self, hook):
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
            if getattr(self, "_hooks", None) is None:  # (tensors made by ops start without)
                self._hooks = {}
            return hooks.add_hook(self._hooks, hook, "register_hook")
        if self._ctx.parents is None:
            raise RuntimeError("register_hook: the graph of this tensor was already freed by "
                               "backward()")
        return hooks.add_hook(self._ctx.__dict__.setdefault(engine.HOOKS, {}), hook,
                              "register_hook")

    def zero_(self):
        """Set every element to 0 in place; returns self. Forbidden on a tensor that requires grad
        while the graph is recorded (use ``no_grad()``).
        """
        self._check_inplace("zero_")
        self.array[...] = 0
        return self

    def fill_(self, value):
        """Set every element to ``value`` in place; returns self (same rule as ``zero_``)."""
        self._check_inplace("fill_")
        self.array[...] = value
        return self

    def copy_(self, other):
        """Copy ``other`` (a Tensor, array or number, broadcast) into this tensor in place; returns
        self (same rule as ``zero_``).
        """
        self._check_inplace("copy_")
        self.array[...] = other.array if isinstance(other, Tensor) else other
        return self

    def _check_inplace(self, op):
        from .grad_mode import state
        if self.requires_grad and state.enabled:
            raise RuntimeError(f"{op}: a tensor that requires grad cannot be changed in place while "
                               "the graph is recorded; wrap the change in no_grad()")

    def __setitem__(self, index, value):
        self._check_inplace("__setitem__")
        self.array[_index(index)] = value.array if isinstance(value, Tensor) else value

    # ------------------------------------------------------------ dtype
    def to(self, dtype):
        """This tensor in ``dtype`` (a NumPy dtype or a name such as 'float64'); differentiable
        between floating dtypes. Only a dtype is accepted: gradsheet has one device, the CPU.
        """
        return elementwise.cast(self, backend.as_dtype(dtype))

    def type(self, dtype):
        """This tensor in ``dtype``: ``to(dtype)``."""
        return self.to(dtype)

    def float(self):
        """This tensor as float32 (a differentiable cast)."""
        return self.to(np.float32)

    def double(self):
        """This tensor as float64 (a differentiable cast)."""
        return self.to(np.float64)

    def long(self):
        """This tensor as int64 (no gradient flows through an integer cast)."""
        return self.to(np.int64)

    def int(self):
        """This tensor as int32 (no gradient flows through an integer cast)."""
        return self.to(np.int32)

    def bool(self):
        """This tensor as bool (no gradient)."""
        return self.to(np.bool_)

    def clone(self):
        """A copy that stays in the graph (gradient 1)."""
        return elementwise.clone(self)

    def contiguous(self):
        """This tensor itself: NumPy handles any memory layout, so there is nothing to do."""
        return self

    # ------------------------------------------------------------ arithmetic
    def __add__(self, other):
        return elementwise.add(self, other)

    def __radd__(self, other):
        return elementwise.add(other, self)

    def __sub__(self, other):
        return elementwise.sub(self, other)

    def __rsub__(self, other):
        return elementwise.sub(other, self)

    def __mul__(self, other):
        return elementwise.mul(self, other)

    def __rmul__(self, other):
        return elementwise.mul(other, self)

    def __truediv__(self, other):
        return elementwise.div(self, other)

    def __rtruediv__(self, other):
        return elementwise.div(other, self)

    def __pow__(self, exponent):
        return elementwise.pow(self, exponent)

    def __rpow__(self, base):
        return elementwise.pow(base, self)

    def __neg__(self):
        return elementwise.neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return elementwise.abs(self)

    def __matmul__(self, other):
        return linalg.matmul(self, other)

    def __rmatmul__(self, other):
        return linalg.matmul(other, self)

    # comparisons give boolean tensors and carry no gradient
    def __lt__(self, other):
        return Tensor(self.array < _data(other))

    def __le__(self, other):
        return Tensor(self.array <= _data(other))

    def __gt__(self, other):
        return Tensor(self.array > _data(other))

    def __ge__(self, other):
        return Tensor(self.array >= _data(other))

    def __eq__(self, other):
        return Tensor(self.array == _data(other))

    def __ne__(self, other):
        return Tensor(self.array != _data(other))

    def __invert__(self):
        return Tensor(~self.array)

    def __and__(self, other):
        return Tensor(self.array & _data(other))

    def __or__(self, other):
        return Tensor(self.array | _data(other))

    def eq(self, other):
        """Elementwise ``self == other``, a bool tensor without gradient."""
        return self == other

    def add(self, other):
        """self + other (broadcast)."""
        return self + other

    def sub(self, other):
        """self - other (broadcast)."""
        return self - other

    def mul(self, other):
        """self * other (elementwise, broadcast)."""
        return self * other

    def div(self, other):
        """self / other (true division, broadcast)."""
        return self / other

    def pow(self, exponent):
        """self ** exponent."""
        return self ** exponent

    def matmul(self, other):
        """self @ other (see ``gradsheet.ops.linalg.matmul``)."""
        return linalg.matmul(self, other)

    def exp(self):
        """e**x, elementwise; gradient e**x."""
        return elementwise.exp(self)

    def log(self):
        """The natural log, elementwise; gradient 1 / x."""
        return elementwise.log(self)

    def sqrt(self):
        """sqrt(x), elementwise; gradient 1 / (2 sqrt(x))."""
        return elementwise.sqrt(self)

    def abs(self):
        """|x|, elementwise; gradient sign(x)."""
        return elementwise.abs(self)

    def clip(self, min=None, max=None):
        """min(max(x, min), max), elementwise; either bound may be None (``clamp`` is the same);
        gradient 1 to x inside [min, max], else to the bound that clamped it when that bound is
        a Tensor (ties go to x, as ``torch.clamp``; see ``gradsheet.ops.elementwise.Clip``).
        """
        return elementwise.clip(self, min, max)

    clamp = clip

    def maximum(self, other):
        """max(self, other), elementwise; the gradient goes to the larger input (split on ties)."""
        return elementwise.maximum(self, other)

    def minimum(self, other):
        """min(self, other), elementwise; the gradient goes to the smaller input (split on ties)."""
        return elementwise.minimum(self, other)

    def sigmoid(self):
        """1 / (1 + e^(-x)), elementwise."""
        return activation.sigmoid(self)

    def tanh(self):
        """tanh(x), elementwise."""
        return activation.tanh(self)

    def relu(self):
        """max(0, x), elementwise."""
        return activation.relu(self)

    def softmax(self, dim):
        """e^(x_i) / sum_j e^(x_j) along ``dim``."""
        return activation.softmax(self, dim)

    def log_softmax(self, dim):
        """x_i - log sum_j e^(x_j) along ``dim``, computed stably."""
        return activation.log_softmax(self, dim)

    # ------------------------------------------------------------ reductions
    def sum(self, dim=None, keepdim=False):
        """The sum over ``dim`` (None: all elements); see ``gradsheet.ops.reduce.sum``."""
        return reduce.sum(self, dim, keepdim)

    def mean(self, dim=None, keepdim=False):
        """The mean over ``dim`` (None: all elements); floating tensors only."""
        return reduce.mean(self, dim, keepdim)

    def max(self, dim=None, keepdim=False):
        """The largest element; with ``dim``, a (values, indices) pair, as ``torch.max``."""
        return reduce.max(self, dim, keepdim)

    def min(self, dim=None, keepdim=False):
        """The smallest element; with ``dim``, a (values, indices) pair, as ``torch.min``."""
        return reduce.min(self, dim, keepdim)

    def var(self, dim=None, keepdim=False, correction=1):
        """sum (x - mean)**2 / (n - correction) over ``dim``; ``correction=1`` is Bessel's, as PyTorch."""
        return reduce.var(self, dim, keepdim, correction)

    def std(self, dim=None, keepdim=False, correction=1):
        """sqrt(var(x)) over ``dim``, with the same ``correction``."""
        return reduce.std(self, dim, keepdim, correction)

    def logsumexp(self, dim, keepdim=False):
        """log sum_i e^(x_i) over ``dim``, without overflow."""
        return reduce.logsumexp(self, dim, keepdim)

    def argmax(self, dim=None, keepdim=False):
        """The index of the largest element (flattened when ``dim`` is None); no gradient."""
        return reduce.argmax(self, dim, keepdim)

    def argmin(self, dim=None, keepdim=False):
        """The index of the smallest element (flattened when ``dim`` is None); no gradient."""
        return reduce.argmin(self, dim, keepdim)

    # ------------------------------------------------------------ shapes
    def reshape(self, *shape):
        """This tensor with a new shape, given as ``reshape(2, 3)`` or ``reshape((2, 3))``; one size
        may be -1.
        """
        return shape_ops.reshape(self, _shape_args(shape))

    def view(self, *shape):
        """The same as ``reshape`` (NumPy decides whether the result shares memory)."""
        return shape_ops.reshape(self, _shape_args(shape))

    def transpose(self, dim0, dim1):
        """This tensor with dimensions ``dim0`` and ``dim1`` swapped."""
        return shape_ops.transpose(self, dim0, dim1)

    def t(self):
        """The transpose of a tensor of at most 2 dimensions (ValueError otherwise), as ``torch.t``."""
        if self.array.ndim > 2:
            raise ValueError(f"t: expects a tensor of at most 2 dimensions, got shape {self.shape}")
        return self.T

    def permute(self, *dims):
        """This tensor with its dimensions reordered by ``dims`` (as separate ints or one tuple)."""
        return shape_ops.permute(self, _shape_args(dims))

    def squeeze(self, dim=None):
        """This tensor without its size-1 dimensions (all, or those in ``dim``)."""
        return shape_ops.squeeze(self, dim)

    def unsqueeze(self, dim):
        """This tensor with a new size-1 dimension at ``dim``."""
        return shape_ops.unsqueeze(self, dim)

    def flatten(self, start_dim=0, end_dim=-1):
        """This tensor with dimensions ``start_dim`` .. ``end_dim`` merged into one."""
        return shape_ops.flatten(self, start_dim, end_dim)

    def expand(self, *shape):
        """This tensor broadcast to ``shape`` (-1 keeps a size); only size-1 dimensions expand."""
        return shape_ops.expand(self, _shape_args(shape))

    def split(self, split_size_or_sections, dim=0):
        """A tuple of pieces along ``dim``: of size ``split_size`` (the last may be smaller), or of
        the listed section sizes.
        """
        return shape_ops.split(self, split_size_or_sections, dim)

    def chunk(self, chunks, dim=0):
        """A tuple of ``chunks`` pieces along ``dim``, each of ceil(n / chunks) (the last may be smaller)."""
        return shape_ops.chunk(self, chunks, dim)

    def __getitem__(self, index):
        return shape_ops.getitem(self, index)


def _data(x):
    return x.array if isinstance(x, Tensor) else x


def _index(index):
    """An index with Tensors replaced by their arrays (for ndarray indexing)."""
    if isinstance(index, Tensor):
        return index.array
    if isinstance(index, tuple):
        return tuple(i.array if isinstance(i, Tensor) else i for i in index)
    return index


def _shape_args(args):
    """Accept both f(2, 3) and f((2, 3))."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return args


# The ops import Tensor; importing them after the class keeps the cycle harmless.
from ..ops import activation, elementwise, linalg, reduce  # noqa: E402
from ..ops import shape as shape_ops  # noqa: E402
