"""``gradsheet.onnx``: export a model to an ONNX file that onnxruntime (or any ONNX runtime)
runs without gradsheet, with ``torch.onnx.export``'s signature.

    gradsheet.onnx.export(model, gs.randn(1, 8), "model.onnx")
    gradsheet.onnx.export(model, (x, (h0, c0)), "lstm.onnx", input_names=["x", "h0", "c0"],
                          dynamic_axes={"x": {0: "batch", 1: "time"}, "h0": {1: "batch"},
                                        "c0": {1: "batch"}})

The graph is built with ``onnx.helper`` from a trace of the model's forward on the example
inputs (``trace``): the layers listed in ``export`` become their ONNX ops, and the tensor ops
a forward uses between them (+, *, matmul, cat, reshape, x[i], ...) theirs. The forward runs
twice, the second time with other sizes on the dynamic axes and other float values, and the
two traces must agree (``build``), so the file never silently freezes a size or a value that
changes with the input. Needs the ``onnx`` extra (``pip install gradsheet[onnx]``: onnx, and
onnxruntime to run the file).
"""
from __future__ import annotations

import enum
import inspect
import os
from collections.abc import Callable, Collection, Mapping, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any, Optional, Union

import numpy as np

from .. import backend
from ..autograd.grad_mode import no_grad
from ..autograd.tensor import Tensor
from ..io.files import write_atomically
from ..nn.module import Module
from . import attention, basic, conv, norm, ops, pooling, recurrent  # noqa: F401  (registers converters)
from .build import Emitter
from .graph import Graph
from .recurrent import SequenceOutput
from .trace import Trace, tracing

if TYPE_CHECKING:
    from onnx import ModelProto, ValueInfoProto

    from .._typing import FileLike, PathLike, TensorLike
    from .trace import Arg, Ref

DEFAULT_OPSET = 17
MIN_OPSET = 17  # LayerNormalization; every other op exported exists since opset 14


class TrainingMode(enum.IntEnum):
    """The mode the model is exported in, as ``torch.onnx.TrainingMode``: EVAL (Dropout off,
    BatchNorm from its running statistics; the default), PRESERVE (the modules' own modes),
    TRAINING (refused: ONNX inference graphs have no training-mode Dropout or BatchNorm)."""

    EVAL = 0
    PRESERVE = 1
    TRAINING = 2


class OperatorExportTypes(enum.IntEnum):
    """How ops are exported, as ``torch.onnx.OperatorExportTypes``: only ONNX (standard ONNX
    ops) is supported; the ATen fallbacks are TorchScript's and are refused."""

    ONNX = 0
    ONNX_ATEN = 1
    ONNX_ATEN_FALLBACK = 2
    ONNX_FALLTHROUGH = 3


def _import_onnx() -> ModuleType:
    try:
        import onnx
    except ImportError as err:
        raise ImportError("gradsheet.onnx.export needs the onnx package: "
                          "pip install gradsheet[onnx]") from err
    return onnx


def _enum_name(value: object, kind: type[enum.Enum], argument: str) -> str:
    name = getattr(value, "name", None)  # gradsheet's enums and torch's alike
    if name not in kind.__members__:
        raise TypeError(f"onnx.export: {argument} must be a gradsheet.onnx.{kind.__name__} "
                        f"(or torch's), got {value!r}")
    return str(name)  # (a member's name)


