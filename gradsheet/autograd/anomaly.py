"""Anomaly detection: find the op that first made a NaN or an infinity.

    with gs.autograd.detect_anomaly():
        loss = model(x).sum()
        loss.backward()

While anomaly mode is on, every op records the line of user code that ran it (the first frame
outside gradsheet's own package), and, with ``check_nan`` (the default),

- a forward op whose output holds NaN/inf although none of its inputs did raises RuntimeError;
- a backward node that returns a NaN/inf gradient raises RuntimeError;

each naming the op's Function class, its input shapes and the recorded line. Outside anomaly
mode ops record nothing and check nothing (``Function.apply`` and the engine test one flag).
As in PyTorch the switch is global (not per thread), and it makes every op slower: it is for
debugging.
"""
from __future__ import annotations

import functools
import os
import sys
import warnings
from typing import TYPE_CHECKING, Any, Callable, Literal, Optional, TypeVar

import numpy as np

if TYPE_CHECKING:
    from types import FrameType

    from typing_extensions import Self

    from .function import Function
    from .tensor import Tensor

_F = TypeVar("_F", bound=Callable[..., Any])


class _State:
    enabled = False
    check_nan = True


state = _State()

# the key under which a node made in anomaly mode keeps (where, input shapes)
RECORD = "_anomaly_record"

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def is_anomaly_enabled() -> bool:
    """Whether anomaly mode is on (``detect_anomaly`` / ``set_detect_anomaly``)."""
    return state.enabled


def is_anomaly_check_nan_enabled() -> bool:
    """Whether anomaly mode, when on, checks ops' outputs and gradients for NaN/inf."""
    return state.check_nan


def set_anomaly_enabled(enabled: bool, check_nan: bool = True) -> None:
    """Turn anomaly mode on or off (``torch.set_anomaly_enabled``; the statement form of
    ``set_detect_anomaly``)."""
    set_detect_anomaly(enabled, check_nan)


class set_detect_anomaly:
    """Anomaly mode on (``mode=True``) or off: a call that sets it at once, also usable as a
    context manager that restores the previous mode on exit (as ``torch.autograd.set_detect_anomaly``).

    Args:
        mode: turn anomaly mode on (True) or off (False).
        check_nan: while on, raise at the first forward op or backward node that produces
            NaN/inf (False: only record where each op was created).
    """

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        if not isinstance(mode, (bool, np.bool_)):
            raise TypeError(f"set_detect_anomaly: mode must be a bool, got {type(mode).__name__} "
                            f"{mode!r}")
        self._previous = (state.enabled, state.check_nan)
        state.enabled, state.check_nan = bool(mode), bool(check_nan)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> Literal[False]:
        state.enabled, state.check_nan = self._previous
        return False


class detect_anomaly:
    """A context manager and decorator that turns anomaly mode on (see the module docstring):
    the first forward op whose output holds NaN/inf that its inputs did not, or the first
    backward node returning a NaN/inf gradient, raises RuntimeError naming the op, its input
    shapes and the line of user code that created it. ``check_nan=False`` only records the lines.
    """

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = bool(check_nan)
        self._previous: list[tuple[bool, bool]] = []
        warnings.warn("detect_anomaly: anomaly detection is on; it makes every op slower and is "
                      "meant for debugging", UserWarning, stacklevel=2)

    def __enter__(self) -> Self:
        self._previous.append((state.enabled, state.check_nan))
        state.enabled, state.check_nan = True, self.check_nan
        return self

    def __exit__(self, *exc: object) -> Literal[False]:
        state.enabled, state.check_nan = self._previous.pop()
        return False

    def __call__(self, fn: _F) -> _F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self:
                return fn(*args, **kwargs)
        return wrapper  # type: ignore[return-value]  # functools.wraps keeps fn's signature


def user_line() -> str:
    """``file:line`` of the innermost frame outside gradsheet's package (the user's call)."""
    frame: Optional[FrameType] = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame = frame.f_back
    if frame is None:
        return "<unknown>"
    return f"{frame.f_code.co_filename}:{frame.f_lineno}"


def _shape_of(x: Any) -> Any:
    shape = getattr(x, "shape", None)
    return tuple(shape) if shape is not None else type(x).__name__


def _non_finite(array: Any) -> Optional[str]:
    """'nan' or 'inf' when the float/complex ``array`` holds one, else None."""
    if not isinstance(array, np.ndarray):
        if isinstance(array, (float, complex, np.floating, np.complexfloating)):
            array = np.asarray(array)
        else:
            return None
    if array.dtype.kind not in "fc" or array.size == 0:
        return None
    if np.isfinite(array).all():
        return None
    return "nan" if np.isnan(array).any() else "inf"


def _op_name(node: Function) -> str:
    return type(node).__name__


def after_forward(node: Function, inputs: tuple[Any, ...], params: dict[str, Any],
                  out: Tensor) -> None:
    """Called by ``Function.apply`` in anomaly mode: record where ``node`` was made and, with
    check_nan, raise if ``out`` is the first to hold NaN/inf."""
    shapes = tuple(_shape_of(x) for x in inputs)
    where = user_line()
    node.__dict__[RECORD] = (where, shapes)
    if not state.check_nan:
        return
    bad = _non_finite(out.array)
    if bad is None:
        return
    for x in inputs:
        if _non_finite(getattr(x, "array", x)) is not None:
            return  # the NaN/inf came in: an earlier op (or the data) made it
    for value in params.values():
        if _non_finite(getattr(value, "array", value)) is not None:
            return  # asked for (masked_fill(mask, -inf), clamp(max=inf), ...)
    raise RuntimeError(
        f"detect_anomaly: Function '{_op_name(node)}' returned {bad} values in its forward output "
        f"(shape {_shape_of(out.array)}) from finite inputs of shapes "
        f"{', '.join(map(str, shapes)) or '()'}; the op was called at {where}")


def after_backward(node: Function, grads: Any, parents: tuple[Any, ...]) -> None:
    """Called by the engine in anomaly mode after ``node.backward``: raise if a gradient it
    returned holds NaN/inf, naming the op, its inputs' shapes and where it was created."""
    if type(grads) is not tuple:
        grads = (grads,)
    for i, grad in enumerate(grads):
        if i < len(parents) and not getattr(parents[i], "requires_grad", False):
            continue  # a gradient nobody asked for (a constant's, a non-requiring input's)
        bad = _non_finite(grad)
        if bad is None:
            continue
        where, shapes = node.__dict__.get(RECORD, (None, None))
        if shapes is None:
            shapes = tuple(_shape_of(getattr(x, "array", x)) for x in parents)
        origin = f"the op was called at {where}" if where else \
            "the op was created before anomaly mode was turned on (its line was not recorded)"
        raise RuntimeError(
            f"detect_anomaly: Function '{_op_name(node)}' returned {bad} values in backward, in "
            f"its gradient {i} (for an input of shape {shapes[i] if i < len(shapes) else '?'}); "
            f"the op's inputs had shapes {', '.join(map(str, shapes)) or '()'}; {origin}")
