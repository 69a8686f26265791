"""``gs.backends.cudnn``: the flags programs set (``benchmark``, ``deterministic``, ``enabled``,
``allow_tf32``) are plain attributes here: gradsheet has no cuDNN, so they change nothing.
gradsheet's CPU computations are deterministic for a given seed and thread count anyway."""
from __future__ import annotations

from typing import Optional

enabled = True
benchmark = False
deterministic = False
allow_tf32 = True


def is_available() -> bool:
    """False: there is no cuDNN under gradsheet."""
    return False


def version() -> Optional[int]:
    """None: no cuDNN library is loaded."""
    return None
