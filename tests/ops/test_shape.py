"""Shape and indexing ops: values and gradients against torch, gradchecks, errors naming shapes."""
import numpy as np
import pytest

import gradsheet as gs
from tests.helpers import check_against_torch, check_gradients, random_inputs, torch_or_skip

torch = torch_or_skip()

# name -> (gradsheet fn, torch fn, input shape); the same code runs on both libraries
SAME_CODE = {
    "reshape": (lambda x: x.reshape(4, 6), (2, 3, 4)),
    "reshape tuple -1": (lambda x: x.reshape((-1, 2)), (2, 3, 4)),
    "view": (lambda x: x.view(3, -1), (2, 3, 4)),
    "transpose": (lambda x: x.transpose(0, 2), (2, 3, 4)),
    "transpose negative": (lambda x: x.transpose(-1, -2), (2, 3, 4)),
    "T": (lambda x: x.T, (3, 4)),
    "t": (lambda x: x.t(), (3, 4)),
    "permute": (lambda x: x.permute(2, 0, 1), (2, 3, 4)),
    "permute tuple negative": (lambda x: x.permute((-1, 1, 0)), (2, 3, 4)),
    "squeeze all": (lambda x: x.squeeze(), (1, 3, 1, 2)),
    "squeeze dim": (lambda x: x.squeeze(2), (1, 3, 1, 2)),
    "squeeze non-1 dim": (lambda x: x.squeeze(1), (1, 3, 1, 2)),
    "squeeze negative": (lambda x: x.squeeze(-2), (1, 3, 1, 2)),
    "unsqueeze": (lambda x: x.unsqueeze(1), (2, 3)),
    "unsqueeze last": (lambda x: x.unsqueeze(-1), (2, 3)),
    "flatten": (lambda x: x.flatten(), (2, 3, 4)),
    "flatten range": (lambda x: x.flatten(1), (2, 3, 4)),
    "flatten middle": (lambda x: x.flatten(0, -2), (2, 3, 4)),
    "expand": (lambda x: x.expand(2, 3, 4), (3, 1)),
    "expand -1": (lambda x: x.expand(5, -1, 4), (1, 3, 1)),
    "expand tuple": (lambda x: x.expand((2, 3)), (3,)),
    "slice": (lambda x: x[1:, ::2], (3, 4)),
    "int and slice": (lambda x: x[1, :, -1], (2, 3, 4)),
    "ellipsis and None": (lambda x: x[..., None, 0], (2, 3)),
    "int": (lambda x: x[-1], (3, 2)),
}


@pytest.mark.parametrize("name", list(SAME_CODE))
def test_shape_op_matches_torch_and_gradchecks(name):
    fn, shape = SAME_CODE[name]
    arrays = random_inputs([shape], seed=5)
    check_against_torch(fn, fn, arrays)
    check_gradients(fn, arrays)


def test_negative_step_slice_matches_torch_flip():
    arrays = random_inputs([(4, 2)], seed=5)
    check_against_torch(lambda x: x[::-1, ::-1], lambda x: x.flip((0, 1)), arrays)
    check_gradients(lambda x: x[::-2], arrays)


@pytest.mark.parametrize("name, gs_fn, torch_fn", [
    ("reshape", lambda x: gs.reshape(x, (6, 4)), lambda x: torch.reshape(x, (6, 4))),
    ("transpose", lambda x: gs.transpose(x, 0, 1), lambda x: torch.transpose(x, 0, 1)),
    ("permute", lambda x: gs.permute(x, (1, 2, 0)), lambda x: torch.permute(x, (1, 2, 0))),
    ("squeeze", lambda x: gs.squeeze(x[:1], 0), lambda x: torch.squeeze(x[:1], 0)),
    ("unsqueeze", lambda x: gs.unsqueeze(x, 0), lambda x: torch.unsqueeze(x, 0)),
    ("flatten", lambda x: gs.flatten(x, 1), lambda x: torch.flatten(x, 1)),
    ("expand", lambda x: gs.expand(x[:1], (5, 3, 4)), lambda x: x[:1].expand(5, 3, 4)),
])
def test_functional_forms_match_torch(name, gs_fn, torch_fn):
    check_against_torch(gs_fn, torch_fn, random_inputs([(2, 3, 4)], seed=6))


def test_view_of_0d_and_flatten_of_0d_as_torch():
    check_against_torch(lambda x: x.flatten(), lambda x: x.flatten(), [np.array(2.0)])
    check_against_torch(lambda x: x.reshape(1, 1), lambda x: x.reshape(1, 1), [np.array(2.0)])


def test_expanded_gradient_is_summed_over_the_expanded_dims():
    x = gs.tensor([[1.0], [2.0]], requires_grad=True)
    x.expand(3, 2, 4).sum().backward()
    np.testing.assert_array_equal(x.grad.array, [[12.0], [12.0]])


# ---------------------------------------------------------------- cat, stack, split, chunk
@pytest.mark.parametrize("dim, shapes", [(0, [(2, 3), (1, 3), (4, 3)]), (1, [(2, 1), (2, 4)]),
                                         (-1, [(2, 2, 3), (2, 2, 1)]), (0, [(3,)])])
