"""save / load: any nesting of tensors and plain data to and from a file that never runs code.

``gradsheet.save(obj, f)`` writes one safetensors file: its tensors are every Tensor and
array in ``obj``, named by where they sit (``"fc.weight"`` for a state dict's entry,
``"optimizer.state.0.exp_avg"`` inside a checkpoint dict); its header's metadata holds, under
``"gradsheet.structure"``, the JSON of everything else, with each tensor replaced by its name.
safetensors stores a JSON header (names, dtypes, shapes, byte offsets) and raw little-endian
bytes, nothing else, so loading a file can never run code, which a pickle can.

``obj`` may nest dicts (``OrderedDict``, ``Counter``, any keys of the kinds below), lists,
tuples, sets; Tensors (and ``nn.Parameter``, ``requires_grad`` kept), NumPy arrays and
scalars; ints, floats (inf and NaN too), complex numbers, bools, strings, bytes, None, dtypes
and devices. Loading gives back the same structure: tuples stay tuples, int keys stay ints,
OrderedDicts stay OrderedDicts, and one Tensor saved in two places is stored once and
loads as one Tensor again. Tensors come back as contiguous arrays that own their memory:
different Tensors (or arrays) sharing memory are saved by value, each under its own name.

The JSON structure, a node per value:

- null, true/false, numbers, strings and lists stand for themselves;
- ``{"tensor": name}`` (plus ``"requires_grad": true``, ``"parameter": true``),
  ``{"ndarray": name}``, ``{"numpy": name}`` (a
  scalar, stored as a 0-d array);
- ``{"tuple": [...]}``, ``{"set": [...]}``, ``{"frozenset": [...]}``,
  ``{"dict": [[key, value], ...]}``, ``{"OrderedDict": ...}``, ``{"Counter": ...}`` (keys are
  nodes too);
- ``{"float": "inf" | "-inf" | "nan"}``, ``{"complex": [re, im]}``, ``{"bytes": base64}``,
  ``{"dtype": "float32"}``, ``{"device": "cpu"}``.

Which files torch reads: ``safetensors.torch.load_file`` reads any file ``save`` writes, as a
flat dict of its tensors by name (``torch.load`` does the same for a path ending in
``.safetensors``). A file saved by gradsheet under a ``.pt`` / ``.pth`` name is still
safetensors, which ``torch.load`` cannot read; ``gradsheet.io.to_torch_file`` writes
torch.save's own format instead.

``load`` also reads the files ``torch.save`` writes (``.pt`` / ``.pth``, the zip format and
the legacy one), without importing torch and without running anything in them: see
``gradsheet.io.torch_format`` and ``gradsheet.io.unpickler``.

Writes are atomic (``gradsheet.io.files.write_atomically``): the bytes go to a temporary
file in the target's directory, are flushed to disk (fsync), and the file is renamed over
``path`` in one step (os.replace), so ``path`` holds either the old file or the complete new
one, never a half-written one. A file object receives the whole file in one ``write`` once
it is complete.

Integrity: ``save`` stores, under ``"gradsheet.sha256"`` in the metadata, the SHA-256 of
every tensor (its name, dtype, shape and bytes); ``load`` verifies them and raises
ValueError naming the file and the first tensor whose bytes changed (a flipped bit).
Files without that key (older gradsheet files, files of other tools) load unverified.
Only regular files are read: a directory, a FIFO or a device is refused before it is opened
(``gradsheet.io.files.open_regular``).
"""
from __future__ import annotations

import base64
import binascii
import collections
import hashlib
import io
import json
import math
import os
import pickle
import struct
import zipfile
import zlib
from collections.abc import Callable
from typing import IO, TYPE_CHECKING, Any, Optional, Union

import numpy as np
import safetensors.numpy
from safetensors import SafetensorError, safe_open

from .. import backend
from ..autograd.tensor import Tensor, as_tensor
from ..devices import device as _device
from .files import check_regular, open_regular, write_atomically
from .torch_format import (ZIP_MAGIC, UnholdableDtypeError, is_legacy, read_legacy, read_zip,
                           torch_file_bytes)
from .unpickler import TORCH_DTYPES, FileDamaged, Refused, TorchDtype

