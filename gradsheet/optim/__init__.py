"""Optimizers (the update rule θ ← θ - α · direction), learning-rate schedules, gradient clipping.

``optim.SGD``, ``optim.Adam``, ``optim.AdamW``, ``optim.RMSprop``, ``optim.Adagrad``,
``optim.Adadelta``, ``optim.Adamax``, ``optim.NAdam``, ``optim.RAdam``, ``optim.ASGD``,
``optim.Rprop`` and ``optim.LBFGS`` follow ``torch.optim`` (names, arguments, defaults,
state_dict format, numbers);
``optim.lr_scheduler`` holds the schedules; ``clip_grad_norm_`` and ``clip_grad_value_``
are also exported here (torch keeps them in ``torch.nn.utils``).
"""
from . import lr_scheduler
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .adamax import Adamax
from .asgd import ASGD
from .clip import clip_grad_norm_, clip_grad_value_
from .lbfgs import LBFGS
from .nadam import NAdam
from .optimizer import Optimizer
from .radam import RAdam
from .rmsprop import RMSprop
from .rprop import Rprop
from .sgd import SGD

__all__ = ["ASGD", "LBFGS", "SGD", "Adadelta", "Adagrad", "Adam", "AdamW", "Adamax", "NAdam",
           "Optimizer", "RAdam", "RMSprop", "Rprop", "clip_grad_norm_", "clip_grad_value_",
           "lr_scheduler"]
