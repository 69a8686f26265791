"""Reductions beyond sum/mean (issue 10): prod, amax/amin/aminmax, any/all, count_nonzero,
norm/vector_norm/dist, var/std corrections, nansum/nanmean, logsumexp on empty dims, the axis=
alias, dtypes of results, values and gradients against torch in float64."""
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gradsheet as gs
from tests.helpers import check_gradients, random_inputs
from tests.ops.torch_compare import arrays, compare, draw_dim, torch

SETTINGS = settings(max_examples=20, deadline=None)
inf, nan = math.inf, math.nan


# ------------------------------------------------------------------------ prod
@SETTINGS
@given(data=st.data(), a=arrays(pool=(0.0, 0.0, 1.0, -2.0, 0.5)), keepdim=st.booleans())
def test_prod_matches_torch_with_zeros_and_empty_dims(data, a, keepdim):
    compare(lambda x: x.prod(), lambda x: x.prod(), [a])
    dim = draw_dim(data.draw, a.ndim)
    compare(lambda x: gs.prod(x, dim, keepdim), lambda x: torch.prod(x, dim, keepdim), [a])


@pytest.mark.parametrize("values", [[1.0, 0.0, 3.0], [1.0, 0.0, 0.0], [[1.0, 0.0, 3.0], [0.0, 0.0, 2.0]],
                                    [2.0, -inf, 3.0], [2.0, nan, 0.0]])
def test_prod_gradient_with_one_and_several_zeros_is_torchs(values):
    compare(lambda x: x.prod(), lambda x: x.prod(), [values])
    compare(lambda x: x.prod(0), lambda x: x.prod(0), [values])


def test_prod_gradchecks_with_a_zero():
    check_gradients(lambda x: x.prod(1), [np.array([[1.5, 0.0, -2.0], [0.5, 1.2, 3.0]])])
    check_gradients(lambda x: x.prod(), random_inputs([(2, 3)], seed=3))


def test_prod_and_sum_of_integers_and_bools_are_int64_and_empty_dims_give_the_identity():
    for data, dtype in (([True, False, True], "bool"), ([1, 2, 3], "int32"), ([4, 5], "uint8")):
        t = torch.tensor(data, dtype=getattr(torch, dtype))
        x = gs.tensor(np.array(data, dtype=dtype))
        for op in ("sum", "prod", "nansum"):
            ours, theirs = getattr(x, op)(), getattr(torch, op)(t)
            assert ours.dtype == np.int64 and str(theirs.dtype) == "torch.int64"
            assert ours.item() == theirs.item()
    empty = gs.zeros(0, 3, dtype="float64")
    np.testing.assert_array_equal(empty.sum(0).array, torch.zeros(0, 3).sum(0).numpy())
    np.testing.assert_array_equal(empty.prod(0).array, torch.zeros(0, 3).prod(0).numpy())
    assert empty.prod().item() == 1.0 and empty.sum().item() == 0.0


def test_prod_takes_one_dim_as_torch():
    with pytest.raises(TypeError, match=r"prod: dim must be one int.*\(0, 1\)"):
        gs.ones(2, 3).prod((0, 1))


# ------------------------------------------------------------------------ amax / amin / max
@SETTINGS
@given(data=st.data(), a=arrays(min_side=1), keepdim=st.booleans(), op=st.sampled_from(["amax", "amin"]))
def test_amax_amin_share_the_gradient_among_ties_as_torch(data, a, keepdim, op):
    compare(lambda x: getattr(x, op)(), lambda x: getattr(x, op)(), [a])
    dims = data.draw(st.lists(st.integers(0, max(a.ndim - 1, 0)), max_size=a.ndim, unique=True))
    dims = tuple(d - a.ndim if d % 2 and a.ndim else d for d in dims)  # some negative
    compare(lambda x: getattr(gs, op)(x, dims, keepdim), lambda x: getattr(torch, op)(x, dims, keepdim),
            [a])


