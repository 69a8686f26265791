"""``gradsheet.nn.modules``: torch's file layout of the layers (``nn.modules.conv.Conv2d``,
``nn.modules.loss._Loss``, ``nn.modules.module.Module``, ...), for programs that import or
isinstance-check through those paths. Every name is the same object as in ``gradsheet.nn``.
"""
from __future__ import annotations

import importlib as _importlib
from typing import Any

from . import (
    activation,
    adaptive,
    batchnorm,
    channelshuffle,
    container,
    conv,
    distance,
    dropout,
    flatten,
    fold,
    instancenorm,
    lazy,
    linear,
    loss,
    module,
    normalization,
    padding,
    pixelshuffle,
    pooling,
    rnn,
    sparse,
    transformer,
    upsampling,
    utils,
)
from .module import Module

_FILES = ("activation", "adaptive", "batchnorm", "channelshuffle", "container", "conv",
          "distance", "dropout", "flatten", "fold", "instancenorm", "lazy", "linear", "loss",
          "normalization", "padding", "pixelshuffle", "pooling", "rnn", "sparse", "transformer",
          "upsampling")

__all__ = ["Module", "activation", "adaptive", "batchnorm", "channelshuffle", "container", "conv",
           "distance", "dropout", "flatten", "fold", "instancenorm", "lazy", "linear", "loss",
           "module", "normalization", "padding", "pixelshuffle", "pooling", "rnn", "sparse",
           "transformer", "upsampling", "utils"]


def __getattr__(name: str) -> Any:

    # nn.modules.Linear & co: torch.nn.modules re-exports every layer at the package level
    if not name.startswith("_"):
        for file in _FILES:
            submodule = _importlib.import_module(f"{__name__}.{file}")
            if name in submodule._NAMES:
                return getattr(submodule, name)
    raise AttributeError(f"module '{__name__}' has no attribute '{name}'")
