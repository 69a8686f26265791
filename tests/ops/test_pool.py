"""Pooling against PyTorch (values, gradients, indices) over drawn configurations, gradchecks,
the output-size rule, memory layout, and every bad input."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gradsheet as gs
from gradsheet.ops import pool
from tests.helpers import check_against_torch, check_gradients, torch_or_skip


@st.composite
def pool_configs(draw, dims, dilation=True):
    """A legal (shape, kernel, stride, padding, dilation, ceil_mode) for a dims-d pooling."""
    kernel = tuple(draw(st.integers(1, 4)) for _ in range(dims))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(dims))
    padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)
    dil = tuple(draw(st.integers(1, 2)) for _ in range(dims)) if dilation else (1,) * dims
    ceil_mode = draw(st.booleans())
    sizes = tuple(d * (k - 1) + 1 + draw(st.integers(0, 5)) for k, d in zip(kernel, dil))
    batch = draw(st.sampled_from([(), (1,), (2,)]))
    shape = batch + (draw(st.integers(1, 3)),) + sizes
    return shape, kernel, stride, padding, dil, ceil_mode


def _data(shape, seed, ties):
    x = np.random.default_rng(seed).standard_normal(shape)
    return np.round(x) if ties else x  # rounding makes ties inside windows common


@settings(max_examples=40, deadline=None)
@given(pool_configs(2), st.integers(0, 2**16), st.booleans())
def test_max_pool2d_matches_torch(config, seed, ties):
    torch = torch_or_skip()
    shape, k, s, p, d, ceil = config
    check_against_torch(lambda x: pool.max_pool2d(x, k, s, p, d, ceil),
                        lambda x: torch.nn.functional.max_pool2d(x, k, s, p, d, ceil),
                        [_data(shape, seed, ties)])


@settings(max_examples=30, deadline=None)
@given(pool_configs(1), st.integers(0, 2**16), st.booleans())
def test_max_pool1d_matches_torch(config, seed, ties):
    torch = torch_or_skip()
    shape, k, s, p, d, ceil = config
    check_against_torch(lambda x: pool.max_pool1d(x, k, s, p, d, ceil),
                        lambda x: torch.nn.functional.max_pool1d(x, k, s, p, d, ceil),
                        [_data(shape, seed, ties)])


@settings(max_examples=25, deadline=None)
@given(pool_configs(2), st.integers(0, 2**16))
def test_max_pool_indices_match_torch(config, seed):
    torch = torch_or_skip()
    shape, k, s, p, d, ceil = config
    x = _data(shape, seed, ties=True)
    values, indices = pool.max_pool2d(gs.tensor(x), k, s, p, d, ceil, return_indices=True)
    expected, expected_indices = torch.nn.functional.max_pool2d(
        torch.tensor(x), k, s, p, d, ceil, return_indices=True)
    np.testing.assert_array_equal(values.array, expected.numpy())
    np.testing.assert_array_equal(indices.array, expected_indices.numpy())
    assert indices.dtype == np.int64


def test_indices_are_the_same_with_and_without_a_graph():
    x = np.random.default_rng(0).standard_normal((2, 3, 7, 7))
    _, free = pool.max_pool2d(gs.tensor(x), 3, 2, 1, return_indices=True)
    out, recorded = pool.max_pool2d(gs.tensor(x, requires_grad=True), 3, 2, 1,
                                    return_indices=True)
    np.testing.assert_array_equal(free.array, recorded.array)
    assert out.requires_grad and not recorded.requires_grad


@settings(max_examples=40, deadline=None)
@given(pool_configs(2, dilation=False), st.booleans(), st.sampled_from([None, 1, 3]),
       st.integers(0, 2**16))
def test_avg_pool2d_matches_torch(config, count_include_pad, divisor, seed):
    torch = torch_or_skip()
    shape, k, s, p, _, ceil = config
    check_against_torch(
        lambda x: pool.avg_pool2d(x, k, s, p, ceil, count_include_pad, divisor),
        lambda x: torch.nn.functional.avg_pool2d(x, k, s, p, ceil, count_include_pad, divisor),
        [_data(shape, seed, False)])


@settings(max_examples=30, deadline=None)
@given(pool_configs(1, dilation=False), st.booleans(), st.integers(0, 2**16))
def test_avg_pool1d_matches_torch(config, count_include_pad, seed):
    torch = torch_or_skip()
    shape, k, s, p, _, ceil = config
    check_against_torch(lambda x: pool.avg_pool1d(x, k, s, p, ceil, count_include_pad),
                        lambda x: torch.nn.functional.avg_pool1d(x, k, s, p, ceil,
                                                                 count_include_pad),
                        [_data(shape, seed, False)])


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 9), st.integers(1, 9), st.integers(1, 9), st.integers(1, 9),
       st.booleans(), st.integers(0, 2**16))
def test_adaptive_avg_pool2d_matches_torch(h, w, oh, ow, batched, seed):
    torch = torch_or_skip()
    shape = ((2,) if batched else ()) + (3, h, w)
    check_against_torch(lambda x: pool.adaptive_avg_pool2d(x, (oh, ow)),
                        lambda x: torch.nn.functional.adaptive_avg_pool2d(x, (oh, ow)),
                        [_data(shape, seed, False)])


@pytest.mark.parametrize("output_size", [1, 3, (None, 2), (4, None), 7])
def test_adaptive_avg_pool_sizes_and_1d_match_torch(output_size):
    torch = torch_or_skip()
    x = _data((2, 3, 8, 6), 0, False)
    check_against_torch(lambda t: pool.adaptive_avg_pool2d(t, output_size),
                        lambda t: torch.nn.functional.adaptive_avg_pool2d(t, output_size), [x])
    size = output_size if isinstance(output_size, int) else 2
    check_against_torch(lambda t: pool.adaptive_avg_pool1d(t, size),
                        lambda t: torch.nn.functional.adaptive_avg_pool1d(t, size), [x[:, :, 0]])


def test_global_average_pooling_is_the_spatial_mean():
    x = np.random.default_rng(0).standard_normal((2, 3, 5, 7))
    out = pool.adaptive_avg_pool2d(gs.tensor(x), 1)
    np.testing.assert_allclose(out.array[..., 0, 0], x.mean(axis=(2, 3)), rtol=1e-12)


@pytest.mark.parametrize("fn, args", [
    (pool.max_pool2d, (3, 2, 1, 2, True)),
    (pool.avg_pool2d, (3, 2, 1, True, False)),
    (pool.max_pool1d, (2, 1, 1)),
    (pool.avg_pool1d, (3, 2, 1, False, False)),
    (pool.adaptive_avg_pool2d, ((3, 2),)),
])
def test_gradcheck(fn, args):
    shape = (2, 2, 7) if fn in (pool.max_pool1d, pool.avg_pool1d) else (2, 2, 7, 6)
    # distinct values, no two within gradcheck's step of each other: max is differentiable
    x = np.random.default_rng(1).permutation(np.prod(shape)).reshape(shape) * 0.1
    check_gradients(lambda t: fn(t, *args), [x])


def test_small_example_by_hand():
    x = gs.tensor(np.arange(16.0).reshape(1, 1, 4, 4))
    np.testing.assert_array_equal(pool.max_pool2d(x, 2).array[0, 0], [[5, 7], [13, 15]])
    np.testing.assert_array_equal(pool.avg_pool2d(x, 2).array[0, 0], [[2.5, 4.5], [10.5, 12.5]])


def test_ties_send_the_gradient_to_the_first_maximum_only():
    x = gs.tensor(np.zeros((1, 1, 2, 2)), requires_grad=True)
    pool.max_pool2d(x, 2).sum().backward()
    np.testing.assert_array_equal(x.grad.array[0, 0], [[1, 0], [0, 0]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("fn", [pool.max_pool2d, pool.avg_pool2d])
def test_dtype_is_kept(dtype, fn):
    x = gs.tensor(np.ones((2, 3, 4, 4), dtype), requires_grad=True)
    out = fn(x, 2, 1, 1)
    out.sum().backward()
    assert out.dtype == dtype and x.grad.dtype == dtype


@pytest.mark.parametrize("fn", [pool.max_pool2d, pool.avg_pool2d])
def test_channel_major_layout_is_kept(fn):
    # the convolutions hand out (N, C, H, W) views of (C, H, W, N) arrays
    chwn = np.random.default_rng(0).standard_normal((3, 8, 8, 4)).astype(np.float32)
    x = gs.as_tensor(chwn.transpose(3, 0, 1, 2)).requires_grad_()
    out = fn(x, 2)
    assert out.array.strides[0] == out.dtype.itemsize  # batch innermost, as the input
    expected = fn(gs.tensor(np.ascontiguousarray(x.array)), 2).array
    np.testing.assert_array_equal(out.array, expected)


@pytest.mark.parametrize("node, options", [(pool.MaxPool, (False,)), (pool.AvgPool, (True, None))])
def test_a_gradient_in_another_layout_gives_the_same_gradient_in_the_inputs_layout(node, options):
    # a Flatten hands the pool a (N, C, H, W)-contiguous gradient for a (C, H, W, N) input
    rng = np.random.default_rng(1)
    chwn = np.maximum(rng.standard_normal((3, 8, 8, 4)), 0)  # ReLU'd: ties at zero
    g = rng.standard_normal((4, 3, 4, 4))
    grads = []
    for x in (chwn.transpose(3, 0, 1, 2), np.ascontiguousarray(chwn.transpose(3, 0, 1, 2))):
        function = node()
        function.forward(x, pool._Geometry("pool", x, 2, None, 0, 1, False, 2), *options)
        grads.append(function.backward(g))
    np.testing.assert_array_equal(grads[0], grads[1])
    assert grads[0].strides[0] == grads[0].itemsize  # batch innermost, as the input


def test_pool_output_size_formula():
    for W in range(1, 12):
        for F in range(1, 4):
            for S in range(1, 4):
                for P in range(F // 2 + 1):
                    floor = (W + 2 * P - F) // S + 1
                    assert pool.pool_output_size(W, F, P, S) == floor
                    ceil = pool.pool_output_size(W, F, P, S, ceil_mode=True)
                    # ceil adds one window exactly when S does not divide W + 2P - F and
                    # that window would start inside the input or its left padding
                    extra = (W + 2 * P - F) % S != 0 and floor * S < W + P
                    assert ceil == floor + extra


@pytest.mark.parametrize("fn, shape, args, match", [
    (pool.max_pool2d, (1, 1, 2, 2), (3,),
     r"max_pool2d: input of shape \(1, 1, 2, 2\) is too small along the height: W=2, F=3, "
     r"P=0, S=3, D=1 .* = 0"),
    (pool.avg_pool2d, (1, 1, 8, 2), ((2, 3), 1),
     r"avg_pool2d: .* along the width: W=2, F=3, P=0, S=1, D=1 .* = 0"),
    (pool.max_pool1d, (2, 3, 4), (3, 1, 1, 3),
     r"max_pool1d: .* along the length: W=4, F=3, P=1, S=1, D=3 .* = 0"),
    (pool.max_pool2d, (1, 1, 9, 9), (3, 1, 2), r"padding .* P=2 with F=3"),
    (pool.avg_pool1d, (1, 1, 9), (2, 0), r"stride must be positive, got stride=\(0,\)"),
    (pool.max_pool2d, (1, 9, 9), (0,), r"kernel_size must be positive"),
    (pool.max_pool2d, (3, 3), (2,), r"max_pool2d: expected a 3-d .* got shape \(3, 3\)"),
    (pool.max_pool1d, (1, 1, 3, 3), (2,), r"got shape \(1, 1, 3, 3\)"),
    (pool.adaptive_avg_pool2d, (1, 3, 3), (0,), r"output_size must be positive, got \(0, 0\)"),
    (pool.adaptive_avg_pool2d, (3, 3), (1,), r"got shape \(3, 3\)"),
    (pool.avg_pool2d, (1, 1, 4, 4), (2, 2, 0, False, True, 0), r"divisor_override .* got 0"),
])
def test_bad_inputs_name_the_values(fn, shape, args, match):
    with pytest.raises(ValueError, match=match):
        fn(gs.tensor(np.zeros(shape)), *args)


def test_kernel_size_of_the_wrong_type_is_a_type_error():
    with pytest.raises(TypeError, match=r"kernel_size must be an int or a tuple of 2 ints"):
        pool.max_pool2d(gs.zeros(1, 1, 4, 4), (2, 2, 2))
    with pytest.raises(TypeError, match="expected a Tensor, got ndarray"):
        pool.max_pool2d(np.zeros((1, 1, 4, 4)), 2)
