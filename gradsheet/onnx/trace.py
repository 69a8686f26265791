"""Tracing: what a model's forward computes, recorded while it runs on example inputs.

While ``tracing(trace, model)`` is active, three hooks report to the trace:

- ``Module.__call__``: a layer with a converter (``graph.CONVERTERS``: Linear, Conv2d,
  LSTM, ...) is one step, run as usual with the ops inside it not recorded; any other
  module (Sequential, a custom Module) runs its own forward, whose steps are recorded;
- ``Function.apply``: every differentiable op (x + y, cat, matmul, x[i], ...) is one step;
  an op without a converter in ``graph.OP_CONVERTERS`` raises NotImplementedError at once,
  naming the op and the module whose forward called it;
- the comparison and logical methods of Tensor (``x > 0``, ``~mask``: not Functions, as
  they have no gradient) are steps too (``TensorMethod``);
- ``inplace._store``: an in-place change (``x += y``) makes ``x`` the new value; values that
  share memory with ``x`` (views) become stale, and using one later raises.

Tensors the trace did not compute (parameters that a custom forward uses directly, tensors
made inside it) are constants (``Const``). ``export`` traces twice, the second time with
other sizes on the dynamic axes and other float values, and compares the two: what differs
is either a size that follows a dynamic axis (expressed in the graph) or an error, so the
file never silently freezes something that depends on the input.
"""
from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Optional, Union

import numpy as np
import numpy.typing as npt

from ..autograd import inplace as _inplace
from ..autograd.function import Function
from ..autograd.tensor import Tensor
from ..nn.module import Module
from .graph import OP_CONVERTERS, _describe, converter_for

if TYPE_CHECKING:
    from ..nn.module import Module

# A step argument: a Ref, a Const, a Python value (number, None, slice, string, dtype, ...) or
# tuples, lists and dicts of them
Arg = Any


class Ref:
    """A value the trace computed, or a graph input: entry ``vid`` of ``Trace.arrays``."""

    __slots__ = ("vid",)

    def __init__(self, vid: int) -> None:
        self.vid = vid

    def __eq__(self, other: object) -> bool:  # (an __eq__ alone makes Ref unhashable)
        return isinstance(other, Ref) and other.vid == self.vid

    def __repr__(self) -> str:
        return f"Ref({self.vid})"


class Const:
    """A tensor or array that the forward used but the trace did not compute: an initializer
    in the graph (``name``: its name in the model, for a parameter or a buffer)."""

    __slots__ = ("array", "name")

    def __init__(self, array: npt.ArrayLike, name: Optional[str] = None) -> None:
        self.array = np.asarray(array)
        self.name = name

    def __repr__(self) -> str:
        return f"Const({self.name or self.array.shape})"


class OpStep:
    """One op: ``fn`` (a Function class) applied to ``args`` with keyword ``params`` (Refs and
    Consts in place of tensors and arrays); ``out`` is the Ref of its result, ``where`` the
    module whose forward called it."""

    __slots__ = ("fn", "args", "params", "out", "where", "path")

    def __init__(self, fn: type, args: list[Arg], params: dict[str, Arg], out: Ref, where: str,
                 path: str) -> None:
        self.fn, self.args, self.params, self.out, self.where = fn, args, params, out, where
        self.path = path

    def describe(self) -> str:
        """The op and the forward that called it, for messages."""
        return f"the op {self.fn.__name__} in the forward of {self.where}"


class ModuleStep:
    """One layer called as ``module(*args, **kwargs)``; ``out`` has the output's structure
    with a Ref for each tensor."""

    __slots__ = ("module", "path", "args", "kwargs", "out")

    def __init__(self, module: Module, path: str, args: tuple[Arg, ...], kwargs: dict[str, Arg],
                 out: Arg) -> None:
        self.module, self.path, self.args, self.kwargs, self.out = module, path, args, kwargs, out

    def describe(self) -> str:
        """The layer's type and path, for messages."""
        return _describe(self.module, self.path)


Step = Union[OpStep, ModuleStep]


