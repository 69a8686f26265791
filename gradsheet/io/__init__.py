"""Model files: save / load state dicts in the safetensors format (no pickle, no code)."""
from .serialization import load, load_metadata, save

__all__ = ["load", "load_metadata", "save"]
