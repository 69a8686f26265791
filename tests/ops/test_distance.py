"""F.normalize, F.cosine_similarity and F.pairwise_distance against torch in float64 (values and
gradients for every p, zero vectors, ties, norms below eps, broadcasting), gradchecks, errors."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import gradsheet as gs
import gradsheet.nn.functional as F
from tests.helpers import check_against_torch, check_gradients, random_inputs, torch_or_skip

torch = torch_or_skip()

P = [2.0, 1.0, 0.5, 1.5, 3.0, float("inf"), 0.0]


def edgy(arrays, style):
    """Normal arrays; rounded (zeros and ties), or scaled below the ops' eps."""
    if style == "rounded":
        return [np.round(a) for a in arrays]
    if style == "tiny":
        return [a * 1e-13 for a in arrays]
    return arrays


@settings(max_examples=60, deadline=None)
@given(shape=st.lists(st.integers(1, 3), min_size=1, max_size=3), p=st.sampled_from(P),
       style=st.sampled_from(["normal", "rounded", "tiny"]), seed=st.integers(0, 2**16),
       data=st.data())
def test_normalize_matches_torch(shape, p, style, seed, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    check_against_torch(lambda x: F.normalize(x, p=p, dim=dim),
                        lambda x: torch.nn.functional.normalize(x, p=p, dim=dim),
                        edgy(random_inputs([shape], seed=seed), style))


def test_normalize_over_several_dims_and_zero_size():
    check_against_torch(lambda x: F.normalize(x, dim=(0, 2)),
                        lambda x: torch.nn.functional.normalize(x, dim=(0, 2)),
                        random_inputs([(2, 3, 2)], seed=0))
    check_against_torch(lambda x: F.normalize(x), lambda x: torch.nn.functional.normalize(x),
                        random_inputs([(0, 3)], seed=0))


@settings(max_examples=60, deadline=None)
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=1, max_dims=3, max_side=3),
       style=st.sampled_from(["normal", "rounded", "tiny"]), seed=st.integers(0, 2**16),
       data=st.data())
def test_cosine_similarity_matches_torch(shapes, style, seed, data):
    ndim = len(shapes.result_shape)
    dim = data.draw(st.integers(-ndim, ndim - 1))
    check_against_torch(lambda a, b: F.cosine_similarity(a, b, dim=dim),
                        lambda a, b: torch.nn.functional.cosine_similarity(a, b, dim=dim),
                        edgy(random_inputs(shapes.input_shapes, seed=seed), style))


def test_cosine_similarity_below_eps_keeps_the_norm_gradient_as_torch():
    # ||x1|| = 1e-9 < eps: the value divides by eps, the gradient still flows through the norm
    check_against_torch(lambda a, b: F.cosine_similarity(a, b, dim=0),
                        lambda a, b: torch.nn.functional.cosine_similarity(a, b, dim=0),
                        [np.array([1e-9, 0.0]), np.array([1e-3, 0.0])])
    check_against_torch(lambda a, b: F.cosine_similarity(a, b, dim=0),
                        lambda a, b: torch.nn.functional.cosine_similarity(a, b, dim=0),
                        [np.array([0.0, 0.0]), np.array([1.0, 2.0])])
    check_against_torch(lambda a, b: F.cosine_similarity(a, b, dim=0),
                        lambda a, b: torch.nn.functional.cosine_similarity(a, b, dim=0),
                        [np.array(2.0), np.array(-3.0)])


@settings(max_examples=60, deadline=None)
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
       p=st.sampled_from(P), keepdim=st.booleans(),
       style=st.sampled_from(["normal", "rounded"]), seed=st.integers(0, 2**16))
def test_pairwise_distance_matches_torch(shapes, p, keepdim, style, seed):
    check_against_torch(lambda a, b: F.pairwise_distance(a, b, p=p, keepdim=keepdim),
                        lambda a, b: torch.nn.functional.pairwise_distance(a, b, p=p,
                                                                           keepdim=keepdim),
                        edgy(random_inputs(shapes.input_shapes, seed=seed), style))


@pytest.mark.parametrize("fn", [
    lambda a, b: F.normalize(a, p=3.0, dim=0),
    lambda a, b: F.cosine_similarity(a, b),
    lambda a, b: F.pairwise_distance(a, b, p=1.5),
])
def test_gradchecks(fn):
    check_gradients(fn, random_inputs([(3, 4), (3, 4)], seed=5))


def test_integer_inputs_as_torch():
    a, b = np.arange(6).reshape(2, 3), np.ones(3, dtype=np.int64)
    ours = F.pairwise_distance(gs.tensor(a), gs.tensor(b))
    theirs = torch.nn.functional.pairwise_distance(torch.tensor(a), torch.tensor(b))
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours.array, theirs.numpy(), rtol=1e-6)


@pytest.mark.parametrize("call, error, match", [
    (lambda: F.normalize(gs.ones(3), dim=1), IndexError,
     r"normalize: dim 1 is out of range for a tensor of 1 dimensions"),
    (lambda: F.normalize(gs.tensor([1, 2])), TypeError,
     r"normalize: expected a floating point tensor as input, got dtype int64"),
    (lambda: F.normalize(gs.zeros(3, 0), p=float("inf")), ValueError,
     r"normalize: cannot compute the inf norm over an empty dimension \(input shape \(3, 0\)"),
    (lambda: F.cosine_similarity(gs.tensor([1, 2]), gs.tensor([1, 2]), dim=0), TypeError,
     r"cosine_similarity: expected common dtype to be floating point, yet common dtype is int64"),
    (lambda: F.cosine_similarity(gs.ones(2, 3), gs.ones(4, 3)), ValueError,
     r"cosine_similarity: shapes \(2, 3\) and \(4, 3\) do not broadcast"),
    (lambda: F.pairwise_distance(gs.ones(2, 3), gs.ones(4)), ValueError,
     r"pairwise_distance: shapes \(2, 3\) and \(4,\) do not broadcast"),
    (lambda: F.pairwise_distance(gs.ones(2, 3), gs.ones(3), p="fro"), TypeError,
     r"pairwise_distance: p must be a number"),
])
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()
