"""Elementwise arithmetic and math, with NumPy broadcasting.

Gradients are written at the broadcast shape; the engine sums them back to
each input's shape. Dtypes follow PyTorch, not NumPy: numbers and plain arrays
are constants that take the tensor's floating dtype (float32 * 2.0,
x / np.float64(3) and np.ones(3) * x stay float32), and an integer tensor
meeting a float tensor becomes that float (float32 + int64 is float32).
"""
import numpy as np

from ..autograd.function import Function
from ..autograd.tensor import Tensor
from ..backend import get_default_dtype


def _operand(x):
    """A Tensor passes through; a NumPy scalar becomes a Python number so it cannot promote dtype."""
    if isinstance(x, np.generic):  # first: np.float64 is also a float
        return x.item()
    if isinstance(x, (Tensor, int, float, np.ndarray)):
        return x
    if isinstance(x, (list, tuple)):
        return Tensor(x)
    raise TypeError(f"unsupported operand type {type(x).__name__}")


def _operands(a, b, floating=False):
    """The operands of a binary op, converted so the result has PyTorch's dtype.

    The result is floating when a tensor is (the widest float tensor's dtype wins), or when a
    constant is a float or ``floating`` asks for it (true division: the default dtype).
    Integer tensors and array constants are converted to that dtype; Python numbers need no
    conversion (NumPy keeps the array's dtype for them).
    """
    a, b = _operand(a), _operand(b)
    if _fits(a, b) or _fits(b, a):  # the common case: nothing to convert
        return a, b
    target = _result_float((a, b), floating)
    if target is None:
        return a, b
    return _convert(a, target), _convert(b, target)


def _fits(x, other):
    """x is a float tensor and ``other`` a Python number or a tensor of the same dtype."""
    if not isinstance(x, Tensor) or x.array.dtype.kind != "f":
        return False
    return isinstance(other, (int, float)) or (isinstance(other, Tensor)
                                               and other.array.dtype == x.array.dtype)


def _result_float(operands, floating):
    floats = [x.array.dtype for x in operands if isinstance(x, Tensor) and x.array.dtype.kind == "f"]
    if floats:
        return max(floats, key=lambda dtype: dtype.itemsize)
    if floating or any(isinstance(x, float) or np.asarray(x).dtype.kind == "f" for x in operands):
        return get_default_dtype()
    return None


def _convert(x, dtype):
    """An integer tensor or an array constant in ``dtype``. Float tensors keep theirs (as in
    PyTorch, float32 with float64 computes in float64), and Python numbers are weak already."""
    if isinstance(x, Tensor):
        return x if x.array.dtype.kind == "f" else Tensor(x.array.astype(dtype))
    if isinstance(x, np.ndarray) and x.dtype != dtype:
        return x.astype(dtype)
    return x


def _check_broadcast(op, a, b):
    shape_a, shape_b = np.shape(a), np.shape(b)
    try:
        np.broadcast_shapes(shape_a, shape_b)
    except ValueError:
        raise ValueError(f"{op}: shapes {tuple(shape_a)} and {tuple(shape_b)} do not broadcast "
                         "(trailing dimensions must be equal or 1)") from None


class _Binary(Function):
    """Shared forward guard: a broadcasting failure names the op and both shapes."""

    op = ""

    def forward(self, a, b):
        try:
            return self.compute(a, b)
        except ValueError:
            _check_broadcast(self.op, a, b)
            raise


class Add(_Binary):
    """y = a + b;  dy/da = 1, dy/db = 1."""

    op = "add"

    def compute(self, a, b):
        return a + b

    def backward(self, g):
        return g, g


class Sub(_Binary):
    """y = a - b;  dy/da = 1, dy/db = -1."""

    op = "sub"

    def compute(self, a, b):
        return a - b

    def backward(self, g):
        return g, (-g if self.needs_grad(1) else None)


class Mul(_Binary):
    """y = a * b;  dy/da = b, dy/db = a."""

    op = "mul"

    def compute(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, g):
        return (g * self.b if self.needs_grad(0) else None,
                g * self.a if self.needs_grad(1) else None)


