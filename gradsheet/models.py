"""Model files: an architecture as JSON plus its weights, in one safetensors file.

A safetensors file holds tensors and string metadata, never code, so a model
file records its architecture as data: a list of layer specs

    [{"type": "Linear", "kwargs": {"in_features": 64, "out_features": 10}}, {"type": "ReLU"}]

each naming a layer of ``gradsheet.nn`` and its constructor arguments.
``build_model(spec)`` turns the list into an ``nn.Sequential``; ``save_model`` /
``load_model`` write and read the spec beside the state dict.
"""
import json

from . import nn
from .io import load, load_metadata, save

_ARCHITECTURE_KEY = "gradsheet.architecture"


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
        except TypeError as error:
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


def load_model(path):
    """(model, spec, metadata) from a file written by ``save_model``."""
    metadata = load_metadata(path) or {}
    if _ARCHITECTURE_KEY not in metadata:
        raise ValueError(f"load_model: {path} holds weights but no architecture; save it with "
                         "gradsheet.models.save_model (or build the model yourself and call "
                         "model.load_state_dict(gradsheet.load(path)))")
    spec = json.loads(metadata[_ARCHITECTURE_KEY])
    model = build_model(spec)
    model.load_state_dict(load(path))
    return model, spec, metadata
