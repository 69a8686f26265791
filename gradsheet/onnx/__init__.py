"""``gradsheet.onnx``: export a model to an ONNX file that onnxruntime (or any ONNX runtime)
runs without gradsheet.

    gradsheet.onnx.export(model, gs.randn(1, 8), "model.onnx")

The graph is built with ``onnx.helper`` by walking the model (Sequential containers, nested
or not, and the layers listed in ``export``), running the example input through it to learn
every shape. Nothing is traced: a module with its own ``forward`` is refused by name, so the
file can never silently compute something else than the model. Needs the ``onnx`` extra
(``pip install gradsheet[onnx]``: onnx, and onnxruntime to run the file).
"""
import os

import numpy as np

from ..io.serialization import _write_atomically
from ..nn.module import Module
from . import basic, conv, norm, pooling, recurrent  # noqa: F401  (registers converters)
from .graph import Graph, as_tensor, convert
from .recurrent import SequenceOutput

DEFAULT_OPSET = 17
MIN_OPSET = 17  # LayerNormalization; every other op exported exists since opset 14


def _import_onnx():
    try:
        import onnx
    except ImportError as err:
        raise ImportError("gradsheet.onnx.export needs the onnx package: "
                          "pip install gradsheet[onnx]") from err
    return onnx


def _model_dtype(model, example):
    """The float dtype of the graph: the parameters', else a float input's, else the default."""
    for p in model.parameters():
        if p.array.dtype.kind == "f":
            dtype = p.array.dtype
            break
    else:
        dtype = example.array.dtype if example.array.dtype.kind == "f" else np.dtype(np.float32)
    if example.array.dtype.kind == "f" and example.array.dtype != dtype:
        raise ValueError(f"onnx.export: the example input is {example.array.dtype} but the model's "
                         f"parameters are {dtype}; cast one to the other (model.float(), "
                         "model.double() or the input's dtype)")
    return dtype


def _input_batch_axis(model):
    """1 when the first recurrent layer reads (seq, batch, feature) input, else 0."""
    for m in model.modules():
        if isinstance(getattr(m, "batch_first", None), bool):
            return 0 if m.batch_first else 1
    return 0


def _value_info(onnx, name, array, batch_axis):
    shape = list(array.shape)
    if batch_axis is not None and batch_axis < len(shape):
        shape[batch_axis] = "batch"
    elem = onnx.helper.np_dtype_to_tensor_dtype(array.dtype)
    return onnx.helper.make_tensor_value_info(name, elem, shape)


def export(model, example_input, path, dynamic_batch=True, opset_version=DEFAULT_OPSET):
    """Write ``model`` as an ONNX file at ``path`` (atomically) and return the ModelProto.

    The graph computes the model in eval mode (Dropout off, BatchNorm from its running
    statistics) for inputs shaped like ``example_input``.

    Layers and the ONNX ops they become:
        Linear -> Gemm (MatMul + Add for inputs that are not 2-D); Conv1d/Conv2d -> Conv;
        ConvTranspose2d -> ConvTranspose; MaxPool, AvgPool -> MaxPool, AveragePool;
        AdaptiveAvgPool -> GlobalAveragePool (output 1) or AveragePool (sizes that divide);
        BatchNorm -> BatchNormalization; LayerNorm -> LayerNormalization; GroupNorm ->
        GroupNormalization (opset >= 21) or its InstanceNormalization form; Dropout, Identity
        -> Identity; Flatten -> Flatten or Reshape; ReLU, Sigmoid, Tanh, LeakyReLU, ELU,
        Softplus, GELU (Gelu from opset 20, else its erf/tanh formula), SiLU (x sigmoid(x)),
        Softmax, LogSoftmax; Embedding -> Gather; RNN, LSTM, GRU -> ONNX's RNN, LSTM, GRU.
    Containers: Sequential, nested to any depth. Any other module (a custom Module with its
    own forward, ModuleList) raises NotImplementedError naming its type and path.

    Recurrent layers return ``(output, h_n)`` or ``(output, (h_n, c_n))``; the exported graph
    has one output, the sequence ``output``. So an RNN/LSTM/GRU may be the model's last
    layer, or sit anywhere inside ``SequenceOutput(rnn)``, which passes ``output`` (or, with
    ``last=True``, its last time step) on to the next layer in gradsheet and in ONNX alike.

    The graph keeps the model's dtype. Use float32 for files meant to travel: onnxruntime
    lacks float64 kernels for some ops (Erf, which GELU needs before opset 20, among them).

    Args:
        model: a Module (e.g. a Sequential of the layers above).
        example_input: a Tensor or array of the input's shape and dtype (integers for
            Embedding, declared int64 in the graph).
        path: the ``.onnx`` file to write.
        dynamic_batch: make the batch axis symbolic ("batch"), so any batch size runs; the
            batch axis is 0, or 1 when the first recurrent layer has ``batch_first=False``.
        opset_version: ONNX opset to target, from 17 to the installed onnx's newest.

    Example: ``export(Sequential(Linear(8, 4), ReLU()), gs.randn(2, 8), "mlp.onnx")``.
    """
    onnx = _import_onnx()
    if not isinstance(model, Module):
        raise TypeError(f"onnx.export: model must be a gradsheet Module, "
                        f"got {type(model).__name__}")
    newest = onnx.defs.onnx_opset_version()
    if (isinstance(opset_version, bool) or not isinstance(opset_version, int)
            or not MIN_OPSET <= opset_version <= newest):
        raise ValueError(f"onnx.export: opset_version must be an int in [{MIN_OPSET}, {newest}] "
                         f"(the installed onnx's newest), got {opset_version!r}")
    example = as_tensor(example_input)
    dtype = _model_dtype(model, example)
    if example.array.dtype.kind in "iu":
        example = as_tensor(example.array.astype(np.int64))
    batch_axis = _input_batch_axis(model) if dynamic_batch else None
    if batch_axis is not None and example.ndim <= batch_axis:
        raise ValueError(f"onnx.export: dynamic_batch needs a batch axis {batch_axis} in the "
                         f"example input, got shape {example.shape}; pass a batched example "
                         "or dynamic_batch=False")

    g = Graph(onnx, opset_version, dtype, batch_axis)
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    x, output = g.fresh("input"), g.fresh("output")
    try:
        y, out = convert(g, model, x, example, "")
    finally:
        for m, training in modes:
            m.training = training
    if isinstance(out, tuple):  # a recurrent last layer: export its sequence output
        out = out[0]
    g.nodes.append(onnx.helper.make_node("Identity", [y], [output], name="output"))

    graph = onnx.helper.make_graph(
        g.nodes, "gradsheet", [_value_info(onnx, x, example.array, batch_axis)],
        [_value_info(onnx, output, out.array, g.batch_axis)], initializer=g.initializers)
    opsets = [onnx.helper.make_opsetid("", opset_version)]
    proto = onnx.helper.make_model(
        graph, opset_imports=opsets, producer_name="gradsheet",
        ir_version=onnx.helper.find_min_ir_version_for(opsets))
    onnx.checker.check_model(proto, full_check=True)
    _write_atomically(proto.SerializeToString(), os.fspath(path))
    return proto


__all__ = ["SequenceOutput", "export"]