def _check_options(onnx: ModuleType, opset_version: Optional[int], training: TrainingMode,
                   operator_export_type: OperatorExportTypes, export_params: bool,
                   export_modules_as_functions: Union[bool, Collection[type[Module]]],
                   dynamic_shapes: object, custom_translation_table: object,
                   keep_initializers_as_inputs: Optional[bool]) -> int:
    newest = onnx.defs.onnx_opset_version()
    if opset_version is None:
        opset_version = DEFAULT_OPSET
    if (isinstance(opset_version, bool) or not isinstance(opset_version, int)
            or not MIN_OPSET <= opset_version <= newest):
        raise ValueError(f"onnx.export: opset_version must be an int in [{MIN_OPSET}, {newest}] "
                         f"(the installed onnx's newest), got {opset_version!r}")
    if _enum_name(training, TrainingMode, "training") == "TRAINING":
        raise NotImplementedError("onnx.export: training=TrainingMode.TRAINING is not supported: "
                                  "the graph computes the model in eval mode (Dropout off, "
                                  "BatchNorm from running statistics); use TrainingMode.EVAL")
    if _enum_name(operator_export_type, OperatorExportTypes, "operator_export_type") != "ONNX":
        raise NotImplementedError("onnx.export: only operator_export_type=OperatorExportTypes.ONNX "
                                  f"is supported (standard ONNX ops), got {operator_export_type!r}")
    if not export_params:
        raise NotImplementedError("onnx.export: export_params=False is not supported: the "
                                  "weights are always stored in the file, as initializers")
    if export_modules_as_functions:
        raise NotImplementedError("onnx.export: export_modules_as_functions is not supported: "
                                  "the graph is flat")
    if dynamic_shapes is not None:
        raise NotImplementedError("onnx.export: dynamic_shapes (torch.export's form) is not "
                                  "supported; give dynamic_axes, e.g. {'x': {0: 'batch'}}")
    if custom_translation_table:
        raise NotImplementedError("onnx.export: custom_translation_table is not supported "
                                  "(gradsheet's converters are in gradsheet.onnx.ops)")
    if not isinstance(keep_initializers_as_inputs, (bool, type(None))):
        raise TypeError(f"onnx.export: keep_initializers_as_inputs must be a bool, got "
                        f"{keep_initializers_as_inputs!r}")
    return opset_version


# ---------------------------------------------------------------- inputs
class _Slot:
    """Where graph input ``i`` sits in the structure of the model's arguments."""

    __slots__ = ("i",)

    def __init__(self, i: int) -> None:
        self.i = i


def _flatten(x: Any, name: str, leaves: list[tuple[str, np.ndarray]]) -> Any:
    """The structure of one argument with _Slots for its tensors, each appended to ``leaves``
    as (default name, array)."""
    if isinstance(x, (Tensor, np.ndarray)):
        leaves.append((name, x.array if isinstance(x, Tensor) else x))
        return _Slot(len(leaves) - 1)
    if isinstance(x, (tuple, list)):
        return type(x)(_flatten(v, f"{name}_{i}", leaves) for i, v in enumerate(x))
    return x  # numbers, None, strings: passed to the forward as they are


def _fill(x: Any, tensors: Sequence[Tensor]) -> Any:
    if isinstance(x, _Slot):
        return tensors[x.i]
    if isinstance(x, (tuple, list)):
        return type(x)(_fill(v, tensors) for v in x)
    if isinstance(x, dict):
        return {k: _fill(v, tensors) for k, v in x.items()}
    return x


def _arguments(model: Module, args: Any, kwargs: Optional[dict[str, Any]]
               ) -> tuple[tuple[Any, ...], dict[str, Any], list[tuple[str, np.ndarray]]]:
    """(positional structure, keyword structure, leaves) of the example inputs."""
    if isinstance(args, list) or (not isinstance(args, tuple) and not isinstance(args, Tensor)
                                  and args is not None and not isinstance(args, np.ndarray)):
        args = np.asarray(args)  # an array-like example (the original single-input form)
    if not isinstance(args, tuple):
        args = (args,)
    if kwargs is not None and not isinstance(kwargs, dict):
        raise TypeError(f"onnx.export: kwargs must be a dict, got {type(kwargs).__name__}")
    try:
        params = list(inspect.signature(model.forward).parameters.values())
    except (TypeError, ValueError):
        params = []
    names: list[str] = []
    for i in range(len(args)):
        p = params[min(i, len(params) - 1)] if params else None
        if p is None or p.kind in (p.KEYWORD_ONLY, p.VAR_KEYWORD):
            names.append(f"input_{i}")
        elif p.kind == p.VAR_POSITIONAL or i >= len(params):
            names.append(f"{p.name}_{i}")
        else:
            names.append(p.name)
    leaves: list[tuple[str, np.ndarray]] = []
    positional = tuple(_flatten(a, n, leaves) for a, n in zip(args, names))
    keywords = {k: _flatten(v, k, leaves) for k, v in (kwargs or {}).items()}
    return positional, keywords, leaves


