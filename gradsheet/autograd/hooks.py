"""Hooks: user functions run on a gradient (Tensor.register_hook) or around a module's forward
(Module.register_forward_pre_hook / register_forward_hook), each removable by its handle."""
from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from typing_extensions import Self

_ids = itertools.count()


class RemovableHandle:
    """What ``register_*hook`` returns: ``handle.remove()`` takes the hook out again (also on
    leaving a ``with handle:`` block), as PyTorch's ``torch.utils.hooks.RemovableHandle``."""

    __slots__ = ("_hooks", "id")

    def __init__(self, hooks: dict[int, Any]) -> None:
        self._hooks = hooks
        self.id = next(_ids)

    def remove(self) -> None:
        """Take the hook out; removing it twice is harmless."""
        self._hooks.pop(self.id, None)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.remove()


def add_hook(hooks: dict[int, Any], hook: Callable[..., Any], owner: str) -> RemovableHandle:
    """Put callable ``hook`` into the dict ``hooks`` (run in registration order); returns its
    RemovableHandle. ``owner`` names the method in the error for a non-callable."""
    if not callable(hook):
        raise TypeError(f"{owner}: the hook must be callable, got {type(hook).__name__}")
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    return handle
