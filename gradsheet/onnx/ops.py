"""Converters for the tensor ops a traced forward uses between its layers: arithmetic,
elementwise math and activations, matmul, reductions, reshapes, cat/stack and indexing.

Each is ``convert(g, call) -> name`` for one op (a Function class), registered with
``@converts_op``; ``call`` (``build.OpCall``) gives the graph names of the op's inputs and
their example values in both of export's traces, so a target shape can follow a dynamic
axis: ``Reshape`` and ``Expand`` read such sizes from the input's Shape at run time.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, Optional, Union

import numpy as np

from ..autograd.tensor import Tensor
from ..ops import activation as act
from ..ops import elementwise as el
from ..ops import indexing, linalg, promotion, reduce, resample, shape, subscript, unary
from . import basic
from .graph import converts_op
from .trace import METHOD_OPS, Const, Ref

if TYPE_CHECKING:
    from .build import OpCall
    from .graph import Graph, LayerConverter
    from .trace import Arg

OpConvert = Callable[["Graph", "OpCall"], str]

_INT64_MAX, _INT64_MIN = 2 ** 63 - 1, -2 ** 63


def _unary_op(op_type: str, **attrs: Any) -> OpConvert:
    def convert(g: Graph, call: OpCall) -> str:
        return g.add(op_type, [call.name(0)], call.hint, **attrs)
    return convert


for _fn, _op in [(el.Neg, "Neg"), (el.Exp, "Exp"), (el.Log, "Log"), (el.Sqrt, "Sqrt"),
                 (el.Abs, "Abs"), (el.Clone, "Identity"), (act.Sigmoid, "Sigmoid"),
                 (act.Tanh, "Tanh"), (act.ReLU, "Relu"), (act.Softsign, "Softsign"),
                 (unary.Sin, "Sin"), (unary.Cos, "Cos"), (unary.Tan, "Tan"),
                 (unary.Asin, "Asin"), (unary.Acos, "Acos"), (unary.Atan, "Atan"),
                 (unary.Sinh, "Sinh"), (unary.Cosh, "Cosh"), (unary.Asinh, "Asinh"),
                 (unary.Acosh, "Acosh"), (unary.Atanh, "Atanh"), (unary.Erf, "Erf"),
                 (unary.Reciprocal, "Reciprocal"), (unary.Floor, "Floor"),
                 (unary.Ceil, "Ceil")]:
    converts_op(_fn)(_unary_op(_op))


@converts_op(el.Add, el.Sub, el.Mul, el.Div, el.Pow, el.Maximum, el.Minimum)
def binary(g: Graph, call: OpCall) -> str:
    """a + b, a - b, a * b, a / b, a ** b, max(a, b), min(a, b), broadcast (a number takes
    the result's dtype, as gradsheet's promotion gave it)."""
    op_types: dict[type, str] = {el.Add: "Add", el.Sub: "Sub", el.Mul: "Mul", el.Div: "Div",
                                 el.Pow: "Pow", el.Maximum: "Max", el.Minimum: "Min"}
    op_type = op_types[call.fn]
    return g.add(op_type, [call.name(0), call.name(1)], call.hint)


@converts_op(unary.Rsqrt)
def rsqrt(g: Graph, call: OpCall) -> str:
    """1 / sqrt(x)."""
    return g.add("Reciprocal", [g.add("Sqrt", [call.name(0)], call.hint)], call.hint)


@converts_op(unary.Log1p)
def log1p(g: Graph, call: OpCall) -> str:
    """log(1 + x)."""
    one = call.number(1)
    return g.add("Log", [g.add("Add", [call.name(0), one], call.hint)], call.hint)


@converts_op(unary.Expm1)
def expm1(g: Graph, call: OpCall) -> str:
    """e^x - 1."""
    return g.add("Sub", [g.add("Exp", [call.name(0)], call.hint), call.number(1)], call.hint)


@converts_op(unary.Sign)
def sign(g: Graph, call: OpCall) -> str:
    """sign x (0 for NaN, as torch: Where(IsNaN) around ONNX's Sign)."""
    x = call.name(0)
    y = g.add("Sign", [x], call.hint)
    return g.add("Where", [g.add("IsNaN", [x], call.hint), call.number(0), y], call.hint)


@converts_op(el.Clip)
def clip(g: Graph, call: OpCall) -> str:
    """min(max(x, lo), hi), either bound absent (None); Max and Min broadcast tensor bounds
    (ONNX's Clip takes only scalar bounds)."""
    y = call.name(0)
    for i, op_type in ((1, "Max"), (2, "Min")):
        if call.arg(i) is not None:
            y = g.add(op_type, [y, call.name(i)], call.hint)
    return y


@converts_op(el.Where)
def where(g: Graph, call: OpCall) -> str:
    """a where cond else b."""
    return g.add("Where", [call.name(0, np.bool_), call.name(1), call.name(2)], call.hint)


@converts_op(indexing.MaskedFill)
def masked_fill(g: Graph, call: OpCall) -> str:
    """value where mask else x (mask a bool tensor, broadcast)."""
    mask = call.name(2, np.bool_)
    if call.array(2).dtype != bool:
        mask = g.add("Cast", [mask], call.hint, to=g.onnx.TensorProto.BOOL)
    return g.add("Where", [mask, call.name(1), call.name(0)], call.hint)


@converts_op(el.Cast)
def cast(g: Graph, call: OpCall) -> str:
    """x converted to the result's dtype."""
    to = g.onnx.helper.np_dtype_to_tensor_dtype(call.out.dtype)
    return g.add("Cast", [call.name(0)], call.hint, to=to)


def _activation(module_converter: LayerConverter, *names: str) -> OpConvert:
    def convert(g: Graph, call: OpCall) -> str:
        m = SimpleNamespace(**dict(zip(names, call.args[1:])))
        return module_converter(g, m, call.name(0), call.array(0).shape, call.hint)
    return convert


converts_op(act.SiLU)(_activation(basic.silu))
converts_op(act.Softplus)(_activation(basic.softplus, "beta", "threshold"))
converts_op(act.GELU)(_activation(basic.gelu, "approximate"))
converts_op(act.Softmax)(_activation(basic.softmax, "dim"))
converts_op(act.LogSoftmax)(_activation(basic.log_softmax, "dim"))


@converts_op(act.LeakyReLU)
def leaky_relu(g: Graph, call: OpCall) -> str:
    """max(eps z, z)."""
    return g.add("LeakyRelu", [call.name(0)], call.hint, alpha=float(call.args[1]))


@converts_op(act.ELU)
def elu(g: Graph, call: OpCall) -> str:
    """z if z > 0 else alpha (e^z - 1)."""
    return g.add("Elu", [call.name(0)], call.hint, alpha=float(call.args[1]))


@converts_op(act.Hardtanh)
def hardtanh(g: Graph, call: OpCall) -> str:
    """min(max(z, min_val), max_val)."""
    lo, hi = call.number(call.args[1]), call.number(call.args[2])
    return g.add("Min", [g.add("Max", [call.name(0), lo], call.hint), hi], call.hint)


@converts_op(resample.PixelShuffle)
def pixel_shuffle(g: Graph, call: OpCall) -> str:
    """y[c, h r + i, w r + j] = x[c r² + i r + j, h, w]: ONNX's DepthToSpace in CRD order, for
    4-D inputs (N, C, H, W). (pixel_unshuffle's channel order, c r² + i r + j, is not
    SpaceToDepth's, so it has no converter.)"""
    unshuffle = call.params.get("unshuffle", False)
    if unshuffle or call.out.ndim != 4:
        what = "pixel_unshuffle" if unshuffle else f"pixel_shuffle of a {call.out.ndim}-d tensor"
        raise NotImplementedError(f"onnx.export: no ONNX converter for {what} ({call.describe()}); "
                                  "pixel_shuffle of (N, C, H, W) exports")
    return g.add("DepthToSpace", [call.name(0)], call.hint, blocksize=int(call.params.get("r", 1)),
                 mode="CRD")


# ---------------------------------------------------------------- linear algebra
@converts_op(linalg.MatMul)
def matmul(g: Graph, call: OpCall) -> str:
    """a @ b, NumPy's rules (batched, vectors as rows / columns): ONNX's MatMul has them."""
    return g.add("MatMul", [call.name(0), call.name(1)], call.hint)


@converts_op(linalg.Linear)
def linear(g: Graph, call: OpCall) -> str:
    """x @ W^T + b (F.linear): W^T folded into the initializer when W is a constant."""
    if call.is_const(1):
        wt = g.exact_const(call.array(1).T, f"{call.const_name(1)}_t")
    else:
        wt = g.add("Transpose", [call.name(1)], call.hint, perm=[1, 0])
    y = g.add("MatMul", [call.name(0), wt], call.hint)
    if call.arg(2) is None:
        return y
    return g.add("Add", [y, call.name(2)], call.hint)


# ---------------------------------------------------------------- reductions
def _reduce(g: Graph, op_type: str, x: str, axes: Optional[Sequence[int]], keepdim: bool,
            hint: str) -> str:
    if axes == ():
        return g.add("Identity", [x], hint)
    attrs = dict(keepdims=int(bool(keepdim)))
    if axes is None:
        return g.add(op_type, [x], hint, **attrs)
    axes = [int(a) for a in axes]
    if op_type == "ReduceSum" or g.opset >= 18:  # axes became an input in opset 13 / 18
        return g.add(op_type, [x, g.const(axes, f"{hint}.axes")], hint, **attrs)
    return g.add(op_type, [x], hint, axes=axes, **attrs)


@converts_op(reduce.Sum, reduce.Mean)
def sum_mean(g: Graph, call: OpCall) -> str:
    """The sum or mean over ``axes`` (all when None)."""
    x = call.name(0)
    if call.array(0).dtype != call.out.dtype:  # integers sum in int64, as torch
        x = g.add("Cast", [x], call.hint, to=g.onnx.helper.np_dtype_to_tensor_dtype(call.out.dtype))
    op_type = "ReduceSum" if call.fn is reduce.Sum else "ReduceMean"
    return _reduce(g, op_type, x, call.args[1], call.args[2], call.hint)


@converts_op(reduce.Extreme)
def extreme(g: Graph, call: OpCall) -> str:
    """max or min over ``axes`` (amax, amin, max(), min())."""
    op_type = "ReduceMax" if call.args[3] else "ReduceMin"
    return _reduce(g, op_type, call.name(0), call.args[1], call.args[2], call.hint)


# ---------------------------------------------------------------- shapes
def _shape_input(g: Graph, call: OpCall, pieces: list[Union[int, str]]) -> str:
    """A 1-D int64 shape: constant pieces (ints) and graph values (names of 1-D sizes),
    concatenated."""
    if all(isinstance(p, int) for p in pieces):
        return g.const(np.array(pieces, dtype=np.int64), f"{call.hint}.shape")
    parts: list[str] = []
    run: list[int] = []
    for p in pieces + [None]:
        if isinstance(p, int):
            run.append(p)
            continue
        if run:
            parts.append(g.const(np.array(run, dtype=np.int64), f"{call.hint}.shape"))
            run = []
        if p is not None:
            parts.append(p)
    return g.add("Concat", parts, call.hint, axis=0)


@converts_op(shape.Reshape, dynamic=(1,))
def reshape(g: Graph, call: OpCall) -> str:
    """x with a new shape (view, reshape, flatten, squeeze, unsqueeze, ...). An output size
    that changes with a dynamic axis is read at run time from the Shape of a value that has it
    in both traces (the input, a graph input, ...), else left to Reshape to infer (-1, at most
    one)."""
    o1, o2 = call.out.shape, call.out2.shape
    pieces: list[Union[int, str]] = []
    inferred = 0
    for k, (a, b) in enumerate(zip(o1, o2)):
        if a == b:
            pieces.append(int(a))
            continue
        size = call.dim(k)
        if size is None:
            inferred += 1
            pieces.append(-1)
        else:
            pieces.append(size)
    if inferred > 1:
        raise NotImplementedError(
            f"onnx.export: {call.describe()} reshapes {call.input_shapes(0)[0]} to {o1} (and "
            f"{call.input_shapes(0)[1]} to {o2} for other sizes of the dynamic axes): more than "
            "one output size follows the dynamic axes without being an input size, which ONNX's "
            "Reshape cannot infer; reshape in two steps")
    attrs = {}
    if 0 in pieces and -1 not in pieces:
        attrs["allowzero"] = 1  # a literal 0 is a zero size, not "copy the input's"
    return g.add("Reshape", [call.name(0), _shape_input(g, call, pieces)], call.hint, **attrs)


@converts_op(shape.Permute)
def permute(g: Graph, call: OpCall) -> str:
    """x with its dims reordered (permute, transpose, .T, movedim)."""
    return g.add("Transpose", [call.name(0)], call.hint, perm=[int(d) for d in call.args[1]])


@converts_op(shape.Expand, dynamic=(1,))
def expand(g: Graph, call: OpCall) -> str:
    """x broadcast to the output shape: ONNX's Expand broadcasts both ways, so a dim the input
    already has at its full (dynamic) size is written 1, and a dim that grows with a dynamic
    axis is read from the Shape of a value that has it (expand_as(y): y's)."""
    (i1, i2), o1, o2 = call.input_shapes(0), call.out.shape, call.out2.shape
    pieces: list[Union[int, str]] = []
    lead = len(o1) - len(i1)
    for k, (a, b) in enumerate(zip(o1, o2)):
        j = k - lead
        if a == b:
            pieces.append(int(a))
        elif j >= 0 and i1[j] == a and i2[j] == b:
            pieces.append(1)
        else:
            size = call.dim(k)
            if size is None:
                raise NotImplementedError(
                    f"onnx.export: {call.describe()} expands {i1} to {o1}, where dim {k} grows "
                    "with the dynamic axes to a size no traced value has; expand_as() a tensor "
                    "of that shape instead")
            pieces.append(size)
    return g.add("Expand", [call.name(0), _shape_input(g, call, pieces)], call.hint)


@converts_op(shape.Concatenate)
def concatenate(g: Graph, call: OpCall) -> str:
    """[x_1, x_2, ...] joined along ``dim`` (torch.cat; empty 1-d tensors left out)."""
    skip = call.params.get("skip", ())
    names = [call.name(i) for i in range(len(call.args)) if i not in skip]
    return g.add("Concat", names, call.hint, axis=int(call.params["dim"]) % call.out.ndim)


@converts_op(shape.Stack)
def stack(g: Graph, call: OpCall) -> str:
    """[x_1, x_2, ...] stacked along a new ``dim``: each unsqueezed there, then Concat."""
    dim = int(call.params["dim"]) % call.out.ndim
    axes = g.const([dim], f"{call.hint}.axes")
    names = [g.add("Unsqueeze", [call.name(i), axes], call.hint) for i in range(len(call.args))]
    return g.add("Concat", names, call.hint, axis=dim)


def _slice(g: Graph, call: OpCall, x: str, slices: Sequence[tuple[int, slice]]) -> str:
    """One Slice node for the (axis, slice) pairs that select less than the whole axis."""
    slices = [(axis, s) for axis, s in slices if s != slice(None)]
    if not slices:
        return x
    starts: list[int] = []
    ends: list[int] = []
    axes: list[int] = []
    steps: list[int] = []
    for axis, s in slices:
        step = 1 if s.step is None else int(s.step)
        default_start, default_end = (0, _INT64_MAX) if step > 0 else (_INT64_MAX, _INT64_MIN)
        starts.append(default_start if s.start is None else int(s.start))
        ends.append(default_end if s.stop is None else int(s.stop))
        axes.append(axis)
        steps.append(step)
    inputs = [x] + [g.const(np.array(v, dtype=np.int64), f"{call.hint}.{what}")
                    for v, what in ((starts, "starts"), (ends, "ends"), (axes, "axes"),
                                    (steps, "steps"))]
    return g.add("Slice", inputs, call.hint)


def _index_step(g: Graph, call: OpCall, x: str, ndim: int, step: Arg) -> tuple[str, int]:
    """x[step] for one step of subscript.torch_index; returns (name, ndim after)."""
    parts = list(step) if isinstance(step, tuple) else [step]
    consumed = sum(1 for p in parts if p is not None and p is not Ellipsis)
    if any(p is Ellipsis for p in parts):
        at = next(i for i, p in enumerate(parts) if p is Ellipsis)
        parts[at:at + 1] = [slice(None)] * (ndim - consumed)
    else:
        parts += [slice(None)] * (ndim - consumed)
    slices: list[tuple[int, slice]] = []
    ints: list[tuple[int, int]] = []
    arrays: list[tuple[int, Arg]] = []
    nones: list[int] = []
    axis = out_axis = 0
    for p in parts:
        if p is None:
            nones.append(out_axis)
            out_axis += 1
        elif isinstance(p, slice):
            slices.append((axis, p))
            axis += 1
            out_axis += 1
        elif isinstance(p, (int, np.integer)):
            ints.append((axis, int(p)))
            axis += 1
        else:  # an index tensor (Ref) or array (Const)
            if call.array_of(p).dtype == bool:
                raise NotImplementedError(
                    f"onnx.export: {call.describe()} indexes with a boolean mask, whose result "
                    "size depends on the values; use torch.where instead")
            arrays.append((axis, p))
            axis += 1
    if arrays and (len(arrays) > 1 or nones or ints):
        raise NotImplementedError(
            f"onnx.export: {call.describe()} combines an index tensor with other index tensors "
            "or None; only x[..., idx, ...] with one index tensor (Gather) is exported")
    x = _slice(g, call, x, slices)
    if arrays:
        (axis, p), = arrays
        index = call.value_name(p)
        index_ndim = call.array_of(p).ndim
        return g.add("Gather", [x, index], call.hint, axis=axis), ndim - 1 + index_ndim
    for axis, i in sorted(ints, reverse=True):  # from the last, so earlier axes keep their place
        x = g.add("Gather", [x, g.const(np.array(i, dtype=np.int64), f"{call.hint}.index")],
                  call.hint, axis=axis)
    if nones:
        x = g.add("Unsqueeze", [x, g.const(nones, f"{call.hint}.axes")], call.hint)
    return x, ndim - len(ints) + len(nones)


@converts_op(subscript.GetItem)
def getitem(g: Graph, call: OpCall) -> str:
    """x[index]: Slice for slices, Gather for integers and one index tensor, Unsqueeze for
    None, in PyTorch's order (integers first when they meet an index tensor)."""
    x, ndim = call.name(0), call.array(0).ndim
    for step in call.args[1]:
        x, ndim = _index_step(g, call, x, ndim, step)
    return x


# ---------------------------------------------------------------- comparisons, logic
def _common_operands(g: Graph, call: OpCall) -> tuple[list[str], np.dtype]:
    """The names of the operands in their common dtype (gradsheet's promotion, as torch)."""
    values = [Tensor._wrap(call.array(i)) if isinstance(a, (Ref, Const)) else a
              for i, a in enumerate(call.args)]
    target = np.dtype(promotion.result_type(*values)) if len(values) > 1 else values[0].dtype
    names: list[str] = []
    for i, a in enumerate(call.args):
        if isinstance(a, (Ref, Const)):
            name = call.name(i)
            if call.array(i).dtype != target:
                name = g.add("Cast", [name], call.hint,
                             to=g.onnx.helper.np_dtype_to_tensor_dtype(target))
        else:
            name = g.exact_const(np.array(a, dtype=target), f"{call.hint}.c")
        names.append(name)
    return names, target


def _compare(op_type: str, negate: bool = False) -> OpConvert:
    def convert(g: Graph, call: OpCall) -> str:
        names, _ = _common_operands(g, call)
        y = g.add(op_type, names, call.hint)
        return g.add("Not", [y], call.hint) if negate else y
    return convert


for _op, _convert in [("eq", _compare("Equal")), ("ne", _compare("Equal", negate=True)),
                      ("lt", _compare("Less")), ("le", _compare("LessOrEqual")),
                      ("gt", _compare("Greater")), ("ge", _compare("GreaterOrEqual"))]:
    converts_op(METHOD_OPS[_op])(_convert)


def _logical(op_type: str, on_truth: bool) -> OpConvert:
    def convert(g: Graph, call: OpCall) -> str:
        names, target = _common_operands(g, call)
        if on_truth:  # logical_*: nonzero is True
            names = [n if target.kind == "b" else g.add("Cast", [n], call.hint,
                                                    to=g.onnx.TensorProto.BOOL) for n in names]
        elif target.kind != "b":
            raise NotImplementedError(f"onnx.export: {call.describe()} works on the bits of "
                                      f"{target} values; only bool tensors are exported")
        return g.add(op_type, names, call.hint)
    return convert


for _op, _convert in [("bitwise_and", _logical("And", False)), ("bitwise_or", _logical("Or", False)),
                      ("bitwise_not", _logical("Not", False)),
                      ("logical_and", _logical("And", True)), ("logical_or", _logical("Or", True)),
                      ("logical_not", _logical("Not", True))]:
    converts_op(METHOD_OPS[_op])(_convert)
