"""PyTorch's own files (``torch.save``'s ``.pt`` / ``.pth``), read and written without torch.

Reading (``read_zip``, ``read_legacy``; ``gradsheet.load`` picks the format from the file's
first bytes) never imports torch and never runs anything from the file: the pickles go through
``SafeUnpickler``, which rebuilds tensors, OrderedDicts and plain data and refuses every other
global, naming it.

- The zip format (torch >= 1.6, the default): ``<name>/data.pkl``, the pickled object, whose
  tensors refer to storages by persistent ids ``('storage', torch.FloatStorage, key, location,
  numel)``; ``<name>/data/<key>``, each storage's raw bytes; ``<name>/byteorder`` ("little" or
  "big"; little when absent), ``<name>/version`` and others.
- The legacy format (``_use_new_zipfile_serialization=False``): five pickles in a row (the
  magic number, the protocol version 1001, a dict of system information, the object, the list
  of storage keys), then each storage as an int64 element count and its raw little-endian bytes.

Tensors are rebuilt as PyTorch rebuilds them: views of their storage with its offset, size and
strides (in elements), so two tensors saved viewing one storage share memory when loaded, as
in PyTorch; a view whose elements overlap (an expanded tensor, a stride 0) is read-only.

Writing (``to_torch_file``) produces exactly what ``torch.save`` writes for the same tensors:
the same pickle (protocol 2, ``torch._utils._rebuild_tensor_v2``, persistent ids for the
storages, strided views of shared storages) in the same zip layout (stored records, 64-byte
aligned, data descriptors, zip64 end records), which ``torch.load(path, weights_only=True)``
reads.
"""
from __future__ import annotations

import codecs
import collections
import hashlib
import io
import pickle
import pickletools
import struct
import sys
import zipfile
import zlib
from collections.abc import Iterable
from typing import IO, TYPE_CHECKING, Any, Callable, Optional, Union

import numpy as np

from ..autograd.tensor import Tensor
from .unpickler import (ITEMSIZE, TORCH_DTYPES, FileDamaged, SafeUnpickler, Storage,
                        Unholdable)

if TYPE_CHECKING:
    from .unpickler import StorageType

ZIP_MAGIC = b"PK\x03\x04"
LEGACY_MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
LEGACY_PROTOCOL_VERSION = 1001


# ---------------------------------------------------------------------------------- reading
def is_legacy(head: bytes) -> bool:
    """Whether ``head`` (a file's first bytes) starts with the legacy format's magic pickle;
    decided from its opcodes alone (nothing is unpickled)."""
    if not head.startswith(b"\x80"):
        return False
    values = []
    try:
        for opcode, arg, _ in pickletools.genops(io.BytesIO(head)):
            if opcode.name == "STOP":
                break
            if opcode.name not in ("PROTO", "FRAME", "LONG1", "LONG", "INT", "BINPUT", "MEMOIZE"):
                return False
            if opcode.name in ("LONG1", "LONG", "INT"):
                values.append(arg)
        else:
            return False
    except (ValueError, EOFError):
        return False
    return values == [LEGACY_MAGIC_NUMBER]


def _unpickle(data: IO[bytes], load_storage: Callable[..., Storage], where: str,
              pickle_load_args: dict[str, Any]) -> Any:
    unpickler = SafeUnpickler(data, load_storage, f"load: {where}", **pickle_load_args)
    result = unpickler.load()
    unpickler.check_tensors()
    if unpickler.unholdable:
        _raise_unholdable(result, f"load: {where}")
    return result


class UnholdableDtypeError(TypeError):
    """A tensor in the file has a dtype NumPy has no type for (bfloat16, float8, ...)."""


