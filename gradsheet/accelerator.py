"""``gs.accelerator``: PyTorch's device-agnostic accelerator queries; gradsheet has none."""


def is_available():
    """False: gradsheet computes on the CPU only."""
    return False


def current_accelerator(check_available=False):
    """None: there is no accelerator (as ``torch.accelerator.current_accelerator()`` on a
    machine without one)."""
    return None


def device_count():
    """0: no accelerator devices."""
    return 0
