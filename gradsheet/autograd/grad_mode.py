"""Whether operations record the graph: ``no_grad()`` and ``enable_grad()``.

The switch is per thread, as in PyTorch: a ``no_grad`` block in one thread does not stop
another thread from recording.
"""
from __future__ import annotations

import functools
import threading
from typing import TYPE_CHECKING, Any, Callable, TypeVar, overload

if TYPE_CHECKING:
    from typing_extensions import Self

F = TypeVar("F", bound=Callable[..., Any])


class _State(threading.local):
    enabled = True


state = _State()


def is_grad_enabled() -> bool:
    """Whether operations in this thread record the graph now (False inside ``no_grad``)."""
    return state.enabled


class _GradMode:
    """A context manager and decorator that sets gradient recording on or off."""

    mode = True
    _previous: bool

    def __enter__(self) -> None:
        self._previous = state.enabled
        state.enabled = self.mode

    def __exit__(self, *exc: object) -> None:
        state.enabled = self._previous

    def __call__(self, fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.__class__():
                return fn(*args, **kwargs)
        return wrapper  # type: ignore[return-value]  # functools.wraps keeps fn's signature


class _BareDecorator(_GradMode):
    """Also usable as a bare decorator, ``@no_grad`` without parentheses, as in PyTorch."""

    @overload
    def __new__(cls, fn: None = None) -> Self: ...
    @overload
    def __new__(cls, fn: F) -> F: ...  # type: ignore[misc]  # @no_grad bare: the function back

    def __new__(cls, fn: Any = None) -> Any:
        if fn is None:
            return super().__new__(cls)
        return cls()(fn)


class no_grad(_BareDecorator):
    """Record nothing inside: results have ``requires_grad=False`` and hold no graph."""

    mode = False


class enable_grad(_BareDecorator):
    """Record the graph again inside a ``no_grad`` block."""

    mode = True


class set_grad_enabled(_GradMode):
    """``set_grad_enabled(flag)`` turns recording on or off at once, as a statement; as
    ``with set_grad_enabled(flag):`` it restores the previous mode on leaving, and as a
    decorator ``@set_grad_enabled(flag)`` it applies to each call (PyTorch's three uses)."""

    def __init__(self, mode: bool = True) -> None:
        self.mode = bool(mode)
        self._before = state.enabled
        state.enabled = self.mode

    def __enter__(self) -> None:
        self._previous = self._before

    def __call__(self, fn: F) -> F:
        state.enabled = self._before  # decorating changes nothing until the function runs
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)
        return wrapper  # type: ignore[return-value]  # functools.wraps keeps fn's signature


class inference_mode(_BareDecorator):
    """``no_grad`` under PyTorch's name for inference (``with gs.inference_mode():``, also a
    decorator, bare or called); ``inference_mode(False)`` records as usual."""

    @overload
    def __new__(cls, mode: bool = True) -> Self: ...
    @overload
    def __new__(cls, mode: F) -> F: ...  # type: ignore[misc]  # @inference_mode bare

    def __new__(cls, mode: Any = True) -> Any:
        if callable(mode):  # @inference_mode without parentheses
            return cls()(mode)
        self = object.__new__(cls)
        self.mode = not mode
        return self
