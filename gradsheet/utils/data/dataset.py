"""``torch.utils.data.dataset``'s path: the objects of ``gradsheet.data.dataset``."""
from ...data.dataset import *  # noqa: F401,F403
