"""ConvTranspose1d and F.conv_transpose1d against torch: values and input/weight/bias
gradients in float64 with torch's weights over drawn shapes and arguments, output_size,
reprs, state dicts, init bounds, errors."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gradsheet as gs
import gradsheet.nn.functional as F
from gradsheet import nn
from tests.helpers import check_gradients, torch_or_skip
from tests.nn.layer_compare import compare_layers

torch = torch_or_skip()


@settings(max_examples=25, deadline=None)
@given(groups=st.integers(1, 2), cin=st.integers(1, 2), cout=st.integers(1, 2),
       k=st.integers(1, 4), stride=st.integers(1, 3), padding=st.integers(0, 2),
       dilation=st.integers(1, 2), extra=st.integers(0, 2), bias=st.booleans(),
       length=st.integers(1, 5), batch=st.sampled_from([None, 0, 1, 3]), seed=st.integers(0, 99))
def test_layer_matches_torch_on_drawn_arguments(groups, cin, cout, k, stride, padding, dilation,
                                                extra, bias, length, batch, seed):
    output_padding = min(extra, max(stride, dilation) - 1)
    size = (length - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1
    if size < 1:
        return
    args = (cin * groups, cout * groups, k, stride, padding, output_padding, groups, bias,
            dilation)
    torch.manual_seed(seed)
    theirs = torch.nn.ConvTranspose1d(*args)
    ours = nn.ConvTranspose1d(*args)
    shape = (cin * groups, length) if batch is None else (batch, cin * groups, length)
    x = np.random.default_rng(seed).standard_normal(shape)
    (out,) = compare_layers(ours, theirs, [x])
    assert out.shape[-1] == size


def test_output_size_matches_torch():
    torch.manual_seed(0)
    ours, theirs = nn.ConvTranspose1d(2, 3, 3, stride=3, padding=1), \
        torch.nn.ConvTranspose1d(2, 3, 3, stride=3, padding=1)
    x = np.random.default_rng(1).standard_normal((2, 2, 4))
    for size in ([10], (11,), [2, 3, 12], (12,)):
        compare_layers(ours, theirs, [x], kwargs={"output_size": size})
    with pytest.raises(ValueError, match=r"output_size \(13,\) is not reachable from input "
                                         r"\(2, 2, 4\): dimension 0 must lie in \[10, 12\]"):
        ours(gs.tensor(x), output_size=(13,))
    with pytest.raises(ValueError, match="must have 1 or 3 elements"):
        ours(gs.tensor(x), output_size=(1, 12))


def test_functional_conv_transpose1d_matches_torch_and_gradchecks():
    rng = np.random.default_rng(2)
    x, w, b = rng.standard_normal((2, 4, 5)), rng.standard_normal((4, 3, 3)), rng.standard_normal(6)
    kwargs = dict(stride=2, padding=1, output_padding=1, groups=2, dilation=1)
    ours = F.conv_transpose1d(gs.tensor(x), gs.tensor(w), gs.tensor(b), **kwargs)
    theirs = torch.nn.functional.conv_transpose1d(torch.tensor(x), torch.tensor(w),
                                                  torch.tensor(b), **kwargs)
    np.testing.assert_allclose(ours.array, theirs.numpy(), rtol=1e-9, atol=1e-12)
    check_gradients(lambda a, c, d: F.conv_transpose1d(a, c, d, stride=2, padding=1,
                                                       output_padding=1, groups=2),
                    [x[:1, :, :3], w, b])


@pytest.mark.parametrize("args, kwargs", [
    ((2, 3, 4), {}), ((2, 4, 3, 2, 1, 1, 2, False, 1), {}), ((2, 4, 3), {"dilation": 2}),
    ((3, 3, (2,)), {"stride": (3,), "padding": (1,)})])
def test_repr_attributes_state_dict_and_init_as_torch(args, kwargs):
    gs.manual_seed(0)
    ours, theirs = nn.ConvTranspose1d(*args, **kwargs), torch.nn.ConvTranspose1d(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    for attr in ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation",
                 "output_padding", "groups", "padding_mode", "transposed"):
        assert getattr(ours, attr) == getattr(theirs, attr), attr
    ours_state, theirs_state = ours.state_dict(), theirs.state_dict()
    assert list(ours_state) == list(theirs_state)
    for key in theirs_state:
        assert tuple(ours_state[key].shape) == tuple(theirs_state[key].shape)
    assert ours.weight.dtype == np.float32
    fan_in = ours.weight.shape[1] * ours.weight.shape[2]  # out_channels / groups * k, as torch
    bound = 1 / math.sqrt(fan_in)
    assert np.abs(ours.weight.array).max() <= bound
    if ours.bias is not None:
        assert np.abs(ours.bias.array).max() <= bound
    assert nn.ConvTranspose1d(*args, dtype=gs.float64, **kwargs).weight.dtype == np.float64


@pytest.mark.parametrize("make, error, match", [
    (lambda: nn.ConvTranspose1d(2, 3, 3, padding="same"), ValueError,
     "ConvTranspose1d: padding='same' is not supported"),
    (lambda: nn.ConvTranspose1d(2, 3, 3, padding_mode="reflect"), ValueError,
     "ConvTranspose1d: padding_mode='reflect' is not supported"),
    (lambda: nn.ConvTranspose1d(3, 4, 3, groups=2), ValueError,
     "ConvTranspose1d: in_channels=3 must be divisible by groups=2"),
    (lambda: nn.ConvTranspose1d(2, 3, (3, 3)), TypeError,
     r"ConvTranspose1d: kernel_size must be an int or a tuple of 1 ints, got 2 values \(3, 3\)"),
    (lambda: nn.ConvTranspose1d(2, 3, 3)(gs.zeros(1, 3, 4)), ValueError,
     r"input of shape \(1, 3, 4\) has 3 channels, but weight of shape \(2, 3, 3\) expects 2"),
    (lambda: nn.ConvTranspose1d(2, 3, 3)(gs.zeros(1, 1, 2, 4)), ValueError,
     r"expected a 2-D \(unbatched\) or 3-D \(batched\) input, got shape \(1, 1, 2, 4\)"),
    (lambda: F.conv_transpose1d(gs.zeros(1, 2, 4), gs.zeros(2, 3, 3), output_padding=2,
                                stride=2), ValueError,
     r"conv_transpose1d: output_padding=\(2,\) must be smaller than either stride=\(2,\) or "
     r"dilation=\(1,\)"),
    (lambda: F.conv_transpose1d(gs.zeros(1, 2, 1), gs.zeros(2, 3, 1), padding=1), ValueError,
     r"conv_transpose1d: input of shape \(1, 2, 1\) is too small"),
])
def test_bad_arguments_raise(make, error, match):
    with pytest.raises(error, match=match):
        make()
