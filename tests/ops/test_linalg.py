"""matmul (every NumPy/PyTorch case: vectors, matrices, batches with broadcast) and linear."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gradsheet as gs
from gradsheet.ops.linalg import linear
from tests.helpers import check_against_torch, check_gradients, random_inputs, torch_or_skip

torch = torch_or_skip()

MATMUL_SHAPES = [
    ((3,), (3,)),              # dot product -> 0-d
    ((3,), (3, 4)),            # vector @ matrix
    ((2, 3), (3,)),            # matrix @ vector
    ((2, 3), (3, 4)),
    ((5, 2, 3), (3, 4)),       # batch @ matrix
    ((2, 3), (5, 3, 4)),       # matrix @ batch
    ((5, 1, 2, 3), (4, 3, 2)),  # batch dims broadcast: (5, 1) with (4,)
    ((3,), (5, 3, 4)),         # vector @ batch
    ((5, 2, 3), (3,)),         # batch @ vector
    ((1, 2, 3), (6, 3, 1)),
]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES)
def test_matmul_matches_torch_and_gradchecks(shapes):
    arrays = random_inputs(shapes, seed=len(shapes[0]) + 3 * len(shapes[1]))
    out = check_against_torch(gs.matmul, torch.matmul, arrays)
    check_against_torch(lambda a, b: a @ b, lambda a, b: a @ b, arrays)
    assert out.shape == tuple(torch.matmul(*map(torch.tensor, arrays)).shape)
    check_gradients(lambda a, b: a.matmul(b), arrays)


@settings(max_examples=25, deadline=None)
@given(batch=st.lists(st.integers(1, 3), max_size=2), n=st.integers(1, 3), k=st.integers(1, 3),
       m=st.integers(1, 3), drop=st.sampled_from(["none", "a", "b"]), seed=st.integers(0, 99))
def test_matmul_property_batched_with_broadcast_batch_dims(batch, n, k, m, drop, seed):
    # the second operand's batch dims are the first's with some sizes replaced by 1
    batch_b = [1 if (i + seed) % 2 else size for i, size in enumerate(batch)]
    shape_a, shape_b = tuple(batch) + (n, k), tuple(batch_b) + (k, m)
    if drop == "a":
        shape_a = (k,)
    elif drop == "b":
        shape_b = (k,)
    check_against_torch(gs.matmul, torch.matmul, random_inputs([shape_a, shape_b], seed=seed))


def test_matmul_keeps_float32_and_gives_only_required_gradients():
    gs.manual_seed(0)
    a = gs.randn(2, 3, requires_grad=True)
    b = gs.randn(3, 4)
    y = a @ b
    assert y.dtype == np.float32
    y.sum().backward()
    assert a.grad.dtype == np.float32 and b.grad is None
    # (float32 sums in a different order: a relative 1e-6 is too tight for a sum near 0)
    np.testing.assert_allclose(a.grad.array, np.ones((2, 4)) @ b.array.T, rtol=1e-5, atol=1e-6)


def test_matmul_with_array_constants_on_either_side():
    x = gs.tensor(np.eye(2), requires_grad=True)
    constant = np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_allclose((constant @ x).array, constant)
    np.testing.assert_allclose((x @ constant).array, constant)
    (constant @ x).sum().backward()
    np.testing.assert_allclose(x.grad.array, constant.T @ np.ones((2, 2)))


@pytest.mark.parametrize("shape_a, shape_b, pattern", [
    ((2, 3), (4, 5), r"matmul: shapes \(2, 3\) and \(4, 5\) are not aligned.*\(3\).*\(4\)"),
    ((3,), (4,), r"matmul: shapes \(3,\) and \(4,\) are not aligned"),
    ((2, 3), (2,), r"matmul: shapes \(2, 3\) and \(2,\) are not aligned"),
    ((2, 2, 3), (3, 3, 4), (r"matmul: the batch dimensions of shapes \(2, 2, 3\) and "
                            r"\(3, 3, 4\) do not broadcast")),
    ((), (3,), r"matmul: both operands need at least 1 dimension.*\(\) and \(3,\)"),
])
def test_matmul_shape_mismatch_raises_naming_both_shapes(shape_a, shape_b, pattern):
    with pytest.raises(ValueError, match=pattern):
        gs.ones(shape_a) @ gs.ones(shape_b)


# ---------------------------------------------------------------- linear
@pytest.mark.parametrize("x_shape", [(4,), (5, 4), (2, 3, 4)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch_and_gradchecks(x_shape, bias):
    shapes = [x_shape, (3, 4)] + ([(3,)] if bias else [])
    arrays = random_inputs(shapes, seed=len(x_shape))
    check_against_torch(lambda *t: linear(*t), lambda *t: torch.nn.functional.linear(*t), arrays)
    check_gradients(lambda *t: linear(*t), arrays)


def test_linear_with_wrong_in_features_names_the_shapes():
    with pytest.raises(ValueError, match=r"linear: input of shape \(5, 3\) has 3 features, "
                                         r"but weight of shape \(2, 4\) expects in_features=4"):
        linear(gs.ones(5, 3), gs.ones(2, 4))
