"""``gs.backends.cudnn``: the flags programs set (``benchmark``, ``deterministic``, ``enabled``,
``allow_tf32``) are plain attributes here: gradsheet has no cuDNN, so they change nothing.
gradsheet's CPU computations are deterministic for a given seed and thread count anyway."""

enabled = True
benchmark = False
deterministic = False
allow_tf32 = True


def is_available():
    """False: there is no cuDNN under gradsheet."""
    return False


def version():
    """None: no cuDNN library is loaded."""
    return None