def _raise_unholdable(obj: Any, where: str) -> None:
    path = _find(obj, lambda x: isinstance(x, Unholdable))
    found = path[1] if path else None
    name = "a tensor" if path is None else f"the tensor at {path[0] or 'the top level'}"
    what = f"{found.dtype_name} (shape {list(found.shape)})" if found else "of a dtype NumPy lacks"
    dtype = found.dtype_name if found else "bfloat16"
    raise UnholdableDtypeError(f"{where}: {name} is {what}, which NumPy has no dtype for, so gradsheet "
                    f"cannot hold it; convert it in PyTorch first, e.g. "
                    f"{{k: v.float() if v.dtype == torch.{dtype} else v for k, v in "
                    f"state_dict.items()}}, and save that")


def _find(obj: Any, test: Callable[[Any], bool], where: str = "",
          seen: Optional[set[int]] = None) -> Optional[tuple[str, Any]]:
    """(path, item) of the first item in nested containers for which ``test`` holds."""
    seen = set() if seen is None else seen
    if test(obj):
        return where, obj
    if id(obj) in seen:
        return None
    seen.add(id(obj))
    items: Iterable[tuple[Any, Any]]
    if isinstance(obj, dict):
        items = obj.items()
    elif isinstance(obj, (list, tuple, set, frozenset)):
        items = enumerate(obj)
    else:
        return None
    for key, value in items:
        found = _find(value, test, f"{where}[{key!r}]", seen)
        if found:
            return found
    return None


def _read_exactly(stream: IO[bytes], nbytes: int, what: str) -> np.ndarray:
    buffer = np.empty(nbytes, np.uint8)
    view, done = memoryview(buffer.data), 0
    while done < nbytes:
        n = stream.readinto(view[done:])  # type: ignore[attr-defined]  # (IO omits readinto)
        if not n:
            raise FileDamaged(f"{what} ends after {done} of its {nbytes} bytes")
        done += n
    return buffer


def _as_dtype(raw: np.ndarray, dtype_name: str, byteorder: str) -> Optional[np.ndarray]:
    """The bytes ``raw`` (uint8) as elements of ``dtype_name`` in native byte order."""
    if dtype_name not in TORCH_DTYPES:
        return None
    dtype = np.dtype(TORCH_DTYPES[dtype_name])
    if byteorder == sys.byteorder or dtype.itemsize == 1:
        return raw.view(dtype)
    return raw.view(dtype.newbyteorder()).astype(dtype)


def read_zip(file: IO[bytes], where: str, pickle_load_args: dict[str, Any],
             mmap_path: Optional[str] = None) -> Any:
    """The object in a torch.save zip archive (``file``: a binary file object)."""
    try:
        archive = zipfile.ZipFile(file)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError) as err:
        raise FileDamaged(f"not a readable zip archive ({err})") from None
    names = archive.namelist()
    if not names:
        raise FileDamaged("an empty zip archive")
    prefix = names[0].split("/", 1)[0] + "/"
    records = set(names)
    if prefix + "constants.pkl" in records:
        raise ValueError(f"load: {where} is a TorchScript archive (torch.jit.save), which holds code; "
                         f"gradsheet reads torch.save files (save the model's state_dict())")
    if prefix + "data.pkl" not in records:
        raise FileDamaged(f"the zip archive has no {prefix}data.pkl: not a torch.save file")
    byteorder = "little"
    if prefix + "byteorder" in records:
        byteorder = archive.read(prefix + "byteorder").decode("ascii", "replace")
        if byteorder not in ("little", "big"):
            raise FileDamaged(f"its byteorder record is {byteorder!r}")
    whole = None
    if mmap_path is not None:
        whole = np.memmap(mmap_path, dtype=np.uint8, mode="c")
    storages: dict[str, Storage] = {}

    def load_storage(storage_type: StorageType, key: str, location: Any, numel: int,
                     view: Any) -> Storage:
        if key in storages:
            return storages[key]
        dtype_name = storage_type.dtype_name
        nbytes = numel * ITEMSIZE[dtype_name]
        name = f"{prefix}data/{key}"
        try:
            info = archive.getinfo(name)
        except KeyError:
            raise FileDamaged(f"the archive has no record {name} for {storage_type!r} {key!r}") \
                from None
        if info.file_size != nbytes:
            raise FileDamaged(f"record {name} holds {info.file_size} bytes, its storage "
                              f"({numel} {dtype_name} elements) {nbytes}")
        if dtype_name not in TORCH_DTYPES:
            array = None
        else:
            if whole is not None and info.compress_type == zipfile.ZIP_STORED and nbytes:
                header = bytes(whole[info.header_offset:info.header_offset + 30])
                if header[:4] != ZIP_MAGIC:
                    raise FileDamaged(f"record {name} has no local header")
                start = info.header_offset + 30 + sum(struct.unpack("<HH", header[26:30]))
                raw = whole[start:start + nbytes]
            else:
                with archive.open(info) as stream:
                    raw = _read_exactly(stream, nbytes, f"record {name}")
            array = _as_dtype(raw, dtype_name, byteorder)
        storages[key] = Storage(array, dtype_name, key)
        return storages[key]

    with archive:
        data = archive.read(prefix + "data.pkl")
        return _unpickle(io.BytesIO(data), load_storage, where, pickle_load_args)


