"""Argument checks shared by the public entry points (issue 14, item 5).

Each raises TypeError / ValueError whose message starts with the op's name and says which
argument got what, as torch's argument parser does ("linear: argument 'input' (position 1)
must be a Tensor, not list"). They are written so that the usual case (a Tensor of the right
rank, an int size) costs one ``isinstance`` or a tuple check.

    @tensor_args("input", "weight", "bias")      # on the function, outermost
    def linear(input, weight, bias=None): ...

    kernel = int_tuple("max_pool2d", "kernel_size", kernel_size, 2)
    check_rank("conv2d", "input", input, (3, 4))
"""
from __future__ import annotations

import functools
import inspect
import numbers
from collections.abc import Sequence
from typing import Any, Callable, Literal, Optional, TypeVar, Union, cast, overload

import numpy as np

from ..autograd.tensor import Tensor

_F = TypeVar("_F", bound=Callable[..., Any])  # a function, returned with its own signature


def _got(value: Any) -> str:
    """How an offending value is described: its type, and short values themselves."""
    name = type(value).__name__
    if value is None or isinstance(value, (bool, numbers.Number, str, bytes)):
        text = repr(value)
        return f"{name} {text if len(text) <= 40 else text[:37] + '...'}"
    if isinstance(value, Tensor):
        return f"a {value.array.dtype} Tensor of shape {tuple(value.shape)}"
    if isinstance(value, np.ndarray):
        return f"a NumPy array ({value.dtype}, shape {value.shape})"
    return name


def not_a_tensor(op: object, name: str, value: Any, position: Optional[int] = None,
                 optional: bool = False) -> TypeError:
    """The TypeError for a non-Tensor ``value`` given as argument ``name`` of ``op``."""
    where = f" (position {position + 1})" if position is not None else ""
    wanted = "a Tensor or None" if optional else "a Tensor"
    hint = " (convert data with gradsheet.tensor(...))" if isinstance(
        value, (list, tuple, numbers.Number)) and not isinstance(value, bool) else ""
    return TypeError(f"{op}: argument '{name}'{where} must be {wanted}, not {_got(value)}{hint}")


@overload
def as_tensor_arg(op: object, name: str, value: Any, optional: Literal[False] = False) -> Tensor: ...
@overload
def as_tensor_arg(op: object, name: str, value: Any, optional: bool) -> Optional[Tensor]: ...


def as_tensor_arg(op: object, name: str, value: Any, optional: bool = False) -> Optional[Tensor]:
    """``value`` if it is a Tensor (or None when ``optional``), else a TypeError naming it."""
    if isinstance(value, Tensor) or (optional and value is None):
        return value
    raise not_a_tensor(op, name, value, optional=optional)


def _from_array(op: object, name: str, array: np.ndarray) -> Tensor:
    """A NumPy array given for a Tensor argument, as a Tensor of its dtype (no copy)."""
    if array.dtype.kind not in "biufc":
        raise TypeError(f"{op}: argument '{name}' must be a Tensor of numbers, got a NumPy array "
                        f"of dtype {array.dtype}")
    return Tensor._wrap(array)


def tensor_args(*names: str, convert_arrays: bool = True) -> Callable[[_F], _F]:
    """Decorator: the arguments ``names`` of the function must be Tensors (None too where the
    parameter's default is None, or the name ends in "?"), else TypeError "op: argument 'name'
    (position k) must be a Tensor, not list"; a NumPy array is taken as a constant Tensor of its
    dtype (``convert_arrays=False``: passed on as it is, for an op that refuses arrays itself).
    Put it outermost (above ``tensor_method``: a method's self is a Tensor already)."""
    def wrap(function: _F) -> _F:
        signature = inspect.signature(function)
        order = list(signature.parameters)
        specs = []
        for name in names:
            optional = name.endswith("?")  # "running_mean?": None accepted without a None default
            name = name.rstrip("?")
            parameter = signature.parameters[name]
            positional = parameter.kind in (parameter.POSITIONAL_ONLY,
                                            parameter.POSITIONAL_OR_KEYWORD)
            specs.append((name, order.index(name) if positional else 10 ** 6,
                          optional or parameter.default is None))
        spec = tuple(specs)
        op = function.__name__

        @functools.wraps(function)
        def checked(*args: Any, **kwargs: Any) -> Any:
            count = len(args)
            for name, position, optional in spec:
                if position < count:
                    value = args[position]
                elif name in kwargs:
                    value = kwargs[name]
                else:
                    continue
                if not isinstance(value, Tensor):
                    if isinstance(value, np.ndarray):  # a constant: as a Tensor of its dtype
                        if not convert_arrays:
                            continue
                        value = _from_array(op, name, value)
                        if position < count:
                            args = args[:position] + (value,) + args[position + 1:]
                        else:
                            kwargs[name] = value
                    elif value is not None or not optional:
                        raise not_a_tensor(op, name, value,
                                           position if position < count else None, optional)
            return function(*args, **kwargs)
        checked.__wrapped_checks__ = spec  # type: ignore[attr-defined]  # a function attribute
        return cast(_F, checked)
    return wrap