@pytest.mark.parametrize("op", ["amax", "amin", "max", "min"])
def test_extremes_with_nan_follow_torch(op):
    a = np.array([[1.0, nan, 3.0, nan], [2.0, 2.0, -inf, inf]])
    compare(lambda x: getattr(x, op)(), lambda x: getattr(x, op)(), [a])
    compare(lambda x: getattr(x, op)(1), lambda x: getattr(x, op)(1), [a])


@pytest.mark.parametrize("op", ["max", "min", "argmax", "argmin", "amax", "amin"])
def test_extremes_of_empty_tensors_raise_as_torch(op):
    x = gs.zeros(0, 3)
    compare(lambda x: getattr(x, op)(1), lambda x: getattr(x, op)(1), [np.zeros((0, 3))],
            grad=op.startswith("a") and not op.startswith("arg"))
    with pytest.raises(IndexError, match=rf"{op}: Expected reduction dim 0 to have non-zero size"):
        getattr(x, op)(0)
    with pytest.raises(RuntimeError, match=rf"{op}: cannot reduce an empty tensor of shape \(0, 3\)"):
        getattr(x, op)()


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", [None, 0, -1])
def test_aminmax_matches_torch(dim, keepdim):
    a = np.array([[1.0, 3.0, 3.0], [-2.0, 0.0, -2.0]])
    compare(lambda x: gs.aminmax(x, dim=dim, keepdim=keepdim),
            lambda x: torch.aminmax(x, dim=dim, keepdim=keepdim), [a])
    result = a_tensor = gs.tensor(a).aminmax()
    assert result.min.item() == -2.0 and result.max.item() == 3.0 and a_tensor is result
    with pytest.raises(TypeError, match="aminmax: dim must be one int"):
        gs.aminmax(gs.tensor(a), dim=(0, 1))


def test_max_min_of_two_tensors_and_other_keyword():
    arrays_ = random_inputs([(2, 3), (3,)], seed=4)
    for op in ("max", "min"):
        compare(lambda a, b: getattr(gs, op)(a, other=b), lambda a, b: getattr(torch, op)(a, other=b),
                arrays_)
        compare(lambda a, b: getattr(a, op)(b), lambda a, b: getattr(a, op)(b), arrays_)


# ------------------------------------------------------------------------ logic and counts
@SETTINGS
@given(data=st.data(), a=arrays(pool=(0.0, 0.0, 1.0), special=True), keepdim=st.booleans(),
       dtype=st.sampled_from(["float64", "bool", "uint8", "int64"]))
def test_any_all_count_nonzero_match_torch(data, a, keepdim, dtype):
    a = np.abs(np.clip(np.nan_to_num(a), -9, 9)).astype(dtype) if dtype != "float64" else a
    x, t = gs.tensor(a), torch.tensor(a)
    dim = draw_dim(data.draw, a.ndim)
    pairs = [(x.any(), t.any()), (gs.all(x), torch.all(t)), (x.any(dim, keepdim), t.any(dim, keepdim)),
             (x.all(dim=dim, keepdim=keepdim), t.all(dim=dim, keepdim=keepdim)),
             (x.count_nonzero(), t.count_nonzero()), (gs.count_nonzero(x, dim), torch.count_nonzero(t, dim))]
    if a.ndim >= 2:
        pairs += [(x.any((0, -1)), t.any((0, -1))),
                  (gs.count_nonzero(x, (0, 1)), torch.count_nonzero(t, (0, 1)))]
    for ours, theirs in pairs:
        assert ours.shape == tuple(theirs.shape) and ours.dtype.name == str(theirs.dtype)[6:]
        np.testing.assert_array_equal(ours.array, theirs.numpy())


# ------------------------------------------------------------------------ norms
ORDS = [2, 1, 0, 0.5, 1.5, 3, inf, -inf, -1]


