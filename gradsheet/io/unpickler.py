"""A pickle reader that can never run code: it rebuilds PyTorch's tensors and nothing else.

A pickle is a program: its GLOBAL opcodes name any importable function and REDUCE calls it,
so ``pickle.load`` of a crafted file can run ``os.system``. ``SafeUnpickler`` is a
``pickle.Unpickler`` whose ``find_class`` imports nothing: it answers only the names that
``torch.save`` writes for tensors and plain data, each with gradsheet's own stand-in, and
refuses every other global with an ``UnpicklingError`` naming it (``module.qualname``), as
``torch.load(weights_only=True)`` does. Allowed:

- tensors: ``torch._utils._rebuild_tensor_v2`` / ``_v3`` / ``_rebuild_tensor``,
  ``_rebuild_parameter`` / ``_rebuild_parameter_with_state``, ``torch._tensor._rebuild_from_type_v2``
  (for Parameter and Tensor), and the storage types (``torch.FloatStorage``, ...,
  ``torch.storage.UntypedStorage``), whose data ``persistent_load`` hands to the file's reader;
- ``collections.OrderedDict`` and ``Counter``, ``torch.Size`` (a tuple), ``torch.device``
  (``gradsheet.device``), the dtypes (``torch.float32`` -> ``numpy.float32``), and
  ``builtins.set`` / ``frozenset`` / ``complex`` / ``bytearray``, ``_codecs.encode`` (bytes);
- everything pickle builds without a global: numbers, strings, bytes, None, bools, lists,
  tuples, dicts.

The callables handed back are immutable wrappers, so a pickle's BUILD opcode cannot set
attributes on them (or on gradsheet's classes), and each tensor is checked after loading to be
exactly what its rebuild made.
"""
from __future__ import annotations

import collections
import pickle
from typing import IO, Any, Callable, NoReturn, Optional, Union

import numpy as np

from .. import backend
from ..autograd.tensor import Tensor

# torch's storage classes -> (torch dtype name, NumPy dtype or None when NumPy has none)
STORAGE_DTYPES = {
    "DoubleStorage": "float64", "FloatStorage": "float32", "HalfStorage": "float16",
    "BFloat16Storage": "bfloat16", "LongStorage": "int64", "IntStorage": "int32",
    "ShortStorage": "int16", "CharStorage": "int8", "ByteStorage": "uint8",
    "BoolStorage": "bool", "ComplexFloatStorage": "complex64",
    "ComplexDoubleStorage": "complex128", "QInt8Storage": "qint8", "QUInt8Storage": "quint8",
    "QInt32Storage": "qint32", "QUInt4x2Storage": "quint4x2", "QUInt2x4Storage": "quint2x4",
    "UntypedStorage": "uint8",
}

# torch dtype names (as pickled: GLOBAL 'torch float32') -> NumPy dtype, or None
TORCH_DTYPES: dict[str, type[np.generic]] = {
    "float64": np.float64, "float32": np.float32, "float16": np.float16, "int64": np.int64,
    "int32": np.int32, "int16": np.int16, "int8": np.int8, "uint8": np.uint8, "bool": np.bool_,
    "complex64": np.complex64, "complex128": np.complex128, "uint16": np.uint16,
    "uint32": np.uint32, "uint64": np.uint64,
}
_UNHOLDABLE = ("bfloat16", "complex32", "float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz",
               "float8_e5m2fnuz", "float8_e8m0fnu", "float4_e2m1fn_x2", "qint8", "quint8",
               "qint32", "quint4x2", "quint2x4", "bits1x8", "bits2x4", "bits4x2", "bits8",
               "bits16", *(f"uint{n}" for n in range(1, 8)), *(f"int{n}" for n in range(1, 8)))

# the legacy format's storage sizes are in elements of these
ITEMSIZE = {name: 1 if name in ("quint4x2", "quint2x4") else 4 if name == "qint32" else
            np.dtype(TORCH_DTYPES.get(name, np.uint8)).itemsize if name != "bfloat16" else 2
            for name in set(STORAGE_DTYPES.values())}


class Refused(pickle.UnpicklingError):
    """The pickle asks for something gradsheet never does (a global, a pickled module, ...)."""


class FileDamaged(Exception):
    """Raised inside unpickling when the file contradicts itself; the reader names the file."""


class _Frozen:
    """Objects a pickle cannot modify (BUILD sets attributes through ``__setattr__``)."""

    __slots__ = ()

    def __setattr__(self, name: str, value: Any) -> NoReturn:
        raise Refused(f"the pickle tries to set {name!r} on {self!r}; refusing the file")

    def __reduce__(self) -> NoReturn:
        raise TypeError(f"{self!r} cannot be pickled")


