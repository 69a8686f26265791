"""Sparse COO tensors, as graph networks use them: ``sparse_coo_tensor``, ``x.to_sparse()``,
``s.to_dense()``, ``s.coalesce()`` and the sparse products ``s @ x``, ``gs.sparse.mm``,
``gs.spmm``, ``gs.mm`` / ``gs.matmul`` with a sparse operand (scipy.sparse underneath).

A sparse COO tensor S of shape (*sparse_shape, *dense_shape) holds

    indices  (sparse_dim, nnz) int64:  the coordinates of the specified entries,
    values   (nnz, *dense_shape):      what sits there;  S = sum_k values[k] at indices[:, k],

so duplicates (a coordinate listed twice) add up, as in PyTorch, and stay until
``coalesce()`` sums them (sorted row-major, one entry per coordinate).

Autograd flows through the values: a sparse tensor's gradient is taken with respect to its
values Tensor (``requires_grad``, ``grad_fn``, ``is_leaf`` are the values'), each sparse op
is one node on the values (and on the dense operand), and ``s.grad`` hands the leaf's
gradient out as a sparse tensor with the coalesced pattern of ``s``, dL/dS at each
coordinate (as PyTorch's; PyTorch flags it uncoalesced, gradsheet coalesced, which it is).

A sparse tensor is a ``Tensor`` (``SparseCooTensor``, a subclass): dense ops keep their hot
path untouched and see, in place of its ``array``, a stand-in that refuses any NumPy use
with a NotImplementedError naming the op and suggesting ``to_dense()`` (never a silent
densification, never garbage). ``x @ s``, ``dense + s`` and ``dense - s`` reach the
subclass's reflected operators first, as Python gives a subclass's reflected method priority.
"""
from __future__ import annotations

import sys
import typing
from collections.abc import Sequence
from types import FrameType
from typing import TYPE_CHECKING, Any, Callable, NoReturn, Optional, Union

import numpy as np

from .. import backend, devices
from ..autograd.function import Function
from ..autograd.methods import tensor_method, tensor_property
from ..autograd.tensor import Tensor, _to_array
from . import linalg as _linalg
from .elementwise import cast

if TYPE_CHECKING:
    from .._typing import DType, DeviceLike, DimLike, TensorLike

__all__ = ["sparse_coo_tensor", "spmm", "mm", "matmul", "layout", "strided", "sparse_coo"]


class layout:
    """A tensor's memory layout (``torch.layout``): ``gs.strided`` for dense tensors,
    ``gs.sparse_coo`` for sparse COO tensors; ``x.layout`` tells which."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"torch.{self.name}"

    def __reduce__(self) -> tuple[Callable[[str], layout], tuple[str]]:
        return (_layout_named, (self.name,))


strided = layout("strided")
sparse_coo = layout("sparse_coo")


def _layout_named(name: str) -> layout:
    return {"strided": strided, "sparse_coo": sparse_coo}[name]


# ---------------------------------------------------------------------------- the stand-in
# Generic frame names that never name the op the user called (an nn layer's __call__ and
# forward, Function.apply, the lambdas of the method table): skipped when naming the op.
_GENERIC_FRAMES = {"__call__", "_call_impl", "forward", "apply", "compute", "wrapper", "twin", "checked",
                   "swapped", "<lambda>", "<listcomp>", "<genexpr>", "<dictcomp>", "<module>"}
# x[i] and x[i] = v: Tensor.__getitem__/__setitem__ are ops.subscript's getitem and setitem
_FRAME_NAMES = dict.fromkeys(["__getitem__", "getitem"], "indexing (x[...])") | \
    dict.fromkeys(["__setitem__", "setitem"], "index assignment (x[...] = v)")


def _op_name(fallback: str) -> str:
    """The gradsheet op the user called that reached a sparse tensor's stand-in array: the
    outermost gradsheet frame of the current call (error path only; ``fallback``, NumPy's
    name, when none is found)."""
    frame: Optional[FrameType] = sys._getframe(1)
    name: Optional[str] = None
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module != "gradsheet" and not module.startswith("gradsheet."):
            if name is not None:
                break
        else:
            code = frame.f_code.co_name
            if code == "twin":  # an in-place twin of the method table: its own name
                code = frame.f_locals.get("name", code)
            if code not in _GENERIC_FRAMES and not (code.startswith("_") and
                                                     not code.startswith("__")):
                name = code
        frame = frame.f_back
    name = name or fallback
    return _FRAME_NAMES.get(name, name)


class _DenseArrayRefused:
    """Stands in for ``array`` on a sparse tensor: it has the dense shape, ndim, size and dtype
    (so ``s.shape`` and ``s.dtype`` work), and refuses every other use, so that a dense op
    given a sparse tensor raises, naming the op, instead of computing garbage."""

    __slots__ = ("shape", "dtype")

    def __init__(self, shape: Sequence[int], dtype: DType) -> None:
        self.shape = tuple(shape)
        self.dtype = np.dtype(dtype)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    def _refuse(self, what: str) -> NoReturn:
        op = _op_name(what)
        hint = "; for a dense @ sparse product use gs.mm(dense, sparse) or dense @ sparse" \
            if op in ("mm", "matmul", "bmm", "mv") else ""
        raise NotImplementedError(
            f"{op}: not supported for a sparse COO tensor (shape {self.shape}, {self.dtype}): "
            f"call .to_dense() first for the dense op, or use the sparse ops (gs.sparse.mm, "
            f"gs.sparse.sum, gs.sparse.softmax, s.coalesce(), s.values()){hint}")

    def __array__(self, dtype: Any = None, copy: Optional[bool] = None) -> NoReturn:
        self._refuse("asarray")

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> NoReturn:
        self._refuse(ufunc.__name__)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> NoReturn:
        self._refuse(func.__name__)

    def __getattr__(self, name: str) -> NoReturn:
        if name.startswith("__"):  # protocol probes (NumPy's, copy's, pickle's): not offered
            raise AttributeError(name)
        self._refuse(name)

    def __getitem__(self, index: Any) -> NoReturn:
        self._refuse("__getitem__")

    def __setitem__(self, index: Any, value: Any) -> NoReturn:
        self._refuse("__setitem__")

    def __len__(self) -> NoReturn:
        self._refuse("len")

    def __iter__(self) -> NoReturn:
        self._refuse("iter")

    def __bool__(self) -> NoReturn:
        self._refuse("bool")

    def __float__(self) -> NoReturn:
        self._refuse("float")

    def __int__(self) -> NoReturn:
        self._refuse("int")

    def __index__(self) -> NoReturn:
        self._refuse("index")

    def __repr__(self) -> str:
        return f"<the dense array of a sparse COO tensor of shape {self.shape}: none>"


def _refusing_operator(name: str) -> Callable[..., NoReturn]:
    def refuse(self: _DenseArrayRefused, *args: Any) -> NoReturn:
        self._refuse(name.strip("_"))
    refuse.__name__ = name
    return refuse


for _name in ("add", "radd", "sub", "rsub", "mul", "rmul", "truediv", "rtruediv", "floordiv",
              "rfloordiv", "mod", "rmod", "pow", "rpow", "matmul", "rmatmul", "and", "rand",
              "or", "ror", "xor", "rxor", "lshift", "rshift", "neg", "pos", "abs", "invert",
              "lt", "le", "gt", "ge", "eq", "ne", "iadd", "isub", "imul", "itruediv"):
    setattr(_DenseArrayRefused, f"__{_name}__", _refusing_operator(f"__{_name}__"))
setattr(_DenseArrayRefused, "__hash__", object.__hash__)


# ---------------------------------------------------------------------------- patterns
def _unique_pattern(indices: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The coalesced pattern of ``indices`` (sparse_dim, nnz): (unique indices in row-major
    order, order (a stable sort of the entries), starts (where each coordinate's run begins
    in that order), inverse (each entry's coordinate number))."""
    sparse_dim, nnz = indices.shape
    if nnz == 0:
        return indices, np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64)
    if sparse_dim == 0:
        order = np.arange(nnz)
        return indices[:, :1], order, np.zeros(1, np.int64), np.zeros(nnz, np.int64)
    order = np.lexsort(indices[::-1]) if sparse_dim > 1 else np.argsort(indices[0], kind="stable")
    ordered = indices[:, order]
    new = np.empty(nnz, bool)
    new[0] = True
    np.any(ordered[:, 1:] != ordered[:, :-1], axis=0, out=new[1:])
    starts = np.flatnonzero(new)
    inverse = np.empty(nnz, np.int64)
    inverse[order] = np.cumsum(new) - 1
    return ordered[:, starts], order, starts, inverse