def _names(given: Optional[Sequence[str]], defaults: Sequence[str], what: str, count_what: str
           ) -> list[str]:
    if given is None:
        given = []
    given = list(given)
    if len(given) > len(defaults):
        raise ValueError(f"onnx.export: {len(given)} {what} given ({given}) but the model has "
                         f"{len(defaults)} {count_what}")
    if not all(isinstance(n, str) and n for n in given):
        raise TypeError(f"onnx.export: {what} must be non-empty strings, got {given}")
    names = given + list(defaults[len(given):])
    if len(set(names)) != len(names):
        raise ValueError(f"onnx.export: {what} must be distinct, got {names}")
    return names


def _model_dtype(model: Module, arrays: Sequence[np.ndarray], names: Sequence[str]) -> np.dtype:
    """The float dtype of the graph: the parameters', else a float input's, else the default."""
    floats = [(n, a.dtype) for n, a in zip(names, arrays) if a.dtype.kind == "f"]
    for p in model.parameters():
        if p.array.dtype.kind == "f":
            dtype = p.array.dtype
            break
    else:
        dtype = floats[0][1] if floats else np.dtype(backend.get_default_dtype())
    for name, d in floats:
        if d != dtype:
            raise ValueError(f"onnx.export: the example input is {d} but the model's "
                             f"parameters are {dtype} (input {name!r}); cast one to the other "
                             "(model.float(), model.double() or the input's dtype)")
    return dtype


def _input_batch_axis(model: Module) -> int:
    """1 when the first recurrent layer reads (seq, batch, feature) input, else 0."""
    for m in model.modules():
        if isinstance(getattr(m, "batch_first", None), bool):
            return 0 if m.batch_first else 1
    return 0


def _parse_dynamic_axes(dynamic_axes: object) -> dict[str, list[tuple[int, str]]]:
    """{name: {axis: symbol}} from torch's two forms ({axis: symbol} or [axis, ...])."""
    if dynamic_axes is None:
        return {}
    if not isinstance(dynamic_axes, dict):
        raise TypeError(f"onnx.export: dynamic_axes must be a dict, got "
                        f"{type(dynamic_axes).__name__}")
    parsed: dict[str, list[tuple[int, str]]] = {}
    for key, axes in dynamic_axes.items():
        if isinstance(axes, dict):
            items = list(axes.items())
        elif isinstance(axes, (list, tuple)):
            items = [(a, f"{key}_dynamic_axes_{i + 1}") for i, a in enumerate(axes)]
        else:
            raise TypeError(f"onnx.export: dynamic_axes[{key!r}] must be a dict {{axis: name}} "
                            f"or a list of axes, got {axes!r}")
        for axis, symbol in items:
            if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
                raise TypeError(f"onnx.export: dynamic_axes[{key!r}] has axis {axis!r}; axes "
                                "are ints")
            if not isinstance(symbol, str) or not symbol:
                raise TypeError(f"onnx.export: dynamic_axes[{key!r}][{axis}] must be a name "
                                f"(a non-empty string), got {symbol!r}")
        parsed[key] = items
    return parsed


def _normalize_axes(name: str, items: Sequence[tuple[int, str]], ndim: int) -> dict[int, str]:
    axes = {}
    for axis, symbol in items:
        if not -ndim <= axis < ndim:
            raise ValueError(f"onnx.export: dynamic_axes[{name!r}] has axis {axis}, out of range "
                             f"for {name!r} with {ndim} dimensions")
        axes[int(axis) % ndim] = symbol
    return axes


def _second_inputs(arrays: Sequence[tuple[str, np.ndarray]], input_axes: dict[str, dict[int, str]],
                   tie: bool = False) -> tuple[list[np.ndarray], dict[str, tuple[int, int]]]:
    """The inputs of the second trace: each dynamic axis resized (the size of the symbol's
    first appearance + 1 + its rank, so that two symbols never share both sizes; with
    ``tie``, symbols of the same example size get the same new size, for a model that needs
    them equal) and float values changed, so that whatever depends on them shows."""
    sizes: dict[str, tuple[int, int]] = {}  # symbol -> (example size, second size)
    for name, array in arrays:
        for axis, symbol in input_axes.get(name, {}).items():
            size = array.shape[axis]
            if symbol in sizes and sizes[symbol][0] != size:
                raise ValueError(f"onnx.export: dynamic axis {symbol!r} has size "
                                 f"{sizes[symbol][0]} in one input but {size} in {name!r} "
                                 f"(axis {axis})")
            if symbol not in sizes:
                rank = len({old for old, _ in sizes.values()} - {size}) if tie else len(sizes)
                tied = [new for old, new in sizes.values() if old == size] if tie else []
                sizes[symbol] = (size, tied[0] if tied else size + 1 + rank)
    out = []
    for name, array in arrays:
        for axis, symbol in input_axes.get(name, {}).items():
            old, new = sizes[symbol]
            if old:
                array = np.take(array, np.arange(new) % old, axis=axis)
            else:
                shape = list(array.shape)
                shape[axis] = new
                array = np.zeros(shape, array.dtype)
        if array.dtype.kind == "f":
            array = (array * 1.25 + 0.5).astype(array.dtype)
        out.append(np.array(array))
    return out, sizes


