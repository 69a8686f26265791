"""Gathering and scattering by index: values and gradients against torch (float64), duplicate
indices, 0-d and zero-size shapes, gradchecks, methods and in-place twins, errors."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gradsheet as gs
from tests.helpers import check_against_torch, check_gradients, random_inputs, torch_or_skip

torch = torch_or_skip()

FEW = settings(max_examples=20, deadline=None)


def T(array):
    """The same index/mask array for both libraries."""
    return gs.tensor(array), torch.tensor(array)


@st.composite
def gather_case(draw, src=False, unique=False):
    """(input shape, dim, index array, src shape): index no larger than input outside dim, its
    entries in range (often repeated); ``unique``: no two entries meet at one position."""
    ndim = draw(st.integers(1, 3))
    shape = tuple(draw(st.lists(st.integers(0, 3), min_size=ndim, max_size=ndim)))
    dim = draw(st.integers(-ndim, ndim - 1))
    d = dim % ndim
    ishape = [draw(st.integers(0, n)) for n in shape]
    ishape[d] = draw(st.integers(0, 4)) if shape[d] else 0
    if unique:
        ishape[d] = min(ishape[d], shape[d])
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    if unique:
        index = np.argsort(rng.random(tuple(ishape[:d]) + (shape[d],) + tuple(ishape[d + 1:])),
                           axis=d)
        index = np.take(index, np.arange(ishape[d]), axis=d)
    else:
        index = rng.integers(0, max(shape[d], 1), size=ishape)
    sshape = tuple(ishape)
    if src:
        sshape = tuple(n + draw(st.integers(0, 1)) for n in ishape) if draw(st.booleans()) \
            else tuple(ishape)
    return shape, dim, index.astype(np.int64), sshape, seed


# ---------------------------------------------------------------------------- gather
@FEW
@given(case=gather_case())
def test_gather_matches_torch_with_repeated_indices(case):
    shape, dim, index, _, seed = case
    gi, ti = T(index)
    check_against_torch(lambda x: gs.gather(x, dim, gi), lambda x: torch.gather(x, dim, ti),
                        random_inputs([shape], seed))
    check_against_torch(lambda x: x.gather(dim, gi), lambda x: x.gather(dim, ti),
                        random_inputs([shape], seed))


def test_gather_gradchecks_and_accumulates_duplicates():
    index = np.array([[0, 0, 2], [1, 0, 0]])
    check_gradients(lambda x: gs.gather(x, 0, gs.tensor(index)), random_inputs([(3, 3)]))
    x = gs.zeros(3, dtype="float64", requires_grad=True)
    gs.gather(x, 0, gs.tensor([0, 0, 0, 2])).sum().backward()
    assert x.grad.tolist() == [3.0, 0.0, 1.0]


def test_gather_of_a_0d_tensor_as_torch():
    for index in (np.array(0), np.array([0, 0])):
        gi, ti = T(index)
        check_against_torch(lambda x: gs.gather(x, 0, gi), lambda x: torch.gather(x, 0, ti),
                            [np.array(2.5)])


def test_gather_takes_int32_indices_and_integer_inputs():
    x = np.arange(6).reshape(2, 3)
    index = np.array([[2, 0]], dtype=np.int32)
    np.testing.assert_array_equal(gs.gather(gs.tensor(x), 1, gs.tensor(index)).array,
                                  torch.gather(torch.tensor(x), 1, torch.tensor(index)).numpy())


# ---------------------------------------------------------------------------- scatter
@FEW
@given(case=gather_case(unique=True))
def test_scatter_src_matches_torch(case):
    shape, dim, index, sshape, seed = case
    gi, ti = T(index)
    x, src = random_inputs([shape, sshape], seed)
    check_against_torch(lambda x, s: gs.scatter(x, dim, gi, s),
                        lambda x, s: torch.scatter(x, dim, ti, s), [x, src])
    check_against_torch(lambda x: x.scatter(dim, gi, 1.5), lambda x: x.scatter(dim, ti, 1.5), [x])
    check_against_torch(lambda x: gs.scatter(x, dim, gi, value=-2.0),
                        lambda x: torch.scatter(x, dim, ti, value=-2.0), [x])


@FEW
@given(case=gather_case())
def test_scatter_gradients_with_duplicates_follow_torch(case):
    # which duplicate wins the forward is unspecified; the gradients are not: src gets dL/dy
    # gathered at every index (each duplicate), input zeros wherever something was written
    shape, dim, index, sshape, seed = case
    gi, ti = T(index)
    x, src = random_inputs([shape, sshape], seed)
    g = np.random.default_rng(seed).standard_normal(shape)
    ours = [gs.tensor(a, requires_grad=True) for a in (x, src)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (x, src)]
    gs.scatter(ours[0], dim, gi, ours[1]).backward(gs.tensor(g))
    torch.scatter(theirs[0], dim, ti, theirs[1]).backward(torch.tensor(g))
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.array, b.grad.numpy())


def test_scatter_src_larger_than_index_uses_its_leading_block():
    x, src = random_inputs([(3, 4), (3, 5)], seed=3)
    index = np.array([[0, 1, 2, 0], [2, 0, 1, 1]])
    gi, ti = T(index)
    check_against_torch(lambda x, s: gs.scatter(x, 0, gi, s),
                        lambda x, s: torch.scatter(x, 0, ti, s), [x, src], grad=False)
    s = gs.tensor(src, requires_grad=True)
    g = np.random.default_rng(0).standard_normal((3, 4))
    gs.scatter(gs.tensor(x), 0, gi, s).backward(gs.tensor(g))
    expected = np.zeros((3, 5))
    expected[:2, :4] = torch.gather(torch.tensor(g), 0, ti).numpy()  # torch's rule, zero-padded
    np.testing.assert_allclose(s.grad.array, expected)


@pytest.mark.parametrize("reduce", ["add", "multiply"])
def test_scatter_with_reduce_matches_torch_and_has_no_gradient(reduce):
    x, src = random_inputs([(3, 4), (2, 4)], seed=4)
    index = np.array([[0, 0, 2, 0], [0, 0, 2, 2]])
    gi, ti = T(index)
    for args in ((src,), (2.5,)):
        ours = gs.scatter(gs.tensor(x), 0, gi, *[gs.tensor(a) if isinstance(a, np.ndarray) else a
                                                 for a in args], reduce=reduce)
        theirs = torch.scatter(torch.tensor(x), 0, ti, *[torch.tensor(a) if isinstance(
            a, np.ndarray) else a for a in args], reduce=reduce)
        np.testing.assert_allclose(ours.array, theirs.numpy(), rtol=1e-12)
    y = gs.scatter(gs.tensor(x, requires_grad=True), 0, gi, 2.0, reduce=reduce)
    with pytest.raises(RuntimeError, match=f"scatter: the derivative .*reduce='{reduce}'"):
        y.sum().backward()


def test_scatter_gradchecks():
    index = np.array([[0, 2, 1], [1, 0, 2]])
    check_gradients(lambda x, s: gs.scatter(x, 0, gs.tensor(index), s),
                    random_inputs([(3, 3), (2, 3)]))


# ---------------------------------------------------------------------------- scatter_add
@FEW
@given(case=gather_case(src=True))
def test_scatter_add_accumulates_duplicates_as_torch(case):
    shape, dim, index, sshape, seed = case
    gi, ti = T(index)
    arrays = random_inputs([shape, index.shape], seed)
    check_against_torch(lambda x, s: gs.scatter_add(x, dim, gi, s),
                        lambda x, s: torch.scatter_add(x, dim, ti, s), arrays)
    check_against_torch(lambda x, s: x.scatter_add(dim, gi, s),
                        lambda x, s: x.scatter_add(dim, ti, s), arrays)


def test_scatter_add_gradchecks_and_sums_duplicates():
    index = np.array([0, 0, 1, 0])
    check_gradients(lambda x, s: gs.scatter_add(x, 0, gs.tensor(index), s),
                    random_inputs([(2,), (4,)]))
    out = gs.scatter_add(gs.zeros(2), 0, gs.tensor(index), gs.tensor([1.0, 2.0, 3.0, 4.0]))
    assert out.tolist() == [7.0, 3.0]


# ---------------------------------------------------------------------------- scatter_reduce
def reduce_inputs(shapes, seed, reduce):
    """Values on a coarse grid, so that amax/amin meet ties and prod meets zeros."""
    rng = np.random.default_rng(seed)
    if reduce in ("amax", "amin"):
        return [rng.integers(-2, 3, size=s).astype(np.float64) for s in shapes]
    if reduce == "prod":
        return [rng.choice([-1.5, -0.5, 0.0, 0.5, 1.0, 2.0], size=s) for s in shapes]
    return random_inputs(shapes, seed)


@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@settings(max_examples=25, deadline=None)
@given(case=gather_case())
def test_scatter_reduce_matches_torch_values_and_gradients(reduce, include_self, case):
    shape, dim, index, _, seed = case
    gi, ti = T(index)
    arrays = reduce_inputs([shape, index.shape], seed, reduce)
    check_against_torch(
        lambda x, s: gs.scatter_reduce(x, dim, gi, s, reduce, include_self=include_self),
        lambda x, s: torch.scatter_reduce(x, dim, ti, s, reduce, include_self=include_self),
        arrays)


@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
def test_scatter_reduce_ties_and_zeros_by_hand_against_torch(reduce, include_self):
    # every position meets a duplicate; self ties src, two zeros meet, one lone zero
    x = np.array([2.0, 0.0, 1.0, 3.0])
    src = np.array([2.0, 2.0, 0.0, 0.0, 5.0, 0.0, 1.0])
    index = np.array([0, 0, 1, 1, 2, 2, 3])
    gi, ti = T(index)
    check_against_torch(
        lambda x, s: x.scatter_reduce(0, gi, s, reduce, include_self=include_self),
        lambda x, s: x.scatter_reduce(0, ti, s, reduce, include_self=include_self), [x, src])


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
def test_scatter_reduce_gradchecks(reduce):
    index = np.array([[0, 1, 0], [2, 1, 0]])
    x, s = random_inputs([(3, 3), (2, 3)], seed=7)
    if reduce in ("amax", "amin"):  # distinct values: no ties for finite differences to cross
        values = np.random.default_rng(0).permutation(15).astype(float)
        x, s = values[:9].reshape(3, 3), values[9:].reshape(2, 3)
    for include_self in (True, False):
        check_gradients(lambda x, s: gs.scatter_reduce(x, 0, gs.tensor(index), s, reduce,
                                                       include_self=include_self), [x, s])


def test_scatter_reduce_integer_mean_rounds_down_as_torch():
    for x, src in (([1, 2], [3, 4, 7]), ([-1, 2], [-3, -4, 7])):
        index = [0, 0, 1]
        ours = gs.scatter_reduce(gs.tensor(x), 0, gs.tensor(index), gs.tensor(src), "mean")
        theirs = torch.scatter_reduce(torch.tensor(x), 0, torch.tensor(index), torch.tensor(src),
                                      "mean")
        assert ours.tolist() == theirs.tolist() and ours.dtype == np.int64


def test_scatter_reduce_nan_propagates_as_torch():
    x, src, index = np.array([1.0, 2.0]), np.array([np.nan, 5.0, 1.0]), np.array([0, 0, 1])
    for reduce, include_self in (("amax", True), ("amin", False)):
        ours = gs.scatter_reduce(gs.tensor(x), 0, gs.tensor(index), gs.tensor(src), reduce,
                                 include_self=include_self)
        theirs = torch.scatter_reduce(torch.tensor(x), 0, torch.tensor(index), torch.tensor(src),
                                      reduce, include_self=include_self)
        np.testing.assert_array_equal(ours.array, theirs.numpy())


# ---------------------------------------------------------------------------- in-place twins
@pytest.mark.parametrize("name, gs_call, torch_call", [
    ("scatter_", lambda y, i, s: y.scatter_(0, i, s), lambda y, i, s: y.scatter_(0, i, s)),
    ("scatter_ value", lambda y, i, s: y.scatter_(0, i, 3.0), lambda y, i, s: y.scatter_(0, i, 3.0)),
    ("scatter_add_", lambda y, i, s: y.scatter_add_(0, i, s),
     lambda y, i, s: y.scatter_add_(0, i, s)),
    ("scatter_reduce_", lambda y, i, s: y.scatter_reduce_(0, i, s, "amax", include_self=False),
     lambda y, i, s: y.scatter_reduce_(0, i, s, "amax", include_self=False)),
])
def test_scatter_in_place_twins_match_torch(name, gs_call, torch_call):
    index = np.array([[0, 2, 1], [1, 0, 2]])
    gi, ti = T(index)

    def run(lib, call, i):
        def fn(x, s):
            y = x * 1.0
            out = call(y, i, s)
            assert out is y
            return y
        return fn
    check_against_torch(run(gs, gs_call, gi), run(torch, torch_call, ti),
                        random_inputs([(3, 3), (2, 3)], seed=9))


# ---------------------------------------------------------------------------- index_*
@st.composite
def index_case(draw, unique=False, min_size=0, min_ndim=0):
    ndim = draw(st.integers(min_ndim, 3))
    shape = tuple(draw(st.lists(st.integers(min_size, 3), min_size=ndim, max_size=ndim)))
    dim = draw(st.integers(-max(ndim, 1), max(ndim, 1) - 1))
    n = shape[dim % ndim] if ndim else 1
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    k = draw(st.integers(0, n if unique else 4)) if n else 0
    index = rng.permutation(n)[:k] if unique else rng.integers(0, max(n, 1), size=k)
    if ndim == 0:
        index = np.array([0])
    if draw(st.booleans()) and index.size == 1:
        index = index.reshape(())
    return shape, dim, index.astype(np.int64), draw(st.integers(0, 2**16))


def source_shape(shape, dim, index):
    if not shape:
        return ()
    out = list(shape)
    out[dim % len(shape)] = index.size
    return tuple(out)


@FEW
@given(case=index_case())
def test_index_select_matches_torch(case):
    shape, dim, index, seed = case
    gi, ti = T(index)
    check_against_torch(lambda x: gs.index_select(x, dim, gi),
                        lambda x: torch.index_select(x, dim, ti), random_inputs([shape], seed))
    check_against_torch(lambda x: x.index_select(dim, gi), lambda x: x.index_select(dim, ti),
                        random_inputs([shape], seed))


@FEW
@given(case=index_case(), alpha=st.sampled_from([1, -2.5]))
def test_index_add_matches_torch(case, alpha):
    shape, dim, index, seed = case
    gi, ti = T(index)
    arrays = random_inputs([shape, source_shape(shape, dim, index)], seed)
    check_against_torch(lambda x, s: gs.index_add(x, dim, gi, s, alpha=alpha),
                        lambda x, s: torch.index_add(x, dim, ti, s, alpha=alpha), arrays)


@FEW
@given(case=index_case(unique=True))
def test_index_copy_matches_torch(case):
    shape, dim, index, seed = case
    gi, ti = T(index)
    arrays = random_inputs([shape, source_shape(shape, dim, index)], seed)
    check_against_torch(lambda x, s: gs.index_copy(x, dim, gi, s),
                        lambda x, s: torch.index_copy(x, dim, ti, s), arrays)


@FEW
@given(case=index_case(min_ndim=1), negative=st.booleans())  # (torch's backward fails on 0-d)
def test_index_fill_matches_torch_with_a_tensor_value(case, negative):
    shape, dim, index, seed = case
    n = shape[dim % len(shape)] if shape else 1
    if negative:
        index = index - n
    gi, ti = T(index)
    arrays = random_inputs([shape, ()], seed)
    # torch's forward takes negative indices, its backward does not: values only then
    check_against_torch(lambda x, v: gs.index_fill(x, dim, gi, v),
                        lambda x, v: torch.index_fill(x, dim, ti, v), arrays, grad=not negative)
    check_against_torch(lambda x: x.index_fill(dim, gi, -1.5),
                        lambda x: x.index_fill(dim, ti, -1.5), arrays[:1])


def test_index_fill_of_a_0d_tensor_as_torch():
    for index in (np.array([0]), np.array(0), np.array([-1])):
        gi, ti = T(index)
        check_against_torch(lambda x: x.index_fill(0, gi, 3.0), lambda x: x.index_fill(0, ti, 3.0),
                            [np.array(2.0)], grad=False)


def test_index_ops_gradcheck():
    index = gs.tensor([2, 0, 2])
    x, s = random_inputs([(3, 2), (3, 2)], seed=5)
    check_gradients(lambda x: gs.index_select(x, 0, index), [x])
    check_gradients(lambda x, s: gs.index_add(x, 0, index, s, alpha=2.0), [x, s])
    check_gradients(lambda x, s: gs.index_copy(x, 0, gs.tensor([2, 0, 1]), s), [x, s])
    check_gradients(lambda x, v: gs.index_fill(x, 0, index, v), [x, np.array(0.5)])


@pytest.mark.parametrize("name, gs_call, torch_call", [
    ("index_add_", lambda y, i, s: y.index_add_(1, i, s, alpha=3),
     lambda y, i, s: y.index_add_(1, i, s, alpha=3)),
    ("index_copy_", lambda y, i, s: y.index_copy_(1, i, s), lambda y, i, s: y.index_copy_(1, i, s)),
    ("index_fill_", lambda y, i, s: y.index_fill_(1, i, s[0, 0]),
     lambda y, i, s: y.index_fill_(1, i, s[0, 0])),
])
def test_index_in_place_twins_match_torch(name, gs_call, torch_call):
    gi, ti = T(np.array([2, 0]))

    def run(call, i):
        def fn(x, s):
            y = x * 1.0
            assert call(y, i, s) is y
            return y
        return fn
    check_against_torch(run(gs_call, gi), run(torch_call, ti), random_inputs([(2, 3), (2, 2)]))


# ---------------------------------------------------------------------------- take
@FEW
@given(case=gather_case())
def test_take_matches_torch_with_negative_and_repeated_indices(case):
    shape, _, _, _, seed = case
    n = int(np.prod(shape))
    rng = np.random.default_rng(seed)
    index = rng.integers(-n, n, size=rng.integers(0, 3, size=rng.integers(0, 3))) if n else \
        np.zeros((0,), np.int64)
    gi, ti = T(index.astype(np.int64))
    check_against_torch(lambda x: gs.take(x, gi), lambda x: torch.take(x, ti),
                        random_inputs([shape], seed))
    check_against_torch(lambda x: x.take(gi), lambda x: x.take(ti), random_inputs([shape], seed))


@st.composite
def take_along_case(draw):
    """(input shape, dim, indices): outside dim each side has the size or 1 (broadcasting)."""
    ndim = draw(st.integers(1, 3))
    sizes = draw(st.lists(st.integers(0, 3), min_size=ndim, max_size=ndim))
    dim = draw(st.integers(-ndim, ndim - 1))
    d = dim % ndim
    shape = [1 if draw(st.booleans()) else n for n in sizes]
    ishape = [1 if draw(st.booleans()) else n for n in sizes]
    shape[d], ishape[d] = sizes[d], draw(st.integers(0, 3)) if sizes[d] else 0
    seed = draw(st.integers(0, 2**16))
    index = np.random.default_rng(seed).integers(0, max(sizes[d], 1), size=ishape)
    return tuple(shape), dim, index.astype(np.int64), seed


@FEW
@given(case=take_along_case())
def test_take_along_dim_matches_torch(case):
    shape, dim, index, seed = case
    gi, ti = T(index)
    arrays = random_inputs([shape], seed)
    check_against_torch(lambda x: gs.take_along_dim(x, gi, dim),
                        lambda x: torch.take_along_dim(x, ti, dim), arrays)
    check_against_torch(lambda x: x.take_along_dim(gi, dim=dim),
                        lambda x: x.take_along_dim(ti, dim=dim), arrays)
    flat = T(index.reshape(-1) % max(int(np.prod(shape)), 1) if np.prod(shape) else
             np.zeros(0, np.int64))
    check_against_torch(lambda x: x.take_along_dim(flat[0]), lambda x: x.take_along_dim(flat[1]),
                        arrays)


def test_take_along_dim_negative_indices_count_from_the_end_as_torch():
    gi, ti = T(np.array([[-1, 0, -3], [-1, 2, -2]]))
    check_against_torch(lambda x: gs.take_along_dim(x, gi, 1),
                        lambda x: torch.take_along_dim(x, ti, 1), random_inputs([(2, 3)]))
    check_against_torch(lambda x: gs.take_along_dim(x, gi[:, :1], -1),
                        lambda x: torch.take_along_dim(x, ti[:, :1], -1), random_inputs([(2, 3)]))


def test_take_along_dim_broadcasts_the_input_too():
    index = np.array([[[0], [2]], [[1], [1]]])  # (2, 2, 1) against input (1, 2, 3) along dim 2
    gi, ti = T(index)
    check_against_torch(lambda x: gs.take_along_dim(x, gi, 2),
                        lambda x: torch.take_along_dim(x, ti, 2), random_inputs([(1, 2, 3)]))
    check_gradients(lambda x: gs.take_along_dim(x, gi, -1), random_inputs([(1, 2, 3)]))


def test_take_gradchecks():
    check_gradients(lambda x: gs.take(x, gs.tensor([[0, -1], [3, 0]])), random_inputs([(2, 2)]))


# ---------------------------------------------------------------------------- masks
@st.composite
def mask_case(draw):
    """(input shape, mask) broadcasting against each other, the mask often all True or False."""
    ndim = draw(st.integers(0, 3))
    shape = tuple(draw(st.lists(st.integers(0, 3), min_size=ndim, max_size=ndim)))
    mshape = tuple(draw(st.sampled_from([n, 1])) for n in shape)
    if draw(st.booleans()):  # the mask broadcasts the input (more dims, or size-1 dims of input)
        mshape = (2,) + mshape
        shape = tuple(1 if draw(st.booleans()) else n for n in shape)
        mshape = (2,) + tuple(m if n == 1 else n for m, n in zip(mshape[1:], shape))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    mask = rng.random(mshape) < draw(st.sampled_from([0.0, 0.5, 1.0]))
    return shape, mask, draw(st.integers(0, 2**16))


@FEW
@given(case=mask_case())
def test_masked_fill_matches_torch(case):
    shape, mask, seed = case
    gm, tm = T(mask)
    arrays = random_inputs([shape, ()], seed)
    check_against_torch(lambda x, v: gs.masked_fill(x, gm, v),
                        lambda x, v: torch.masked_fill(x, tm, v), arrays)
    check_against_torch(lambda x: x.masked_fill(gm, float("-inf")),
                        lambda x: x.masked_fill(tm, float("-inf")), arrays[:1])


@FEW
@given(case=mask_case())
def test_masked_select_matches_torch(case):
    shape, mask, seed = case
    gm, tm = T(mask)
    check_against_torch(lambda x: gs.masked_select(x, gm), lambda x: torch.masked_select(x, tm),
                        random_inputs([shape], seed))
    check_against_torch(lambda x: x.masked_select(gm), lambda x: x.masked_select(tm),
                        random_inputs([shape], seed))


@FEW
@given(case=mask_case(), extra=st.integers(0, 2))
def test_masked_scatter_matches_torch(case, extra):
    shape, mask, seed = case
    gm, tm = T(mask)
    n = int(np.broadcast_to(mask, np.broadcast_shapes(shape, mask.shape)).sum())
    arrays = random_inputs([shape, (n + extra,)], seed)
    check_against_torch(lambda x, s: gs.masked_scatter(x, gm, s),
                        lambda x, s: torch.masked_scatter(x, tm, s), arrays)


def test_mask_ops_gradcheck():
    mask = gs.tensor(np.array([[True, False, True], [False, False, True]]))
    x, s = random_inputs([(2, 3), (2, 2)], seed=6)
    check_gradients(lambda x, v: gs.masked_fill(x, mask, v), [x, np.array(1.0)])
    check_gradients(lambda x: gs.masked_select(x, mask[:1]), [x])
    check_gradients(lambda x, s: gs.masked_scatter(x, mask, s), [x, s])


def test_masked_in_place_twins_match_torch():
    mask = np.array([[True, False, True], [False, False, True]])
    gm, tm = T(mask)

    def run(m):
        def fn(x, s):
            y = x * 2.0
            assert y.masked_fill_(m[:, :1], -1.0) is y
            y.masked_scatter_(m, s)
            return y
        return fn
    check_against_torch(run(gm), run(tm), random_inputs([(2, 3), (5,)], seed=2))


def test_masked_fill_keeps_the_input_dtype_as_torch():
    mask = np.array([True, False, True])
    ours = gs.masked_fill(gs.zeros(3, dtype="int64"), gs.tensor(mask), 2.7)
    theirs = torch.masked_fill(torch.zeros(3, dtype=torch.long), torch.tensor(mask), 2.7)
    assert ours.tolist() == theirs.tolist() and ours.dtype == np.int64
    ours = gs.zeros(3).masked_fill(gs.tensor(mask), gs.tensor(2.0, dtype="float64"))
    assert ours.dtype == np.float32


# ---------------------------------------------------------------------------- nonzero
@pytest.mark.parametrize("array", [
    np.array(5.0), np.array(0.0), np.array([0.0, 1.0, -2.0, 0.0]), np.zeros((0, 3)),
    np.array([[0, 1, 2], [3, 0, 0]]), np.array([[[True, False]], [[True, True]]]),
    np.array([np.nan, 0.0, np.inf]),
])
def test_nonzero_and_argwhere_match_torch(array):
    ours, theirs = gs.tensor(array), torch.tensor(array)
    for a, b in ((gs.nonzero(ours), torch.nonzero(theirs)), (ours.nonzero(), theirs.nonzero()),
                 (gs.argwhere(ours), torch.argwhere(theirs)), (ours.argwhere(), theirs.argwhere())):
        assert a.shape == tuple(b.shape) and a.dtype == np.int64
        np.testing.assert_array_equal(a.array, b.numpy())
    a, b = gs.nonzero(ours, as_tuple=True), torch.nonzero(theirs, as_tuple=True)
    assert len(a) == len(b) and all(np.array_equal(p.array, q.numpy()) for p, q in zip(a, b))
    assert len(ours.nonzero(as_tuple=True)) == len(b)


# ---------------------------------------------------------------------------- diagonals
@pytest.mark.parametrize("shape, offset", [((4,), 0), ((3,), 1), ((3,), -2), ((0,), 1),
                                           ((3, 3), 0), ((3, 4), 1), ((4, 3), -2), ((2, 3), 5),
                                           ((0, 2), 0)])
def test_diag_matches_torch_and_gradchecks(shape, offset):
    arrays = random_inputs([shape], seed=1)
    check_against_torch(lambda x: gs.diag(x, offset), lambda x: torch.diag(x, offset), arrays)
    check_against_torch(lambda x: x.diag(diagonal=offset), lambda x: x.diag(diagonal=offset),
                        arrays)
    check_gradients(lambda x: gs.diag(x, offset), arrays)


@pytest.mark.parametrize("shape, args", [
    ((3, 3), (0, 0, 1)), ((3, 4), (1, 0, 1)), ((3, 4), (-1, 1, 0)), ((2, 3, 4), (0, -1, 0)),
    ((2, 3, 4), (2, 0, 2)), ((2, 3, 4), (-5, 1, 2)), ((2, 0, 3), (0, 0, 2)), ((4, 2, 3), (-1, 2, 0)),
])
def test_diagonal_matches_torch_and_gradchecks(shape, args):
    arrays = random_inputs([shape], seed=2)
    check_against_torch(lambda x: gs.diagonal(x, *args), lambda x: torch.diagonal(x, *args),
                        arrays)
    check_against_torch(lambda x: x.diagonal(offset=args[0], dim1=args[1], dim2=args[2]),
                        lambda x: x.diagonal(offset=args[0], dim1=args[1], dim2=args[2]), arrays)
    check_gradients(lambda x: gs.diagonal(x, *args), arrays)


def test_diagonal_is_a_writable_view_as_torch():
    ours, theirs = gs.zeros(3, 3), torch.zeros(3, 3)
    ours.diagonal().fill_(2.0)
    theirs.diagonal().fill_(2.0)
    np.testing.assert_array_equal(ours.array, theirs.numpy())


@pytest.mark.parametrize("shape, args", [
    ((3,), ()), ((2, 3), (1,)), ((2, 3), (-1, 0, 2)), ((2, 3), (0, 2, 0)), ((2, 0), (1,)),
    ((2, 3), (2, -1, 1)),
])
def test_diag_embed_matches_torch_and_gradchecks(shape, args):
    arrays = random_inputs([shape], seed=3)
    check_against_torch(lambda x: gs.diag_embed(x, *args), lambda x: torch.diag_embed(x, *args),
                        arrays)
    check_against_torch(lambda x: x.diag_embed(*args), lambda x: x.diag_embed(*args), arrays)
    check_gradients(lambda x: gs.diag_embed(x, *args), arrays)


@pytest.mark.parametrize("name", ["tril", "triu"])
@pytest.mark.parametrize("shape", [(3, 3), (2, 5), (4, 2), (2, 3, 4), (0, 3), (2, 0, 2)])
@pytest.mark.parametrize("diagonal", [0, 1, -1, 3, -4])
def test_triangles_match_torch_and_gradcheck(name, shape, diagonal):
    arrays = random_inputs([shape], seed=4)
    check_against_torch(lambda x: getattr(gs, name)(x, diagonal),
                        lambda x: getattr(torch, name)(x, diagonal), arrays)
    check_against_torch(lambda x: getattr(x * 1.0, name + "_")(diagonal=diagonal),
                        lambda x: getattr(x * 1.0, name + "_")(diagonal=diagonal), arrays)
    check_gradients(lambda x: getattr(x, name)(diagonal), arrays)


def test_triangles_keep_integer_and_bool_dtypes():
    for array in (np.arange(9).reshape(3, 3), np.ones((2, 2), bool)):
        for name in ("tril", "triu"):
            ours = getattr(gs, name)(gs.tensor(array), 1)
            theirs = getattr(torch, name)(torch.tensor(array), 1)
            assert ours.dtype == array.dtype
            np.testing.assert_array_equal(ours.array, theirs.numpy())


# ---------------------------------------------------------------------------- factories
@pytest.mark.parametrize("args", [(3,), (2, 4), (4, 2), (0,), (3, 0)])
def test_eye_matches_torch(args):
    np.testing.assert_array_equal(gs.eye(*args).array, torch.eye(*args).numpy())
    assert gs.eye(*args).dtype == np.float32
    assert gs.eye(*args, dtype="float64").dtype == np.float64
    assert gs.eye(2, requires_grad=True).requires_grad


@pytest.mark.parametrize("args", [(3, 3), (4, 3, 1), (3, 4, -1), (2, 5, 3), (0, 3), (3, 3, -5),
                                  (1, 1, 0)])
def test_triangle_indices_match_torch(args):
    for name in ("tril_indices", "triu_indices"):
        ours, theirs = getattr(gs, name)(*args), getattr(torch, name)(*args)
        assert ours.dtype == np.int64 and ours.shape == tuple(theirs.shape)
        np.testing.assert_array_equal(ours.array, theirs.numpy())
    assert gs.tril_indices(3, 3, dtype="int32").dtype == np.int32


@pytest.mark.parametrize("dtype", ["float32", "int64", "float64"])
def test_new_constructors_match_torch(dtype):
    ours, theirs = gs.zeros(2, dtype=dtype), torch.zeros(2, dtype=getattr(torch, dtype))
    cases = [
        (lambda x: x.new_zeros(2, 3), None), (lambda x: x.new_zeros((2,)), None),
        (lambda x: x.new_ones([]), None), (lambda x: x.new_full((2, 2), 1.5), None),
        (lambda x: x.new_full([3], 7), None), (lambda x: x.new_tensor([[1.5, 2.0]]), None),
        (lambda x: x.new_ones(2, dtype=gs.int32), lambda x: x.new_ones(2, dtype=torch.int32)),
        (lambda x: x.new_zeros(1, dtype=gs.float64), lambda x: x.new_zeros(1, dtype=torch.float64)),
    ]
    for gs_call, torch_call in cases:
        a, b = gs_call(ours), (torch_call or gs_call)(theirs)
        assert a.shape == tuple(b.shape) and str(a.dtype) == str(b.dtype).replace("torch.", "")
        np.testing.assert_array_equal(a.array, b.numpy())
    assert ours.new_empty(2, 3).shape == (2, 3) and ours.new_empty((2,)).dtype == ours.dtype
    if dtype != "int64":
        assert ours.new_zeros(2, requires_grad=True).requires_grad


def test_new_tensor_copies_its_data():
    data = np.ones(3)
    out = gs.zeros(1, dtype="float64").new_tensor(data)
    data[0] = 5.0
    assert out.tolist() == [1.0, 1.0, 1.0]


# ---------------------------------------------------------------------------- bad input
def test_gather_errors_name_ranks_sizes_and_dtypes():
    x = gs.zeros(3, 4)
    with pytest.raises(RuntimeError, match=r"gather: index has 1 dimensions but input has 2"):
        gs.gather(x, 0, gs.tensor([0, 1]))
    with pytest.raises(IndexError, match=r"gather: index 5 is out of range for dimension 0 with "
                                         "size 3"):
        gs.gather(x, 0, gs.tensor([[5]]))
    with pytest.raises(RuntimeError, match=r"gather: index 5 is out of range"):  # as torch
        gs.gather(x, 0, gs.tensor([[5]]))
    with pytest.raises(IndexError, match=r"gather: index -1 is out of range for dimension 1"):
        gs.gather(x, 1, gs.tensor([[-1]]))
    with pytest.raises(RuntimeError, match=r"gather: expected dtype int64 or int32 for index, got "
                                           "float32"):
        gs.gather(x, 0, gs.tensor([[1.0]]))
    with pytest.raises(RuntimeError, match=r"gather: index of shape \(1, 5\) is larger than input "
                                           r"of shape \(3, 4\) outside dimension 0"):
        gs.gather(x, 0, gs.zeros(1, 5, dtype="int64"))
    with pytest.raises(IndexError, match=r"gather: dim 2 is out of range for a tensor of 2"):
        gs.gather(x, 2, gs.zeros(1, 1, dtype="int64"))
    with pytest.raises(TypeError, match=r"gather: argument 'index' must be a Tensor, not list"):
        gs.gather(x, 0, [[0]])


def test_scatter_errors():
    x = gs.zeros(2, 3)
    with pytest.raises(IndexError, match=r"scatter: index 3 is out of range for dimension 1 with "
                                         "size 3"):
        x.scatter(1, gs.tensor([[3]]), 2.0)
    with pytest.raises(RuntimeError, match=r"scatter: input \(float32\) and src \(float64\) must "
                                           "have the same dtype"):
        x.scatter(1, gs.tensor([[0]]), gs.ones(1, 1, dtype="float64"))
    with pytest.raises(RuntimeError, match=r"scatter_add: index of shape \(1, 2\) is larger than "
                                           r"src of shape \(1, 1\)"):
        x.scatter_add(1, gs.tensor([[0, 0]]), gs.ones(1, 1))
    with pytest.raises(RuntimeError, match=r"scatter: index has 2 dimensions but src has 3"):
        x.scatter(1, gs.tensor([[0, 0]]), gs.ones(1, 2, 1))
    with pytest.raises(RuntimeError, match="scatter: reduce argument must be either add or "
                                           "multiply, got 'sum'"):
        x.scatter(1, gs.tensor([[0]]), 2.0, reduce="sum")
    with pytest.raises(RuntimeError, match="scatter_reduce: reduce argument must be .* got 'foo'"):
        x.scatter_reduce(1, gs.tensor([[0]]), gs.ones(1, 1), "foo")
    with pytest.raises(RuntimeError, match="scatter_reduce: expected dtype int64 or int32 for "
                                           "index, got int16"):
        x.scatter_reduce(1, gs.tensor(np.zeros((1, 1), np.int16)), gs.ones(1, 1), "sum")


def test_index_op_errors():
    x = gs.zeros(2, 3)
    with pytest.raises(IndexError, match=r"index_select: index 7 is out of range for dimension 1 "
                                         "with size 3"):
        x.index_select(1, gs.tensor([0, 7]))
    with pytest.raises(IndexError, match=r"index_select: index should be a vector .* \(1, 1\)"):
        x.index_select(1, gs.tensor([[0]]))
    with pytest.raises(RuntimeError, match="index_select: expected dtype int64 or int32 for "
                                           "index, got float32"):
        x.index_select(1, gs.tensor([0.0]))
    with pytest.raises(RuntimeError, match=r"index_select: index to a 0-d tensor can have only 1 "
                                           "value, got 2"):
        gs.tensor(5.0).index_select(0, gs.tensor([0, 0]))
    with pytest.raises(RuntimeError, match=r"index_add: source of shape \(2, 2\) does not match "
                                           r"input of shape \(2, 3\) .* expected \(2, 1\)"):
        x.index_add(1, gs.tensor([1]), gs.ones(2, 2))
    with pytest.raises(IndexError, match="index_add: index -1 is out of range for dimension 1"):
        x.index_add(1, gs.tensor([-1]), gs.ones(2, 1))
    with pytest.raises(RuntimeError, match="index_copy: expected dtype int64 for index, got int32"):
        x.index_copy(1, gs.tensor(np.array([0], np.int32)), gs.ones(2, 1))
    with pytest.raises(IndexError, match="index_fill: expected dtype int64 for index, got int32"):
        x.index_fill(1, gs.tensor(np.array([0], np.int32)), 1.0)
    with pytest.raises(IndexError, match="index_fill: index 3 is out of range for dimension 1 "
                                         "with size 3"):
        x.index_fill(1, gs.tensor([3]), 1.0)
    with pytest.raises(RuntimeError, match=r"index_fill: only a 0-d tensor or a number .* shape "
                                           r"\(2,\)"):
        x.index_fill(1, gs.tensor([0]), gs.ones(2))
    with pytest.raises(IndexError, match=r"take: index 6 is out of range for dimension 0 of the "
                                         "flattened input with size 6"):
        gs.take(x, gs.tensor([6]))
    with pytest.raises(RuntimeError, match="take_along_dim: expected dtype int64 for indices, got "
                                           "int32"):
        gs.take_along_dim(x, gs.tensor(np.array([[0]], np.int32)), 1)
    with pytest.raises(RuntimeError, match=r"take_along_dim: .*2 dimensions for input .*1 for "
                                           "indices"):
        gs.take_along_dim(x, gs.tensor([0, 1]), 0)
    with pytest.raises(IndexError, match=r"take_along_dim: dim 0 is out of range for a 0-d"):
        gs.take_along_dim(gs.tensor(2.0), gs.tensor(0), 0)
    with pytest.raises(RuntimeError, match=r"take_along_dim: input of shape \(2, 3\) and indices "
                                           r"of shape \(1, 2\) do not broadcast outside dim 0"):
        gs.take_along_dim(x, gs.tensor([[0, 1]]), 0)


def test_mask_errors():
    x = gs.zeros(3)
    with pytest.raises(RuntimeError, match="masked_fill: only boolean masks .* dtype int64"):
        x.masked_fill(gs.tensor([1, 0, 1]), 1.0)
    with pytest.raises(RuntimeError, match=r"masked_fill: only a 0-d tensor or a number can be "
                                           r"the value, got a tensor of shape \(3,\)"):
        x.masked_fill(gs.tensor([True, False, True]), gs.ones(3))
    with pytest.raises(RuntimeError, match=r"masked_select: the mask of shape \(2,\) does not "
                                           r"broadcast with the input of shape \(3,\)"):
        x.masked_select(gs.tensor([True, False]))
    with pytest.raises(RuntimeError, match=r"masked_scatter: source has 2 elements .* 3 True"):
        x.masked_scatter(gs.tensor([True, True, True]), gs.ones(2))
    with pytest.raises(RuntimeError, match=r"masked_fill_: the result has shape \(2, 3\)"):
        x.masked_fill_(gs.tensor([[True], [False]]), 1.0)


def test_diagonal_and_factory_errors():
    with pytest.raises(IndexError, match="diag_embed: expects a tensor of at least 1 dimension"):
        gs.diag_embed(gs.tensor(2.0))
    with pytest.raises(RuntimeError, match=r"diag: expects a 1-d or 2-d tensor, got 3 dimensions"):
        gs.diag(gs.zeros(2, 2, 2))
    with pytest.raises(RuntimeError, match=r"diagonal: dim1 and dim2 cannot be the same"):
        gs.diagonal(gs.zeros(2, 2), 0, 1, -1)
    with pytest.raises(RuntimeError, match=r"diagonal: expects a tensor of at least 2 dimensions"):
        gs.diagonal(gs.zeros(2))
    with pytest.raises(RuntimeError, match=r"tril: input tensor must have at least 2 dimensions, "
                                           r"got shape \(3,\)"):
        gs.tril(gs.zeros(3))
    with pytest.raises(RuntimeError, match="eye: n must be greater or equal to 0, got -1"):
        gs.eye(-1)
    with pytest.raises(RuntimeError, match=r"new_zeros: negative dimension in size \(2, -1\)"):
        gs.zeros(1).new_zeros(2, -1)
