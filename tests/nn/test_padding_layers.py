"""Zero/Constant/Reflection/Replication/CircularPad1d-3d against torch's layers: values and
input gradients in float64 over drawn paddings (asymmetric, negative ones that crop) and
batched/unbatched inputs, reprs and attributes, errors."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gradsheet as gs
from gradsheet import nn
from tests.helpers import check_gradients, torch_or_skip
from tests.nn.layer_compare import compare_layers

torch = torch_or_skip()

MODES = ["Zero", "Constant", "Reflection", "Replication", "Circular"]


def _make(module, mode, dims, padding):
    args = (padding, 1.5) if mode == "Constant" else (padding,)
    return getattr(module, f"{mode}Pad{dims}d")(*args)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dims", [1, 2, 3])
@settings(max_examples=8, deadline=None)
@given(data=st.data(), batched=st.booleans(), as_int=st.booleans(), seed=st.integers(0, 99))
def test_padding_layer_matches_torch(mode, dims, data, batched, as_int, seed):
    sizes = data.draw(st.tuples(*[st.integers(3, 4)] * dims))  # > 2: a -1, -1 crop leaves 1
    low = -1 if mode != "Circular" else 0
    # reflection needs padding < size, circular at most the size; 1 fits every mode here
    if as_int:
        padding = data.draw(st.integers(low, 1))
    else:
        padding = tuple(data.draw(st.integers(low, 1)) for _ in range(2 * dims))
    shape = ((2, 3) if batched else (3,)) + sizes
    x = np.random.default_rng(seed).standard_normal(shape)
    compare_layers(_make(nn, mode, dims, padding), _make(torch.nn, mode, dims, padding), [x])


@pytest.mark.parametrize("mode", MODES)
def test_large_paddings_and_gradcheck(mode):
    x = np.random.default_rng(1).standard_normal((2, 5, 4))
    padding = (3, 2, 0, 3)  # reflection: < size; circular: <= size
    compare_layers(_make(nn, mode, 2, padding), _make(torch.nn, mode, 2, padding), [x])
    check_gradients(_make(nn, mode, 2, padding).double(), [x[:1]])


def test_constant_pads_accept_any_rank_and_value_as_torch():
    x = np.random.default_rng(2).standard_normal((2, 2, 3, 2, 2))
    for ours, theirs in [(nn.ConstantPad1d(2, -4.0), torch.nn.ConstantPad1d(2, -4.0)),
                         (nn.ConstantPad2d((1, 0, 2, 1), 7), torch.nn.ConstantPad2d((1, 0, 2, 1), 7)),
                         (nn.ZeroPad3d((1, 1, 0, 0, 2, 0)), torch.nn.ZeroPad3d((1, 1, 0, 0, 2, 0))),
                         (nn.ZeroPad1d((-1, 2)), torch.nn.ZeroPad1d((-1, 2)))]:
        compare_layers(ours, theirs, [x])


REPRS = ["ZeroPad1d(2)", "ZeroPad1d((1, 2))", "ZeroPad2d(2)", "ZeroPad2d((1, 2, 3, 4))",
         "ZeroPad3d(1)", "ConstantPad1d(2, 3.5)", "ConstantPad2d((1, 2, 3, 4), 1)",
         "ConstantPad3d(1, 0)", "ReflectionPad1d(2)", "ReflectionPad2d(1)",
         "ReflectionPad3d((1, 1, 1, 1, 1, 1))", "ReplicationPad1d(1)", "ReplicationPad2d([1, 2, 0, 1])",
         "ReplicationPad3d(1)", "CircularPad1d(1)", "CircularPad2d(1)",
         "CircularPad3d((1, 2, 0, 1, 1, 0))"]


@pytest.mark.parametrize("expression", REPRS)
def test_repr_and_attributes_match_torch(expression):
    ours, theirs = eval("nn." + expression), eval("torch.nn." + expression)
    assert repr(ours) == repr(theirs)
    for key, value in vars(theirs).items():
        if not key.startswith("_") and key != "training":
            assert getattr(ours, key) == value, key
    assert list(ours.state_dict()) == []


@pytest.mark.parametrize("dims, ndim", [(1, 1), (1, 4), (2, 2), (2, 5), (3, 3), (3, 6)])
def test_circular_pads_check_the_rank_as_torch(dims, ndim):
    x = gs.zeros(*(3,) * ndim)
    with pytest.raises(ValueError, match=f"CircularPad{dims}d: expected {dims + 1}D or "
                                         f"{dims + 2}D input \\(got {ndim}D input"):
        getattr(nn, f"CircularPad{dims}d")(1)(x)
    with pytest.raises(ValueError):
        getattr(torch.nn, f"CircularPad{dims}d")(1)(torch.zeros((3,) * ndim))


@pytest.mark.parametrize("layer, shape, error, match", [
    (nn.ReflectionPad1d(3), (1, 2, 3), ValueError,
     "pad: reflect padding size should be less than the corresponding input dimension"),
    (nn.CircularPad1d(4), (1, 2, 3), ValueError, "wraps around more than once"),
    (nn.ReplicationPad2d(1), (3, 3), NotImplementedError, "padding size 4 is not supported for 2D"),
    (nn.ConstantPad1d((1, 2, 3), 0), (2, 3), ValueError, "padding length must be divisible by 2"),
    (nn.ZeroPad1d(-3), (2, 3), ValueError, "crops more than the dimension's size"),
    (nn.ReflectionPad1d(-1), (3, 2), ValueError, "the output size 0 would be less than 1"),
])
def test_bad_paddings_raise(layer, shape, error, match):
    with pytest.raises(error, match=match):
        layer(gs.zeros(*shape))
