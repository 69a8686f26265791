"""``gs.cuda``: PyTorch's CUDA queries, answered truthfully: gradsheet has no CUDA device.

Programs that check before they use a GPU (``if gs.cuda.is_available(): ...``) run on the
CPU; seeding calls are accepted and do nothing (there is no CUDA generator to seed).
"""


def is_available():
    """False: gradsheet computes on the CPU only."""
    return False


def device_count():
    """0: there are no CUDA devices for gradsheet."""
    return 0


def manual_seed(seed):
    """Accepted and ignored: there is no CUDA generator (``gs.manual_seed`` seeds the CPU's)."""


def manual_seed_all(seed):
    """Accepted and ignored, as ``manual_seed``."""


def synchronize(device=None):
    """Nothing to wait for: CPU work is done when its call returns."""


def empty_cache():
    """Nothing to free: there is no CUDA memory cache."""