def read_legacy(file: IO[bytes], size: int, where: str, pickle_load_args: dict[str, Any]) -> Any:
    """The object in a legacy-format torch.save file (``file``: a binary file object at 0)."""
    def no_storage(*pid: Any) -> Storage:
        raise FileDamaged("a persistent id outside the object's pickle")

    def header(what: str, check: Callable[[Any], bool]) -> None:
        value = _unpickle(file, no_storage, where, pickle_load_args)
        if not check(value):
            raise FileDamaged(f"its {what} is {value!r}")

    header("magic number", lambda v: v == LEGACY_MAGIC_NUMBER)
    header("protocol version", lambda v: v == LEGACY_PROTOCOL_VERSION)
    header("system information", lambda v: isinstance(v, dict))
    roots: dict[str, Storage] = {}

    def load_storage(storage_type: StorageType, key: str, location: Any, numel: int,
                     view: Any) -> Storage:
        if key not in roots:
            dtype_name = storage_type.dtype_name
            if numel < 0 or numel * ITEMSIZE[dtype_name] > size:
                raise FileDamaged(f"storage {key!r} claims {numel} elements, more than the file "
                                  f"holds")
            array = np.empty(numel, TORCH_DTYPES[dtype_name]) if dtype_name in TORCH_DTYPES \
                else None
            roots[key] = Storage(array, dtype_name, key)
        root = roots[key]
        if view is None:
            return root
        if not (isinstance(view, tuple) and len(view) == 3):
            raise FileDamaged(f"a storage view {view!r}")
        view_key, offset, view_size = view
        array = None if root.array is None else root.array[offset:offset + view_size]
        return Storage(array, root.dtype_name, view_key)

    result = _unpickle(file, load_storage, where, pickle_load_args)
    keys = _unpickle(file, no_storage, where, pickle_load_args)
    if not isinstance(keys, list) or set(keys) != set(roots):
        raise FileDamaged(f"its storage keys {keys!r} differ from the storages its object uses")
    for key in keys:
        storage = roots[key]
        count = file.read(8)
        if len(count) < 8:
            raise FileDamaged(f"it ends before storage {key!r}")
        (numel,) = struct.unpack("<q", count)
        nbytes = numel * ITEMSIZE[storage.dtype_name]
        expected = None if storage.array is None else storage.array.size
        if expected is not None and numel != expected:
            raise FileDamaged(f"storage {key!r} has {numel} elements, its tensors {expected}")
        if storage.array is None:
            file.seek(nbytes, 1)
        else:
            raw = _read_exactly(file, nbytes, f"storage {key!r}")
            storage.array[...] = _as_dtype(raw, storage.dtype_name, "little")
    return result


