"""MaxPool1d/2d with return_indices (torch's flat indices, NaN and all -inf windows included)
and MaxUnpool1d/2d with F.max_unpool1d/2d: values and gradients against torch in float64,
duplicate indices, output_size, reprs, errors."""
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import gradsheet as gs
import gradsheet.nn.functional as F
from gradsheet import nn
from gradsheet.ops.pool import pool_output_size
from tests.helpers import check_gradients, torch_or_skip
from tests.nn.layer_compare import compare_layers

torch = torch_or_skip()
TF = torch.nn.functional


@st.composite
def pools(draw, dims):
    """(kernel, stride, padding, dilation, ceil_mode, input shape) that torch accepts."""
    k = draw(st.integers(1, 3))
    stride = draw(st.integers(1, 3))
    padding = draw(st.integers(0, k // 2))
    dilation = draw(st.integers(1, 2))
    ceil = draw(st.booleans())
    span = dilation * (k - 1) + 1
    sizes = tuple(draw(st.integers(max(1, span - 2 * padding), 7)) for _ in range(dims))
    for size in sizes:  # every window reads some input (torch's index is garbage otherwise)
        n = pool_output_size(size, k, padding, stride, dilation, ceil)
        starts = np.arange(n)[:, None] * stride - padding + np.arange(k)[None, :] * dilation
        assume(np.all(np.any((starts >= 0) & (starts < size), axis=1)))
    lead = draw(st.sampled_from([(2, 3), (1, 2), (0, 2), (3,)]))
    return k, stride, padding, dilation, ceil, lead + sizes


def _values(rng, shape, special):
    """Small integers (many ties), with NaN, inf and -inf sprinkled in when ``special``."""
    a = rng.integers(-3, 3, shape).astype(float)
    if special:
        for value, rate in ((np.nan, 0.1), (np.inf, 0.1), (-np.inf, 0.4)):
            a[rng.random(shape) < rate] = value
    return a


@pytest.mark.parametrize("dims", [1, 2])
@pytest.mark.parametrize("special", [False, True])
@settings(max_examples=15, deadline=None)
@given(data=st.data(), seed=st.integers(0, 2**16))
def test_max_pool_layer_indices_and_gradients_match_torch(dims, special, data, seed):
    k, s, p, d, ceil, shape = data.draw(pools(dims))
    name = f"MaxPool{dims}d"
    ours = getattr(nn, name)(k, s, p, d, return_indices=True, ceil_mode=ceil)
    theirs = getattr(torch.nn, name)(k, s, p, d, return_indices=True, ceil_mode=ceil)
    x = _values(np.random.default_rng(seed), shape, special)
    out, indices = compare_layers(ours, theirs, [x])
    _, expected = theirs(torch.tensor(x))
    assert indices.array.dtype == np.int64
    np.testing.assert_array_equal(indices.array, expected.numpy())


def test_max_pool_indices_of_nan_and_all_minus_inf_windows():
    nan, inf = np.nan, np.inf
    rows = [[1.0, nan, 2.0, nan], [nan, 1.0, nan, 2.0], [nan] * 4, [-inf] * 4, [3, 3, 3, 3]]
    x = np.array(rows)[:, None, :]
    for padding in (0, 1):
        ours = nn.MaxPool1d(3, 1, padding, return_indices=True)
        theirs = torch.nn.MaxPool1d(3, 1, padding, return_indices=True)
        compare_layers(ours, theirs, [x])
        np.testing.assert_array_equal(ours(gs.tensor(x))[1].array,
                                      theirs(torch.tensor(x))[1].numpy())


@pytest.mark.parametrize("dims", [1, 2])
@settings(max_examples=15, deadline=None)
@given(data=st.data(), seed=st.integers(0, 2**16), random_indices=st.booleans())
def test_max_unpool_layer_matches_torch(dims, data, seed, random_indices):
    k, s, p, _, _, shape = data.draw(pools(dims))
    rng = np.random.default_rng(seed)
    x = torch.tensor(rng.standard_normal(shape))
    pooled, indices = getattr(TF, f"max_pool{dims}d")(x, k, s, p, return_indices=True)
    ours, theirs = getattr(nn, f"MaxUnpool{dims}d")(k, s, p), getattr(torch.nn, f"MaxUnpool{dims}d")(k, s, p)
    try:
        size = theirs(pooled, indices).shape[-dims:]
    except RuntimeError:  # padding can put a max past the default output size: both raise
        with pytest.raises(RuntimeError, match="invalid max index"):
            ours(gs.tensor(pooled.numpy()), gs.tensor(indices.numpy()))
        return
    if int(np.prod(size)) == 0:
        return
    plane = int(np.prod(size))
    per_plane = int(np.prod(indices.shape[-dims:]))
    if random_indices and per_plane <= plane:  # any distinct positions of each output plane
        rows = [rng.permutation(plane)[:per_plane] for _ in range(indices.numel() // per_plane)]
        indices = torch.tensor(np.array(rows, np.int64).reshape(tuple(indices.shape)))
    compare_layers(ours, theirs, [pooled.numpy(), indices.numpy()])


@pytest.mark.parametrize("output_size", [(5, 5), (1, 1, 5, 5), [4, 5], (5, 4)])
def test_max_unpool2d_output_size_matches_torch(output_size):
    rng = np.random.default_rng(0)
    pooled, indices = TF.max_pool2d(torch.tensor(rng.standard_normal((1, 1, 5, 5))), 2,
                                    return_indices=True)
    compare_layers(nn.MaxUnpool2d(2), torch.nn.MaxUnpool2d(2), [pooled.numpy(), indices.numpy()],
                   kwargs={"output_size": output_size})


def test_max_unpool1d_output_size_and_unbatched_input():
    rng = np.random.default_rng(1)
    pooled, indices = TF.max_pool1d(torch.tensor(rng.standard_normal((3, 7))), 2, 2,
                                    return_indices=True)
    for kwargs in ({}, {"output_size": [7]}, {"output_size": (1, 3, 7)}):
        compare_layers(nn.MaxUnpool1d(2), torch.nn.MaxUnpool1d(2),
                       [pooled.numpy(), indices.numpy()], kwargs=kwargs)


def test_duplicate_indices_write_the_later_input_and_gather_the_gradient():
    # torch's CPU kernel writes inputs in order but documents duplicates as nondeterministic;
    # gradsheet fixes the rule: the later input (row-major) wins, every input gets g[index]
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 3, 3, 2))
    idx = rng.integers(0, 3, x.shape)  # 6 inputs per plane into 3 of its 6 positions
    xt = gs.tensor(x, requires_grad=True)
    y = F.max_unpool2d(xt, gs.tensor(idx), 1)
    expected = np.zeros((2, 3, 3, 2))
    for n, c in np.ndindex(2, 3):
        for k in range(6):
            expected[n, c].flat[idx[n, c].flat[k]] = x[n, c].flat[k]
    np.testing.assert_array_equal(y.array, expected)
    g = rng.standard_normal(y.shape)
    y.backward(gs.tensor(g))
    gathered = np.take_along_axis(g.reshape(2, 3, 6), idx.reshape(2, 3, 6), axis=2)
    np.testing.assert_array_equal(xt.grad.array, gathered.reshape(x.shape))


def test_pool_then_unpool_round_trip_keeps_the_maxima():
    x = gs.tensor(np.arange(16.0).reshape(1, 1, 4, 4))
    y, i = nn.MaxPool2d(2, return_indices=True)(x)
    z = nn.MaxUnpool2d(2)(y, i)
    expected = np.zeros((4, 4))
    expected[1::2, 1::2] = [[5, 7], [13, 15]]
    np.testing.assert_array_equal(z.array[0, 0], expected)


def test_functional_max_unpool_matches_torch_and_gradchecks():
    rng = np.random.default_rng(2)
    x = torch.tensor(rng.standard_normal((2, 2, 4, 6)))
    pooled, indices = TF.max_pool2d(x, (2, 3), return_indices=True)
    ours = F.max_unpool2d(gs.tensor(pooled.numpy()), gs.tensor(indices.numpy()), (2, 3))
    np.testing.assert_array_equal(ours.array, TF.max_unpool2d(pooled, indices, (2, 3)).numpy())
    index = gs.tensor(indices.numpy())
    check_gradients(lambda v: F.max_unpool2d(v, index, (2, 3)), [pooled.numpy()])
    p1, i1 = TF.max_pool1d(x[0], 3, 2, 1, return_indices=True)
    ours = F.max_unpool1d(gs.tensor(p1.numpy()), gs.tensor(i1.numpy()), 3, 2, 1, [6])
    np.testing.assert_array_equal(ours.array, TF.max_unpool1d(p1, i1, 3, 2, 1, [6]).numpy())


def test_zero_size_batches():
    for dims, shape in ((2, (0, 2, 2, 2)), (2, (0, 2, 2)), (1, (0, 2, 3)), (1, (0, 3))):
        x = np.zeros(shape)
        idx = np.zeros(shape, np.int64)
        theirs = getattr(torch.nn, f"MaxUnpool{dims}d")(2)
        compare_layers(getattr(nn, f"MaxUnpool{dims}d")(2), theirs, [x, idx])


@pytest.mark.parametrize("expression", ["MaxUnpool1d(2)", "MaxUnpool1d(3, 2, 1)", "MaxUnpool2d(2)",
                                        "MaxUnpool2d((2, 3), 1, (1, 0))", "MaxUnpool2d([2, 3])",
                                        "MaxPool2d(2, return_indices=True)",
                                        "MaxPool1d(3, 2, 1, 2, True, True)"])
def test_repr_and_attributes_match_torch(expression):
    ours, theirs = eval("nn." + expression), eval("torch.nn." + expression)
    assert repr(ours) == repr(theirs)
    for key, value in vars(theirs).items():
        if not key.startswith("_") and key != "training":
            assert getattr(ours, key) == value, key


def _unpool(x, idx, **kwargs):
    return F.max_unpool2d(gs.tensor(x), gs.tensor(idx), 2, **kwargs)


@pytest.mark.parametrize("call, error, match", [
    (lambda: _unpool(np.zeros((1, 1, 2, 2)), np.full((1, 1, 2, 2), 16)), RuntimeError,
     r"max_unpool2d: found an invalid max index 16 \(output volumes are of size 4x4\)"),
    (lambda: _unpool(np.zeros((1, 1, 2, 2)), np.full((1, 1, 2, 2), -1)), RuntimeError,
     "max_unpool2d: found an invalid max index -1"),
    (lambda: _unpool(np.zeros((1, 1, 2, 2)), np.zeros((1, 1, 2, 2), np.int32)), RuntimeError,
     "max_unpool2d: elements in indices should be type int64 but got int32"),
    (lambda: _unpool(np.zeros((1, 1, 2, 2)), np.zeros((1, 1, 2, 1), np.int64)), RuntimeError,
     r"max_unpool2d: expected shape of indices to be same as that of the input tensor "
     r"\(1, 1, 2, 2\) but got indices tensor with shape \(1, 1, 2, 1\)"),
    (lambda: _unpool(np.zeros((2, 2)), np.zeros((2, 2), np.int64)), RuntimeError,
     r"max_unpool2d: expected a 3-D \(unbatched\) or 4-D \(batched\) input, got a tensor of "
     r"shape \(2, 2\)"),
    (lambda: _unpool(np.zeros((1, 0, 2, 2)), np.zeros((1, 0, 2, 2), np.int64)), RuntimeError,
     "max_unpool2d: expected input to have non-zero size for non-batch dimensions"),
    (lambda: _unpool(np.zeros((1, 1, 2, 2), np.int64), np.zeros((1, 1, 2, 2), np.int64)),
     NotImplementedError, "max_unpool2d: not implemented for dtype int64"),
    (lambda: _unpool(np.zeros((1, 1, 2, 2)), np.zeros((1, 1, 2, 2), np.int64),
                     output_size=(6, 5)), ValueError,
     r"max_unpool2d: invalid output_size \(6, 5\) \(dim 0 must be between 2 and 6, exclusive\)"),
    (lambda: _unpool(np.zeros((1, 1, 2, 2)), np.zeros((1, 1, 2, 2), np.int64),
                     output_size=(1, 5, 5)), ValueError,
     "max_unpool2d: output_size should be a sequence containing 2 or 4 elements, but it has a "
     "length of '3'"),
    (lambda: F.max_unpool2d(gs.zeros(1, 1, 2, 2), gs.zeros(1, 1, 2, 2).long(), 2.5), TypeError,
     "max_unpool2d: kernel_size must be an int or a tuple of 2 ints, got float 2.5"),
    (lambda: F.max_unpool1d(gs.zeros(3), gs.zeros(3).long(), 2), RuntimeError,
     r"max_unpool1d: expected a 2-D \(unbatched\) or 3-D \(batched\) input"),
    (lambda: nn.MaxUnpool2d(2)(np.zeros((1, 1, 2, 2)), gs.zeros(1, 1, 2, 2).long()), TypeError,
     "MaxUnpool2d: input must be a Tensor, got ndarray"),
])
def test_bad_input_raises(call, error, match):
    with pytest.raises(error, match=match):
        call()