@pytest.mark.parametrize("ord", ORDS)
@SETTINGS
@given(data=st.data(), a=arrays(min_side=1, pool=(0.0, 1.0, -1.0)), keepdim=st.booleans())
def test_vector_norm_matches_torch(ord, data, a, keepdim):
    compare(lambda x: gs.vector_norm(x, ord), lambda x: torch.linalg.vector_norm(x, ord), [a])
    dim = draw_dim(data.draw, a.ndim)
    compare(lambda x: gs.vector_norm(x, ord, dim, keepdim),
            lambda x: torch.linalg.vector_norm(x, ord, dim, keepdim), [a])
    compare(lambda x: x.norm(ord, dim, keepdim), lambda x: x.norm(ord, dim, keepdim), [a])


@pytest.mark.parametrize("ord", ORDS)
def test_vector_norm_at_zero_and_with_specials_as_torch(ord):
    for a in ([0.0, 0.0], [0.0, 1.0, -1.0], [[3.0, -3.0, 1.0], [0.0, 0.0, 0.0]], [1.0, nan], [inf, 2.0]):
        compare(lambda x: gs.vector_norm(x, ord, dim=-1), lambda x: torch.linalg.vector_norm(x, ord, dim=-1),
                [a])


@pytest.mark.parametrize("ord", [2, 1, 0.5, 3, inf])
def test_vector_norm_gradchecks(ord):
    check_gradients(lambda x: gs.vector_norm(x, ord, dim=(0, 2)), random_inputs([(2, 3, 2)], seed=5))


def test_torch_norm_semantics():
    a = random_inputs([(3, 4)], seed=6)[0]
    b = random_inputs([(2, 3, 4)], seed=7)[0]
    compare(lambda x: x.norm(), lambda x: x.norm(), [a])
    compare(lambda x: gs.norm(x, "fro", dim=1), lambda x: torch.norm(x, "fro", dim=1), [a])
    compare(lambda x: gs.norm(x, "fro", dim=(0, 1), keepdim=True),
            lambda x: torch.norm(x, "fro", dim=(0, 1), keepdim=True), [a])
    compare(lambda x: gs.norm(x, "nuc"), lambda x: torch.norm(x, "nuc"), [a])
    compare(lambda x: gs.norm(x, "nuc", dim=(2, 0), keepdim=True),
            lambda x: torch.norm(x, "nuc", dim=(2, 0), keepdim=True), [b])
    compare(lambda x: gs.norm(x, p=3, dim=(0, 1)), lambda x: torch.norm(x, p=3, dim=(0, 1)), [a])
    compare(lambda x: gs.norm(x, inf), lambda x: torch.norm(x, inf), [b])
    check_gradients(lambda x: gs.norm(x, "nuc", dim=(1, 2)), [b])


def test_norm_errors():
    with pytest.raises(RuntimeError, match=r"norm: the nuclear norm needs dim to be a 2-tuple.*\(2, 3, 4\)"):
        gs.ones(2, 3, 4).norm("nuc")
    with pytest.raises(ValueError, match="norm: p must be 'fro', 'nuc' or a number, got 'max'"):
        gs.ones(2, 3).norm("max")
    with pytest.raises(TypeError, match="linalg.vector_norm: Expected a floating point .* int64"):
        gs.vector_norm(gs.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="cannot compute the inf norm on an empty tensor"):
        gs.vector_norm(gs.zeros(0, 3), inf, dim=0)
    assert gs.vector_norm(gs.zeros(0, 3), inf, dim=1).shape == (0,)
    assert gs.vector_norm(gs.zeros(0, 3)).item() == 0.0
    assert gs.vector_norm(gs.tensor([3, 4]), dtype="float64").item() == 5.0


@SETTINGS
@given(a=arrays(shape=(2, 3)), b=arrays(shape=(3,)), p=st.sampled_from([2, 1, 0, 3, inf]))
def test_dist_broadcasts_as_torch(a, b, p):
    # (torch's dist has no backward for p = 0: its gradient is zero)
    compare(lambda x, y: gs.dist(x, y, p), lambda x, y: torch.dist(x, y, p), [a, b], grad=p != 0)
    compare(lambda x, y: x.dist(y), lambda x, y: x.dist(y), [a, b])