# ---------------------------------------------------------------------------------- writing
class _Global:
    """A name pickled as GLOBAL 'module name' without importing the module."""

    _cache: dict[tuple[str, str], _Global] = {}
    module: str
    name: str

    def __new__(cls, module: str, name: str) -> _Global:
        key = (module, name)
        if key not in cls._cache:
            obj = super().__new__(cls)
            obj.module, obj.name = module, name
            cls._cache[key] = obj
        return cls._cache[key]

    def __call__(self, *args: Any) -> Any:  # pickle wants reduce functions callable; never called
        raise TypeError(f"{self.module}.{self.name} is only a name to pickle")


# NumPy dtype -> torch's storage class for _rebuild_tensor_v2 (others: UntypedStorage + v3)
_STORAGE_CLASSES = {
    np.dtype(np.float64): "DoubleStorage", np.dtype(np.float32): "FloatStorage",
    np.dtype(np.float16): "HalfStorage", np.dtype(np.int64): "LongStorage",
    np.dtype(np.int32): "IntStorage", np.dtype(np.int16): "ShortStorage",
    np.dtype(np.int8): "CharStorage", np.dtype(np.uint8): "ByteStorage",
    np.dtype(np.bool_): "BoolStorage", np.dtype(np.complex64): "ComplexFloatStorage",
    np.dtype(np.complex128): "ComplexDoubleStorage",
}
_V3_DTYPES = {np.dtype(np.uint16): "uint16", np.dtype(np.uint32): "uint32",
              np.dtype(np.uint64): "uint64"}


# what pickle itself writes as globals for the plain data torch.load(weights_only=True) reads
_PICKLED_GLOBALS = (collections.OrderedDict, collections.Counter, complex, set, frozenset,
                    codecs.encode)


class _StorageRef:
    """One storage to write: its flat little-endian array and its key."""

    def __init__(self, array: np.ndarray, key: str) -> None:
        self.array, self.key = array, key


class _TensorRef:
    """A tensor to pickle: a view (offset, size, stride in elements) of a storage."""

    def __init__(self, storage: _StorageRef, offset: int, size: tuple[int, ...],
                 stride: tuple[int, ...], requires_grad: bool) -> None:
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride
        self.requires_grad = requires_grad


def _address(array: np.ndarray) -> int:
    return array.__array_interface__["data"][0]


def _contiguous_strides(shape: tuple[int, ...]) -> tuple[int, ...]:
    strides: list[int] = []
    step = 1
    for n in reversed(shape):
        strides.append(step)
        step *= max(n, 1)
    return tuple(reversed(strides))