def _run(model: Module, positional: tuple[Any, ...], keywords: dict[str, Any],
         arrays: Sequence[np.ndarray]) -> tuple[Trace, list[Ref], list[Arg]]:
    """Trace one forward on ``arrays`` (copies); returns (trace, input Refs, output Refs)."""
    trace = Trace(model)
    tensors = [Tensor._wrap(np.array(a)) for a in arrays]
    with no_grad(), tracing(trace, model):
        refs = [trace.value(t) for t in tensors]
        out = model(*_fill(positional, tensors), **_fill(keywords, tensors))
        outputs: list[Arg] = []
        _output_refs(trace, out, outputs)
    return trace, refs, outputs


def _output_refs(trace: Trace, out: Any, outputs: list[Arg]) -> None:
    if isinstance(out, Tensor):
        outputs.append(trace.ref(out, "the model's output"))
    elif isinstance(out, (tuple, list)):
        for o in out:
            _output_refs(trace, o, outputs)
    elif out is not None:
        raise TypeError(f"onnx.export: the model returned a {type(out).__name__}; only tensors "
                        "and (nested) tuples or lists of tensors can be outputs")


def _prune(g: Graph, outputs: Sequence[str]) -> None:
    """Drop the nodes and initializers no output needs (e.g. an RNN's unused final states)."""
    needed, kept = set(outputs), []
    for node in reversed(g.nodes):
        if any(o in needed for o in node.output):
            kept.append(node)
            needed.update(i for i in node.input if i)
    g.nodes = kept[::-1]
    g.initializers = [t for t in g.initializers if t.name in needed]


def _value_info(onnx: ModuleType, name: str, array: np.ndarray, dims: dict[int, str]
                ) -> ValueInfoProto:
    shape = [dims.get(k, n) for k, n in enumerate(array.shape)]
    elem = onnx.helper.np_dtype_to_tensor_dtype(array.dtype)
    return onnx.helper.make_tensor_value_info(name, elem, shape)


def _output_dims(name: str, a1: np.ndarray, a2: np.ndarray, declared: dict[int, str],
                 sizes: dict[str, tuple[int, int]]) -> dict[int, str]:
    """The symbolic dims of an output: those dynamic_axes names, and those whose size changed
    between the traces, named after the input symbol with the same two sizes."""
    dims = dict(declared)
    for k, (n1, n2) in enumerate(zip(a1.shape, a2.shape)):
        if n1 != n2 and k not in dims:
            dims[k] = next((s for s, pair in sizes.items() if pair == (n1, n2)), f"{name}_dim_{k}")
    return dims


def _verify(proto: ModelProto, input_names: Sequence[str], arrays: Sequence[np.ndarray],
            expected: Sequence[np.ndarray], output_names: Sequence[str]) -> None:
    try:
        import onnxruntime as ort
    except ImportError as err:
        raise ImportError("onnx.export: verify=True needs onnxruntime: "
                          "pip install gradsheet[onnx]") from err
    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    feed = {n: a for n, a in zip(input_names, arrays) if n in
            {i.name for i in session.get_inputs()}}
    for name, got, want in zip(output_names, session.run(output_names, feed), expected):
        tol = 1e-4 if want.dtype in (np.float32, np.float16) else 1e-9
        if got.shape != want.shape or not np.allclose(got, want, rtol=tol, atol=tol,
                                                      equal_nan=True):
            raise ValueError(f"onnx.export: verify: output {name!r} of onnxruntime differs from "
                             f"gradsheet's (shapes {got.shape} and {want.shape})")


