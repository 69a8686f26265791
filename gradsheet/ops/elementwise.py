"""Elementwise arithmetic and math, with NumPy broadcasting.

Gradients are written at the broadcast shape; the engine sums them back to
each input's shape. Dtypes follow PyTorch, not NumPy (``promotion``): numbers,
0-d tensors and plain arrays do not widen a tensor of their category
(float32 * 2.0, x / np.float64(3), np.ones(3) * x and x * tensor(2.0, float64)
stay float32), and an integer tensor meeting a float tensor becomes that float
(float32 + int64 is float32).
"""
from __future__ import annotations

import numpy as np
from typing import TYPE_CHECKING, Any, Callable, Optional, Union, overload

from ..autograd.function import Function
from ..autograd.tensor import Tensor, as_tensor
from ..autograd.methods import tensor_method
from . import promotion

if TYPE_CHECKING:
    from .._typing import DType, TensorLike

# Operands are typed Any: before a node, a Tensor, an array or a Python number; in a node's
# forward, an array or a Python number (a constant). (Not an alias of Any: mypy picks NumPy's
# overloads differently for one, np.where(c, a, b) becoming its one-argument form.)


def _operand(x: object) -> Any:
    """A Tensor passes through; a NumPy scalar becomes a Python number so it cannot promote dtype."""
    if isinstance(x, np.generic):  # first: np.float64 is also a float
        return x.item()
    if isinstance(x, (Tensor, int, float, complex, np.ndarray)):
        return x
    if isinstance(x, (list, tuple)):
        return as_tensor(x)
    raise TypeError(f"unsupported operand type {type(x).__name__}")


def _operands(a: Any, b: Any, floating: bool = False) -> tuple[Any, Any]:
    """The operands of a binary op, converted to the dtype PyTorch gives the result
    (``promotion.result_type``; ``floating``: true division, an integer result becomes the
    default float dtype). Python numbers need no conversion (NumPy keeps an array's dtype
    for them)."""
    a, b = _operand(a), _operand(b)
    if _fits(a, b) or _fits(b, a):  # the common case: nothing to convert
        return a, b
    target = promotion.result_type(a, b)
    if floating:
        target = promotion.floating(target)
    return _convert(a, target), _convert(b, target)


def _fits(x: Any, other: Any) -> bool:
    """x is a float tensor and ``other`` a Python number or a tensor of the same dtype."""
    if not isinstance(x, Tensor) or x.array.dtype.kind != "f":
        return False
    return isinstance(other, (int, float)) or (isinstance(other, Tensor)
                                               and other.array.dtype == x.array.dtype)


def _convert(x: Any, dtype: Optional[np.dtype]) -> Any:
    """A tensor or an array constant in ``dtype`` (between floats a differentiable cast);
    Python numbers are weak already."""
    if isinstance(x, Tensor):
        return x if x.array.dtype == dtype else cast(x, dtype)
    if isinstance(x, np.ndarray) and x.dtype != dtype:
        return x.astype(dtype)
    return x


def _check_broadcast(op: str, a: Any, b: Any) -> None:
    shape_a, shape_b = np.shape(a), np.shape(b)
    try:
        np.broadcast_shapes(shape_a, shape_b)
    except ValueError:
        raise ValueError(f"{op}: shapes {tuple(shape_a)} and {tuple(shape_b)} do not broadcast "
                         "(trailing dimensions must be equal or 1)") from None


class _Binary(Function):
    """Shared forward guard: a broadcasting failure names the op and both shapes."""

    op = ""
    compute: Callable[..., np.ndarray]  # each op's y = f(a, b) on arrays

    def forward(self, a: Any, b: Any) -> np.ndarray:
        try:
            return self.compute(a, b)
        except ValueError:
            _check_broadcast(self.op, a, b)
            raise


class Add(_Binary):
    """y = a + b;  dy/da = 1, dy/db = 1."""

    op = "add"

    def compute(self, a: Any, b: Any) -> np.ndarray:
        return a + b

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return g, g


