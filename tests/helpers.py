"""The two checks most tests are built from.

``check_gradients``: float64 gradcheck (central differences) of a gradsheet function.
``check_against_torch``: the same function in gradsheet and PyTorch on the same
float64 inputs; the outputs and every input gradient (for a random upstream
gradient) must agree to ``rtol``.
"""
import numpy as np
import pytest

import gradsheet as gs


def random_inputs(shapes, seed=0, low=None, high=None, positive=False):
    """Float64 arrays of the given shapes (normal; uniform on [low, high) when given)."""
    rng = np.random.default_rng(seed)
    arrays = []
    for shape in shapes:
        if low is not None:
            a = rng.uniform(low, high, size=shape)
        else:
            a = rng.standard_normal(shape)
        arrays.append(np.abs(a) + 0.1 if positive else a)
    return arrays


def check_gradients(fn, arrays, **tolerances):
    """gradcheck ``fn`` at float64 copies of ``arrays`` (all of them require grad)."""
    inputs = [gs.tensor(np.array(a, dtype=np.float64), requires_grad=True) for a in arrays]
    result = gs.gradcheck(fn, inputs, **tolerances)
    assert result.passed, str(result)
    return result


def torch_or_skip():
    """Import torch (the reference oracle); skip only when it cannot be imported."""
    return pytest.importorskip("torch")


def check_against_torch(gs_fn, torch_fn, arrays, rtol=1e-6, atol=1e-9, grad=True, seed=1):
    """Run both libraries on float64 copies of ``arrays``; compare outputs and input gradients."""
    torch = torch_or_skip()
    gs_inputs = [gs.tensor(np.array(a, dtype=np.float64), requires_grad=grad) for a in arrays]
    torch_inputs = [torch.tensor(np.array(a, dtype=np.float64), requires_grad=grad)
                    for a in arrays]
    gs_out = gs_fn(*gs_inputs)
    torch_out = torch_fn(*torch_inputs)
    np.testing.assert_allclose(gs_out.array, torch_out.detach().numpy(), rtol=rtol, atol=atol,
                               err_msg="forward values differ from torch")
    if not grad:
        return gs_out
    upstream = np.random.default_rng(seed).standard_normal(gs_out.shape)
    gs_out.backward(gs.tensor(upstream, dtype="float64"))
    torch_out.backward(torch.tensor(upstream))
    for i, (g, t) in enumerate(zip(gs_inputs, torch_inputs)):
        if t.grad is None:
            assert g.grad is None or not np.any(g.grad.array), f"input {i}: torch has no grad"
            continue
        assert g.grad is not None, f"input {i}: gradsheet computed no gradient"
        np.testing.assert_allclose(g.grad.array, t.grad.numpy(), rtol=rtol, atol=atol,
                                   err_msg=f"gradient of input {i} differs from torch")
    return gs_out
