"""F.pad against torch: constant (any rank, negative pads crop), reflect, replicate and circular
(values and gradients in float64), gradchecks, dtypes, and torch's limits as clear errors."""
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import gradsheet as gs
import gradsheet.nn.functional as F
from tests.helpers import check_against_torch, check_gradients, random_inputs, torch_or_skip

torch = torch_or_skip()


@st.composite
def constant_cases(draw):
    ndim = draw(st.integers(0, 4))
    shape = tuple(draw(st.lists(st.integers(0, 4), min_size=ndim, max_size=ndim)))
    k = draw(st.integers(0, ndim))
    pads = []
    for dim in range(ndim - 1, ndim - 1 - k, -1):
        left, right = draw(st.integers(-3, 3)), draw(st.integers(-3, 3))
        assume(shape[dim] + min(left, 0) + min(right, 0) >= 0)
        pads += [left, right]
    return shape, tuple(pads)


@st.composite
def border_cases(draw):
    mode = draw(st.sampled_from(["reflect", "replicate", "circular"]))
    k = draw(st.integers(1, 3))
    batched = draw(st.booleans())
    shape = ((draw(st.integers(0, 2)),) if batched else ()) + \
        tuple(draw(st.lists(st.integers(1, 4), min_size=k + 1, max_size=k + 1)))
    pads = []
    for dim in range(len(shape) - 1, len(shape) - 1 - k, -1):
        n = shape[dim]
        if mode == "reflect":
            left, right = draw(st.integers(-(n - 1), n - 1)), draw(st.integers(-(n - 1), n - 1))
        elif mode == "replicate":
            left, right = draw(st.integers(-(n - 1), 4)), draw(st.integers(-(n - 1), 4))
        else:  # torch reads memory it never wrote for a wrap across a crop: one sign per axis
            sign = draw(st.sampled_from([1, -1]))
            left, right = sign * draw(st.integers(0, n)), sign * draw(st.integers(0, n))
        assume(n + left + right >= 1)
        pads += [left, right]
    return mode, shape, tuple(pads)


@settings(max_examples=40, deadline=None)
@given(constant_cases(), st.sampled_from([None, 0.0, -1.5, 2.0, np.inf]), st.integers(0, 2**16))
def test_constant_pad_matches_torch(case, value, seed):
    shape, pads = case
    check_against_torch(lambda x: F.pad(x, pads, value=value),
                        lambda x: torch.nn.functional.pad(x, pads, value=value),
                        random_inputs([shape], seed=seed))


@settings(max_examples=60, deadline=None)
@given(border_cases(), st.integers(0, 2**16))
def test_reflect_replicate_circular_match_torch(case, seed):
    mode, shape, pads = case
    check_against_torch(lambda x: F.pad(x, pads, mode=mode),
                        lambda x: torch.nn.functional.pad(x, pads, mode=mode),
                        random_inputs([shape], seed=seed))


@pytest.mark.parametrize("mode, shape, pads", [
    ("constant", (2, 3, 4), (1, -2, 2, 0)),
    ("reflect", (1, 2, 4, 5), (3, 2, -1, 3)),
    ("replicate", (2, 2, 3, 3, 2), (2, 1, 0, 2, 3, -1)),
    ("circular", (2, 3, 4), (2, 4)),
])
def test_pad_gradchecks(mode, shape, pads):
    check_gradients(lambda x: F.pad(x, pads, mode=mode), random_inputs([shape], seed=3))


def test_reflect_with_repeated_values_and_specials():
    x = np.array([[[np.nan, -np.inf, 1.0, 1.0, np.inf]]])
    check_against_torch(lambda t: F.pad(t, (3, 4), mode="reflect"),
                        lambda t: torch.nn.functional.pad(t, (3, 4), mode="reflect"), [x])