# ------------------------------------------------------------------------ var / std
@SETTINGS
@given(data=st.data(), a=arrays(min_dims=1, min_side=2), keepdim=st.booleans(),
       correction=st.sampled_from([0, 1, 1.5, 2]), op=st.sampled_from(["var", "std"]))
def test_var_std_corrections_match_torch(data, a, keepdim, correction, op):
    dim = draw_dim(data.draw, a.ndim)
    compare(lambda x: getattr(gs, op)(x, dim, keepdim=keepdim, correction=correction),
            lambda x: getattr(torch, op)(x, dim, keepdim=keepdim, correction=correction), [a])
    unbiased = correction == 1
    compare(lambda x: getattr(x, op)(dim, unbiased, keepdim),
            lambda x: getattr(x, op)(dim, unbiased, keepdim), [a])
    compare(lambda x: getattr(x, op)(unbiased=False, axis=dim),
            lambda x: getattr(x, op)(unbiased=False, axis=dim), [a])
    compare(lambda x: getattr(gs, op)(x, unbiased), lambda x: getattr(torch, op)(x, unbiased), [a])


@pytest.mark.parametrize("op", ["var", "std"])
@pytest.mark.parametrize("values, correction", [([1.0], 1), ([1.0, 2.0], 2), ([1.0, 2.0], 3),
                                                ([[1.0, 5.0]], 1), ([], 1), (3.0, 1), ([2.0, 2.0], 1)])
def test_var_std_without_degrees_of_freedom_give_inf_or_nan_as_torch(op, values, correction):
    dim = 0 if np.ndim(values) else None

    def ours(x):
        with pytest.warns(UserWarning, match=rf"{op}\(\): degrees of freedom is <= 0") if \
                np.size(values) - correction <= 0 else warnings.catch_warnings():
            return getattr(x, op)(dim, correction=correction)

    def theirs(x):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return getattr(x, op)(dim, correction=correction)
    compare(ours, theirs, [values])


def test_var_std_argument_errors():
    x = gs.ones(2, 3)
    with pytest.raises(TypeError, match="var: give unbiased= or correction=, not both"):
        x.var(0, True, correction=0)
    with pytest.raises(TypeError, match="std: got both dim=0 and axis=1"):
        x.std(0, axis=1)
    with pytest.raises(TypeError, match="var: needs a floating tensor, got int64"):
        gs.tensor([1, 2]).var()


@pytest.mark.parametrize("op", ["std_mean", "var_mean"])
def test_std_mean_and_var_mean_are_tuples_as_torch(op):
    a = random_inputs([(3, 4)], seed=8)[0]
    compare(lambda x: getattr(gs, op)(x), lambda x: getattr(torch, op)(x), [a])
    compare(lambda x: getattr(gs, op)(x, 1, correction=0, keepdim=True),
            lambda x: getattr(torch, op)(x, 1, correction=0, keepdim=True), [a])
    compare(lambda x: getattr(gs, op)(x, 0, False), lambda x: getattr(torch, op)(x, 0, False), [a])
    assert type(getattr(gs, op)(gs.tensor(a))) is tuple


# ------------------------------------------------------------------------ nan-aware and logsumexp
@SETTINGS
@given(data=st.data(), a=arrays(special=True), keepdim=st.booleans())
def test_nansum_nanmean_match_torch(data, a, keepdim):
    a = np.where(np.isinf(a), np.nan, a)  # inf - inf would make NaN gradients on both sides
    dim = draw_dim(data.draw, a.ndim)
    for op in ("nansum", "nanmean"):
        compare(lambda x: getattr(x, op)(), lambda x: getattr(x, op)(), [a])
        compare(lambda x: getattr(gs, op)(x, dim, keepdim),
                lambda x: getattr(torch, op)(x, dim, keepdim), [a])