def _flat(indices: np.ndarray, sparse_shape: Sequence[int]) -> np.ndarray:
    """Row-major linear positions of the coordinates (sparse_dim, nnz) in sparse_shape."""
    if indices.shape[0] == 0:
        return np.zeros(indices.shape[1], np.int64)
    return np.ravel_multi_index(tuple(indices), sparse_shape)


# ---------------------------------------------------------------------------- the nodes
class _Alias(Function):
    """y = x, the same memory (a sparse tensor's values as a node of its own); dL/dx = dL/dy."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return x.view()

    def backward(self, g: np.ndarray) -> np.ndarray:
        return g


class Coalesce(Function):
    """y_u = sum of values_k over the entries k at coordinate u (duplicates summed, coordinates
    in row-major order);  dL/dvalues_k = dL/dy_u at k's coordinate u."""

    def forward(self, values: np.ndarray, order: np.ndarray, starts: np.ndarray,
                inverse: np.ndarray) -> np.ndarray:
        self.inverse = inverse
        if values.shape[0] == 0:
            return values.copy()
        return np.add.reduceat(values[order], starts, axis=0)

    def backward(self, g: np.ndarray) -> np.ndarray:
        return g[self.inverse]


class ToDense(Function):
    """y = the dense tensor of S: y[i] = sum of values_k over the entries k with indices_k = i
    (0 where none);  dL/dvalues_k = dL/dy[indices_k]."""

    def forward(self, values: np.ndarray, indices: np.ndarray, shape: tuple[int, ...],
                coalesced: bool) -> np.ndarray:
        sparse_shape, dense_shape = shape[:indices.shape[0]], shape[indices.shape[0]:]
        self.flat = flat = _flat(indices, sparse_shape)
        self.rows = rows = int(np.prod(sparse_shape, dtype=np.int64))
        self.dense_shape = dense_shape
        out = np.zeros((rows,) + dense_shape, values.dtype)
        if coalesced:
            out[flat] = values
        else:
            np.add.at(out, flat, values)
        return out.reshape(shape)

    def backward(self, g: np.ndarray) -> np.ndarray:
        return g.reshape((self.rows,) + self.dense_shape)[self.flat]


class Take(Function):
    """values_k = x[indices_k] (the entries of a dense x that ``to_sparse`` keeps; indices
    distinct);  dL/dx = dL/dvalues_k at each indices_k, 0 elsewhere."""

    def forward(self, x: np.ndarray, indices: np.ndarray) -> np.ndarray:
        self.shape, self.dtype, self.where = x.shape, x.dtype, tuple(indices)
        return x[self.where] if indices.shape[0] else x[None]

    def backward(self, g: np.ndarray) -> np.ndarray:
        if not self.where:
            return g[0]
        out = np.zeros(self.shape, g.dtype)
        out[self.where] = g
        return out


def _csr(values: np.ndarray, indices: Union[np.ndarray, Sequence[np.ndarray]],
         shape: Sequence[int]) -> Any:
    """scipy's CSR matrix of a 2-D sparse tensor (duplicates summed)."""
    import scipy.sparse  # the rl extra's dependency, imported when a sparse product runs
    return scipy.sparse.coo_array((values, (indices[0], indices[1])), shape=shape).tocsr()


_SCIPY_UNSUPPORTED = (np.float16,)


class SparseDenseMM(Function):
    """y = S @ D (``left``) or y = D @ S, S a 2-D sparse matrix given by its values, D dense
    (a matrix, or a vector in matmul's sense).

    S @ D:  dL/dD = S^T @ G,  dL/dvalues_k = sum_j G[r_k, j] D[c_k, j]  (G D^T at the nonzeros);
    D @ S:  dL/dD = G @ S^T,  dL/dvalues_k = sum_i D[i, r_k] G[i, c_k]  (D^T G at the nonzeros).
    """

    def forward(self, values: np.ndarray, dense: np.ndarray, indices: np.ndarray,
                shape: tuple[int, ...], left: bool) -> np.ndarray:
        self.dtype = dtype = values.dtype
        work = np.float32 if dtype in _SCIPY_UNSUPPORTED else dtype
        self.matrix = matrix = _csr(values.astype(work, copy=False), indices, shape)
        self.dense, self.indices, self.left = dense, indices, left
        d = dense.astype(work, copy=False)
        y = matrix @ d if left else (matrix.T @ d.T).T
        return np.ascontiguousarray(y, dtype=dtype)

    def backward(self, g: np.ndarray) -> tuple[Optional[np.ndarray], Optional[np.ndarray]]:
        matrix, dense, (rows, cols), left = self.matrix, self.dense, self.indices, self.left
        work = matrix.dtype
        gw = g.astype(work, copy=False)
        grad_values: Optional[np.ndarray] = None
        grad_dense: Optional[np.ndarray] = None
        if self.needs_grad(1):
            grad_dense = (matrix.T @ gw) if left else (matrix @ gw.T).T
            grad_dense = np.ascontiguousarray(grad_dense, dtype=self.dtype)
        if self.needs_grad(0):
            d = dense.astype(work, copy=False)
            if left:
                grad_values = gw[rows] * d[cols] if d.ndim == 1 else \
                    np.einsum("kj,kj->k", gw[rows], d[cols])
            else:
                grad_values = d[rows] * gw[cols] if d.ndim == 1 else \
                    np.einsum("ik,ik->k", d[:, rows], gw[:, cols])
            grad_values = grad_values.astype(self.dtype, copy=False)
        return grad_values, grad_dense


