"""Optimizers (the update rule θ ← θ - α · direction), learning-rate schedules, gradient clipping.

``optim.SGD``, ``optim.Adam``, ``optim.AdamW``, ``optim.RMSprop``, ``optim.Adagrad`` follow
``torch.optim`` (names, arguments, defaults, state_dict format, numbers);
``optim.lr_scheduler`` holds the schedules; ``clip_grad_norm_`` and ``clip_grad_value_``
are also exported here (torch keeps them in ``torch.nn.utils``).
"""
from . import lr_scheduler
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .clip import clip_grad_norm_, clip_grad_value_
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["SGD", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "clip_grad_norm_",
           "clip_grad_value_", "lr_scheduler"]