def export(model: Module, args: Union[tuple[Any, ...], TensorLike] = (),
           f: Optional[FileLike] = None, *, kwargs: Optional[dict[str, Any]] = None,
           verbose: Optional[bool] = None, input_names: Optional[Sequence[str]] = None,
           output_names: Optional[Sequence[str]] = None, opset_version: Optional[int] = None,
           dynamo: bool = True, external_data: bool = True,
           dynamic_shapes: Union[dict[str, Any], tuple[Any, ...], list[Any], None] = None,
           custom_translation_table: Optional[dict[Callable[..., Any], Callable[..., Any]]] = None,
           report: bool = False, optimize: bool = True, verify: bool = False,
           profile: bool = False, dump_exported_program: bool = False,
           artifacts_dir: PathLike = ".", export_params: bool = True,
           keep_initializers_as_inputs: bool = False,
           dynamic_axes: Optional[Mapping[str, Union[Mapping[int, str], Sequence[int]]]] = None,
           training: TrainingMode = TrainingMode.EVAL,
           operator_export_type: OperatorExportTypes = OperatorExportTypes.ONNX,
           do_constant_folding: bool = True, custom_opsets: Optional[Mapping[str, int]] = None,
           export_modules_as_functions: Union[bool, Collection[type[Module]]] = False,
           autograd_inlining: bool = True, dynamic_batch: Optional[bool] = None) -> ModelProto:
    """Write ``model`` as an ONNX file at ``f`` (atomically) and return the ModelProto: the
    graph y = model(*args, **kwargs), traced on the example inputs, in eval mode (Dropout
    off, BatchNorm from its running statistics). ``torch.onnx.export``'s signature.

    Layers and the ONNX ops they become:
        Linear -> Gemm (MatMul + Add for inputs that are not 2-D); Conv1d/Conv2d -> Conv;
        ConvTranspose2d -> ConvTranspose; MaxPool, AvgPool -> MaxPool, AveragePool;
        AdaptiveAvgPool -> GlobalAveragePool (output 1) or AveragePool (sizes that divide);
        BatchNorm -> BatchNormalization; LayerNorm -> LayerNormalization; GroupNorm ->
        GroupNormalization (opset >= 21) or its InstanceNormalization form; Dropout, Identity
        -> Identity; Flatten -> Flatten or Reshape; ReLU, Sigmoid, Tanh, LeakyReLU, ELU,
        Softplus, GELU (Gelu from opset 20, else its erf/tanh formula), SiLU (x sigmoid(x)),
        Softmax, LogSoftmax; Embedding -> Gather; RNN, LSTM, GRU -> ONNX's RNN, LSTM, GRU,
        with an initial state (``lstm(x, (h0, c0))``, ``gru(x, h0)``) as initial_h/initial_c
        and the final states (h_n, c_n) from Y_h/Y_c; SequenceOutput(rnn) -> the rnn's output;
        MultiheadAttention (self- and cross-attention, need_weights, key_padding_mask and
        attn_mask as inputs or constants), TransformerEncoderLayer/TransformerEncoder and
        TransformerDecoderLayer/TransformerDecoder -> MatMul, Softmax, Reshape/Transpose
        (batch and sequence stay dynamic), LayerNormalization, Relu/GELU (``attention``).
    Sequential and any custom Module are traced: their forward may combine the layers and
    several inputs with the ops (functions, methods and operators alike)
        +, -, *, /, **, neg, abs, exp, log, sqrt, rsqrt, log1p, expm1, sin, cos, tan and their
        inverses and hyperbolics, erf, reciprocal, floor, ceil, sign, clamp, maximum, minimum,
        where, masked_fill, comparisons (==, <, ..., &, |, ~ as Tensor methods), .to(dtype),
        clone; relu, sigmoid, tanh, leaky_relu, elu, softplus, gelu, silu,
        softsign, hardtanh/relu6, softmax, log_softmax (F.* too); matmul/@, F.linear,
        F.scaled_dot_product_attention (a float or causal mask, no dropout);
        sum, mean, amax/amin, max()/min(); reshape/view, flatten, squeeze, unsqueeze,
        transpose/permute/.T, expand, cat, stack, split/chunk, x[ints, slices, None, ...,
        one index tensor].
    An op or a layer without a converter raises NotImplementedError naming it and its path
    in the model (the forward that calls it), and so does a forward that takes another path,
    or freezes a Python number, for other input sizes or values (``build``): shapes read in
    Python (``x.view(x.size(0), -1)``) follow the dynamic axes where they feed a reshape,
    and are refused elsewhere. In-place ops on views and x[...] = v are refused.

    Args (as torch.onnx.export, all but the first three keyword-only):
        model: a gradsheet Module.
        args: the example inputs: a tensor (or array) for a single input, or a tuple of the
            forward's positional arguments, tensors or (nested) tuples of tensors (an
            LSTM's (h0, c0)); numbers and None are passed as they are. Integer tensors are
            declared int64.
        f: the ``.onnx`` path (or a binary file object); None: only return the ModelProto.
        kwargs: keyword arguments of the forward (tensors among them become inputs).
        verbose: print the graph.
        input_names, output_names: names of the graph's inputs (the tensors of args in order,
            then kwargs) and outputs (the model's output tensors, flattened); fewer names
            than values leave the rest with defaults (the forward's parameter names, hx_0 for
            the tuple hx's first tensor; output, or output_0, output_1, ...); more raise.
        opset_version: ONNX opset, from 17 (the default) to the installed onnx's newest.
        dynamic_axes: ``{name: {axis: symbol}}`` or ``{name: [axis, ...]}`` (symbols
            ``name_dynamic_axes_1``...) for inputs and outputs: those dims are symbolic. The
            output dims that follow a dynamic input axis are symbolic too, named after it.
        keep_initializers_as_inputs: also list the weights among the graph's inputs.
        training: TrainingMode.EVAL (default) or PRESERVE; TRAINING raises.
        operator_export_type: OperatorExportTypes.ONNX only.
        verify: run the file in onnxruntime on the example inputs and compare.
        dynamic_batch (gradsheet's, for the single-input form): when dynamic_axes is not
            given and there is one input, its batch axis is symbolic ("batch") unless
            dynamic_batch=False: axis 0, or 1 when the first recurrent layer has
            batch_first=False.
        Accepted and ignored (gradsheet has one exporter, which folds constants itself and
        stores the weights in the file): dynamo, external_data, report, optimize, profile,
        dump_exported_program, artifacts_dir, do_constant_folding, custom_opsets,
        autograd_inlining. Refused with NotImplementedError: export_params=False,
        export_modules_as_functions, dynamic_shapes (use dynamic_axes),
        custom_translation_table.

    Returns the ModelProto (torch returns an ONNXProgram, whose ``model_proto`` it is).

    The graph keeps the model's dtype. Use float32 for files meant to travel: onnxruntime
    lacks float64 kernels for some ops (Erf, which GELU needs before opset 20, among them).

    Example: ``export(Sequential(Linear(8, 4), ReLU()), gs.randn(2, 8), "mlp.onnx")``.
    """
    onnx = _import_onnx()
    if not isinstance(model, Module):
        raise TypeError(f"onnx.export: model must be a gradsheet Module, "
                        f"got {type(model).__name__}")
    opset = _check_options(onnx, opset_version, training, operator_export_type, export_params,
                           export_modules_as_functions, dynamic_shapes,
                           custom_translation_table, keep_initializers_as_inputs)
    positional, keywords, leaves = _arguments(model, args, kwargs)
    names = _names(input_names, [n for n, _ in leaves], "input_names", "tensor inputs")
    arrays: list[np.ndarray] = []
    for _, a in leaves:
        a = np.asarray(a)
        if a.dtype.kind in "iu":
            a = a.astype(np.int64)
        elif a.dtype.kind not in "fb":
            raise TypeError(f"onnx.export: inputs must be float, integer or bool tensors, got "
                            f"{a.dtype}")
        arrays.append(a)
    dtype = _model_dtype(model, arrays, names)

    requested = _parse_dynamic_axes(dynamic_axes)
    batch_axis = None
    if dynamic_batch and (dynamic_axes is not None or len(arrays) != 1):
        raise ValueError("onnx.export: dynamic_batch is for a model with one input and no "
                         "dynamic_axes; give dynamic_axes={name: {axis: 'batch'}} instead")
    if dynamic_axes is None and dynamic_batch is not False and len(arrays) == 1:
        batch_axis = _input_batch_axis(model)
        if arrays[0].ndim <= batch_axis:
            raise ValueError(f"onnx.export: dynamic_batch needs a batch axis {batch_axis} in "
                             f"the example input, got shape {arrays[0].shape}; pass a batched "
                             "example or dynamic_batch=False")
        requested = {names[0]: [(batch_axis, "batch")]}
    input_axes = {n: _normalize_axes(n, requested[n], a.ndim)
                  for n, a in zip(names, arrays) if n in requested}
    arrays2, sizes = _second_inputs(list(zip(names, arrays)), input_axes)

    modes = [(m, m.training) for m in model.modules()]
    try:
        if _enum_name(training, TrainingMode, "training") == "EVAL":
            model.eval()
        t1, refs, outputs = _run(model, positional, keywords, arrays)
        g = Graph(onnx, opset, dtype, batch_axis)
        try:
            try:
                t2, _, outputs2 = _run(model, positional, keywords, arrays2)
            except Exception:
                if len(sizes) < 2:
                    raise
                arrays2, sizes = _second_inputs(list(zip(names, arrays)), input_axes, tie=True)
                t2, _, outputs2 = _run(model, positional, keywords, arrays2)
        except Exception as error:
            dry = Emitter(Graph(onnx, opset, dtype, batch_axis), t1, None)
            dry.names.update((ref.vid, name) for ref, name in zip(refs, names))
            dry.emit(None)  # the layers' own errors about the example come first
            changed = ", ".join(f"{s!r} {a} -> {b}" for s, (a, b) in sizes.items())
            raise ValueError(
                f"onnx.export: the model fails on inputs with other float values"
                f"{' and other sizes on the dynamic axes (' + changed + ')' if sizes else ''}, "
                f"which the exported graph must take: {type(error).__name__}: {error}") from error
    finally:
        for m, mode in modes:
            m.training = mode

    emitter = Emitter(g, t1, t2)
    for ref, name in zip(refs, names):
        emitter.names[ref.vid] = name
    emitter.emit(t2.steps)
    if len(outputs) != len(outputs2):
        raise NotImplementedError("onnx.export: the model returns another number of tensors for "
                                  "inputs of other sizes or values")
    defaults = ["output"] if len(outputs) == 1 else [f"output_{i}" for i in range(len(outputs))]
    out_names = _names(output_names, defaults, "output_names", "outputs")
    clash = set(out_names) & set(names)
    if clash:
        raise ValueError(f"onnx.export: {sorted(clash)} name both an input and an output")
    unknown = [k for k in requested if k not in names and k not in out_names]
    if unknown:
        raise ValueError(f"onnx.export: dynamic_axes names {unknown}, which are neither inputs "
                         f"({names}) nor outputs ({out_names})")
    for ref, name in zip(outputs, out_names):
        source = emitter.value_name(ref, dtype, "output", "the model's output")
        g.nodes.append(onnx.helper.make_node("Identity", [source], [name], name=g.fresh(name)))
    _prune(g, out_names)

    inputs = [_value_info(onnx, n, a, input_axes.get(n, {})) for n, a in zip(names, arrays)]
    results = [emitter.array_of(r, t1) for r in outputs]
    graph_outputs = []
    for name, ref, ref2, a1 in zip(out_names, outputs, outputs2, results):
        a2 = emitter.array_of(ref2, t2)
        declared = _normalize_axes(name, requested.get(name, []), a1.ndim)
        graph_outputs.append(_value_info(onnx, name, a1, _output_dims(name, a1, a2, declared,
                                                                        sizes)))
    if keep_initializers_as_inputs:
        inputs += [onnx.helper.make_tensor_value_info(t.name, t.data_type, list(t.dims))
                   for t in g.initializers]
    graph = onnx.helper.make_graph(g.nodes, "gradsheet", inputs, graph_outputs,
                                   initializer=g.initializers)
    opsets = [onnx.helper.make_opsetid("", opset)]
    proto = onnx.helper.make_model(
        graph, opset_imports=opsets, producer_name="gradsheet",
        ir_version=onnx.helper.find_min_ir_version_for(opsets))
    onnx.checker.check_model(proto, full_check=True)
    if verbose:
        printer = getattr(onnx, "printer", None)
        print(printer.to_text(proto.graph) if printer is not None
              else onnx.helper.printable_graph(proto.graph))
    if verify:
        _verify(proto, names, arrays, results, out_names)
    if f is not None:
        data = proto.SerializeToString()
        if hasattr(f, "write"):
            f.write(data)
        else:
            write_atomically(os.fspath(f), data)
    return proto


__all__ = ["OperatorExportTypes", "SequenceOutput", "TrainingMode", "export"]
