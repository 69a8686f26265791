"""``torch.utils.data.dataloader``'s path: DataLoader and the collate and worker functions
PyTorch programs import from it."""
from ...data.collate import default_collate, default_convert  # noqa: F401
from ...data.dataloader import *  # noqa: F401,F403
from ...data.worker import get_worker_info  # noqa: F401