class _TorchPickler(pickle._Pickler):
    """Pickles nested containers of Tensors/arrays as torch.save does (protocol 2)."""

    if TYPE_CHECKING:  # pickle._Pickler's own, undocumented (typeshed declares neither)
        write: Callable[[bytes], Any]
        memoize: Callable[[Any], None]

    def __init__(self, file: IO[bytes], where: str) -> None:
        super().__init__(file, protocol=2)
        self.where = where
        # id(root array) -> _StorageRef, in the order keys were given
        self.storages: dict[int, _StorageRef] = {}
        self.keep: list[Any] = []  # objects whose ids the pickle's memo and self.storages rely on
        self.tensors: dict[int, _TensorRef] = {}  # id(Tensor or ndarray) -> _TensorRef

    def _storage(self, root: np.ndarray) -> _StorageRef:
        if id(root) not in self.storages:
            self.keep.append(root)
            self.storages[id(root)] = _StorageRef(root.reshape(-1), str(len(self.storages)))
        return self.storages[id(root)]

    def _tensor_ref(self, array: np.ndarray, requires_grad: bool) -> _TensorRef:
        dtype = array.dtype
        if dtype.newbyteorder("=") not in _STORAGE_CLASSES and \
                dtype.newbyteorder("=") not in _V3_DTYPES:
            raise TypeError(f"to_torch_file: {self.where}: cannot write a {dtype} array as a "
                            f"torch tensor")
        root = array
        while isinstance(root.base, np.ndarray):
            root = root.base
        itemsize = dtype.itemsize
        start = _address(array) - _address(root)
        if (array.size and root.dtype == dtype and dtype.isnative and sys.byteorder == "little"
                and root.flags.c_contiguous and start % itemsize == 0
                and all(s >= 0 and s % itemsize == 0 for s in array.strides)):
            storage = self._storage(root)
            stride = tuple(s // itemsize for s in array.strides)
            # NumPy's strides of size-1 dimensions are arbitrary; torch's are the contiguous ones
            contiguous = _contiguous_strides(array.shape)
            stride = tuple(c if n == 1 else s for n, s, c in zip(array.shape, stride, contiguous))
            return _TensorRef(storage, start // itemsize, array.shape, stride, requires_grad)
        copy = np.ascontiguousarray(array).astype(dtype.newbyteorder("<"), copy=False)
        self.keep.append(copy)
        storage = self._storage(copy if copy.base is None else copy.copy())
        return _TensorRef(storage, 0, array.shape, _contiguous_strides(array.shape),
                          requires_grad)

    def persistent_id(self, obj: Any) -> Optional[tuple[Any, ...]]:
        if isinstance(obj, _StorageRef):
            dtype = obj.array.dtype.newbyteorder("=")
            if dtype in _STORAGE_CLASSES:
                return ("storage", _Global("torch", _STORAGE_CLASSES[dtype]), obj.key, "cpu",
                        obj.array.size)
            return ("storage", _Global("torch.storage", "UntypedStorage"), obj.key, "cpu",
                    obj.array.nbytes)
        return None

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, _Global):
            return obj.name
        if isinstance(obj, _TensorRef):
            dtype = obj.storage.array.dtype.newbyteorder("=")
            args: tuple[Any, ...] = (obj.storage, obj.offset, tuple(obj.size), obj.stride, obj.requires_grad,
                    collections.OrderedDict())
            if dtype in _V3_DTYPES:
                return (_Global("torch._utils", "_rebuild_tensor_v3"),
                        args + (_Global("torch", _V3_DTYPES[dtype]),))
            return _Global("torch._utils", "_rebuild_tensor_v2"), args
        if isinstance(obj, (Tensor, np.ndarray)):
            from ..nn.parameter import Parameter
            array = obj.array if isinstance(obj, Tensor) else obj
            requires_grad = isinstance(obj, Tensor) and bool(obj.requires_grad)
            if isinstance(obj, Parameter):
                data = self._tensor_ref(array, False)
                self.keep.append(data)
                return (_Global("torch._utils", "_rebuild_parameter"),
                        (data, requires_grad, collections.OrderedDict()))
            return self.reducer_override(self._keep(self._tensor_ref(array, requires_grad)))
        if isinstance(obj, np.generic):
            return self.reducer_override(np.asarray(obj))
        if any(obj is allowed for allowed in _PICKLED_GLOBALS):
            return NotImplemented
        if isinstance(obj, (type(None), bool, int, float, complex, str, bytes, list, tuple, dict,
                            set, frozenset)):
            if isinstance(obj, dict) and type(obj) not in (dict, collections.OrderedDict):
                return NotImplemented if isinstance(obj, collections.Counter) else \
                    self.reducer_override(dict(obj))
            return NotImplemented
        hint = "; save its state_dict()" if hasattr(obj, "state_dict") else ""
        raise TypeError(f"to_torch_file: {self.where}: cannot write a {type(obj).__name__} "
                        f"({obj!r:.60}): a torch file written by gradsheet holds tensors, "
                        f"arrays, numbers, strings, None and lists/tuples/dicts of them{hint}")

    def _keep(self, obj: Any) -> Any:
        self.keep.append(obj)
        return obj

    def save_global(self, obj: Any, name: Optional[str] = None) -> None:
        if isinstance(obj, _Global):
            self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode("utf-8"))
            self.memoize(obj)
            return
        super().save_global(obj, name)  # type: ignore[misc]  # (typeshed omits _Pickler's)


