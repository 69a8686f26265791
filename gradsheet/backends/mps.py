"""``gs.backends.mps``: Apple's Metal backend queries; gradsheet has no MPS device."""


def is_available():
    """False: gradsheet computes on the CPU only."""
    return False


def is_built():
    """False: gradsheet is not built with MPS."""
    return False
