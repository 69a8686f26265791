"""F.unfold (im2col) and F.fold (col2im) against torch in float64 (values and gradients, batched,
unbatched, empty batch), fold as unfold's adjoint, gradchecks, and bad input."""
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import gradsheet as gs
import gradsheet.nn.functional as F
from tests.helpers import check_against_torch, check_gradients, random_inputs, torch_or_skip

torch = torch_or_skip()


@st.composite
def fold_cases(draw):
    pair = st.tuples
    geometry = dict(kernel_size=draw(pair(st.integers(1, 3), st.integers(1, 3))),
                    dilation=draw(pair(st.integers(1, 2), st.integers(1, 2))),
                    padding=draw(pair(st.integers(0, 2), st.integers(0, 2))),
                    stride=draw(pair(st.integers(1, 3), st.integers(1, 3))))
    size = (draw(st.integers(1, 6)), draw(st.integers(1, 6)))
    for n, k, d, p, s in zip(size, *(geometry[key] for key in
                                      ("kernel_size", "dilation", "padding", "stride"))):
        assume((n + 2 * p - d * (k - 1) - 1) // s + 1 >= 1)
    batch = draw(st.sampled_from([(), (0,), (1,), (2,)]))
    return batch + (draw(st.integers(1, 2)),) + size, geometry


@settings(max_examples=50, deadline=None)
@given(fold_cases(), st.integers(0, 2**16))
def test_unfold_and_fold_match_torch(case, seed):
    shape, geometry = case
    cols = check_against_torch(lambda x: F.unfold(x, **geometry),
                               lambda x: torch.nn.functional.unfold(x, **geometry),
                               random_inputs([shape], seed=seed))
    check_against_torch(lambda c: F.fold(c, shape[-2:], **geometry),
                        lambda c: torch.nn.functional.fold(c, shape[-2:], **geometry),
                        random_inputs([cols.shape], seed=seed + 1))


def test_fold_is_the_adjoint_of_unfold():
    x, = random_inputs([(2, 3, 5, 6)], seed=0)
    geometry = dict(kernel_size=(2, 3), dilation=(2, 1), padding=1, stride=(1, 2))
    cols = F.unfold(gs.tensor(x), **geometry).array
    c, = random_inputs([cols.shape], seed=1)
    back = F.fold(gs.tensor(c), (5, 6), **geometry).array
    np.testing.assert_allclose(np.sum(cols * c), np.sum(x * back), rtol=1e-12)


def test_gradchecks():
    geometry = dict(kernel_size=2, dilation=1, padding=1, stride=2)
    x, = random_inputs([(1, 2, 3, 4)], seed=2)
    check_gradients(lambda t: F.unfold(t, **geometry), [x])
    cols = F.unfold(gs.tensor(x), **geometry)
    check_gradients(lambda c: F.fold(c, (3, 4), **geometry),
                    random_inputs([cols.shape], seed=3))


@pytest.mark.parametrize("call, error, match", [
    (lambda: F.unfold(gs.ones(4, 5), 2), ValueError,
     r"unfold: expected a 3D or 4D .* got shape \(4, 5\)"),
    (lambda: F.unfold(gs.ones(2, 0, 4, 5), 2), ValueError, r"unfold: .* got shape \(2, 0, 4, 5\)"),
    (lambda: F.unfold(gs.ones(1, 1, 4, 5), 0), ValueError,
     r"unfold: kernel_size must be positive, got kernel_size=\(0, 0\)"),
    (lambda: F.unfold(gs.ones(1, 1, 4, 5), 2, stride=0), ValueError,
     r"unfold: stride must be positive, got stride=\(0, 0\)"),
    (lambda: F.unfold(gs.ones(1, 1, 4, 5), 2, padding=-1), ValueError,
     r"unfold: padding must be non-negative, got padding=\(-1, -1\)"),
    (lambda: F.unfold(gs.ones(1, 1, 4, 5), (2, 3, 4)), TypeError,
     r"unfold: kernel_size must be an int or a tuple of 2 ints, got 3 values \(2, 3, 4\)"),
    (lambda: F.unfold(gs.ones(1, 1, 1, 5), 2), ValueError,
     r"unfold: given input with spatial size \(1, 5\), kernel_size=\(2, 2\), .* the number of "
     r"sliding blocks is 0 x 4"),
    (lambda: F.fold(gs.ones(2, 13, 6), (3, 4), 2), ValueError,
     r"fold: expected size of input's dimension 1 to be divisible by the product of kernel_size, "
     r"but got input.size\(1\)=13 and kernel_size=\(2, 2\)"),
    (lambda: F.fold(gs.ones(2, 12, 5), (3, 4), 2), ValueError,
     r"fold: given output_size=\(3, 4\).* calculated number of sliding blocks 2 \* 3 = 6, but "
     r"got input.size\(2\)=5"),
    (lambda: F.fold(gs.ones(2, 3, 12, 6), (3, 4), 2), ValueError,
     r"fold: expected a 2D or 3D .* got shape \(2, 3, 12, 6\)"),
])
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()