class Sub(_Binary):
    """y = a - b;  dy/da = 1, dy/db = -1."""

    op = "sub"

    def compute(self, a: Any, b: Any) -> np.ndarray:
        return a - b

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, Optional[np.ndarray]]:
        return g, (-g if self.needs_grad(1) else None)


class Mul(_Binary):
    """y = a * b;  dy/da = b, dy/db = a."""

    op = "mul"

    def compute(self, a: Any, b: Any) -> np.ndarray:
        self.a, self.b = a, b
        return a * b

    def backward(self, g: np.ndarray) -> tuple[Optional[np.ndarray], Optional[np.ndarray]]:
        return (g * self.b if self.needs_grad(0) else None,
                g * self.a if self.needs_grad(1) else None)


class Div(_Binary):
    """y = a / b;  dy/da = 1 / b, dy/db = -a / b**2."""

    op = "div"

    def compute(self, a: Any, b: Any) -> np.ndarray:
        self.a, self.b = a, b
        return a / b

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, Optional[np.ndarray]]:
        grad_a = g / self.b
        grad_b = -grad_a * self.a / self.b if self.needs_grad(1) else None
        return grad_a, grad_b


class Pow(_Binary):
    """y = a ** p;  dy/da = p * a**(p - 1) (0 where p = 0), dy/dp = y * log(a) (0 where a = 0
    and p >= 0; NaN for a < 0): PyTorch's formulas, so 0 ** -1 gives -inf to p, as torch."""

    op = "pow"

    def compute(self, a: Any, p: Any) -> np.ndarray:
        self.a, self.p = a, p
        self.y = _power(a, p)
        return self.y

    def backward(self, g: np.ndarray) -> tuple[Optional[np.ndarray], Optional[np.ndarray]]:
        a, p = self.a, self.p
        grad_a = grad_p = None
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if self.needs_grad(0):
                grad_a = np.where(np.equal(p, 0), 0, g * p * _power(a, p - 1)).astype(g.dtype, copy=False)
            if self.needs_grad(1):
                log_a = np.log(np.asarray(a, dtype=g.dtype))
                grad_p = g * np.where(np.equal(a, 0) & (np.asarray(p) >= 0), 0, self.y * log_a)
        return grad_a, grad_p


def _power(a: Any, p: Any) -> np.ndarray:
    """a ** p as torch computes it: a number exponent of 0.5 or -0.5 is sqrt or 1 / sqrt (so
    (-inf) ** 0.5 is NaN and (-0.0) ** 0.5 is -0.0, where C's pow gives inf and 0.0)."""
    if isinstance(p, float) and (p == 0.5 or p == -0.5) and isinstance(a, np.ndarray):
        with np.errstate(divide="ignore", invalid="ignore"):
            root = np.sqrt(a)
            return root if p == 0.5 else 1 / root
    return a ** p


class Neg(Function):
    """y = -x;  dy/dx = -1."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return -x

    def backward(self, g: np.ndarray) -> np.ndarray:
        return -g


class Exp(Function):
    """y = e**x;  dy/dx = y."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.y = np.exp(x)
        return self.y

    def backward(self, g: np.ndarray) -> np.ndarray:
        return g * self.y


class Log(Function):
    """y = log(x) (natural);  dy/dx = 1 / x."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return np.log(x)

    def backward(self, g: np.ndarray) -> np.ndarray:
        return g / self.x


class Sqrt(Function):
    """y = sqrt(x);  dy/dx = 1 / (2 * y)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.y = np.sqrt(x)
        return self.y

    def backward(self, g: np.ndarray) -> np.ndarray:
        return g / (2 * self.y)


