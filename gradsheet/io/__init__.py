"""Model files: save / load state dicts in the safetensors format (no pickle, no code);
checkpoints of whole training runs; PyTorch state dicts in and out."""
from .checkpoint import (epoch_checkpoint_path, latest_checkpoint, load_checkpoint,
                         restore_checkpoint, save_checkpoint)
from .interop import from_torch_state_dict, to_torch_state_dict
from .serialization import load, load_metadata, save

__all__ = ["epoch_checkpoint_path", "from_torch_state_dict", "latest_checkpoint", "load",
           "load_checkpoint", "load_metadata", "restore_checkpoint", "save", "save_checkpoint",
           "to_torch_state_dict"]
