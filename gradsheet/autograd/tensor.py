"""Tensor: an n-dimensional array that remembers how it was made.

A Tensor holds ``data`` (a NumPy array), ``grad`` (a Tensor once backward has
reached it), ``requires_grad`` and ``_ctx``, the Function node that produced
it (None for leaves). Operators and methods call the ops in ``gradsheet.ops``;
each records one node when any input requires grad and recording is on.
"""
import numpy as np

from .. import backend
from . import engine


def _to_array(data, dtype=None):
    """An ndarray for ``data``: floats get the default dtype unless ``dtype`` or an ndarray (or a
    NumPy scalar, as in torch.tensor) says."""
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, np.generic):
        data = np.asarray(data)
    if isinstance(data, np.ndarray):
        return data if dtype is None or data.dtype == dtype else data.astype(dtype)
    if isinstance(data, (list, tuple)) and any(isinstance(x, Tensor) for x in data):
        data = [x.data if isinstance(x, Tensor) else x for x in data]
    array = np.asarray(data)
    if dtype is not None:
        return array.astype(backend.as_dtype(dtype), copy=False)
    if array.dtype.kind == "f" or array.dtype == object:
        return array.astype(backend.get_default_dtype())
    return array


class Tensor:
    """An array with reverse-mode autograd. Shapes, names and semantics follow PyTorch."""

    __slots__ = ("data", "grad", "requires_grad", "_ctx", "__weakref__")
    __array_ufunc__ = None  # ndarray <op> Tensor defers to Tensor's reflected operator

    def __init__(self, data, requires_grad=False, dtype=None):
        self.data = _to_array(data, None if dtype is None else backend.as_dtype(dtype))
        self.grad = None
        self._ctx = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _wrap(cls, array):
        """A leaf holding ``array`` as it is: no conversion, no copy (for the engine's hot path)."""
        out = cls.__new__(cls)
        out.data, out.grad, out.requires_grad, out._ctx = array, None, False, None
        return out

    # ------------------------------------------------------------ properties
    @property
    def shape(self):
        return self.data.shape

    @property
    def ndim(self):
        return self.data.ndim

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def T(self):
        return shape_ops.permute(self, tuple(range(self.data.ndim - 1, -1, -1)))

    @property
    def is_leaf(self):
        return self._ctx is None

    @property
    def grad_fn(self):
        return self._ctx

    def size(self, dim=None):
        return self.data.shape if dim is None else self.data.shape[dim]

    def dim(self):
        return self.data.ndim

    def numel(self):
        return self.data.size

    def item(self):
        if self.data.size != 1:
            raise ValueError(f"item: only a one-element tensor converts to a number, got shape {self.shape}")
        return self.data.item()

    def numpy(self):
        if self.requires_grad:
            raise RuntimeError("numpy: call .detach().numpy() on a tensor that requires grad")
        return self.data

    def tolist(self):
        return self.data.tolist()

    def __array__(self, dtype=None, copy=None):
        return self.data if dtype is None else self.data.astype(dtype)

    def __len__(self):
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __bool__(self):
        if self.data.size != 1:
            raise RuntimeError(f"bool: the truth value of a tensor of shape {self.shape} is ambiguous")
        return bool(self.data)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self.data.dtype.kind not in "iub":
            raise TypeError(f"only integer tensors can be used as an index, not {self.dtype}")
        return int(self.item())

    __hash__ = object.__hash__

    def __repr__(self):
        body = np.array2string(self.data, separator=", ", prefix="tensor(", precision=4)
        extras = []
        if self.data.dtype != backend.get_default_dtype():
            extras.append(f"dtype={self.data.dtype}")
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
            if self.data.size != 1:
                raise RuntimeError(f"backward: grad can be implicitly created only for a one-element "
                                   f"tensor; this one has shape {self.shape}: pass gradient=")
            gradient = np.ones_like(self.data)
        else:
            gradient = _to_array(gradient, self.data.dtype)
            if gradient.shape != self.data.shape:
                raise ValueError(f"backward: gradient of shape {gradient.shape} does not match "
                                 f"the tensor's shape {self.shape}")
        engine.backward(self, gradient, retain_graph)

    def detach(self):
        """The same data, cut from the graph."""
        out = Tensor.__new__(Tensor)
        out.data, out.grad, out.requires_grad, out._ctx = self.data, None, False, None
        return out

    def requires_grad_(self, requires_grad=True):
        if requires_grad and self.data.dtype.kind not in "fc":
            raise RuntimeError(f"requires_grad_: only floating tensors can require grad, not {self.dtype}")
        if not requires_grad and self._ctx is not None:
            raise RuntimeError("requires_grad_(False): only leaves can be changed; use detach()")
        self.requires_grad = requires_grad
        return self

    def retain_grad(self):
        raise NotImplementedError("retain_grad: gradsheet keeps gradients of leaves only")

    def zero_(self):
        self._check_inplace("zero_")
        self.data[...] = 0
        return self

    def fill_(self, value):
        self._check_inplace("fill_")
        self.data[...] = value
        return self

    def copy_(self, other):
        self._check_inplace("copy_")
        self.data[...] = other.data if isinstance(other, Tensor) else other
        return self

    def _check_inplace(self, op):
        from .grad_mode import state
        if self.requires_grad and state.enabled:
            raise RuntimeError(f"{op}: a tensor that requires grad cannot be changed in place while "
                               "the graph is recorded; wrap the change in no_grad()")

    def __setitem__(self, index, value):
        self._check_inplace("__setitem__")
        self.data[_index(index)] = value.data if isinstance(value, Tensor) else value

    # ------------------------------------------------------------ dtype
    def to(self, dtype):
        return elementwise.cast(self, backend.as_dtype(dtype))

    def type(self, dtype):
        return self.to(dtype)

    def float(self):
        return self.to(np.float32)

    def double(self):
        return self.to(np.float64)

    def long(self):
        return self.to(np.int64)

    def int(self):
        return self.to(np.int32)

    def bool(self):
        return self.to(np.bool_)

    def clone(self):
        return elementwise.clone(self)

    def contiguous(self):
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
        return Tensor(self.data < _data(other))

    def __le__(self, other):
        return Tensor(self.data <= _data(other))

    def __gt__(self, other):
        return Tensor(self.data > _data(other))

    def __ge__(self, other):
        return Tensor(self.data >= _data(other))

    def __eq__(self, other):
        return Tensor(self.data == _data(other))

    def __ne__(self, other):
        return Tensor(self.data != _data(other))

    def __invert__(self):
        return Tensor(~self.data)

    def __and__(self, other):
        return Tensor(self.data & _data(other))

    def __or__(self, other):
        return Tensor(self.data | _data(other))

    def eq(self, other):
        return self == other

    def add(self, other):
        return self + other

    def sub(self, other):
        return self - other

    def mul(self, other):
        return self * other

    def div(self, other):
        return self / other

    def pow(self, exponent):
        return self ** exponent

    def matmul(self, other):
        return linalg.matmul(self, other)

    def exp(self):
        return elementwise.exp(self)

    def log(self):
        return elementwise.log(self)

    def sqrt(self):
        return elementwise.sqrt(self)

    def abs(self):
        return elementwise.abs(self)

    def clip(self, min=None, max=None):
        return elementwise.clip(self, min, max)

    clamp = clip

    def maximum(self, other):
        return elementwise.maximum(self, other)

    def minimum(self, other):
        return elementwise.minimum(self, other)

    def sigmoid(self):
        return activation.sigmoid(self)

    def tanh(self):
        return activation.tanh(self)

    def relu(self):
        return activation.relu(self)

    def softmax(self, dim):
        return activation.softmax(self, dim)

    def log_softmax(self, dim):
        return activation.log_softmax(self, dim)

    # ------------------------------------------------------------ reductions
    def sum(self, dim=None, keepdim=False):
        return reduce.sum(self, dim, keepdim)

    def mean(self, dim=None, keepdim=False):
        return reduce.mean(self, dim, keepdim)

    def max(self, dim=None, keepdim=False):
        return reduce.max(self, dim, keepdim)

    def min(self, dim=None, keepdim=False):
        return reduce.min(self, dim, keepdim)

    def var(self, dim=None, keepdim=False, correction=1):
        return reduce.var(self, dim, keepdim, correction)

    def std(self, dim=None, keepdim=False, correction=1):
        return reduce.std(self, dim, keepdim, correction)

    def logsumexp(self, dim, keepdim=False):
        return reduce.logsumexp(self, dim, keepdim)

    def argmax(self, dim=None, keepdim=False):
        return reduce.argmax(self, dim, keepdim)

    def argmin(self, dim=None, keepdim=False):
        return reduce.argmin(self, dim, keepdim)

    # ------------------------------------------------------------ shapes
    def reshape(self, *shape):
        return shape_ops.reshape(self, _shape_args(shape))

    def view(self, *shape):
        return shape_ops.reshape(self, _shape_args(shape))

    def transpose(self, dim0, dim1):
        return shape_ops.transpose(self, dim0, dim1)

    def t(self):
        if self.data.ndim > 2:
            raise ValueError(f"t: expects a tensor of at most 2 dimensions, got shape {self.shape}")
        return self.T

    def permute(self, *dims):
        return shape_ops.permute(self, _shape_args(dims))

    def squeeze(self, dim=None):
        return shape_ops.squeeze(self, dim)

    def unsqueeze(self, dim):
        return shape_ops.unsqueeze(self, dim)

    def flatten(self, start_dim=0, end_dim=-1):
        return shape_ops.flatten(self, start_dim, end_dim)

    def expand(self, *shape):
        return shape_ops.expand(self, _shape_args(shape))

    def split(self, split_size_or_sections, dim=0):
        return shape_ops.split(self, split_size_or_sections, dim)

    def chunk(self, chunks, dim=0):
        return shape_ops.chunk(self, chunks, dim)

    def __getitem__(self, index):
        return shape_ops.getitem(self, index)


def _data(x):
    return x.data if isinstance(x, Tensor) else x


def _index(index):
    """An index with Tensors replaced by their arrays (for ndarray indexing)."""
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return index


def _shape_args(args):
    """Accept both f(2, 3) and f((2, 3))."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return args


# The ops import Tensor; importing them after the class keeps the cycle harmless.
from ..ops import activation, elementwise, linalg, reduce  # noqa: E402
from ..ops import shape as shape_ops  # noqa: E402
