import math

import numpy as np
import pytest

import gradsheet as gs
from gradsheet.optim import clip_grad_norm_, clip_grad_value_
from tests.helpers import random_inputs

SHAPES = [(3, 4), (5,), (2, 2, 2)]


def twin_params(grads, dtype=np.float64, without_grad=(1,)):
    """gradsheet and torch parameters with these gradients (none for indices in without_grad)."""
    torch = pytest.importorskip("torch")
    gs_params, torch_params = [], []
    for i, g in enumerate(grads):
        p, t = gs.zeros(*g.shape, dtype=dtype, requires_grad=True), torch.zeros(
            g.shape, dtype=getattr(torch, np.dtype(dtype).name), requires_grad=True)
        if i not in without_grad:
            p.grad = gs.tensor(g.astype(dtype))
            t.grad = torch.tensor(g.astype(dtype))
        gs_params.append(p)
        torch_params.append(t)
    return gs_params, torch_params


def assert_grads_equal(gs_params, torch_params, rtol):
    for p, t in zip(gs_params, torch_params):
        if t.grad is None:
            assert p.grad is None
        else:
            np.testing.assert_allclose(p.grad.array, t.grad.numpy(), rtol=rtol, atol=0)


@pytest.mark.parametrize("max_norm", [0.5, 1e3])
@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, math.inf, "inf"])
@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-12), (np.float32, 2e-6)])
def test_clip_grad_norm_matches_torch(max_norm, norm_type, dtype, rtol):
    torch = pytest.importorskip("torch")
    gs_params, torch_params = twin_params(random_inputs(SHAPES, seed=3), dtype)
    total = clip_grad_norm_(gs_params, max_norm, norm_type)
    reference = torch.nn.utils.clip_grad_norm_(torch_params, max_norm, norm_type)
    assert isinstance(total, gs.Tensor) and total.shape == () and total.dtype == dtype
    np.testing.assert_allclose(total.array, reference.numpy(), rtol=rtol)
    assert_grads_equal(gs_params, torch_params, rtol)


def test_clip_grad_norm_by_hand():
    p = gs.zeros(2, dtype="float64", requires_grad=True)
    p.grad = gs.tensor([3.0, 4.0], dtype="float64")
    assert clip_grad_norm_(p, max_norm=1.0).item() == 5.0  # a single Tensor is accepted
    np.testing.assert_allclose(p.grad.array, [0.6, 0.8], rtol=1e-6)
    clip_grad_norm_([p], max_norm=2.0)  # already below the limit: unchanged
    np.testing.assert_allclose(p.grad.array, [0.6, 0.8], rtol=1e-6)


def test_clip_grad_norm_without_gradients_is_zero():
    total = clip_grad_norm_([gs.zeros(3, requires_grad=True)], 1.0)
    assert total.item() == 0.0 and total.dtype == gs.get_default_dtype()


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_nonfinite_norm_raises_when_asked_and_otherwise_scales_like_torch(bad):
    torch = pytest.importorskip("torch")
    grads = random_inputs(SHAPES, seed=4)
    grads[2][0, 1, 0] = bad
    gs_params, torch_params = twin_params(grads)
    with pytest.raises(RuntimeError, match=f"total norm of order 2.0 .* is {bad}"):
        clip_grad_norm_(gs_params, 1.0, error_if_nonfinite=True)
    assert_grads_equal(gs_params, twin_params(grads)[1], rtol=0)  # raising leaves them alone
    total = clip_grad_norm_(gs_params, 1.0)
    reference = torch.nn.utils.clip_grad_norm_(torch_params, 1.0)
    np.testing.assert_array_equal(total.array, reference.numpy())
    for p, t in zip(gs_params, torch_params):
        if t.grad is not None:
            np.testing.assert_array_equal(p.grad.array, t.grad.numpy())


@pytest.mark.parametrize("clip_value", [0.0, 0.3, 10.0])
def test_clip_grad_value_matches_torch(clip_value):
    torch = pytest.importorskip("torch")
    gs_params, torch_params = twin_params(random_inputs(SHAPES, seed=5))
    assert clip_grad_value_(gs_params, clip_value) is None
    torch.nn.utils.clip_grad_value_(torch_params, clip_value)
    assert_grads_equal(gs_params, torch_params, rtol=0)


@pytest.mark.parametrize("call, message", [
    (lambda ps: clip_grad_norm_(ps, -1.0), "invalid max_norm=-1.0"),
    (lambda ps: clip_grad_norm_(ps, 1.0, norm_type=0), "invalid norm_type=0.0"),
    (lambda ps: clip_grad_norm_(ps, 1.0, norm_type=-2), "invalid norm_type=-2.0"),
    (lambda ps: clip_grad_value_(ps, -0.5), "invalid clip_value=-0.5"),
])
def test_bad_arguments_raise(call, message):
    p = gs.zeros(2, requires_grad=True)
    p.grad = gs.ones(2)
    with pytest.raises(ValueError, match=message):
        call([p])
