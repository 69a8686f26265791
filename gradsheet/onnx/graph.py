"""The ONNX graph under construction and the layer converter registry.

A layer converter turns one layer into ONNX nodes. It is a function
``convert(g, module, x, shape, path) -> name``: ``g`` is the Graph, ``x`` the name of
the layer's input value in the graph, ``shape`` that input's shape in the example run,
``path`` the layer's name in the model (for node names and errors); it returns the name
of the layer's output (or, for a layer returning a tuple, a tuple of names shaped as the
output). Converters register themselves for a layer class with ``@converts(LayerClass)``;
one that takes more inputs than ``x`` (an RNN's initial state) lists their keyword names in
``@converts(..., extra_inputs=...)``, which sets ``fn.extra_inputs`` (``options`` and
``examples`` likewise: ``build.Emitter.emit_layer``). ``trace`` records which layers a
model's forward calls, and ``ops`` converts the tensor ops between them.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any, Optional, TypeVar, Union, cast, overload

import numpy as np
import numpy.typing as npt

from ..autograd.tensor import Tensor
from ..autograd.tensor import as_tensor as as_array_tensor

if TYPE_CHECKING:
    from typing import Protocol

    from onnx import NodeProto, TensorProto

    from .._typing import DType, TensorLike
    from ..nn.module import Module
    from .build import OpCall

    class OpConverter(Protocol):
        """convert(g, call) -> the graph name of the op's result, and ``dynamic_params``: the
        inputs (positions) and params (names) that may differ between export's two traces."""

        dynamic_params: frozenset[Union[int, str]]

        def __call__(self, g: Graph, call: OpCall) -> str: ...


# convert(g, module, x, shape, path, **extras) -> the output's graph name (or names, shaped as
# the layer's output), with the attributes extra_inputs, options and examples where it has them
LayerConverter = Callable[..., Any]
_Layer = TypeVar("_Layer", bound=LayerConverter)
_Op = TypeVar("_Op", bound="Callable[[Graph, OpCall], str]")

CONVERTERS: dict[type, LayerConverter] = {}  # layer class -> its converter
OP_CONVERTERS: dict[type, OpConverter] = {}  # Function class -> convert(g, call) -> name (ops)


def converts(*classes: type, extra_inputs: Sequence[str] = (), options: Sequence[str] = (),
             examples: bool = False) -> Callable[[_Layer], _Layer]:
    """Register the decorated function as the converter of each layer class in ``classes``.
    ``extra_inputs``: the forward's tensor arguments besides ``x`` that it takes (as graph
    names); ``options``: the Python values it takes; ``examples``: it also takes the extra
    inputs' example arrays (``build.Emitter.emit_layer``)."""
    def register(fn: _Layer) -> _Layer:
        # setattr: attributes that the function's type (_Layer, kept for the caller) lacks
        if extra_inputs:
            setattr(fn, "extra_inputs", tuple(extra_inputs))
        if options:
            setattr(fn, "options", tuple(options))
        if examples:
            setattr(fn, "examples", True)
        for cls in classes:
            CONVERTERS[cls] = fn
        return fn
    return register


def converts_op(*functions: type, dynamic: Sequence[Union[int, str]] = ()
                ) -> Callable[[_Op], _Op]:
    """Register the decorated function as the converter of each op (Function class) in
    ``functions``; ``dynamic`` lists the inputs (positions) and params (names) that may differ
    between export's two traces (a target shape that follows a dynamic axis): the converter
    expresses them."""
    def register(fn: _Op) -> _Op:
        setattr(fn, "dynamic_params", frozenset(dynamic))  # an attribute _Op lacks
        for f in functions:
            OP_CONVERTERS[f] = cast("OpConverter", fn)  # dynamic_params is set just above
        return fn
    return register


def converter_for(module: Module) -> Optional[LayerConverter]:
    """The converter of ``module``'s class, or of the nearest registered base class whose
    ``forward`` the module still uses (a subclass with its own forward is a new layer)."""
    for cls in type(module).__mro__:
        if cls in CONVERTERS:
            layer = cast("type[Module]", cls)  # CONVERTERS holds layer (Module) classes
            return CONVERTERS[cls] if type(module).forward is layer.forward else None
    return None