def _sample(matrix: Any, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """matrix[rows_k, cols_k] for a scipy sparse matrix (0 where it holds nothing)."""
    coo = matrix.tocoo()
    coo.sum_duplicates()
    keys = coo.row.astype(np.int64) * matrix.shape[1] + coo.col
    order = np.argsort(keys, kind="stable")
    keys, data = keys[order], coo.data[order]
    wanted = rows.astype(np.int64) * matrix.shape[1] + cols
    at = np.minimum(np.searchsorted(keys, wanted), max(len(keys) - 1, 0))
    found = (keys[at] == wanted) if len(keys) else np.zeros(len(wanted), bool)
    return np.where(found, data[at] if len(keys) else 0, 0).astype(matrix.dtype, copy=False)


class SparseSparseMM(Function):
    """C = A @ B for two 2-D sparse matrices given by their values; C's values at its
    structural pattern (rows_k, cols_k).

    dL/dA_values = (G @ B^T) at A's nonzeros,  dL/dB_values = (A^T @ G) at B's nonzeros,
    G the sparse gradient at C's pattern.
    """

    def forward(self, a: np.ndarray, b: np.ndarray, ia: np.ndarray, shape_a: tuple[int, ...],
                ib: np.ndarray, shape_b: tuple[int, ...], out_rows: np.ndarray,
                out_cols: np.ndarray) -> np.ndarray:
        self.dtype = dtype = a.dtype
        work = np.float32 if dtype in _SCIPY_UNSUPPORTED else dtype
        self.A = _csr(a.astype(work, copy=False), ia, shape_a)
        self.B = _csr(b.astype(work, copy=False), ib, shape_b)
        self.ia, self.ib, self.out = ia, ib, (out_rows, out_cols)
        return _sample(self.A @ self.B, out_rows, out_cols).astype(dtype, copy=False)

    def backward(self, g: np.ndarray) -> tuple[Optional[np.ndarray], Optional[np.ndarray]]:
        rows, cols = self.out
        grad = _csr(g.astype(self.A.dtype, copy=False), (rows, cols),
                    (self.A.shape[0], self.B.shape[1]))
        grad_a = _sample(grad @ self.B.T, self.ia[0], self.ia[1]).astype(self.dtype) \
            if self.needs_grad(0) else None
        grad_b = _sample(self.A.T @ grad, self.ib[0], self.ib[1]).astype(self.dtype) \
            if self.needs_grad(1) else None
        return grad_a, grad_b


class SegmentSoftmax(Function):
    """y_k = e^(v_k) / sum_{j in group(k)} e^(v_j) over the specified entries of each slice
    (unspecified ones count as -inf); ``log``: y_k = v_k - log sum_j e^(v_j).

    softmax: dL/dv = y * (G - sum_group(G * y));  log_softmax: dL/dv = G - e^y * sum_group(G).
    """

    def forward(self, values: np.ndarray, groups: np.ndarray, count: int,
                log: bool) -> np.ndarray:
        shape = (count,) + values.shape[1:]
        top = np.full(shape, -np.inf, values.dtype)
        np.maximum.at(top, groups, values)
        top = np.where(np.isfinite(top), top, 0)
        shifted = values - top[groups]
        e = np.exp(shifted)
        total = np.zeros(shape, values.dtype)
        np.add.at(total, groups, e)
        self.groups, self.shape, self.log = groups, shape, log
        self.y = shifted - np.log(total)[groups] if log else e / total[groups]
        return self.y

    def _group_sum(self, x: np.ndarray) -> np.ndarray:
        total = np.zeros(self.shape, x.dtype)
        np.add.at(total, self.groups, x)
        return total[self.groups]

    def backward(self, g: np.ndarray) -> np.ndarray:
        y = self.y
        if self.log:
            return g - np.exp(y) * self._group_sum(g)
        return y * (g - self._group_sum(g * y))


# ---------------------------------------------------------------------------- the tensor
class SparseCooTensor(Tensor):
    """A sparse COO tensor (``layout=gs.sparse_coo``): ``indices`` (sparse_dim, nnz) int64 and
    ``values`` (nnz, *dense_shape), S = sum_k values[k] at indices[:, k]. Made by
    ``gs.sparse_coo_tensor`` or ``x.to_sparse()``; a Tensor whose autograd state
    (``requires_grad``, ``grad_fn``, ``is_leaf``, ``grad``) is its values'. Dense ops refuse
    it (NotImplementedError naming the op: call ``to_dense()``)."""

    __slots__ = ("_sparse_indices", "_sparse_values", "_is_coalesced")

    _sparse_indices: np.ndarray  # (sparse_dim, nnz) int64
    _sparse_values: Tensor  # (nnz, *dense_shape)
    _is_coalesced: bool

    @classmethod
    def _make(cls, indices: np.ndarray, values: Tensor, shape: Sequence[int],
              coalesced: bool) -> SparseCooTensor:
        out = cls.__new__(cls)
        # the stand-in has the dense array's shape and dtype, and refuses every other use
        out.array = typing.cast(np.ndarray, _DenseArrayRefused(shape, values.array.dtype))
        out._sparse_indices, out._sparse_values = indices, values
        out._is_coalesced = bool(coalesced)
        out._ctx, out._hooks, out._version = None, None, 0
        return out

    def _like(self, values: Tensor, indices: Optional[np.ndarray] = None,
              shape: Optional[Sequence[int]] = None,
              coalesced: Optional[bool] = None) -> SparseCooTensor:
        """A sparse tensor with new values (and indices, shape, coalesced flag if given)."""
        return SparseCooTensor._make(self._sparse_indices if indices is None else indices,
                                     values, self.shape if shape is None else tuple(shape),
                                     self._is_coalesced if coalesced is None else coalesced)

    # ------------------------------------------------------------ autograd state
    @property
    def requires_grad(self) -> bool:
        """Whether the values record operations for autograd."""
        return self._sparse_values.requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        self._sparse_values.requires_grad = bool(flag)

    @property
    def grad(self) -> Optional[SparseCooTensor]:
        """dL/dS as a sparse tensor on the coalesced pattern of S (None before backward): the
        values' gradient, one entry per coordinate."""
        g = self._sparse_values.grad
        if g is None:
            return None
        if self._is_coalesced:
            return SparseCooTensor._make(self._sparse_indices, Tensor._wrap(g.array), self.shape,
                                         True)
        unique, order, starts, _ = _unique_pattern(self._sparse_indices)
        return SparseCooTensor._make(unique, Tensor._wrap(g.array[order[starts]]), self.shape,
                                     True)

    @grad.setter
    def grad(self, value: Optional[TensorLike]) -> None:
        if value is None:
            self._sparse_values.grad = None
            return
        dense = to_dense(value).array if isinstance(value, Tensor) else np.asarray(value)
        if dense.shape != self.shape:
            raise ValueError(f"grad: assigned gradient of shape {dense.shape} does not match the "
                             f"sparse tensor's shape {self.shape}")
        rows = int(np.prod(self.shape[:self.sparse_dim()], dtype=np.int64))
        flat = _flat(self._sparse_indices, self.shape[:self.sparse_dim()])
        self._sparse_values.grad = Tensor._wrap(
            dense.reshape((rows,) + self.shape[self.sparse_dim():])[flat].astype(self.dtype))

    @property
    def is_leaf(self) -> bool:
        """True when no op made the values (a user-created sparse tensor)."""
        return self._sparse_values._ctx is None

    @property
    def grad_fn(self) -> Optional[Function]:
        """The Function node that produced the values, None for a leaf."""
        return self._sparse_values._ctx

    @property
    def data(self) -> SparseCooTensor:
        """The same indices and values, cut from the graph."""
        return self.detach()

    @data.setter
    def data(self, value: TensorLike) -> None:
        if not isinstance(value, SparseCooTensor):
            raise TypeError("data: a sparse tensor's data can only be set to a sparse tensor")
        self.array = value.array
        self._sparse_indices, self._sparse_values = value._sparse_indices, value._sparse_values
        self._is_coalesced = value._is_coalesced

    def detach(self) -> SparseCooTensor:
        """The same indices and values (shared), cut from the graph."""
        return self._like(Tensor._wrap(self._sparse_values.array))

    def requires_grad_(self, requires_grad: bool = True) -> SparseCooTensor:
        """Set whether the values record operations for autograd; returns self."""
        self._sparse_values.requires_grad_(requires_grad)
        return self

    def retain_grad(self) -> None:
        """Keep dL/dS in ``.grad`` at the next backward, though S is not a leaf."""
        self._sparse_values.retain_grad()

    def register_hook(self, hook: Callable[[Tensor], Optional[Tensor]]) -> NoReturn:
        """Not supported on a sparse tensor: hook ``s.values()`` (or ``s._values()``)."""
        raise NotImplementedError("register_hook: not supported for a sparse COO tensor; register "
                                  "the hook on s.coalesce().values() instead")

    def backward(self, gradient: Optional[TensorLike] = None,
                 retain_graph: Optional[bool] = False) -> None:
        """Backpropagate dL/dS = ``gradient`` (sparse or dense, shaped like S; omitted only when
        S has one element) through the values."""
        if not self.requires_grad:
            raise RuntimeError("backward: this sparse tensor does not require grad and has no "
                               "graph")
        if gradient is None:
            if self.numel() != 1:
                raise RuntimeError(f"backward: grad can be implicitly created only for a "
                                   f"one-element tensor; this one has shape {self.shape}: pass "
                                   "gradient=")
            dense = np.ones(self.shape, self.dtype)
        elif isinstance(gradient, Tensor):
            dense = to_dense(gradient).array
        else:
            dense = _to_array(gradient, self.dtype)
        if dense.shape != self.shape:
            raise ValueError(f"backward: gradient of shape {dense.shape} does not match the "
                             f"tensor's shape {self.shape}")
        sd = self.sparse_dim()
        rows = int(np.prod(self.shape[:sd], dtype=np.int64))
        flat = _flat(self._sparse_indices, self.shape[:sd])
        g = dense.reshape((rows,) + self.shape[sd:])[flat].astype(self.dtype, copy=False)
        self._sparse_values.backward(Tensor._wrap(g), retain_graph=retain_graph)

    # ------------------------------------------------------------ conversions and display
    def __repr__(self) -> str:
        indices = np.array2string(self._sparse_indices, separator=", ",
                                  prefix="tensor(indices=tensor(")
        values = np.array2string(self._sparse_values.array, separator=", ", precision=4,
                                 prefix="       values=tensor(")
        extras = [f"size={self.shape}", f"nnz={self._nnz()}"]
        if self.dtype not in (backend.get_default_dtype(), np.int64):
            extras.append(f"dtype={self.dtype}")
        extras.append("layout=torch.sparse_coo")
        if self.grad_fn is not None:
            extras.append(f"grad_fn=<{type(self.grad_fn).__name__}Backward>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return (f"tensor(indices=tensor({indices}),\n       values=tensor({values}),\n       "
                + ", ".join(extras) + ")")

    def __array__(self, dtype: Optional[DType] = None, copy: Optional[bool] = None) -> NoReturn:
        raise TypeError("can't convert a sparse layout tensor to a NumPy array: use "
                        "s.to_dense() first")

    def numpy(self) -> NoReturn:
        """Raises: a sparse tensor has no dense array (``s.to_dense().numpy()``)."""
        raise TypeError("numpy: can't convert a sparse layout tensor to numpy; use "
                        "s.to_dense().numpy() (or s.coalesce().indices() / .values())")

    def tolist(self) -> NoReturn:
        """Raises: a sparse tensor has no dense array (``s.to_dense().tolist()``)."""
        raise TypeError("tolist: can't convert a sparse layout tensor to lists; use "
                        "s.to_dense().tolist()")

    def clone(self, *, memory_format: Any = None) -> SparseCooTensor:
        """A copy: the indices copied, the values cloned (differentiable)."""
        from .elementwise import clone
        return self._like(clone(self._sparse_values), indices=self._sparse_indices.copy())

    def to(self, *args: Any, dtype: Optional[DType] = None, device: Optional[DeviceLike] = None,
           non_blocking: bool = False, copy: bool = False,
           memory_format: Any = None) -> SparseCooTensor:
        """S with its values in another dtype (``s.to(dtype)``; the CPU is the only device);
        differentiable between floating dtypes."""
        device, dtype = devices.to_arguments(args, device, dtype)
        devices.check(device, "to")
        if dtype is None or backend.as_dtype(dtype) == self.dtype:
            return self.clone() if copy else self
        return self._like(cast(self._sparse_values, backend.as_dtype(dtype)))

    # ------------------------------------------------------------ sparse ops as methods
    def mm(self, mat2: Tensor) -> Tensor:
        """S @ mat2 (``gs.sparse.mm``)."""
        return _product("mm", self, mat2)

    def matmul(self, other: Tensor) -> Tensor:
        """S @ other (``gs.matmul`` with a sparse operand)."""
        return _product("matmul", self, other, vectors=True)

    def __matmul__(self, other: Any) -> Tensor:
        return _product("matmul", self, other, vectors=True)

    def __rmatmul__(self, other: Any) -> Tensor:
        return _product("matmul", other, self, vectors=True)

    def sum(self, dim: Optional[DimLike] = None, keepdim: bool = False,
            dtype: Optional[DType] = None, *, axis: Optional[DimLike] = None) -> Tensor:
        """``gs.sparse.sum(s, dim, dtype)`` (``keepdim`` is not supported for sparse tensors);
        ``axis`` is an alias of ``dim``, as for a dense tensor."""
        from .reduce import _dim
        dim = _dim("sum", dim, axis)
        if keepdim:
            raise NotImplementedError("sum: keepdim=True is not supported for a sparse COO tensor")
        return sparse_sum(self, dim, dtype=dtype)

    def t(self) -> SparseCooTensor:
        """The transpose of a 2-D sparse matrix (indices swapped; uncoalesced, as torch)."""
        if self.ndim > 2:
            raise ValueError(f"t: expects a tensor with <= 2 dimensions, got shape {self.shape}")
        return self.transpose(0, 1) if self.ndim == 2 else self

    def transpose(self, dim0: int, dim1: int) -> SparseCooTensor:
        """S with dimensions dim0 and dim1 swapped (both sparse, or both dense)."""
        n = self.ndim
        for d in (dim0, dim1):
            if not -n <= d < n:
                raise IndexError(f"transpose: dim {d} is out of range for shape {self.shape}")
        dim0, dim1 = dim0 % n, dim1 % n
        sd = self.sparse_dim()
        shape = list(self.shape)
        shape[dim0], shape[dim1] = shape[dim1], shape[dim0]
        if dim0 < sd and dim1 < sd:
            indices = self._sparse_indices.copy()
            indices[[dim0, dim1]] = indices[[dim1, dim0]]
            return self._like(_fresh(self._sparse_values), indices=indices, shape=shape,
                              coalesced=dim0 == dim1 and self._is_coalesced)
        if dim0 >= sd and dim1 >= sd:
            from .shape import transpose
            return self._like(transpose(self._sparse_values, dim0 - sd + 1, dim1 - sd + 1),
                              shape=shape)
        raise NotImplementedError("transpose: swapping a sparse and a dense dimension is not "
                                  "supported for a sparse COO tensor")

    def __add__(self, other: Any) -> SparseCooTensor:
        return _sparse_add("add", self, other, 1)

    def __sub__(self, other: Any) -> SparseCooTensor:
        return _sparse_add("sub", self, other, -1)

    def __radd__(self, other: Any) -> Tensor:
        from .elementwise import add
        return add(_dense_operand("add", other), to_dense(self))

    def __rsub__(self, other: Any) -> Tensor:
        from .elementwise import sub
        return sub(_dense_operand("sub", other), to_dense(self))

    def __mul__(self, other: Any) -> SparseCooTensor:
        return self._like(_fresh_mul(self._sparse_values, _scalar("mul", other)))

    def __rmul__(self, other: Any) -> SparseCooTensor:
        return self._like(_fresh_mul(self._sparse_values, _scalar("mul", other)))

    def __truediv__(self, other: Any) -> SparseCooTensor:
        from .elementwise import div
        return self._like(div(self._sparse_values, _scalar("div", other)))

    def __neg__(self) -> SparseCooTensor:
        from .elementwise import neg
        return self._like(neg(self._sparse_values))


def _conversion(name: str, dtype: type) -> None:
    def convert(self: SparseCooTensor) -> SparseCooTensor:
        return self.to(dtype)
    convert.__name__ = name
    convert.__doc__ = f"S with its values as {np.dtype(dtype)} (``s.to({np.dtype(dtype)})``)."
    setattr(SparseCooTensor, name, convert)


for _name, _dtype in (("float", np.float32), ("double", np.float64), ("half", np.float16),
                      ("long", np.int64), ("int", np.int32), ("bool", np.bool_)):
    _conversion(_name, _dtype)


def _fresh(values: Tensor) -> Tensor:
    """values as a node of its own when it records (a new sparse tensor is not a leaf)."""
    return _Alias.apply(values) if values.requires_grad else values


def _fresh_mul(values: Tensor, scalar: Any) -> Tensor:
    from .elementwise import mul
    return mul(values, scalar)


def _scalar(op: str, other: Any) -> Any:
    if isinstance(other, SparseCooTensor) or (isinstance(other, Tensor) and other.ndim):
        raise NotImplementedError(f"{op}: a sparse COO tensor times a tensor of shape "
                                  f"{tuple(other.shape)} is not supported: multiply by a number "
                                  "(or a 0-d tensor), or use s.to_dense()")
    if not isinstance(other, (Tensor, int, float, complex, np.number)) or isinstance(other, bool):
        raise TypeError(f"{op}: unsupported operand type {type(other).__name__} for a sparse "
                        "COO tensor")
    return other


def _dense_operand(op: str, other: Any) -> Tensor:
    if not isinstance(other, Tensor):
        raise TypeError(f"{op}: a number and a sparse COO tensor: unsupported; use "
                        "s.to_dense() first")
    return other


def _sparse_add(op: str, a: SparseCooTensor, b: Any, sign: int) -> SparseCooTensor:
    """a + sign * b for two sparse tensors of one shape: the entries side by side
    (uncoalesced, as torch)."""
    if not isinstance(b, SparseCooTensor):
        raise RuntimeError(f"{op}: {op}(sparse, dense) is not supported: use {op}(dense, sparse) "
                           "(dense + sparse gives a dense tensor) or s.to_dense()")
    if a.shape != b.shape or a.sparse_dim() != b.sparse_dim():
        raise ValueError(f"{op}: sparse tensors of shapes {a.shape} (sparse_dim {a.sparse_dim()}) "
                         f"and {b.shape} (sparse_dim {b.sparse_dim()}) differ")
    from .elementwise import neg
    from .shape import cat
    from .promotion import promote_types
    dtype = promote_types(a.dtype, b.dtype)
    va, vb = a._sparse_values, b._sparse_values
    va = va if va.dtype == dtype else cast(va, dtype)
    vb = vb if vb.dtype == dtype else cast(vb, dtype)
    values = cat([va, vb if sign > 0 else neg(vb)])
    indices = np.concatenate([a._sparse_indices, b._sparse_indices], axis=1)
    return SparseCooTensor._make(indices, values, a.shape, indices.shape[1] == 0)


# ---------------------------------------------------------------------------- construction
def _index_array(indices: TensorLike) -> np.ndarray:
    if isinstance(indices, SparseCooTensor):
        raise TypeError("sparse_coo_tensor: indices must be a dense integer tensor, got a sparse "
                        "one")
    array = indices.array if isinstance(indices, Tensor) else np.asarray(indices)
    if array.dtype.kind == "f" and array.size and not np.all(np.isfinite(array) &
                                                             (array == np.round(array))):
        raise TypeError(f"sparse_coo_tensor: indices must be integers, got {array.dtype} values "
                        "with a fraction")
    if array.dtype.kind not in "iuf":
        raise TypeError(f"sparse_coo_tensor: indices must be an integer tensor, got "
                        f"{array.dtype}")
    if array.ndim != 2:
        raise ValueError(f"sparse_coo_tensor: indices must be sparse_dim x nnz (2-D), but got "
                         f"shape {array.shape}")
    return array.astype(np.int64, copy=False)


def sparse_coo_tensor(indices: TensorLike, values: TensorLike,
                      size: Optional[Sequence[int]] = None, *,
                      dtype: Optional[DType] = None, device: Optional[DeviceLike] = None,
                      pin_memory: bool = False, requires_grad: bool = False,
                      check_invariants: Optional[bool] = None,
                      is_coalesced: Optional[bool] = None) -> SparseCooTensor:
    """S = sum_k values[k] placed at indices[:, k], a sparse COO tensor (duplicates add up,
    kept until ``coalesce()``), as ``torch.sparse_coo_tensor``.

    ``indices`` is (sparse_dim, nnz) integers, ``values`` (nnz, *dense_shape); ``size`` defaults
    to (max index + 1 per sparse dim, *dense_shape). Indices are always checked against
    ``size`` (torch checks only under ``check_invariants``): a negative or too-large index is an
    IndexError naming the dim, the index and the size. ``requires_grad=True`` makes S a leaf;
    values that require grad make S a node whose gradient reaches them. ``is_coalesced=True``
    asserts sorted distinct indices (verified when ``check_invariants``).
    """
    devices.check(device, "sparse_coo_tensor")
    idx = _index_array(indices)
    if isinstance(values, SparseCooTensor):
        raise TypeError("sparse_coo_tensor: values must be a dense tensor, got a sparse one")
    target = None if dtype is None else backend.as_dtype(dtype)
    if isinstance(values, Tensor):
        vals = values if target is None or values.dtype == target else cast(values, target)
    else:
        vals = Tensor._wrap(_to_array(values, target))
    if vals.ndim == 0:
        raise ValueError(f"sparse_coo_tensor: values must have a first dimension of nnz "
                         f"({idx.shape[1]}), got a 0-d tensor")
    sparse_dim, nnz = idx.shape
    if vals.shape[0] != nnz:
        raise ValueError(f"sparse_coo_tensor: indices of shape {idx.shape} give nnz {nnz}, but "
                         f"values of shape {tuple(vals.shape)} give nnz {vals.shape[0]}")
    dense_shape = tuple(vals.shape[1:])
    if nnz and sparse_dim:
        low = idx.min(axis=1)
        if (low < 0).any():
            dim = int(np.argmax(low < 0))
            raise IndexError(f"sparse_coo_tensor: found negative index {int(low[dim])} for dim "
                             f"{dim}")
    if size is None:
        top = idx.max(axis=1) + 1 if nnz else np.zeros(sparse_dim, np.int64)
        shape = tuple(int(n) for n in top) + dense_shape
    else:
        shape = tuple(int(n) for n in size)
        if len(shape) != sparse_dim + len(dense_shape):
            raise ValueError(f"sparse_coo_tensor: size {shape} has {len(shape)} dimensions, but "
                             f"indices of shape {idx.shape} give sparse_dim {sparse_dim} and "
                             f"values of shape {tuple(vals.shape)} dense_dim {len(dense_shape)}")
        if shape[sparse_dim:] != dense_shape:
            raise ValueError(f"sparse_coo_tensor: size {shape} has dense dimensions "
                             f"{shape[sparse_dim:]}, but values of shape {tuple(vals.shape)} "
                             f"give {dense_shape}")
        if nnz and sparse_dim:
            top = idx.max(axis=1)
            over = top >= np.array(shape[:sparse_dim])
            if over.any():
                dim = int(np.argmax(over))
                raise IndexError(f"sparse_coo_tensor: size is inconsistent with indices: for "
                                 f"dim {dim}, size is {shape[dim]} but found index {int(top[dim])}")
    coalesced = nnz <= 1 if is_coalesced is None else bool(is_coalesced)
    if coalesced and check_invariants and nnz > 1:
        unique = _unique_pattern(idx)[0]
        if unique.shape != idx.shape or (unique != idx).any():
            raise ValueError("sparse_coo_tensor: is_coalesced=True but the indices are not sorted "
                             "and distinct")
    if vals.requires_grad:
        vals = _Alias.apply(vals)
    elif requires_grad:
        if vals.dtype.kind not in "fc":
            raise RuntimeError(f"sparse_coo_tensor: only floating values can require grad, not "
                               f"{vals.dtype}")
        vals = Tensor._wrap(vals.array).requires_grad_(True)
    return SparseCooTensor._make(idx, vals, shape, coalesced)


# ---------------------------------------------------------------------------- Tensor methods
def _strided_error(op: str) -> RuntimeError:
    return RuntimeError(f"{op} expected sparse coordinate tensor layout but got Strided (a dense "
                        "tensor): make one with x.to_sparse() or gs.sparse_coo_tensor")


def _sparse(op: str, input: Any) -> SparseCooTensor:
    if not isinstance(input, SparseCooTensor):
        if isinstance(input, Tensor):
            raise _strided_error(op)
        raise TypeError(f"{op}: expects a sparse COO tensor, got {type(input).__name__}")
    return input


@tensor_property("is_sparse")
def is_sparse(input: Tensor) -> bool:
    """True for a sparse COO tensor (``layout == gs.sparse_coo``), False for a dense one."""
    return isinstance(input, SparseCooTensor)


@tensor_property("layout")
def layout_of(input: Tensor) -> layout:
    """The memory layout: ``gs.sparse_coo`` for a sparse COO tensor, else ``gs.strided``."""
    return sparse_coo if isinstance(input, SparseCooTensor) else strided


@tensor_method("to_sparse")
def to_sparse(input: Tensor, sparse_dim: Optional[int] = None, *, layout: Any = None,
              blocksize: Optional[Sequence[int]] = None,
              dense_dim: Optional[int] = None) -> SparseCooTensor:
    """S with S.to_dense() == input: the coordinates of the nonzero entries (of the nonzero
    (dense_dim)-slices when ``sparse_dim`` < ndim), coalesced; differentiable (gradient dL/dS
    at those entries, 0 elsewhere). A sparse input with its own ``sparse_dim`` is returned."""
    if layout is not None and layout is not sparse_coo:
        raise NotImplementedError(f"to_sparse: layout {layout!r} is not supported: gradsheet has "
                                  "sparse_coo only")
    if blocksize is not None:
        raise NotImplementedError("to_sparse: blocksize is for the block layouts (BSR/BSC), which "
                                  "gradsheet does not have")
    if not isinstance(input, Tensor):
        raise TypeError(f"to_sparse: expects a tensor, got {type(input).__name__}")
    ndim = input.ndim
    if sparse_dim is None and dense_dim is not None:
        sparse_dim = ndim - int(dense_dim)
    if isinstance(input, SparseCooTensor):
        if sparse_dim is not None and sparse_dim != input.sparse_dim():
            raise RuntimeError(f"to_sparse: conversion from sparse to sparse with sparse_dim "
                               f"{sparse_dim} != self.sparse_dim() {input.sparse_dim()} is not "
                               "supported")
        return input
    sd = ndim if sparse_dim is None else int(sparse_dim)
    if not 0 <= sd <= ndim:
        raise ValueError(f"to_sparse: sparse_dim must be in [0, {ndim}] for shape "
                         f"{tuple(input.shape)}, but {sd} is given")
    if sd == 0 and ndim > 0:
        raise ValueError(f"to_sparse: sparse_dim must be > 0 for a tensor with dimensions "
                         f"(shape {tuple(input.shape)})")
    x = input.array
    if sd == 0:
        idx = np.zeros((0, 1), np.int64)
    else:
        block = x.reshape(x.shape[:sd] + (int(np.prod(x.shape[sd:], dtype=np.int64)),))
        idx = np.array(np.nonzero((block != 0).any(axis=-1)), dtype=np.int64).reshape(sd, -1)
    return SparseCooTensor._make(idx, Take.apply(input, idx), tuple(x.shape), True)


@tensor_method("to_dense")
def to_dense(input: Tensor, dtype: Optional[DType] = None, *, masked_grad: Optional[bool] = None) -> Tensor:
    """The dense tensor of S: y[i] = sum of the values at coordinate i, 0 where none;
    differentiable (dL/dvalues_k = dL/dy[indices_k]). A dense input is returned itself
    (converted when ``dtype`` is given)."""
    if not isinstance(input, SparseCooTensor):
        if dtype is None or input.dtype == backend.as_dtype(dtype):
            return input
        return cast(input, backend.as_dtype(dtype))
    if dtype is not None:
        raise RuntimeError("to_dense: dtype argument is not supported by sparse_to_dense: use "
                           "s.to_dense().to(dtype)")
    return ToDense.apply(input._sparse_values, input._sparse_indices, input.shape,
                         input._is_coalesced)


@tensor_method("coalesce")
def coalesce(input: SparseCooTensor) -> SparseCooTensor:
    """S with its duplicates summed: one entry per coordinate, coordinates in row-major order
    (values_u = sum of the values at u; gradient dL/dvalues_k = dL/dvalues_u). S itself when it
    is coalesced already."""
    s = _sparse("coalesce", input)
    if s._is_coalesced:
        return s
    unique, order, starts, inverse = _unique_pattern(s._sparse_indices)
    values = Coalesce.apply(s._sparse_values, order, starts, inverse)
    return SparseCooTensor._make(unique, values, s.shape, True)


@tensor_method("is_coalesced")
def is_coalesced(input: SparseCooTensor) -> bool:
    """Whether S is marked coalesced (sorted distinct coordinates): by ``coalesce()``,
    ``to_sparse()``, nnz <= 1, or ``is_coalesced=True`` at construction."""
    return _sparse("is_coalesced", input)._is_coalesced


@tensor_method("indices")
def indices(input: SparseCooTensor) -> Tensor:
    """The coordinates (sparse_dim, nnz), int64, of a coalesced sparse tensor (RuntimeError on
    an uncoalesced one: call ``coalesce()`` first)."""
    s = _sparse("indices", input)
    if not s._is_coalesced:
        raise RuntimeError("indices: Cannot get indices on an uncoalesced tensor, please call "
                           ".coalesce() first")
    return Tensor._wrap(s._sparse_indices)


@tensor_method("values")
def values(input: SparseCooTensor) -> Tensor:
    """The values (nnz, *dense_shape) of a coalesced sparse tensor, sharing its memory and
    differentiable (RuntimeError on an uncoalesced one: call ``coalesce()`` first)."""
    s = _sparse("values", input)
    if not s._is_coalesced:
        raise RuntimeError("values: Cannot get values on an uncoalesced tensor, please call "
                           ".coalesce() first")
    return _values(s)


@tensor_method("_indices")
def _indices(input: SparseCooTensor) -> Tensor:
    """The coordinates (sparse_dim, nnz) as stored, coalesced or not (torch's ``_indices``)."""
    return Tensor._wrap(_sparse("_indices", input)._sparse_indices)


@tensor_method("_values")
def _values(input: SparseCooTensor) -> Tensor:
    """The values as stored, coalesced or not (torch's ``_values``), sharing memory."""
    v = _sparse("_values", input)._sparse_values
    return _Alias.apply(v) if v.requires_grad else Tensor._wrap(v.array)


@tensor_method("_nnz")
def _nnz(input: SparseCooTensor) -> int:
    """The number of stored entries (duplicates counted)."""
    return int(_sparse("_nnz", input)._sparse_indices.shape[1])


@tensor_method("sparse_dim")
def sparse_dim(input: Tensor) -> int:
    """The number of sparse dimensions (rows of ``indices``); 0 for a dense tensor."""
    return int(input._sparse_indices.shape[0]) if isinstance(input, SparseCooTensor) else 0


@tensor_method("dense_dim")
def dense_dim(input: Tensor) -> int:
    """The number of dense dimensions (of each value); ndim for a dense tensor."""
    if isinstance(input, SparseCooTensor):
        return input._sparse_values.ndim - 1
    return input.ndim


# ---------------------------------------------------------------------------- products
def _matrix(op: str, s: SparseCooTensor) -> None:
    if s.sparse_dim() != 2 or s.dense_dim() != 0:
        raise ValueError(f"{op}: a sparse operand must be a 2-D sparse matrix (sparse_dim 2, "
                         f"dense_dim 0), got shape {s.shape} with sparse_dim {s.sparse_dim()} "
                         f"and dense_dim {s.dense_dim()}")


def _product(op: str, a: Any, b: Any, vectors: bool = False) -> Tensor:
    """a @ b with at least one sparse 2-D matrix (``vectors``: a 1-D dense operand allowed)."""
    for x in (a, b):
        if not isinstance(x, Tensor):
            raise TypeError(f"{op}: expects tensors, got {type(x).__name__}")
    a_sparse, b_sparse = isinstance(a, SparseCooTensor), isinstance(b, SparseCooTensor)
    if not (a_sparse or b_sparse):
        return _linalg.matmul(a, b) if vectors else _linalg.mm(a, b)
    for x in (a, b):
        if isinstance(x, SparseCooTensor):
            _matrix(op, x)
        elif not (x.ndim == 2 or (vectors and x.ndim == 1)):
            raise ValueError(f"{op}: shapes {tuple(a.shape)} and {tuple(b.shape)}: with a sparse "
                             f"matrix the dense operand must be {'1-D or ' if vectors else ''}"
                             f"2-D, got {x.ndim}-D")
    inner_a = a.shape[-1]
    inner_b = b.shape[0]
    if inner_a != inner_b:
        kinds = f"{'sparse' if a_sparse else 'dense'} {tuple(a.shape)} @ " \
                f"{'sparse' if b_sparse else 'dense'} {tuple(b.shape)}"
        raise ValueError(f"{op}: {kinds}: inner dimensions {inner_a} and {inner_b} differ")
    if a.dtype != b.dtype:
        raise TypeError(f"{op}: operands of dtypes {a.dtype} and {b.dtype} differ (a sparse "
                        "product takes one dtype, as torch): convert one with .to(dtype)")
    if a_sparse and b_sparse:
        pattern = (_csr(np.ones(a._nnz()), a._sparse_indices, a.shape) @
                   _csr(np.ones(b._nnz()), b._sparse_indices, b.shape)).tocoo()
        pattern.sum_duplicates()
        rows, cols = pattern.row.astype(np.int64), pattern.col.astype(np.int64)
        order = np.lexsort((cols, rows))
        rows, cols = rows[order], cols[order]
        values = SparseSparseMM.apply(a._sparse_values, b._sparse_values, a._sparse_indices,
                                      a.shape, b._sparse_indices, b.shape, rows, cols)
        return SparseCooTensor._make(np.stack([rows, cols]), values, (a.shape[0], b.shape[1]),
                                     True)
    if a_sparse:
        return SparseDenseMM.apply(a._sparse_values, b, a._sparse_indices, a.shape, True)
    return SparseDenseMM.apply(b._sparse_values, a, b._sparse_indices, b.shape, False)


def mm(input: Tensor, mat2: Tensor) -> Tensor:
    """y = input @ mat2 for 2-D matrices, either or both sparse COO (``torch.mm``): sparse @
    dense and dense @ sparse give a dense matrix, with gradients S^T G (dense operand) and
    G D^T at the nonzeros (the values); sparse @ sparse a sparse one. Two dense matrices are
    ``gs.ops.linalg.mm``. Raises ValueError naming both shapes when they do not align."""
    if isinstance(input, SparseCooTensor) or isinstance(mat2, SparseCooTensor):
        return _product("mm", input, mat2)
    return _linalg.mm(input, mat2)


def matmul(input: Tensor, other: Tensor) -> Tensor:
    """y = input @ other (``torch.matmul``); with a sparse COO 2-D matrix on either side the
    other may be a dense matrix or vector (or sparse matrix): the sparse product of ``mm``.
    Dense operands follow ``gs.ops.linalg.matmul`` (batched, broadcasting)."""
    if isinstance(input, SparseCooTensor) or isinstance(other, SparseCooTensor):
        return _product("matmul", input, other, vectors=True)
    return _linalg.matmul(input, other)


def spmm(input: SparseCooTensor, mat2: Tensor) -> Tensor:
    """y = input @ mat2 with ``input`` sparse COO (``torch.spmm``, the GCN aggregation Â X):
    ``mm`` of a sparse and a dense matrix, gradients S^T G and G D^T at the nonzeros."""
    return mm(input, mat2)


def sparse_mm(mat1: Tensor, mat2: Tensor, reduce: Optional[str] = None) -> Tensor:
    """y = mat1 @ mat2, at least one of them sparse COO (``torch.sparse.mm``): sparse @ dense
    and dense @ sparse give dense, sparse @ sparse gives sparse (coalesced); gradients S^T G
    for a dense operand and G D^T at the nonzeros for the values. ``reduce`` (CSR only in
    torch) is not supported."""
    if reduce is not None:
        raise NotImplementedError(f"sparse.mm: reduce={reduce!r} is for CSR tensors, which "
                                  "gradsheet does not have")
    return _product("sparse.mm", mat1, mat2)


# ---------------------------------------------------------------------------- reductions
def _dims(op: str, dim: DimLike, ndim: int) -> list[int]:
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    out: list[int] = []
    for d in dims:
        if not -ndim <= d < ndim:
            raise IndexError(f"{op}: Dimension out of range (expected to be in range of "
                             f"[{-ndim}, {ndim - 1}], but got {d})")
        d = int(d) % ndim
        if d in out:
            raise ValueError(f"{op}: dim {d} appears multiple times in the list of dims")
        out.append(d)
    return out


def sparse_sum(input: SparseCooTensor, dim: Optional[DimLike] = None,
               dtype: Optional[DType] = None) -> Tensor:
    """y = sum of S's entries over ``dim`` (None: all, a 0-d dense tensor), as
    ``torch.sparse.sum``: reducing every sparse dimension gives a dense tensor, else a
    coalesced sparse one; gradient 1 at each entry summed."""
    from .reduce import sum as dense_sum
    s = _sparse("sparse.sum", input)
    vals = s._sparse_values if dtype is None else cast(s._sparse_values, backend.as_dtype(dtype))
    if dim is None:
        return dense_sum(vals)
    dims = _dims("sparse.sum", dim, s.ndim)
    sd = s.sparse_dim()
    dense_axes = tuple(d - sd + 1 for d in dims if d >= sd)
    if dense_axes:
        vals = dense_sum(vals, dim=dense_axes)
    kept = [d for d in range(sd) if d not in dims]
    if not kept:
        return dense_sum(vals, dim=0)
    shape = tuple(s.shape[d] for d in kept) + tuple(n for d, n in enumerate(s.shape)
                                                    if d >= sd and d not in dims)
    return coalesce(SparseCooTensor._make(s._sparse_indices[kept], _fresh(vals), shape, False))


def _softmax(op: str, input: SparseCooTensor, dim: int, dtype: Optional[DType],
             log: bool) -> SparseCooTensor:
    from .activation import log_softmax as dense_log_softmax, softmax as dense_softmax
    s = _sparse(op, input)
    if dtype is not None:
        s = s.to(dtype)
    if s.dtype.kind not in "fc":
        raise TypeError(f"{op}: not implemented for {s.dtype} (a floating sparse tensor is "
                        "needed; pass dtype=)")
    d = _dims(op, dim, s.ndim)[0]
    s = coalesce(s)
    sd = s.sparse_dim()
    if d >= sd:
        vals = (dense_log_softmax if log else dense_softmax)(s._sparse_values, d - sd + 1)
    else:
        others = np.delete(s._sparse_indices, d, axis=0)
        unique, _, _, groups = _unique_pattern(others)
        vals = SegmentSoftmax.apply(s._sparse_values, groups, unique.shape[1], log)
    return SparseCooTensor._make(s._sparse_indices, vals, s.shape, True)


def sparse_softmax(input: SparseCooTensor, dim: int, *, dtype: Optional[DType] = None) -> SparseCooTensor:
    """y_k = e^(v_k) / sum_j e^(v_j) over the specified entries of each slice along ``dim``
    (unspecified ones count as -inf), as ``torch.sparse.softmax``: a coalesced sparse tensor
    of S's pattern; gradient y * (G - sum_j G_j y_j) per slice."""
    return _softmax("sparse.softmax", input, dim, dtype, False)


def sparse_log_softmax(input: SparseCooTensor, dim: int, *, dtype: Optional[DType] = None) -> SparseCooTensor:
    """y_k = v_k - log sum_j e^(v_j) over the specified entries of each slice along ``dim``, as
    ``torch.sparse.log_softmax``; gradient G - e^y * sum_j G_j per slice."""
    return _softmax("sparse.log_softmax", input, dim, dtype, True)
