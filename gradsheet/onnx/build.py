"""From export's two traces to ONNX nodes: the steps are compared, then each becomes nodes
through its converter (a layer's, ``graph.CONVERTERS``, or an op's, ``graph.OP_CONVERTERS``).

The first trace ran on the example inputs, the second with other sizes on the dynamic axes
and other float values. The two must run the same steps on the same arguments, except for
target shapes that a converter expresses from the input's shape (``dynamic_params``);
anything else that differs was computed in Python from a size or a value of the input,
which a graph would freeze, and is refused with the step that uses it.
"""
from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any, Optional

import numpy as np
import numpy.typing as npt

from .graph import OP_CONVERTERS, Graph, converter_for
from .trace import Const, ModuleStep, OpStep, Ref

if TYPE_CHECKING:
    from ..nn.module import Module
    from .graph import LayerConverter
    from .trace import Arg, Step, Trace

_OTHER = "for inputs with other sizes on the dynamic axes and other values"


def same(a: Arg, b: Arg) -> bool:
    """Whether two step arguments (from the two traces) are the same."""
    if isinstance(a, Ref) or isinstance(b, Ref):
        return a == b
    if isinstance(a, Const) or isinstance(b, Const):
        if not (isinstance(a, Const) and isinstance(b, Const)):
            return False
        x, y = a.array, b.array
        return x.shape == y.shape and x.dtype == y.dtype and bool(
            np.array_equal(x, y, equal_nan=x.dtype.kind in "fc"))
    if isinstance(a, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(map(same, a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, slice):
        return isinstance(b, slice) and all(map(same, (a.start, a.stop, a.step),
                                                (b.start, b.stop, b.step)))
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and np.array_equal(a, b)
    return type(a) is type(b) and a == b


def _show(x: Arg) -> str:
    if isinstance(x, Const):
        return f"a tensor of shape {x.array.shape} that no traced op computed"
    if isinstance(x, Ref):
        return "a traced value"
    return repr(x)


def check_same(k: int, s1: Step, s2: Optional[Step]) -> None:
    """Raise unless step ``k`` of the second trace, ``s2``, repeats ``s1``."""
    if s2 is None:
        return
    if type(s1) is not type(s2) or \
            (isinstance(s1, OpStep) and isinstance(s2, OpStep) and s1.fn is not s2.fn) or \
            (isinstance(s1, ModuleStep) and isinstance(s2, ModuleStep) and
             s1.module is not s2.module):
        raise NotImplementedError(
            f"onnx.export: the model's forward runs other steps {_OTHER} (step {k}: "
            f"{s1.describe()} for the example, {s2.describe()} for the other inputs): control "
            "flow on sizes or values (an if or a loop on x.shape or on x's numbers) cannot be "
            "exported")
    if isinstance(s1, OpStep):
        assert isinstance(s2, OpStep)  # the same type as s1 (checked above)
        dynamic = OP_CONVERTERS[s1.fn].dynamic_params
        pairs = [(f"input {i}", a, b) for i, (a, b) in enumerate(zip(s1.args, s2.args))
                 if i not in dynamic]
        if len(s1.args) != len(s2.args):
            pairs.append(("its inputs", len(s1.args), len(s2.args)))
        pairs += [(name, s1.params.get(name), s2.params.get(name))
                  for name in s1.params.keys() | s2.params.keys() if name not in dynamic]
    else:
        assert isinstance(s2, ModuleStep)  # the same type as s1 (checked above)
        pairs = [("its inputs", s1.args, s2.args), ("its keyword inputs", s1.kwargs, s2.kwargs)]
    for what, a, b in pairs:
        if not same(a, b):
            raise NotImplementedError(
                f"onnx.export: {s1.describe()} gets, as {what}, {_show(a)} for the example "
                f"inputs but {_show(b)} {_OTHER}: it is computed in Python from a size or a value "
                "of the input (x.shape, .item(), .tolist(), a comparison, .detach(), ...), which "
                "the graph would freeze; compute it with tensor ops, or declare fewer dynamic "
                "axes")


class Emitter:
    """The graph names of traced values, and the constants already added."""

    def __init__(self, g: Graph, t1: Trace, t2: Optional[Trace]) -> None:
        self.g, self.t1, self.t2 = g, t1, t2
        self.names: dict[int, str] = {}  # Ref.vid -> graph name
        self.consts: dict[int, str] = {}  # id(a Const's array) -> its initializer's name

    def value_name(self, x: Arg, dtype: npt.DTypeLike, hint: str, user: str) -> str:
        """The graph name of a step argument: a Ref's value, a Const as an initializer
        (once per array), a number as a constant of ``dtype``."""
        if isinstance(x, Ref):
            name = self.names.get(x.vid)
            if name is None:
                raise NotImplementedError(
                    f"onnx.export: {user} uses an output of a layer that its ONNX converter "
                    "does not export")
            return name
        if isinstance(x, Const):
            key = id(x.array)
            if key not in self.consts:
                self.consts[key] = self.g.exact_const(x.array, x.name or f"{hint}.const")
            return self.consts[key]
        if x is None:
            raise TypeError(f"onnx.export: {user} has a missing (None) input")
        return self.g.exact_const(np.array(x, dtype=dtype), f"{hint}.c")

    def bind(self, refs: Arg, names: Any) -> None:
        """Name the Refs of a step's output after its converter's output names."""
        if isinstance(refs, Ref):
            while isinstance(names, tuple):  # a converter exporting only the first output
                names = names[0]
            self.names[refs.vid] = names
        elif isinstance(refs, tuple):
            if isinstance(names, str):
                names = (names,)
            for i, r in enumerate(refs):
                self.bind(r, names[i] if i < len(names) else None)

    def structure_names(self, x: Arg, hint: str, user: str) -> Any:
        """The graph names of a (nested) tuple of step arguments, in its structure."""
        if isinstance(x, (tuple, list)):
            return tuple(self.structure_names(v, hint, user) for v in x)
        return self.value_name(x, self.g.dtype, hint, user)

    def find_dim(self, a: int, b: int, first: Arg = None) -> Optional[tuple[str, int]]:
        """(graph name, axis) of a value with a dim of size ``a`` in the first trace and ``b``
        in the second: ``first`` (a Ref) if it has one, else the earliest such value (the graph
        inputs come first), else None."""
        if self.t2 is None:
            return None
        candidates = ([first.vid] if isinstance(first, Ref) else []) + sorted(self.names)
        for vid in candidates:
            name = self.names.get(vid)
            if name is None or vid >= len(self.t2.arrays):
                continue
            for j, (n1, n2) in enumerate(zip(self.t1.arrays[vid].shape, self.t2.arrays[vid].shape)):
                if n1 == a and n2 == b:
                    return name, j
        return None

    def array_of(self, x: Arg, trace: Trace) -> np.ndarray:
        """The value of a step argument in ``trace`` (a Ref's array, a Const's, a number)."""
        if isinstance(x, Ref):
            return trace.arrays[x.vid]
        if isinstance(x, Const):
            return x.array
        return np.asarray(x)

    # ------------------------------------------------------------ steps
    def emit(self, steps2: Optional[list[Step]]) -> None:
        """Emit every step of the first trace, each checked against the same step of the
        second (``steps2``; None: no second trace, as for the dry run)."""
        for k, step in enumerate(self.t1.steps):
            other = None
            if steps2 is not None:
                other = steps2[k] if k < len(steps2) else None
                if other is None:
                    raise NotImplementedError(
                        f"onnx.export: the model's forward runs fewer steps {_OTHER} (step {k}: "
                        f"{step.describe()}): control flow on sizes or values cannot be exported")
                check_same(k, step, other)
            if isinstance(step, OpStep):
                assert other is None or isinstance(other, OpStep)  # check_same
                call = OpCall(self, step, other)
                self.names[step.out.vid] = OP_CONVERTERS[step.fn](self.g, call)
            else:
                assert other is None or isinstance(other, ModuleStep)  # check_same
                self.emit_layer(step, other)
        if steps2 is not None and len(steps2) > len(self.t1.steps):
            raise NotImplementedError(
                f"onnx.export: the model's forward runs more steps {_OTHER} (step "
                f"{len(self.t1.steps)}: {steps2[len(self.t1.steps)].describe()}): control flow "
                "on sizes or values cannot be exported")

    def emit_layer(self, step: ModuleStep, other: Optional[ModuleStep]) -> None:
        """Emit a layer through its converter: the forward's first argument is ``x``, the
        others must be None or among the converter's ``extra_inputs`` (tensors, given to it as
        graph names) or ``options`` (Python values, given as they are); a converter with
        ``examples = True`` also gets ``examples``, the extra inputs' example arrays by name
        (for their ranks and dtypes). A converter whose nodes change with the dynamic sizes
        is refused."""
        m, path, user = step.module, step.path, step.describe()
        fn = converter_for(m)
        assert fn is not None  # the trace made a step of a layer that has a converter
        x, extras, examples = self._layer_arguments(fn, step, self.t1)
        xname = self.value_name(x, self.g.dtype, path or "model", user)
        shape = self.array_of(x, self.t1).shape
        if getattr(fn, "examples", False):
            extras["examples"] = examples
        if other is not None:
            assert self.t2 is not None  # other is a step of the second trace
            x2, _, examples2 = self._layer_arguments(fn, other, self.t2, names=False)
            shape2 = self.array_of(x2, self.t2).shape
            if shape2 != shape or any(examples[k].shape != examples2[k].shape for k in examples):
                extras2 = dict(extras)
                if "examples" in extras:
                    extras2["examples"] = examples2
                first = self._layer_nodes(fn, m, xname, shape, path, extras)
                try:
                    second, reason = self._layer_nodes(fn, m, xname, shape2, path, extras2), ""
                except (ValueError, NotImplementedError) as error:
                    second, reason = None, f" ({error})"
                if first != second:
                    raise NotImplementedError(
                        f"onnx.export: {user} would be exported differently for input shape "
                        f"{shape} than for {shape2}{reason}: the sizes of the dynamic axes "
                        "change its ONNX form (pooling windows, say); declare those axes static")
        self.bind(step.out, fn(self.g, m, xname, shape, path or "model", **extras))

    def _layer_arguments(self, fn: LayerConverter, step: ModuleStep, trace: Trace,
                         names: bool = True) -> tuple[Arg, dict[str, Any], dict[str, np.ndarray]]:
        """(x, extras: argument name -> graph names (None unless ``names``) or option value,
        examples: argument name -> example array in ``trace``) of a layer step."""
        m, path, user = step.module, step.path, step.describe()
        try:
            bound = inspect.signature(type(m).forward).bind(m, *step.args, **step.kwargs)
        except TypeError as error:
            raise TypeError(f"onnx.export: {user}: {error}") from None
        (first, x), *rest = list(bound.arguments.items())[1:]
        allowed = getattr(fn, "extra_inputs", ())
        options = getattr(fn, "options", ())
        extras: dict[str, Any] = {}
        examples: dict[str, np.ndarray] = {}
        for name, value in rest:
            if name in options:
                if isinstance(value, (Ref, Const)):
                    raise TypeError(f"onnx.export: {user} gets a tensor as {name}; it takes a "
                                    "Python value there")
                extras[name] = value
                continue
            if value is None:
                continue
            if name not in allowed:
                raise NotImplementedError(
                    f"onnx.export: {user} is called with {name}=...; its ONNX converter takes "
                    f"{', '.join((first,) + tuple(allowed) + tuple(options))} only")
            extras[name] = self.structure_names(value, path or "model", user) if names else None
            if isinstance(value, (Ref, Const)):
                examples[name] = self.array_of(value, trace)
        if not isinstance(x, (Ref, Const)):
            raise TypeError(f"onnx.export: {user} gets {type(x).__name__} {first}; a tensor "
                            "is needed")
        return x, extras, examples

    def _layer_nodes(self, fn: LayerConverter, m: Module, xname: str, shape: tuple[int, ...],
                     path: str, extras: dict[str, Any]) -> tuple[list[bytes], list[bytes]]:
        g = Graph(self.g.onnx, self.g.opset, self.g.dtype, self.g.batch_axis)
        fn(g, m, xname, shape, path or "model", **extras)
        return ([n.SerializeToString() for n in g.nodes],
                [t.SerializeToString() for t in g.initializers])


class OpCall:
    """What an op converter needs of one traced op: its arguments (Refs, Consts, numbers),
    their graph names, and their values in both traces."""

    def __init__(self, emitter: Emitter, step: OpStep, other: Optional[OpStep]) -> None:
        self.e, self.step, self.other = emitter, step, other
        self.fn, self.args, self.params = step.fn, step.args, step.params
        self.hint = step.path or "model"
        self.out = emitter.t1.arrays[step.out.vid]
        self.out2 = self.out
        if other is not None:
            assert emitter.t2 is not None  # other is a step of the second trace
            self.out2 = emitter.t2.arrays[other.out.vid]

    def describe(self) -> str:
        """The op and the forward that called it, for messages."""
        return self.step.describe()

    def arg(self, i: int) -> Arg:
        """Argument i (Ref, Const, number or None; None past the end)."""
        return self.args[i] if i < len(self.args) else None

    def is_const(self, i: int) -> bool:
        """Whether argument i is a tensor no traced op computed (a parameter, say)."""
        return isinstance(self.args[i], Const)

    def const_name(self, i: int) -> str:
        """The name for a constant argument i: its name in the model, or a generated one."""
        return self.args[i].name or f"{self.hint}.const"

    def array_of(self, x: Arg) -> np.ndarray:
        """The value of argument ``x`` in the first trace."""
        return self.e.array_of(x, self.e.t1)

    def array(self, i: int) -> np.ndarray:
        """The value of argument i in the first trace."""
        return self.array_of(self.args[i])

    def input_shapes(self, i: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """Input i's shape in the first trace and in the second."""
        first = self.array(i).shape
        if self.other is None:
            return first, first
        assert self.e.t2 is not None  # other is a step of the second trace
        return first, self.e.array_of(self.other.args[i], self.e.t2).shape

    def dim(self, k: int) -> Optional[str]:
        """A 1-D int64 graph value holding output dim k's size, read from the Shape of a value
        that has it in both traces (this op's input first), or None."""
        found = self.e.find_dim(self.out.shape[k], self.out2.shape[k], self.args[0])
        if found is None:
            return None
        name, j = found
        return self.e.g.add("Shape", [name], self.hint, start=j, end=j + 1)

    def value_name(self, x: Arg, dtype: Optional[npt.DTypeLike] = None) -> str:
        """The graph name of argument ``x`` (a number becomes a constant of ``dtype``, by
        default the result's)."""
        return self.e.value_name(x, dtype or self.out.dtype, self.hint, self.describe())

    def name(self, i: int, dtype: Optional[npt.DTypeLike] = None) -> str:
        """The graph name of input i (a number becomes a constant of the result's dtype)."""
        return self.value_name(self.args[i], dtype)

    def number(self, value: float) -> str:
        """A constant holding ``value`` in the result's dtype."""
        return self.e.g.exact_const(np.array(value, dtype=self.out.dtype), f"{self.hint}.c")
