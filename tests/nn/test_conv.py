"""Conv1d, Conv2d, ConvTranspose2d: against torch with copied weights, init bounds, repr and
attributes as torch's, every bad argument and input."""
import math

import numpy as np
import pytest

import gradsheet as gs
import gradsheet.nn as nn
from tests.helpers import random_inputs, torch_or_skip

torch = torch_or_skip()
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same'")  # torch's performance note

LAYERS = [
    ("Conv2d", (3, 6, 3), {}),
    ("Conv2d", (4, 6, (3, 2)), dict(stride=(2, 1), padding=1, dilation=(1, 2), groups=2)),
    ("Conv2d", (2, 4, 4), dict(padding="same", bias=False)),
    ("Conv2d", (2, 4, 3), dict(padding="valid", stride=2)),
    ("Conv1d", (3, 4, 3), dict(stride=2, padding=1)),
    ("Conv1d", (4, 4, 2), dict(padding="same", dilation=3, groups=4)),
    ("ConvTranspose2d", (4, 6, 3), dict(stride=2, padding=1, output_padding=1, groups=2)),
    ("ConvTranspose2d", (3, 2, (2, 3)), dict(dilation=2, bias=False)),
]


def _pair_of_layers(name, args, kwargs):
    ours = getattr(nn, name)(*args, **kwargs).double()
    theirs = getattr(torch.nn, name)(*args, **kwargs).double()
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(ours.weight.array))
        if ours.bias is not None:
            theirs.bias.copy_(torch.tensor(ours.bias.array))
    return ours, theirs


@pytest.mark.parametrize("name, args, kwargs", LAYERS)
@pytest.mark.parametrize("batched", [True, False])
def test_layer_matches_torch_with_copied_weights(name, args, kwargs, batched):
    ours, theirs = _pair_of_layers(name, args, kwargs)
    shape = (2, args[0]) + (7, 6)[: 1 if name == "Conv1d" else 2]
    x = random_inputs([shape if batched else shape[1:]], seed=len(kwargs))[0]
    x_gs, x_t = gs.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, y_t = ours(x_gs), theirs(x_t)
    np.testing.assert_allclose(y.array, y_t.detach().numpy(), rtol=1e-6, atol=1e-12)
    upstream = np.random.default_rng(0).standard_normal(y.shape)
    y.backward(gs.tensor(upstream))
    y_t.backward(torch.tensor(upstream))
    np.testing.assert_allclose(x_gs.grad.array, x_t.grad.numpy(), rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(ours.weight.grad.array, theirs.weight.grad.numpy(), rtol=1e-6)
    if ours.bias is not None:
        np.testing.assert_allclose(ours.bias.grad.array, theirs.bias.grad.numpy(), rtol=1e-6)


@pytest.mark.parametrize("name, args, kwargs", LAYERS)
def test_repr_attributes_and_state_match_torch(name, args, kwargs):
    ours, theirs = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    for attr in ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation",
                 "output_padding", "groups", "padding_mode", "transposed"):
        assert getattr(ours, attr) == getattr(theirs, attr), attr
    assert ours.weight.shape == tuple(theirs.weight.shape)
    assert sorted(ours.state_dict()) == sorted(theirs.state_dict())
    assert ours.weight.dtype == np.float32


@pytest.mark.parametrize("name, args, kwargs", LAYERS)
def test_default_init_bounds(name, args, kwargs):
    gs.manual_seed(0)
    layer = getattr(nn, name)(*args, **kwargs)
    w = layer.weight.array
    fan_in = w.shape[1] * math.prod(w.shape[2:])  # (in or out)/groups * kernel area
    bound = 1 / math.sqrt(fan_in)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.5 * bound
    if layer.bias is not None:
        assert np.abs(layer.bias.array).max() <= bound
    big = nn.Conv2d(8, 64, 3)
    bound = 1 / math.sqrt(8 * 9)
    # U(-b, b): max near b, standard deviation b / sqrt(3)
    assert 0.98 * bound < np.abs(big.weight.array).max() <= bound
    assert abs(big.weight.array.std() - bound / math.sqrt(3)) < 0.05 * bound


def test_conv_transpose_output_size_matches_torch():
    ours, theirs = _pair_of_layers("ConvTranspose2d", (2, 3, 3), dict(stride=3, padding=1))
    x = random_inputs([(1, 2, 4, 5)], seed=1)[0]
    for size in [(10, 13), (1, 3, 12, 15), [11, 14]]:
        expected = theirs(torch.tensor(x), output_size=size)
        got = ours(gs.tensor(x), output_size=size)
        np.testing.assert_allclose(got.array, expected.detach().numpy(), rtol=1e-6)
    with pytest.raises(ValueError, match=r"output_size \(13, 13\) is not reachable from input "
                                         r"\(1, 2, 4, 5\): dimension 0 must lie in \[10, 12\]"):
        ours(gs.tensor(x), output_size=(13, 13))