def test_cat_matches_torch_and_gradchecks(dim, shapes):
    arrays = random_inputs(shapes, seed=1)
    check_against_torch(lambda *xs: gs.cat(xs, dim), lambda *xs: torch.cat(xs, dim), arrays)
    check_gradients(lambda *xs: gs.cat(list(xs), dim=dim), arrays)


@pytest.mark.parametrize("dim", [0, 1, 2, -1, -3])
def test_stack_matches_torch_and_gradchecks(dim):
    arrays = random_inputs([(2, 3)] * 3, seed=2)
    check_against_torch(lambda *xs: gs.stack(xs, dim), lambda *xs: torch.stack(xs, dim), arrays)
    check_gradients(lambda *xs: gs.stack(list(xs), dim=dim), arrays)


def test_cat_with_a_constant_gives_only_the_tensor_a_gradient():
    x = gs.tensor([1.0, 2.0], requires_grad=True)
    y = gs.cat([x, gs.tensor([5.0, 6.0, 7.0])])
    (y * gs.arange(5).float()).sum().backward()
    np.testing.assert_array_equal(x.grad.array, [0.0, 1.0])


@pytest.mark.parametrize("split, dim", [(2, 0), (3, 0), (1, 1), ([1, 4], 0), ((2, 2, 1), 0),
                                        ([2, 1], -1), (10, 0)])
def test_split_matches_torch(split, dim):
    def total(pieces):  # weigh each piece differently so a misrouted gradient shows
        return sum((p * (i + 1.0)).sum() for i, p in enumerate(pieces))

    check_against_torch(lambda x: total(x.split(split, dim)),
                        lambda x: total(torch.split(x, split, dim)),
                        random_inputs([(5, 3)], seed=3))
    shapes = [p.shape for p in gs.split(gs.ones(5, 3), split, dim)]
    assert shapes == [tuple(p.shape) for p in torch.split(torch.ones(5, 3), split, dim)]


@pytest.mark.parametrize("chunks, n", [(2, 6), (4, 6), (3, 5), (3, 7), (1, 4), (5, 3)])
def test_chunk_sizes_match_torch(chunks, n):
    ours = [p.shape for p in gs.ones(2, n).chunk(chunks, 1)]
    assert ours == [tuple(p.shape) for p in torch.ones(2, n).chunk(chunks, 1)]


def test_chunk_gradient_matches_torch():
    check_against_torch(lambda x: gs.chunk(x, 3)[1] * 2.0 + gs.chunk(x, 3)[2][:1],
                        lambda x: torch.chunk(x, 3)[1] * 2.0 + torch.chunk(x, 3)[2][:1],
                        random_inputs([(6, 2)], seed=4))


# ---------------------------------------------------------------- indexing
def test_integer_array_index_with_repeats_scatter_adds_as_torch():
    index = np.array([0, 2, 0, 0, 3])
    check_against_torch(lambda x: x[gs.tensor(index)], lambda x: x[torch.tensor(index)],
                        random_inputs([(4, 3)], seed=8))
    x = gs.tensor(np.zeros(4), dtype="float64", requires_grad=True)
    x[index].sum().backward()
    np.testing.assert_array_equal(x.grad.array, [3.0, 0.0, 1.0, 1.0])


@pytest.mark.parametrize("name, index", [
    ("list", [1, 1, 0]),
    ("2-D integer array", np.array([[0, 1], [1, 1]])),
    ("pair of arrays", (np.array([0, 2, 0]), np.array([1, 1, 1]))),
    ("array and slice", (slice(None), np.array([3, 0, 3]))),
    ("negative", np.array([-1, -1, 0])),
])
def test_advanced_indexing_matches_torch_and_gradchecks(name, index):
    def torch_index(i):
        if isinstance(i, tuple):
            return tuple(torch.tensor(p) if isinstance(p, np.ndarray) else p for p in i)
        return torch.tensor(i) if isinstance(i, np.ndarray) else i

    arrays = random_inputs([(3, 4)], seed=9)
    check_against_torch(lambda x: x[index], lambda x: x[torch_index(index)], arrays)
    check_gradients(lambda x: x[index], arrays)


@pytest.mark.parametrize("as_tensor", [False, True])
def test_boolean_mask_index_matches_torch(as_tensor):
    (array,) = random_inputs([(3, 4)], seed=10)
    mask = array > 0
    gs_mask = gs.tensor(mask) if as_tensor else mask
    check_against_torch(lambda x: x[gs_mask], lambda x: x[torch.tensor(mask)], [array])
    check_against_torch(lambda x: x[gs_mask[:, 0]], lambda x: x[torch.tensor(mask[:, 0])],
                        [array])
    check_gradients(lambda x: x[gs_mask], [array])


