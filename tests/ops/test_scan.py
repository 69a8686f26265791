"""Scans (issue 10): cumsum, cumprod, cummax, cummin, logcumsumexp, diff; values, indices and
gradients against torch in float64 (zeros, ties, NaN, +-inf, 0-d and zero-size shapes)."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gradsheet as gs
from tests.helpers import check_gradients, random_inputs
from tests.ops.torch_compare import arrays, compare, draw_dim, torch

SETTINGS = settings(max_examples=20, deadline=None)
nan, inf = np.nan, np.inf

SCANS = {
    "cumsum": (lambda x, d: x.cumsum(d), lambda x, d: x.cumsum(d)),
    "cumprod": (lambda x, d: gs.cumprod(x, d), lambda x, d: torch.cumprod(x, d)),
    "cummax": (lambda x, d: x.cummax(d), lambda x, d: x.cummax(d)),
    "cummin": (lambda x, d: gs.cummin(x, dim=d), lambda x, d: torch.cummin(x, dim=d)),
    "logcumsumexp": (lambda x, d: x.logcumsumexp(d), lambda x, d: x.logcumsumexp(d)),
}


@pytest.mark.parametrize("name", list(SCANS))
@SETTINGS
@given(data=st.data(), a=arrays(pool=(0.0, 0.0, 1.0, -1.0, 2.0)))
def test_scan_matches_torch_with_ties_and_zeros(name, data, a):
    ours, theirs = SCANS[name]
    dim = draw_dim(data.draw, a.ndim)
    compare(lambda x: ours(x, dim), lambda x: theirs(x, dim), [a])


@pytest.mark.parametrize("name", ["cumsum", "cummax", "cummin", "logcumsumexp"])
@SETTINGS
@given(data=st.data(), a=arrays(min_dims=1, special=True))
def test_scan_matches_torch_with_nan_and_infinities(name, data, a):
    ours, theirs = SCANS[name]
    dim = draw_dim(data.draw, a.ndim)
    compare(lambda x: ours(x, dim), lambda x: theirs(x, dim), [a])


@pytest.mark.parametrize("values", [[2.0, 0.0, 3.0, 0.0, 5.0], [0.0, 0.0, 1.0], [1.0, 2.0, 0.0],
                                    [[0.0, 2.0, 3.0], [4.0, 0.0, 0.0]], [2.0, inf, 0.0, 3.0]])
def test_cumprod_gradient_with_zeros_is_torchs(values):
    compare(lambda x: x.cumprod(-1), lambda x: x.cumprod(-1), [values])


@pytest.mark.parametrize("name", list(SCANS))
def test_scans_gradcheck(name):
    ours, _ = SCANS[name]
    check_gradients(lambda x: ours(x, 1) if name not in ("cummax", "cummin") else ours(x, 1).values,
                    random_inputs([(2, 4, 3)], seed=3))
    if name == "cumprod":
        check_gradients(lambda x: ours(x, 0), [np.array([1.5, 0.0, -2.0, 0.0, 0.7])])


def test_cummax_cummin_ties_take_the_latest_index_and_nan_sticks_as_torch():
    v = [3.0, 1.0, nan, 3.0, 1.0, -inf, nan, inf, 1.0]
    for op in ("cummax", "cummin"):
        for data in (v, [2.0, 1.0, 2.0, 1.0, 2.0, 1.0, 3.0, 0.0]):
            ours, theirs = getattr(gs.tensor(data), op)(0), getattr(torch.tensor(data), op)(0)
            np.testing.assert_array_equal(ours.indices.array, theirs.indices.numpy())
            assert ours.values is ours[0] and ours.indices.dtype == np.int64


def test_integer_and_bool_scans_give_int64_and_dtype_converts_first():
    for data, dtype in (([True, True, False], "bool"), ([1, 2, 3], "int32"), ([4, 5], "uint8")):
        t = torch.tensor(data, dtype=getattr(torch, dtype))
        x = gs.tensor(np.array(data, dtype=dtype))
        for op in ("cumsum", "cumprod"):
            ours, theirs = getattr(x, op)(0), getattr(t, op)(0)
            assert ours.dtype == np.int64 and str(theirs.dtype) == "torch.int64"
            np.testing.assert_array_equal(ours.array, theirs.numpy())
        ours, theirs = x.cummax(0), t.cummax(0)
        np.testing.assert_array_equal(ours.values.array, theirs.values.numpy())
        np.testing.assert_array_equal(ours.indices.array, theirs.indices.numpy())
    compare(lambda x: x.cumsum(0, dtype=gs.float32), lambda x: x.cumsum(0, dtype=torch.float32),
            [[1.0, 2.0]])
    compare(lambda x: gs.cumsum(x, axis=1), lambda x: torch.cumsum(x, axis=1), [[[1.0, 2.0]]])


@pytest.mark.parametrize("op", ["cumsum_", "cumprod_"])
def test_inplace_twins(op):
    a = np.array([[1.0, 2.0, 0.0], [3.0, -1.0, 2.0]])
    x, t = gs.tensor(a), torch.tensor(a)
    assert getattr(x, op)(1) is x
    getattr(t, op)(1)
    np.testing.assert_allclose(x.array, t.numpy())
    # recorded on a non-leaf: the gradient flows through the in-place scan as torch's
    compare(lambda x: getattr(x * 1.0, op)(0), lambda x: getattr(x * 1.0, op)(0), [a])


# ------------------------------------------------------------------------ diff
@SETTINGS
@given(data=st.data(), a=arrays(min_dims=1, pool=(0.0, 1.0)), n=st.integers(0, 4),
       pre=st.booleans(), post=st.booleans())
def test_diff_matches_torch(data, a, n, pre, post):
    dim = draw_dim(data.draw, a.ndim)
    extra_shape = list(a.shape)
    extra_shape[dim] = data.draw(st.integers(0, 2))
    extras = [data.draw(arrays(shape=tuple(extra_shape))) if use else None for use in (pre, post)]
    given_ = [e for e in extras if e is not None]

    def call(lib, x, *rest):
        it = iter(rest)
        prepend, append = (next(it) if e is not None else None for e in extras)
        return lib.diff(x, n=n, dim=dim, prepend=prepend, append=append)
    compare(lambda x, *rest: call(gs, x, *rest), lambda x, *rest: call(torch, x, *rest), [a] + given_)


def test_diff_of_bools_integers_and_mixed_dtypes_as_torch():
    for data in ([True, False, False, True], [1, 4, 9, 16]):
        for n in (0, 1, 2, 5):
            ours, theirs = gs.tensor(data).diff(n), torch.tensor(data).diff(n)
            assert ours.dtype.name == str(theirs.dtype)[6:]
            np.testing.assert_array_equal(ours.array, theirs.numpy())
    ours = gs.diff(gs.tensor([1, 4]), prepend=gs.tensor([0.5]))
    theirs = torch.diff(torch.tensor([1, 4]), prepend=torch.tensor([0.5]))
    assert ours.dtype == np.float32 and np.allclose(ours.array, theirs.numpy())


def test_diff_gradchecks():
    a, p = random_inputs([(3, 4), (3, 2)], seed=5)
    check_gradients(lambda x, q: gs.diff(x, 2, 1, prepend=q, append=q), [a, p])


def test_scan_errors():
    x = gs.ones(2, 3)
    with pytest.raises(IndexError, match=r"cumsum: dim 2 is out of range for a tensor of 2 dimensions"):
        x.cumsum(2)
    with pytest.raises(IndexError, match=r"cummax: dim -3 is out of range for a tensor of 2 dimensions"):
        x.cummax(-3)
    with pytest.raises(TypeError, match="cumprod: missing the required argument dim"):
        x.cumprod()
    with pytest.raises(TypeError, match="logcumsumexp: needs a floating tensor, got int64"):
        gs.tensor([1, 2]).logcumsumexp(0)
    with pytest.raises(RuntimeError, match="diff: expects input to be at least one-dimensional"):
        gs.tensor(3.0).diff()
    with pytest.raises(RuntimeError, match=r"diff: expects prepend to have the same number of "
                                           r"dimensions as input \(prepend has shape \(1,\)"):
        x.diff(dim=0, prepend=gs.ones(1))
    with pytest.raises(RuntimeError, match=r"diff: append of shape \(1, 2\) does not match input"):
        x.diff(dim=0, append=gs.ones(1, 2))
    with pytest.raises(ValueError, match="diff: order must be a non-negative int, got n=-1"):
        x.diff(-1)
    with pytest.raises(IndexError, match=r"diff: dim 2 is out of range"):
        x.diff(dim=2)


def test_methods_are_the_functions():
    for name in ("cumsum", "cumprod", "cummax", "cummin", "logcumsumexp", "diff"):
        assert getattr(gs.Tensor, name) is getattr(gs, name)
