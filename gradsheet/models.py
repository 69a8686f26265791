"""Model files: an architecture as JSON plus its weights, in one safetensors file.

A safetensors file holds tensors and string metadata, never code, so a model
file records its architecture as data: a list of layer specs

    [{"type": "Linear", "kwargs": {"in_features": 64, "out_features": 10}}, {"type": "ReLU"}]

each naming a layer of ``gradsheet.nn`` and its constructor arguments.
``build_model(spec)`` turns the list into an ``nn.Sequential``; ``save_model`` /
``load_model`` write and read the spec beside the state dict. The arguments in
``NESTED_LAYERS`` are layer specs themselves (a TransformerEncoder's ``encoder_layer`` and
``norm``), so a Transformer classifier is

    Embedding -> PositionalEncoding -> TransformerEncoder(encoder_layer=TransformerEncoderLayer)
    -> AdaptiveAvgPool2d([1, None]) (the mean over the T steps) -> Flatten -> Linear

and a model whose first layer is an Embedding takes integer token ids (``token_vocabulary``).

Bounded loading: a model file is data from anywhere, and its architecture could ask for
any size (``Linear(100000, 100000)`` is 37 GiB in a 212-byte file). ``load_model``
therefore checks the architecture against the weights the file actually holds before it
builds a single layer:

- the file's tensors may hold at most ``MAX_MODEL_BYTES`` (4 GiB) in all (``max_bytes=``
  raises or lowers it);
- each layer with a shape rule (``SHAPE_RULES``: Linear, Conv1d/2d, ConvTranspose1d/2d,
  BatchNorm1d/2d, SyncBatchNorm, LayerNorm, GroupNorm, Embedding, PReLU, RNN/GRU/LSTM and
  their cells, MultiheadAttention, TransformerEncoderLayer/DecoderLayer, TransformerEncoder/
  Decoder (every one of its ``num_layers`` copies, at most ``MAX_LAYERS``), Transformer,
  PositionalEncoding) must declare exactly the parameter and buffer shapes of the file's
  tensors ``<index>.<name>``, so what it allocates is what the file holds (a stack's
  prototype layer, copied ``num_layers`` times, is one copy more);
- any other layer is built only if every integer among its arguments is at most
  max(the largest dimension of its tensors in the file, ``FREE_DIM``) and the square of
  the largest is at most 8 times its elements in the file plus ``FREE_DIM``²
  (``FREE_DIM`` = 1024): no argument can ask for much more than the file holds.

A layer failing a check raises ValueError naming the file, the layer (index and type)
and the shapes, before anything is allocated.
"""
from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Optional

from safetensors import SafetensorError, safe_open

from . import nn
from .io import load, load_metadata, save
from .io.files import check_regular

if TYPE_CHECKING:
    from ._typing import PathLike

    # an architecture: a list of {"type": layer name, "kwargs": {...}} layer specs
    Spec = list[dict[str, Any]]
    # what a shape rule gives: parameter or buffer name -> its shape
    Shapes = dict[str, tuple[int, ...]]
    # a shape rule: a layer's kwargs -> the shapes it allocates
    Rule = Callable[[dict[str, Any]], Shapes]

_ARCHITECTURE_KEY = "gradsheet.architecture"
MAX_MODEL_BYTES = 4 * 2**30
FREE_DIM = 1024
MAX_LAYERS = 10_000


def build_model(spec: Spec) -> nn.Sequential:
    """An ``nn.Sequential`` from a list of {"type": layer name, "kwargs": {...}} specs.

    The arguments named in ``NESTED_LAYERS`` (a TransformerEncoder's ``encoder_layer`` and
    ``norm``, ...) may themselves be layer specs, built first and passed in.
    """
    if not isinstance(spec, list) or not spec:
        raise ValueError("build_model: an architecture is a non-empty list of layer specs, "
                         f"got {type(spec).__name__}")
    return nn.Sequential(*(_build_layer(layer, f"layer {i}") for i, layer in enumerate(spec)))


NESTED_LAYERS: dict[str, tuple[str, ...]] = {"TransformerEncoder": ("encoder_layer", "norm"),
                 "TransformerDecoder": ("decoder_layer", "norm")}
"""Layer type -> the arguments that may be layer specs themselves (built by ``build_model``
before the layer, and checked by that layer's shape rule; anywhere else a dict stays a
dict)."""


