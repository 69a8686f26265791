"""gradsheet.utils: PyTorch's ``torch.utils`` path; ``gradsheet.utils.data`` is ``gradsheet.data``."""
from __future__ import annotations

import importlib as _importlib
from typing import Any

__all__ = ["data"]


def __getattr__(name: str) -> Any:
    if name == "data":
        return _importlib.import_module(".data", __name__)
    raise AttributeError(f"module 'gradsheet.utils' has no attribute {name!r}")
