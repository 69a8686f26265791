"""The Tensor method table: each op declares, beside its definition, the methods it is.

    @tensor_method("exp", inplace="exp_")
    def exp(x):
        '''e**x, elementwise; gradient e**x.'''

binds ``exp`` itself as ``Tensor.exp`` (so the function, the method and ``help()`` share
one docstring) and ``Tensor.exp_`` as its in-place twin: the op computed as usual, its
result written into the tensor's own array (``inplace.assign`` has the autograd rules).

Where PyTorch's method takes other arguments than its function (``x.reshape(2, 3)`` but
``torch.reshape(x, (2, 3))``), ``as_method`` gives the method's own signature; it gets the
function's docstring. ``reflected`` names the operator with the operands swapped
(``__radd__``: ``2 + x`` is ``add(2, x)``).
"""
from __future__ import annotations

import functools
from typing import Any, Callable, Optional, TypeVar, Union

from . import inplace
from .tensor import Tensor

_F = TypeVar("_F", bound=Callable[..., Any])
_Names = Union[str, tuple[str, ...], list[str]]

# name -> the function it was bound from: the table itself, for tests and the docs
TABLE: dict[str, Callable[..., Any]] = {}


def tensor_method(*names: str, inplace: _Names = (), as_method: Optional[Callable[..., Any]] = None,
                  reflected: _Names = (), inplace_view: _Names = ()) -> Callable[[_F], _F]:
    """Decorator: bind the function as the Tensor methods ``names`` (``as_method`` instead of
    the function itself when the method's signature differs), its in-place twins ``inplace``
    (the result's values written into the tensor), ``inplace_view`` (for ops that only view
    the memory differently, ``transpose_``: the tensor becomes the view, ``inplace.rebind``)
    and the swapped-operand operators ``reflected``; returns the function unchanged.
    """
    inplace_names = (inplace,) if isinstance(inplace, str) else tuple(inplace)
    view_names = (inplace_view,) if isinstance(inplace_view, str) else tuple(inplace_view)
    reflected_names = (reflected,) if isinstance(reflected, str) else tuple(reflected)

    def bind(function: _F) -> _F:
        method = function if as_method is None else _documented(as_method, function)
        for name in names:
            _set(name, method, function)
        for name in inplace_names:
            _set(name, _inplace_twin(method, name), function)
        for name in view_names:
            _set(name, _inplace_view_twin(method, name), function)
        for name in reflected_names:
            _set(name, _reflected(function, name), function)
        return function
    return bind


def tensor_property(name: str) -> Callable[[_F], _F]:
    """Decorator: bind the function as the read-only Tensor property ``name`` (``x.T``)."""
    def bind(function: _F) -> _F:
        _set(name, property(function, doc=function.__doc__), function)
        return function
    return bind


def _set(name: str, method: Any, function: Callable[..., Any]) -> None:
    if name in TABLE and TABLE[name] is not function:
        raise RuntimeError(f"tensor_method: Tensor.{name} is bound twice ({TABLE[name].__qualname__} "
                           f"and {function.__qualname__})")
    TABLE[name] = function
    setattr(Tensor, name, method)


def _documented(method: Callable[..., Any], function: Callable[..., Any]) -> Callable[..., Any]:
    method.__doc__ = function.__doc__
    method.__name__ = getattr(function, "__name__", method.__name__)
    return method


def _inplace_twin(method: Callable[..., Any], name: str) -> Callable[..., Tensor]:
    """``x.name(*args)``: ``method(x, *args)`` written into x (see ``inplace.assign``)."""
    @functools.wraps(method)
    def twin(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        return inplace.assign(self, name, method, args, kwargs)
    twin.__name__ = name
    twin.__doc__ = f"In place: the result of ``{method.__name__}`` is written into this tensor " \
                   f"(returned).\n\n{method.__doc__ or ''}"
    return twin


def _inplace_view_twin(method: Callable[..., Tensor], name: str) -> Callable[..., Tensor]:
    """``x.name(*args)``: x becomes ``method(x, *args)``, a view of its own memory."""
    @functools.wraps(method)
    def twin(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        return inplace.rebind(self, name, lambda previous: method(previous, *args, **kwargs))
    twin.__name__ = name
    twin.__doc__ = f"In place: this tensor becomes ``{method.__name__}`` of itself, a view of " \
                   f"the same memory (returned).\n\n{method.__doc__ or ''}"
    return twin


def _reflected(function: Callable[..., Tensor], name: str) -> Callable[[Tensor, Any], Tensor]:
    def swapped(self: Tensor, other: Any) -> Tensor:
        return function(other, self)
    swapped.__name__ = name
    swapped.__doc__ = f"``other {name[3:-2]} self``: {function.__name__}(other, self)."
    return swapped
