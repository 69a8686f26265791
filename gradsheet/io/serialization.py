"""save / load: a state dict to and from a safetensors file.

safetensors stores a JSON header (names, dtypes, shapes, byte offsets) and raw
little-endian array bytes, nothing else: loading a file can never run code,
which a pickle (torch.save's format) can. The files open in PyTorch with
``safetensors.torch.load_file``.

Writes are atomic: the bytes go to a temporary file in the target's directory,
are flushed to disk (fsync), and the file is renamed over ``path`` in one step
(os.replace), so ``path`` holds either the old file or the complete new one,
never a half-written one.
"""
import os
import tempfile

import numpy as np
import safetensors.numpy
from safetensors import SafetensorError, safe_open

from ..autograd.tensor import Tensor, as_tensor


def _arrays(state_dict, path):
    if hasattr(state_dict, "state_dict"):
        raise TypeError(f"save: got a {type(state_dict).__name__}, expected a dict of tensors; "
                        f"save model.state_dict() to {path}")
    if not isinstance(state_dict, dict):
        raise TypeError(f"save: expected a dict of tensors or arrays, "
                        f"got {type(state_dict).__name__}")
    arrays = {}
    for name, value in state_dict.items():
        if not isinstance(name, str):
            raise TypeError(f"save: tensor names must be strings, got {name!r}")
        if not isinstance(value, (Tensor, np.ndarray)):
            raise TypeError(f"save: {name!r} is a {type(value).__name__}, "
                            f"expected a Tensor or ndarray")
        # safetensors writes a non-contiguous array's buffer as if it were contiguous
        array = value.array if isinstance(value, Tensor) else value
        arrays[name] = array if array.flags.c_contiguous else array.copy(order="C")
    return arrays


def _check_metadata(metadata):
    if metadata is None:
        return None
    if not isinstance(metadata, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise TypeError(f"save: metadata must be a dict of str to str, got {metadata!r}")
    return metadata


def _write_atomically(data, path):
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    # make the rename itself durable (POSIX; Windows cannot open a directory)
    if hasattr(os, "O_DIRECTORY"):
        dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def save(state_dict, path, metadata=None):
    """Write ``state_dict`` (names -> Tensors or arrays) to ``path`` as safetensors, atomically.

    Args:
        state_dict: e.g. ``model.state_dict()``, or any dict of str -> Tensor or ndarray.
        path: the file to write (conventionally ``*.safetensors``).
        metadata: optional dict of str -> str stored in the header (``load_metadata`` reads it).

    Example: ``gradsheet.save(model.state_dict(), "model.safetensors")``.
    """
    path = os.fspath(path)
    data = safetensors.numpy.save(_arrays(state_dict, path), metadata=_check_metadata(metadata))
    _write_atomically(data, path)


def _open(path):
    try:
        return safe_open(path, framework="np")
    except SafetensorError as err:
        raise ValueError(f"load: {path} is not a valid safetensors file ({err})") from None


def load(path):
    """The dict of Tensors saved at ``path``, by name, with the dtypes and shapes saved.

    Raises ValueError naming the file when it is not a valid safetensors file
    (random bytes, truncated, a pickle); nothing in the file is ever executed.
    """
    path = os.fspath(path)
    with _open(path) as f:
        try:
            # safe_open has keys() but is not iterable
            return {name: as_tensor(f.get_tensor(name)) for name in f.keys()}  # noqa: SIM118
        except SafetensorError as err:
            raise ValueError(f"load: {path} is not a valid safetensors file ({err})") from None


def load_metadata(path):
    """The metadata dict (str -> str) that ``save(..., metadata=...)`` stored in ``path``."""
    path = os.fspath(path)
    with _open(path) as f:
        return dict(f.metadata() or {})
