"""Function: one node of the graph, with a forward on arrays and its backward.

A subclass implements

    forward(self, *arrays, **params) -> array     (saves what backward needs on self)
    backward(self, grad_out) -> grad or tuple of grads, one per input (None = not needed)

and is applied with ``MyFunction.apply(*inputs, **params)``. Inputs that are not
Tensors (Python numbers, arrays) are constants: they get no gradient. Gradients
may be returned at the broadcast output shape; the engine reduces each one to
its input's shape (``unbroadcast``), so no op repeats that logic.
"""
from __future__ import annotations

import itertools
from typing import Any, Optional

import numpy as np

from . import anomaly, grad_mode
from .tensor import Tensor


_creation_numbers = itertools.count()


class Function:
    """One differentiable op: ``forward`` on arrays, ``backward`` on the output's gradient.

    Subclasses document their formula and its gradient on the class; ``apply`` runs
    ``forward`` and records the node in the graph when an input requires grad.
    """

    __slots__ = ("parents", "grad", "versions", "seq", "__dict__")

    # set by apply when the node is recorded: its inputs as given (None once backward has freed
    # them), the gradient arriving at its output during backward, the inputs' in-place versions
    # (None: all 0) and its creation number
    parents: Optional[tuple[Any, ...]]
    grad: Any
    versions: Optional[tuple[int, ...]]
    seq: int

    def forward(self, *arrays: Any, **params: Any) -> Any:
        """The op's value from the input arrays (constants pass through as given) and keyword
        ``params``; saves on ``self`` what ``backward`` needs. Subclasses implement it.
        """
        raise NotImplementedError

    def backward(self, grad_out: Any) -> Any:
        """The gradient of the loss with respect to each positional input, given ``grad_out`` =
        dL/d(output): a tuple with one entry per input (a bare array for one input), None where
        no gradient is needed. It may be at the broadcast shape; the engine unbroadcasts it.
        Subclasses implement it.
        """
        raise NotImplementedError

    def needs_grad(self, i: int) -> bool:
        """Whether input ``i`` wants a gradient (backward skips the work when not)."""
        parents = self.parents
        return parents is not None and isinstance(parents[i], Tensor) and parents[i].requires_grad

    @classmethod
    def apply(cls, *inputs: Any, **params: Any) -> Tensor:
        """Run the op on ``inputs`` (Tensors; anything else is a constant) and return the output
        Tensor. The node joins the graph only when some input requires grad and recording is on
        (not under ``no_grad``).
        """
        node = cls()
        requires_grad = False
        changed = 0  # the inputs' in-place versions, summed: nonzero only after x.add_(...) & co
        arrays: list[Any] = []
        for x in inputs:
            if isinstance(x, Tensor):
                arrays.append(x.array)
                requires_grad = requires_grad or x.requires_grad
                changed += x._version
            else:
                arrays.append(x)
        record = requires_grad and grad_mode.state.enabled
        node.parents = inputs if record else None
        # the versions backward checks against (None: all 0, the usual case; autograd.inplace)
        node.versions = tuple(getattr(x, "_version", 0) for x in inputs) if record and changed \
            else None
        out = Tensor.__new__(Tensor)
        data = node.forward(*arrays, **params)
        # NumPy reductions and ufuncs on 0-d arrays give scalars; a Tensor always holds an array
        out.array = np.asarray(data) if isinstance(data, np.generic) else data
        out.grad = None
        out._hooks = None
        out._version = 0
        out.requires_grad = record
        if record:
            node.grad = None
            node.seq = next(_creation_numbers)  # after its inputs' nodes: engine.topological_order
            out._ctx = node
        else:
            out._ctx = None
        if anomaly.state.enabled:  # detect_anomaly(): record the user's line, check for NaN/inf
            anomaly.after_forward(node, inputs, params, out)
        return out

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"