class Div(_Binary):
    """y = a / b;  dy/da = 1 / b, dy/db = -a / b**2."""

    op = "div"

    def compute(self, a, b):
        self.a, self.b = a, b
        return a / b

    def backward(self, g):
        grad_a = g / self.b
        grad_b = -grad_a * self.a / self.b if self.needs_grad(1) else None
        return grad_a, grad_b


class Pow(_Binary):
    """y = a ** p;  dy/da = p * a**(p - 1), dy/dp = y * log(a)."""

    op = "pow"

    def compute(self, a, p):
        self.a, self.p = a, p
        self.y = a ** p
        return self.y

    def backward(self, g):
        a, p = self.a, self.p
        grad_a = g * p * a ** (p - 1) if self.needs_grad(0) else None
        grad_p = None
        if self.needs_grad(1):
            with np.errstate(divide="ignore", invalid="ignore"):
                grad_p = g * np.where(a > 0, self.y * np.log(np.where(a > 0, a, 1)), 0)
        return grad_a, grad_p


class Neg(Function):
    """y = -x;  dy/dx = -1."""

    def forward(self, x):
        return -x

    def backward(self, g):
        return -g


class Exp(Function):
    """y = e**x;  dy/dx = y."""

    def forward(self, x):
        self.y = np.exp(x)
        return self.y

    def backward(self, g):
        return g * self.y


class Log(Function):
    """y = log(x) (natural);  dy/dx = 1 / x."""

    def forward(self, x):
        self.x = x
        return np.log(x)

    def backward(self, g):
        return g / self.x


class Sqrt(Function):
    """y = sqrt(x);  dy/dx = 1 / (2 * y)."""

    def forward(self, x):
        self.y = np.sqrt(x)
        return self.y

    def backward(self, g):
        return g / (2 * self.y)


class Abs(Function):
    """y = |x|;  dy/dx = sign(x) (0 at 0, as PyTorch)."""

    def forward(self, x):
        self.x = x
        return np.abs(x)

    def backward(self, g):
        return g * np.sign(self.x)


class Clip(Function):
    """y = min(max(x, lo), hi), either bound may be absent (so y = hi where lo > hi, and a NaN
    in x, lo or hi gives NaN);  dy/dx = 1 where lo <= x <= hi, dy/dlo = 1 where x < lo < hi,
    dy/dhi = 1 where x > hi or hi < lo, else 0 (as PyTorch; a comparison with NaN is false).
    A tie x = lo or x = hi sends the gradient to x alone, and x < lo = hi sends it nowhere.
    """

    def forward(self, x, lo, hi):
        self.x, self.lo, self.hi = x, lo, hi
        return np.clip(x, lo, hi)

    def backward(self, g):
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

    def compute(self, a, b):
        self.a, self.b = a, b
        return np.maximum(a, b)

    def backward(self, g):
        return _split_by_winner(g, self.a, self.b, np.greater)


class Minimum(_Binary):
    """y = min(a, b);  the gradient goes to the smaller input, split evenly on ties."""

    op = "minimum"

    def compute(self, a, b):
        self.a, self.b = a, b
        return np.minimum(a, b)

    def backward(self, g):
        return _split_by_winner(g, self.a, self.b, np.less)


def _split_by_winner(g, a, b, wins):
    share_a = wins(a, b) + 0.5 * (a == b)
    return g * share_a.astype(g.dtype), g * (1 - share_a).astype(g.dtype)


class Where(Function):
    """y = a where cond else b;  dy/da = cond, dy/db = not cond."""

    def forward(self, cond, a, b):
        self.cond = np.asarray(cond, dtype=bool)
        return np.where(self.cond, a, b)

    def backward(self, g):
        zero = np.zeros((), dtype=g.dtype)
        return (None,
                np.where(self.cond, g, zero) if self.needs_grad(1) else None,
                np.where(self.cond, zero, g) if self.needs_grad(2) else None)


