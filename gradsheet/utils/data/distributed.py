"""``torch.utils.data.distributed``'s path: the objects of ``gradsheet.data.distributed``."""
from ...data.distributed import *  # noqa: F401,F403
