"""gradcheck: compare backward's gradients with central differences in float64.

For a random direction u over the outputs, the analytic gradient of
L(x) = sum(u * f(x)) comes from one backward pass; the numeric one from

    dL/dx_i ~= (L(x + eps e_i) - L(x - eps e_i)) / (2 eps)

for every element i of every input that requires grad. The check passes when
|analytic - numeric| <= atol + rtol * |numeric| everywhere.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Callable, Union

import numpy as np

from .grad_mode import no_grad
from .tensor import Tensor, as_tensor


class GradcheckError(AssertionError):
    """backward disagrees with central differences."""


@dataclass
class GradcheckResult:
    passed: bool
    input_index: int      # which input holds the worst element
    element: tuple        # its index
    analytic: float
    numeric: float
    relative_error: float

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        status = "passed" if self.passed else "FAILED"
        return (f"gradcheck {status}: worst element is input {self.input_index} at "
                f"{self.element}: analytic {self.analytic:.6g}, numeric {self.numeric:.6g}, "
                f"relative error {self.relative_error:.3g}")


def _as_tuple(outputs: Any) -> Sequence[Any]:
    return outputs if isinstance(outputs, (tuple, list)) else (outputs,)


def gradcheck(fn: Callable[..., Union[Tensor, Sequence[Tensor]]],
              inputs: Union[Tensor, Sequence[Any]], eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, seed: int = 0, raise_exception: bool = True) -> GradcheckResult:
    """Check ``fn``'s backward against central differences; returns a GradcheckResult.

    Args:
        fn: maps the input Tensors to a Tensor (or a tuple of Tensors).
        inputs: Tensor or sequence of Tensors; those with requires_grad are checked,
            and must be float64 (float32 differences are too coarse to be meaningful).
        eps, atol, rtol: step and tolerances of the comparison.
        raise_exception: raise GradcheckError naming the worst element when it fails.
    """
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    checked = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input requires grad; nothing to check")
    for i in checked:
        if inputs[i].dtype != np.float64:
            raise TypeError(f"gradcheck: input {i} is {inputs[i].dtype}; use float64 "
                            "(x.double()) so that central differences are accurate")

    rng = np.random.default_rng(seed)
    outputs = _as_tuple(fn(*inputs))
    directions = [rng.standard_normal(out.shape) for out in outputs]

    def objective() -> float:
        with no_grad():
            outs = _as_tuple(fn(*inputs))
        return sum(float(np.sum(u * o.array)) for u, o in zip(directions, outs))

    for i in checked:
        inputs[i].grad = None
    total = sum((o * as_tensor(u)).sum() for o, u in zip(outputs, directions) if o.requires_grad)
    if not isinstance(total, Tensor):
        raise ValueError("gradcheck: no output of fn depends on an input that requires grad")
    total.backward()

    worst = GradcheckResult(True, checked[0], (), 0.0, 0.0, 0.0)
    worst_excess = -np.inf
    for i in checked:
        x = inputs[i].array
        analytic = np.zeros_like(x) if inputs[i].grad is None else inputs[i].grad.array
        for element in np.ndindex(x.shape):
            original = x[element]
            x[element] = original + eps
            up = objective()
            x[element] = original - eps
            down = objective()
            x[element] = original
            numeric = (up - down) / (2 * eps)
            error = abs(float(analytic[element]) - numeric)
            excess = error - (atol + rtol * abs(numeric))
            if excess > worst_excess:
                worst_excess = excess
                worst = GradcheckResult(excess <= 0, i, element, float(analytic[element]),
                                        numeric, error / max(abs(numeric), 1e-12))
    worst.passed = bool(worst_excess <= 0)
    if not worst.passed and raise_exception:
        raise GradcheckError(str(worst))
    return worst
