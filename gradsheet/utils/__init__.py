"""gradsheet.utils: PyTorch's ``torch.utils`` path; ``gradsheet.utils.data`` is ``gradsheet.data``."""
import importlib as _importlib

__all__ = ["data"]


def __getattr__(name):
    if name == "data":
        return _importlib.import_module(".data", __name__)
    raise AttributeError(f"module 'gradsheet.utils' has no attribute {name!r}")