def test_small_cnn_trains_on_a_batch():
    gs.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 2, 3, stride=2),
                          nn.Flatten(), nn.Linear(2 * 3 * 3, 3))
    x, y = gs.randn(8, 1, 8, 8), gs.tensor(np.arange(8) % 3)
    optimizer = gs.optim.SGD(model.parameters(), lr=0.1)
    losses = []
    for _ in range(30):
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


@pytest.mark.parametrize("make, message", [
    (lambda: nn.Conv2d(4, 6, 3, groups=0), r"Conv2d: groups must be a positive integer, got 0"),
    (lambda: nn.Conv2d(3, 6, 3, groups=2), r"Conv2d: in_channels=3 must be divisible by groups=2"),
    (lambda: nn.Conv1d(4, 6, 3, groups=4), r"Conv1d: out_channels=6 must be divisible by groups=4"),
    (lambda: nn.Conv2d(0, 6, 3), r"Conv2d: in_channels must be a positive integer, got 0"),
    (lambda: nn.Conv2d(1, 6, 0), r"Conv2d: kernel_size must be positive, got kernel_size=\(0, 0\)"),
    (lambda: nn.Conv2d(1, 6, 3, padding=-1),
     r"Conv2d: padding must be non-negative, got padding=\(-1, -1\)"),
    (lambda: nn.Conv2d(1, 6, 3, padding="full"),
     r"Conv2d: invalid padding string 'full', should be one of 'same', 'valid'"),
    (lambda: nn.Conv2d(1, 6, 3, padding="same", stride=2),
     r"Conv2d: padding='same' is not supported for strided convolutions \(stride=\(2, 2\)\)"),
    (lambda: nn.Conv2d(1, 6, 3, padding_mode="reflect"),
     r"Conv2d: padding_mode='reflect' is not supported; only 'zeros' is"),
    (lambda: nn.ConvTranspose2d(1, 6, 3, padding="same"),
     r"ConvTranspose2d: padding='same' is not supported"),
    (lambda: nn.ConvTranspose2d(1, 6, 3, padding_mode="circular"),
     r"ConvTranspose2d: padding_mode='circular' is not supported"),
])
def test_bad_constructor_arguments_name_the_values(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_kernel_size_of_the_wrong_length_is_a_type_error_naming_it():
    with pytest.raises(TypeError, match=r"Conv2d: kernel_size must be an int or a tuple of 2 "
                                        r"ints, got 3 values \(3, 3, 3\)"):
        nn.Conv2d(1, 6, (3, 3, 3))


def test_too_small_input_names_the_layer_and_the_formula_values():
    layer = nn.Conv2d(1, 16, 5, stride=2, padding=1)
    with pytest.raises(ValueError, match=r"Conv2d\(1, 16, kernel_size=\(5, 5\), stride=\(2, 2\), "
                                         r"padding=\(1, 1\)\): input of shape \(1, 1, 2, 9\) is "
                                         r"too small: .* height: W=2, F=5, P=1, S=2, D=1 give "
                                         r"N=0$"):
        layer(gs.zeros(1, 1, 2, 9))
    with pytest.raises(ValueError, match=r"ConvTranspose2d\(.*\): input of shape .* too small"):
        nn.ConvTranspose2d(1, 1, 1, padding=2)(gs.zeros(1, 1, 3, 3))


def test_wrong_channels_or_rank_name_the_shapes():
    layer = nn.Conv2d(3, 8, 3)
    with pytest.raises(ValueError, match=r"Conv2d\(3, 8, .*\): input of shape \(2, 4, 9, 9\) has 4 "
                                         r"channels, but weight of shape \(8, 3, 3, 3\)"):
        layer(gs.zeros(2, 4, 9, 9))
    with pytest.raises(ValueError, match=r"Conv2d\(3, 8, .*\): expected a 3-D \(unbatched\) or 4-D "
                                         r"\(batched\) input, got shape \(2, 3, 1, 9, 9\)"):
        layer(gs.zeros(2, 3, 1, 9, 9))
    with pytest.raises(ValueError, match=r"Conv1d\(.*\): expected a 2-D .* got shape \(5,\)"):
        nn.Conv1d(1, 1, 1)(gs.zeros(5))
