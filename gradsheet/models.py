"""Model files: an architecture as JSON plus its weights, in one safetensors file.

A safetensors file holds tensors and string metadata, never code, so a model
file records its architecture as data: a list of layer specs

    [{"type": "Linear", "kwargs": {"in_features": 64, "out_features": 10}}, {"type": "ReLU"}]

each naming a layer of ``gradsheet.nn`` and its constructor arguments.
``build_model(spec)`` turns the list into an ``nn.Sequential``; ``save_model`` /
``load_model`` write and read the spec beside the state dict.

Bounded loading: a model file is data from anywhere, and its architecture could ask for
any size (``Linear(100000, 100000)`` is 37 GiB in a 212-byte file). ``load_model``
therefore checks the architecture against the weights the file actually holds before it
builds a single layer:

- the file's tensors may hold at most ``MAX_MODEL_BYTES`` (4 GiB) in all (``max_bytes=``
  raises or lowers it);
- each layer with a shape rule (``SHAPE_RULES``: Linear, Conv1d/2d, ConvTranspose1d/2d,
  BatchNorm1d/2d, LayerNorm, GroupNorm, Embedding, PReLU) must declare exactly the
  parameter shapes of the file's tensors ``<index>.<name>``, so what it allocates is what
  the file holds;
- any other layer is built only if every integer among its arguments is at most
  max(the largest dimension of its tensors in the file, ``FREE_DIM``) and the square of
  the largest is at most 8 times its elements in the file plus ``FREE_DIM``²
  (``FREE_DIM`` = 1024): no argument can ask for much more than the file holds.

A layer failing a check raises ValueError naming the file, the layer (index and type)
and the shapes, before anything is allocated.
"""
import json
import math
import os

from safetensors import SafetensorError, safe_open

from . import nn
from .io import load, load_metadata, save
from .io.files import check_regular

_ARCHITECTURE_KEY = "gradsheet.architecture"
MAX_MODEL_BYTES = 4 * 2**30
FREE_DIM = 1024
MAX_LAYERS = 10_000


def build_model(spec):
    """An ``nn.Sequential`` from a list of {"type": layer name, "kwargs": {...}} specs."""
    if not isinstance(spec, list) or not spec:
        raise ValueError("build_model: an architecture is a non-empty list of layer specs, "
                         f"got {type(spec).__name__}")
    layers = []
    for i, layer in enumerate(spec):
        name = layer.get("type") if isinstance(layer, dict) else None
        cls = getattr(nn, name, None) if isinstance(name, str) else None
        if not (isinstance(cls, type) and issubclass(cls, nn.Module)):
            raise ValueError(f"build_model: layer {i} has type {name!r}, which is not a layer "
                             "of gradsheet.nn")
        try:
            layers.append(cls(**layer.get("kwargs", {})))
        except (TypeError, ValueError, OverflowError, MemoryError) as error:
            raise ValueError(f"build_model: layer {i} ({name}): {error}") from None
    return nn.Sequential(*layers)


def mlp_spec(in_features, hidden, num_classes, dropout=0.0):
    """Flatten, then (Linear, ReLU[, Dropout]) per hidden size, then a Linear head."""
    spec = [{"type": "Flatten"}]
    for width in hidden:
        spec += [{"type": "Linear", "kwargs": {"in_features": in_features, "out_features": width}},
                 {"type": "ReLU"}]
        if dropout:
            spec.append({"type": "Dropout", "kwargs": {"p": dropout}})
        in_features = width
    spec.append({"type": "Linear", "kwargs": {"in_features": in_features,
                                              "out_features": num_classes}})
    return spec


def cnn_spec(in_channels, num_classes, channels=(16, 32)):
    """(Conv 3x3, BatchNorm, ReLU, MaxPool 2) per stage, global average pool, a Linear head.

    Global pooling makes the head independent of the image size (8x8 digits or 28x28 MNIST).
    """
    spec = []
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


def save_model(model, spec, path, metadata=None):
    """Write ``model``'s weights and its architecture ``spec`` to one safetensors file."""
    save(model.state_dict(), path, metadata={**(metadata or {}),
                                             _ARCHITECTURE_KEY: json.dumps(spec)})


