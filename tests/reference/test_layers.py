"""Linear, Conv2d, pooling, batch norm and layer norm against their line-by-line references."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gradsheet as gs
from gradsheet import reference
from gradsheet.nn import functional as F
from tests.helpers import check_against_torch, torch_or_skip
from tests.reference.oracle import check_against_reference

seeds = st.integers(0, 2**16)


@settings(max_examples=15, deadline=None)
@given(batch=st.sampled_from([(), (3,), (2, 3)]), n_in=st.integers(1, 5), n_out=st.integers(1, 5),
       bias=st.booleans(), seed=seeds)
def test_linear(batch, n_in, n_out, bias, seed):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(batch + (n_in,)), rng.standard_normal((n_out, n_in))]
    arrays += [rng.standard_normal(n_out)] if bias else []
    check_against_reference(F.linear, reference.linear, arrays)


@st.composite
def convolutions(draw):
    """(x shape, weight shape, keyword arguments) of a valid conv2d."""
    groups = draw(st.integers(1, 2))
    C, C_out = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = draw(st.sampled_from(["same", "valid", 0, 1, (1, 0)]))
    stride = 1 if padding == "same" else (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    H = draw(st.integers(dilation[0] * (kh - 1) + 1, 7))
    W = draw(st.integers(dilation[1] * (kw - 1) + 1, 7))
    batch = draw(st.sampled_from([(), (1,), (2,)]))
    return batch + (C, H, W), (C_out, C // groups, kh, kw), dict(stride=stride, padding=padding,
                                                             dilation=dilation, groups=groups)


@settings(max_examples=15, deadline=None)
@given(case=convolutions(), bias=st.booleans(), seed=seeds)
def test_conv2d_by_unfold_and_matmul(case, bias, seed):
    x_shape, w_shape, kwargs = case
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(x_shape), rng.standard_normal(w_shape)]
    arrays += [rng.standard_normal(w_shape[0])] if bias else []
    check_against_reference(lambda *a: F.conv2d(*a, **kwargs),
                            lambda *a: reference.conv2d(*a, **kwargs), arrays)


@st.composite
def poolings(draw, dilated=True):
    """(x shape, keyword arguments) of a valid 2-d pooling (padding at most half the kernel)."""
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = draw(st.sampled_from([None, 1, 2, (2, 1)]))
    padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2))) if dilated else (1, 1)
    span = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    H, W = (draw(st.integers(max(1, s - 2 * p), 7)) for s, p in zip(span, padding))
    kwargs = dict(kernel_size=kernel, stride=stride, padding=padding,
                  ceil_mode=draw(st.booleans()))
    if dilated:
        kwargs["dilation"] = dilation
    return draw(st.sampled_from([(), (2,)])) + (2, H, W), kwargs


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")  # a window of padding only
@settings(max_examples=15, deadline=None)
@given(case=poolings(), seed=seeds)
def test_max_pool2d_by_unfold(case, seed):
    shape, kwargs = case
    x = np.random.default_rng(seed).standard_normal(shape)
    check_against_reference(lambda x: F.max_pool2d(x, **kwargs),
                            lambda x: reference.max_pool2d(x, **kwargs), [x])


def test_max_pool2d_ties_go_to_the_first_maximum_as_in_the_fused_op():
    x = np.array([[[[1.0, 1.0, 0.0], [1.0, 1.0, 2.0], [2.0, 0.0, 2.0]]]])
    check_against_reference(lambda x: F.max_pool2d(x, 2, 1), lambda x: reference.max_pool2d(x, 2, 1),
                            [x])


@settings(max_examples=15, deadline=None)
@given(case=poolings(dilated=False), include_pad=st.booleans(),
       divisor=st.sampled_from([None, None, 3]), seed=seeds)
def test_avg_pool2d_by_unfold(case, include_pad, divisor, seed):
    shape, kwargs = case
    kwargs.update(count_include_pad=include_pad, divisor_override=divisor)
    x = np.random.default_rng(seed).standard_normal(shape)
    check_against_reference(lambda x: F.avg_pool2d(x, **kwargs),
                            lambda x: reference.avg_pool2d(x, **kwargs), [x])


@settings(max_examples=20, deadline=None)
@given(shape=st.sampled_from([(4, 3), (2, 3, 5), (3, 2, 2, 3)]), affine=st.booleans(),
       training=st.booleans(), momentum=st.sampled_from([0.1, 0.5]), seed=seeds)
def test_batch_norm_values_gradients_and_running_statistics(shape, affine, training, momentum,
                                                            seed):
    rng = np.random.default_rng(seed)
    C = shape[1]
    arrays = [rng.standard_normal(shape) * 3 + 1]
    arrays += [rng.standard_normal(C), rng.standard_normal(C)] if affine else []
    mean0, var0 = rng.standard_normal(C), rng.random(C) + 0.5
    running = {}

    def call(batch_norm, name):
        def run(x, *affine_params):
            stats = running[name] = (gs.tensor(mean0.copy()), gs.tensor(var0.copy()))
            return batch_norm(x, *stats, *affine_params, training=training, momentum=momentum,
                              eps=1e-3)
        return run
    check_against_reference(call(F.batch_norm, "fused"), call(reference.batch_norm, "ref"), arrays)
    for fused_stat, ref_stat in zip(running["fused"], running["ref"]):
        np.testing.assert_allclose(fused_stat.array, ref_stat.array, rtol=1e-12)
    if training:  # the running statistics did move
        assert not np.allclose(running["ref"][0].array, mean0)


def test_the_reference_batch_norm_running_statistics_are_torch_s():
    torch = torch_or_skip()
    x = np.random.default_rng(3).standard_normal((5, 2, 3))
    mean, var = gs.zeros(2, dtype="float64"), gs.ones(2, dtype="float64")
    reference.batch_norm(gs.tensor(x), mean, var, training=True, momentum=0.3)
    t_mean, t_var = torch.zeros(2, dtype=torch.float64), torch.ones(2, dtype=torch.float64)
    torch.nn.functional.batch_norm(torch.tensor(x), t_mean, t_var, training=True, momentum=0.3)
    np.testing.assert_allclose(mean.array, t_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(var.array, t_var.numpy(), rtol=1e-12)


@settings(max_examples=20, deadline=None)
@given(shape=st.sampled_from([(5,), (3, 4), (2, 3, 4)]), k=st.integers(1, 2),
       affine=st.booleans(), seed=seeds)
def test_layer_norm(shape, k, affine, seed):
    k = min(k, len(shape))
    normalized = shape[len(shape) - k:]
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(shape) * 2]
    arrays += [rng.standard_normal(normalized), rng.standard_normal(normalized)] if affine else []
    check_against_reference(lambda x, *p: F.layer_norm(x, normalized, *p),
                            lambda x, *p: reference.layer_norm(x, normalized, *p), arrays)


def test_the_reference_conv_and_pools_are_torch_s():
    """The oracles themselves against torch (F.unfold is shared with the fused conv's im2col)."""
    torch = torch_or_skip()
    rng = np.random.default_rng(11)
    x, w, b = rng.standard_normal((2, 4, 7, 6)), rng.standard_normal((6, 2, 3, 2)), \
        rng.standard_normal(6)
    conv = dict(stride=(2, 1), padding=1, dilation=(1, 2), groups=2)
    check_against_torch(lambda *a: reference.conv2d(*a, **conv),
                        lambda *a: torch.nn.functional.conv2d(*a, **conv), [x, w, b])
    pool = dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)
    check_against_torch(lambda x: reference.max_pool2d(x, **pool),
                        lambda x: torch.nn.functional.max_pool2d(x, **pool), [x])
    check_against_torch(lambda x: reference.avg_pool2d(x, **pool, count_include_pad=False),
                        lambda x: torch.nn.functional.avg_pool2d(x, **pool,
                                                                 count_include_pad=False), [x])