def _build_layer(layer: Any, where: str) -> nn.Module:
    name = layer.get("type") if isinstance(layer, dict) else None
    cls = getattr(nn, name, None) if isinstance(name, str) else None
    if not (isinstance(cls, type) and issubclass(cls, nn.Module)):
        raise ValueError(f"build_model: {where} has type {name!r}, which is not a layer "
                         "of gradsheet.nn")
    kwargs = layer.get("kwargs", {})
    if not isinstance(kwargs, dict):
        raise ValueError(f"build_model: {where} ({name}): kwargs must be a dict of the "
                         f"constructor's arguments, got {str(kwargs)[:80]}")
    kwargs = dict(kwargs)
    for argument in NESTED_LAYERS.get(str(name), ()):  # name is a str: cls was found
        if isinstance(kwargs.get(argument), dict):
            kwargs[argument] = _build_layer(kwargs[argument], f"{where} ({name})'s {argument}")
    try:
        return cls(**kwargs)
    except (TypeError, ValueError, OverflowError, MemoryError) as error:
        raise ValueError(f"build_model: {where} ({name}): {error}") from None


def token_vocabulary(spec: Spec) -> Optional[int]:
    """The number of token ids a model takes when its first layer is an Embedding (its inputs
    are then integer ids in [0, num_embeddings)), else None."""
    first = spec[0] if isinstance(spec, list) and spec and isinstance(spec[0], dict) else {}
    kwargs = first.get("kwargs", {})
    if first.get("type") != "Embedding" or not isinstance(kwargs, dict):
        return None
    return _int(kwargs.get("num_embeddings"), "num_embeddings")


def mlp_spec(in_features: int, hidden: Iterable[int], num_classes: int, dropout: float = 0.0
             ) -> Spec:
    """Flatten, then (Linear, ReLU[, Dropout]) per hidden size, then a Linear head."""
    spec: Spec = [{"type": "Flatten"}]
    for width in hidden:
        spec += [{"type": "Linear", "kwargs": {"in_features": in_features, "out_features": width}},
                 {"type": "ReLU"}]
        if dropout:
            spec.append({"type": "Dropout", "kwargs": {"p": dropout}})
        in_features = width
    spec.append({"type": "Linear", "kwargs": {"in_features": in_features,
                                              "out_features": num_classes}})
    return spec


def cnn_spec(in_channels: int, num_classes: int, channels: Iterable[int] = (16, 32)) -> Spec:
    """(Conv 3x3, BatchNorm, ReLU, MaxPool 2) per stage, global average pool, a Linear head.

    Global pooling makes the head independent of the image size (8x8 digits or 28x28 MNIST).
    """
    spec: Spec = []
    for width in channels:
        spec += [{"type": "Conv2d", "kwargs": {"in_channels": in_channels, "out_channels": width,
                                               "kernel_size": 3, "padding": 1}},
                 {"type": "BatchNorm2d", "kwargs": {"num_features": width}},
                 {"type": "ReLU"},
                 {"type": "MaxPool2d", "kwargs": {"kernel_size": 2}}]
        in_channels = width
    spec += [{"type": "AdaptiveAvgPool2d", "kwargs": {"output_size": 1}}, {"type": "Flatten"},
             {"type": "Linear", "kwargs": {"in_features": in_channels,
                                           "out_features": num_classes}}]
    return spec


def save_model(model: nn.Module, spec: Spec, path: PathLike,
               metadata: Optional[dict[str, str]] = None) -> None:
    """Write ``model``'s weights and its architecture ``spec`` to one safetensors file."""
    save(model.state_dict(), path, metadata={**(metadata or {}),
                                             _ARCHITECTURE_KEY: json.dumps(spec)})


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{what} must be a non-negative int, got {value!r}")
    return value


def _ints(value: Any, n: int, what: str) -> tuple[int, ...]:
    values = [value] * n if not isinstance(value, (list, tuple)) else list(value)
    if len(values) != n:
        raise ValueError(f"{what} must be an int or {n} ints, got {value!r}")
    return tuple(_int(v, what) for v in values)


def _affine(shape: tuple[int, ...], kwargs: dict[str, Any], flag: str = "affine",
            bias_flag: Optional[str] = None) -> Shapes:
    shapes: Shapes = {}
    if kwargs.get(flag, True):
        shapes["weight"] = shape
        if bias_flag is None or kwargs.get(bias_flag, True):
            shapes["bias"] = shape
    return shapes


def _linear(k: dict[str, Any]) -> Shapes:
    out = _int(k["out_features"], "out_features")
    shapes: Shapes = {"weight": (out, _int(k["in_features"], "in_features"))}
    if k.get("bias", True):
        shapes["bias"] = (out,)
    return shapes


