"""BatchNorm1d/2d, LayerNorm, GroupNorm as layers: training and eval against torch layers with
the same state, running statistics over several steps, state_dicts both ways, reprs, errors."""
import numpy as np
import pytest

import gradsheet as gs
import gradsheet.nn as nn
from tests.helpers import torch_or_skip

CASES = [  # (layer name, constructor args, input shape)
    ("BatchNorm1d", (3,), (6, 3)),
    ("BatchNorm1d", (3,), (4, 3, 5)),
    ("BatchNorm2d", (4,), (3, 4, 5, 2)),
    ("LayerNorm", ((5, 2),), (3, 4, 5, 2)),
    ("GroupNorm", (2, 4), (3, 4, 5)),
]
OPTIONS = {
    "BatchNorm1d": [{}, {"momentum": None}, {"affine": False}, {"track_running_stats": False},
                    {"momentum": 0.5, "eps": 1e-3, "bias": False}],
    "LayerNorm": [{}, {"elementwise_affine": False}, {"bias": False, "eps": 1e-2}],
    "GroupNorm": [{}, {"affine": False}, {"bias": False}],
}
OPTIONS["BatchNorm2d"] = OPTIONS["BatchNorm1d"]
PARAMS = [(name, args, shape, options) for name, args, shape in CASES
          for options in OPTIONS[name]]


def _pair(name, args, options, seed=0):
    """The same layer in gradsheet and torch (float64), with random weights, gradsheet's
    state loaded from torch's."""
    torch = torch_or_skip()
    layer_t = getattr(torch.nn, name)(*args, **options).double()
    with torch.no_grad():
        for p in layer_t.parameters():
            p.copy_(torch.tensor(np.random.default_rng(seed).standard_normal(p.shape)))
    layer = getattr(nn, name)(*args, **options).double()
    layer.load_state_dict({k: v.numpy() for k, v in layer_t.state_dict().items()})
    return layer, layer_t


def _step(layer, layer_t, x, upstream):
    torch = torch_or_skip()
    xg = gs.tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    out, out_t = layer(xg), layer_t(xt)
    np.testing.assert_allclose(out.array, out_t.detach().numpy(), rtol=1e-6, atol=1e-9)
    out.backward(gs.tensor(upstream))
    out_t.backward(torch.tensor(upstream))
    np.testing.assert_allclose(xg.grad.array, xt.grad.numpy(), rtol=1e-6, atol=1e-9)
    for (name, p), p_t in zip(layer.named_parameters(), layer_t.parameters()):
        np.testing.assert_allclose(p.grad.array, p_t.grad.numpy(), rtol=1e-6, atol=1e-9,
                                   err_msg=name)


@pytest.mark.parametrize("name, args, shape, options", PARAMS)
def test_five_training_steps_then_eval_match_torch(name, args, shape, options):
    layer, layer_t = _pair(name, args, options)
    rng = np.random.default_rng(1)
    for _ in range(5):
        x = rng.standard_normal(shape) * 2 + 1
        _step(layer, layer_t, x, rng.standard_normal(shape))
    for key, value in layer_t.state_dict().items():
        np.testing.assert_allclose(layer.state_dict()[key].array, value.numpy(), rtol=1e-10,
                                   err_msg=key)
    layer.eval()
    layer_t.eval()
    _step(layer, layer_t, rng.standard_normal(shape), rng.standard_normal(shape))


def test_eval_mode_normalizes_with_the_running_statistics():
    bn = nn.BatchNorm1d(2, dtype="float64")
    bn.running_mean.array[...] = [1.0, -2.0]
    bn.running_var.array[...] = [4.0, 0.25]
    bn.eval()
    x = np.array([[3.0, -1.0], [5.0, -2.0]])
    expected = (x - [1.0, -2.0]) / np.sqrt(np.array([4.0, 0.25]) + 1e-5)
    np.testing.assert_allclose(bn(gs.tensor(x)).array, expected)


def test_momentum_none_is_the_cumulative_average():
    bn = nn.BatchNorm1d(2, momentum=None, dtype="float64")
    batches = [np.random.default_rng(i).standard_normal((8, 2)) + i for i in range(4)]
    for x in batches:
        bn(gs.tensor(x))
    np.testing.assert_allclose(bn.running_mean.array, np.mean([b.mean(0) for b in batches], 0))
    np.testing.assert_allclose(bn.running_var.array,
                               np.mean([b.var(0, ddof=1) for b in batches], 0))
    assert int(bn.num_batches_tracked.array) == 4


def test_state_dict_keys_and_dtypes_are_torchs():
    torch = torch_or_skip()
    for name, args, _ in CASES:
        for options in OPTIONS[name]:
            ours = getattr(nn, name)(*args, **options).state_dict()
            theirs = getattr(torch.nn, name)(*args, **options).state_dict()
            assert list(ours) == list(theirs)
            for key in ours:
                assert ours[key].shape == tuple(theirs[key].shape)
                np.testing.assert_array_equal(ours[key].array, theirs[key].numpy())
    assert nn.BatchNorm2d(3).num_batches_tracked.dtype == np.int64


