"""Which fused op each reference function mirrors: one decorator and the table it fills.

A reference function is the readable twin of a fused fast path. ``@mirrors(fused, faster)``
records the fused object (the Function class or optimizer the tests compare it with) and one
sentence on what the fused version does differently and why that is faster; the tour shows
both beside the reference code.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

_F = TypeVar("_F", bound=Callable[..., Any])

# fused object -> the reference function that mirrors it
TWINS: dict[Callable[..., Any], Callable[..., Any]] = {}


def mirrors(fused: Callable[..., Any], faster: str) -> Callable[[_F], _F]:
    """Mark a function as the reference for ``fused``; ``faster`` says what the fused op does
    differently and why it is faster (one sentence)."""
    def mark(function: _F) -> _F:
        # setattr: attributes that the function's type (_F, kept for the caller) lacks
        setattr(function, "fused", fused)
        setattr(function, "faster", faster)
        TWINS.setdefault(fused, function)
        return function
    return mark


def fused_name(obj: Callable[..., Any]) -> str:
    """The dotted name of a fused object: ``gradsheet.ops.recurrent.LSTM``."""
    return f"{obj.__module__}.{obj.__qualname__}"