def test_nanmean_and_mean_dtypes():
    assert gs.tensor([1, 2]).mean(dtype="float64").dtype == np.float64
    compare(lambda x: x.mean(dtype=gs.float32), lambda x: x.mean(dtype=torch.float32), [[1.0, 2.0]])
    with pytest.raises(TypeError, match="nanmean: needs a floating tensor, got int64"):
        gs.tensor([1, 2]).nanmean()
    assert math.isnan(gs.zeros(0).mean().item())


@SETTINGS
@given(data=st.data(), a=arrays(special=True), keepdim=st.booleans())
def test_logsumexp_matches_torch_on_zero_size_dims_and_specials(data, a, keepdim):
    dim = draw_dim(data.draw, a.ndim)
    compare(lambda x: x.logsumexp(dim, keepdim), lambda x: torch.logsumexp(x, dim, keepdim), [a])


def test_logsumexp_of_integers_and_missing_dim():
    assert gs.tensor([1, 2]).logsumexp(0).dtype == np.float32
    np.testing.assert_allclose(gs.tensor([1, 2]).logsumexp(0).item(),
                               torch.tensor([1, 2]).logsumexp(0).item(), rtol=1e-6)
    with pytest.raises(TypeError, match="logsumexp: missing the required argument dim"):
        gs.ones(3).logsumexp()


# ------------------------------------------------------------------------ axis=, methods, errors
AXIS_OPS = ["sum", "mean", "max", "min", "var", "std", "prod", "amax", "amin", "any", "all", "argmax",
            "argmin", "logsumexp", "nansum", "nanmean", "count_nonzero"]


@pytest.mark.parametrize("op", AXIS_OPS)
def test_axis_is_an_alias_of_dim_as_torch(op):
    a = np.array([[1.0, 0.0, 3.0], [2.0, 5.0, -1.0]])
    grad = op not in ("any", "all", "argmax", "argmin", "count_nonzero")
    compare(lambda x: getattr(gs, op)(x, axis=1), lambda x: getattr(torch, op)(x, axis=1), [a], grad=grad)
    compare(lambda x: getattr(x, op)(axis=0), lambda x: getattr(x, op)(axis=0), [a], grad=grad)


NEW_OPS = {
    "prod": lambda x, d: x.prod(d), "amax": lambda x, d: x.amax(d), "amin": lambda x, d: gs.amin(x, (0, d)),
    "any": lambda x, d: x.any(d), "all": lambda x, d: gs.all(x, d),
    "count_nonzero": lambda x, d: x.count_nonzero(d),
    "linalg.vector_norm": lambda x, d: gs.vector_norm(x, 2, d), "norm": lambda x, d: x.norm(2, d),
    "nansum": lambda x, d: x.nansum(d), "nanmean": lambda x, d: x.nanmean(d), "std": lambda x, d: x.std(d),
    "aminmax": lambda x, d: gs.aminmax(x, dim=d),
}


@pytest.mark.parametrize("dim", [3, -4])
@pytest.mark.parametrize("op", list(NEW_OPS))
def test_out_of_range_dim_names_the_op_dim_and_ndim(op, dim):
    with pytest.raises(IndexError, match=rf"{op}: dim {dim} is out of range for a tensor of 3 dimensions"):
        NEW_OPS[op](gs.ones(2, 3, 4), dim)


def test_non_tensor_input_and_repeated_dims_raise():
    with pytest.raises(TypeError, match="amax: argument 'input' must be a Tensor, not list"):
        gs.amax([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"sum: dim \(0, -2\) names a dimension more than once"):
        gs.ones(2, 3).sum((0, -2))


def test_methods_are_the_functions():
    for name in ("prod", "amax", "amin", "aminmax", "any", "all", "count_nonzero", "norm", "dist", "nansum",
                 "nanmean"):
        assert getattr(gs.Tensor, name) is getattr(gs, name)
