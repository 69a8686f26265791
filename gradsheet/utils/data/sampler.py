"""``torch.utils.data.sampler``'s path: the objects of ``gradsheet.data.sampler``."""
from ...data.sampler import *  # noqa: F401,F403
