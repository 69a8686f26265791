"""nn.utils.clip_grad_norm_ / clip_grad_value_ / get_total_norm / clip_grads_with_norm_ and
parameters_to_vector / vector_to_parameters against torch.nn.utils; torch's signatures; bad
input."""
import inspect
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gradsheet as gs
from gradsheet import nn
from tests.helpers import torch_or_skip

torch = torch_or_skip()


def _params(shapes, seed, dtypes=None):
    """Matching gradsheet and torch parameters with the same random gradients."""
    rng = np.random.default_rng(seed)
    mine, ref = [], []
    for i, shape in enumerate(shapes):
        dtype = (dtypes or ["float64"] * len(shapes))[i]
        value, grad = rng.standard_normal(shape).astype(dtype), rng.standard_normal(shape)
        p = nn.Parameter(gs.tensor(value))
        p.grad = gs.tensor(grad.astype(dtype))
        q = torch.nn.Parameter(torch.tensor(value))
        q.grad = torch.tensor(grad.astype(dtype))
        mine.append(p)
        ref.append(q)
    return mine, ref


def test_one_implementation_and_torch_signatures():
    assert nn.utils.clip_grad_norm_ is gs.optim.clip_grad_norm_
    assert nn.utils.clip_grad_value_ is gs.optim.clip_grad_value_
    assert nn.utils.clip_grad.clip_grad_norm_ is gs.optim.clip_grad_norm_
    for name in ("clip_grad_norm_", "clip_grad_value_", "get_total_norm", "clip_grads_with_norm_",
                 "clip_grad_norm", "parameters_to_vector", "vector_to_parameters"):
        mine = inspect.signature(getattr(nn.utils, name))
        ref = inspect.signature(getattr(torch.nn.utils, name))
        assert [(p.name, p.default) for p in mine.parameters.values()] == \
            [(p.name, p.default) for p in ref.parameters.values()], name


@settings(max_examples=20, deadline=None)
@given(shapes=st.lists(st.sampled_from([(3,), (2, 2), (1,), (0,), ()]), min_size=1, max_size=4),
       max_norm=st.sampled_from([0.0, 0.1, 1.0, 100.0]),
       norm_type=st.sampled_from([1.0, 2.0, 3.5, math.inf]), foreach=st.sampled_from([None, False]),
       seed=st.integers(0, 2**16))
def test_clip_grad_norm_as_torch(shapes, max_norm, norm_type, foreach, seed):
    mine, ref = _params(shapes, seed)
    if norm_type == math.inf and (0,) in shapes:  # torch: max has no identity
        with pytest.raises(RuntimeError):
            torch.nn.utils.clip_grad_norm_(ref, max_norm, norm_type, foreach=foreach)
        with pytest.raises(RuntimeError, match="clip_grad_norm_: cannot compute the inf norm of "
                                               "an empty gradient"):
            nn.utils.clip_grad_norm_(mine, max_norm, norm_type, foreach=foreach)
        return
    total = nn.utils.clip_grad_norm_(mine, max_norm, norm_type, foreach=foreach)
    expected = torch.nn.utils.clip_grad_norm_(ref, max_norm, norm_type, foreach=foreach)
    np.testing.assert_allclose(total.array, expected.numpy(), rtol=1e-6)
    assert total.dtype == np.float64
    for p, q in zip(mine, ref):
        np.testing.assert_allclose(p.grad.array, q.grad.numpy(), rtol=1e-6, atol=1e-15)


def test_total_norm_then_clip_as_torch():
    mine, ref = _params([(3,), (2, 2)], 4)
    total = nn.utils.get_total_norm([p.grad for p in mine], 3.0)
    expected = torch.nn.utils.get_total_norm([q.grad for q in ref], 3.0)
    np.testing.assert_allclose(total.array, expected.numpy(), rtol=1e-6)
    nn.utils.clip_grads_with_norm_(mine, 0.5, total)
    torch.nn.utils.clip_grads_with_norm_(ref, 0.5, expected)
    for p, q in zip(mine, ref):
        np.testing.assert_allclose(p.grad.array, q.grad.numpy(), rtol=1e-6)
    assert nn.utils.get_total_norm([]).item() == torch.nn.utils.get_total_norm([]).item() == 0


def test_mixed_dtypes_give_the_promoted_norm_as_torch():
    mine, ref = _params([(3,), (2,)], 6, dtypes=["float32", "float64"])
    total = nn.utils.clip_grad_norm_(mine, 0.1)
    expected = torch.nn.utils.clip_grad_norm_(ref, 0.1)
    assert total.dtype == np.float64 and expected.dtype == torch.float64
    np.testing.assert_allclose(total.array, expected.numpy(), rtol=1e-6)
    for p, q in zip(mine, ref):
        assert p.grad.dtype == np.dtype(str(q.grad.dtype).replace("torch.", ""))
        np.testing.assert_allclose(p.grad.array, q.grad.numpy(), rtol=1e-6)