if TYPE_CHECKING:
    from typing_extensions import TypeIs

    from .._typing import DeviceLike, FileLike, PathLike

    # load's map_location, as torch.load's: a device, {saved: wanted} names, or a function
    MapLocation = Union[DeviceLike, dict[str, str], Callable[[Any, str], Any]]

STRUCTURE_KEY = "gradsheet.structure"
STRUCTURE_VERSION = 1
CHECKSUM_KEY = "gradsheet.sha256"


class _Encoder:
    """Nested Python values -> JSON nodes + named contiguous arrays."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self.objects: dict[int, dict[str, Any]] = {}   # id(Tensor) -> its node
        self.keep: list[Tensor] = []      # keeps the ids above valid

    def _store(self, array: np.ndarray, where: str) -> str:
        if array.dtype.kind not in "biufc" or array.dtype.name not in TORCH_DTYPES:
            raise TypeError(f"save: {where or 'the object'} is an array of dtype {array.dtype}, "
                            f"which a model file cannot hold")
        name = where or "tensor"
        while name in self.arrays:  # a key holding '.' can spell another path
            name += "'"
        stored = array if array.flags.c_contiguous else array.copy(order="C")
        if not stored.dtype.isnative:
            stored = stored.astype(stored.dtype.newbyteorder("="))
        self.arrays[name] = stored
        return name

    @staticmethod
    def _float(value: float) -> Union[float, dict[str, str]]:
        return value if math.isfinite(value) else {"float": repr(value)}

    def encode(self, value: Any, where: str) -> Any:
        """The JSON node for ``value`` (at the path ``where``), its arrays stored by name."""
        from ..nn.parameter import Parameter
        if isinstance(value, Tensor):
            if id(value) in self.objects:  # one Tensor in two places: stored once
                return self.objects[id(value)]
            node: dict[str, Any] = {"tensor": self._store(value.array, where)}
            if isinstance(value, Parameter):
                node["parameter"] = True
            if value.requires_grad:
                node["requires_grad"] = True
            self.keep.append(value)
            self.objects[id(value)] = node
            return node
        if isinstance(value, np.ndarray):
            return {"ndarray": self._store(value, where)}
        if isinstance(value, np.generic):
            return {"numpy": self._store(np.asarray(value), where)}
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, int):
            return int(value)
        if isinstance(value, float):
            return self._float(float(value))
        if isinstance(value, complex):
            return {"complex": [self._float(value.real), self._float(value.imag)]}
        if isinstance(value, (bytes, bytearray)):
            return {"bytes": base64.b64encode(bytes(value)).decode("ascii")}
        if (isinstance(value, type) and issubclass(value, np.generic) or isinstance(
                value, np.dtype)) and np.dtype(value).name in TORCH_DTYPES:
            return {"dtype": np.dtype(value).name}
        if value is backend.bfloat16 or isinstance(value, TorchDtype):
            return {"dtype": value.name}
        if isinstance(value, _device):
            return {"device": str(value)}
        prefix = f"{where}." if where else ""
        if isinstance(value, list):
            return [self.encode(v, f"{prefix}{i}") for i, v in enumerate(value)]
        if isinstance(value, tuple):
            return {"tuple": [self.encode(v, f"{prefix}{i}") for i, v in enumerate(value)]}
        if isinstance(value, (set, frozenset)):
            kind = "frozenset" if isinstance(value, frozenset) else "set"
            return {kind: [self.encode(v, f"{prefix}{i}") for i, v in enumerate(value)]}
        if isinstance(value, dict):
            kind = ("OrderedDict" if isinstance(value, collections.OrderedDict) else
                    "Counter" if isinstance(value, collections.Counter) else "dict")
            items = []
            for k, v in value.items():
                if isinstance(k, (Tensor, np.ndarray)):
                    raise TypeError(f"save: {where or 'the object'} has a tensor as a key")
                items.append([self.encode(k, f"{prefix}key"), self.encode(v, f"{prefix}{k}")])
            return {kind: items}
        hint = (f"; save its state, {type(value).__name__.lower()}.state_dict(), instead"
                if hasattr(value, "state_dict") else "")
        shown = (repr(value).splitlines() or [""])[0][:60]
        raise TypeError(f"save: cannot store {where or 'the object'} = {shown} "
                        f"({type(value).__name__}): a model file holds Tensors, arrays, numbers, "
                        f"strings, bytes, None and lists/tuples/sets/dicts of them, never code "
                        f"(no pickle){hint}")


def _float(node: Any) -> float:
    return float(node["float"]) if isinstance(node, dict) else node


class _Decoder:
    """JSON nodes + named arrays -> the values saved."""

    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        self.arrays = arrays
        self.objects: dict[str, Tensor] = {}

    def _tensor(self, node: dict[str, Any]) -> Tensor:
        key = node["tensor"]
        if key not in self.objects:
            from ..nn.parameter import Parameter
            array = self.arrays[node["tensor"]]
            requires_grad = bool(node.get("requires_grad", False))
            self.objects[key] = Parameter(array, requires_grad=requires_grad) \
                if node.get("parameter") else as_tensor(array).requires_grad_(requires_grad)
        return self.objects[key]

    def decode(self, node: Any) -> Any:
        """The value a JSON node (from ``_Encoder.encode``) stands for."""
        if isinstance(node, list):
            return [self.decode(v) for v in node]
        if not isinstance(node, dict):
            return node
        if "tensor" in node:
            return self._tensor(node)
        (kind, content), = node.items()
        if kind == "ndarray":
            return self.arrays[content]
        if kind == "numpy":
            return self.arrays[content][()]
        if kind in ("tuple", "set", "frozenset"):
            return {"tuple": tuple, "set": set, "frozenset": frozenset}[kind](
                self.decode(v) for v in content)
        if kind in ("dict", "OrderedDict", "Counter"):
            pairs = [(self.decode(k), self.decode(v)) for k, v in content]
            if kind == "Counter":  # Counter(pairs) would count the pairs
                return collections.Counter(dict(pairs))
            return collections.OrderedDict(pairs) if kind == "OrderedDict" else dict(pairs)
        if kind == "float":
            return float(content)
        if kind == "complex":
            return complex(_float(content[0]), _float(content[1]))
        if kind == "bytes":
            return base64.b64decode(content)
        if kind == "dtype":
            if content in TORCH_DTYPES:
                return TORCH_DTYPES[content]
            return backend.bfloat16 if content == "bfloat16" else TorchDtype(content)
        if kind == "device":
            return _device(content)
        raise ValueError(f"unknown node {kind!r}")


def _check_metadata(metadata: Optional[dict[str, str]]) -> dict[str, str]:
    if metadata is None:
        return {}
    if not isinstance(metadata, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise TypeError(f"save: metadata must be a dict of str to str, got {metadata!r}")
    return {k: v for k, v in metadata.items()
            if k not in (STRUCTURE_KEY, CHECKSUM_KEY)}  # rewritten by save


def _is_path(f: object) -> TypeIs[PathLike]:  # (False: f is the file object)
    return isinstance(f, (str, os.PathLike))


def _write(data: bytes, f: FileLike, who: str) -> None:
    if _is_path(f):
        write_atomically(os.fspath(f), data)
    elif hasattr(f, "write"):
        f.write(data)
    else:
        raise TypeError(f"{who}: f must be a path or a binary file object, got "
                        f"{type(f).__name__}")


def _refuse_modules(obj: object, who: str) -> None:
    if hasattr(obj, "state_dict") and not isinstance(obj, dict):
        name = type(obj).__name__
        raise TypeError(f"{who}: got a {name}, not its state: save {name.lower()}.state_dict() "
                        f"(and rebuild the {name} in code, then load_state_dict), since a file "
                        f"gradsheet writes holds data, never code")


def save(obj: object, f: FileLike, pickle_module: Any = None, pickle_protocol: int = 2,
         _use_new_zipfile_serialization: bool = True, _disable_byteorder_record: bool = False,
         *, metadata: Optional[dict[str, str]] = None) -> None:
    """Write ``obj`` (tensors in any nesting of dicts/lists/tuples) to ``f`` as safetensors.

    The tensors go into the safetensors file by the path where they sit ("fc.weight",
    "optimizer.state.0.exp_avg"); the structure around them is JSON in its metadata
    (``gradsheet.structure``, see the module's docs). Nothing is pickled: loading it back
    runs no code. A path is written atomically (a temporary file renamed over it); a binary
    file object receives the complete file in one write.

    Args:
        obj: a state dict, or any nesting of Tensors, arrays, numbers, strings, None, bools,
            lists, tuples and dicts, e.g. ``{"epoch": 3, "model": model.state_dict(),
            "optimizer": optimizer.state_dict()}``. A Module raises TypeError: save its
            ``state_dict()``.
        f: a path (conventionally ``*.safetensors``) or a binary file object.
        pickle_module, pickle_protocol, _use_new_zipfile_serialization,
        _disable_byteorder_record: torch.save's, accepted and unused (nothing is pickled).
        metadata: optional dict of str -> str stored in the header (``load_metadata`` reads it).

    The file is safetensors whatever its name: ``torch.load`` cannot read it under a ``.pt``
    name (it reads a ``.safetensors`` path as a flat dict of the tensors);
    ``gradsheet.io.to_torch_file`` writes a file for ``torch.load``.

    Example: ``gradsheet.save(model.state_dict(), "model.safetensors")``.
    """
    _refuse_modules(obj, "save")
    metadata = _check_metadata(metadata)
    encoder = _Encoder()
    structure = encoder.encode(obj, "")
    header = json.dumps({"version": STRUCTURE_VERSION, "root": structure}, allow_nan=False)
    data = safetensors.numpy.save(encoder.arrays, metadata={
        **metadata, STRUCTURE_KEY: header, CHECKSUM_KEY: json.dumps(_checksums(encoder.arrays))})
    _write(data, f, "save")


def _tensor_digest(name: str, array: np.ndarray) -> str:
    """SHA-256 of one tensor: its name, dtype, shape and little-endian bytes."""
    h = hashlib.sha256(f"{name}\0{array.dtype.str}\0{list(array.shape)}\0".encode())
    # numpy's stubs give ndarray the buffer protocol (__buffer__) on Python >= 3.12 only
    h.update(np.ascontiguousarray(array).reshape(-1).view(np.uint8))  # type: ignore[arg-type]
    return h.hexdigest()


def _checksums(arrays: dict[str, np.ndarray]) -> dict[str, str]:
    return {name: _tensor_digest(name, array) for name, array in arrays.items()}


def _verify(arrays: dict[str, np.ndarray], metadata: dict[str, str], where: str) -> None:
    """Check the tensors against the SHA-256 digests ``save`` stored (if it stored them)."""
    stored = metadata.get(CHECKSUM_KEY)
    if stored is None:
        return
    try:
        digests = json.loads(stored)
        if not isinstance(digests, dict):
            raise ValueError("not a JSON object")
    except (ValueError, RecursionError) as err:
        raise _damaged(where, f"its {CHECKSUM_KEY} metadata is unreadable: {err}") from None
    missing = sorted(set(arrays) - set(digests))
    if missing:
        raise _damaged(where, f"tensor {missing[0]!r} has no checksum in its {CHECKSUM_KEY} "
                              f"metadata")
    for name, array in arrays.items():
        if _tensor_digest(name, array) != digests[name]:
            raise _damaged(where, f"tensor {name!r} fails its SHA-256 check: its bytes, dtype "
                                  f"or shape changed since it was saved")


def save_arrays(arrays: dict[str, np.ndarray], path: FileLike,
                metadata: Optional[dict[str, str]] = None) -> None:
    """Write a flat dict of str -> ndarray to ``path`` as plain safetensors, atomically: the
    metadata is exactly ``metadata`` (no structure), as checkpoints store it."""
    arrays = {name: a if a.flags.c_contiguous else a.copy(order="C") for name, a in arrays.items()}
    _write(safetensors.numpy.save(arrays, metadata=_check_metadata(metadata) or None), path,
           "save")


def to_torch_file(obj: object, f: FileLike) -> None:
    """Write ``obj`` (a state dict, or tensors in dicts/lists/tuples) as ``torch.save`` does.

    The file is PyTorch's zip format, written without torch: ``<name>/data.pkl`` (pickle
    protocol 2 rebuilding each tensor with ``torch._utils._rebuild_tensor_v2`` from a storage
    named by a persistent id) and ``<name>/data/<key>`` (each storage's little-endian bytes),
    in torch.save's zip layout, so ``torch.load(f, weights_only=True)`` reads it and
    ``gradsheet.load`` reads it back. Tensors viewing one array share one storage, as in
    PyTorch; Parameters stay Parameters; NumPy arrays and scalars become tensors. Written
    atomically to a path (the archive is named after the file, as torch names it); a binary
    file object receives it in one write.

    Example: ``gradsheet.io.to_torch_file(model.state_dict(), "model.pt")``, then in PyTorch
    ``torch_model.load_state_dict(torch.load("model.pt", weights_only=True))``.
    """
    _refuse_modules(obj, "to_torch_file")
    if _is_path(f):
        name = os.path.splitext(os.path.basename(os.fspath(f)))[0] or "archive"
    else:
        name = "archive"
    _write(torch_file_bytes(obj, name, _where(f)), f, "to_torch_file")


def _where(f: object) -> str:
    return os.fspath(f) if _is_path(f) else str(getattr(f, "name", None) or f"a {type(f).__name__}")


def _damaged(where: str, why: object) -> ValueError:
    return ValueError(f"load: {where} is damaged or truncated ({why}); nothing was loaded")


def _from_safetensors(where: str, data: Optional[bytes], path: Optional[str]
                      ) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """(tensors by name in file order, metadata) of a safetensors file (its bytes or path)."""
    try:
        if data is None:
            with safe_open(path, framework="np") as f:
                # safe_open has keys() but is not iterable
                return {name: f.get_tensor(name) for name in f.keys()}, f.metadata() or {}  # noqa: SIM118
        arrays = safetensors.numpy.load(data)
        (size,) = struct.unpack("<Q", data[:8])
        return arrays, json.loads(data[8:8 + size]).get("__metadata__") or {}
    except (SafetensorError, struct.error, ValueError, UnicodeDecodeError) as err:
        raise ValueError(f"load: {where} is not a valid safetensors file, nor a torch.save file "
                         f"({err})") from None


def _structured(arrays: dict[str, np.ndarray], metadata: dict[str, str], where: str) -> Any:
    header = metadata.get(STRUCTURE_KEY)
    if header is None:  # a plain safetensors file (safetensors.torch.save_file, older gradsheet)
        return collections.OrderedDict((name, as_tensor(a)) for name, a in arrays.items())
    try:
        header = json.loads(header)
        if header.get("version") != STRUCTURE_VERSION:
            raise ValueError(f"structure version {header.get('version')!r}, this gradsheet "
                             f"reads version {STRUCTURE_VERSION}")
        return _Decoder(arrays).decode(header["root"])
    except RecursionError:
        raise _damaged(where, f"its {STRUCTURE_KEY} metadata is nested too deeply") from None
    except (ValueError, KeyError, TypeError, AttributeError, RuntimeError, IndexError,
            OverflowError, binascii.Error) as err:
        raise _damaged(where, f"its {STRUCTURE_KEY} metadata is unreadable: {err}") from None


_PICKLE_LOAD_ARGS = ("encoding", "errors", "fix_imports")


def load(f: FileLike, map_location: Optional[MapLocation] = None, pickle_module: Any = None, *,
         weights_only: Optional[bool] = None, mmap: Optional[bool] = None,
         **pickle_load_args: Any) -> Any:
    """The object saved in ``f``: by ``gradsheet.save`` (safetensors) or ``torch.save`` (.pt).

    Reads, by their first bytes (whatever the file's name):

    - the files ``gradsheet.save`` writes, giving back the structure saved (tuples, int keys,
      OrderedDicts, Parameters), and any other safetensors file, as an OrderedDict of its
      tensors by name;
    - PyTorch's ``torch.save`` files, the zip format and the legacy one
      (``_use_new_zipfile_serialization=False``), without importing torch and without running
      anything in them: their pickles go through a restricted unpickler that rebuilds only
      tensors (strided views of their storages, shared as saved), Parameters, OrderedDicts
      and plain containers and numbers, and refuses any other global with a
      ``pickle.UnpicklingError`` naming it (``module.qualname``), as
      ``torch.load(weights_only=True)`` does.

    Args:
        f: a path or a binary file object (readable, seekable).
        map_location: torch.load's; gradsheet holds everything on the CPU: "cpu", a device,
            a dict or a callable are accepted, and a non-CPU device raises RuntimeError.
        pickle_module: torch.load's; never used. As in torch, giving it with
            ``weights_only=True`` raises RuntimeError.
        weights_only: torch.load's; None (the default), True and False all load safely:
            gradsheet never unpickles arbitrary objects (a whole pickled nn.Module is refused).
        mmap: map the storages of a torch zip file instead of reading them (copy-on-write:
            writing to a tensor never changes the file); needs a path.
        **pickle_load_args: ``encoding`` (as torch, "utf-8" by default; "latin1" for Python 2
            pickles), ``errors``, ``fix_imports``.

    Raises:
        ValueError naming the file when it is truncated, corrupt or of no format gradsheet
        reads; TypeError when a tensor's dtype has no NumPy type (bfloat16, float8):
        convert it in PyTorch first; pickle.UnpicklingError for a refused global;
        FileNotFoundError.

    Example: ``model.load_state_dict(gradsheet.load("resnet18.pth"))``.
    """
    if weights_only and pickle_module is not None:
        raise RuntimeError("load: Can not safely load weights when explicit pickle_module is "
                           "specified")
    unknown = sorted(set(pickle_load_args) - set(_PICKLE_LOAD_ARGS))
    if unknown:
        raise TypeError(f"load: unexpected keyword argument {unknown[0]!r}")
    pickle_load_args.setdefault("encoding", "utf-8")
    _check_map_location(map_location)
    if mmap and not _is_path(f):
        raise ValueError("load: f must be a file path in order to use the mmap argument")
    where = _where(f)
    if _is_path(f):
        with open_regular(f, "load", "model file") as file:
            return _load(file, where, os.fspath(f), pickle_load_args, mmap)
    if not hasattr(f, "read"):
        raise TypeError(f"load: f must be a path or a binary file object, got {type(f).__name__}")
    return _load(f, where, None, pickle_load_args, mmap)


def _check_map_location(map_location: Any) -> None:
    from ..devices import check
    if map_location is None or isinstance(map_location, dict) or callable(map_location):
        return
    if hasattr(map_location, "type") and not isinstance(map_location, _device):
        map_location = str(map_location)  # a torch.device
    check(map_location, "load")


def _load(file: IO[bytes], where: str, path: Optional[str], pickle_load_args: dict[str, Any],
          mmap: Optional[bool]) -> Any:
    start = file.tell()
    head = file.read(64)
    file.seek(start)
    try:
        if head.startswith((ZIP_MAGIC, b"PK\x05\x06")):  # a zip (an empty one: its end record)
            return read_zip(file, where, pickle_load_args, path if mmap else None)
        if is_legacy(head):
            if mmap:
                raise RuntimeError(f"load: mmap can only be used with files saved with "
                                   f"`torch.save({where}, _use_new_zipfile_serialization=True)`")
            end = file.seek(0, io.SEEK_END)
            file.seek(start)
            return read_legacy(file, end - start, where, pickle_load_args)
    except FileDamaged as err:
        raise _damaged(where, err) from None
    except Refused as err:  # a global, a pickled module, a change to a rebuilt object
        if str(err).startswith(f"load: {where}"):
            raise
        raise Refused(f"load: {where}: {err}") from None
    except pickle.UnpicklingError as err:
        raise _damaged(where, f"its pickle is corrupt: {err}") from None
    except (TypeError, ValueError) as err:
        if isinstance(err, UnholdableDtypeError) or str(err).startswith(f"load: {where}"):
            raise
        raise _damaged(where, f"{type(err).__name__}: {err}") from None
    except (EOFError, zipfile.BadZipFile, struct.error, OverflowError, MemoryError,
            AttributeError, IndexError, KeyError, RecursionError, NotImplementedError,
            LookupError, zlib.error, OSError) as err:  # zip flags, compressions, bad seeks
        raise _damaged(where, f"{type(err).__name__}: {err}") from None
    arrays, metadata = _from_safetensors(where, None if path else file.read(), path)
    _verify(arrays, metadata, where)
    return _structured(arrays, metadata, where)


def load_metadata(path: PathLike) -> dict[str, str]:
    """The metadata dict (str -> str) that ``save(..., metadata=...)`` stored in ``path``."""
    path = os.fspath(path)
    check_regular(path, "load_metadata", "model file")
    try:
        with safe_open(path, framework="np") as f:
            metadata = dict(f.metadata() or {})
    except SafetensorError as err:
        raise ValueError(f"load: {path} is not a valid safetensors file ({err})") from None
    metadata.pop(STRUCTURE_KEY, None)
    metadata.pop(CHECKSUM_KEY, None)
    return metadata