class Trace:
    """The steps of one run of the model, and the value (an array) behind every Ref."""

    def __init__(self, model: Module) -> None:
        self.paths = {id(m): name for name, m in model.named_modules()}
        self.names: dict[int, str] = {}
        for name, t in list(model.named_parameters()) + list(model.named_buffers()):
            self.names.setdefault(id(t), name)
        self.arrays: list[np.ndarray] = []
        self.tensors: list[object] = []  # kept alive, so that their ids stay theirs
        self.by_tensor: dict[int, int] = {}
        self.by_array: dict[int, int] = {}
        self.steps: list[Step] = []
        self.stale: dict[int, str] = {}  # vid -> the in-place op that changed its memory
        self.stack: list[tuple[Module, str]] = []  # (module, path) of the forwards being run
        self.suppress = 0  # > 0 inside a converted layer: its own ops are not steps
        self.tuples: dict[int, tuple[Module, str]] = {}  # id(a layer's tuple output) -> layer

    # ------------------------------------------------------------ values
    def value(self, tensor: Tensor) -> Ref:
        """A new Ref for ``tensor`` (an input, or what a step computed)."""
        vid = len(self.arrays)
        self.arrays.append(tensor.array)
        self.tensors.append(tensor)
        self.by_tensor[id(tensor)] = vid
        self.by_array[id(tensor.array)] = vid
        return Ref(vid)

    def ref(self, x: Any, user: str) -> Arg:
        """``x`` with Refs for traced tensors (and their arrays), Consts for other tensors
        and arrays, the same structure for tuples, lists and dicts."""
        if isinstance(x, Tensor):
            vid = self.by_tensor.get(id(x))
            if vid is None:
                return Const(x.array, self.names.get(id(x)))
        elif isinstance(x, np.ndarray):
            vid = self.by_array.get(id(x))
            if vid is None:
                return Const(x)
        elif isinstance(x, tuple):
            return tuple(self.ref(v, user) for v in x)
        elif isinstance(x, list):
            return [self.ref(v, user) for v in x]
        elif isinstance(x, dict):
            return {k: self.ref(v, user) for k, v in x.items()}
        else:
            return x
        if vid in self.stale:
            raise NotImplementedError(
                f"onnx.export: {user} uses a tensor whose memory the in-place op "
                f"{self.stale[vid]} changed behind the exporter's back (through a view, or by "
                "x[...] = v); write that step out of place (torch.cat, torch.where, clone())")
        return Ref(vid)

    def outputs(self, out: Any, user: str) -> Arg:
        """Refs for the tensors in a step's output, in its structure."""
        if isinstance(out, Tensor):
            return self.value(out)
        if isinstance(out, (tuple, list)):
            return tuple(self.outputs(o, user) for o in out)
        if out is None:
            return None
        raise TypeError(f"onnx.export: {user} returned a {type(out).__name__}; only tensors and "
                        "tuples of tensors can be exported")

    def context(self) -> str:
        """The module whose forward is running, for messages."""
        return _describe(*self.stack[-1]) if self.stack else "'<model>'"

    def path_of(self, module: Module) -> str:
        """``module``'s name in the model (a made-up one for a module made in a forward)."""
        path = self.paths.get(id(module))
        if path is None:  # a module made inside a forward
            parent = self.stack[-1][1] if self.stack else ""
            path = f"{parent}.<{type(module).__name__}>" if parent else f"<{type(module).__name__}>"
        return path

    # ------------------------------------------------------------ hooks
    def call_module(self, module: Module, call: Callable[..., Any], args: tuple[Any, ...],
                    kwargs: dict[str, Any]) -> Any:
        """``module(*args, **kwargs)`` through ``call`` (its class's own __call__): a layer
        with a converter is one step; any other module runs its forward, traced."""
        path = self.path_of(module)
        if args and isinstance(args[0], tuple) and id(args[0]) in self.tuples:
            producer = _describe(*self.tuples[id(args[0])])
            raise TypeError(f"onnx.export: {producer} returns a tuple, which the next layer "
                            f"({_describe(module, path)}) cannot take; wrap it in "
                            "gradsheet.onnx.SequenceOutput to pass its output on")
        cls = type(module)
        if converter_for(module) is None:
            if cls.forward is Module.forward or cls.__module__ == "gradsheet.nn.loss":
                raise NotImplementedError(
                    f"onnx.export: no ONNX converter for {_describe(module, path)}")
            self.stack.append((module, path))
            try:
                return call(module, *args, **kwargs)
            finally:
                self.stack.pop()
        where = _describe(module, path)
        step_args, step_kwargs = self.ref(args, where), self.ref(kwargs, where)
        self.suppress += 1
        try:
            out = call(module, *args, **kwargs)
        finally:
            self.suppress -= 1
        self.steps.append(ModuleStep(module, path, step_args, step_kwargs,
                                     self.outputs(out, where)))
        if isinstance(out, tuple):
            self.tuples[id(out)] = (module, path)
            self.tensors.append(out)
        return out

    def record_op(self, fn: type, inputs: Sequence[Any], params: dict[str, Any], out: Tensor
                  ) -> None:
        """Record ``fn(*inputs, **params) = out`` as a step (NotImplementedError, naming the
        op and the forward that called it, when the op has no converter)."""
        if fn not in OP_CONVERTERS:
            raise NotImplementedError(
                f"onnx.export: no ONNX converter for the op {fn.__name__} ({fn.__module__}), "
                f"called in the forward of {self.context()}; use the layers and ops listed in "
                "gradsheet.onnx.export's docstring")
        where = self.context()
        user = f"the op {fn.__name__} in the forward of {where}"
        args, params = self.ref(list(inputs), user), self.ref(params, user)
        path = self.stack[-1][1] if self.stack else ""
        self.steps.append(OpStep(fn, args, params, self.value(out), where, path))

    def on_store(self, op: str, target: Tensor, result: object) -> None:
        """``result`` was written into ``target`` by the in-place op ``op``."""
        vid = self.by_tensor.get(id(target))
        rvid = self.by_tensor.get(id(result)) if isinstance(result, Tensor) and \
            result is not target else None
        for other, array in enumerate(self.arrays):  # views of target now hold other numbers
            if other not in (vid, rvid) and np.may_share_memory(array, target.array):
                self.stale[other] = op
        if rvid is not None:
            self.by_tensor[id(target)] = rvid
            self.by_array[id(target.array)] = rvid
        elif vid is not None:
            self.stale[vid] = op


