"""``gradsheet.nn``: layers and models, as in ``torch.nn``.

Module, Parameter and the containers; Linear and the activation, dropout and
loss layers; ``nn.init`` (weight initialisation) and ``nn.functional`` (F, the
stateless ops). Each layer's docstring opens with its formula.
"""
from . import functional, init
from .parameter import Parameter
from .module import Module
from .containers import ModuleDict, ModuleList, Sequential
from .linear import Flatten, Identity, Linear
from .activation import (ELU, GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, SiLU, Softmax,
                         Softplus, Tanh)
from .dropout import Dropout
from .loss import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, L1Loss, MSELoss,
                   NLLLoss, SmoothL1Loss)

__all__ = ["functional", "init", "Parameter", "Module", "Sequential", "ModuleList",
           "ModuleDict", "Linear", "Identity", "Flatten", "Sigmoid", "Tanh", "ReLU", "LeakyReLU",
           "Softmax", "LogSoftmax", "GELU", "ELU", "Softplus", "SiLU", "Dropout",
           "CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss", "MSELoss", "L1Loss",
           "HuberLoss", "SmoothL1Loss"]
