"""Shared checks for the elementwise op tests: an op against torch at edge values.

``EDGES`` holds the points where formulas break (0 and -0, +-1, +-inf, NaN, halves);
``check_edges`` runs gradsheet and torch on the same float64 arrays, compares the values
(NaN where torch has NaN, the same infinities and, with ``zero_signs``, the same signed
zeros) and every input gradient for an upstream gradient that is random with some zeros.
"""
import numpy as np

import gradsheet as gs
from tests.helpers import torch_or_skip

EDGES = np.array([-np.inf, -2.5, -2.0, -1.0, -0.5, -0.0, 0.0, 0.5, 1.0, 1.5, 2.0, 2.5, np.inf,
                  np.nan])


def grid(values=EDGES):
    """Every pair of ``values``: a column against a row (broadcast to len x len)."""
    values = np.asarray(values, dtype=np.float64)
    return [values[:, None], values[None, :]]


def assert_same(actual, expected, what, zero_signs=False, rtol=1e-6, atol=1e-12):
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, err_msg=what)
    if zero_signs:
        zeros = (np.asarray(expected) == 0) & (np.asarray(actual) == 0)
        np.testing.assert_array_equal(np.signbit(actual)[zeros], np.signbit(expected)[zeros],
                                      err_msg=f"{what}: signs of zeros differ")


def check_edges(gs_fn, torch_fn, arrays, seed=0, zero_signs=False, grad=True, rtol=1e-6,
                atol=1e-12):
    """gs_fn and torch_fn on float64 tensors of ``arrays`` (all requiring grad): the same
    values and, with ``grad``, the same input gradients (torch's None counts as zeros)."""
    torch = torch_or_skip()
    arrays = [np.array(a, dtype=np.float64) for a in arrays]
    gs_inputs = [gs.tensor(a.copy(), requires_grad=grad) for a in arrays]
    torch_inputs = [torch.tensor(a.copy(), requires_grad=grad) for a in arrays]
    out = gs_fn(*gs_inputs)
    expected = torch_fn(*torch_inputs)
    assert out.shape == tuple(expected.shape)
    assert out.dtype == np.dtype(str(expected.dtype).replace("torch.", ""))
    assert_same(out.array, expected.detach().numpy(), "values differ from torch", zero_signs,
                rtol, atol)
    if not grad:
        return
    rng = np.random.default_rng(seed)
    upstream = rng.standard_normal(out.shape)
    upstream[rng.random(out.shape) < 0.2] = 0.0
    expected_grads = torch.autograd.grad(expected, torch_inputs, torch.tensor(upstream),
                                         allow_unused=True, materialize_grads=True)
    out.backward(gs.tensor(upstream))
    for i, (x, e) in enumerate(zip(gs_inputs, expected_grads)):
        actual = np.zeros(x.shape) if x.grad is None else x.grad.array
        assert actual.shape == tuple(e.shape), f"gradient {i}: shape {actual.shape}"
        expected_grad = torch.zeros_like(e).add(e).numpy()  # add: torch may hand a ZeroTensor
        assert_same(actual, expected_grad, f"gradient of input {i} differs from torch", False,
                    rtol, atol)
