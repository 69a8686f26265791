"""Matrix products and linear algebra: ``matmul`` and the fused ``linear``; mm, bmm, mv, dot,
inner, outer, the fused add-products (addmm & co), ``einsum`` and ``tensordot`` (a contraction
of two operands is ONE GEMM: the operands are transposed and reshaped into a matmul), kron,
cross, cdist, trace, matrix powers and chain products; and the decompositions and solvers of
``gradsheet.linalg`` (inv, det, slogdet, solve, cholesky, qr, svd, eigh, pinv, lstsq, norms),
each one node with its hand-written backward.

Several outputs of one decomposition (Q and R, U, S and Vh) leave their node packed side by
side on one last axis and are handed out as differentiable slices of it.
"""
from __future__ import annotations

import collections
import string
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, NoReturn, Optional, Union

import numpy as np

from ._checks import tensor_args
from ..autograd.function import Function
from ..autograd.methods import tensor_method
from ..autograd.tensor import Tensor, as_tensor
from . import promotion
from .elementwise import _convert, _operand, _operands, cast, mul, where
from .reduce import vector_norm
from .shape import permute, reshape
from .subscript import getitem

if TYPE_CHECKING:
    from .._typing import DType, DimLike, Number

# pinv's and matrix_rank's atol / rtol: a number or a Tensor (as the Pinv node gets them: it is
# a parameter, not an input), or its array
_Tolerance = Union[float, Tensor, np.ndarray, None]


def _matmul_error(a: np.ndarray, b: np.ndarray) -> ValueError:
    ka = a.shape[-1] if a.ndim else None
    kb = b.shape[-2] if b.ndim >= 2 else (b.shape[0] if b.ndim else None)
    if a.ndim == 0 or b.ndim == 0:
        return ValueError(f"matmul: both operands need at least 1 dimension, got shapes "
                          f"{a.shape} and {b.shape}")
    if ka != kb:
        return ValueError(f"matmul: shapes {a.shape} and {b.shape} are not aligned: the last "
                          f"dimension of the first ({ka}) must equal the second-to-last of the "
                          f"second ({kb})")
    return ValueError(f"matmul: the batch dimensions of shapes {a.shape} and {b.shape} "
                      "do not broadcast")


class MatMul(Function):
    """y = a @ b (batched over leading dimensions, NumPy's matmul rules).

    dL/da = dL/dy @ b^T,  dL/db = a^T @ dL/dy  (vectors are treated as a row / a column).
    """

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        a, b = np.asarray(a), np.asarray(b)
        self.a, self.b = a, b
        try:
            return _product(a, b)
        except ValueError:
            raise _matmul_error(a, b) from None

    def backward(self, g: np.ndarray) -> tuple[Optional[np.ndarray], Optional[np.ndarray]]:
        a, b = self.a, self.b
        if a.ndim == 1 and b.ndim == 1:
            return g * b, g * a
        # Lift vectors to matrices so one formula covers every case, then drop the axis again.
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = g
        if a.ndim == 1:
            g2 = g2[..., None, :]
        if b.ndim == 1:
            g2 = g2[..., None]
        grad_a = grad_b = None
        if self.needs_grad(0):
            grad_a = _product(g2, np.swapaxes(b2, -1, -2))
            if a.ndim == 1:
                grad_a = grad_a[..., 0, :]
        if self.needs_grad(1):
            grad_b = _product(np.swapaxes(a2, -1, -2), g2)
            if b.ndim == 1:
                grad_b = grad_b[..., 0]
        return grad_a, grad_b


class Linear(Function):
    """y = x @ W^T + b, one node for the whole affine map.

    Shapes: x (*, in), W (out, in), b (out,), y (*, out).
    dL/dx = dL/dy @ W,  dL/dW = dL/dy^T @ x,  dL/db = sum over rows of dL/dy.
    """

    def forward(self, x: np.ndarray, weight: np.ndarray, bias: Optional[np.ndarray]) -> np.ndarray:
        if x.ndim == 0 or x.shape[-1] != weight.shape[1]:
            raise ValueError(f"linear: input of shape {x.shape} has "
                             f"{x.shape[-1] if x.ndim else 'no'} features, but weight of shape "
                             f"{weight.shape} expects in_features={weight.shape[1]}")
        self.x, self.weight = x, weight
        y = _rows_matmul(x, weight.T)
        if bias is not None:
            y += bias
        return y

    def backward(self, g: np.ndarray
                 ) -> tuple[Optional[np.ndarray], Optional[np.ndarray], Optional[np.ndarray]]:
        x, weight = self.x, self.weight
        grad_x = _rows_matmul(g, weight) if self.needs_grad(0) else None
        g2 = g.reshape(-1, g.shape[-1]) if g.ndim != 2 else g
        x2 = x.reshape(-1, x.shape[-1]) if x.ndim != 2 else x
        grad_w = _product(g2.T, x2) if self.needs_grad(1) else None
        # (np.add.reduce: ndarray.sum's Python wrapper costs 1 us, a tenth of a small layer's backward)
        grad_b = np.add.reduce(g2, axis=0) if self.needs_grad(2) else None
        return grad_x, grad_w, grad_b