class Abs(Function):
    """y = |x|;  dy/dx = sign(x) (0 at 0, as PyTorch)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return np.abs(x)

    def backward(self, g: np.ndarray) -> np.ndarray:
        return g * np.sign(self.x)


class Clip(Function):
    """y = min(max(x, lo), hi), either bound may be absent (so y = hi where lo > hi, and a NaN
    in x, lo or hi gives NaN);  dy/dx = 1 where lo <= x <= hi, dy/dlo = 1 where x < lo < hi,
    dy/dhi = 1 where x > hi or hi < lo, else 0 (as PyTorch; a comparison with NaN is false).
    A tie x = lo or x = hi sends the gradient to x alone, and x < lo = hi sends it nowhere.
    """

    def forward(self, x: np.ndarray, lo: Any, hi: Any) -> np.ndarray:
        self.x, self.lo, self.hi = x, lo, hi
        return np.clip(x, lo, hi)

    def backward(self, g: np.ndarray
                 ) -> tuple[Optional[np.ndarray], Optional[np.ndarray], Optional[np.ndarray]]:
        x, lo, hi = self.x, self.lo, self.hi
        has_lo, has_hi = lo is not None, hi is not None
        zero = np.zeros((), dtype=g.dtype)
        grad_x = grad_lo = grad_hi = None
        if self.needs_grad(0):
            inside = (x >= lo if has_lo else True) & (x <= hi if has_hi else True)
            grad_x = np.where(inside, g, zero)
        if self.needs_grad(1):
            grad_lo = np.where((x < lo) & (lo < hi if has_hi else True), g, zero)
        if self.needs_grad(2):
            grad_hi = np.where((x > hi) | (hi < lo if has_lo else False), g, zero)
        return grad_x, grad_lo, grad_hi


class Maximum(_Binary):
    """y = max(a, b);  the gradient goes to the larger input, split evenly on ties."""

    op = "maximum"

    def compute(self, a: Any, b: Any) -> np.ndarray:
        self.a, self.b = a, b
        return np.maximum(a, b)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return _split_by_winner(g, self.a, self.b, np.greater)


class Minimum(_Binary):
    """y = min(a, b);  the gradient goes to the smaller input, split evenly on ties."""

    op = "minimum"

    def compute(self, a: Any, b: Any) -> np.ndarray:
        self.a, self.b = a, b
        return np.minimum(a, b)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return _split_by_winner(g, self.a, self.b, np.less)


def _split_by_winner(g: np.ndarray, a: Any, b: Any, wins: np.ufunc
                     ) -> tuple[np.ndarray, np.ndarray]:
    share_a = wins(a, b) + 0.5 * (a == b)
    return g * share_a.astype(g.dtype), g * (1 - share_a).astype(g.dtype)


class Where(Function):
    """y = a where cond else b;  dy/da = cond, dy/db = not cond."""

    def forward(self, cond: Any, a: Any, b: Any) -> np.ndarray:
        self.cond = np.asarray(cond, dtype=bool)
        return np.where(self.cond, a, b)

    def backward(self, g: np.ndarray) -> tuple[None, Optional[np.ndarray], Optional[np.ndarray]]:
        zero = np.zeros((), dtype=g.dtype)
        return (None,
                np.where(self.cond, g, zero) if self.needs_grad(1) else None,
                np.where(self.cond, zero, g) if self.needs_grad(2) else None)


class Cast(Function):
    """y = x converted to another dtype;  the gradient is converted back."""

    def forward(self, x: np.ndarray, dtype: DType) -> np.ndarray:
        self.dtype = x.dtype
        return x.astype(dtype, copy=False)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, None]:
        return g.astype(self.dtype, copy=False), None


class Clone(Function):
    """y = a copy of x;  dy/dx = 1."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return x.copy()

    def backward(self, g: np.ndarray) -> np.ndarray:
        return g


@tensor_method("add", "__add__", inplace=("add_", "__iadd__"), reflected="__radd__")
def add(input: Tensor, other: TensorLike, *, alpha: float = 1) -> Tensor:
    """input + alpha * other, broadcast (NumPy rules); gradient 1 to input and alpha to other,
    summed over broadcast axes. Numbers and arrays are constants that take the tensor's dtype,
    as in PyTorch.
    """
    if alpha != 1:
        other = mul(other, alpha)
    return Add.apply(*_operands(input, other))