class TensorMethod:
    """An op that is no Function (a comparison or a logical op: no gradient), traced through
    its Tensor method (``x > 0``, ``x.eq(y)``, ``~mask``); each subclass is named after the
    gradsheet function."""


_METHODS = {"__eq__": "eq", "eq": "eq", "__ne__": "ne", "ne": "ne", "__lt__": "lt", "lt": "lt",
            "__le__": "le", "le": "le", "__gt__": "gt", "gt": "gt", "__ge__": "ge", "ge": "ge",
            "__and__": "bitwise_and", "__or__": "bitwise_or", "__invert__": "bitwise_not",
            "logical_and": "logical_and", "logical_or": "logical_or",
            "logical_not": "logical_not"}
METHOD_OPS = {op: type(op, (TensorMethod,), {"__module__": "gradsheet.ops.comparison"})
              for op in set(_METHODS.values())}


def _traced_method(op: type, method: Callable[..., Any]) -> Callable[..., Any]:
    def traced(self: Tensor, *args: Any) -> Any:
        out = method(self, *args)
        trace = _ACTIVE
        if trace is not None and not trace.suppress and isinstance(out, Tensor):
            trace.record_op(op, (self,) + args, {}, out)
        return out
    return traced


_ACTIVE: Optional[Trace] = None
_APPLY = Function.__dict__["apply"]
_STORE = _inplace._store


def _traced_apply(cls: type[Function], *inputs: Any, **params: Any) -> Any:
    out = _APPLY.__func__(cls, *inputs, **params)
    trace = _ACTIVE
    if trace is not None and not trace.suppress:
        trace.record_op(cls, inputs, params, out)
    return out


def _traced_store(op: str, target: Tensor, result: object) -> None:
    _STORE(op, target, result)
    trace = _ACTIVE
    if trace is not None and not trace.suppress:
        trace.on_store(op, target, result)


def _traced_call(call: Callable[..., Any]) -> Callable[..., Any]:
    def traced_call(self: Module, *args: Any, **kwargs: Any) -> Any:
        trace = _ACTIVE
        if trace is None or trace.suppress:
            return call(self, *args, **kwargs)
        return trace.call_module(self, call, args, kwargs)
    return traced_call


@contextlib.contextmanager
def tracing(trace: Trace, model: Module) -> Iterator[Trace]:
    """Record the steps of whatever runs inside the ``with`` block into ``trace``."""
    global _ACTIVE
    if _ACTIVE is not None:
        raise RuntimeError("onnx.export: already exporting (export is not reentrant)")
    classes: set[type[Module]] = {Module}
    for m in model.modules():
        classes.update(c for c in type(m).__mro__ if "__call__" in c.__dict__ and
                       isinstance(c, type) and issubclass(c, Module))
    calls = {cls: cls.__dict__["__call__"] for cls in classes}
    methods = {name: Tensor.__dict__[name] for name in _METHODS if name in Tensor.__dict__}
    try:
        # setattr: patching methods, which mypy refuses as assignments
        for cls, call in calls.items():
            setattr(cls, "__call__", _traced_call(call))
        for name, method in methods.items():
            setattr(Tensor, name, _traced_method(METHOD_OPS[_METHODS[name]], method))
        setattr(Function, "apply", classmethod(_traced_apply))
        _inplace._store = _traced_store
        _ACTIVE = trace
        yield trace
    finally:
        _ACTIVE = None
        _inplace._store = _STORE
        setattr(Function, "apply", _APPLY)
        for name, method in methods.items():
            setattr(Tensor, name, method)
        for cls, call in calls.items():
            setattr(cls, "__call__", call)
