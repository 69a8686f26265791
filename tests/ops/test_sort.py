"""Sorting and order statistics (issue 10): sort, argsort, msort, topk, kthvalue, median,
nanmedian, mode, unique, unique_consecutive, searchsorted, bucketize, quantile, nanquantile;
values, indices and gradients against torch in float64 (ties, NaN, +-inf, 0-d, zero-size)."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gradsheet as gs
from tests.helpers import check_gradients, random_inputs
from tests.ops.torch_compare import arrays, compare, draw_dim, torch

SETTINGS = settings(max_examples=20, deadline=None)
nan, inf = np.nan, np.inf


@SETTINGS
@given(data=st.data(), a=arrays(special=True), descending=st.booleans())
def test_sort_matches_torchs_stable_sort_with_ties_and_nan(data, a, descending):
    dim = draw_dim(data.draw, a.ndim)
    compare(lambda x: x.sort(dim, descending), lambda x: x.sort(dim=dim, descending=descending, stable=True),
            [a])
    compare(lambda x: gs.sort(x, dim, descending, stable=True),
            lambda x: torch.sort(x, dim=dim, descending=descending, stable=True), [a])
    compare(lambda x: x.argsort(dim, descending),
            lambda x: x.argsort(dim=dim, descending=descending, stable=True), [a], grad=False)
    compare(lambda x: gs.sort(x, axis=dim).values, lambda x: torch.sort(x, axis=dim, stable=True).values, [a])


@SETTINGS
@given(a=arrays(special=True))
def test_msort_matches_torch(a):
    compare(lambda x: x.msort(), lambda x: x.msort(), [a])


@SETTINGS
@given(data=st.data(), a=arrays(pool=()), largest=st.booleans())
def test_topk_matches_torch_without_ties(data, a, largest):
    dim = draw_dim(data.draw, a.ndim)
    size = a.shape[dim] if a.ndim else 1
    k = data.draw(st.integers(0 if a.ndim else 1, size))
    compare(lambda x: x.topk(k, dim, largest), lambda x: x.topk(k, dim, largest), [a])


@SETTINGS
@given(data=st.data(), a=arrays(min_dims=1, min_side=1, special=True), largest=st.booleans())
def test_topk_values_match_torch_with_ties_and_nan(data, a, largest):
    # torch's choice among tied elements depends on its selection algorithm: compare the
    # values, and check that our indices point at them
    dim = draw_dim(data.draw, a.ndim)
    k = data.draw(st.integers(0, a.shape[dim]))
    ours = compare(lambda x: gs.topk(x, k, dim=dim, largest=largest, sorted=False),
                   lambda x: torch.topk(x, k, dim=dim, largest=largest), [a], grad=False, indices=False)
    np.testing.assert_array_equal(np.take_along_axis(a, ours[1].array, axis=dim), ours[0].array)


@SETTINGS
@given(data=st.data(), a=arrays(min_dims=1, min_side=1, pool=()), keepdim=st.booleans())
def test_kthvalue_matches_torch(data, a, keepdim):
    dim = draw_dim(data.draw, a.ndim)
    k = data.draw(st.integers(1, a.shape[dim]))
    compare(lambda x: x.kthvalue(k, dim, keepdim), lambda x: x.kthvalue(k, dim, keepdim), [a])


@SETTINGS
@given(data=st.data(), a=arrays(min_dims=1, min_side=1, special=True))
def test_kthvalue_values_match_torch_with_ties_and_nan(data, a):
    dim = draw_dim(data.draw, a.ndim)
    k = data.draw(st.integers(1, a.shape[dim]))
    ours = compare(lambda x: gs.kthvalue(x, k, dim), lambda x: torch.kthvalue(x, k, dim), [a], grad=False,
                   indices=False)
    picked = np.take_along_axis(a, np.expand_dims(ours[1].array, dim), axis=dim).squeeze(dim)
    np.testing.assert_array_equal(picked, ours[0].array)


@pytest.mark.parametrize("op", ["median", "nanmedian"])
@SETTINGS
@given(data=st.data(), a=arrays(special=True), keepdim=st.booleans())
def test_median_matches_torch_values_indices_and_gradients(op, data, a, keepdim):
    # without dim: the lower median, the gradient shared among the elements equal to it
    compare(lambda x: getattr(x, op)(), lambda x: getattr(x, op)(), [a])
    dim = draw_dim(data.draw, a.ndim)
    if a.ndim and a.shape[dim] == 0:
        with pytest.raises(IndexError, match=rf"{op}: Expected reduction dim {dim % a.ndim} to have "
                                             "non-zero size"):
            getattr(gs, op)(gs.tensor(a), dim)
        return
    compare(lambda x: getattr(gs, op)(x, dim, keepdim), lambda x: getattr(torch, op)(x, dim, keepdim), [a])


@SETTINGS
@given(data=st.data(), a=arrays(pool=(0.0, 1.0, 2.0, -1.0)), keepdim=st.booleans())
def test_mode_matches_torch(data, a, keepdim):
    a = np.round(a)  # many ties
    dim = draw_dim(data.draw, a.ndim)
    if a.ndim and a.shape[dim] == 0:
        with pytest.raises(IndexError, match=r"mode: Expected reduction dim"):
            gs.tensor(a).mode(dim)
        return
    compare(lambda x: x.mode(dim, keepdim), lambda x: x.mode(dim, keepdim), [a])


def test_order_statistic_gradchecks():
    (a,) = random_inputs([(3, 5)], seed=2)
    check_gradients(lambda x: x.sort(1, descending=True).values, [a])
    check_gradients(lambda x: x.topk(2, 0).values, [a])
    check_gradients(lambda x: x.kthvalue(2, 1).values, [a])
    check_gradients(lambda x: x.median(), [a])
    check_gradients(lambda x: x.median(0).values, [a])
    check_gradients(lambda x: gs.quantile(x, gs.tensor([0.2, 0.7], dtype="float64"), 1), [a])
    check_gradients(lambda x, q: gs.quantile(x, q), [a, np.array([0.3, 0.55])])


def test_sort_of_0d_and_empty_tensors_as_torch():
    for a in (np.array(3.0), np.zeros((0, 3))):
        for call in (lambda lib, x: lib.sort(x, 0), lambda lib, x: lib.topk(x, 0 if x.ndim else 1, 0),
                     lambda lib, x: lib.argsort(x, 0), lambda lib, x: lib.msort(x)):
            compare(lambda x: call(gs, x), lambda x: call(torch, x), [a], grad=a.ndim == 0)
    for op in ("kthvalue", "median", "mode"):
        args = (1,) if op == "kthvalue" else ()
        compare(lambda x: getattr(x, op)(*args, 0), lambda x: getattr(x, op)(*args, 0), [np.array(3.0)])


# ------------------------------------------------------------------------ unique
@SETTINGS
@given(a=arrays(pool=(0.0, 1.0, 2.0), special=True), inverse=st.booleans(), counts=st.booleans())
def test_unique_and_unique_consecutive_match_torch(a, inverse, counts):
    a = np.round(a)
    kwargs = {"return_inverse": inverse, "return_counts": counts}
    compare(lambda x: x.unique(**kwargs), lambda x: x.unique(**kwargs), [a], grad=False)
    compare(lambda x: gs.unique(x, sorted=False, **kwargs), lambda x: torch.unique(x, sorted=False, **kwargs),
            [a], grad=False)
    compare(lambda x: x.unique_consecutive(**kwargs), lambda x: x.unique_consecutive(**kwargs), [a],
            grad=False)


@SETTINGS
@given(data=st.data(), a=arrays(min_dims=1, min_side=1, pool=(0.0, 1.0)), inverse=st.booleans(),
       counts=st.booleans())
def test_unique_along_a_dim_matches_torch(data, a, inverse, counts):
    a = np.round(np.clip(a, -1, 1))  # rows repeat
    dim = draw_dim(data.draw, a.ndim)
    kwargs = {"return_inverse": inverse, "return_counts": counts, "dim": dim}
    compare(lambda x: gs.unique(x, **kwargs), lambda x: torch.unique(x, **kwargs), [a], grad=False)
    compare(lambda x: gs.unique_consecutive(x, **kwargs), lambda x: torch.unique_consecutive(x, **kwargs),
            [a], grad=False)


def test_unique_of_integers_and_0d():
    x = gs.tensor([[1, 2], [1, 2], [0, 3]])
    values, inverse, counts = x.unique(dim=0, return_inverse=True, return_counts=True)
    expected = torch.tensor([[1, 2], [1, 2], [0, 3]]).unique(dim=0, return_inverse=True, return_counts=True)
    for o, t in zip((values, inverse, counts), expected):
        np.testing.assert_array_equal(o.array, t.numpy())
    compare(lambda x: x.unique(return_inverse=True, return_counts=True),
            lambda x: x.unique(return_inverse=True, return_counts=True), [np.array(2.0)], grad=False)
    with pytest.raises(RuntimeError, match=r"unique: there are 0 sized dimensions.*\(2, 0\)"):
        gs.zeros(2, 0).unique(dim=0)


# ------------------------------------------------------------------------ searching
@SETTINGS
@given(data=st.data(), rows=st.integers(0, 3), n=st.integers(0, 5), m=st.integers(0, 4),
       right=st.booleans(), special=st.booleans())
def test_searchsorted_and_bucketize_match_torch(data, rows, n, m, right, special):
    seq = np.sort(data.draw(arrays(shape=(n,), special=special)))
    values = data.draw(arrays(shape=(m,), special=special))
    s, v = gs.tensor(seq), gs.tensor(values)
    pairs = [(gs.searchsorted(s, v, right=right), torch.searchsorted(torch.tensor(seq), torch.tensor(values),
                                                                     right=right)),
             (gs.bucketize(v, s, right=right), torch.bucketize(torch.tensor(values), torch.tensor(seq),
                                                               right=right)),
             (gs.searchsorted(s, v, side="right" if right else "left", out_int32=True),
              torch.searchsorted(torch.tensor(seq), torch.tensor(values), side="right" if right else "left",
                                 out_int32=True))]
    batch = np.sort(data.draw(arrays(shape=(rows, n))), axis=-1)
    queries = data.draw(arrays(shape=(rows, m)))
    pairs.append((gs.searchsorted(gs.tensor(batch), gs.tensor(queries), right=right),
                  torch.searchsorted(torch.tensor(batch), torch.tensor(queries), right=right)))
    shuffle = np.random.default_rng(n).permutation(n)
    sorter = np.argsort(seq[shuffle], kind="stable")
    pairs.append((gs.searchsorted(gs.tensor(seq[shuffle]), v, sorter=gs.tensor(sorter), right=right),
                  torch.searchsorted(torch.tensor(seq[shuffle]), torch.tensor(values),
                                     sorter=torch.tensor(sorter), right=right)))
    for ours, theirs in pairs:
        assert ours.dtype.name == str(theirs.dtype)[6:]
        np.testing.assert_array_equal(ours.array, theirs.numpy())


def test_searchsorted_with_a_scalar_and_errors():
    s = gs.tensor([1.0, 3.0, 3.0, 5.0])
    assert gs.searchsorted(s, 3).item() == torch.searchsorted(torch.tensor([1.0, 3, 3, 5]), 3).item()
    assert gs.bucketize(3, s, right=True).item() == torch.bucketize(3, torch.tensor([1.0, 3, 3, 5]),
                                                                     right=True).item()
    with pytest.raises(RuntimeError, match="searchsorted: side and right can't be set to opposites"):
        gs.searchsorted(s, s, side="left", right=True)
    with pytest.raises(RuntimeError, match="searchsorted: side can only be 'left' or 'right' but got 'up'"):
        gs.searchsorted(s, s, side="up")
    with pytest.raises(RuntimeError, match=r"searchsorted: boundaries tensor should be 1 dimension .*\(2, 2\)"
                                           r" and input of shape \(2,\)"):
        gs.searchsorted(gs.ones(2, 2), gs.ones(2))
    with pytest.raises(RuntimeError, match="bucketize: boundaries tensor must be 1 dimension, but got dim 2"):
        gs.bucketize(gs.ones(2), gs.ones(2, 2))


# ------------------------------------------------------------------------ quantiles
MODES = ["linear", "lower", "higher", "midpoint", "nearest"]


@pytest.mark.parametrize("pool", [(), (0.0, 1.0, -1.0)])
@pytest.mark.parametrize("op", ["quantile", "nanquantile"])
@SETTINGS
@given(data=st.data(), keepdim=st.booleans(), mode=st.sampled_from(MODES), many=st.booleans())
def test_quantile_matches_torch(op, pool, data, keepdim, mode, many):
    a = data.draw(arrays(min_side=1, special=True, pool=pool))
    a = np.where(np.isinf(a), np.nan, a)  # inf - inf in the interpolation: NaN gradients on both sides
    q = data.draw(st.lists(st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.625, 0.9, 1.0]), min_size=1,
                           max_size=3))
    dim = data.draw(st.none() | st.integers(-max(a.ndim, 1), max(a.ndim, 1) - 1))

    def call(lib, x):
        qs = lib.tensor(q, dtype=lib.float64) if many else q[0]
        return getattr(lib, op)(x, qs, dim, keepdim, interpolation=mode)
    # torch's (unstable) sort of many elements orders tied values (and NaNs) its own way, so the
    # gradient can go to another of the tied elements: compare gradients without ties
    numbers = a[~np.isnan(a)]
    distinct = len(np.unique(numbers)) == len(numbers) and (op == "nanquantile" or len(numbers) == a.size)
    compare(lambda x: call(gs, x), lambda x: call(torch, x), [a], grad=distinct)


def test_quantile_of_a_slice_with_nans_sends_the_gradient_to_its_last_nan_as_torch():
    for a in ([0.1257, nan, nan, 0.1049], [nan, 1.0, nan, nan], [nan, nan]):
        for q in (0.0, 0.5, 1.0):
            compare(lambda x: x.quantile(q), lambda x: x.quantile(q), [a])
            compare(lambda x: x.nanquantile(q), lambda x: x.nanquantile(q), [a])


def test_quantile_gradient_reaches_q_as_torch():
    a = random_inputs([(3, 4)], seed=9)[0]
    compare(lambda x, q: gs.quantile(x, q, dim=1), lambda x, q: torch.quantile(x, q, dim=1), [a, [0.3, 0.8]])
    compare(lambda x, q: x.nanquantile(q), lambda x, q: x.nanquantile(q), [a, 0.4])


def test_quantile_errors():
    x = gs.ones(2, 3, dtype="float64")
    with pytest.raises(RuntimeError, match="quantile: q must be in the range \\[0, 1\\] but got 1.5"):
        x.quantile(1.5)
    with pytest.raises(RuntimeError, match="quantile: input tensor must be non-empty"):
        gs.zeros(0, 3).quantile(0.5, dim=1)
    with pytest.raises(RuntimeError, match="nanquantile: input tensor must be either float or double dtype"):
        gs.tensor([1, 2]).nanquantile(0.5)
    with pytest.raises(RuntimeError, match="quantile: interpolation must be one of linear, .* but got 'foo'"):
        x.quantile(0.5, interpolation="foo")
    with pytest.raises(RuntimeError, match=r"quantile: q tensor must be same dtype as the input tensor"):
        x.quantile(gs.tensor([0.5], dtype="float32"))
    with pytest.raises(RuntimeError, match=r"quantile: q must be a scalar or 1D tensor, got shape \(1, 1\)"):
        x.quantile(gs.tensor([[0.5]], dtype="float64"))
    with pytest.raises(TypeError, match="quantile: q must be a float or a Tensor, got list"):
        x.quantile([0.5])


# ------------------------------------------------------------------------ bad input, methods
def test_k_out_of_range_names_k_and_the_size():
    x = gs.ones(2, 8)
    with pytest.raises(RuntimeError, match=r"topk: selected index k out of range: k = 9 but dim -1 has "
                                           "size 8"):
        x.topk(9)
    with pytest.raises(RuntimeError, match=r"topk: selected index k out of range: k = -1 but dim 0 has "
                                           "size 2"):
        x.topk(-1, 0)
    with pytest.raises(RuntimeError, match=r"kthvalue: selected number k out of range: k = 0 but dim -1 has "
                                           "size 8"):
        x.kthvalue(0)
    with pytest.raises(RuntimeError, match=r"kthvalue: selected number k out of range: k = 3 but dim 0"):
        gs.kthvalue(x, 3, 0)


@pytest.mark.parametrize("call", [
    lambda x: x.sort(2), lambda x: x.argsort(-3), lambda x: x.topk(1, 2), lambda x: x.kthvalue(1, 2),
    lambda x: x.median(2), lambda x: x.nanmedian(-3), lambda x: x.mode(2), lambda x: x.unique(dim=2),
    lambda x: x.unique_consecutive(dim=-3), lambda x: x.quantile(0.5, 2), lambda x: x.nanquantile(0.5, -3),
])
def test_dim_out_of_range_names_dim_and_ndim(call):
    with pytest.raises(IndexError, match=r"^\w+: dim -?[23] is out of range for a tensor of 2 dimensions"):
        call(gs.ones(2, 3))


def test_methods_are_the_functions():
    for name in ("sort", "argsort", "msort", "topk", "kthvalue", "median", "nanmedian", "mode", "unique",
                 "unique_consecutive", "quantile", "nanquantile"):
        assert getattr(gs.Tensor, name) is getattr(gs, name)
    assert not hasattr(torch.Tensor, "searchsorted") and not hasattr(gs.Tensor, "searchsorted")
