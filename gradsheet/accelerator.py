"""``gs.accelerator``: PyTorch's device-agnostic accelerator queries; gradsheet has none."""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:
    from .devices import device


def is_available() -> bool:
    """False: gradsheet computes on the CPU only."""
    return False


def current_accelerator(check_available: bool = False) -> Optional[device]:
    """None: there is no accelerator (as ``torch.accelerator.current_accelerator()`` on a
    machine without one)."""
    return None


def device_count() -> int:
    """0: no accelerator devices."""
    return 0
