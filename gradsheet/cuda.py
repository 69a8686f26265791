"""``gs.cuda``: PyTorch's CUDA queries, answered truthfully: gradsheet has no CUDA device.

Programs that check before they use a GPU (``if gs.cuda.is_available(): ...``) run on the
CPU; seeding calls are accepted and do nothing (there is no CUDA generator to seed).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:
    from ._typing import DeviceLike


def is_available() -> bool:
    """False: gradsheet computes on the CPU only."""
    return False


def device_count() -> int:
    """0: there are no CUDA devices for gradsheet."""
    return 0


def manual_seed(seed: int) -> None:
    """Accepted and ignored: there is no CUDA generator (``gs.manual_seed`` seeds the CPU's)."""


def manual_seed_all(seed: int) -> None:
    """Accepted and ignored, as ``manual_seed``."""


def synchronize(device: Optional[DeviceLike] = None) -> None:
    """Nothing to wait for: CPU work is done when its call returns."""


def empty_cache() -> None:
    """Nothing to free: there is no CUDA memory cache."""
