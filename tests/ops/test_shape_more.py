"""More shape ops (narrow, select, unbind, flip, roll, repeat, tile, repeat_interleave, movedim,
the *stack and *split families, broadcast_*, ravel, *_as) and cat/stack of zero-size tensors:
values and gradients against torch (float64), gradchecks, methods, errors."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gradsheet as gs
from tests.helpers import check_against_torch, check_gradients, random_inputs, torch_or_skip

torch = torch_or_skip()

FEW = settings(max_examples=20, deadline=None)
shapes = st.lists(st.integers(0, 3), min_size=0, max_size=3).map(tuple)
nonempty_dims = st.lists(st.integers(0, 3), min_size=1, max_size=3).map(tuple)


def lib(x):
    """The library a tensor comes from: the same test code runs on both."""
    return gs if isinstance(x, gs.Tensor) else torch


def joined(pieces):
    """A tuple of tensors as one, each weighted differently so a misrouted gradient shows."""
    pieces = list(pieces)
    return lib(pieces[0]).cat([(p * (i + 1.0)).reshape(-1) for i, p in enumerate(pieces)])


def same_pieces(gs_pieces, torch_pieces):
    assert [tuple(p.shape) for p in gs_pieces] == [tuple(p.shape) for p in torch_pieces]


# name -> (the same code on both libraries, input shapes)
SAME_CODE = {
    "narrow": (lambda x: x.narrow(1, 1, 2), [(2, 4)]),
    "narrow negative start": (lambda x: lib(x).narrow(x, -1, -3, 2), [(2, 4)]),
    "narrow to nothing": (lambda x: x.narrow(0, 2, 0), [(2, 4)]),
    "select": (lambda x: x.select(1, -1), [(2, 3, 4)]),
    "select function": (lambda x: lib(x).select(x, 0, 1), [(2, 3)]),
    "unbind": (lambda x: joined(x.unbind(1)), [(2, 3, 2)]),
    "unbind function": (lambda x: joined(lib(x).unbind(x, -1)), [(2, 3)]),
    "flip": (lambda x: x.flip(0, -1), [(2, 3, 4)]),
    "flip tuple": (lambda x: lib(x).flip(x, (1,)), [(2, 3)]),
    "flip 0-d": (lambda x: lib(x).flip(x, (0,)), [()]),
    "fliplr": (lambda x: lib(x).fliplr(x), [(2, 3, 2)]),
    "flipud": (lambda x: x.flipud(), [(3,)]),
    "roll flat": (lambda x: lib(x).roll(x, 2), [(2, 3)]),
    "roll dims": (lambda x: x.roll((1, -1), (0, 1)), [(2, 3)]),
    "roll 0-d": (lambda x: lib(x).roll(x, 1), [()]),
    "roll big shift": (lambda x: x.roll(7, -1), [(2, 3)]),
    "repeat": (lambda x: x.repeat(2, 1, 3), [(2, 3)]),
    "repeat tuple": (lambda x: x.repeat((2, 2)), [(3,)]),
    "repeat 0-d": (lambda x: x.repeat(2, 2), [()]),
    "repeat zero": (lambda x: x.repeat(0, 2), [(2, 3)]),
    "tile": (lambda x: lib(x).tile(x, (2,)), [(2, 3)]),
    "tile method": (lambda x: x.tile(2, 1, 2), [(2, 3)]),
    "repeat_interleave int": (lambda x: lib(x).repeat_interleave(x, 2), [(2, 3)]),
    "repeat_interleave dim": (lambda x: x.repeat_interleave(3, dim=1), [(2, 2)]),
    "repeat_interleave 0-d": (lambda x: lib(x).repeat_interleave(x, 2), [()]),
    "repeat_interleave tensor": (lambda x: x.repeat_interleave(lib(x).tensor([1, 0, 2]), dim=0),
                                 [(3, 2)]),
    "repeat_interleave one count": (lambda x: x.repeat_interleave(lib(x).tensor([2]), dim=-1),
                                    [(3, 2)]),
    "unflatten": (lambda x: x.unflatten(1, (2, -1)), [(2, 6)]),
    "unflatten function": (lambda x: lib(x).unflatten(x, -1, (3, 1, 2)), [(2, 6)]),
    "movedim": (lambda x: lib(x).movedim(x, (0, 1), (2, 0)), [(2, 3, 4)]),
    "movedim int": (lambda x: x.movedim(-1, 0), [(2, 3, 4)]),
    "moveaxis": (lambda x: lib(x).moveaxis(x, 0, -1), [(2, 3, 4)]),
    "movedim 0-d": (lambda x: lib(x).movedim(x, 0, -1), [()]),
    "swapaxes": (lambda x: lib(x).swapaxes(x, 0, 2), [(2, 3, 4)]),
    "swapaxes method": (lambda x: x.swapaxes(-1, 0), [(2, 3)]),
    "swapdims": (lambda x: lib(x).swapdims(x, 1, 0), [(2, 3)]),
    "swapdims method": (lambda x: x.swapdims(1, 2), [(2, 3, 4)]),
    "view_as": (lambda x, y: x.view_as(y), [(6,), (2, 3)]),
    "reshape_as": (lambda x, y: x.t().reshape_as(y), [(2, 3), (6,)]),
    "expand_as": (lambda x, y: x.expand_as(y) * y, [(3, 1), (2, 3, 4)]),
    "squeeze 0-d": (lambda x: x.squeeze(0), [()]),
    "squeeze 0-d -1": (lambda x: lib(x).squeeze(x, -1), [()]),
    "squeeze 0-d tuple": (lambda x: x.squeeze((0,)), [()]),
    "atleast_1d": (lambda x: lib(x).atleast_1d(x), [()]),
    "atleast_2d": (lambda x: lib(x).atleast_2d(x), [(3,)]),
    "atleast_3d": (lambda x: lib(x).atleast_3d(x), [(2, 3)]),
    "atleast_3d of (n,)": (lambda x: lib(x).atleast_3d(x), [(3,)]),
    "atleast_2d many": (lambda x, y: joined(lib(x).atleast_2d(x, y)), [(), (2, 3)]),
    "atleast_3d list": (lambda x, y: joined(lib(x).atleast_3d([x, y])), [(3,), ()]),
    "hstack": (lambda x, y: lib(x).hstack([x, y]), [(2, 1), (2, 3)]),
    "hstack 1-d": (lambda x, y: lib(x).hstack((x, y)), [(), (3,)]),
    "vstack": (lambda x, y: lib(x).vstack([x, y]), [(3,), (2, 3)]),
    "row_stack": (lambda x, y: lib(x).row_stack([x, y]), [(3,), (3,)]),
    "dstack": (lambda x, y: lib(x).dstack([x, y]), [(2, 3), (2, 3, 2)]),
    "dstack 0-d": (lambda x, y: lib(x).dstack([x, y]), [(), (1,)]),
    "column_stack": (lambda x, y: lib(x).column_stack([x, y]), [(3,), (3, 2)]),
    "column_stack 0-d": (lambda x, y: lib(x).column_stack([x, y]), [(), ()]),
    "column_stack 3-d": (lambda x, y: lib(x).column_stack([x, y]), [(2, 3, 4), (2, 1, 4)]),
    "tensor_split sections": (lambda x: joined(lib(x).tensor_split(x, 3)), [(7, 2)]),
    "tensor_split more sections than entries": (lambda x: joined(x.tensor_split(5, dim=1)),
                                                [(2, 3)]),
    "tensor_split indices": (lambda x: joined(lib(x).tensor_split(x, [3, 1, 9, -2])), [(7,)]),
    "tensor_split tensor indices": (lambda x: joined(x.tensor_split(lib(x).tensor([1, 2]), -1)),
                                    [(2, 4)]),
    "tensor_split 0-d tensor": (lambda x: joined(x.tensor_split(lib(x).tensor(2))), [(7,)]),
    "hsplit": (lambda x: joined(lib(x).hsplit(x, 2)), [(2, 4)]),
    "hsplit 1-d": (lambda x: joined(x.hsplit([1, 3])), [(5,)]),
    "vsplit": (lambda x: joined(lib(x).vsplit(x, [1])), [(3, 2)]),
    "dsplit": (lambda x: joined(x.dsplit(2)), [(1, 2, 4)]),
    "broadcast_to": (lambda x: lib(x).broadcast_to(x, (2, -1, 4)), [(3, 1)]),
    "broadcast_to method": (lambda x: x.broadcast_to((2, 3)), [(3,)]),
    "broadcast_tensors": (lambda x, y, z: joined(lib(x).broadcast_tensors(x, y, z)),
                          [(3, 1), (4,), ()]),
    "ravel": (lambda x: lib(x).ravel(x.t()), [(2, 3)]),
    "ravel 0-d": (lambda x: x.ravel(), [()]),
}


@pytest.mark.parametrize("name", list(SAME_CODE))
def test_shape_op_matches_torch_and_gradchecks(name):
    fn, input_shapes = SAME_CODE[name]
    arrays = random_inputs(input_shapes, seed=len(name))
    check_against_torch(fn, fn, arrays)
    check_gradients(fn, arrays)


@pytest.mark.parametrize("name, fn, input_shape", [
    ("unbind", lambda x: x.unbind(1), (2, 0, 3)),
    ("unbind empty", lambda x: x.unbind(0), (0, 2)),
    ("tensor_split", lambda x: x.tensor_split(3), (2,)),
    ("tensor_split zero-size", lambda x: x.tensor_split([1, 1], dim=1), (0, 3)),
    ("hsplit", lambda x: x.hsplit([0, 2]), (2, 3)),
    ("chunk", lambda x: x.chunk(3, 1), (0, 4)),
    ("broadcast_tensors", lambda x: lib(x).broadcast_tensors(x, x[:1]), (0, 2)),
    ("atleast_1d many", lambda x: lib(x).atleast_1d(x, x.sum()), (0,)),
])
def test_tuple_results_have_torch_shapes(name, fn, input_shape):
    same_pieces(fn(gs.zeros(*input_shape)), fn(torch.zeros(*input_shape)))


# ---------------------------------------------------------------- hypothesis-drawn shapes
@FEW
@given(shape=nonempty_dims, data=st.data())
def test_flip_and_roll_match_torch_on_drawn_shapes(shape, data):
    ndim = len(shape)
    dims = tuple(data.draw(st.lists(st.integers(-ndim, ndim - 1), min_size=1, max_size=ndim,
                                    unique_by=lambda d: d % ndim)))
    shifts = tuple(data.draw(st.lists(st.integers(-5, 5), min_size=len(dims), max_size=len(dims))))
    arrays = random_inputs([shape], seed=ndim)
    check_against_torch(lambda x: lib(x).flip(x, dims), lambda x: torch.flip(x, dims), arrays)
    check_against_torch(lambda x: x.roll(shifts, dims), lambda x: x.roll(shifts, dims), arrays)
    check_against_torch(lambda x: x.roll(shifts[0]), lambda x: x.roll(shifts[0]), arrays)


@FEW
@given(shape=shapes, data=st.data())
def test_repeat_and_tile_match_torch_on_drawn_shapes(shape, data):
    sizes = tuple(data.draw(st.lists(st.integers(0, 3), min_size=len(shape), max_size=3)))
    dims = tuple(data.draw(st.lists(st.integers(0, 3), min_size=0, max_size=3)))
    arrays = random_inputs([shape], seed=len(sizes))
    check_against_torch(lambda x: x.repeat(*sizes) if sizes else x.repeat(sizes),
                        lambda x: x.repeat(*sizes) if sizes else x.repeat(sizes), arrays)
    check_against_torch(lambda x: gs.tile(x, dims), lambda x: torch.tile(x, dims), arrays)


@FEW
@given(shape=nonempty_dims, data=st.data())
def test_repeat_interleave_matches_torch_on_drawn_shapes(shape, data):
    ndim = len(shape)
    dim = data.draw(st.none() | st.integers(-ndim, ndim - 1))
    n = int(np.prod(shape)) if dim is None else shape[dim]
    counts = np.array(data.draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)), np.int64)
    arrays = random_inputs([shape], seed=n)
    check_against_torch(lambda x: gs.repeat_interleave(x, gs.tensor(counts), dim),
                        lambda x: torch.repeat_interleave(x, torch.tensor(counts), dim), arrays)
    check_against_torch(lambda x: x.repeat_interleave(2, dim), lambda x: x.repeat_interleave(2, dim),
                        arrays)


def test_repeat_interleave_of_counts_alone_as_torch():
    for counts in ([1, 0, 2], [0], [3]):
        ours = gs.repeat_interleave(gs.tensor(counts))
        theirs = torch.repeat_interleave(torch.tensor(counts))
        assert ours.dtype == np.int64 and ours.tolist() == theirs.tolist()


@FEW
@given(shape=nonempty_dims, data=st.data())
def test_narrow_select_and_movedim_match_torch_on_drawn_shapes(shape, data):
    ndim = len(shape)
    dim = data.draw(st.integers(-ndim, ndim - 1))
    n = shape[dim]
    start = data.draw(st.integers(-n, n))
    length = data.draw(st.integers(0, n - start % (n + 1) if start >= 0 else -start))
    arrays = random_inputs([shape], seed=n)
    check_against_torch(lambda x: x.narrow(dim, start, length),
                        lambda x: x.narrow(dim, start, length), arrays)
    if n:
        index = data.draw(st.integers(-n, n - 1))
        check_against_torch(lambda x: x.select(dim, index), lambda x: x.select(dim, index), arrays)
    source = data.draw(st.permutations(range(ndim)))[:data.draw(st.integers(1, ndim))]
    dest = data.draw(st.permutations(range(-ndim, 0)))[:len(source)]
    check_against_torch(lambda x: lib(x).movedim(x, tuple(source), tuple(dest)),
                        lambda x: torch.movedim(x, tuple(source), tuple(dest)), arrays)


@FEW
@given(shape=nonempty_dims, data=st.data())
def test_tensor_split_matches_torch_on_drawn_shapes(shape, data):
    ndim = len(shape)
    dim = data.draw(st.integers(-ndim, ndim - 1))
    sections = data.draw(st.integers(1, 4) | st.lists(st.integers(-4, 5), max_size=3))
    pieces = gs.zeros(*shape).tensor_split(sections, dim)
    same_pieces(pieces, torch.zeros(*shape).tensor_split(sections, dim))
    if any(p.numel() for p in pieces):
        check_against_torch(lambda x: joined(x.tensor_split(sections, dim)),
                            lambda x: joined(x.tensor_split(sections, dim)),
                            random_inputs([shape], seed=ndim))


# ---------------------------------------------------------------- views and dtypes
def test_narrow_select_and_unbind_are_views_as_torch():
    ours, theirs = gs.zeros(2, 3), torch.zeros(2, 3)
    for x in (ours, theirs):
        x.narrow(1, 1, 1).fill_(1.0)
        x.select(0, 1).fill_(2.0)
        x.unbind(1)[2].fill_(3.0)
    np.testing.assert_array_equal(ours.array, theirs.numpy())


def test_narrow_takes_a_0d_tensor_start():
    check_against_torch(lambda x: x.narrow(0, gs.tensor(1), 2), lambda x: x.narrow(0, torch.tensor(1), 2),
                        random_inputs([(4,)]))


def test_flip_copies_as_torch():
    x = gs.zeros(3)
    x.flip(0).fill_(1.0)
    assert x.tolist() == [0.0, 0.0, 0.0]


def test_type_as_converts_to_the_other_dtype():
    for dtype in ("int64", "float64", "float32"):
        ours = gs.tensor([1.5, -2.0]).type_as(gs.zeros(1, dtype=dtype))
        theirs = torch.tensor([1.5, -2.0]).type_as(torch.zeros(1, dtype=getattr(torch, dtype)))
        assert str(ours.dtype) == dtype and ours.tolist() == theirs.tolist()
    x = gs.tensor([1.0, 2.0], requires_grad=True)
    x.type_as(gs.zeros(1, dtype="float64")).sum().backward()
    assert x.grad.dtype == np.float32 and x.grad.tolist() == [1.0, 1.0]


def test_swapdims_and_transpose_are_bound_once_each():
    from gradsheet.autograd.methods import TABLE
    assert TABLE["swapdims"] is gs.swapdims and TABLE["transpose"] is gs.transpose
    assert TABLE["swapaxes"] is gs.swapaxes and TABLE["moveaxis"] is gs.movedim


# ---------------------------------------------------------------- cat and stack
@pytest.mark.parametrize("shapes, dim", [
    ([(0,), (2, 3)], 0), ([(0,), (2, 3)], 1), ([(2, 3), (0,), (1, 3)], -2), ([(0,), (0,)], 0),
    ([(0, 3), (2, 3)], 0), ([(2, 0), (2, 3)], 1), ([(0,), (0,)], 5), ([(0,), (3,)], 0),
    ([(2, 0, 1), (2, 0, 1)], 1),
])
def test_cat_of_zero_size_tensors_as_torch(shapes, dim):
    def fn(*xs):
        return lib(xs[0]).cat(xs, dim)
    check_against_torch(fn, fn, random_inputs(shapes, seed=1))


@pytest.mark.parametrize("shapes, dim", [([(0,), (0,)], 0), ([(2, 0), (2, 0)], -1),
                                         ([(0, 3)] * 3, 1)])
def test_stack_of_zero_size_tensors_as_torch(shapes, dim):
    def fn(*xs):
        return lib(xs[0]).stack(xs, dim)
    check_against_torch(fn, fn, random_inputs(shapes, seed=2))


@pytest.mark.parametrize("dtypes", [("int64", "float32"), ("int64", "float64"),
                                    ("float32", "float64"), ("bool", "int32"), ("int32", "int64")])
def test_cat_and_stack_promote_dtypes_as_torch(dtypes):
    for op in ("cat", "stack"):
        ours = getattr(gs, op)([gs.ones(2, dtype=d) for d in dtypes])
        theirs = getattr(torch, op)([torch.ones(2, dtype=getattr(torch, d)) for d in dtypes])
        assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    ours = gs.cat([gs.zeros(0, dtype="float64"), gs.ones(2, dtype="int32")])
    assert ours.dtype == np.float64  # a skipped empty tensor still takes part in the dtype


def test_cat_gradient_reaches_each_float_input_across_dtypes():
    a = gs.tensor([1.0, 2.0], requires_grad=True)
    b = gs.tensor([3.0], dtype="float64", requires_grad=True)
    y = gs.cat([a, b])
    assert y.dtype == np.float64
    (y * gs.tensor([1.0, 2.0, 3.0], dtype="float64")).sum().backward()
    assert a.grad.dtype == np.float32 and a.grad.tolist() == [1.0, 2.0] and b.grad.tolist() == [3.0]


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("call, error, message", [
    (lambda: gs.cat([gs.tensor(1.0), gs.ones(2)]), ValueError,
     r"cat: zero-dimensional tensor \(at position 0\) cannot be concatenated"),
    (lambda: gs.cat([gs.zeros(0, 2), gs.ones(2, 3)]), ValueError, r"cat: shapes \[\(0, 2\), \(2, 3\)\]"),
    (lambda: gs.cat(gs.ones(2)), TypeError, "cat: expects a sequence of tensors, got a Tensor"),
    (lambda: gs.ones(6).narrow(0, 5, 2), RuntimeError,
     r"narrow: start \(5\) \+ length \(2\) exceeds dimension size \(6\)"),
    (lambda: gs.ones(6).narrow(0, 7, 0), IndexError, r"narrow: start 7 is out of range .* size 6"),
    (lambda: gs.ones(6).narrow(0, 2, -1), RuntimeError, "narrow: length must be non-negative"),
    (lambda: gs.tensor(1.0).narrow(0, 0, 1), RuntimeError, "narrow: cannot be applied to a 0-d"),
    (lambda: gs.ones(2, 3).select(1, 3), IndexError,
     r"select: index 3 is out of range for dimension 1 with size 3"),
    (lambda: gs.tensor(1.0).select(0, 0), IndexError, "select: cannot be applied to a 0-d"),
    (lambda: gs.tensor(1.0).unbind(), IndexError, "unbind: cannot be applied to a 0-d"),
    (lambda: gs.ones(2, 3).flip(0, 0), ValueError, r"flip: a dim appears more than once"),
    (lambda: gs.ones(2, 3).flip(2), IndexError, r"flip: dim 2 is out of range"),
    (lambda: gs.ones(3).fliplr(), ValueError, r"fliplr: input must be at least 2-d, got shape \(3,\)"),
    (lambda: gs.tensor(1.0).flipud(), ValueError, r"flipud: input must be at least 1-d"),
    (lambda: gs.ones(2, 3).roll((1, 2), 0), ValueError, r"roll: shifts \(1, 2\) and dims \(0,\)"),
    (lambda: gs.ones(2, 3).roll((1, 2)), ValueError, r"roll: with dims=None, shifts must be one int"),
    (lambda: gs.tensor(1.0).roll(1, 0), IndexError, "roll: a 0-d tensor has no dimension"),
    (lambda: gs.ones(2, 3).repeat(2), ValueError,
     r"repeat: the number of sizes \(1\) can not be smaller than the number of dimensions of the "
     r"tensor \(2, shape \(2, 3\)\)"),
    (lambda: gs.ones(2).repeat(-1), ValueError, r"repeat: sizes must be non-negative, got \(-1,\)"),
    (lambda: gs.ones(2, 2).repeat_interleave(-1), ValueError, "repeat_interleave: repeats must be "
     "non-negative, got -1"),
    (lambda: gs.ones(2, 2).repeat_interleave(gs.tensor([2, 1, 1]), dim=1), ValueError,
     r"repeat_interleave: repeats must have one count per entry along dim 1, got 3 counts for size 2"),
    (lambda: gs.ones(2).repeat_interleave(gs.tensor([1.0, 2.0])), ValueError,
     r"repeat_interleave: repeats must be a 0-d or 1-d integer tensor, got float32"),
    (lambda: gs.tensor(1.0).repeat_interleave(2, dim=0), IndexError,
     "repeat_interleave: dim 0 is out of range for a 0-d tensor"),
    (lambda: gs.ones(2, 6).unflatten(1, (4, -1)), ValueError,
     r"unflatten: sizes \[4, -1\] don't multiply up to the size of dim 1 \(6\)"),
    (lambda: gs.ones(2, 6).unflatten(1, ()), ValueError, "unflatten: sizes must be non-empty"),
    (lambda: gs.movedim(gs.ones(2, 3, 4), (0, 0), (2, 1)), ValueError,
     r"movedim: repeated dim in source \(\(0, 0\)\)"),
    (lambda: gs.movedim(gs.ones(2, 3, 4), (0, 1), (2,)), ValueError,
     r"movedim: source \(0, 1\) and destination \(2,\) must have the same number of dims"),
    (lambda: gs.ones(3, 1).expand_as(gs.ones(2, 2)), ValueError, r"expand: dimension 0 of size 3"),
    (lambda: gs.ones(7).hsplit(2), ValueError,
     r"hsplit: attempted to split along dimension 0, but the size of the dimension 7 is not "
     "divisible by the split size 2"),
    (lambda: gs.hsplit(gs.tensor(1.0), 2), ValueError, r"hsplit: requires a tensor with at least 1 "
     r"dimension, got shape \(\)"),
    (lambda: gs.vsplit(gs.ones(3), 1), ValueError, r"vsplit: requires a tensor with at least 2 "
     r"dimensions, got shape \(3,\)"),
    (lambda: gs.tensor_split(gs.ones(3), 0), ValueError,
     "tensor_split: number of sections must be larger than 0, got 0"),
    (lambda: gs.tensor_split(gs.tensor(1.0), 1), IndexError,
     "tensor_split: expects at least a 1-dimensional tensor"),
    (lambda: gs.broadcast_tensors(gs.ones(2, 3), gs.ones(4)), ValueError,
     r"broadcast_tensors: shapes \[\(2, 3\), \(4,\)\] do not broadcast"),
    (lambda: gs.tensor(1.0).squeeze(1), IndexError, "squeeze: dim 1 is out of range"),
])
def test_bad_input_raises_naming_the_op_and_values(call, error, message):
    with pytest.raises(error, match=message):
        call()
