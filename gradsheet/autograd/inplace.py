"""In-place changes (``x.add_(y)``, ``x[idx] = v``) under PyTorch's autograd rules.

An in-place op computes its result as the out-of-place op would and writes it into the
tensor's own array, so every view of that memory sees the change. The rules:

- a leaf that requires grad cannot be changed in place while the graph is recorded (it is
  what the gradient is taken with respect to; change it under ``no_grad()``);
- when the change is recorded (the tensor or an operand requires grad), the tensor's node
  becomes the op's node, whose input is the tensor's value before the change; a change to
  ``x[index]`` (a view) is recorded on ``x`` itself, as ``x[index] = result``;
- every change bumps the tensor's version counter: a node that saved an input and finds
  its version changed at backward raises, naming the op, instead of using the new values;
  and a node that saved memory the change overwrote (an op that kept its output) is marked,
  so that its backward raises too;
- nodes made before a recorded change still reach the history the tensor had when they
  used it: graph nodes hold Tensors, so the tensor's earlier value and node are kept, by
  version, in ``PREVIOUS``, and the engine resolves an input whose version moved on
  (``as_of``) to the snapshot of the version the node saw.
"""
from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from . import grad_mode
from . import tensor as _tensor  # a cycle (tensor -> engine -> here): used at call time only

if TYPE_CHECKING:
    from .function import Function
    from .tensor import Tensor

OVERWRITTEN = "_overwritten_by"  # on a node whose saved arrays an in-place op overwrote


# id(tensor) -> [(version, snapshot of it at that version, with the node it had then), ...],
# dropped with the tensor (by id: a Tensor's == is elementwise, so it cannot key a WeakKeyDict)
PREVIOUS: dict[int, list[tuple[int, Tensor]]] = {}


class counter:
    """How many in-place changes this process has made: until the first, backward skips the
    version checks altogether."""
    changes = 0


def assign(target: Tensor, op: str, method: Callable[..., Any], args: tuple[Any, ...],
           kwargs: dict[str, Any]) -> Tensor:
    """``method(target, *args, **kwargs)`` written into ``target``; returns ``target``."""
    operands = list(args) + list(kwargs.values())
    return write(target, op, lambda source: method(source, *args, **kwargs), operands)


def write(target: Tensor, op: str, compute: Callable[[Tensor], Any],
          operands: list[Any]) -> Tensor:
    """Write ``compute(source)`` into ``target``, where ``source`` holds target's value before
    the change (a copy when the change is recorded: the op's node may keep it)."""
    if not isinstance(target, _tensor.Tensor):
        raise TypeError(f"{op}: expects a Tensor, got {type(target).__name__}")
    recording = grad_mode.state.enabled
    if recording and target.requires_grad and target._ctx is None:
        raise RuntimeError(f"{op}: a leaf tensor that requires grad cannot be changed in place "
                           "while the graph is recorded (it is what gradients are taken with "
                           "respect to); change it under no_grad(), or change a clone()")
    recorded = recording and (target.requires_grad or any(
        isinstance(x, _tensor.Tensor) and x.requires_grad for x in operands))
    if not recorded:
        result = compute(target)
        _store(op, target, result)
        return target
    base_node = target._ctx
    if base_node is not None and target.array.base is not None and \
            getattr(base_node, "view_of_input", False):
        return _write_through_view(target, op, compute, base_node)
    source = _snapshot(target)
    result = compute(source)
    _store(op, target, result)
    target._ctx, target.requires_grad = result._ctx, result.requires_grad
    return target


def rebind(target: Tensor, op: str, compute: Callable[[Tensor], Tensor]) -> Tensor:
    """An in-place op that changes only how target's memory is seen (``transpose_``,
    ``squeeze_``, ...): target becomes ``compute(previous)``, a view of the same memory, and
    when recorded its node becomes the view op's, whose input is target's earlier self."""
    recording = grad_mode.state.enabled
    if recording and target.requires_grad and target._ctx is None:
        raise RuntimeError(f"{op}: a leaf tensor that requires grad cannot be changed in place "
                           "while the graph is recorded; change it under no_grad(), or use the "
                           "out-of-place op")
    previous = _tensor.Tensor._wrap(target.array)
    previous.requires_grad, previous._ctx, previous._version = (
        target.requires_grad, target._ctx, target._version)
    result = compute(previous)
    if target._ctx is not None:
        _remember(target, previous)
    target.array = result.array
    if recording and target.requires_grad:
        target._ctx = result._ctx
    target._version += 1
    counter.changes += 1
    return target


def _remember(target: Tensor, snapshot: Tensor) -> None:
    """Keep ``snapshot`` (target at its current version) for nodes that used target before."""
    key = id(target)
    if key not in PREVIOUS:
        PREVIOUS[key] = []
        weakref.finalize(target, PREVIOUS.pop, key, None)
    PREVIOUS[key].append((target._version, snapshot))


def _snapshot(target: Tensor) -> Tensor:
    """target's current value and history, in an array of its own, remembered by version for
    the nodes that used target before the change (``as_of``)."""
    source = _tensor.Tensor._wrap(target.array.copy())
    source.requires_grad, source._ctx = target.requires_grad, target._ctx
    source._version = target._version
    _remember(target, source)
    return source


