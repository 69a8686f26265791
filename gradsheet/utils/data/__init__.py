"""``torch.utils.data`` under gradsheet: the very objects of ``gradsheet.data`` (Dataset,
DataLoader, samplers, default_collate, get_worker_info, ...), so that
``from gradsheet.utils.data import DataLoader, Dataset`` is ``from gradsheet.data import ...``.
"""
from ...data import *  # noqa: F401,F403
from ...data import __all__  # noqa: F401
from ...data import datasets  # noqa: F401