class StorageType(_Frozen):
    """A torch storage class (``torch.FloatStorage``) as the pickle names it: only its dtype."""

    __slots__ = ("name", "dtype_name")
    name: str
    dtype_name: str

    def __init__(self, name: str) -> None:
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "dtype_name", STORAGE_DTYPES[name])

    def __repr__(self) -> str:
        return f"torch.{self.name}"


class TorchDtype(_Frozen):
    """A torch dtype NumPy cannot hold (``torch.bfloat16``), loaded as a value."""

    __slots__ = ("name",)
    name: str  # set once, in __init__ (the instances are frozen)

    def __init__(self, name: str) -> None:
        object.__setattr__(self, "name", name)

    def __repr__(self) -> str:
        return f"torch.{self.name}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TorchDtype) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)


class Storage(_Frozen):
    """One storage's bytes, as a flat NumPy array (``array``; None when NumPy has no dtype)."""

    __slots__ = ("array", "dtype_name", "key")
    array: Optional[np.ndarray]
    dtype_name: str
    key: str

    def __init__(self, array: Optional[np.ndarray], dtype_name: str, key: str) -> None:
        for name, value in (("array", array), ("dtype_name", dtype_name), ("key", key)):
            object.__setattr__(self, name, value)

    def __repr__(self) -> str:
        return f"storage {self.key!r} ({self.dtype_name})"


class Unholdable(_Frozen):
    """Stands for a tensor whose dtype NumPy has no type for; the reader raises, naming where."""

    __slots__ = ("dtype_name", "shape")
    dtype_name: str
    shape: tuple[int, ...]

    def __init__(self, dtype_name: str, shape: tuple[int, ...]) -> None:
        object.__setattr__(self, "dtype_name", dtype_name)
        object.__setattr__(self, "shape", shape)

    def __repr__(self) -> str:
        return f"<a {self.dtype_name} tensor of shape {self.shape}>"