@pytest.mark.parametrize("clip_value", [0.0, 0.3, 5.0])
def test_clip_grad_value_as_torch(clip_value):
    mine, ref = _params([(4,), (2, 3)], 8)
    assert nn.utils.clip_grad_value_(mine, clip_value, foreach=True) is None
    torch.nn.utils.clip_grad_value_(ref, clip_value, foreach=True)
    for p, q in zip(mine, ref):
        np.testing.assert_array_equal(p.grad.array, q.grad.numpy())


def test_deprecated_clip_grad_norm_warns_as_torch():
    mine, ref = _params([(3,)], 9)
    with pytest.warns(FutureWarning, match="clip_grad_norm` is now deprecated"):
        total = nn.utils.clip_grad_norm(mine, 1.0)
    with pytest.warns(FutureWarning):
        expected = torch.nn.utils.clip_grad_norm(ref, 1.0)
    np.testing.assert_allclose(total.array, expected.numpy())


def test_clip_errors():
    mine, _ = _params([(3,)], 1)
    with pytest.raises(TypeError, match="clip_grad_norm_: foreach must be None, True or False"):
        nn.utils.clip_grad_norm_(mine, 1.0, foreach="yes")
    with pytest.raises(TypeError, match="clip_grads_with_norm_: total_norm must be a Tensor"):
        nn.utils.clip_grads_with_norm_(mine, 1.0, 5.0)
    mine[0].grad.array[0] = np.inf
    with pytest.raises(RuntimeError, match="get_total_norm: the total norm of order 2.0"):
        nn.utils.get_total_norm([mine[0].grad], error_if_nonfinite=True)


# ------------------------------------------------------------------ parameter vectors
def test_parameters_to_vector_as_torch_with_gradient():
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s) for s in [(2, 3), (4,), (), (1, 0)]]
    mine = [nn.Parameter(gs.tensor(a)) for a in arrays]
    ref = [torch.nn.Parameter(torch.tensor(a)) for a in arrays]
    gv, tv = nn.utils.parameters_to_vector(mine), torch.nn.utils.parameters_to_vector(ref)
    np.testing.assert_array_equal(gv.array, tv.detach().numpy())
    up = rng.standard_normal(tv.shape)
    gv.backward(gs.tensor(up))
    tv.backward(torch.tensor(up))
    for p, q in zip(mine, ref):
        np.testing.assert_array_equal(p.grad.array, q.grad.numpy())


def test_vector_to_parameters_as_torch():
    mine_net = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    ref_net = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Linear(2, 1))
    n = sum(p.numel() for p in ref_net.parameters())
    vec = np.random.default_rng(1).standard_normal(n + 2).astype(np.float32)  # extra: ignored
    gvec = gs.tensor(vec)
    nn.utils.vector_to_parameters(gvec, mine_net.parameters())
    torch.nn.utils.vector_to_parameters(torch.tensor(vec), ref_net.parameters())
    for (name, p), (_, q) in zip(mine_net.named_parameters(), ref_net.named_parameters()):
        np.testing.assert_array_equal(p.array, q.detach().numpy(), err_msg=name)
        assert isinstance(p, nn.Parameter) and p.requires_grad
    gvec.array[0] = 42.0  # the parameters are views of vec, as torch's param.data = vec[...]
    assert mine_net[0].weight.array[0, 0] == 42.0
    np.testing.assert_array_equal(nn.utils.parameters_to_vector(mine_net.parameters()).array,
                                  vec[:n] * (np.arange(n) != 0) + 42.0 * (np.arange(n) == 0))


def test_parameter_vector_errors():
    params = [nn.Parameter(gs.zeros(2, 3)), nn.Parameter(gs.zeros(4))]
    with pytest.raises(ValueError, match="vector_to_parameters: vec has 9 elements but the 2 "
                                         "parameters hold 10"):
        nn.utils.vector_to_parameters(gs.zeros(9), params)
    with pytest.raises(TypeError, match="vector_to_parameters: expected a Tensor, but got: list"):
        nn.utils.vector_to_parameters([0.0] * 10, params)
    with pytest.raises(ValueError, match=r"vec must be 1-D, got shape \(2, 5\)"):
        nn.utils.vector_to_parameters(gs.zeros(2, 5), params)
    with pytest.raises(TypeError, match="parameters_to_vector: parameter 1 is a list"):
        nn.utils.parameters_to_vector([params[0], [1.0]])
    with pytest.raises(RuntimeError, match="parameters_to_vector: expected a non-empty"):
        nn.utils.parameters_to_vector([])