def _product(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """np.matmul(a, b), by np.dot when both are 1-d or 2-d: the same product there, but np.dot
    skips the ufunc machinery (0.3 us a call) and calls BLAS for an outer product (k = 1),
    which np.matmul runs in its own loop, 3x slower for a (32, 1) @ (1, 64)."""
    if 1 <= a.ndim <= 2 and 1 <= b.ndim <= 2:
        return np.dot(a, b)
    return np.matmul(a, b)


def _rows_matmul(a: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """a (*, k) @ matrix (k, n) -> (*, n) as ONE 2-d GEMM over all rows of ``a``.

    NumPy's matmul treats a (B, T, k) operand as a stack and runs B small GEMMs (for a
    Transformer's (32, 64, 128) activations that is 32 GEMMs of 64 rows, each too small for
    BLAS to reach its speed); the rows of a C-contiguous ``a`` are one (B*T, k) matrix."""
    if a.ndim <= 2 or not a.flags.c_contiguous:
        return _product(a, matrix)
    return _product(a.reshape(-1, a.shape[-1]), matrix).reshape(*a.shape[:-1], matrix.shape[1])


@tensor_method("matmul", "__matmul__", reflected="__rmatmul__")
def matmul(input: Tensor, other: Tensor) -> Tensor:
    """y = input @ other with NumPy's (and torch.matmul's) rules: 1-d operands are a row / a
    column vector, leading dimensions broadcast as batches. Gradients dL/dinput = dL/dy @ other^T
    and dL/dother = input^T @ dL/dy. Raises ValueError naming both shapes when they do not align.
    """
    return MatMul.apply(*_operands(input, other))


@tensor_args("input", "weight", "bias")
def linear(input: Tensor, weight: Tensor, bias: Optional[Tensor] = None) -> Tensor:
    """The affine map of ``nn.Linear``: input @ weight^T + bias (a 1-d weight: input @ weight
    + bias, as torch)."""
    if (weight.array if isinstance(weight, Tensor) else np.asarray(weight)).ndim != 2:
        return _linear_vector(input, weight, bias)
    return Linear.apply(input, weight, bias)


def _linear_vector(input: Tensor, weight: Tensor, bias: Optional[Tensor]) -> Tensor:
    """linear with a 1-d weight (a dot product over the last axis, as torch); other ranks refused."""
    ndims = tuple(np.ndim(x.array if isinstance(x, Tensor) else x) for x in (input, weight))
    if ndims[1] != 1 or ndims[0] == 0:
        raise RuntimeError(f"linear: weight must be 2-D (out_features, in_features) or 1-D and "
                           f"input at least 1-D, got input of {ndims[0]} and weight of "
                           f"{ndims[1]} dimensions (shapes {tuple(input.shape)} and "
                           f"{tuple(weight.shape)})")
    if input.shape[-1] != weight.shape[0]:
        raise ValueError(f"linear: input of shape {tuple(input.shape)} has {input.shape[-1]} "
                         f"features, but the 1-d weight has {weight.shape[0]}")
    out = matmul(input, weight)
    return out if bias is None else out + bias


# ----------------------------------------------------------------------------------------
# Shared helpers
# ----------------------------------------------------------------------------------------

class LinAlgError(RuntimeError):
    """A linear-algebra routine failed on its input (a singular matrix, a matrix that is not
    positive definite): ``torch.linalg.LinAlgError``, a RuntimeError as in PyTorch."""


def _T(x: np.ndarray) -> np.ndarray:
    """The batched transpose: the last two axes swapped (a view)."""
    return np.swapaxes(x, -1, -2)


def _tensors(*operands: Any) -> list[Any]:
    """The operands as Tensors (lists and arrays converted) of one dtype, PyTorch's promotion
    (``promotion.result_type``) deciding it when they differ; None passes through."""
    xs = [x if x is None or isinstance(x, Tensor) else as_tensor(_operand(x)) for x in operands]
    if len({x.array.dtype for x in xs if x is not None}) > 1:
        target = promotion.result_type(*xs)
        xs = [None if x is None else _convert(x, target) for x in xs]
    return xs


def _shape_text(shape: Sequence[int]) -> str:
    return str(tuple(shape))


def _floating(op: str, *xs: Tensor) -> None:
    for x in xs:
        if x.array.dtype.kind != "f":
            raise TypeError(f"{op}: expected a floating-point tensor, got dtype {x.array.dtype}")


def _matrices(op: str, A: Tensor, square: bool = False, name: str = "A") -> Tensor:
    """A as a floating Tensor of shape (*, m, n) (square when asked), or a ValueError."""
    (A,) = _tensors(A)
    _floating(op, A)
    if A.ndim < 2:
        raise ValueError(f"{op}: {name} must have at least 2 dimensions (*, m, n), got shape "
                         f"{tuple(A.shape)}")
    if square and A.shape[-1] != A.shape[-2]:
        raise ValueError(f"{op}: {name} must be batches of square matrices, but shape "
                         f"{tuple(A.shape)} holds {A.shape[-2]} by {A.shape[-1]} matrices")
    return A


def _pack(batch: Sequence[int], *arrays: np.ndarray) -> np.ndarray:
    """Several outputs sharing the leading ``batch`` dims, flattened side by side on one last
    axis (a node has one output; ``_unpack_outputs`` hands them back as Tensors)."""
    batch = tuple(batch)
    return np.concatenate([np.reshape(a, batch + (int(np.prod(a.shape[len(batch):],
                                                                dtype=np.int64)),))
                           for a in arrays], axis=-1)


def _split(g: np.ndarray, batch: tuple[int, ...], shapes: Sequence[Sequence[int]]
           ) -> list[np.ndarray]:
    """The per-output pieces of a packed gradient (the inverse of ``_pack``)."""
    pieces, start = [], 0
    for shape in shapes:
        size = int(np.prod(shape, dtype=np.int64))
        pieces.append(g[..., start:start + size].reshape(batch + tuple(shape)))
        start += size
    return pieces


def _unpack_outputs(packed: Tensor, batch: Sequence[int], shapes: Sequence[Sequence[int]]
                    ) -> list[Tensor]:
    """The outputs of a packed node as Tensors (differentiable slices of it)."""
    pieces, start = [], 0
    for shape in shapes:
        size = int(np.prod(shape, dtype=np.int64))
        piece = getitem(packed, (Ellipsis, slice(start, start + size)))
        pieces.append(reshape(piece, tuple(batch) + tuple(shape)))
        start += size
    return pieces


def _inverse_transpose(A: np.ndarray) -> np.ndarray:
    """A^{-T} (the pseudo-inverse's transpose when A is singular)."""
    try:
        return _T(np.linalg.inv(A))
    except np.linalg.LinAlgError:
        return _T(np.linalg.pinv(A))


def _solve(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """A^{-1} B for matrices B (batch dims broadcast)."""
    batch = np.broadcast_shapes(A.shape[:-2], B.shape[:-2])
    return np.linalg.solve(np.broadcast_to(A, batch + A.shape[-2:]),
                           np.broadcast_to(B, batch + B.shape[-2:]))


def _right_solve(X: np.ndarray, A: np.ndarray) -> np.ndarray:
    """X A^{-1}."""
    return _T(_solve(_T(A), _T(X)))


def _eye_like(A: np.ndarray) -> np.ndarray:
    return np.broadcast_to(np.eye(A.shape[-1], dtype=A.dtype), A.shape)


# ----------------------------------------------------------------------------------------
# Einstein summation: two operands as one GEMM, more as a sequence of pairwise GEMMs
# ----------------------------------------------------------------------------------------

_LETTERS = string.ascii_uppercase + string.ascii_lowercase  # torch's subscript order


def _unique(spec: str) -> str:
    return "".join(dict.fromkeys(spec))


def _reduce_operand(x: np.ndarray, spec: str, keep: set[str]) -> tuple[np.ndarray, str]:
    """x with repeated subscripts taken on their diagonal and those not in ``keep`` summed."""
    new = "".join(letter for letter in _unique(spec) if letter in keep)
    if new != spec:
        x = np.einsum(f"{spec}->{new}", x)
    return x, new


def _arrange(x: np.ndarray, spec: str, order: list[str], size: dict[str, int]) -> np.ndarray:
    x = x.transpose([spec.index(letter) for letter in order])
    shape = tuple(size[letter] for letter in order)
    return x if x.shape == shape else np.broadcast_to(x, shape)


def _contract(a: np.ndarray, sa: str, b: np.ndarray, sb: str, out: str) -> np.ndarray:
    """einsum(f"{sa},{sb}->{out}", a, b) as ONE matmul: the subscripts of both operands kept in
    the output are the batch, those only in a the rows, those only in b the columns, and those
    shared but not kept the inner dimension (size-1 dimensions broadcast)."""
    a, sa = _reduce_operand(a, sa, set(sb) | set(out))
    b, sb = _reduce_operand(b, sb, set(sa) | set(out))
    size: dict[str, int] = {}
    for x, spec in ((a, sa), (b, sb)):
        for letter, n in zip(spec, x.shape):
            if size.get(letter, 1) == 1:
                size[letter] = n
    batch = [c for c in sa if c in sb and c in out]
    inner = [c for c in sa if c in sb and c not in out]
    left = [c for c in sa if c not in sb]
    right = [c for c in sb if c not in sa]

    def count(letters: list[str]) -> int:
        return int(np.prod([size[c] for c in letters], dtype=np.int64))

    nb, nl, nc, nr = count(batch), count(left), count(inner), count(right)
    A = _arrange(a, sa, batch + left + inner, size).reshape(nb, nl, nc)
    B = _arrange(b, sb, batch + inner + right, size).reshape(nb, nc, nr)
    C = np.matmul(A[0], B[0])[None] if nb == 1 else np.matmul(A, B)
    order = batch + left + right
    C = C.reshape([size[c] for c in order])
    return C.transpose([order.index(c) for c in out])


def _evaluate(specs: Sequence[str], arrays: Sequence[np.ndarray], out: str) -> np.ndarray:
    """einsum of any number of operands: pairwise GEMM contractions, each step taking the
    pair whose result is smallest (a greedy path)."""
    specs, arrays = list(specs), list(arrays)
    if len(arrays) == 1:
        x, spec = arrays[0], specs[0]
        return x if spec == out else np.einsum(f"{spec}->{out}", x)
    size: dict[str, int] = {}
    for x, spec in zip(arrays, specs):
        for letter, n in zip(spec, x.shape):
            if size.get(letter, 1) == 1:
                size[letter] = n
    while len(arrays) > 2:
        best: Optional[tuple[int, int, int, str]] = None
        for i in range(len(arrays)):
            for j in range(i + 1, len(arrays)):
                needed = set(out).union(*(s for k, s in enumerate(specs) if k not in (i, j)))
                result = "".join(c for c in _unique(specs[i] + specs[j]) if c in needed)
                cost = int(np.prod([size[c] for c in result], dtype=np.int64))
                if best is None or cost < best[0]:
                    best = (cost, i, j, result)
        assert best is not None  # more than two arrays: some pair was tried
        _, i, j, result = best
        merged = _contract(arrays[i], specs[i], arrays[j], specs[j], result)
        for k in (j, i):
            del arrays[k], specs[k]
        arrays.append(merged)
        specs.append(result)
    return _contract(arrays[0], specs[0], arrays[1], specs[1], out)


def _einsum_grad(g: np.ndarray, out: str, specs: Sequence[str], arrays: Sequence[np.ndarray],
                 k: int) -> np.ndarray:
    """dL/d(operand k) of einsum(specs -> out): itself an einsum of dL/dy with the other
    operands, broadcast over the subscripts summed in the forward, summed over this operand's
    broadcast size-1 dimensions and put on the diagonal for a repeated subscript."""
    spec, x = specs[k], arrays[k]
    uniq = _unique(spec)
    others = [s for i, s in enumerate(specs) if i != k]
    other_arrays = [a for i, a in enumerate(arrays) if i != k]
    available = set(out).union(*others)
    target = "".join(c for c in uniq if c in available)
    grad = _evaluate([out] + others, [g] + other_arrays, target)
    own = dict(zip(spec, x.shape))
    grad = grad.reshape([grad.shape[target.index(c)] if c in target else 1 for c in uniq])
    stretched = tuple(i for i, c in enumerate(uniq) if own[c] == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    shape = tuple(own[c] for c in uniq)
    if grad.shape != shape:
        grad = np.broadcast_to(grad, shape)
    if len(uniq) == len(spec):
        return grad
    full = np.zeros(x.shape, dtype=grad.dtype)
    strides = [sum(full.strides[i] for i, c in enumerate(spec) if c == letter) for letter in uniq]
    np.lib.stride_tricks.as_strided(full, shape, strides)[...] = grad
    return full


def _parse_einsum(equation: str, shapes: Sequence[Sequence[int]]) -> tuple[list[str], str]:
    """(subscripts per operand, output subscripts) with ``...`` spelled out in letters of its
    own and the implicit output (the subscripts used once, in order) made explicit."""
    eq = equation.replace(" ", "")
    if eq.count("->") > 1:
        raise ValueError(f"einsum: the equation {equation!r} has more than one '->'")
    lhs, rhs = eq.split("->") if "->" in eq else (eq, None)
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(f"einsum: the equation {equation!r} names {len(terms)} operands, but "
                         f"{len(shapes)} were given")
    for term in terms + ([rhs] if rhs is not None else []):
        plain = term.replace("...", "")
        bad = [c for c in plain if c not in _LETTERS]
        if bad:
            raise ValueError(f"einsum: invalid subscript {bad[0]!r} in {equation!r} (subscripts "
                             "are letters a-z, A-Z and '...')")
        if term.count("...") > 1:
            raise ValueError(f"einsum: subscripts {term!r} in {equation!r} hold more than one "
                             "'...'")
    free = [c for c in _LETTERS if c not in eq]
    widths = []
    for i, (term, shape) in enumerate(zip(terms, shapes)):
        named = len(term.replace("...", ""))
        if "..." in term:
            if named > len(shape):
                raise ValueError(f"einsum: operand {i} of shape {tuple(shape)} has "
                                 f"{len(shape)} dimensions, fewer than the {named} subscripts "
                                 f"of {term!r}")
            widths.append(len(shape) - named)
        else:
            if named != len(shape):
                raise ValueError(f"einsum: operand {i} of shape {tuple(shape)} has "
                                 f"{len(shape)} dimensions, but subscripts {term!r} name "
                                 f"{named}")
            widths.append(0)
    ellipsis = "".join(free[:max(widths, default=0)])
    specs = [term.replace("...", ellipsis[len(ellipsis) - w:]) for term, w in zip(terms, widths)]
    if rhs is None:
        counts = collections.Counter("".join(t.replace("...", "") for t in terms))
        out = ellipsis + "".join(sorted((c for c, n in counts.items() if n == 1), key=_LETTERS.index))
    else:
        out = rhs.replace("...", ellipsis)
        for c in rhs.replace("...", ""):
            if c not in lhs:
                raise ValueError(f"einsum: output subscript {c!r} of {equation!r} does not "
                                 "appear in any operand")
        repeated = [c for c, n in collections.Counter(out).items() if n > 1]
        if repeated:
            raise ValueError(f"einsum: output subscript {repeated[0]!r} of {equation!r} "
                             "appears more than once")
    sizes: dict[str, tuple[int, int]] = {}  # subscript: (its size, the operand giving it)
    for i, (spec, shape) in enumerate(zip(specs, shapes)):
        own: dict[str, int] = {}
        for c, n in zip(spec, shape):
            if c in own and own[c] != n:
                raise ValueError(f"einsum: subscript {c!r} is repeated for operand {i} of shape "
                                 f"{tuple(shape)} but the sizes differ, {own[c]} != {n}")
            own[c] = n
        for c, n in own.items():
            seen = sizes.get(c)
            if seen is not None and n != seen[0] and 1 not in (n, seen[0]):
                raise ValueError(f"einsum: subscript {_display(c, ellipsis)} has size {n} in "
                                 f"operand {i} of shape {tuple(shape)}, which does not "
                                 f"broadcast with size {seen[0]} in operand {seen[1]} of shape "
                                 f"{tuple(shapes[seen[1]])}")
            if seen is None or seen[0] == 1:
                sizes[c] = (n, i)
    return specs, out


def _display(c: str, ellipsis: str) -> str:
    return "'...'" if c in ellipsis else repr(c)


def _sublist_equation(args: Sequence[Any]) -> tuple[str, list[Any]]:
    """torch.einsum(op1, [0, 1], op2, [1, 2], [0, 2]): the operands and their equation."""
    operands, subscripts = list(args[0::2]), list(args[1::2])
    output = None
    if len(args) % 2:
        output = operands.pop()

    def letters(sublist: Iterable[Any]) -> str:
        text = ""
        for s in sublist:
            if s is Ellipsis:
                text += "..."
            elif isinstance(s, (int, np.integer)) and 0 <= s < len(_LETTERS):
                text += _LETTERS[s]
            else:
                raise ValueError(f"einsum: sublist entries are integers in [0, 52) or Ellipsis, "
                                 f"got {s!r}")
        return text

    equation = ",".join(letters(s) for s in subscripts)
    if output is not None:
        equation += "->" + letters(output)
    return equation, operands


class Einsum(Function):
    """y = einsum(equation, *operands): the products of the operands' elements summed over the
    subscripts missing from the output.

    Two operands run as one matmul (``_contract``), more as pairwise matmuls. The gradient of
    each operand is the einsum of dL/dy with the other operands onto that operand's subscripts
    (a repeated subscript puts it on the diagonal).
    """

    def forward(self, *arrays: np.ndarray, specs: Sequence[str], out: str) -> np.ndarray:
        self.arrays, self.specs, self.out = arrays, specs, out
        return _evaluate(specs, arrays, out)

    def backward(self, g: np.ndarray) -> tuple[Optional[np.ndarray], ...]:
        return tuple(_einsum_grad(g, self.out, self.specs, self.arrays, k)
                     if self.needs_grad(k) else None for k in range(len(self.arrays)))


def einsum(*args: Any) -> Tensor:
    """y = sum over the subscripts missing from the output of prod_k operand_k[subscripts_k]:
    ``einsum("bij,bjk->bik", a, b)``; ``...`` stands for broadcast dimensions, an equation
    without ``->`` outputs the subscripts used once in alphabetical order. Also
    ``einsum(eq, [a, b])`` and the sublist form ``einsum(a, [0, 1], b, [1, 2], [0, 2])``.
    A contraction of two operands runs as one GEMM; the gradients are einsums too.
    """
    if not args:
        raise TypeError("einsum: expected an equation and operands")
    if isinstance(args[0], str):
        equation, operands = args[0], list(args[1:])
        if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
            operands = list(operands[0])
    else:
        equation, operands = _sublist_equation(args)
    if not operands:
        raise ValueError("einsum: expected at least one operand")
    operands = _tensors(*operands)
    specs, out = _parse_einsum(equation, [x.shape for x in operands])
    return Einsum.apply(*operands, specs=tuple(specs), out=out)


# ----------------------------------------------------------------------------------------
# Products
# ----------------------------------------------------------------------------------------

def _inner_check(op: str, a: Tensor, b: Tensor, ka: int, kb: int, symbol: str = "@") -> None:
    if ka != kb:
        raise ValueError(f"{op}: {tuple(a.shape)} {symbol} {tuple(b.shape)}: inner dimensions "
                         f"{ka} and {kb} differ")


def _check_mm(op: str, a: Tensor, b: Tensor) -> tuple[int, int]:
    if a.ndim != 2 or b.ndim != 2:
        raise ValueError(f"{op}: expected two 2-D matrices, got shapes {tuple(a.shape)} and "
                         f"{tuple(b.shape)}")
    _inner_check(op, a, b, a.shape[1], b.shape[0])
    return (a.shape[0], b.shape[1])


def _check_bmm(op: str, a: Tensor, b: Tensor) -> tuple[int, int, int]:
    if a.ndim != 3 or b.ndim != 3:
        raise ValueError(f"{op}: expected two 3-D batches of matrices, got shapes "
                         f"{tuple(a.shape)} and {tuple(b.shape)}")
    if a.shape[0] != b.shape[0]:
        raise ValueError(f"{op}: {tuple(a.shape)} @ {tuple(b.shape)}: batch sizes "
                         f"{a.shape[0]} and {b.shape[0]} differ")
    _inner_check(op, a, b, a.shape[2], b.shape[1])
    return (a.shape[0], a.shape[1], b.shape[2])


def _check_mv(op: str, a: Tensor, b: Tensor) -> tuple[int]:
    if a.ndim != 2 or b.ndim != 1:
        raise ValueError(f"{op}: expected a 2-D matrix and a 1-D vector, got shapes "
                         f"{tuple(a.shape)} and {tuple(b.shape)}")
    _inner_check(op, a, b, a.shape[1], b.shape[0])
    return (a.shape[0],)


def _check_outer(op: str, a: Tensor, b: Tensor) -> tuple[int, int]:
    if a.ndim != 1 or b.ndim != 1:
        raise ValueError(f"{op}: expected two 1-D vectors, got shapes {tuple(a.shape)} and "
                         f"{tuple(b.shape)}")
    return (a.shape[0], b.shape[0])


def _check_dot(op: str, a: Tensor, b: Tensor) -> None:
    if a.ndim != 1 or b.ndim != 1:
        raise ValueError(f"{op}: expected two 1-D vectors, got shapes {tuple(a.shape)} and "
                         f"{tuple(b.shape)}")
    if a.shape[0] != b.shape[0]:
        raise ValueError(f"{op}: {tuple(a.shape)} . {tuple(b.shape)}: sizes {a.shape[0]} and "
                         f"{b.shape[0]} differ")


@tensor_method("mm")
def mm(input: Tensor, mat2: Tensor) -> Tensor:
    """y = input @ mat2 for 2-D matrices, (n, k) @ (k, m) -> (n, m); gradients g @ mat2^T and
    input^T @ g. Raises ValueError naming both shapes when they are not matrices that align.
    """
    a, b = _tensors(input, mat2)
    _check_mm("mm", a, b)
    return MatMul.apply(a, b)


@tensor_method("bmm")
def bmm(input: Tensor, mat2: Tensor) -> Tensor:
    """y[b] = input[b] @ mat2[b] for 3-D batches, (B, n, k) @ (B, k, m) -> (B, n, m) (no
    broadcasting); gradients g @ mat2^T and input^T @ g per batch.
    """
    a, b = _tensors(input, mat2)
    _check_bmm("bmm", a, b)
    return MatMul.apply(a, b)


@tensor_method("mv")
def mv(input: Tensor, vec: Tensor) -> Tensor:
    """y = input @ vec, (n, k) @ (k,) -> (n,); gradients outer(g, vec) and input^T @ g."""
    a, b = _tensors(input, vec)
    _check_mv("mv", a, b)
    return MatMul.apply(a, b)


@tensor_method("dot")
def dot(input: Tensor, tensor: Tensor) -> Tensor:
    """y = sum_i input_i * tensor_i of two 1-D vectors of one size (0-d result); gradients
    g * tensor and g * input.
    """
    a, b = _tensors(input, tensor)
    _check_dot("dot", a, b)
    return MatMul.apply(a, b)


@tensor_method("vdot")
def vdot(input: Tensor, other: Tensor) -> Tensor:
    """y = sum_i conj(input_i) * other_i of two 1-D vectors (for real tensors, ``dot``)."""
    a, b = _tensors(input, other)
    _check_dot("vdot", a, b)
    return MatMul.apply(a, b)


def _letters(n: int, start: int = 0) -> str:
    return _LETTERS[start:start + n]


@tensor_method("inner")
def inner(input: Tensor, other: Tensor) -> Tensor:
    """y[i..., j...] = sum_k input[i..., k] * other[j..., k] (the last dimensions contracted;
    for a 0-d operand, input * other); one GEMM, gradients its einsums.
    """
    a, b = _tensors(input, other)
    if a.ndim == 0 or b.ndim == 0:
        return mul(a, b)
    if a.shape[-1] != b.shape[-1]:
        raise ValueError(f"inner: the last dimensions of shapes {tuple(a.shape)} and "
                         f"{tuple(b.shape)} must match, got {a.shape[-1]} and {b.shape[-1]}")
    sa = _letters(a.ndim - 1) + "z"
    sb = _letters(b.ndim - 1, a.ndim - 1) + "z"
    return Einsum.apply(a, b, specs=(sa, sb), out=sa[:-1] + sb[:-1])


@tensor_method("outer", "ger")
def outer(input: Tensor, vec2: Tensor) -> Tensor:
    """y[i, j] = input[i] * vec2[j] for 1-D vectors; gradients g @ vec2 and g^T @ input."""
    a, b = _tensors(input, vec2)
    _check_outer("outer", a, b)
    return Einsum.apply(a, b, specs=("i", "j"), out="ij")


def ger(input: Tensor, vec2: Tensor) -> Tensor:
    """y[i, j] = input[i] * vec2[j]: the old name of ``outer``."""
    return outer(input, vec2)


def tensordot(a: Tensor, b: Tensor, dims: Union[int, Sequence[Sequence[int]], Tensor] = 2
              ) -> Tensor:
    """y = sum over the paired dimensions of a[free_a..., paired...] * b[paired..., free_b...]:
    ``dims`` an int (a's last ``dims`` dimensions with b's first) or two lists of dimensions.
    One GEMM; gradients its einsums.
    """
    a, b = _tensors(a, b)
    if isinstance(dims, int) or (isinstance(dims, Tensor) and dims.ndim == 0):
        n = int(dims)
        if n < 0 or n > min(a.ndim, b.ndim):
            raise ValueError(f"tensordot: dims={n} must lie in [0, {min(a.ndim, b.ndim)}] for "
                             f"shapes {tuple(a.shape)} and {tuple(b.shape)}")
        dims_a, dims_b = list(range(a.ndim - n, a.ndim)), list(range(n))
    else:
        pair_a: Any  # an int or a list of ints each (rows of a Tensor: 0-d Tensors)
        pair_b: Any
        pair_a, pair_b = dims
        dims_a = [pair_a] if isinstance(pair_a, int) else list(pair_a)
        dims_b = [pair_b] if isinstance(pair_b, int) else list(pair_b)
        if len(dims_a) != len(dims_b):
            raise ValueError(f"tensordot: both lists of dims must have one length, got "
                             f"{dims_a} and {dims_b}")
    for dims_x, x in ((dims_a, a), (dims_b, b)):
        for d in dims_x:
            if not -x.ndim <= d < max(x.ndim, 1):
                raise IndexError(f"tensordot: dim {d} is out of range for shape "
                                 f"{tuple(x.shape)}")
    dims_a = [d % a.ndim for d in dims_a]
    dims_b = [d % b.ndim for d in dims_b]
    sa = list(_letters(a.ndim))
    sb = list(_letters(b.ndim, a.ndim))
    for da, db in zip(dims_a, dims_b):
        if a.shape[da] != b.shape[db]:
            raise ValueError(f"tensordot: contracted dimension {da} of shape {tuple(a.shape)} "
                             f"has size {a.shape[da]}, but dimension {db} of shape "
                             f"{tuple(b.shape)} has size {b.shape[db]}")
        sb[db] = sa[da]
    out = "".join(c for i, c in enumerate(sa) if i not in dims_a) + \
        "".join(c for i, c in enumerate(sb) if i not in dims_b)
    return Einsum.apply(a, b, specs=("".join(sa), "".join(sb)), out=out)


class AddProduct(Function):
    """y = beta * input + alpha * (m1 * m2), the product an einsum of two operands run as one
    GEMM (addmm, addmv, addbmm, baddbmm, addr); input broadcasts to the product's shape.

    dL/dinput = beta * g,  dL/dm1 = alpha * einsum(g, m2),  dL/dm2 = alpha * einsum(g, m1).
    With beta = 0 the input is ignored (NaN in it does not propagate), as in PyTorch.
    """

    def forward(self, input: np.ndarray, a: np.ndarray, b: np.ndarray, spec: tuple[str, str, str],
                beta: Number, alpha: Number) -> np.ndarray:
        self.a, self.b, self.spec, self.beta, self.alpha = a, b, spec, beta, alpha
        y = _contract(a, spec[0], b, spec[1], spec[2])
        if alpha != 1:
            y = y * alpha
        if beta == 0:
            return np.ascontiguousarray(y)
        return y + (input if beta == 1 else beta * input)

    def backward(self, g: np.ndarray) -> tuple[Optional[np.ndarray], ...]:
        sa, sb, out = self.spec
        grads: list[Optional[np.ndarray]] = [None, None, None]
        if self.needs_grad(0):
            grads[0] = g * self.beta if self.beta != 1 else g
        if self.alpha != 1:
            g = g * self.alpha
        for k in (1, 2):
            if self.needs_grad(k):
                grads[k] = _einsum_grad(g, out, (sa, sb), (self.a, self.b), k - 1)
        return tuple(grads)


def _add_product(op: str, check: Callable[[str, Tensor, Tensor], tuple[int, ...]],
                 spec: tuple[str, str, str], input: Tensor, a: Tensor, b: Tensor, beta: Number,
                 alpha: Number) -> Tensor:
    input, a, b = _tensors(input, a, b)
    shape = check(op, a, b)
    if op == "addbmm":
        shape = shape[1:]
    try:
        fits = np.broadcast_shapes(tuple(input.shape), shape) == shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"{op}: input of shape {tuple(input.shape)} does not broadcast to the "
                         f"product's shape {shape}")
    return AddProduct.apply(input, a, b, spec=spec, beta=beta, alpha=alpha)


@tensor_method("addmm", inplace="addmm_")
def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta: Number = 1, alpha: Number = 1) -> Tensor:
    """y = beta * input + alpha * (mat1 @ mat2) for 2-D mat1 (n, k), mat2 (k, m) and input
    broadcasting to (n, m); gradients beta * g, alpha * g @ mat2^T, alpha * mat1^T @ g.
    """
    return _add_product("addmm", _check_mm, ("ij", "jk", "ik"), input, mat1, mat2, beta, alpha)


@tensor_method("addmv", inplace="addmv_")
def addmv(input: Tensor, mat: Tensor, vec: Tensor, *, beta: Number = 1, alpha: Number = 1) -> Tensor:
    """y = beta * input + alpha * (mat @ vec) for mat (n, k), vec (k,) and input broadcasting
    to (n,); gradients beta * g, alpha * outer(g, vec), alpha * mat^T @ g.
    """
    return _add_product("addmv", _check_mv, ("ij", "j", "i"), input, mat, vec, beta, alpha)


@tensor_method("addbmm", inplace="addbmm_")
def addbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Number = 1, alpha: Number = 1) -> Tensor:
    """y = beta * input + alpha * sum_b batch1[b] @ batch2[b] for batches (B, n, k), (B, k, m)
    and input broadcasting to (n, m): one GEMM over the (B * k) inner dimension.
    """
    return _add_product("addbmm", _check_bmm, ("bij", "bjk", "ik"), input, batch1, batch2, beta,
                        alpha)


@tensor_method("baddbmm", inplace="baddbmm_")
def baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Number = 1, alpha: Number = 1) -> Tensor:
    """y[b] = beta * input[b] + alpha * batch1[b] @ batch2[b] for batches (B, n, k), (B, k, m)
    and input broadcasting to (B, n, m).
    """
    return _add_product("baddbmm", _check_bmm, ("bij", "bjk", "bik"), input, batch1, batch2,
                        beta, alpha)


