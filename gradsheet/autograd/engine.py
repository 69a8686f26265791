"""Reverse-mode differentiation: walk the graph backwards applying the chain rule.

    dL/dx = sum over the nodes y that consumed x of  dL/dy * dy/dx

The nodes are put in topological order with an explicit stack (no recursion,
so a 100,000-node chain is fine), then visited from the loss back to the
leaves. Each node's incoming gradient is the sum of what its consumers sent;
each leaf accumulates into ``.grad``. Without ``retain_graph`` every visited
node drops its inputs and saved arrays, so memory is freed as soon as
possible and a second backward through the same graph is an error.
"""
import operator
import sys

import numpy as np

from . import anomaly, inplace
from . import tensor as _tensor  # a cycle (tensor imports engine): used at call time only

_FREED = ("backward: this graph was already freed by an earlier backward(); "
          "call backward(retain_graph=True) the first time to backpropagate through it again")


def unbroadcast(grad, shape):
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


def topological_order(root, inputs_of=lambda node: node.parents):
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


def _inputs_as_seen(node):
    """node's inputs as they were when it was made (``inplace.as_of``: an input changed in
    place since then stands for its earlier value and history)."""
    return tuple(inplace.as_of(node, i, x) if isinstance(x, _tensor.Tensor) else x
                 for i, x in enumerate(node.parents))


def run_hooks(hooks, grad):
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


# A gradient array held only by the grads tuple, the loop variable and the
# getrefcount argument is ours to keep (as PyTorch's AccumulateGrad steals a
# gradient nobody else holds); any more references mean another node or leaf
# shares it, so the leaf takes a copy (else clipping one parameter's .grad in
# place would scale its twin's too).
_UNSHARED_REFCOUNT = 3


def _store_leaf_grad(leaf, grad, owned):
    if type(grad) is not np.ndarray or grad.dtype != leaf.array.dtype:  # NumPy scalars too
        grad, owned = np.array(grad, dtype=leaf.array.dtype), True
    if leaf.grad is None:
        leaf.grad = _tensor.Tensor._wrap(grad if owned else grad.copy())
    else:
        np.add(leaf.grad.array, grad, out=leaf.grad.array)


def backward(root, gradient, retain_graph=False):
    """Backpropagate ``gradient`` (dL/droot, shaped like root) to every leaf that requires grad.

    Gradient hooks (``Tensor.register_hook``) run on a non-leaf's total gradient before its
    node's backward, and on a leaf's total gradient (summed over its consumers) before it is
    accumulated into ``.grad``.
    """
    node = root._ctx
    if node is None:
        hooks = getattr(root, "_hooks", None)
        _store_leaf_grad(root, run_hooks(hooks, gradient) if hooks else gradient, owned=False)
        return
    if node.parents is None:
        raise RuntimeError(_FREED)
    check_versions = inplace.counter.changes > 0  # no in-place change yet: nothing to check
    order = topological_order(node, _inputs_as_seen) if check_versions else topological_order(node)
    node.grad = gradient
    getrefcount = sys.getrefcount
    check_anomaly = anomaly.state.enabled and anomaly.state.check_nan
    hooked_leaves = {}  # id(leaf) -> [leaf, sum of its gradients]: hooks run on the total
    for node in reversed(order):
        grad_out = node.grad
        parents = node.parents
        node.grad = None
        if grad_out is None:  # no path from the root reached this node's output
            continue
        if check_versions:
            inplace.check_unchanged(node)
            parents = _inputs_as_seen(node)
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
                if getattr(parent, "_hooks", None):
                    pending = hooked_leaves.setdefault(id(parent), [parent, None])
                    pending[1] = grad if pending[1] is None else pending[1] + grad
                    continue
                owned = fresh or (grad.base is None and getrefcount(grad) <= _UNSHARED_REFCOUNT)
                _store_leaf_grad(parent, grad, owned)
            elif child.grad is None:
                child.grad = grad
            else:
                child.grad = child.grad + grad
    for leaf, grad in hooked_leaves.values():
        _store_leaf_grad(leaf, run_hooks(leaf._hooks, grad), owned=False)