class _ZipWriter:
    """Writes a zip archive laid out as PyTorch's (miniz) writer lays it out."""

    ALIGNMENT = 64
    MAX32 = 0xFFFFFFFF

    def __init__(self) -> None:
        self.out = io.BytesIO()
        self.entries: list[tuple[bytes, int, int, int]] = []

    def add(self, name: str, data: Union[bytes, np.ndarray]) -> None:
        view = (data.data if isinstance(data, np.ndarray) else memoryview(data)).cast("B")
        encoded = name.encode("utf-8")
        offset, size = self.out.tell(), view.nbytes
        zip64 = b""
        if size >= self.MAX32:
            zip64 += struct.pack("<QQ", size, size)
        if offset >= self.MAX32:
            zip64 += struct.pack("<Q", offset)
        if zip64:
            zip64 = struct.pack("<HH", 1, len(zip64)) + zip64
        start = offset + 30 + len(encoded) + len(zip64) + 4
        padding = -start % self.ALIGNMENT
        extra = zip64 + b"FB" + struct.pack("<H", padding) + b"Z" * padding
        crc = zlib.crc32(view)
        flags = 0x0808 if size else 0x0800  # bit 3: a data descriptor follows; bit 11: UTF-8
        self.out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 0, flags, 0, 0, 0, 0, 0, 0,
                                   len(encoded), len(extra)))
        self.out.write(encoded + extra)
        self.out.write(view)
        if not size:
            pass
        elif offset >= self.MAX32 or size >= self.MAX32:
            self.out.write(struct.pack("<IIQQ", 0x08074B50, crc, size, size))
        else:
            self.out.write(struct.pack("<IIII", 0x08074B50, crc, size, size))
        self.entries.append((encoded, offset, size, crc))

    def finish(self) -> bytes:
        cd_offset = self.out.tell()
        for name, offset, size, crc in self.entries:
            zip64 = b""
            if size >= self.MAX32:
                zip64 += struct.pack("<QQ", size, size)
            if offset >= self.MAX32:
                zip64 += struct.pack("<Q", offset)
            if zip64:
                zip64 = struct.pack("<HH", 1, len(zip64)) + zip64
            small = min(size, self.MAX32)
            self.out.write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 0, 0,
                                       0x0808 if size else 0x0800, 0, 0, 0,
                                       crc, small, small, len(name), len(zip64), 0, 0, 0, 0,
                                       min(offset, self.MAX32)))
            self.out.write(name + zip64)
        cd_size = self.out.tell() - cd_offset
        n = len(self.entries)
        eocd64 = self.out.tell()
        self.out.write(struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 0x031E, 45, 0, 0, n, n,
                                   cd_size, cd_offset))
        self.out.write(struct.pack("<IIQI", 0x07064B50, 0, eocd64, 1))
        self.out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, min(n, 0xFFFF),
                                   min(n, 0xFFFF), min(cd_size, self.MAX32),
                                   min(cd_offset, self.MAX32), 0))
        return self.out.getvalue()


def torch_file_bytes(obj: Any, archive_name: str, where: str) -> bytes:
    """The bytes torch.save would write for ``obj`` into a file named ``archive_name``.pt."""
    pickled = io.BytesIO()
    pickler = _TorchPickler(pickled, where)
    pickler.dump(obj)
    data_pkl = pickled.getvalue()
    writer = _ZipWriter()
    prefix = archive_name + "/"
    writer.add(prefix + "data.pkl", data_pkl)
    writer.add(prefix + ".format_version", b"1")
    writer.add(prefix + ".storage_alignment", b"64")
    writer.add(prefix + "byteorder", b"little")
    digest = hashlib.sha256(data_pkl)
    for storage in pickler.storages.values():
        array = np.ascontiguousarray(storage.array)
        writer.add(f"{prefix}data/{storage.key}", array.view(np.uint8) if array.size else b"")
        digest.update(array.view(np.uint8).data if array.size else b"")
    writer.add(prefix + "version", b"3\n")
    serialization_id = str(int(digest.hexdigest(), 16))[:40].rjust(40, "0")
    writer.add(prefix + ".data/serialization_id", serialization_id.encode("ascii"))
    return writer.finish()