@tensor_method("sub", "subtract", "__sub__", inplace=("sub_", "__isub__"), reflected="__rsub__")
def sub(input: Tensor, other: TensorLike, *, alpha: float = 1) -> Tensor:
    """input - alpha * other, broadcast; gradient 1 to input and -alpha to other."""
    if alpha != 1:
        other = mul(other, alpha)
    return Sub.apply(*_operands(input, other))


@tensor_method("mul", "multiply", "__mul__", inplace=("mul_", "__imul__"), reflected="__rmul__")
def mul(a: TensorLike, b: TensorLike) -> Tensor:
    """a * b, elementwise and broadcast; gradient b to a and a to b."""
    return Mul.apply(*_operands(a, b))


@tensor_method("div", "divide", "true_divide", "__truediv__", inplace=("div_", "__itruediv__"),
               reflected="__rtruediv__")
def div(a: TensorLike, b: TensorLike, *, rounding_mode: Optional[str] = None) -> Tensor:
    """a / b (true division: integer inputs give the default float dtype); gradient 1 / b to a
    and -a / b**2 to b. ``rounding_mode='trunc'`` or ``'floor'`` rounds the quotient towards
    zero or down (integers stay integers; gradient 0), as ``torch.div``.
    """
    if rounding_mode is not None:
        from .binary import rounded_divide  # binary builds on this module
        return rounded_divide(a, b, rounding_mode)
    return Div.apply(*_operands(a, b, floating=True))


@tensor_method("pow", "__pow__", inplace=("pow_", "__ipow__"), reflected="__rpow__")
def pow(a: TensorLike, exponent: TensorLike) -> Tensor:
    """a ** exponent, broadcast; gradient p a**(p - 1) to a and a**p log(a) to the exponent
    (0 where a = 0 and p >= 0, NaN where a < 0, as torch). Either side may be a number.
    """
    return Pow.apply(*_operands(a, exponent))


@tensor_method("neg", "negative", "__neg__", inplace="neg_")
def neg(x: Tensor) -> Tensor:
    """-x; gradient -1."""
    return Neg.apply(x)


@tensor_method("positive", "__pos__")
def positive(x: Tensor) -> Tensor:
    """+x: x itself (as ``torch.positive``)."""
    return x


@tensor_method("exp", inplace="exp_")
def exp(x: Tensor) -> Tensor:
    """e**x, elementwise; gradient e**x."""
    return Exp.apply(x)


@tensor_method("log", inplace="log_")
def log(x: Tensor) -> Tensor:
    """The natural log, log(x), elementwise; gradient 1 / x."""
    return Log.apply(x)


@tensor_method("sqrt", inplace="sqrt_")
def sqrt(x: Tensor) -> Tensor:
    """sqrt(x), elementwise; gradient 1 / (2 sqrt(x))."""
    return Sqrt.apply(x)


@tensor_method("abs", "absolute", "__abs__", inplace="abs_")
def abs(x: Tensor) -> Tensor:
    """|x|, elementwise; gradient sign(x) (0 at x = 0, as PyTorch)."""
    return Abs.apply(x)


@tensor_method("clip", "clamp", inplace=("clip_", "clamp_"))
def clip(x: Tensor, min: Optional[TensorLike] = None, max: Optional[TensorLike] = None) -> Tensor:
    """min(max(x, min), max), elementwise and broadcast; either bound may be None. Tensor bounds
    get gradients too: x where min <= x <= max, min where x < min < max, max where x > max or
    max < min (ties go to x, as ``torch.clamp``); number bounds are constants.
    """
    if min is None and max is None:
        raise ValueError("clip: at least one of min and max must be given")
    operands = [None if v is None else _operand(v) for v in (x, min, max)]
    target = promotion.result_type(*operands)
    operands = [None if v is None else _convert(v, target) for v in operands]
    return Clip.apply(*operands)