def check_rank(op: object, name: str, tensor: Tensor, ranks: Union[int, Sequence[int]],
               what: Optional[str] = None) -> Tensor:
    """ValueError unless ``tensor.ndim`` is one of ``ranks`` (an int or a tuple of ints)."""
    ndim = tensor.array.ndim
    if ndim == ranks if isinstance(ranks, int) else ndim in ranks:
        return tensor
    wanted = str(ranks) if isinstance(ranks, int) else " or ".join(map(str, ranks))
    raise ValueError(f"{op}: argument '{name}' must have {wanted} dimensions"
                     f"{' (' + what + ')' if what else ''}, got {ndim} (shape "
                     f"{tuple(tensor.array.shape)})")


_KINDS = {"f": "floating point", "c": "complex", "i": "signed integer", "u": "unsigned integer",
          "b": "bool"}


def check_dtype_kind(op: object, name: str, tensor: Tensor, kinds: str,
                     what: Optional[str] = None) -> Tensor:
    """TypeError unless ``tensor``'s dtype kind (NumPy's: 'f', 'c', 'i', 'u', 'b') is in ``kinds``."""
    dtype = tensor.array.dtype
    if dtype.kind in kinds:
        return tensor
    wanted = what or " or ".join(_KINDS[k] for k in kinds)
    raise TypeError(f"{op}: argument '{name}' must be a {wanted} Tensor, got dtype {dtype}")


def int_arg(op: object, name: str, value: Any, minimum: Optional[int] = None) -> int:
    """``value`` as an int (a Python or NumPy integer, not a bool), else TypeError naming it;
    ValueError when below ``minimum``."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        value = int(value)
    elif isinstance(value, Tensor) and value.array.ndim == 0 and value.array.dtype.kind in "iu":
        value = int(value.array)
    else:
        raise TypeError(f"{op}: argument '{name}' must be an int, not {_got(value)}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{op}: argument '{name}' must be at least {minimum}, got {value}")
    return value


def int_tuple(op: object, name: str, value: Any, n: int, minimum: Optional[int] = None,
              what: Optional[str] = None) -> tuple[int, ...]:
    """An int or a length-``n`` sequence of ints as an ``n``-tuple of ints (torch's
    "tuple of ints" arguments: kernel_size, stride, padding, ...), else TypeError/ValueError
    naming ``op``, ``name`` and the value."""
    if type(value) is int:
        items = (value,) * n
    elif isinstance(value, (tuple, list)) and len(value) == n and \
            all(type(v) is int for v in value):
        items = tuple(value)
    else:
        if isinstance(value, (tuple, list)):
            if len(value) == 1:
                return int_tuple(op, name, value[0], n, minimum, what)
            if len(value) != n:
                raise TypeError(f"{op}: {name} must be {what or f'an int or a tuple of {n} ints'}, got "
                                 f"{len(value)} values {tuple(value)!r}"[:300])
            if not all(isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))
                       for v in value):
                raise TypeError(f"{op}: {name} must be "
                                f"{what or f'an int or a tuple of {n} ints'}, got {value!r}"[:300])
            items = tuple(int(v) for v in value)
        else:
            if isinstance(value, (float, bool, str, bytes, np.floating)) or value is None or \
                    not isinstance(value, (numbers.Integral, Tensor)):
                raise TypeError(f"{op}: {name} must be "
                                f"{what or f'an int or a tuple of {n} ints'}, got {_got(value)}")
            items = (int_arg(op, name, value),) * n
    if minimum is not None and any(v < minimum for v in items):
        raise ValueError(f"{op}: {name} must be at least {minimum}, got {items}")
    return items
