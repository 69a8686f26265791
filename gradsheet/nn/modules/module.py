"""torch.nn.modules.module: Module (the same class as ``gradsheet.nn.Module``)."""
from ..module import Module

__all__ = ["Module"]