class Graph:
    """Nodes and initializers (the weights) of one ONNX graph, with unique value names.

    ``dtype`` is the numpy float dtype of the model; ``batch_axis`` is the axis of the
    current value that holds the batch (converters that move it, such as a sequence-first
    RNN, update it), so the graph's output can declare it symbolic.
    """

    def __init__(self, onnx: ModuleType, opset: int, dtype: DType,
                 batch_axis: Optional[int] = None) -> None:
        self.onnx = onnx
        self.opset = opset
        self.dtype = np.dtype(dtype)
        self.batch_axis = batch_axis  # not None: the legacy dynamic batch (export's docstring)
        self.nodes: list[NodeProto] = []
        self.initializers: list[TensorProto] = []
        self._names: set[str] = set()

    def fresh(self, hint: str) -> str:
        """A value name not used before, built from ``hint``."""
        name, i = hint, 1
        while name in self._names:
            name, i = f"{hint}_{i}", i + 1
        self._names.add(name)
        return name

    def const(self, array: npt.ArrayLike, hint: str) -> str:
        """Add ``array`` as an initializer and return its name. Floats take the model dtype;
        shapes and indices are int64, as ONNX wants them."""
        array = np.asarray(array)
        # a C-ordered copy that keeps 0-d arrays 0-d (np.ascontiguousarray would make them 1-d)
        array = array.astype(self.dtype if array.dtype.kind == "f" else np.int64, order="C")
        name = self.fresh(hint)
        self.initializers.append(self.onnx.numpy_helper.from_array(array, name))
        return name

    def exact_const(self, array: npt.ArrayLike, hint: str) -> str:
        """Add ``array`` as an initializer keeping its dtype (a constant the traced forward
        used, whose dtype gradsheet's promotion already chose); return its name."""
        array = np.asarray(array)
        array = array.astype(array.dtype, order="C")
        name = self.fresh(hint)
        self.initializers.append(self.onnx.numpy_helper.from_array(array, name))
        return name

    def scalar(self, value: float, hint: str = "c") -> str:
        """A 0-d float constant in the model dtype (Python floats would be float64 in ONNX)."""
        return self.const(np.array(value, dtype=self.dtype), hint)

    def add(self, op_type: str, inputs: Sequence[str], hint: str, **attrs: Any) -> str:
        """Append one node with one output; return the output's name."""
        output = self.fresh(f"{hint}_{op_type}")
        self.nodes.append(self.onnx.helper.make_node(op_type, list(inputs), [output],
                                                     name=self.fresh(f"{hint}/{op_type}"),
                                                     **attrs))
        return output

    def add_multi(self, op_type: str, inputs: Sequence[str], hint: str, outputs: int,
                  **attrs: Any) -> list[str]:
        """Append one node with ``outputs`` outputs; return their names (a list)."""
        names = [self.fresh(f"{hint}_{op_type}_{i}") for i in range(outputs)]
        self.nodes.append(self.onnx.helper.make_node(op_type, list(inputs), names,
                                                     name=self.fresh(f"{hint}/{op_type}"),
                                                     **attrs))
        return names


@overload
def ntuple(value: Union[int, Sequence[int]], dims: int) -> list[int]: ...
@overload
def ntuple(value: Union[int, None, Sequence[Optional[int]]], dims: int
           ) -> Sequence[Optional[int]]: ...
def ntuple(value: Union[int, None, Sequence[Optional[int]]], dims: int) -> list[Any]:
    """An int or a sequence as a list of ``dims`` Python ints (None kept), as PyTorch's _pair."""
    values: list[Any] = list(value) if isinstance(value, (tuple, list)) else [value]
    return [None if v is None else int(v) for v in (values * dims if len(values) == 1 else values)]


def spatial_input(m: Module, shape: Sequence[int], dims: int, path: str) -> None:
    """Refuse an unbatched input: ONNX's Conv and pooling ops read (N, C, spatial...)."""
    if len(shape) != dims + 2:
        raise ValueError(f"onnx.export: {type(m).__name__} at {path!r} got input of shape "
                         f"{tuple(shape)}; ONNX needs a batched {dims + 2}-d input "
                         "(N, C, ...): pass a batched example")


def _describe(module: Module, path: str) -> str:
    return f"{type(module).__name__} at {path or '<model>'!r}"


def require_converter(module: Module, path: str) -> LayerConverter:
    """``module``'s converter, or NotImplementedError naming its type and path in the model."""
    fn = converter_for(module)
    if fn is not None:
        return fn
    raise NotImplementedError(f"onnx.export: no ONNX converter for {_describe(module, path)}")


def as_tensor(example: TensorLike) -> Tensor:
    """The example input as a Tensor (arrays, lists and Tensors accepted)."""
    return example if isinstance(example, Tensor) else as_array_tensor(np.asarray(example))
