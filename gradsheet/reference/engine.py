"""Backpropagation as the cheat sheet writes it: the chain rule, node by node, from the loss back.

    ∂L/∂w = ∂L/∂a · ∂a/∂z · ∂z/∂w,   and where x feeds several nodes y:  ∂L/∂x = Σ_y ∂L/∂y · ∂y/∂x
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from gradsheet.autograd import engine as fused
from gradsheet.autograd.engine import unbroadcast
from gradsheet.autograd.tensor import Tensor

from .registry import mirrors


@mirrors(fused.backward, "the engine does the same walk, but frees each node's saved arrays "
         "as soon as it is visited, lets a leaf keep a gradient array nobody else holds "
         "instead of copying it, and runs hooks, in-place checks and anomaly detection")
def backpropagate(loss: Tensor, inputs: Sequence[Tensor]) -> list[Tensor]:
    """[∂L/∂x for x in inputs]: reverse-mode differentiation of the scalar ``loss``.

    1. Collect the nodes between the loss and the leaves (depth first, with a stack, so
       that a long graph does not overflow Python's recursion).
    2. Visit them from the loss back; each node's output gradient is the sum of what its
       consumers sent (∂L/∂y), and its ``backward`` turns it into ∂L/∂input = ∂L/∂y · ∂y/∂input,
       summed back over broadcast axes (``unbroadcast``).
    An input that the loss does not depend on gets zeros. Leaves' ``.grad`` is left untouched.
    Fused: ``gradsheet.autograd.engine.backward`` (``loss.backward()``).
    """
    order, seen, stack = [], set(), [loss._ctx]
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        order.append(node)
        assert node.parents is not None  # backward() without retain_graph=True frees them
        stack.extend(getattr(x, "_ctx", None) for x in node.parents)
    order.sort(key=lambda node: node.seq)  # a node is made after the nodes it consumes
    grad_of = {loss._ctx: np.ones_like(loss.array)}  # ∂L/∂(node's output); ∂L/∂L = 1
    wanted = {id(x): np.zeros_like(x.array) for x in inputs}
    for node in reversed(order):
        g = grad_of.pop(node, None)
        if g is None:  # no path from the loss reaches this node
            continue
        grads = node.backward(g)
        assert node.parents is not None  # (checked above)
        for x, grad in zip(node.parents, grads if isinstance(grads, tuple) else (grads,)):
            if grad is None or not getattr(x, "requires_grad", False):
                continue
            grad = unbroadcast(grad, x.array.shape)
            if id(x) in wanted:
                wanted[id(x)] = wanted[id(x)] + grad
            if x._ctx is not None:  # not a leaf: pass the gradient on to the node that made x
                grad_of[x._ctx] = grad_of.get(x._ctx, 0) + grad
    return [Tensor._wrap(wanted[id(x)]) for x in inputs]
