"""ops.geometry: the one window-size formula and argument check (issue 15, item 2), against
torch's output shapes over drawn configurations, and the errors it raises."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradsheet.ops import geometry
from tests.helpers import torch_or_skip


@settings(max_examples=40, deadline=None)
@given(W=st.integers(1, 12), F=st.integers(1, 4), S=st.integers(1, 3), D=st.integers(1, 2),
       P=st.integers(0, 2), ceil_mode=st.booleans())
def test_output_size_is_torch_pooling_and_conv_shape(W, F, S, D, P, ceil_mode):
    torch = torch_or_skip()
    if P > F // 2 or D * (F - 1) + 1 > W + 2 * P:
        return  # torch refuses these pools; the fitting windows are what is compared
    x = torch.zeros(1, 1, W)
    pooled = torch.nn.functional.max_pool1d(x, F, S, P, D, ceil_mode=ceil_mode).shape[-1]
    assert geometry.output_size(W, F, P, S, D, ceil_mode) == pooled
    if not ceil_mode:
        conv = torch.nn.functional.conv1d(x, torch.zeros(1, 1, F), stride=S, padding=P,
                                          dilation=D).shape[-1]
        assert geometry.output_size(W, F, P, S, D) == conv


@settings(max_examples=40, deadline=None)
@given(W=st.integers(1, 8), F=st.integers(1, 4), S=st.integers(1, 3), D=st.integers(1, 2),
       P=st.integers(0, 2), extra=st.integers(0, 2))
def test_transposed_output_size_is_torch_conv_transpose_shape(W, F, S, D, P, extra):
    torch = torch_or_skip()
    if extra >= max(S, D):
        return  # torch's rule: output_padding < stride or < dilation
    n = geometry.transposed_output_size(W, F, P, S, D, extra)
    if n < 1:
        return
    out = torch.nn.functional.conv_transpose1d(torch.zeros(1, 1, W), torch.zeros(1, 1, F),
                                               stride=S, padding=P, output_padding=extra,
                                               dilation=D)
    assert out.shape[-1] == n


def test_uneven_padding_counts_both_sides():
    # 'same' with F = 4: 3 zeros in all, 1 before and 2 after, keep W
    assert geometry.output_size(7, 4, (1, 2)) == 7
    assert geometry.transposed_output_size(7, 4, (1, 2)) == 7


def test_ints_turns_an_int_or_ints_into_a_tuple():
    assert geometry.ints("op", "stride", 2, 2, 1) == (2, 2)
    assert geometry.ints("op", "stride", [1, np.int64(3)], 2, 1) == (1, 3)
    assert geometry.ints("op", "padding", (0,), 2, 0) == (0, 0)


@pytest.mark.parametrize("value, low, error, match", [
    (0, 1, ValueError, r"conv9d: stride must be positive, got stride=\(0, 0\)"),
    ((1, -1), 0, ValueError, r"conv9d: stride must be non-negative, got stride=\(1, -1\)"),
    (2.0, 1, TypeError, r"conv9d: stride must be an int or a tuple of 2 ints, got float 2.0"),
    ((1, 2, 3), 1, TypeError, r"conv9d: stride must be .* got 3 values \(1, 2, 3\)"),
    (True, 1, TypeError, r"conv9d: stride must be an int or a tuple of 2 ints, got bool True"),
])
def test_ints_names_the_op_the_argument_and_the_value(value, low, error, match):
    with pytest.raises(error, match=match):
        geometry.ints("conv9d", "stride", value, 2, low)
