"""Reverse-mode differentiation: walk the graph backwards applying the chain rule.

    dL/dx = sum over the nodes y that consumed x of  dL/dy * dy/dx

The nodes are put in topological order with an explicit stack (no recursion,
so a 100,000-node chain is fine), then visited from the loss back to the
leaves. Each node's incoming gradient is the sum of what its consumers sent;
each leaf accumulates into ``.grad``. Without ``retain_graph`` every visited
node drops its inputs and saved arrays, so memory is freed as soon as
possible and a second backward through the same graph is an error.
"""
from __future__ import annotations

import operator
import sys
import weakref
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Callable, Optional

import numpy as np

from . import anomaly, inplace
from . import tensor as _tensor  # a cycle (tensor imports engine): used at call time only

if TYPE_CHECKING:
    from .function import Function
    from .tensor import Tensor

_FREED = ("backward: this graph was already freed by an earlier backward(); "
          "call backward(retain_graph=True) the first time to backpropagate through it again")


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` over the axes that broadcasting added or stretched, giving ``shape``.

    If y = broadcast(x) then dL/dx = sum of dL/dy over every broadcast axis.
    """
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad


def _parents(node: Function) -> Iterable[Any]:
    assert node.parents is not None  # (topological_order checks every node it reaches)
    return node.parents


def topological_order(root: Function,
                      inputs_of: Callable[[Function], Iterable[Any]] = _parents) -> list[Function]:
    """Nodes reachable from ``root``, each after all the nodes it consumes (``inputs_of``:
    a node's input tensors). A node is made after its inputs' nodes, so their creation
    numbers (``Function.seq``) order them: collect, then sort."""
    order = [root]
    seen = {root}
    stack = [root]
    while stack:
        for parent in inputs_of(stack.pop()):
            child = getattr(parent, "_ctx", None)
            if child is not None and child not in seen:
                if child.parents is None:
                    raise RuntimeError(_FREED)
                seen.add(child)
                order.append(child)
                stack.append(child)
    order.sort(key=_creation)
    return order


_creation = operator.attrgetter("seq")


# The key under which Tensor.retain_grad() leaves, on the node that made the tensor, a weak
# reference to it: the engine then keeps dL/dtensor in its .grad, as for a leaf.
RETAINED = "_retained_output"

# The key under which Tensor.register_hook() keeps a non-leaf tensor's gradient hooks on the node
# that made it ({handle id: hook}); a leaf keeps its own in its ``_hooks`` slot.
HOOKS = "_gradient_hooks"


def _inputs_as_seen(node: Function) -> tuple[Any, ...]:
    """node's inputs as they were when it was made (``inplace.as_of``: an input changed in
    place since then stands for its earlier value and history)."""
    return tuple(inplace.as_of(node, i, x) if isinstance(x, _tensor.Tensor) else x
                 for i, x in enumerate(node.parents or ()))


def run_hooks(hooks: dict[int, Callable[..., Any]], grad: np.ndarray) -> np.ndarray:
    """dL/dtensor after the tensor's hooks: each gets it as a Tensor, in registration order,
    and may return a replacement of the same shape (None keeps it)."""
    for hook in list(hooks.values()):
        result = hook(_tensor.Tensor._wrap(grad))
        if result is None:
            continue
        replacement = result.array if isinstance(result, _tensor.Tensor) else result
        if not isinstance(replacement, np.ndarray) or replacement.shape != grad.shape:
            raise ValueError(f"register_hook: a hook returned "
                             f"{getattr(replacement, 'shape', type(replacement).__name__)} for a "
                             f"gradient of shape {grad.shape}; return None or the same shape")
        grad = replacement.astype(grad.dtype, copy=False)
    return grad


# Gradient ownership, a speed mechanism with a global effect. A leaf's first gradient array,
# when nobody else holds it, becomes its .grad as is (as PyTorch's AccumulateGrad steals a
# gradient nobody else holds), saving a copy of every parameter's gradient per backward.
# "Nobody else" is decided by sys.getrefcount: held only by the grads tuple, the loop variable
# and getrefcount's argument (3, measured on CPython 3.11) it is ours; any more references
# mean another node, leaf or the op itself shares it, so the leaf takes a copy (else clipping
# one parameter's .grad in place would scale its twin's, or the op's saved array, too).
# It must not apply where reference counts do not mean that: interpreters without
# sys.getrefcount (PyPy) and CPython 3.14+, whose borrowed references make counts smaller. With
# the switch off every leaf's first gradient is copied: always correct, one copy slower.
OWN_UNSHARED_GRADIENTS = sys.implementation.name == "cpython" and sys.version_info < (3, 14)
_UNSHARED_REFCOUNT = 3


def _store_leaf_grad(leaf: Tensor, grad: Any, owned: bool) -> None:
    if type(grad) is not np.ndarray or grad.dtype != leaf.array.dtype:  # NumPy scalars too
        grad, owned = np.array(grad, dtype=leaf.array.dtype), True
    if leaf.grad is None:
        leaf.grad = _tensor.Tensor._wrap(grad if owned else grad.copy())
    else:
        np.add(leaf.grad.array, grad, out=leaf.grad.array)


# Post-accumulate-grad hooks (Tensor.register_post_accumulate_grad_hook), kept here rather than
# on the Tensor: {id(leaf): _PostHooks}. While it is empty backward does no extra work at all.
_POST_HOOKS: dict[int, _PostHooks] = {}


class _PostHooks(dict[int, Callable[[Any], None]]):
    """One leaf's post-accumulate hooks ({handle id: hook}); leaves ``_POST_HOOKS`` when its last
    hook is removed or the leaf dies, so that graphs without such hooks cost nothing."""

    __slots__ = ("key", "leaf")
    key: int
    leaf: weakref.ref[Tensor]

    def pop(self, *args: Any) -> Any:
        value = super().pop(*args)
        if not self:
            _POST_HOOKS.pop(self.key, None)
        return value


def post_accumulate_hooks(leaf: Tensor) -> _PostHooks:
    """The dict of ``leaf``'s post-accumulate hooks, made (and registered) on first use."""
    key = id(leaf)
    hooks = _POST_HOOKS.get(key)
    if hooks is None or hooks.leaf() is not leaf:
        hooks = _PostHooks()
        hooks.key = key
        hooks.leaf = weakref.ref(leaf, lambda _, key=key, registry=_POST_HOOKS:  # type: ignore[misc]
                                 registry.pop(key, None))  # (mypy infers no lambda with defaults)
        _POST_HOOKS[key] = hooks
    return hooks


def _run_post_hooks(leaf: Tensor) -> None:
    """Each of ``leaf``'s post-accumulate hooks, in registration order, called as hook(leaf)."""
    hooks = _POST_HOOKS.get(id(leaf))
    for hook in list(hooks.values()) if hooks is not None else ():
        result = hook(leaf)
        if result is not None:
            raise TypeError(f"register_post_accumulate_grad_hook: a hook must return None, got "
                            f"{type(result).__name__}")


# _consumers' tables: {id(leaf): [leaf, consumers left, whether a gradient arrived]}, and
# {node: [id(leaf) of the watched leaves it consumes]}
_Watched = dict[int, list[Any]]
_ByNode = dict["Function", list[int]]


def _consumers(order: list[Function]) -> tuple[_Watched, _ByNode]:
    """For the leaves with post-accumulate hooks in this graph: {id(leaf): [leaf, number of
    nodes consuming it, whether a gradient arrived]} and {node: [those leaves it consumes]}."""
    watched: _Watched = {}
    by_node: _ByNode = {}
    for node in order:
        mine: Optional[dict[int, Any]] = None
        for parent in node.parents or ():
            key = id(parent)
            if key in _POST_HOOKS and getattr(parent, "_ctx", 0) is None:
                if mine is None:
                    mine = {}
                mine[key] = parent
        if mine:
            by_node[node] = list(mine)
            for key, leaf in mine.items():
                entry = watched.setdefault(key, [leaf, 0, False])
                entry[1] += 1
    return watched, by_node


# Final callbacks (queue_callback): one list per running backward, innermost last.
_CALLBACKS: list[list[Callable[[], Any]]] = []


def queue_callback(callback: Callable[[], Any]) -> None:
    """Run ``callback()`` once the backward now running has finished (after every leaf's
    ``.grad`` is accumulated and every hook has run), as PyTorch's
    ``Variable._execution_engine.queue_callback``; RuntimeError outside a backward."""
    if not _CALLBACKS:
        raise RuntimeError("queue_callback: final callbacks can only be installed during a "
                           "backward pass")
    _CALLBACKS[-1].append(callback)


def backward(root: Tensor, gradient: np.ndarray, retain_graph: Optional[bool] = False) -> None:
    """Backpropagate ``gradient`` (dL/droot, shaped like root) to every leaf that requires grad.

    Gradient hooks (``Tensor.register_hook``) run on a non-leaf's total gradient before its
    node's backward, and on a leaf's total gradient (summed over its consumers) before it is
    accumulated into ``.grad``. A leaf's post-accumulate hooks run as soon as the last node
    consuming it has delivered (its ``.grad`` is then final for this backward); callbacks
    queued with ``queue_callback`` run at the end.
    """
    callbacks: list[Callable[[], Any]] = []
    _CALLBACKS.append(callbacks)
    try:
        _backward(root, gradient, retain_graph)
        for callback in callbacks:  # (one may queue more: they run too)
            callback()
    finally:
        _CALLBACKS.pop()


def _backward(root: Tensor, gradient: np.ndarray, retain_graph: Optional[bool]) -> None:
    top = root._ctx
    if top is None:
        hooks = getattr(root, "_hooks", None)
        _store_leaf_grad(root, run_hooks(hooks, gradient) if hooks else gradient, owned=False)
        if id(root) in _POST_HOOKS:
            _run_post_hooks(root)
        return
    if top.parents is None:
        raise RuntimeError(_FREED)
    check_versions = inplace.counter.changes > 0  # no in-place change yet: nothing to check
    order = topological_order(top, _inputs_as_seen) if check_versions else topological_order(top)
    top.grad = gradient
    getrefcount = sys.getrefcount if OWN_UNSHARED_GRADIENTS else None
    check_anomaly = anomaly.state.enabled and anomaly.state.check_nan
    # id(leaf) -> [leaf, sum of its gradients]: hooks run on the total
    hooked_leaves: dict[int, list[Any]] = {}
    watched, by_node = _consumers(order) if _POST_HOOKS else ({}, {})
    for node in reversed(order):
        grad_out = node.grad
        parents = node.parents
        node.grad = None
        if grad_out is None:  # no path from the root reached this node's output
            if watched:
                _settle(node, watched, by_node, hooked_leaves)
            continue
        if check_versions:
            inplace.check_unchanged(node)
            parents = _inputs_as_seen(node)
        assert parents is not None  # (topological_order raised for a node already freed)
        hooks = node.__dict__.get(HOOKS)
        if hooks:
            grad_out = run_hooks(hooks, grad_out)
        retained = node.__dict__.get(RETAINED)
        if retained is not None and retained() is not None:
            _store_leaf_grad(retained(), grad_out, owned=False)
        grads = node.backward(grad_out)
        if check_anomaly:  # detect_anomaly(): the first NaN/inf gradient raises, naming the op
            anomaly.after_backward(node, grads, parents)
        del grad_out
        if not retain_graph:
            node.parents = None
            node.__dict__.clear()
        if type(grads) is not tuple:
            grads = (grads,)
        for i in range(len(grads)):  # (indexing, not zip: zip's tuple would hold a reference)
            grad = grads[i]
            parent = parents[i]
            if grad is None or not getattr(parent, "requires_grad", False):
                continue
            shape = parent.array.shape
            fresh = False
            if grad.shape != shape:
                grad, fresh = unbroadcast(grad, shape), True
            child = parent._ctx
            if child is None:
                if watched and id(parent) in watched:
                    watched[id(parent)][2] = True
                if getattr(parent, "_hooks", None):
                    pending = hooked_leaves.setdefault(id(parent), [parent, None])
                    pending[1] = grad if pending[1] is None else pending[1] + grad
                    continue
                owned = fresh or (getrefcount is not None and grad.base is None
                                  and getrefcount(grad) <= _UNSHARED_REFCOUNT)
                _store_leaf_grad(parent, grad, owned)
            elif child.grad is None:
                child.grad = grad
            else:
                child.grad = child.grad + grad
        if watched:
            _settle(node, watched, by_node, hooked_leaves)
    for leaf, grad in hooked_leaves.values():
        _store_leaf_grad(leaf, run_hooks(leaf._hooks, grad), owned=False)


def _settle(node: Function, watched: _Watched, by_node: _ByNode,
            hooked_leaves: dict[int, list[Any]]) -> None:
    """``node`` has delivered (or had nothing to deliver): each watched leaf it consumed has
    one consumer fewer; at none, the leaf's gradient is complete: its register_hook hooks run,
    it is accumulated, and its post-accumulate hooks fire (if a gradient reached it)."""
    for key in by_node.get(node, ()):
        entry = watched[key]
        entry[1] -= 1
        if entry[1]:
            continue
        leaf = entry[0]
        pending = hooked_leaves.pop(key, None)
        if pending is not None:
            _store_leaf_grad(leaf, run_hooks(leaf._hooks, pending[1]), owned=False)
        if entry[2]:
            _run_post_hooks(leaf)
