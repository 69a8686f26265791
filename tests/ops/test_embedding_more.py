"""F.embedding's max_norm (in-place renorm of the looked-up rows), scale_grad_by_freq and
padding_idx together against torch; nn.Embedding passing them through; F.one_hot."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gradsheet as gs
import gradsheet.nn.functional as F
from gradsheet import nn
from tests.helpers import check_gradients, torch_or_skip

torch = torch_or_skip()


@settings(max_examples=40, deadline=None)
@given(indices=st.lists(st.integers(0, 5), min_size=0, max_size=12),
       padding_idx=st.sampled_from([None, 0, -1]), max_norm=st.sampled_from([None, 0.5, 1.5]),
       norm_type=st.sampled_from([2.0, 1.0, 3.0]), scale=st.booleans(), seed=st.integers(0, 2**16))
def test_embedding_options_match_torch(indices, padding_idx, max_norm, norm_type, scale, seed):
    table = np.random.default_rng(seed).standard_normal((6, 3))
    index = np.array(indices, dtype=np.int64).reshape(-1, 2) if len(indices) % 2 == 0 \
        else np.array(indices, dtype=np.int64)
    kwargs = dict(padding_idx=padding_idx, max_norm=max_norm, norm_type=norm_type,
                  scale_grad_by_freq=scale)
    ours_w, theirs_w = gs.tensor(table.copy(), requires_grad=True), \
        torch.tensor(table.copy(), requires_grad=True)
    ours = F.embedding(gs.tensor(index), ours_w, **kwargs)
    theirs = torch.nn.functional.embedding(torch.tensor(index), theirs_w, **kwargs)
    np.testing.assert_allclose(ours.array, theirs.detach().numpy(), rtol=1e-12)
    # max_norm changed the table itself, the same rows by the same factors
    np.testing.assert_allclose(ours_w.array, theirs_w.detach().numpy(), rtol=1e-12)
    upstream = np.random.default_rng(seed + 1).standard_normal(ours.shape)
    ours.backward(gs.tensor(upstream))
    theirs.backward(torch.tensor(upstream))
    expected = np.zeros_like(table) if theirs_w.grad is None else theirs_w.grad.numpy()
    np.testing.assert_allclose(ours_w.grad.array, expected, rtol=1e-12, atol=1e-15)


def test_max_norm_bumps_the_version_and_leaves_short_rows():
    w = gs.tensor([[3.0, 4.0], [0.3, 0.4], [6.0, 8.0]])
    F.embedding(gs.tensor([0, 1]), w, max_norm=1.0)
    np.testing.assert_allclose(w.array, [[0.6, 0.8], [0.3, 0.4], [6.0, 8.0]], rtol=1e-6)
    assert w._version == 1


def test_scale_grad_by_freq_is_the_gradient_divided_by_the_counts():
    # not a true gradient (a heuristic, as in torch): the plain one gradchecks, this one is it / n
    index = np.array([[1, 1, 2], [0, 1, 2]])
    table = np.random.default_rng(0).standard_normal((4, 2))
    check_gradients(lambda w: F.embedding(gs.tensor(index), w), [table])
    w = gs.tensor(table, requires_grad=True)
    upstream = np.random.default_rng(1).standard_normal((2, 3, 2))
    F.embedding(gs.tensor(index), w, scale_grad_by_freq=True).backward(gs.tensor(upstream))
    expected = np.zeros_like(table)
    np.add.at(expected, index.ravel(), upstream.reshape(-1, 2))
    counts = np.bincount(index.ravel(), minlength=4)
    np.testing.assert_allclose(w.grad.array, expected / np.maximum(counts, 1)[:, None], rtol=1e-12)


def test_layer_passes_the_options_through_and_repr_matches_torch():
    kwargs = dict(padding_idx=1, max_norm=1.0, norm_type=1.0, scale_grad_by_freq=True)
    ref = torch.nn.Embedding(5, 3, dtype=torch.float64, **kwargs)
    layer = nn.Embedding(5, 3, dtype="float64", **kwargs)
    layer.load_state_dict(ref.state_dict())
    index = np.array([[0, 3, 3], [1, 4, 0]])
    out, ref_out = layer(gs.tensor(index)), ref(torch.tensor(index))
    np.testing.assert_allclose(out.array, ref_out.detach().numpy(), rtol=1e-12)
    out.sum().backward()
    ref_out.sum().backward()
    np.testing.assert_allclose(layer.weight.grad.array, ref.weight.grad.numpy(), rtol=1e-12)
    assert repr(layer) == repr(ref)
    assert repr(nn.Embedding(4, 2, sparse=True)) == repr(torch.nn.Embedding(4, 2, sparse=True))


def test_from_pretrained_passes_the_options():
    frozen = nn.Embedding.from_pretrained(np.arange(6.0).reshape(3, 2), max_norm=1.0,
                                          scale_grad_by_freq=True)
    assert frozen.max_norm == 1.0 and frozen.scale_grad_by_freq and not frozen.weight.requires_grad
    out = frozen(gs.tensor([2]))
    np.testing.assert_allclose(np.linalg.norm(out.array), 1.0, rtol=1e-6)


# ---------------------------------------------------------------- one_hot
@settings(max_examples=30, deadline=None)
@given(shape=st.lists(st.integers(0, 3), max_size=3), extra=st.sampled_from([-1, 0, 2]),
       seed=st.integers(0, 2**16))
def test_one_hot_matches_torch(shape, extra, seed):
    labels = np.random.default_rng(seed).integers(0, 4, size=shape)
    if labels.size == 0 and extra == -1:
        return
    num_classes = -1 if extra == -1 else (int(labels.max()) + 1 if labels.size else 0) + extra + 1
    ours = F.one_hot(gs.tensor(labels), num_classes)
    theirs = torch.nn.functional.one_hot(torch.tensor(labels), num_classes)
    assert ours.dtype == np.int64
    np.testing.assert_array_equal(ours.array, theirs.numpy())


@pytest.mark.parametrize("call, error, match", [
    (lambda: F.one_hot(gs.tensor([0, 3]), 3), ValueError,
     r"one_hot: class values must be smaller than num_classes=3, got 3"),
    (lambda: F.one_hot(gs.tensor([0, -1]), 3), ValueError,
     r"one_hot: class values must be non-negative, got -1"),
    (lambda: F.one_hot(gs.tensor([0.0, 1.0]), 3), TypeError,
     r"one_hot: is only applicable to index tensors of dtype int64 .* got dtype float"),
    (lambda: F.one_hot(gs.tensor(np.array([0, 1], dtype=np.int32)), 3), TypeError,
     r"got dtype int32"),
    (lambda: F.one_hot(gs.tensor(np.zeros(0, dtype=np.int64))), ValueError,
     r"one_hot: can not infer the total number of classes from an empty tensor"),
    (lambda: F.embedding(gs.tensor([0]), gs.ones(3, 2), max_norm="1"), TypeError,
     r"embedding: max_norm must be a number"),
])
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()
