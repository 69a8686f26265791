"""Model files: save / load tensors in any nesting of plain data as safetensors + JSON (no
pickle, no code); PyTorch's own .pt files read safely and written; checkpoints of whole
training runs; PyTorch state dicts in and out."""
from .checkpoint import (epoch_checkpoint_path, latest_checkpoint, load_checkpoint,
                         restore_checkpoint, save_checkpoint)
from .interop import from_torch_state_dict, to_torch_state_dict
from .serialization import load, load_metadata, save, to_torch_file

__all__ = ["epoch_checkpoint_path", "from_torch_state_dict", "latest_checkpoint", "load",
           "load_checkpoint", "load_metadata", "restore_checkpoint", "save", "save_checkpoint",
           "to_torch_file", "to_torch_state_dict"]