class _Safe(_Frozen):
    """An allowed global: calling it calls gradsheet's stand-in."""

    __slots__ = ("qualname", "function")
    qualname: str
    function: Callable[..., Any]

    def __init__(self, qualname: str, function: Callable[..., Any]) -> None:
        object.__setattr__(self, "qualname", qualname)
        object.__setattr__(self, "function", function)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.function(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<{self.qualname}, as gradsheet rebuilds it>"


class _Marker(_Frozen):
    """A class name used only as an argument (``torch.Tensor``, ``torch.nn.Parameter``)."""

    __slots__ = ("qualname",)
    qualname: str

    def __init__(self, qualname: str) -> None:
        object.__setattr__(self, "qualname", qualname)

    def __repr__(self) -> str:
        return self.qualname


_PARAMETER = _Marker("torch.nn.parameter.Parameter")
_TENSOR = _Marker("torch.Tensor")


def _int(value: Any, what: str) -> int:
    if type(value) is not int:  # bool and others: not a tensor geometry
        raise FileDamaged(f"a tensor's {what} is {value!r}, expected an int")
    return value


def _ints(value: Any, what: str) -> tuple[int, ...]:
    if not isinstance(value, tuple):
        raise FileDamaged(f"a tensor's {what} is {value!r}, expected a tuple of ints")
    return tuple(_int(v, what) for v in value)


def _non_overlapping(size: tuple[int, ...], strides: tuple[int, ...]) -> bool:
    """Whether distinct indices address distinct elements (strides in elements, all >= 0)."""
    extent = 1
    dims = sorted((stride, n) for n, stride in zip(size, strides) if n > 1)
    for stride, n in dims:
        if stride < extent:
            return False
        extent = stride * (n - 1) + extent
    return True


class SafeUnpickler(pickle.Unpickler):
    """Unpickles torch.save's pickles (and plain data) without importing or running anything.

    ``load_storage(storage_type, key, location, numel, view_metadata)`` returns the ``Storage``
    for a persistent id (``('storage', ...)``); ``where`` starts error messages.
    """

    def __init__(self, file: IO[bytes], load_storage: Callable[..., Storage], where: str,
                 **kwargs: Any) -> None:
        super().__init__(file, **kwargs)
        self._load_storage = load_storage
        self._where = where
        self.tensors: list[tuple[Tensor, np.ndarray]] = []  # as rebuilt, for check_tensors
        self.unholdable = False
        self._globals = self._allowed()

    # ------------------------------------------------------------------ globals
    def _allowed(self) -> dict[str, Any]:
        rebuild: dict[str, Callable[..., Any]] = {
            "_rebuild_tensor_v2": self._rebuild_tensor_v2,
            "_rebuild_tensor_v3": self._rebuild_tensor_v3,
            "_rebuild_tensor": self._rebuild_tensor,
            "_rebuild_parameter": self._rebuild_parameter,
            "_rebuild_parameter_with_state": self._rebuild_parameter_with_state,
        }
        allowed: dict[str, Callable[..., Any]] = {f"torch._utils.{name}": fn
                                                  for name, fn in rebuild.items()}
        allowed.update({
            "torch._tensor._rebuild_from_type_v2": self._rebuild_from_type_v2,
            "torch.tensor._rebuild_from_type_v2": self._rebuild_from_type_v2,
            "collections.OrderedDict": collections.OrderedDict,
            "collections.Counter": collections.Counter,
            "torch.Size": self._size,
            "torch.device": self._device,
            "_codecs.encode": self._encode,
            "builtins.set": set, "builtins.frozenset": frozenset,
            "builtins.complex": complex, "builtins.bytearray": bytearray,
        })
        safe: dict[str, Any] = {name: _Safe(name, fn) for name, fn in allowed.items()}
        safe["torch.nn.parameter.Parameter"] = _PARAMETER
        safe["torch.Tensor"] = _TENSOR
        for name in STORAGE_DTYPES:
            safe[f"torch.{name}"] = StorageType(name)
        safe["torch.storage.UntypedStorage"] = StorageType("UntypedStorage")
        for name, dtype in TORCH_DTYPES.items():
            safe[f"torch.{name}"] = dtype
        safe["torch.bfloat16"] = backend.bfloat16
        for name in _UNHOLDABLE:
            safe.setdefault(f"torch.{name}", TorchDtype(name))
        return safe

    def find_class(self, module: str, name: str) -> Any:
        """gradsheet's stand-in for an allowed global; UnpicklingError naming any other."""
        module = {"__builtin__": "builtins", "torch.tensor": "torch._tensor"}.get(module, module)
        qualname = f"{module}.{name}"
        if qualname not in self._globals:
            raise Refused(
                f"{self._where}: refusing the global {qualname}: gradsheet rebuilds only "
                f"tensors, OrderedDicts and plain containers, numbers and strings from a pickle "
                f"and never imports or runs anything it names (as torch.load(weights_only=True) "
                f"does). If you trust the file, load it with torch and save what you need as "
                f"tensors, e.g. torch.save(model.state_dict(), path)")
        return self._globals[qualname]

    def persistent_load(self, pid: Any) -> Storage:
        """The Storage a ``('storage', type, key, location, numel[, view])`` id stands for."""
        if not isinstance(pid, tuple) or not pid:
            raise FileDamaged(f"a persistent id is {pid!r}, expected a tuple")
        typename = pid[0].decode("ascii") if isinstance(pid[0], bytes) else pid[0]
        if typename == "module":
            raise Refused(
                f"{self._where}: the file holds a pickled module ({pid[1]!r}), which gradsheet "
                f"refuses to rebuild (it would run the class's code); save model.state_dict() "
                f"with torch instead")
        if typename != "storage" or len(pid) not in (5, 6):
            raise FileDamaged(f"unknown persistent id {pid!r}")
        storage_type, key, location, numel = pid[1:5]
        view = pid[5] if len(pid) == 6 else None
        if not isinstance(storage_type, StorageType):
            raise FileDamaged(f"persistent id {pid!r} names no storage type")
        if isinstance(key, bytes):
            key = key.decode("ascii")
        if not isinstance(key, str):
            raise FileDamaged(f"a storage key is {key!r}, expected a string")
        return self._load_storage(storage_type, key, location, _int(numel, "storage size"), view)

    # ------------------------------------------------------------------ stand-ins
    @staticmethod
    def _size(dims: Any = ()) -> tuple[int, ...]:
        return _ints(tuple(dims), "size")

    @staticmethod
    def _device(*args: Any) -> Any:
        from ..devices import device
        if not all(isinstance(a, (str, int)) or a is None for a in args):
            raise FileDamaged(f"torch.device{args!r}")
        return device(*args)

    @staticmethod
    def _encode(text: Any, encoding: str = "utf-8") -> bytes:
        if not isinstance(text, str) or encoding not in ("latin1", "latin-1", "utf-8", "utf8"):
            raise FileDamaged(f"_codecs.encode({text!r}, {encoding!r})")
        return text.encode(encoding)

    def _view(self, storage: Any, offset: Any, size: Any, stride: Any,
              dtype_name: Optional[str] = None) -> Union[Tensor, Unholdable]:
        """The tensor ``storage[offset + sum(i * stride)]`` over indices of ``size``."""
        offset, size, stride = (_int(offset, "storage offset"), _ints(size, "size"),
                                _ints(stride, "stride"))
        if not isinstance(storage, Storage):
            raise FileDamaged(f"a tensor's storage is {storage!r}")
        if len(size) != len(stride) or offset < 0 or min(size + stride, default=0) < 0:
            raise FileDamaged(f"a tensor has size {size}, stride {stride}, offset {offset}")
        dtype_name = dtype_name or storage.dtype_name
        if storage.array is None or dtype_name not in TORCH_DTYPES:
            self.unholdable = True
            return Unholdable(dtype_name, size)
        array = storage.array
        dtype = np.dtype(TORCH_DTYPES[dtype_name])
        if array.dtype != dtype:  # an untyped storage (_rebuild_tensor_v3): its bytes as dtype
            if array.nbytes % dtype.itemsize:
                raise FileDamaged(f"{storage!r} holds {array.nbytes} bytes, not a whole number "
                                  f"of {dtype_name} elements")
            array = array.view(dtype)
        if 0 not in size and offset + sum((n - 1) * s for n, s in zip(size, stride)) >= array.size:
            raise FileDamaged(f"a tensor of size {size}, stride {stride} and offset {offset} "
                              f"reaches past the end of {storage!r} ({array.size} elements)")
        if 0 in size:
            view = np.empty(size, dtype)
        else:
            view = np.lib.stride_tricks.as_strided(
                array[offset:], shape=size, strides=tuple(s * dtype.itemsize for s in stride),
                writeable=_non_overlapping(size, stride))
        tensor = Tensor._wrap(view)
        self.tensors.append((tensor, view))
        return tensor

    def _requires_grad(self, tensor: Any, requires_grad: Any) -> Any:
        if not isinstance(requires_grad, bool):
            raise FileDamaged(f"requires_grad is {requires_grad!r}")
        if requires_grad and isinstance(tensor, Tensor):
            try:
                tensor.requires_grad_(True)
            except RuntimeError as err:
                raise FileDamaged(str(err)) from None
        return tensor

    def _rebuild_tensor(self, storage: Any, storage_offset: Any, size: Any, stride: Any) -> Any:
        return self._view(storage, storage_offset, size, stride)

    def _rebuild_tensor_v2(self, storage: Any, storage_offset: Any, size: Any, stride: Any,
                           requires_grad: Any = False, backward_hooks: Any = None,
                           metadata: Any = None) -> Any:
        return self._requires_grad(self._view(storage, storage_offset, size, stride),
                                   requires_grad)

    def _rebuild_tensor_v3(self, storage: Any, storage_offset: Any, size: Any, stride: Any,
                           requires_grad: Any, backward_hooks: Any, dtype: Any,
                           metadata: Any = None) -> Any:
        if isinstance(dtype, TorchDtype):
            name = dtype.name
        elif dtype is backend.bfloat16:
            name = "bfloat16"
        elif isinstance(dtype, type) and issubclass(dtype, np.generic):
            name = next(n for n, d in TORCH_DTYPES.items() if d is dtype)
        else:
            raise FileDamaged(f"a tensor's dtype is {dtype!r}")
        return self._requires_grad(self._view(storage, storage_offset, size, stride, name),
                                   requires_grad)

    def _parameter(self, data: Any, requires_grad: Any) -> Any:
        if isinstance(data, Unholdable):
            return data
        if not isinstance(data, Tensor) or not isinstance(requires_grad, bool):
            raise FileDamaged(f"a Parameter of {data!r}")
        from ..nn.parameter import Parameter
        parameter = Parameter(data, requires_grad=requires_grad)
        self.tensors.append((parameter, data.array))
        return parameter

    def _rebuild_parameter(self, data: Any, requires_grad: Any, backward_hooks: Any) -> Any:
        return self._parameter(data, requires_grad)

    def _rebuild_parameter_with_state(self, data: Any, requires_grad: Any, backward_hooks: Any,
                                      state: Any) -> Any:
        return self._parameter(data, requires_grad)  # Python attributes are not restored

    def _rebuild_from_type_v2(self, func: Any, new_type: Any, args: Any, state: Any) -> Any:
        if not isinstance(func, _Safe) or not isinstance(args, tuple):
            raise FileDamaged(f"_rebuild_from_type_v2({func!r}, ...)")
        tensor = func(*args)
        if new_type is _PARAMETER:
            return self._parameter(tensor, tensor.requires_grad)
        if new_type is not _TENSOR:
            raise FileDamaged(f"a tensor of type {new_type!r}")
        return tensor

    def check_tensors(self) -> None:
        """Raise if the pickle changed a rebuilt tensor (a BUILD on it) after rebuilding it."""
        for tensor, array in self.tensors:
            if tensor.array is not array or tensor.grad is not None or tensor._ctx is not None:
                raise Refused(f"{self._where}: the pickle modifies a tensor "
                                             f"after rebuilding it; refusing the file")