@tensor_method("addr", inplace="addr_")
def addr(input: Tensor, vec1: Tensor, vec2: Tensor, *, beta: Number = 1, alpha: Number = 1) -> Tensor:
    """y = beta * input + alpha * outer(vec1, vec2) for 1-D vectors and input broadcasting to
    (len(vec1), len(vec2)); gradients beta * g, alpha * g @ vec2, alpha * g^T @ vec1.
    """
    return _add_product("addr", _check_outer, ("i", "j", "ij"), input, vec1, vec2, beta, alpha)


class Kron(Function):
    """y = kron(a, b): y[i0*p0 + k0, i1*p1 + k1, ...] = a[i0, i1, ...] * b[k0, k1, ...] (the
    operand with fewer dimensions padded with leading 1s; p = b's shape).

    dL/da[i...] = sum_k g[i, k] b[k],  dL/db[k...] = sum_i g[i, k] a[i]: GEMMs over the
    gradient viewed as (a0, b0, a1, b1, ...).
    """

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        nd = max(a.ndim, b.ndim)
        a = a.reshape((1,) * (nd - a.ndim) + a.shape)
        b = b.reshape((1,) * (nd - b.ndim) + b.shape)
        self.a, self.b = a, b
        self.sa, self.sb = _letters(nd), _letters(nd, nd)
        self.out = "".join(x + y for x, y in zip(self.sa, self.sb))
        y = _contract(a, self.sa, b, self.sb, self.out)
        return y.reshape(tuple(m * n for m, n in zip(a.shape, b.shape)))

    def backward(self, g: np.ndarray) -> tuple[Optional[np.ndarray], Optional[np.ndarray]]:
        a, b = self.a, self.b
        g = g.reshape(tuple(n for pair in zip(a.shape, b.shape) for n in pair))
        grad_a = _contract(g, self.out, b, self.sb, self.sa) if self.needs_grad(0) else None
        grad_b = _contract(g, self.out, a, self.sa, self.sb) if self.needs_grad(1) else None
        return grad_a, grad_b