def test_torch_loads_our_state_dict():
    torch = torch_or_skip()
    bn = nn.BatchNorm2d(3, dtype="float64")
    for _ in range(2):
        bn(gs.randn(4, 3, 2, 2, dtype="float64"))
    bn_t = torch.nn.BatchNorm2d(3).double()
    bn_t.load_state_dict({k: torch.tensor(np.asarray(v.array)) for k, v in bn.state_dict().items()})
    assert int(bn_t.num_batches_tracked) == 2


@pytest.mark.parametrize("name, args, options", [(n, a, o) for n, a, _ in CASES
                                                 for o in OPTIONS[n]])
def test_repr_is_torchs(name, args, options):
    torch = torch_or_skip()
    assert repr(getattr(nn, name)(*args, **options)) == repr(getattr(torch.nn, name)(*args,
                                                                                       **options))


def test_float32_parameters_keep_float32():
    bn = nn.BatchNorm2d(3)
    out = bn(gs.randn(4, 3, 2, 2))
    out.sum().backward()
    assert out.dtype == np.float32 and bn.weight.grad.dtype == np.float32
    assert bn.running_var.dtype == np.float32


def test_track_running_stats_false_uses_batch_statistics_in_eval():
    bn = nn.BatchNorm1d(2, track_running_stats=False, affine=False).eval()
    x = gs.tensor([[1.0, 2.0], [3.0, 6.0]])
    np.testing.assert_allclose(bn(x).array, [[-1, -1], [1, 1]], atol=1e-4)


def test_reset_running_stats():
    bn = nn.BatchNorm1d(2)
    bn(gs.randn(5, 2) * 3 + 4)
    bn.reset_running_stats()
    np.testing.assert_array_equal(bn.running_mean.array, 0)
    np.testing.assert_array_equal(bn.running_var.array, 1)
    assert int(bn.num_batches_tracked.array) == 0


@pytest.mark.parametrize("call, match", [
    (lambda: nn.BatchNorm1d(3)(gs.zeros(1, 3)),
     r"expected more than 1 value per channel when training, got input of shape \(1, 3\)"),
    (lambda: nn.BatchNorm1d(3)(gs.zeros(4, 3, 2, 2)),
     r"BatchNorm1d: expected 2D or 3D input .* got 4D input of shape \(4, 3, 2, 2\)"),
    (lambda: nn.BatchNorm2d(3)(gs.zeros(4, 3, 2)),
     r"BatchNorm2d: expected 4D input .* got 3D input of shape \(4, 3, 2\)"),
    (lambda: nn.BatchNorm2d(3)(gs.zeros(4, 5, 2, 2)),
     r"running_mean of shape \(3,\) does not match the 5 channels of input of shape "
     r"\(4, 5, 2, 2\)"),
    (lambda: nn.BatchNorm2d(3, track_running_stats=False)(gs.zeros(4, 5, 2, 2)),
     r"weight of shape \(3,\) does not match the 5 channels"),
    (lambda: nn.LayerNorm(4)(gs.zeros(2, 5)),
     r"normalized_shape=\(4,\) expects input of shape \(\*, 4\), got shape \(2, 5\)"),
    (lambda: nn.GroupNorm(2, 4)(gs.zeros(2, 6)),
     r"weight of shape \(4,\) does not match the 6 channels of input of shape \(2, 6\)"),
    (lambda: nn.GroupNorm(4, 6), r"num_channels=6 must be divisible by num_groups=4"),
    (lambda: nn.BatchNorm1d(0), r"BatchNorm1d: num_features must be a positive integer, got 0"),
    (lambda: nn.BatchNorm2d(3, momentum=1.5), r"momentum must lie in \[0, 1\] .* got 1.5"),
    (lambda: nn.LayerNorm((3, 0)), r"normalized_shape must be a positive integer, got 0"),
])
def test_bad_inputs_name_the_values(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_a_batch_of_one_is_not_counted():
    bn = nn.BatchNorm1d(3)
    with pytest.raises(ValueError):
        bn(gs.zeros(1, 3))
    assert int(bn.num_batches_tracked.array) == 0
    bn.eval()
    assert bn(gs.zeros(1, 3)).shape == (1, 3)  # eval mode takes a single sample


@pytest.mark.parametrize("shape", [None, 2.5, float("nan"), object(), 1 + 2j, "ab", b"ab"])
def test_layer_norm_of_a_non_shape_names_the_argument(shape):
    """torch says only "'float' object is not iterable" (and takes "ab" character by
    character): here a TypeError names LayerNorm, normalized_shape and the value's type."""
    with pytest.raises(TypeError, match=rf"LayerNorm: normalized_shape must be an int or a "
                                        rf"sequence of ints, got .*\({type(shape).__name__}\)"):
        nn.LayerNorm(shape)