@pytest.mark.parametrize("dtype", ["int64", "bool", "float32"])
def test_constant_value_is_cast_to_the_input_dtype_as_torch(dtype):
    x = np.arange(6).reshape(2, 3).astype(dtype)
    ours = F.pad(gs.tensor(x), (1, 2, 1, 0), value=1.5)
    theirs = torch.nn.functional.pad(torch.tensor(x), (1, 2, 1, 0), value=1.5)
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_array_equal(ours.array, theirs.numpy())


def test_integer_input_with_reflect_matches_torch():
    x = np.arange(10).reshape(2, 5)
    np.testing.assert_array_equal(F.pad(gs.tensor(x), (2, 3), mode="circular").array,
                                  torch.nn.functional.pad(torch.tensor(x), (2, 3),
                                                          mode="circular").numpy())


@pytest.mark.parametrize("call, error, match", [
    (lambda: F.pad(gs.ones(2, 3), (1,)), ValueError, r"pad: padding length must be divisible by 2"),
    (lambda: F.pad(gs.ones(2, 3), (1, 1) * 3), ValueError,
     r"pad: padding length should be less than or equal to two times the input dimension but "
     r"got padding length 6 and input of dimension 2"),
    (lambda: F.pad(gs.ones(2, 3), (1.5, 1)), TypeError, r"pad: pad must be a tuple of ints"),
    (lambda: F.pad(gs.ones(2, 3), (-2, -2)), ValueError,
     r"pad: padding \(-2, -2\) at dimension 1 of input \(2, 3\) crops more than"),
    (lambda: F.pad(gs.ones(2, 3), (1, 1), mode="wrap"), NotImplementedError,
     r"pad: unrecognised padding mode 'wrap'"),
    (lambda: F.pad(gs.ones(2, 3, 4), (1, 1), mode="reflect", value=1.0), ValueError,
     r"pad: padding mode 'reflect' doesn't take in value argument"),
    (lambda: F.pad(gs.ones(2, 3, 4, 5), (1, 1), mode="reflect"), NotImplementedError,
     r"pad: padding size 2 is not supported for 4D input tensor of shape \(2, 3, 4, 5\)"),
    (lambda: F.pad(gs.ones(3), (1, 1), mode="replicate"), NotImplementedError,
     r"padding size 2 is not supported for 1D input"),
    (lambda: F.pad(gs.ones(2, 3, 4), (4, 1), mode="reflect"), ValueError,
     r"pad: reflect padding size should be less than the corresponding input dimension, but got "
     r"padding \(4, 1\) at dimension 2 of input \(2, 3, 4\)"),
    (lambda: F.pad(gs.ones(2, 0, 4), (1, 1), mode="replicate"), ValueError,
     r"pad: mode 'replicate' expects .* other non-zero dimensions, but got shape \(2, 0, 4\)"),
    (lambda: F.pad(gs.ones(2, 3, 4), (5, 1), mode="circular"), ValueError,
     r"pad: circular padding \(5, 1\) at dimension 2 of input \(2, 3, 4\) wraps around more "
     r"than once"),
    (lambda: F.pad(gs.ones(2, 3, 5), (-3, -3), mode="replicate"), ValueError,
     r"pad: input of shape \(2, 3, 5\) is too small for padding \(-3, -3\) at dimension 2: the "
     r"output size -1"),
])
def test_bad_input_names_the_op_and_the_sizes(call, error, match):
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize("call", [
    lambda m: m.pad(m.ones(2, 3), (1,)),
    lambda m: m.pad(m.ones(2, 3, 4, 5), (1, 1), mode="reflect"),
    lambda m: m.pad(m.ones(2, 3, 4), (4, 1), mode="reflect"),
    lambda m: m.pad(m.ones(2, 3, 4), (5, 1), mode="circular"),
])
def test_torch_rejects_the_same_inputs(call):
    class Torch:
        ones = staticmethod(torch.ones)
        pad = staticmethod(torch.nn.functional.pad)
    with pytest.raises((RuntimeError, NotImplementedError)):
        call(Torch)