@tensor_method("kron")
def kron(input: Tensor, other: Tensor) -> Tensor:
    """y = the Kronecker product: each element of input times the whole of other, laid out
    block by block (shape: the elementwise product of the shapes, padded with leading 1s).
    """
    a, b = _tensors(input, other)
    return Kron.apply(a, b)


class Cross(Function):
    """y = a x b along ``dim`` (of size 3), broadcast;  dL/da = b x g,  dL/db = g x a."""

    def forward(self, a: np.ndarray, b: np.ndarray, dim: int) -> np.ndarray:
        self.a, self.b, self.dim = a, b, dim
        return np.cross(a, b, axis=dim)

    def backward(self, g: np.ndarray) -> tuple[Optional[np.ndarray], Optional[np.ndarray]]:
        d = self.dim
        return (np.cross(self.b, g, axis=d) if self.needs_grad(0) else None,
                np.cross(g, self.a, axis=d) if self.needs_grad(1) else None)


def _cross(op: str, input: Tensor, other: Tensor, dim: Optional[int]) -> Tensor:
    a, b = _tensors(input, other)
    if a.ndim != b.ndim:
        raise ValueError(f"{op}: inputs must have the same number of dimensions, got shapes "
                         f"{tuple(a.shape)} and {tuple(b.shape)}")
    try:
        shape = np.broadcast_shapes(tuple(a.shape), tuple(b.shape))
    except ValueError:
        raise ValueError(f"{op}: shapes {tuple(a.shape)} and {tuple(b.shape)} do not "
                         "broadcast") from None
    if dim is None:
        dim = next((i for i, n in enumerate(shape) if n == 3), None)
        if dim is None:
            raise ValueError(f"{op}: no dimension of size 3 in shapes {tuple(a.shape)} and "
                             f"{tuple(b.shape)}")
    if not -len(shape) <= dim < max(len(shape), 1):
        raise IndexError(f"{op}: dim {dim} is out of range for shapes {tuple(a.shape)} and "
                         f"{tuple(b.shape)}")
    if a.shape[dim] != 3 or b.shape[dim] != 3:
        raise ValueError(f"{op}: dimension {dim} must have size 3 in both inputs, got shapes "
                         f"{tuple(a.shape)} and {tuple(b.shape)}")
    return Cross.apply(a, b, dim=dim % len(shape))


@tensor_method("cross")
def cross(input: Tensor, other: Tensor, dim: Optional[int] = None) -> Tensor:
    """y = input x other, the cross product of 3-vectors along ``dim`` (default: the first
    dimension of size 3), broadcast; gradients other x g and g x input.
    """
    return _cross("cross", input, other, dim)


def linalg_cross(input: Tensor, other: Tensor, *, dim: int = -1) -> Tensor:
    """y = input x other along ``dim`` (default the last), broadcast: ``torch.linalg.cross``."""
    return _cross("linalg.cross", input, other, dim)


class Cdist(Function):
    """y[..., i, j] = ||x1[..., i, :] - x2[..., j, :]||_p (batch dims broadcast).

    p = 2 runs as the GEMM identity sqrt(||a||^2 + ||b||^2 - 2 a.b) (the few near-zero entries,
    where it cancels, recomputed from the differences); gradient g (a - b) / y, 0 where y = 0.
    Other p: from the differences d = a - b; gradient g sign(d) |d|^(p-1) / y^(p-1) (0 where
    y = 0, and where d = 0 for p < 1), for p = inf g sign(d) at every |d| equal to y, for p = 0
    none.
    """

    def forward(self, x1: np.ndarray, x2: np.ndarray, p: float) -> np.ndarray:
        batch = np.broadcast_shapes(x1.shape[:-2], x2.shape[:-2])
        x1 = np.broadcast_to(x1, batch + x1.shape[-2:])
        x2 = np.broadcast_to(x2, batch + x2.shape[-2:])
        self.x1, self.x2, self.p = x1, x2, p
        if p == 2:
            y = self._euclidean(x1, x2)
        else:
            diff = np.abs(x1[..., :, None, :] - x2[..., None, :, :])
            if p == 0:
                y = (diff != 0).sum(axis=-1).astype(x1.dtype)
            elif p == 1:
                y = diff.sum(axis=-1)
            elif p == np.inf:
                y = diff.max(axis=-1, initial=0)
            else:
                y = (diff ** p).sum(axis=-1) ** (1.0 / p)
        self.y = y
        return y

    @staticmethod
    def _euclidean(x1: np.ndarray, x2: np.ndarray) -> np.ndarray:
        n1 = np.einsum("...ik,...ik->...i", x1, x1)
        n2 = np.einsum("...jk,...jk->...j", x2, x2)
        d2 = n1[..., :, None] + n2[..., None, :] - 2 * np.matmul(x1, _T(x2))
        scale = n1[..., :, None] + n2[..., None, :]
        near = d2 <= np.sqrt(np.finfo(d2.dtype).eps) * scale
        if near.any():
            index = np.nonzero(near)
            rows = x1[index[:-1]] - x2[index[:-2] + index[-1:]]
            d2[index] = np.einsum("nk,nk->n", rows, rows)
        return np.sqrt(np.maximum(d2, 0, out=d2), out=d2)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x1, x2, p, y = self.x1, self.x2, self.p, self.y
        if p == 0:
            return np.zeros_like(x1), np.zeros_like(x2)
        if p == 2:
            with np.errstate(divide="ignore", invalid="ignore"):
                w = np.where(y > 0, g / y, 0)
            grad1 = x1 * w.sum(axis=-1)[..., None] - np.matmul(w, x2)
            grad2 = x2 * w.sum(axis=-2)[..., None] - np.matmul(_T(w), x1)
            return grad1, grad2
        diff = x1[..., :, None, :] - x2[..., None, :, :]
        yb = y[..., None]
        if p == 1:
            local = np.sign(diff)
        elif p == np.inf:
            local = np.sign(diff) * (np.abs(diff) == yb)
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                local = np.sign(diff) * (np.abs(diff) / yb) ** (p - 1)
            local = np.where((yb == 0) | (diff == 0), 0, local)
        local = local * g[..., None]
        return local.sum(axis=-2), -local.sum(axis=-3)


def cdist(x1: Tensor, x2: Tensor, p: float = 2.0,
          compute_mode: str = "use_mm_for_euclid_dist_if_necessary") -> Tensor:
    """y[..., i, j] = (sum_k |x1[..., i, k] - x2[..., j, k]|^p)^(1/p) for x1 (*, P, M) and
    x2 (*, R, M), batch dims broadcast; p = 2 by one GEMM (||a||^2 + ||b||^2 - 2 a.b), any
    p >= 0 (p = 0 counts the differing coordinates, p = inf takes the largest). Gradients as
    PyTorch's, 0 at zero distance. (``compute_mode`` is accepted for compatibility.)
    """
    a, b = _tensors(x1, x2)
    _floating("cdist", a, b)
    if a.ndim < 2 or b.ndim < 2:
        raise ValueError(f"cdist: x1 and x2 must have at least 2 dimensions, got shapes "
                         f"{tuple(a.shape)} and {tuple(b.shape)}")
    if a.shape[-1] != b.shape[-1]:
        raise ValueError(f"cdist: x1 of shape {tuple(a.shape)} and x2 of shape "
                         f"{tuple(b.shape)} must have the same number of columns, got "
                         f"{a.shape[-1]} and {b.shape[-1]}")
    try:
        np.broadcast_shapes(tuple(a.shape[:-2]), tuple(b.shape[:-2]))
    except ValueError:
        raise ValueError(f"cdist: the batch dimensions of shapes {tuple(a.shape)} and "
                         f"{tuple(b.shape)} do not broadcast") from None
    p = float(p)
    if not p >= 0:
        raise ValueError(f"cdist: p must be non-negative, got {p}")
    return Cdist.apply(a, b, p=p)