def as_of(node: Function, i: int, parent: Tensor) -> Tensor:
    """Input ``i`` of ``node`` as the node saw it: ``parent`` itself, or the snapshot of the
    version it had when the node was made, if a recorded in-place change came since."""
    seen = 0 if node.versions is None else node.versions[i]
    if parent._version == seen:
        return parent
    for version, snapshot in PREVIOUS.get(id(parent), ()):
        if version >= seen:
            return snapshot
    return parent


def _write_through_view(target: Tensor, op: str, compute: Callable[[Tensor], Any],
                        node: Any) -> Tensor:
    """target is ``base[index]`` (a view, in the graph): record the change on base, as
    ``base[index] = op(target)``, then make target ``base[index]`` of the new base. (``node``
    is the view's Function node: one with ``write_back`` and ``rebuild``, ops.subscript's.)"""
    if node.parents is None or not hasattr(node, "rebuild"):
        raise RuntimeError(f"{op}: this tensor is a view ({type(node).__name__}) of a tensor in the "
                           "graph; gradsheet records in-place changes to x[index] views only "
                           "(PyTorch's CopySlices); use an out-of-place op")
    base = node.parents[0]
    result = compute(_snapshot(target))
    node.write_back(base, result)
    fresh = node.rebuild(base)
    target._ctx, target.requires_grad = fresh._ctx, fresh.requires_grad
    target._version += 1
    counter.changes += 1
    return target


def _store(op: str, target: Tensor, result: Any) -> None:
    """Write ``result``'s values into target's array (same shape; a dtype target can hold)."""
    if not isinstance(result, _tensor.Tensor):
        result = _tensor.Tensor(result)
    value, array = result.array, target.array
    if value.shape != array.shape:
        raise RuntimeError(f"{op}: the result has shape {value.shape}, but an in-place op must "
                           f"keep the tensor's shape {array.shape}")
    if not can_cast(value.dtype, array.dtype):
        raise RuntimeError(f"{op}: result type {value.dtype} can't be cast to the desired output "
                           f"type {array.dtype} (the tensor's own dtype)")
    if value is not array:
        store_values(op, target, array, value)
    else:
        note_change(target, op)


def store_values(op: str, target: Tensor, destination: np.ndarray, value: Any) -> None:
    """``destination[...] = value`` where destination is target's array or part of it; bumps
    target's version and marks the nodes whose saved arrays the write overwrote."""
    try:
        np.copyto(destination, value, casting="unsafe")
    except ValueError as error:  # a read-only array: an expanded (broadcast) tensor
        raise RuntimeError(f"{op}: cannot write into this tensor ({error}); it shares one "
                           "element among several positions (expand); clone() it first") from None
    note_change(target, op)


def note_change(target: Tensor, op: str) -> None:
    """Bump target's version; mark the nodes upstream of it that saved memory it shares."""
    target._version += 1
    counter.changes += 1
    if target._ctx is not None:
        mark_overwritten(target._ctx, target.array, op)


def can_cast(source: np.dtype[Any], destination: np.dtype[Any]) -> bool:
    """PyTorch's rule for writing a result into a tensor: not float into integer, not a
    number into bool, not complex into real."""
    kinds = "biufc"
    s, d = kinds.index(source.kind), kinds.index(destination.kind)
    return s <= d or (s == 1 and d == 2)  # int into unsigned is allowed, as in torch


def mark_overwritten(root: Function, array: np.ndarray, op: str) -> None:
    """Mark every node from ``root`` upstream that saved an array sharing ``array``'s memory:
    its backward would read the new values, so it raises instead."""
    stack, seen = [root], {id(root)}
    while stack:
        node = stack.pop()
        if node.parents is None:
            continue
        for value in list(node.__dict__.values()):
            for saved in value if isinstance(value, (tuple, list)) else (value,):
                if isinstance(saved, np.ndarray) and np.may_share_memory(saved, array):
                    node.__dict__[OVERWRITTEN] = op
        for parent in node.parents:
            child = getattr(parent, "_ctx", None)
            if child is not None and id(child) not in seen:
                seen.add(id(child))
                stack.append(child)


def check_unchanged(node: Function) -> None:
    """Raise when an in-place op changed, after ``node`` saved it, a value its backward needs."""
    op = node.__dict__.get(OVERWRITTEN)
    if op is not None:
        raise RuntimeError(f"backward: one of the variables needed for gradient computation has "
                           f"been modified by an inplace operation ({op}): {type(node).__name__} "
                           "saved a value that was changed in place afterwards; clone() the "
                           "tensor before changing it, or change it out of place")
    versions = node.versions  # None: every input was at version 0 when the node was made
    for i, parent in enumerate(node.parents or ()):
        if not isinstance(parent, _tensor.Tensor):
            continue
        if parent._version != (0 if versions is None else versions[i]) and _saves(node, parent):
            raise RuntimeError(f"backward: one of the variables needed for gradient computation "
                               f"has been modified by an inplace operation: input {i} of "
                               f"{type(node).__name__} (shape {parent.shape}) is at version "
                               f"{parent._version}, but it was saved at version "
                               f"{0 if versions is None else versions[i]}; clone() it before "
                               "changing it, or change it out of place")


def _saves(node: Function, tensor: Tensor) -> bool:
    """Whether node keeps an array sharing tensor's memory (so a change to it matters)."""
    for value in node.__dict__.values():
        for saved in value if isinstance(value, (tuple, list)) else (value,):
            if isinstance(saved, np.ndarray) and np.may_share_memory(saved, tensor.array):
                return True
    return False

