"""Embedding and F.embedding against torch (lookup and scatter-add gradient with repeated
indices, padding_idx), init, from_pretrained, and bad input."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gradsheet as gs
import gradsheet.nn.functional as F
from gradsheet import nn
from tests.helpers import torch_or_skip


@pytest.mark.parametrize("index_shape", [(7,), (3, 4), (2, 3, 2), ()])
@pytest.mark.parametrize("padding_idx", [None, 2, -1])
def test_embedding_matches_torch(index_shape, padding_idx):
    torch = torch_or_skip()
    ref = torch.nn.Embedding(6, 3, padding_idx=padding_idx, dtype=torch.float64)
    layer = nn.Embedding(6, 3, padding_idx=padding_idx, dtype="float64")
    layer.load_state_dict(ref.state_dict())
    # few rows, many positions: most indices repeat, and the padding row is among them
    indices = np.random.default_rng(0).integers(0, 6, size=index_shape)
    out, ref_out = layer(gs.tensor(indices)), ref(torch.tensor(indices))
    np.testing.assert_array_equal(out.array, ref_out.detach().numpy())
    upstream = np.random.default_rng(1).standard_normal(out.shape)
    out.backward(gs.tensor(upstream))
    ref_out.backward(torch.tensor(upstream))
    np.testing.assert_allclose(layer.weight.grad.array, ref.weight.grad.numpy(), rtol=1e-12,
                               atol=1e-15)
    assert repr(layer) == repr(ref)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 9), min_size=0, max_size=40), st.integers(1, 4))
def test_scatter_add_equals_np_add_at(indices, dim):
    weight = gs.tensor(np.random.default_rng(len(indices)).standard_normal((10, dim)),
                       requires_grad=True)
    index = np.array(indices, dtype=np.int64)
    out = F.embedding(gs.tensor(index), weight)
    upstream = np.random.default_rng(dim).standard_normal(out.shape)
    out.backward(gs.tensor(upstream))
    expected = np.zeros((10, dim))
    np.add.at(expected, index, upstream)
    np.testing.assert_allclose(weight.grad.array, expected, rtol=1e-12, atol=1e-15)


def test_padding_row_starts_at_zero_and_gets_no_gradient():
    gs.manual_seed(0)
    layer = nn.Embedding(5, 4, padding_idx=-2)
    assert layer.padding_idx == 3 and not np.any(layer.weight.array[3])
    assert layer.weight.dtype == np.float32
    layer(gs.tensor([[3, 3, 1]])).sum().backward()
    assert not np.any(layer.weight.grad.array[3])
    np.testing.assert_array_equal(layer.weight.grad.array[1], np.ones(4, dtype=np.float32))


def test_default_init_is_standard_normal():
    gs.manual_seed(0)
    values = nn.Embedding(1000, 50).weight.array
    # mean and std of 50,000 N(0, 1) draws: within 6 standard errors
    assert abs(values.mean()) < 6 / np.sqrt(values.size)
    assert abs(values.std() - 1) < 6 / np.sqrt(2 * values.size)


def test_from_pretrained_copies_and_freezes():
    table = np.arange(6.0).reshape(3, 2)
    frozen = nn.Embedding.from_pretrained(table)
    np.testing.assert_array_equal(frozen(gs.tensor([2, 0])).array, [[4.0, 5.0], [0.0, 1.0]])
    assert not frozen.weight.requires_grad
    table[0, 0] = 99.0  # a copy, not a view
    assert frozen.weight.array[0, 0] == 0.0
    trainable = nn.Embedding.from_pretrained(gs.tensor(table), freeze=False)
    assert trainable.weight.requires_grad and trainable.weight.dtype == np.float64


@pytest.mark.parametrize("call, error, match", [
    (lambda e: e(gs.tensor([1, 5])), IndexError, r"index 5 is out of range for num_embeddings=5"),
    (lambda e: e(gs.tensor([-1])), IndexError, r"index -1 is out of range for num_embeddings=5"),
    (lambda e: e(gs.tensor([1.0])), TypeError, r"indices must be integers, got dtype float"),
    (lambda e: F.embedding(gs.tensor([0]), e.weight, padding_idx=5), ValueError,
     r"padding_idx=5 must lie in \[-5, 5\) for num_embeddings=5"),
    (lambda e: F.embedding(gs.tensor([0]), gs.zeros(5)), ValueError,
     r"weight must be 2-D.*got shape \(5,\)"),
    (lambda e: nn.Embedding(5, 2, padding_idx=7), ValueError,
     r"padding_idx=7 must be within num_embeddings=5"),
    (lambda e: nn.Embedding(-1, 2), ValueError, r"num_embeddings must be a non-negative"),
    (lambda e: nn.Embedding.from_pretrained(np.zeros(3)), ValueError, r"2-D, got shape \(3,\)"),
])
def test_bad_input_names_the_values(call, error, match):
    with pytest.raises(error, match=match):
        call(nn.Embedding(5, 2))