class Trace(Function):
    """y = sum_i x[i, i] of a 2-D matrix;  dL/dx = g * I."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.shape = x.shape
        y = np.trace(x)
        return y.astype(np.int64) if x.dtype.kind in "biu" else y

    def backward(self, g: np.ndarray) -> np.ndarray:
        grad = np.zeros(self.shape, dtype=g.dtype)
        np.fill_diagonal(grad, g)
        return grad


@tensor_method("trace")
def trace(input: Tensor) -> Tensor:
    """y = sum_i input[i, i], the trace of a 2-D matrix (integers sum to int64); gradient g * I."""
    (x,) = _tensors(input)
    if x.ndim != 2:
        raise ValueError(f"trace: expected a 2-D matrix, got shape {tuple(x.shape)}")
    return Trace.apply(x)


class MatrixPower(Function):
    """y = A^n (n < 0: (A^{-1})^|n|, n = 0: I), batched.

    With B = A (or A^{-1}) and k = |n|:  dL/dB = sum_{j<k} (B^j)^T g (B^{k-1-j})^T, and for
    n < 0 dL/dA = -A^{-T} dL/dB A^{-T}.
    """

    def forward(self, A: np.ndarray, n: int) -> np.ndarray:
        self.n = n
        if n < 0:
            try:
                self.B = np.linalg.inv(A)
            except np.linalg.LinAlgError:
                raise LinAlgError("linalg.matrix_power: the matrix is singular, so it has no "
                                  "negative powers") from None
        else:
            self.B = A
        if n == 0:
            return np.array(_eye_like(A))
        return np.linalg.matrix_power(self.B, abs(n))

    def backward(self, g: np.ndarray) -> np.ndarray:
        k, B = abs(self.n), self.B
        if k == 0:
            return np.zeros_like(g)
        powers: list[np.ndarray] = [B, B]  # powers[j] = B^j for j >= 1 (powers[0] is unused)
        for _ in range(2, k):
            powers.append(np.matmul(powers[-1], B))
        grad = np.zeros_like(g)
        for j in range(k):
            left = g if j == 0 else np.matmul(_T(powers[j]), g)
            grad += left if j == k - 1 else np.matmul(left, _T(powers[k - 1 - j]))
        if self.n < 0:
            Bt = _T(B)
            grad = -np.matmul(np.matmul(Bt, grad), Bt)
        return grad


@tensor_method("matrix_power")
def matrix_power(input: Tensor, n: int) -> Tensor:
    """y = input^n for (batches of) square matrices: n > 0 repeated products, 0 the identity,
    n < 0 powers of the inverse; gradient sum_j (A^j)^T g (A^(n-1-j))^T.
    """
    (A,) = _tensors(input)
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise ValueError(f"matrix_power: A must be batches of square matrices, got shape "
                         f"{tuple(A.shape)}")
    if int(n) != n:
        raise TypeError(f"matrix_power: n must be an integer, got {n!r}")
    if n < 0:
        _floating("matrix_power", A)
    return MatrixPower.apply(A, n=int(n))


class MultiDot(Function):
    """y = M_1 @ M_2 @ ... @ M_N, multiplied in the cheapest order (the first and last may be
    vectors: a row and a column).

    dL/dM_i = (M_1 ... M_{i-1})^T g (M_{i+1} ... M_N)^T.
    """

    def forward(self, *mats: np.ndarray) -> np.ndarray:
        self.mats = mats
        return np.linalg.multi_dot(mats)

    def backward(self, g: np.ndarray) -> tuple[Optional[np.ndarray], ...]:
        mats = list(self.mats)
        first, last = mats[0].ndim == 1, mats[-1].ndim == 1
        if first:
            mats[0] = mats[0][None, :]
            g = g[None]
        if last:
            mats[-1] = mats[-1][:, None]
            g = g[..., None]
        n = len(mats)
        suffix: list[Optional[np.ndarray]] = [None] * n  # suffix[i] = M_{i+1} ... M_N
        for i in range(n - 2, -1, -1):
            after = suffix[i + 1]
            suffix[i] = mats[i + 1] if after is None else np.matmul(mats[i + 1], after)
        grads, left = [], g  # left = (M_1 ... M_{i-1})^T g
        for i in range(n):
            if i:
                left = np.matmul(mats[i - 1].T, left)
            if self.needs_grad(i):
                after = suffix[i]
                grad = left if after is None else np.matmul(left, after.T)
                if i == 0 and first:
                    grad = grad[0]
                if i == n - 1 and last:
                    grad = grad[:, 0]
                grads.append(grad)
            else:
                grads.append(None)
        return tuple(grads)


def _multi_dot(op: str, tensors: Sequence[Tensor], vectors: bool) -> Tensor:
    tensors = _tensors(*tensors)
    for i, x in enumerate(tensors):
        allowed = (1, 2) if vectors and i in (0, len(tensors) - 1) else (2,)
        if x.ndim not in allowed:
            raise ValueError(f"{op}: tensor {i} must be {'1-D or ' if len(allowed) == 2 else ''}"
                             f"2-D, got shape {tuple(x.shape)}")
    for i in range(len(tensors) - 1):
        a, b = tensors[i], tensors[i + 1]
        if a.shape[-1] != b.shape[0]:
            raise ValueError(f"{op}: tensors {i} and {i + 1}: {tuple(a.shape)} @ "
                             f"{tuple(b.shape)}: inner dimensions {a.shape[-1]} and "
                             f"{b.shape[0]} differ")
    return MultiDot.apply(*tensors)


def multi_dot(tensors: Sequence[Tensor]) -> Tensor:
    """y = tensors[0] @ tensors[1] @ ... in the cheapest order (``torch.linalg.multi_dot``; the
    first and last may be 1-D); gradient of each factor (left product)^T g (right product)^T.
    """
    tensors = list(tensors)
    if len(tensors) < 2:
        raise ValueError(f"multi_dot: expected at least 2 tensors, got {len(tensors)}")
    return _multi_dot("multi_dot", tensors, vectors=True)


def chain_matmul(*matrices: Tensor) -> Tensor:
    """y = matrices[0] @ matrices[1] @ ... (2-D matrices) in the cheapest order: the old name of
    ``linalg.multi_dot``.
    """
    if len(matrices) == 1 and isinstance(matrices[0], (list, tuple)):
        matrices = tuple(matrices[0])
    if not matrices:
        raise ValueError("chain_matmul: expected at least one matrix")
    if len(matrices) == 1:
        (x,) = _tensors(matrices[0])
        if x.ndim != 2:
            raise ValueError(f"chain_matmul: tensor 0 must be 2-D, got shape {tuple(x.shape)}")
        return x
    return _multi_dot("chain_matmul", matrices, vectors=False)


def vecdot(x: Tensor, y: Tensor, *, dim: int = -1) -> Tensor:
    """y = sum_k x[..., k] * y[..., k] along ``dim``, broadcast (``torch.linalg.vecdot``)."""
    a, b = _tensors(x, y)
    try:
        shape = np.broadcast_shapes(tuple(a.shape), tuple(b.shape))
    except ValueError:
        raise ValueError(f"linalg.vecdot: shapes {tuple(a.shape)} and {tuple(b.shape)} do not "
                         "broadcast") from None
    if not shape or not -len(shape) <= dim < len(shape):
        raise IndexError(f"linalg.vecdot: dim {dim} is out of range for shapes "
                         f"{tuple(a.shape)} and {tuple(b.shape)}")
    nd = len(shape)
    back = dim % nd - nd  # the dim counted from the end, as both operands see it
    sizes = [x.shape[back] if x.ndim >= -back else 1 for x in (a, b)]
    if sizes[0] != sizes[1]:
        raise ValueError(f"linalg.vecdot: dimension {dim} has size {sizes[0]} in shape "
                         f"{tuple(a.shape)} but {sizes[1]} in shape {tuple(b.shape)}")
    full = _letters(nd)
    k = full[dim % nd]
    sa, sb = full[nd - a.ndim:], full[nd - b.ndim:]
    return Einsum.apply(a, b, specs=(sa, sb), out=full.replace(k, ""))


# ----------------------------------------------------------------------------------------
# Decompositions and solvers (torch.linalg)
# ----------------------------------------------------------------------------------------

# the named tuples of the results, named as torch.return_types' (their repr shows the name)
class _SlogdetResult(NamedTuple):
    sign: Tensor
    logabsdet: Tensor


class _QRResult(NamedTuple):
    Q: Tensor
    R: Tensor


class _SVDResult(NamedTuple):
    U: Tensor
    S: Tensor
    Vh: Tensor


class _EighResult(NamedTuple):
    eigenvalues: Tensor
    eigenvectors: Tensor


class _LstsqResult(NamedTuple):
    solution: Tensor
    residuals: Tensor
    rank: Tensor
    singular_values: Tensor


class _InvExResult(NamedTuple):
    inverse: Tensor
    info: Tensor


class _CholeskyExResult(NamedTuple):
    L: Tensor
    info: Tensor


for _result, _name in ((_SlogdetResult, "linalg_slogdet"), (_QRResult, "linalg_qr"),
                       (_SVDResult, "linalg_svd"), (_EighResult, "linalg_eigh"),
                       (_LstsqResult, "linalg_lstsq"), (_InvExResult, "linalg_inv_ex"),
                       (_CholeskyExResult, "linalg_cholesky_ex")):
    _result.__name__ = _result.__qualname__ = _name
del _result, _name


class Inv(Function):
    """Y = A^{-1} (batched);  dL/dA = -Y^T g Y^T."""

    def forward(self, A: np.ndarray) -> np.ndarray:
        try:
            self.Y = np.linalg.inv(A)
        except np.linalg.LinAlgError:
            raise LinAlgError(_singular_message("linalg.inv", A)) from None
        return self.Y

    def backward(self, g: np.ndarray) -> np.ndarray:
        Yt = _T(self.Y)
        return -np.matmul(np.matmul(Yt, g), Yt)


def _singular_message(op: str, A: np.ndarray) -> str:
    batch = A.shape[:-2]
    which = ""
    if batch:
        singular = np.linalg.matrix_rank(A) < A.shape[-1]
        first = np.argwhere(singular)
        if len(first):
            which = f"(batch element {tuple(int(i) for i in first[0])}) "
    return (f"{op}: {which}the input matrix is singular, so it cannot be inverted (input of "
            f"shape {tuple(A.shape)})")


def inv(A: Tensor) -> Tensor:
    """Y = A^{-1} for (batches of) square matrices; gradient -Y^T g Y^T. A singular matrix
    raises ``LinAlgError`` (a RuntimeError), as in PyTorch.
    """
    A = _matrices("linalg.inv", A, square=True)
    return Inv.apply(A)


def inv_ex(A: Tensor, *, check_errors: bool = False) -> _InvExResult:
    """(inverse, info) = (A^{-1}, 0) per matrix; for a singular matrix info > 0 (here the
    matrix order n; LAPACK's pivot index in PyTorch) and the inverse is NaN, unless
    ``check_errors`` raises instead.
    """
    A = _matrices("linalg.inv_ex", A, square=True)
    try:
        Y = Inv.apply(A)
        info = np.zeros(A.shape[:-2], dtype=np.int32)
    except LinAlgError:
        if check_errors:
            raise
        singular = np.linalg.matrix_rank(A.array) < A.shape[-1]
        info = np.where(singular, A.shape[-1], 0).astype(np.int32)
        safe = np.where(singular[..., None, None], _eye_like(A.array), A.array)
        Y = Inv.apply(where(Tensor._wrap(~singular[..., None, None]), A, Tensor._wrap(safe)))
        Y = where(Tensor._wrap(singular[..., None, None]), np.nan, Y)
    return _InvExResult(Y, Tensor._wrap(info))


@tensor_method("inverse")
def inverse(input: Tensor) -> Tensor:
    """Y = input^{-1} (``torch.inverse``, the same as ``linalg.inv``); gradient -Y^T g Y^T."""
    return inv(input)


class Det(Function):
    """y = det(A) (batched);  dL/dA = g det(A) A^{-T}, and 0 where det(A) is exactly 0 (as
    PyTorch's)."""

    def forward(self, A: np.ndarray) -> np.ndarray:
        self.A = A
        self.y = np.linalg.det(A)
        return self.y

    def backward(self, g: np.ndarray) -> np.ndarray:
        A, y = self.A, self.y
        singular = (y == 0)[..., None, None]
        inverse = np.linalg.inv(np.where(singular, _eye_like(A), A))
        return np.where(singular, 0, (g * y)[..., None, None] * _T(inverse))


@tensor_method("det")
def det(A: Tensor) -> Tensor:
    """y = det(A) for (batches of) square matrices; gradient g * det(A) * A^{-T} (the cofactor
    matrix; 0 for an exactly singular A, as in PyTorch).
    """
    A = _matrices("linalg.det", A, square=True)
    return Det.apply(A)


class Slogdet(Function):
    """(sign, log|det A|) packed on one last axis;  dL/dA = g_logabsdet * A^{-T} (the sign has
    no gradient)."""

    def forward(self, A: np.ndarray) -> np.ndarray:
        self.A = A
        sign, logabs = np.linalg.slogdet(A)
        return _pack(A.shape[:-2], sign, logabs)

    def backward(self, g: np.ndarray) -> np.ndarray:
        if self.A.size == 0:
            return np.zeros_like(self.A)
        return g[..., 1, None, None] * _inverse_transpose(self.A)


@tensor_method("slogdet")
def slogdet(A: Tensor) -> _SlogdetResult:
    """(sign, logabsdet) with det(A) = sign * exp(logabsdet), accurate where det over- or
    underflows; gradient of logabsdet: A^{-T}.
    """
    A = _matrices("linalg.slogdet", A, square=True)
    sign, logabs = _unpack_outputs(Slogdet.apply(A), A.shape[:-2], [(), ()])
    return _SlogdetResult(sign, logabs)


class LogDet(Function):
    """y = log det(A): NaN where det(A) < 0, -inf where it is 0;  dL/dA = g * A^{-T}."""

    def forward(self, A: np.ndarray) -> np.ndarray:
        self.A = A
        sign, logabs = np.linalg.slogdet(A)
        return np.where(sign < 0, np.nan, logabs)

    def backward(self, g: np.ndarray) -> np.ndarray:
        if self.A.size == 0:
            return np.zeros_like(self.A)
        return g[..., None, None] * _inverse_transpose(self.A)


@tensor_method("logdet")
def logdet(input: Tensor) -> Tensor:
    """y = log(det(input)) for (batches of) square matrices (NaN for a negative determinant);
    gradient g * input^{-T}.
    """
    A = _matrices("logdet", input, square=True)
    return LogDet.apply(A)


class Solve(Function):
    """X = A^{-1} B (``left``) or B A^{-1}, batch dims broadcast.

    left:  dL/dB = A^{-T} g,  dL/dA = -dL/dB X^T.   right:  dL/dB = g A^{-T},  dL/dA = -X^T dL/dB.
    """

    def forward(self, A: np.ndarray, B: np.ndarray, left: bool, vector: bool) -> np.ndarray:
        if vector:
            B = B[..., None] if left else B[..., None, :]
        try:
            X = _solve(A, B) if left else _right_solve(B, A)
        except np.linalg.LinAlgError:
            raise LinAlgError(f"linalg.solve: the solver failed because the input matrix A of "
                              f"shape {tuple(A.shape)} is singular") from None
        self.A, self.X, self.left, self.vector = A, X, left, vector
        if vector:
            return X[..., 0] if left else X[..., 0, :]
        return X

    def backward(self, g: np.ndarray) -> tuple[Optional[np.ndarray], Optional[np.ndarray]]:
        A, X, left = self.A, self.X, self.left
        if self.vector:
            g = g[..., None] if left else g[..., None, :]
        if left:
            grad_b = _solve(_T(A), g)
            grad_a = -np.matmul(grad_b, _T(X)) if self.needs_grad(0) else None
        else:
            grad_b = _right_solve(g, _T(A))
            grad_a = -np.matmul(_T(X), grad_b) if self.needs_grad(0) else None
        if self.vector:
            grad_b = grad_b[..., 0] if left else grad_b[..., 0, :]
        return grad_a, (grad_b if self.needs_grad(1) else None)


def solve(A: Tensor, B: Tensor, *, left: bool = True) -> Tensor:
    """X = A^{-1} B solving A X = B (``left=False``: X A = B) for square A (*, n, n) and B
    (*, n, k) (or (*, k, n)), or with ``left`` a batch of vectors B (*, n) when B has one
    dimension fewer than A and matches its leading shape (or B is 1-D); batch dims broadcast.
    Gradients dL/dB = A^{-T} g and dL/dA = -dL/dB X^T. A singular A raises ``LinAlgError``.
    """
    A = _matrices("linalg.solve", A, square=True)
    A, B = _tensors(A, B)
    n = A.shape[-1]
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    side = "AX = B" if left else "XA = B"
    rows = B.shape[-1] if vector else (B.shape[-2] if left else B.shape[-1])
    if B.ndim == 0 or rows != n or (vector and not left):
        shown = (B.shape[-1], 1) if vector else tuple(B.shape[-2:])
        raise ValueError(f"linalg.solve: incompatible shapes of A {tuple(A.shape)} and B "
                         f"{tuple(B.shape)} for the equation {side} ({n}x{n} and "
                         f"{shown[0]}x{shown[1] if len(shown) > 1 else 1})")
    try:
        np.broadcast_shapes(tuple(A.shape[:-2]), tuple(B.shape[:-1] if vector else B.shape[:-2]))
    except ValueError:
        raise ValueError(f"linalg.solve: the batch dimensions of A {tuple(A.shape)} and B "
                         f"{tuple(B.shape)} do not broadcast") from None
    return Solve.apply(A, B, left=left, vector=vector)


def _cholesky_info(A: np.ndarray) -> np.ndarray:
    """Per matrix the order of the first leading minor that is not positive definite (0: none),
    as LAPACK's potrf reports it."""
    n = A.shape[-1]
    info = np.zeros(A.shape[:-2], dtype=np.int32)
    for k in range(1, n + 1):  # only on failure: one batched determinant per order
        bad = (info == 0) & ~(np.linalg.det(A[..., :k, :k]) > 0)
        info[bad] = k
    return info


class Cholesky(Function):
    """L = cholesky(A), A = L L^T (``upper``: U = L^T, A = U^T U), from A's lower triangle.

    dL/dA = sym(L^{-T} Phi(L^T gL) L^{-1}), Phi taking the lower triangle with the diagonal
    halved and sym(X) = (X + X^T) / 2.
    """

    def forward(self, A: np.ndarray, upper: bool) -> np.ndarray:
        try:
            L = np.linalg.cholesky(A)
        except np.linalg.LinAlgError:
            raise LinAlgError(_not_positive_definite("linalg.cholesky", A)) from None
        self.L, self.upper = L, upper
        return _T(L).copy() if upper else L

    def backward(self, g: np.ndarray) -> np.ndarray:
        L = self.L
        gL = _T(g) if self.upper else g
        P = np.tril(np.matmul(_T(L), gL))
        P[..., np.arange(L.shape[-1]), np.arange(L.shape[-1])] *= 0.5
        S = _right_solve(_solve(_T(L), P), L)
        return 0.5 * (S + _T(S))


def _not_positive_definite(op: str, A: np.ndarray) -> str:
    info = _cholesky_info(A)
    first = np.argwhere(info > 0)
    where_ = tuple(int(i) for i in first[0]) if len(first) else ()
    order = int(info[where_]) if len(first) else 0
    which = f"(batch element {where_}) " if A.ndim > 2 and where_ else ""
    return (f"{op}: {which}the factorization could not be completed because the input of shape "
            f"{tuple(A.shape)} is not positive-definite (the leading minor of order {order} is "
            "not positive-definite)")


def cholesky(A: Tensor, upper: bool = False, *, out: Optional[Tensor] = None) -> Tensor:
    """L with A = L L^T (``upper=True``: U with A = U^T U) for (batches of) symmetric positive
    definite matrices, from A's lower triangle; gradient L^{-T} Phi(L^T g) L^{-1} symmetrized.
    A matrix that is not positive definite raises ``LinAlgError``.
    """
    if out is not None:
        raise TypeError("cholesky: out= is not supported")
    A = _matrices("linalg.cholesky", A, square=True)
    return Cholesky.apply(A, upper=bool(upper))


tensor_method("cholesky")(cholesky)


def linalg_cholesky(A: Tensor, *, upper: bool = False) -> Tensor:
    """L with A = L L^T (``upper``: A = U^T U): ``torch.linalg.cholesky``."""
    return cholesky(A, upper)


def cholesky_ex(A: Tensor, *, upper: bool = False,
                check_errors: bool = False) -> _CholeskyExResult:
    """(L, info): the Cholesky factor and per matrix 0, or the order of the first leading minor
    that is not positive definite (then L is NaN here; LAPACK's partial factor in PyTorch);
    ``check_errors`` raises instead.
    """
    A = _matrices("linalg.cholesky_ex", A, square=True)
    try:
        return _CholeskyExResult(Cholesky.apply(A, upper=bool(upper)),
                                 Tensor._wrap(np.zeros(A.shape[:-2], dtype=np.int32)))
    except LinAlgError:
        if check_errors:
            raise
    info = _cholesky_info(A.array)
    bad = (info > 0)[..., None, None]
    safe = where(Tensor._wrap(bad), Tensor._wrap(_eye_like(A.array).copy()), A)
    L = where(Tensor._wrap(bad), np.nan, Cholesky.apply(safe, upper=bool(upper)))
    return _CholeskyExResult(L, Tensor._wrap(info))


class QR(Function):
    """(Q, R) = qr(A), A = Q R with Q's columns orthonormal and R upper triangular, packed.

    m >= n:  dL/dA = (gQ + Q copyltu(M)) R^{-T},  M = R gR^T - gQ^T Q, copyltu(M) the symmetric
    matrix with M's lower triangle.  m < n, R = [X | Y]: the same for X with gQ + Q Y gY^T, and
    dL/dA_Y = Q gY.  Not differentiable for mode='complete' with m > n (as in PyTorch).
    """

    def forward(self, A: np.ndarray, mode: Literal["reduced", "complete"]) -> np.ndarray:
        Q, R = np.linalg.qr(A, mode=mode)
        self.Q, self.R, self.mode = Q, R, mode
        self.shapes = (Q.shape[-2:], R.shape[-2:])
        return _pack(A.shape[:-2], Q, R)

    def backward(self, g: np.ndarray) -> np.ndarray:
        Q, R = self.Q, self.R
        m, n = Q.shape[-2], R.shape[-1]
        if self.mode == "complete" and m > n:
            raise RuntimeError("linalg.qr: the QR decomposition is not differentiable when "
                               "mode='complete' and nrows > ncols")
        gQ, gR = _split(g, Q.shape[:-2], self.shapes)
        if m >= n:
            return _qr_square_grad(Q, R, gQ, gR)
        X, Y, gX, gY = R[..., :m], R[..., m:], gR[..., :m], gR[..., m:]
        gQ = gQ + np.matmul(np.matmul(Q, Y), _T(gY))
        return np.concatenate([_qr_square_grad(Q, X, gQ, gX), np.matmul(Q, gY)], axis=-1)


def _qr_square_grad(Q: np.ndarray, R: np.ndarray, gQ: np.ndarray, gR: np.ndarray) -> np.ndarray:
    M = np.matmul(R, _T(gR)) - np.matmul(_T(gQ), Q)
    lower = np.tril(M, -1)
    sym = lower + _T(lower) + M * np.eye(M.shape[-1], dtype=M.dtype)
    return _right_solve(gQ + np.matmul(Q, sym), _T(R))


class QROnlyR(Function):
    """R of A = Q R without Q (mode='r'): not differentiable, as in PyTorch (backward raises)."""

    def forward(self, A: np.ndarray) -> np.ndarray:
        return np.linalg.qr(A, mode="r")  # type: ignore[return-value]  # R alone (numpy's stubs: a QRResult)

    def backward(self, g: np.ndarray) -> NoReturn:
        raise RuntimeError("linalg.qr: the derivative of linalg.qr depends on Q, which is not "
                           "computed when mode='r'; use linalg.qr(A, mode='reduced') to "
                           "differentiate through it")


def qr(A: Tensor, mode: str = "reduced") -> _QRResult:
    """(Q, R) with A = Q R, Q (*, m, k) with orthonormal columns and R (*, k, n) upper
    triangular, k = min(m, n) (``mode='complete'``: Q (*, m, m), R (*, m, n); ``mode='r'``: R
    only, Q empty). Differentiable for 'reduced' (and 'complete' with m <= n).
    """
    if mode not in ("reduced", "complete", "r"):
        raise ValueError(f"linalg.qr: mode must be 'reduced', 'complete' or 'r', got {mode!r}")
    A = _matrices("linalg.qr", A)
    m, n = A.shape[-2:]
    if mode == "r":
        return _QRResult(Tensor._wrap(np.zeros((0,), dtype=A.dtype)), QROnlyR.apply(A))
    k = min(m, n) if mode == "reduced" else m
    Q, R = _unpack_outputs(QR.apply(A, mode=mode), A.shape[:-2], [(m, k), (k, n)])
    return _QRResult(Q, R)


def _svd_grad(U: np.ndarray, S: np.ndarray, Vh: np.ndarray, gU: Optional[np.ndarray],
              gS: Optional[np.ndarray], gVh: Optional[np.ndarray]) -> np.ndarray:
    """dL/dA of the reduced SVD A = U diag(S) Vh (k = min(m, n) columns; None = no gradient):

    U [(F o (J - J^T)) S + S (F o (K - K^T)) + diag(gS)] Vh + (I - U U^T) gU S^{-1} Vh
      + U S^{-1} gVh (I - Vh^T Vh),
    J = U^T gU, K = Vh gVh^T, F_ij = 1 / (s_j^2 - s_i^2) off the diagonal (0 on it).
    """
    k = S.shape[-1]
    inner = np.zeros(S.shape + (k,), dtype=S.dtype)
    if gS is not None:
        inner[..., np.arange(k), np.arange(k)] = gS
    extra = 0
    if gU is not None or gVh is not None:
        s2 = S * S
        with np.errstate(divide="ignore"):
            F = 1.0 / (s2[..., None, :] - s2[..., :, None])
        F[..., np.arange(k), np.arange(k)] = 0
        if gU is not None:
            J = np.matmul(_T(U), gU)
            inner = inner + (F * (J - _T(J))) * S[..., None, :]
            if U.shape[-2] > k:
                extra = extra + np.matmul((gU - np.matmul(U, J)) / S[..., None, :], Vh)
        if gVh is not None:
            K = np.matmul(Vh, _T(gVh))
            inner = inner + S[..., :, None] * (F * (K - _T(K)))
            if Vh.shape[-1] > k:
                extra = extra + np.matmul(U, (gVh - np.matmul(_T(K), Vh)) / S[..., :, None])
    return np.matmul(np.matmul(U, inner), Vh) + extra


class SVD(Function):
    """(U, S, Vh) = svd(A), A = U diag(S) Vh, packed; the gradient is ``_svd_grad`` (for
    full_matrices, of the first k = min(m, n) columns of U and rows of Vh, as in PyTorch),
    defined when the singular values are distinct and nonzero.
    """

    def forward(self, A: np.ndarray, full_matrices: bool) -> np.ndarray:
        U, S, Vh = np.linalg.svd(A, full_matrices=full_matrices)
        self.U, self.S, self.Vh = U, S, Vh
        self.shapes = (U.shape[-2:], S.shape[-1:], Vh.shape[-2:])
        return _pack(A.shape[:-2], U, S, Vh)

    def backward(self, g: np.ndarray) -> np.ndarray:
        U, S, Vh = self.U, self.S, self.Vh
        gU, gS, gVh = _split(g, S.shape[:-1], self.shapes)
        k = S.shape[-1]
        return _svd_grad(U[..., :k], S, Vh[..., :k, :], gU[..., :k], gS, gVh[..., :k, :])


def svd(A: Tensor, full_matrices: bool = True, *, driver: Optional[str] = None) -> _SVDResult:
    """(U, S, Vh) with A = U diag(S) Vh, S descending: U (*, m, m), Vh (*, n, n) with
    ``full_matrices`` else (*, m, k), (*, k, n), k = min(m, n). Differentiable where the
    singular values are distinct; U and Vh are unique only up to the signs of their columns /
    rows, so a loss should not depend on those.
    """
    A = _matrices("linalg.svd", A)
    m, n = A.shape[-2:]
    k = min(m, n)
    shapes = [(m, m if full_matrices else k), (k,), (n if full_matrices else k, n)]
    U, S, Vh = _unpack_outputs(SVD.apply(A, full_matrices=bool(full_matrices)), A.shape[:-2],
                               shapes)
    return _SVDResult(U, S, Vh)


class SVDVals(Function):
    """S = the singular values of A, descending;  dL/dA = U diag(g) Vh."""

    def forward(self, A: np.ndarray) -> np.ndarray:
        if self.needs_grad(0):
            self.U, S, self.Vh = np.linalg.svd(A, full_matrices=False)
            return S
        return np.linalg.svd(A, compute_uv=False)

    def backward(self, g: np.ndarray) -> np.ndarray:
        return np.matmul(self.U * g[..., None, :], self.Vh)


def svdvals(A: Tensor, *, driver: Optional[str] = None) -> Tensor:
    """S, the singular values of A (*, m, n) in descending order, (*, min(m, n)); gradient
    U diag(g) Vh.
    """
    A = _matrices("linalg.svdvals", A)
    return SVDVals.apply(A)


class Eigh(Function):
    """(L, Q) = eigh(A), A = Q diag(L) Q^T for symmetric A (one triangle read), packed.

    dL/dA = Q (diag(gL) + F o (Q^T gQ - gQ^T Q) / 2) Q^T,  F_ij = 1 / (l_j - l_i) off the
    diagonal: defined for distinct eigenvalues and losses that do not depend on the
    eigenvectors' signs.
    """

    def forward(self, A: np.ndarray, UPLO: Literal["L", "U"]) -> np.ndarray:
        L, Q = np.linalg.eigh(A, UPLO=UPLO)
        self.L, self.Q = L, Q
        return _pack(A.shape[:-2], L, Q)

    def backward(self, g: np.ndarray) -> np.ndarray:
        L, Q = self.L, self.Q
        n = L.shape[-1]
        gL, gQ = _split(g, L.shape[:-1], [(n,), (n, n)])
        M = np.matmul(_T(Q), gQ)
        with np.errstate(divide="ignore"):
            F = 1.0 / (L[..., None, :] - L[..., :, None])
        F[..., np.arange(n), np.arange(n)] = 0
        inner = F * (0.5 * (M - _T(M)))
        inner[..., np.arange(n), np.arange(n)] += gL
        return np.matmul(np.matmul(Q, inner), _T(Q))


def _check_uplo(op: str, UPLO: str) -> None:
    if UPLO not in ("L", "U"):
        raise ValueError(f"{op}: UPLO must be 'L' or 'U', got {UPLO!r}")


def eigh(A: Tensor, UPLO: str = "L") -> _EighResult:
    """(eigenvalues, eigenvectors) of symmetric A = Q diag(L) Q^T, L ascending, reading A's
    lower (UPLO='L') or upper triangle; gradient Q (diag(gL) + F o skew(Q^T gQ)) Q^T with
    F_ij = 1 / (l_j - l_i). Eigenvectors are unique only up to sign.
    """
    _check_uplo("linalg.eigh", UPLO)
    A = _matrices("linalg.eigh", A, square=True)
    n = A.shape[-1]
    L, Q = _unpack_outputs(Eigh.apply(A, UPLO=UPLO), A.shape[:-2], [(n,), (n, n)])
    return _EighResult(L, Q)


class EigvalsH(Function):
    """L = the eigenvalues of symmetric A, ascending;  dL/dA = Q diag(g) Q^T."""

    def forward(self, A: np.ndarray, UPLO: Literal["L", "U"]) -> np.ndarray:
        if self.needs_grad(0):
            L, self.Q = np.linalg.eigh(A, UPLO=UPLO)
            return L
        return np.linalg.eigvalsh(A, UPLO=UPLO)

    def backward(self, g: np.ndarray) -> np.ndarray:
        return np.matmul(self.Q * g[..., None, :], _T(self.Q))


def eigvalsh(A: Tensor, UPLO: str = "L") -> Tensor:
    """L, the eigenvalues of symmetric A in ascending order (one triangle read); gradient
    Q diag(g) Q^T.
    """
    _check_uplo("linalg.eigvalsh", UPLO)
    A = _matrices("linalg.eigvalsh", A, square=True)
    return EigvalsH.apply(A, UPLO=UPLO)


def _tolerance(S: np.ndarray, m: int, n: int, atol: _Tolerance, rtol: _Tolerance) -> np.ndarray:
    """max(atol, rtol * largest singular value): PyTorch's default rtol is eps * max(m, n)
    when neither is given, 0 when only atol is."""
    value = lambda t: t.array if isinstance(t, Tensor) else t  # noqa: E731
    atol, rtol = value(atol), value(rtol)
    if rtol is None:
        rtol = np.finfo(S.dtype).eps * max(m, n) if atol is None or np.all(np.asarray(atol) <= 0) \
            else 0.0
    atol = 0.0 if atol is None else atol
    top = S.max(axis=-1, initial=0)
    return np.maximum(np.asarray(atol, dtype=S.dtype), np.asarray(rtol, dtype=S.dtype) * top)


def _pinv_grad(A: np.ndarray, P: np.ndarray, g: np.ndarray) -> np.ndarray:
    """dL/dA of P = pinv(A) (A of constant rank):
    -P^T g P^T + (I - A P) g^T P P^T + P^T P g^T (I - P A)."""
    Pt, gt = _T(P), _T(g)
    first = -np.matmul(np.matmul(Pt, g), Pt)
    X = np.matmul(gt, np.matmul(P, Pt))
    second = X - np.matmul(A, np.matmul(P, X))
    Y = np.matmul(np.matmul(Pt, P), gt)
    third = Y - np.matmul(np.matmul(Y, P), A)
    return first + second + third


def _pinv_array(A: np.ndarray, atol: _Tolerance, rtol: _Tolerance, hermitian: bool) -> np.ndarray:
    m, n = A.shape[-2:]
    if hermitian:
        L, Q = np.linalg.eigh(A)
        tol = _tolerance(np.abs(L), m, n, atol, rtol)
        with np.errstate(divide="ignore"):
            inv_l = np.where(np.abs(L) > tol[..., None], 1.0 / L, 0.0)
        return np.matmul(Q * inv_l[..., None, :], _T(Q))
    U, S, Vh = np.linalg.svd(A, full_matrices=False)
    tol = _tolerance(S, m, n, atol, rtol)
    with np.errstate(divide="ignore"):
        inv_s = np.where(S > tol[..., None], 1.0 / S, 0.0)
    return np.matmul(_T(Vh) * inv_s[..., None, :], _T(U))


class Pinv(Function):
    """P = pinv(A), the Moore-Penrose pseudo-inverse from the SVD (singular values below the
    tolerance dropped); the gradient is ``_pinv_grad`` (A's rank held fixed)."""

    def forward(self, A: np.ndarray, atol: _Tolerance, rtol: _Tolerance, hermitian: bool
                ) -> np.ndarray:
        self.A = A
        self.P = _pinv_array(A, atol, rtol, hermitian)
        return self.P

    def backward(self, g: np.ndarray) -> np.ndarray:
        return _pinv_grad(self.A, self.P, g)


def pinv(A: Tensor, *, atol: Union[float, Tensor, None] = None,
         rtol: Union[float, Tensor, None] = None, hermitian: bool = False) -> Tensor:
    """P = the pseudo-inverse A^+ of A (*, m, n), (*, n, m): V diag(1/s) U^T over the singular
    values s > max(atol, rtol * s_max) (default rtol eps * max(m, n)); ``hermitian`` uses
    the eigendecomposition of a symmetric A. Gradient -P^T g P^T + (I - AP) g^T P P^T +
    P^T P g^T (I - PA).
    """
    A = _matrices("linalg.pinv", A)
    return Pinv.apply(A, atol=atol, rtol=rtol, hermitian=bool(hermitian))


@tensor_method("pinverse")
def pinverse(input: Tensor, rcond: float = 1e-15) -> Tensor:
    """P = the pseudo-inverse of input, dropping singular values below rcond * s_max
    (``torch.pinverse``; see ``linalg.pinv``).
    """
    return pinv(input, rtol=rcond)


def matrix_rank(A: Tensor, *, atol: Union[float, Tensor, None] = None,
                rtol: Union[float, Tensor, None] = None, hermitian: bool = False) -> Tensor:
    """The number of singular values of A above max(atol, rtol * s_max) (default rtol
    eps * max(m, n)), an int64 tensor of A's batch shape (not differentiable).
    """
    A = _matrices("linalg.matrix_rank", A)
    m, n = A.shape[-2:]
    if A.array.size == 0:
        return Tensor._wrap(np.zeros(A.shape[:-2], dtype=np.int64))
    S = np.abs(np.linalg.eigvalsh(A.array)) if hermitian else \
        np.linalg.svd(A.array, compute_uv=False)
    tol = _tolerance(S, m, n, atol, rtol)
    return Tensor._wrap((S > tol[..., None]).sum(axis=-1).astype(np.int64))


class Lstsq(Function):
    """X = pinv(A) B, the least-squares (minimum-norm) solution of A X = B.

    dL/dB = pinv(A)^T g,  dL/dA = the pseudo-inverse's gradient for dL/dpinv(A) = g B^T.
    """

    def forward(self, A: np.ndarray, B: np.ndarray, rcond: float, vector: bool) -> np.ndarray:
        if vector:
            B = B[..., None]
        m, n = A.shape[-2:]
        self.A, self.B, self.vector = A, B, vector
        self.P = _pinv_array(A, None, rcond, False)
        X = np.matmul(self.P, B)
        return X[..., 0] if vector else X

    def backward(self, g: np.ndarray) -> tuple[Optional[np.ndarray], Optional[np.ndarray]]:
        if self.vector:
            g = g[..., None]
        grad_a = _pinv_grad(self.A, self.P, np.matmul(g, _T(self.B))) if self.needs_grad(0) \
            else None
        grad_b = np.matmul(_T(self.P), g) if self.needs_grad(1) else None
        if self.vector and grad_b is not None:
            grad_b = grad_b[..., 0]
        return grad_a, grad_b


def lstsq(A: Tensor, B: Tensor, rcond: Optional[float] = None, *,
          driver: Optional[str] = None) -> _LstsqResult:
    """(solution, residuals, rank, singular_values) of min_X ||A X - B||_F for A (*, m, n), B
    (*, m, k) or (*, m): the minimum-norm solution pinv(A) B (singular values below rcond *
    s_max dropped, default eps * max(m, n)), differentiable. As PyTorch's ``driver``
    ('gelsy' default; 'gels', 'gelsd', 'gelss'): residuals ||A X - B||^2 per column when m > n
    and A has full rank (not for 'gelsy'), rank (not for 'gels'), singular values (only for
    'gelsd' and 'gelss'); those three are constants.
    """
    driver = "gelsy" if driver is None else driver
    if driver not in ("gels", "gelsy", "gelsd", "gelss"):
        raise ValueError(f"linalg.lstsq: driver must be one of 'gels', 'gelsy', 'gelsd', "
                         f"'gelss', got {driver!r}")
    A = _matrices("linalg.lstsq", A)
    A, B = _tensors(A, B)
    m, n = A.shape[-2:]
    vector = B.ndim == A.ndim - 1 or B.ndim == 1
    if B.ndim == 0 or (B.shape[-1] if vector else B.shape[-2]) != m:
        raise ValueError(f"linalg.lstsq: A of shape {tuple(A.shape)} and B of shape "
                         f"{tuple(B.shape)} must have the same number of rows ({m})")
    try:
        np.broadcast_shapes(tuple(A.shape[:-2]), tuple(B.shape[:-1] if vector else B.shape[:-2]))
    except ValueError:
        raise ValueError(f"linalg.lstsq: the batch dimensions of A {tuple(A.shape)} and B "
                         f"{tuple(B.shape)} do not broadcast") from None
    rtol = np.finfo(A.dtype).eps * max(m, n) if rcond is None or rcond < 0 else rcond
    X = Lstsq.apply(A, B, rcond=rtol, vector=vector)
    a = A.array
    S = np.linalg.svd(a, compute_uv=False) if a.size else np.zeros(a.shape[:-2] + (min(m, n),),
                                                                    a.dtype)
    tol = _tolerance(S, m, n, None, rtol)
    rank = (S > tol[..., None]).sum(axis=-1).astype(np.int64)
    empty = np.zeros((0,), dtype=A.dtype)
    residuals = empty
    if driver != "gelsy" and m > n and np.all(rank == n):
        b = B.array[..., None] if vector else B.array
        x = X.array[..., None] if vector else X.array
        residuals = ((np.matmul(a, x) - b) ** 2).sum(axis=-2)
    rank = np.zeros((0,), dtype=np.int64) if driver == "gels" else rank
    values = S if driver in ("gelsd", "gelss") else empty
    return _LstsqResult(X, Tensor._wrap(residuals), Tensor._wrap(rank), Tensor._wrap(values))


class MatrixNorm(Function):
    """y = ||A|| over the last two dimensions: 'fro' sqrt(sum a^2), 'nuc' sum of singular
    values, 2 / -2 the largest / smallest singular value, 1 / -1 the largest / smallest column
    sum of |a|, inf / -inf the same over rows.

    Gradients: A / y ('fro', 0 where y = 0), U V^T ('nuc'), u v^T of that singular value
    (+-2), sign(A) on the extreme columns / rows (shared equally among ties, as amax's).
    """

    def forward(self, A: np.ndarray, ord: Union[str, float]) -> np.ndarray:
        self.A, self.ord = A, ord
        if ord == "fro":
            y = np.sqrt(np.einsum("...ij,...ij->...", A, A))
        elif ord in ("nuc", 2, -2):
            U, S, Vh = np.linalg.svd(A, full_matrices=False)
            self.U, self.S, self.Vh = U, S, Vh
            y = S.sum(axis=-1) if ord == "nuc" else (S[..., 0] if ord == 2 else S[..., -1])
        else:
            axis = -2 if ord in (1, -1) else -1
            sums = np.abs(A).sum(axis=axis)
            self.sums = sums
            assert not isinstance(ord, str)  # ('fro' and 'nuc' are above)
            y = sums.max(axis=-1) if ord > 0 else sums.min(axis=-1)
        self.y = y
        return y

    def backward(self, g: np.ndarray) -> np.ndarray:
        A, ord, y = self.A, self.ord, self.y
        if ord == "fro":
            with np.errstate(divide="ignore", invalid="ignore"):
                w = np.where(y > 0, g / y, 0)
            return A * w[..., None, None]
        if ord in ("nuc", 2, -2):
            U, Vh = self.U, self.Vh
            if ord == "nuc":
                return g[..., None, None] * np.matmul(U, Vh)
            i = 0 if ord == 2 else -1
            return g[..., None, None] * (U[..., :, i, None] * Vh[..., i, None, :])
        ties = self.sums == y[..., None]
        share = ties / ties.sum(axis=-1, keepdims=True)
        share = share[..., None, :] if ord in (1, -1) else share[..., :, None]
        return np.sign(A) * share * g[..., None, None]


def matrix_norm(A: Tensor, ord: Union[str, float] = "fro", dim: Sequence[int] = (-2, -1),
                keepdim: bool = False, *, dtype: Optional[DType] = None) -> Tensor:
    """y = ||A||_ord over the two dimensions ``dim``: 'fro' (default), 'nuc', 2, -2 (largest /
    smallest singular value), 1, -1 (largest / smallest column sum of |a|), inf, -inf (row
    sums); gradients as PyTorch's.
    """
    A = _matrices("linalg.matrix_norm", A)
    if dtype is not None:
        A = cast(A, dtype)
    if ord not in ("fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf):
        raise ValueError(f"linalg.matrix_norm: ord must be 'fro', 'nuc', 1, -1, 2, -2, inf or "
                         f"-inf, got {ord!r}")
    dims = tuple(dim)
    if len(dims) != 2:
        raise ValueError(f"linalg.matrix_norm: dim must be a pair of dimensions, got {dim}")
    nd = A.ndim
    for d in dims:
        if not -nd <= d < nd:
            raise IndexError(f"linalg.matrix_norm: dim {d} is out of range for shape "
                             f"{tuple(A.shape)}")
    d0, d1 = dims[0] % nd, dims[1] % nd
    if d0 == d1:
        raise ValueError(f"linalg.matrix_norm: dims must be different, got {dim}")
    if ord != "fro" and 0 in (A.shape[d0], A.shape[d1]):
        raise ValueError(f"linalg.matrix_norm: ord={ord!r} is not defined for empty matrices, "
                         f"got shape {tuple(A.shape)}")
    moved = A if (d0, d1) == (nd - 2, nd - 1) else _move_last(A, d0, d1)
    y = MatrixNorm.apply(moved, ord=ord)
    if keepdim:
        shape = list(A.shape)
        shape[d0] = shape[d1] = 1
        y = reshape(y, tuple(shape))
    return y


def _move_last(A: Tensor, d0: int, d1: int) -> Tensor:
    rest = [d for d in range(A.ndim) if d not in (d0, d1)]
    return permute(A, rest + [d0, d1])


def norm(A: Tensor, ord: Union[str, float, None] = None, dim: Optional[DimLike] = None,
         keepdim: bool = False, *, dtype: Optional[DType] = None) -> Tensor:
    """y = ||A||: a vector norm over ``dim`` when it is an int (or A is 1-D, or ord and dim
    are None: the 2-norm of A flattened), ``matrix_norm`` when dim is a pair or A is 2-D
    with ord given (``torch.linalg.norm``).
    """
    (A,) = _tensors(A)
    if isinstance(dim, int) or (dim is not None and len(dim) == 1):
        # a str ord raises vector_norm's TypeError (ord must be a number)
        return vector_norm(A, 2 if ord is None else ord, dim, keepdim,  # type: ignore[arg-type]
                           dtype=dtype)
    if dim is None:
        if ord is None:
            flat = reshape(A, (-1,))
            y = vector_norm(flat, 2, None, False, dtype=dtype)
            return reshape(y, (1,) * A.ndim) if keepdim else y
        if A.ndim == 1:  # a str ord: vector_norm's TypeError
            return vector_norm(A, ord, None, keepdim, dtype=dtype)  # type: ignore[arg-type]
        if A.ndim != 2:
            raise ValueError(f"linalg.norm: with ord={ord!r} and dim=None the input must be 1-D "
                             f"or 2-D, got shape {tuple(A.shape)}")
        dim = (-2, -1)
    return matrix_norm(A, "fro" if ord is None else ord, dim, keepdim, dtype=dtype)


# gradsheet.* (torch.*) names defined here; gradsheet/__init__.py imports them with *
__all__ = [
    "addbmm", "addmm", "addmv", "addr", "baddbmm", "bmm", "cdist", "chain_matmul", "cholesky",
    "cross", "det", "dot", "einsum", "ger", "inner", "inverse", "kron", "logdet", "matmul",
    "matrix_power", "mm", "mv", "outer", "pinverse", "slogdet", "tensordot", "trace", "vdot",
]