clamp = clip


@tensor_method("maximum")
def maximum(a: TensorLike, b: TensorLike) -> Tensor:
    """max(a, b), elementwise and broadcast; the gradient goes to the larger input, split evenly
    on ties (as ``torch.maximum``).
    """
    return Maximum.apply(*_operands(a, b))


@tensor_method("minimum")
def minimum(a: TensorLike, b: TensorLike) -> Tensor:
    """min(a, b), elementwise and broadcast; the gradient goes to the smaller input, split evenly
    on ties (as ``torch.minimum``).
    """
    return Minimum.apply(*_operands(a, b))


def _where_method(self: Tensor, condition: TensorLike, y: TensorLike) -> Tensor:
    return where(condition, self, y)


@overload
def where(condition: TensorLike) -> tuple[Tensor, ...]: ...
@overload
def where(condition: TensorLike, a: TensorLike, b: TensorLike) -> Tensor: ...


@tensor_method("where", as_method=_where_method)
def where(condition: TensorLike, a: Optional[TensorLike] = None, b: Optional[TensorLike] = None
          ) -> Union[Tensor, tuple[Tensor, ...]]:
    """a where condition else b; numbers for both branches give the default dtype, as torch.
    With the condition alone, ``nonzero(condition, as_tuple=True)``: the indices where it holds.
    """
    if a is None and b is None:
        mask = condition.array if isinstance(condition, Tensor) else np.asarray(condition)
        return tuple(as_tensor(i) for i in np.nonzero(mask))
    cond = condition.array if isinstance(condition, Tensor) else condition
    a, b = _operands(a, b)
    if not isinstance(a, (Tensor, np.ndarray)) and not isinstance(b, (Tensor, np.ndarray)):
        a = as_tensor(a)
    return Where.apply(cond, a, b)


def cast(x: Tensor, dtype: Optional[DType]) -> Tensor:
    """x converted to ``dtype`` (x itself when it already has it); a cast between floating dtypes
    is differentiable (the gradient is cast back), a cast to an integer or bool dtype is not.
    """
    if x.array.dtype == dtype:
        return x
    if x.requires_grad and np.dtype(dtype).kind != "f":
        return as_tensor(x.array.astype(dtype))
    return Cast.apply(x, dtype)


@tensor_method("clone")
def clone(x: Tensor, *, memory_format: Any = None) -> Tensor:
    """A copy of x that stays in the graph; gradient 1."""
    return Clone.apply(x)


@tensor_method("contiguous")
def contiguous(x: Tensor, memory_format: Any = None) -> Tensor:
    """x itself when its elements are laid out in row-major order, else a row-major copy
    (``clone``), as ``torch.Tensor.contiguous``."""
    return x if x.array.flags.c_contiguous else Clone.apply(x)


@tensor_method("is_contiguous")
def is_contiguous(x: Tensor, memory_format: Any = None) -> bool:
    """Whether x's elements are laid out in row-major (C) order in memory."""
    return bool(x.array.flags.c_contiguous)


@tensor_method("stride")
def stride(x: Tensor, dim: Optional[int] = None) -> Union[int, tuple[int, ...]]:
    """The step in elements between neighbours along each dimension (or along ``dim``), as
    ``torch.Tensor.stride`` (NumPy's byte strides divided by the element size)."""
    steps = tuple(s // x.array.itemsize for s in x.array.strides)
    return steps if dim is None else steps[dim]


absolute, divide, true_divide, multiply, negative, subtract = abs, div, div, mul, neg, sub

# gradsheet.* (torch.*) names defined here; gradsheet/__init__.py imports them with *
__all__ = [
    "abs", "absolute", "add", "clamp", "clip", "clone", "div", "divide", "true_divide", "exp",
    "log", "maximum", "minimum", "mul", "multiply", "neg", "negative", "positive", "pow", "sqrt",
    "sub", "subtract", "where",
]
