"""Activations: values and gradients against torch, gradchecks, stability at extreme inputs."""
import warnings

import numpy as np
import pytest

import gradsheet as gs
from gradsheet.ops import activation as A
from tests.helpers import check_against_torch, check_gradients, random_inputs, torch_or_skip

torch = torch_or_skip()
F = torch.nn.functional

# name -> (gradsheet, torch)
ACTIVATIONS = {
    "sigmoid": (A.sigmoid, torch.sigmoid),
    "tanh": (A.tanh, torch.tanh),
    "relu": (A.relu, torch.relu),
    "leaky_relu": (A.leaky_relu, F.leaky_relu),
    "leaky_relu 0.2": (lambda x: A.leaky_relu(x, negative_slope=0.2),
                       lambda x: F.leaky_relu(x, negative_slope=0.2)),
    "elu": (A.elu, F.elu),
    "elu alpha": (lambda x: A.elu(x, alpha=0.5), lambda x: F.elu(x, alpha=0.5)),
    "softplus": (A.softplus, F.softplus),
    "softplus beta threshold": (lambda x: A.softplus(x, beta=2.0, threshold=1.5),
                                lambda x: F.softplus(x, beta=2.0, threshold=1.5)),
    "silu": (A.silu, F.silu),
    "gelu": (A.gelu, F.gelu),
    "gelu tanh": (lambda x: A.gelu(x, approximate="tanh"),
                  lambda x: F.gelu(x, approximate="tanh")),
    "softmax 0": (lambda x: A.softmax(x, 0), lambda x: torch.softmax(x, 0)),
    "softmax -1": (lambda x: A.softmax(x, dim=-1), lambda x: F.softmax(x, dim=-1)),
    "log_softmax 1": (lambda x: A.log_softmax(x, 1), lambda x: torch.log_softmax(x, 1)),
    "log_softmax -1": (lambda x: A.log_softmax(x, dim=-1), lambda x: F.log_softmax(x, dim=-1)),
    "method sigmoid": (lambda x: x.sigmoid(), lambda x: x.sigmoid()),
    "method tanh": (lambda x: x.tanh(), lambda x: x.tanh()),
    "method relu": (lambda x: x.relu(), lambda x: x.relu()),
    "method softmax": (lambda x: x.softmax(-1), lambda x: x.softmax(-1)),
    "method log_softmax": (lambda x: x.log_softmax(0), lambda x: x.log_softmax(0)),
}
# Kinks at 0 (relu, leaky_relu, elu) make central differences meaningless there; random
# normal inputs stay away from 0.
SHAPES = [(7,), (3, 4), (2, 3, 2)]


@pytest.mark.parametrize("name, shape", [(name, shape) for name in ACTIVATIONS for shape in SHAPES
                                         if not (name.endswith(" 1") and len(shape) < 2)])
def test_activation_matches_torch_and_gradchecks(name, shape):
    gs_fn, torch_fn = ACTIVATIONS[name]
    arrays = [2.0 * a for a in random_inputs([shape], seed=len(name))]
    check_against_torch(gs_fn, torch_fn, arrays)
    check_gradients(gs_fn, arrays)


@pytest.mark.parametrize("name", [n for n in ACTIVATIONS if "softmax" not in n])
def test_activation_at_and_around_kinks_and_thresholds_matches_torch(name):
    gs_fn, torch_fn = ACTIVATIONS[name]
    points = np.array([-1.0, -1e-3, 0.0, 1e-3, 0.7, 0.75, 0.8, 10.0, 19.9, 20.0, 20.1, 25.0])
    check_against_torch(gs_fn, torch_fn, [points])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activation_keeps_the_dtype(name, dtype):
    gs_fn, _ = ACTIVATIONS[name]
    x = gs.randn(3, 4, dtype=dtype, requires_grad=True)
    y = gs_fn(x)
    assert y.dtype == dtype
    (y * y).sum().backward()
    assert x.grad.dtype == dtype


# ---------------------------------------------------------------- stability
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sigmoid_of_plus_minus_1000_is_exactly_1_and_0_without_warnings(dtype):
    x = gs.tensor([1000.0, -1000.0, 0.0], dtype=dtype, requires_grad=True)
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        y = x.sigmoid()
        y.sum().backward()
    assert y.array.tolist() == [1.0, 0.0, 0.5]
    assert x.grad.array.tolist() == [0.0, 0.0, 0.25]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", [n for n in ACTIVATIONS if "softmax" not in n])
def test_activation_at_extreme_inputs_is_finite_without_warnings(name, dtype):
    gs_fn, torch_fn = ACTIVATIONS[name]
    values = [-1000.0, -100.0, -30.0, 30.0, 100.0, 1000.0]
    x = gs.tensor(values, dtype=dtype, requires_grad=True)
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        y = gs_fn(x)
        y.sum().backward()
    assert np.all(np.isfinite(y.array)) and np.all(np.isfinite(x.grad.array))
    t = torch.tensor(values, dtype=getattr(torch, dtype), requires_grad=True)
    torch_fn(t).sum().backward()
    # atol: torch flushes float32 subnormals (sigmoid(-100) = 3.8e-44) to 0
    np.testing.assert_allclose(y.array, torch_fn(t.detach()).numpy(), rtol=1e-6, atol=1e-30)
    np.testing.assert_allclose(x.grad.array, t.grad.numpy(), rtol=1e-6, atol=1e-30)


LARGE_LOGITS = np.array([[1e4, 1e4 + 1.0, 1e4 - 2.0, -1e4],
                         [-1e4, -1e4 - 3.0, -1e4 + 0.5, -1e4]])


@pytest.mark.parametrize("name", [n for n in ACTIVATIONS if "softmax" in n])
def test_softmax_of_logits_around_1e4_matches_torch_without_nan(name):
    gs_fn, torch_fn = ACTIVATIONS[name]
    out = check_against_torch(gs_fn, torch_fn, [LARGE_LOGITS])
    assert not np.any(np.isnan(out.array))
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        x = gs.tensor(LARGE_LOGITS.astype(np.float32), requires_grad=True)
        y = gs_fn(x)
        (y * gs.randn(*y.shape)).sum().backward()
    assert y.dtype == np.float32
    assert np.all(np.isfinite(y.array)) and np.all(np.isfinite(x.grad.array))


def test_softmax_rows_sum_to_one_and_log_softmax_is_its_log():
    x = gs.randn(4, 5, dtype="float64")
    np.testing.assert_allclose(A.softmax(x, 1).sum(1).array, np.ones(4))
    np.testing.assert_allclose(A.log_softmax(x, 1).array, np.log(A.softmax(x, 1).array))


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("fn", [A.softmax, A.log_softmax])
def test_softmax_needs_a_valid_dim(fn):
    with pytest.raises(TypeError, match="pass dim="):
        fn(gs.ones(2, 3))
    with pytest.raises(IndexError, match=r"dim 2 is out of range for shape \(2, 3\)"):
        fn(gs.ones(2, 3), 2)


def test_gelu_rejects_an_unknown_approximation():
    with pytest.raises(ValueError, match="gelu: approximate must be 'none' or 'tanh', got 'erf'"):
        A.gelu(gs.ones(2), approximate="erf")