class Cast(Function):
    """y = x converted to another dtype;  the gradient is converted back."""

    def forward(self, x, dtype):
        self.dtype = x.dtype
        return x.astype(dtype, copy=False)

    def backward(self, g):
        return g.astype(self.dtype, copy=False), None


class Clone(Function):
    """y = a copy of x;  dy/dx = 1."""

    def forward(self, x):
        return x.copy()

    def backward(self, g):
        return g


def add(a, b):
    """a + b, broadcast (NumPy rules); gradient 1 to each input, summed over broadcast axes.

    Numbers and arrays are constants that take the tensor's dtype, as in PyTorch.
    """
    return Add.apply(*_operands(a, b))


def sub(a, b):
    """a - b, broadcast; gradient 1 to a and -1 to b."""
    return Sub.apply(*_operands(a, b))


def mul(a, b):
    """a * b, elementwise and broadcast; gradient b to a and a to b."""
    return Mul.apply(*_operands(a, b))


def div(a, b):
    """a / b (true division: integer inputs give the default float dtype); gradient 1 / b to a
    and -a / b**2 to b.
    """
    return Div.apply(*_operands(a, b, floating=True))


def pow(a, exponent):
    """a ** exponent, broadcast; gradient p a**(p - 1) to a and a**p log(a) to the exponent
    (0 where a <= 0). Either side may be a number.
    """
    return Pow.apply(*_operands(a, exponent))


def neg(x):
    """-x; gradient -1."""
    return Neg.apply(x)


def exp(x):
    """e**x, elementwise; gradient e**x."""
    return Exp.apply(x)


def log(x):
    """The natural log, log(x), elementwise; gradient 1 / x."""
    return Log.apply(x)


def sqrt(x):
    """sqrt(x), elementwise; gradient 1 / (2 sqrt(x))."""
    return Sqrt.apply(x)


def abs(x):
    """|x|, elementwise; gradient sign(x) (0 at x = 0, as PyTorch)."""
    return Abs.apply(x)


def clip(x, min=None, max=None):
    """min(max(x, min), max), elementwise and broadcast; either bound may be None. Tensor bounds
    get gradients too: x where min <= x <= max, min where x < min < max, max where x > max or
    max < min (ties go to x, as ``torch.clamp``); number bounds are constants.
    """
    if min is None and max is None:
        raise ValueError("clip: at least one of min and max must be given")
    operands = [None if v is None else _operand(v) for v in (x, min, max)]
    target = _result_float([v for v in operands if v is not None], floating=False)
    if target is not None:
        operands = [None if v is None else _convert(v, target) for v in operands]
    return Clip.apply(*operands)


clamp = clip


def maximum(a, b):
    """max(a, b), elementwise and broadcast; the gradient goes to the larger input, split evenly
    on ties (as ``torch.maximum``).
    """
    return Maximum.apply(*_operands(a, b))


def minimum(a, b):
    """min(a, b), elementwise and broadcast; the gradient goes to the smaller input, split evenly
    on ties (as ``torch.minimum``).
    """
    return Minimum.apply(*_operands(a, b))


def where(condition, a, b):
    """a where condition else b; numbers for both branches give the default dtype, as torch."""
    cond = condition.array if isinstance(condition, Tensor) else condition
    a, b = _operands(a, b)
    if not isinstance(a, (Tensor, np.ndarray)) and not isinstance(b, (Tensor, np.ndarray)):
        a = Tensor(a)
    return Where.apply(cond, a, b)


def cast(x, dtype):
    """x converted to ``dtype`` (x itself when it already has it); a cast between floating dtypes
    is differentiable (the gradient is cast back), a cast to an integer or bool dtype is not.
    """
    if x.array.dtype == dtype:
        return x
    if x.requires_grad and np.dtype(dtype).kind != "f":
        return Tensor(x.array.astype(dtype))
    return Cast.apply(x, dtype)


def clone(x):
    """A copy of x that stays in the graph; gradient 1."""
    return Clone.apply(x)