def _conv(n: int, transposed: bool) -> Rule:
    def rule(k: dict[str, Any]) -> Shapes:
        c_in, c_out = _int(k["in_channels"], "in_channels"), _int(k["out_channels"], "out_channels")
        groups = _int(k.get("groups", 1), "groups") or 1
        kernel = _ints(k["kernel_size"], n, "kernel_size")
        first, second = (c_in, c_out // groups) if transposed else (c_out, c_in // groups)
        shapes: Shapes = {"weight": (first, second, *kernel)}
        if k.get("bias", True):
            shapes["bias"] = (c_out,)
        return shapes
    return rule


def _batch_norm(k: dict[str, Any]) -> Shapes:
    c = _int(k["num_features"], "num_features")
    shapes = _affine((c,), k)
    if k.get("track_running_stats", True):
        shapes.update(running_mean=(c,), running_var=(c,), num_batches_tracked=())
    return shapes


def _layer_norm(k: dict[str, Any]) -> Shapes:
    shape = k["normalized_shape"]
    shape = (shape,) if not isinstance(shape, (list, tuple)) else tuple(shape)
    shape = tuple(_int(v, "normalized_shape") for v in shape)
    return _affine(shape, k, "elementwise_affine", "bias")


def _count(value: Any, what: str) -> int:
    """A number of layers: bounded by MAX_LAYERS before any rule repeats a layer's shapes."""
    count = _int(value, what)
    if count > MAX_LAYERS:
        raise ValueError(f"{what} must be at most {MAX_LAYERS}, got {count}")
    return count


def _prefixed(prefix: str, shapes: Shapes) -> Shapes:
    return {f"{prefix}.{name}": shape for name, shape in shapes.items()}


def _cell(gates: int, input_size: int, hidden: int, bias: Any, suffix: str = "") -> Shapes:
    """One recurrent cell's weights: W_ih (gates * H, input_size), W_hh (gates * H, H), and
    the biases b_ih, b_hh (gates * H,)."""
    shapes: Shapes = {f"weight_ih{suffix}": (gates * hidden, input_size),
              f"weight_hh{suffix}": (gates * hidden, hidden)}
    if bias:
        shapes.update({f"bias_ih{suffix}": (gates * hidden,), f"bias_hh{suffix}": (gates * hidden,)})
    return shapes


def _recurrent_cell(gates: int) -> Rule:
    return lambda k: _cell(gates, _int(k["input_size"], "input_size"),
                           _int(k["hidden_size"], "hidden_size"), k.get("bias", True))


def _recurrent(gates: int) -> Rule:
    """RNN (1 gate), GRU (3) or LSTM (4): one cell per layer and direction, layer l > 0 taking
    the H * directions outputs of layer l - 1."""
    def rule(k: dict[str, Any]) -> Shapes:
        hidden = _int(k["hidden_size"], "hidden_size")
        width = _int(k["input_size"], "input_size")
        directions = ("", "_reverse") if k.get("bidirectional", False) else ("",)
        shapes: Shapes = {}
        for layer in range(_count(k.get("num_layers", 1), "num_layers")):
            for suffix in directions:
                shapes.update(_cell(gates, width, hidden, k.get("bias", True),
                                    f"_l{layer}{suffix}"))
            width = hidden * len(directions)
        return shapes
    return rule


def _attention(k: dict[str, Any]) -> Shapes:
    """MultiheadAttention: [W_Q; W_K; W_V] packed (3E, E), or three of them when kdim / vdim
    differ from E; their bias (3E,); bias_k, bias_v (1, 1, E); out_proj, a Linear(E, E)."""
    e = _int(k["embed_dim"], "embed_dim")
    _int(k["num_heads"], "num_heads")
    kdim, vdim = (e if k.get(name) is None else _int(k[name], name) for name in ("kdim", "vdim"))
    bias = k.get("bias", True)
    shapes: Shapes
    if kdim == vdim == e:
        shapes = {"in_proj_weight": (3 * e, e)}
    else:
        shapes = {"q_proj_weight": (e, e), "k_proj_weight": (e, kdim), "v_proj_weight": (e, vdim)}
    if bias:
        shapes["in_proj_bias"] = (3 * e,)
    if k.get("add_bias_kv", False):
        shapes.update(bias_k=(1, 1, e), bias_v=(1, 1, e))
    shapes.update(_prefixed("out_proj", _linear({"in_features": e, "out_features": e,
                                                 "bias": bias})))
    return shapes


def _transformer_layer(cross: bool) -> Rule:
    """A Transformer encoder layer (self_attn, linear1, linear2, norm1, norm2), or a decoder
    layer (cross=True: also multihead_attn and norm3)."""
    def rule(k: dict[str, Any]) -> Shapes:
        e, feedforward = _int(k["d_model"], "d_model"), k.get("dim_feedforward", 2048)
        feedforward = _int(feedforward, "dim_feedforward")
        bias = k.get("bias", True)
        attention = _attention({"embed_dim": e, "num_heads": k["nhead"], "bias": bias})
        norm = _layer_norm({"normalized_shape": e, "bias": bias})
        shapes = _prefixed("self_attn", attention)
        if cross:
            shapes.update(_prefixed("multihead_attn", attention))
        shapes.update(_prefixed("linear1", _linear({"in_features": e, "out_features": feedforward,
                                                    "bias": bias})))
        shapes.update(_prefixed("linear2", _linear({"in_features": feedforward, "out_features": e,
                                                    "bias": bias})))
        for n in range(1, 4 if cross else 3):
            shapes.update(_prefixed(f"norm{n}", norm))
        return shapes
    return rule


def _nested(spec: Any, argument: str, expected: str) -> dict[str, Any]:
    """The kwargs of the layer spec given for ``argument``, which must be an ``expected``."""
    if not isinstance(spec, dict) or spec.get("type") != expected or \
            not isinstance(spec.get("kwargs", {}), dict):
        raise ValueError(f"{argument} must be a {{'type': '{expected}', 'kwargs': {{...}}}} "
                         f"layer spec, got {str(spec)[:80]}")
    return spec.get("kwargs", {})


def _stack(layer_type: str, argument: str) -> Rule:
    """TransformerEncoder / TransformerDecoder: num_layers copies of the layer spec given as
    ``argument`` (layers.0., layers.1., ...), then the optional LayerNorm ``norm``."""
    def rule(k: dict[str, Any]) -> Shapes:
        layer_kwargs = _nested(k[argument], argument, layer_type)
        try:
            one = SHAPE_RULES[layer_type](layer_kwargs)
        except KeyError as err:
            raise KeyError(f"{err.args[0]} (of its {argument})") from None
        shapes = {f"layers.{i}.{name}": shape
                  for i in range(_count(k["num_layers"], "num_layers"))
                  for name, shape in one.items()}
        if k.get("norm") is not None:
            shapes.update(_prefixed("norm", _layer_norm(_nested(k["norm"], "norm", "LayerNorm"))))
        return shapes
    return rule


def _transformer(k: dict[str, Any]) -> Shapes:
    """nn.Transformer: an encoder and a decoder stack of its layers, each ending in a
    LayerNorm (custom_encoder / custom_decoder are modules, which a model file cannot hold)."""
    for argument in ("custom_encoder", "custom_decoder"):
        if k.get(argument) is not None:
            raise ValueError(f"{argument} cannot be given in a model file (leave it null)")
    layer = {"d_model": k.get("d_model", 512), "nhead": k.get("nhead", 8),
             "dim_feedforward": k.get("dim_feedforward", 2048), "bias": k.get("bias", True)}
    norm = {"type": "LayerNorm", "kwargs": {"normalized_shape": layer["d_model"],
                                            "bias": layer["bias"]}}
    shapes: Shapes = {}
    for part, count, default in (("encoder", "num_encoder_layers", 6),
                                 ("decoder", "num_decoder_layers", 6)):
        layer_type = f"Transformer{part.title()}Layer"
        stack = SHAPE_RULES[f"Transformer{part.title()}"]
        shapes.update(_prefixed(part, stack({f"{part}_layer": {"type": layer_type,
                                                               "kwargs": layer},
                                             "num_layers": k.get(count, default),
                                             "norm": norm})))
    return shapes


def _positional(k: dict[str, Any]) -> Shapes:
    return {"pe": (_int(k.get("max_len", 5000), "max_len"), 1, _int(k["d_model"], "d_model"))}


SHAPE_RULES: dict[str, Rule] = {
    "Linear": _linear,
    "Conv1d": _conv(1, False), "Conv2d": _conv(2, False),
    "ConvTranspose1d": _conv(1, True), "ConvTranspose2d": _conv(2, True),
    "BatchNorm1d": _batch_norm, "BatchNorm2d": _batch_norm, "SyncBatchNorm": _batch_norm,
    "LayerNorm": _layer_norm,
    "GroupNorm": lambda k: _affine((_int(k["num_channels"], "num_channels"),), k),
    "Embedding": lambda k: {"weight": (_int(k["num_embeddings"], "num_embeddings"),
                                       _int(k["embedding_dim"], "embedding_dim"))},
    "PReLU": lambda k: {"weight": (_int(k.get("num_parameters", 1), "num_parameters"),)},
    "RNNCell": _recurrent_cell(1), "GRUCell": _recurrent_cell(3), "LSTMCell": _recurrent_cell(4),
    "RNN": _recurrent(1), "GRU": _recurrent(3), "LSTM": _recurrent(4),
    "MultiheadAttention": _attention,
    "TransformerEncoderLayer": _transformer_layer(cross=False),
    "TransformerDecoderLayer": _transformer_layer(cross=True),
    "TransformerEncoder": _stack("TransformerEncoderLayer", "encoder_layer"),
    "TransformerDecoder": _stack("TransformerDecoderLayer", "decoder_layer"),
    "Transformer": _transformer,
    "PositionalEncoding": _positional,
}
"""Layer type -> kwargs -> {parameter or buffer name: shape}: the tensors the layer allocates,
computed from its arguments without allocating them (a stack's layers repeat at most
MAX_LAYERS times)."""


def _integers(value: Any) -> Iterator[int]:
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        yield value
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _integers(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _integers(v)


def _file_tensors(path: str) -> dict[str, tuple[tuple[int, ...], int]]:
    """{name: (shape, bytes)} of the file's tensors, read from its header alone."""
    sizes = {"BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "I16": 2, "U16": 2,
             "F16": 2, "BF16": 2, "I32": 4, "U32": 4, "F32": 4, "I64": 8, "U64": 8, "F64": 8}
    try:
        with safe_open(path, framework="np") as f:
            tensors: dict[str, tuple[tuple[int, ...], int]] = {}
            for name in f.keys():  # noqa: SIM118 (safe_open is not iterable)
                view = f.get_slice(name)
                shape = tuple(view.get_shape())
                tensors[name] = (shape, math.prod(shape) * sizes.get(view.get_dtype(), 8))
            return tensors
    except SafetensorError as err:
        raise ValueError(f"load_model: {path} is not a valid safetensors file ({err})") from None


def _layer_spec(i: int, layer: Any, where: str) -> tuple[Any, Any]:
    """(type, kwargs) of the spec of layer ``i``; ValueError naming ``where`` when it is not
    one."""
    if not isinstance(layer, dict) or not isinstance(layer.get("kwargs", {}), dict):
        raise ValueError(f"{where}: layer {i} is not a {{'type': name, 'kwargs': {{...}}}} "
                         f"spec: {str(layer)[:80]}")
    return layer.get("type"), layer.get("kwargs", {})


def _rule_shapes(i: int, name: Any, kwargs: Any, where: str) -> Optional[Shapes]:
    """The shapes layer ``i`` allocates by its shape rule, or None when it has none."""
    rule = SHAPE_RULES.get(name) if isinstance(name, str) else None
    if rule is None:
        return None
    try:
        return rule(kwargs)
    except KeyError as err:
        raise ValueError(f"{where}: layer {i} ({name}) lacks the argument "
                         f"{err.args[0]}") from None
    except (ValueError, TypeError) as err:
        raise ValueError(f"{where}: layer {i} ({name}): {err}") from None


def _check_layers(spec: Any, where: str) -> None:
    if not isinstance(spec, list) or not spec or len(spec) > MAX_LAYERS:
        raise ValueError(f"{where}: an architecture is a list of 1 to {MAX_LAYERS} "
                         f"layer specs, got {type(spec).__name__}"
                         f"{f' of {len(spec)}' if isinstance(spec, list) else ''}")


def check_architecture(spec: Spec, tensors: Mapping[str, tuple[Sequence[int], int]],
                       where: str = "the model file", max_bytes: int = MAX_MODEL_BYTES) -> None:
    """Check an architecture ``spec`` against a file's tensors {name: (shape, bytes)} before
    building it (see the module's doc); raises ValueError naming ``where`` and the layer."""
    total = sum(size for _, size in tensors.values())
    if total > max_bytes:
        raise ValueError(f"load_model: {where} holds {total} bytes of tensors, over the limit "
                         f"of {max_bytes} (gradsheet.models.MAX_MODEL_BYTES; pass max_bytes= "
                         f"to load a bigger model)")
    where = f"load_model: {where}"
    _check_layers(spec, where)
    for i, layer in enumerate(spec):
        name, kwargs = _layer_spec(i, layer, where)
        own = {key[len(f"{i}."):]: value for key, value in tensors.items()
               if key.startswith(f"{i}.")}
        label = f"layer {i} ({name})"
        expected = _rule_shapes(i, name, kwargs, where)
        if expected is not None:
            for key, shape in expected.items():
                if key not in own:
                    raise ValueError(f"{where}: {label} with {_brief(kwargs)} allocates {key} "
                                     f"of shape {list(shape)}, but the file holds no {i}.{key}")
                if tuple(own[key][0]) != tuple(shape):
                    raise ValueError(f"{where}: {label} with {_brief(kwargs)} allocates {key} "
                                     f"of shape {list(shape)}, but the file's {i}.{key} is "
                                     f"{list(own[key][0])}")
            continue
        largest = max((d for shape, _ in own.values() for d in shape), default=0)
        elements = sum(math.prod(shape) for shape, _ in own.values())
        numbers = list(_integers(kwargs))
        biggest = max(numbers, default=0)
        if biggest > max(largest, FREE_DIM) or biggest ** 2 > 8 * elements + FREE_DIM ** 2:
            raise ValueError(f"{where}: {label} asks for a size of {biggest} in "
                             f"{_brief(kwargs)}, far more than the file's tensors for it hold "
                             f"({elements} elements, largest dimension {largest}); refusing to "
                             f"build it")


def _brief(kwargs: Any, limit: int = 300) -> str:
    """``kwargs`` as text, cut to ``limit`` characters (a nested layer spec can be long)."""
    text = str(kwargs)
    return text if len(text) <= limit else text[:limit] + "...}"


def check_size(spec: Spec, where: str = "the architecture", max_bytes: int = MAX_MODEL_BYTES,
               itemsize: int = 4) -> None:
    """Raise ValueError (naming ``where`` and the layer) when the layers of ``spec`` that have
    a shape rule would hold more than ``max_bytes`` (at ``itemsize`` bytes per element),
    before building any of them: an architecture file asking for Linear(100000, 100000)."""
    _check_layers(spec, where)
    total = 0
    for i, layer in enumerate(spec):
        name, kwargs = _layer_spec(i, layer, where)
        shapes = _rule_shapes(i, name, kwargs, where)
        if shapes is None:
            continue
        total += itemsize * sum(math.prod(shape) for shape in shapes.values())
        if total > max_bytes:
            raise ValueError(f"{where}: layer {i} ({name}) with {_brief(kwargs)} brings "
                             f"the model to {total} bytes, over the limit of {max_bytes} "
                             f"(gradsheet.models.MAX_MODEL_BYTES)")


def load_model(path: PathLike, max_bytes: int = MAX_MODEL_BYTES
               ) -> tuple[nn.Sequential, Spec, dict[str, str]]:
    """(model, spec, metadata) from a file written by ``save_model``.

    The architecture is checked against the file's tensors (shapes and ``max_bytes``, see
    the module's doc) before any layer is built; then the weights load, verified against
    their SHA-256 checksums. Raises ValueError naming the file (and the layer) when they
    disagree, FileNotFoundError / IsADirectoryError / PermissionError naming the path.
    """
    path = os.fspath(path)
    check_regular(path, "load_model", "model file")
    metadata = load_metadata(path) or {}
    if _ARCHITECTURE_KEY not in metadata:
        raise ValueError(f"load_model: {path} holds weights but no architecture; save it with "
                         "gradsheet.models.save_model (or build the model yourself and call "
                         "model.load_state_dict(gradsheet.load(path)))")
    try:
        spec = json.loads(metadata[_ARCHITECTURE_KEY])
    except (ValueError, RecursionError) as err:
        raise ValueError(f"load_model: {path}: its architecture metadata is not JSON "
                         f"({err})") from None
    check_architecture(spec, _file_tensors(path), path, max_bytes)
    try:
        model = build_model(spec)
    except ValueError as err:
        raise ValueError(f"load_model: {path}: {err}") from None
    state = load(path)
    try:
        model.load_state_dict(state)
    except (RuntimeError, ValueError, KeyError, TypeError) as err:
        raise ValueError(f"load_model: {path}: its weights do not fit its architecture: "
                         f"{err}") from None
    return model, spec, metadata