def test_mask_from_a_comparison_selects_and_routes_gradient():
    x = gs.tensor([-1.0, 2.0, -3.0, 4.0], requires_grad=True)
    y = x[x > 0]
    np.testing.assert_array_equal(y.array, [2.0, 4.0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.array, [0.0, 1.0, 0.0, 1.0])


def test_tuple_of_tensor_indices_matches_torch():
    rows, cols = np.array([0, 2, 2]), np.array([1, 0, 1])
    check_against_torch(lambda x: x[gs.tensor(rows), gs.tensor(cols)],
                        lambda x: x[torch.tensor(rows), torch.tensor(cols)],
                        random_inputs([(3, 2)], seed=11))
    check_against_torch(lambda x: x[gs.tensor(rows), 1:], lambda x: x[torch.tensor(rows), 1:],
                        random_inputs([(3, 2)], seed=12))


def test_index_with_a_0d_integer_tensor():
    x = gs.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    i = gs.tensor(1)
    assert x[i].tolist() == [3.0, 4.0] and x[0, i].item() == 2.0


# ---------------------------------------------------------------- bad input
def test_reshape_to_a_wrong_size_names_both_shapes():
    with pytest.raises(ValueError, match=r"reshape.*\(2, 3\) \(6 elements\) into \(4, 2\)"):
        gs.ones(2, 3).reshape(4, 2)
    with pytest.raises(ValueError, match=r"view.*\(2, 3\).*\(4, -1\)|reshape.*\(2, 3\).*\(4, -1\)"):
        gs.ones(2, 3).view(4, -1)


@pytest.mark.parametrize("call, op", [
    (lambda x: x.transpose(0, 3), "transpose"), (lambda x: x.permute(0, 1, 5), "permute"),
    (lambda x: x.squeeze(3), "squeeze"), (lambda x: x.unsqueeze(5), "unsqueeze"),
    (lambda x: x.flatten(0, 4), "flatten"), (lambda x: gs.cat([x, x], 3), "cat"),
    (lambda x: gs.stack([x, x], 5), "stack"), (lambda x: x.split(1, 3), "split"),
    (lambda x: x.chunk(2, -4), "chunk"),
])
def test_bad_dims_raise_index_error_naming_op_and_dim(call, op):
    with pytest.raises(IndexError, match=rf"{op}: dim -?\d is out of range for a tensor of "
                                         r"\d dimensions"):
        call(gs.ones(2, 3, 4))


def test_permute_needs_a_permutation():
    with pytest.raises(ValueError, match=r"permute: dims \(0, 0, 1\).*\(2, 3, 4\)"):
        gs.ones(2, 3, 4).permute(0, 0, 1)


def test_flatten_start_after_end():
    with pytest.raises(ValueError, match="flatten: start_dim 2 comes after end_dim 1"):
        gs.ones(2, 3, 4).flatten(2, 1)


def test_cat_of_mismatched_shapes_names_the_shapes():
    with pytest.raises(ValueError, match=r"cat: shapes \[\(2, 3\), \(2, 4\)\] differ outside "
                                         "dim 0"):
        gs.cat([gs.ones(2, 3), gs.ones(2, 4)])
    with pytest.raises(ValueError, match=r"cat: shapes \[\(2, 3\), \(3,\)\]"):
        gs.cat([gs.ones(2, 3), gs.ones(3)])


def test_stack_of_mismatched_shapes_and_empty_sequences():
    with pytest.raises(ValueError, match=r"stack: shapes \[\(2, 3\), \(3, 2\)\] differ"):
        gs.stack([gs.ones(2, 3), gs.ones(3, 2)])
    for op in (gs.cat, gs.stack):
        with pytest.raises(ValueError, match="non-empty"):
            op([])


def test_expand_of_a_non_1_dim_names_the_shapes():
    with pytest.raises(ValueError, match=r"expand: dimension 0 of size 3 cannot expand to 4 "
                                         r"\(shape \(3, 1\) to \(4, 2\)\)"):
        gs.ones(3, 1).expand(4, 2)
    with pytest.raises(ValueError, match=r"expand: shape \(3,\) has fewer dimensions than .*"
                                         r"\(3, 1\)"):
        gs.ones(3, 1).expand(3)
    with pytest.raises(ValueError, match=r"expand: size -1 .* leading dimension 0 \(shape "
                                         r"\(3,\) to \(-1, 3\)\)"):
        gs.ones(3).expand(-1, 3)


def test_split_sections_must_sum_to_the_dim():
    with pytest.raises(ValueError, match=r"split: sections \[1, 2\] sum to 3, but dim 0 has size 5"):
        gs.ones(5).split([1, 2])
    with pytest.raises(ValueError, match="split_size must be positive, got 0"):
        gs.ones(5).split(0)
    with pytest.raises(ValueError, match="chunks must be positive, got 0"):
        gs.ones(5).chunk(0)


def test_index_out_of_range_names_the_shape():
    with pytest.raises(IndexError, match=r"getitem.*\(2, 3\)"):
        gs.ones(2, 3)[5]


def test_t_of_3d_raises_naming_the_shape():
    with pytest.raises(ValueError, match=r"t: .*\(2, 3, 4\)"):
        gs.ones(2, 3, 4).t()
