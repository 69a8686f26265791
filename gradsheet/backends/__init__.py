"""``gs.backends``: PyTorch's backend switches, accepted so programs run; on the CPU they have
no effect (``cudnn``, ``mps``)."""
from . import cudnn, mps  # noqa: F401
