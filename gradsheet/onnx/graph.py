"""The ONNX graph under construction and the layer converter registry.

A layer converter turns one layer into ONNX nodes. It is a function
``convert(g, module, x, shape, path) -> name``: ``g`` is the Graph, ``x`` the name of
the layer's input value in the graph, ``shape`` that input's shape in the example run,
``path`` the layer's name in the model (for node names and errors); it returns the name
of the layer's output (or, for a layer returning a tuple, a tuple of names shaped as the
output). Converters register themselves for a layer class with ``@converts(LayerClass)``;
one that takes more inputs than ``x`` (an RNN's initial state) lists their keyword names in
``fn.extra_inputs``. ``trace`` records which layers a model's forward calls, and ``ops``
converts the tensor ops between them.
"""
import numpy as np

from ..autograd.tensor import Tensor
from ..autograd.tensor import as_tensor as as_array_tensor

CONVERTERS = {}
OP_CONVERTERS = {}  # Function class -> convert(g, call) -> name (gradsheet.onnx.ops)


def converts(*classes):
    """Register the decorated function as the converter of each layer class in ``classes``."""
    def register(fn):
        for cls in classes:
            CONVERTERS[cls] = fn
        return fn
    return register


def converts_op(*functions, dynamic=()):
    """Register the decorated function as the converter of each op (Function class) in
    ``functions``; ``dynamic`` lists the inputs (positions) and params (names) that may differ
    between export's two traces (a target shape that follows a dynamic axis): the converter
    expresses them."""
    def register(fn):
        fn.dynamic_params = frozenset(dynamic)
        for f in functions:
            OP_CONVERTERS[f] = fn
        return fn
    return register


def converter_for(module):
    """The converter of ``module``'s class, or of the nearest registered base class whose
    ``forward`` the module still uses (a subclass with its own forward is a new layer)."""
    for cls in type(module).__mro__:
        if cls in CONVERTERS:
            return CONVERTERS[cls] if type(module).forward is cls.forward else None
    return None


class Graph:
    """Nodes and initializers (the weights) of one ONNX graph, with unique value names.

    ``dtype`` is the numpy float dtype of the model; ``batch_axis`` is the axis of the
    current value that holds the batch (converters that move it, such as a sequence-first
    RNN, update it), so the graph's output can declare it symbolic.
    """

    def __init__(self, onnx, opset, dtype, batch_axis=None):
        self.onnx = onnx
        self.opset = opset
        self.dtype = np.dtype(dtype)
        self.batch_axis = batch_axis  # not None: the legacy dynamic batch (export's docstring)
        self.nodes = []
        self.initializers = []
        self._names = set()

    def fresh(self, hint):
        """A value name not used before, built from ``hint``."""
        name, i = hint, 1
        while name in self._names:
            name, i = f"{hint}_{i}", i + 1
        self._names.add(name)
        return name

    def const(self, array, hint):
        """Add ``array`` as an initializer and return its name. Floats take the model dtype;
        shapes and indices are int64, as ONNX wants them."""
        array = np.asarray(array)
        # a C-ordered copy that keeps 0-d arrays 0-d (np.ascontiguousarray would make them 1-d)
        array = array.astype(self.dtype if array.dtype.kind == "f" else np.int64, order="C")
        name = self.fresh(hint)
        self.initializers.append(self.onnx.numpy_helper.from_array(array, name))
        return name

    def exact_const(self, array, hint):
        """Add ``array`` as an initializer keeping its dtype (a constant the traced forward
        used, whose dtype gradsheet's promotion already chose); return its name."""
        array = np.asarray(array)
        array = array.astype(array.dtype, order="C")
        name = self.fresh(hint)
        self.initializers.append(self.onnx.numpy_helper.from_array(array, name))
        return name

    def scalar(self, value, hint="c"):
        """A 0-d float constant in the model dtype (Python floats would be float64 in ONNX)."""
        return self.const(np.array(value, dtype=self.dtype), hint)

    def add(self, op_type, inputs, hint, **attrs):
        """Append one node with one output; return the output's name."""
        output = self.fresh(f"{hint}_{op_type}")
        self.nodes.append(self.onnx.helper.make_node(op_type, list(inputs), [output],
                                                     name=self.fresh(f"{hint}/{op_type}"),
                                                     **attrs))
        return output

    def add_multi(self, op_type, inputs, hint, outputs, **attrs):
        """Append one node with ``outputs`` outputs; return their names (a list)."""
        names = [self.fresh(f"{hint}_{op_type}_{i}") for i in range(outputs)]
        self.nodes.append(self.onnx.helper.make_node(op_type, list(inputs), names,
                                                     name=self.fresh(f"{hint}/{op_type}"),
                                                     **attrs))
        return names


def ntuple(value, dims):
    """An int or a sequence as a list of ``dims`` Python ints (None kept), as PyTorch's _pair."""
    values = list(value) if isinstance(value, (tuple, list)) else [value]
    return [None if v is None else int(v) for v in (values * dims if len(values) == 1 else values)]


def spatial_input(m, shape, dims, path):
    """Refuse an unbatched input: ONNX's Conv and pooling ops read (N, C, spatial...)."""
    if len(shape) != dims + 2:
        raise ValueError(f"onnx.export: {type(m).__name__} at {path!r} got input of shape "
                         f"{tuple(shape)}; ONNX needs a batched {dims + 2}-d input "
                         "(N, C, ...): pass a batched example")


def _describe(module, path):
    return f"{type(module).__name__} at {path or '<model>'!r}"


def require_converter(module, path):
    """``module``'s converter, or NotImplementedError naming its type and path in the model."""
    fn = converter_for(module)
    if fn is not None:
        return fn
    raise NotImplementedError(f"onnx.export: no ONNX converter for {_describe(module, path)}")


def as_tensor(example):
    """The example input as a Tensor (arrays, lists and Tensors accepted)."""
    return example if isinstance(example, Tensor) else as_array_tensor(np.asarray(example))
