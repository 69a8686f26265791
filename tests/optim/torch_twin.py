"""Twin parameters in gradsheet and torch, driven by the same loss, for step-by-step comparisons.

The loss  L = sum_i sum(w_i (θ_i - c_i)² + log(1 + θ_i²))  is computed by each library's own
autograd, so the gradients depend on the parameters and any drift between the two optimizers
shows up in the next step's gradient too. Its gradient grows at most linearly, so even
``maximize=True`` stays finite for 20 steps.
"""
import numpy as np

import gradsheet as gs
from tests.helpers import random_inputs, torch_or_skip

SHAPES = [(3, 4), (4,), (2, 1, 3)]


class Twins:
    """The same initial parameters (and loss constants) in both libraries."""

    def __init__(self, dtype=np.float64, seed=0, shapes=SHAPES):
        self.torch = torch = torch_or_skip()
        arrays = [a.astype(dtype) for a in random_inputs(shapes, seed=seed)]
        weights = [a.astype(dtype) for a in random_inputs(shapes, seed=seed + 1, positive=True)]
        targets = [a.astype(dtype) for a in random_inputs(shapes, seed=seed + 2)]
        self.gs_params = [gs.tensor(a, requires_grad=True) for a in arrays]
        self.torch_params = [torch.tensor(a, requires_grad=True) for a in arrays]
        self._gs_consts = [(gs.tensor(w), gs.tensor(c)) for w, c in zip(weights, targets)]
        self._torch_consts = [(torch.tensor(w), torch.tensor(c)) for w, c in zip(weights, targets)]

    @staticmethod
    def _loss(params, consts, skip):
        return sum(((p - c) ** 2 * w).sum() + (p * p + 1).log().sum()
                   for i, (p, (w, c)) in enumerate(zip(params, consts)) if i not in skip)

    def backward(self, skip=()):
        """Fresh gradients of L in both libraries; parameters in ``skip`` get none (None)."""
        for p in self.gs_params + self.torch_params:
            p.grad = None
        self._loss(self.gs_params, self._gs_consts, skip).backward()
        self._loss(self.torch_params, self._torch_consts, skip).backward()

    def gs_backward(self, params, skip=()):
        """Fresh gradients of the same L for another set of gradsheet parameters."""
        for p in params:
            p.grad = None
        self._loss(params, self._gs_consts, skip).backward()

    def copy_gs_params(self):
        return [gs.tensor(p.array.copy(), requires_grad=True) for p in self.gs_params]

    def assert_close(self, rtol=1e-10, atol=1e-12, context=""):
        for i, (g, t) in enumerate(zip(self.gs_params, self.torch_params)):
            assert g.array.dtype == t.detach().numpy().dtype, f"parameter {i} changed dtype"
            assert np.isfinite(g.array).all(), f"parameter {i} is not finite {context}"
            np.testing.assert_allclose(g.array, t.detach().numpy(), rtol=rtol, atol=atol,
                                       err_msg=f"parameter {i} differs from torch {context}")


def run_against_torch(make_gs, make_torch, steps=20, dtype=np.float64, skip=(), **tolerances):
    """Step both optimizers on the twins' loss, comparing every parameter after every step."""
    twins = Twins(dtype)
    gs_opt, torch_opt = make_gs(twins.gs_params), make_torch(twins.torch_params)
    for step in range(1, steps + 1):
        twins.backward(skip)
        gs_opt.step()
        torch_opt.step()
        twins.assert_close(context=f"after step {step}", **tolerances)
    return twins, gs_opt, torch_opt


def torch_state_to_numpy(state_dict):
    """A torch optimizer state dict with every tensor turned into a numpy array."""
    torch = torch_or_skip()

    def convert(v):
        return v.detach().numpy().copy() if isinstance(v, torch.Tensor) else v

    return {"state": {k: {key: convert(v) for key, v in s.items()}
                      for k, s in state_dict["state"].items()},
            "param_groups": [dict(g) for g in state_dict["param_groups"]]}