def _int(value, what):
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{what} must be a non-negative int, got {value!r}")
    return value


def _ints(value, n, what):
    values = [value] * n if not isinstance(value, (list, tuple)) else list(value)
    if len(values) != n:
        raise ValueError(f"{what} must be an int or {n} ints, got {value!r}")
    return tuple(_int(v, what) for v in values)


def _affine(shape, kwargs, flag="affine", bias_flag=None):
    shapes = {}
    if kwargs.get(flag, True):
        shapes["weight"] = shape
        if bias_flag is None or kwargs.get(bias_flag, True):
            shapes["bias"] = shape
    return shapes


def _linear(k):
    out = _int(k["out_features"], "out_features")
    shapes = {"weight": (out, _int(k["in_features"], "in_features"))}
    if k.get("bias", True):
        shapes["bias"] = (out,)
    return shapes


def _conv(n, transposed):
    def rule(k):
        c_in, c_out = _int(k["in_channels"], "in_channels"), _int(k["out_channels"], "out_channels")
        groups = _int(k.get("groups", 1), "groups") or 1
        kernel = _ints(k["kernel_size"], n, "kernel_size")
        first, second = (c_in, c_out // groups) if transposed else (c_out, c_in // groups)
        shapes = {"weight": (first, second, *kernel)}
        if k.get("bias", True):
            shapes["bias"] = (c_out,)
        return shapes
    return rule


def _batch_norm(k):
    c = _int(k["num_features"], "num_features")
    shapes = _affine((c,), k)
    if k.get("track_running_stats", True):
        shapes.update(running_mean=(c,), running_var=(c,), num_batches_tracked=())
    return shapes


def _layer_norm(k):
    shape = k["normalized_shape"]
    shape = (shape,) if not isinstance(shape, (list, tuple)) else tuple(shape)
    shape = tuple(_int(v, "normalized_shape") for v in shape)
    return _affine(shape, k, "elementwise_affine", "bias")


SHAPE_RULES = {
    "Linear": _linear,
    "Conv1d": _conv(1, False), "Conv2d": _conv(2, False),
    "ConvTranspose1d": _conv(1, True), "ConvTranspose2d": _conv(2, True),
    "BatchNorm1d": _batch_norm, "BatchNorm2d": _batch_norm,
    "LayerNorm": _layer_norm,
    "GroupNorm": lambda k: _affine((_int(k["num_channels"], "num_channels"),), k),
    "Embedding": lambda k: {"weight": (_int(k["num_embeddings"], "num_embeddings"),
                                       _int(k["embedding_dim"], "embedding_dim"))},
    "PReLU": lambda k: {"weight": (_int(k.get("num_parameters", 1), "num_parameters"),)},
}
SHAPE_RULES_DOC = """Layer type -> kwargs -> {parameter or buffer name: shape}: the tensors the
layer allocates, computed from its arguments without allocating them."""


def _integers(value):
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


def _file_tensors(path):
    """{name: (shape, bytes)} of the file's tensors, read from its header alone."""
    sizes = {"BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "I16": 2, "U16": 2,
             "F16": 2, "BF16": 2, "I32": 4, "U32": 4, "F32": 4, "I64": 8, "U64": 8, "F64": 8}
    try:
        with safe_open(path, framework="np") as f:
            tensors = {}
            for name in f.keys():  # noqa: SIM118 (safe_open is not iterable)
                view = f.get_slice(name)
                shape = tuple(view.get_shape())
                tensors[name] = (shape, math.prod(shape) * sizes.get(view.get_dtype(), 8))
            return tensors
    except SafetensorError as err:
        raise ValueError(f"load_model: {path} is not a valid safetensors file ({err})") from None


def check_architecture(spec, tensors, where="the model file", max_bytes=MAX_MODEL_BYTES):
    """Check an architecture ``spec`` against a file's tensors {name: (shape, bytes)} before
    building it (see the module's doc); raises ValueError naming ``where`` and the layer."""
    total = sum(size for _, size in tensors.values())
    if total > max_bytes:
        raise ValueError(f"load_model: {where} holds {total} bytes of tensors, over the limit "
                         f"of {max_bytes} (gradsheet.models.MAX_MODEL_BYTES; pass max_bytes= "
                         f"to load a bigger model)")
    if not isinstance(spec, list) or not spec or len(spec) > MAX_LAYERS:
        raise ValueError(f"load_model: {where}: an architecture is a list of 1 to {MAX_LAYERS} "
                         f"layer specs, got {type(spec).__name__}"
                         f"{f' of {len(spec)}' if isinstance(spec, list) else ''}")
    for i, layer in enumerate(spec):
        if not isinstance(layer, dict) or not isinstance(layer.get("kwargs", {}), dict):
            raise ValueError(f"load_model: {where}: layer {i} is not a "
                             f"{{'type': name, 'kwargs': {{...}}}} spec: {str(layer)[:80]}")
        name, kwargs = layer.get("type"), layer.get("kwargs", {})
        own = {key[len(f"{i}."):]: value for key, value in tensors.items()
               if key.startswith(f"{i}.")}
        label = f"layer {i} ({name})"
        rule = SHAPE_RULES.get(name) if isinstance(name, str) else None
        if rule is not None:
            try:
                expected = rule(kwargs)
            except KeyError as err:
                raise ValueError(f"load_model: {where}: {label} lacks the argument "
                                 f"{err.args[0]}") from None
            except (ValueError, TypeError) as err:
                raise ValueError(f"load_model: {where}: {label}: {err}") from None
            for key, shape in expected.items():
                if key not in own:
                    raise ValueError(f"load_model: {where}: {label} with {kwargs} has a {key} "
                                     f"of shape {list(shape)}, but the file holds no {i}.{key}")
                if tuple(own[key][0]) != tuple(shape):
                    raise ValueError(f"load_model: {where}: {label} with {kwargs} has a {key} "
                                     f"of shape {list(shape)}, but the file's {i}.{key} is "
                                     f"{list(own[key][0])}")
            continue
        largest = max((d for shape, _ in own.values() for d in shape), default=0)
        elements = sum(math.prod(shape) for shape, _ in own.values())
        numbers = list(_integers(kwargs))
        biggest = max(numbers, default=0)
        if biggest > max(largest, FREE_DIM) or biggest ** 2 > 8 * elements + FREE_DIM ** 2:
            raise ValueError(f"load_model: {where}: {label} asks for a size of {biggest} in "
                             f"{kwargs}, far more than the file's tensors for it hold "
                             f"({elements} elements, largest dimension {largest}); refusing to "
                             f"build it")


def check_size(spec, where="the architecture", max_bytes=MAX_MODEL_BYTES, itemsize=4):
    """Raise ValueError (naming ``where`` and the layer) when the layers of ``spec`` that have
    a shape rule would hold more than ``max_bytes`` (at ``itemsize`` bytes per element),
    before building any of them: an architecture file asking for Linear(100000, 100000)."""
    if not isinstance(spec, list) or not spec or len(spec) > MAX_LAYERS:
        raise ValueError(f"{where}: an architecture is a list of 1 to {MAX_LAYERS} layer specs")
    total = 0
    for i, layer in enumerate(spec):
        if not isinstance(layer, dict) or not isinstance(layer.get("kwargs", {}), dict):
            raise ValueError(f"{where}: layer {i} is not a {{'type': name, 'kwargs': {{...}}}} "
                             f"spec: {str(layer)[:80]}")
        rule = SHAPE_RULES.get(layer.get("type")) if isinstance(layer.get("type"), str) else None
        if rule is None:
            continue
        try:
            shapes = rule(layer.get("kwargs", {}))
        except KeyError as err:
            raise ValueError(f"{where}: layer {i} ({layer['type']}) lacks the argument "
                             f"{err.args[0]}") from None
        except (ValueError, TypeError) as err:
            raise ValueError(f"{where}: layer {i} ({layer['type']}): {err}") from None
        total += itemsize * sum(math.prod(shape) for shape in shapes.values())
        if total > max_bytes:
            raise ValueError(f"{where}: layer {i} ({layer['type']}) with {layer['kwargs']} brings "
                             f"the model to {total} bytes, over the limit of {max_bytes} "
                             f"(gradsheet.models.MAX_MODEL_BYTES)")


def load_model(path, max_bytes=MAX_MODEL_BYTES):
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
