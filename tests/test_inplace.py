"""In-place ops and .data under PyTorch's autograd rules (gradsheet.autograd.inplace).

Each program runs twice, with ``lib`` = torch and ``lib`` = gradsheet, and must give the same
values and gradients (or both raise).
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gradsheet as gs
from tests.helpers import torch_or_skip

torch = torch_or_skip()


def both(program):
    """program(lib) -> tensors; the same values in torch and gradsheet (float64)."""
    theirs = [np.asarray(t.detach().numpy() if hasattr(t, "detach") else t) for t in program(torch)]
    ours = [np.asarray(t.array if isinstance(t, gs.Tensor) else t) for t in program(gs)]
    assert len(ours) == len(theirs)
    for i, (a, b) in enumerate(zip(ours, theirs)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12, err_msg=f"result {i}")


def leaf(lib, values):
    return lib.tensor(values, dtype=lib.float64, requires_grad=True)


def test_inplace_arithmetic_on_a_non_leaf_records_the_ops():
    def program(lib):
        w, v = leaf(lib, [1.0, -2.0, 3.0]), leaf(lib, [2.0, 3.0, 0.5])
        y = w * 2
        y.mul_(v)
        y.add_(v, alpha=3)
        y.sub_(1).div_(v)
        y.pow_(2)
        y.clamp_(max=30.0)
        y.sum().backward()
        return y, w.grad, v.grad
    both(program)


def test_augmented_assignment_is_in_place_and_keeps_identity():
    def program(lib):
        w = leaf(lib, [1.0, 2.0])
        y = w * 1
        alias = y
        y += 1
        y *= w
        y -= 0.5
        y /= 2
        assert y is alias
        y.sum().backward()
        return y, w.grad
    both(program)


def test_earlier_consumers_keep_the_history_they_saw():
    """a = y * c used y before y.mul_(3): dL/dw through a must not carry the factor 3."""
    def program(lib):
        w = leaf(lib, [1.0, 2.0])
        y = w + 0
        a = y + 10  # Add saves nothing: the change to y does not concern it
        y.mul_(3)
        (a.sum() + y.sum()).backward()
        return a, y, w.grad
    both(program)


def test_changing_a_saved_input_raises_at_backward():
    for lib in (torch, gs):
        w = leaf(lib, [1.0, 2.0])
        a = w * 1
        b = a * w  # Mul saves a
        with lib.no_grad():
            a.mul_(3)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            b.sum().backward()


def test_changing_a_saved_output_raises_at_backward():
    for lib in (torch, gs):
        w = leaf(lib, [1.0, 2.0])
        y = w.exp()  # exp saves its output
        y.add_(1)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()
    w = leaf(gs, [1.0, 2.0])
    y = w.sigmoid()
    y.add_(1)
    with pytest.raises(RuntimeError, match=r"add_.*Sigmoid"):
        y.sum().backward()


def test_a_leaf_that_requires_grad_changes_only_under_no_grad():
    for name, change in [("add_", lambda p: p.add_(1)), ("zero_", lambda p: p.zero_()),
                         ("fill_", lambda p: p.fill_(2.0)), ("mul_", lambda p: p.mul_(2)),
                         ("setitem", lambda p: p.__setitem__(0, 1.0)),
                         ("copy_", lambda p: p.copy_(gs.zeros(3)))]:
        p = gs.ones(3, requires_grad=True)
        with pytest.raises(RuntimeError, match=f"{name}: a leaf tensor that requires grad"):
            change(p)
        with gs.no_grad():
            change(p)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        torch.ones(3, requires_grad=True).add_(1)


def test_data_shares_memory_and_is_outside_the_graph():
    def program(lib):
        p = leaf(lib, [1.0, 2.0, 3.0])
        d = p.data
        assert d.requires_grad is False and d.grad_fn is None
        p.data.add_(lib.tensor([1.0, 1.0, 1.0], dtype=lib.float64), alpha=-0.5)
        (p * p).sum().backward()
        p.data.mul_(2)
        p.data[0] = 7.0
        return p.detach(), d, p.grad
    both(program)


def test_assigning_data_replaces_the_array():
    def program(lib):
        p = leaf(lib, [1.0, 2.0])
        p.data = lib.tensor([5.0, 6.0, 7.0], dtype=lib.float64)
        (p * 2).sum().backward()
        return p.detach(), p.grad
    both(program)


def test_inplace_on_an_x_index_view_is_recorded_on_x():
    def program(lib):
        w = leaf(lib, [[1.0, 2.0], [3.0, 4.0]])
        x = w * 1
        x[0] += 5
        x[:, 1] *= 2
        x[1].mul_(x[0].detach().clone())
        row = x[0]
        row.sub_(1)
        c = lib.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=lib.float64)
        (x * c).sum().backward()
        return x, row, w.grad
    both(program)


def test_setitem_with_gradients_to_the_value_and_the_rest():
    def program(lib):
        w = leaf(lib, [1.0, 2.0, 3.0, 4.0])
        v = leaf(lib, [10.0, 20.0])
        s = leaf(lib, 3.0)
        x = w.clone()
        x[lib.tensor([0, 2])] = v * 2
        x[x > 15] = 0.5
        x[1] = s
        x[3:] = s * s
        (x * lib.arange(4.0, dtype=lib.float64)).sum().backward()
        return x, w.grad, v.grad, s.grad
    both(program)


def test_setitem_with_a_broadcast_value_sums_its_gradient():
    def program(lib):
        w = leaf(lib, np.arange(12.0).reshape(3, 4))
        v = leaf(lib, [1.0, 2.0, 3.0, 4.0])
        x = w * 1
        x[1:] = v  # v broadcast over two rows
        (x * x).sum().backward()
        return x, w.grad, v.grad
    both(program)


def test_fill_zero_copy_with_gradients():
    def program(lib):
        w = leaf(lib, [1.0, 2.0, 3.0])
        s = leaf(lib, 2.0)
        src = leaf(lib, [[5.0], [6.0]])
        a = w * 1
        a.fill_(s)
        b = w * 1
        b.zero_()
        c = lib.zeros(2, 3, dtype=lib.float64)
        c.copy_(src)  # broadcast (2, 1) -> (2, 3); c did not require grad
        (a.sum() * 2 + b.sum() + (c * c).sum()).backward()
        return a, b, c, s.grad, src.grad
    both(program)


def test_copy_converts_dtype_and_checks_shapes():
    x = gs.zeros(3, dtype=gs.int64)
    x.copy_(gs.tensor([1.7, 2.2, -3.9]))
    np.testing.assert_array_equal(x.array, torch.zeros(3, dtype=torch.int64).copy_(
        torch.tensor([1.7, 2.2, -3.9])).numpy())
    with pytest.raises(RuntimeError, match=r"copy_: the source of shape \(4,\) does not broadcast"):
        gs.zeros(3).copy_(gs.ones(4))


def test_inplace_keeps_shape_and_dtype_rules():
    with pytest.raises(RuntimeError, match=r"add_: the result has shape \(2, 3\).*\(3,\)"):
        gs.zeros(3).add_(gs.ones(2, 3))
    with pytest.raises(RuntimeError, match="result type float32 can't be cast.*int64"):
        gs.zeros(3, dtype=gs.int64).add_(1.5)
    with pytest.raises(RuntimeError, match="can't be cast"):
        torch.zeros(3, dtype=torch.int64).add_(1.5)
    x = gs.zeros(3, dtype=gs.int64)
    x += 2
    assert x.dtype == np.int64 and x.tolist() == [2, 2, 2]


def test_writing_into_an_expanded_tensor_raises():
    x = gs.ones(1, 3).expand(2, 3)
    with pytest.raises(RuntimeError, match="add_: cannot write into this tensor"):
        x.add_(1)


def test_inplace_under_no_grad_changes_values_not_history():
    def program(lib):
        w = leaf(lib, [1.0, 2.0])
        y = w * 3
        z = y + 1
        with lib.no_grad():
            y.add_(100)
        z.sum().backward()
        return y.detach(), z, w.grad
    both(program)


OPS = st.sampled_from(["add", "mul", "sub", "div", "iadd", "imul", "index_add", "mask_set",
                       "row_mul", "clamp"])


@settings(max_examples=40, deadline=None)
@given(ops=st.lists(OPS, min_size=1, max_size=6), seed=st.integers(0, 2**16))
def test_random_inplace_programs_match_torch(ops, seed):
    rng = np.random.default_rng(seed)
    w0, v0 = rng.standard_normal((3, 4)), rng.uniform(0.5, 2.0, (3, 4))

    def program(lib):
        w, v = leaf(lib, w0), leaf(lib, v0)
        x = w * 1
        for op in ops:
            if op == "add":
                x.add_(v, alpha=0.5)
            elif op == "mul":
                x.mul_(1.5)
            elif op == "sub":
                x.sub_(v)
            elif op == "div":
                x.div_(2.0)
            elif op == "iadd":
                x += v * 2
            elif op == "imul":
                x *= 0.5
            elif op == "index_add":
                x[lib.tensor([0, 2])] += 1.0
            elif op == "mask_set":
                x[x > 1.0] = 0.25
            elif op == "row_mul":
                x[1] *= 3.0
            elif op == "clamp":
                x.clamp_(-1.0, 1.0)
        (x * x).sum().backward()
        return x, w.grad, v.grad if v.grad is not None else np.zeros_like(v0)
    both(program)


def test_inplace_on_reshape_and_transpose_views_is_recorded_on_the_base():
    def program(lib):
        w = leaf(lib, np.arange(6.0).reshape(2, 3))
        v = leaf(lib, [1.0, 2.0, 3.0])
        x = w * 1
        flat = x.view(-1)
        flat.mul_(2)
        t = x.t()
        t.add_(v.unsqueeze(1))
        c = lib.tensor(np.arange(6.0).reshape(2, 3) + 1, dtype=lib.float64)
        (x * c).sum().backward()
        return x, flat, t, w.grad, v.grad
    both(program)


def test_inplace_on_a_diagonal_view_in_the_graph_raises_and_writes_otherwise():
    x = gs.ones(3, 3, requires_grad=True) * 1
    with pytest.raises(RuntimeError, match="is a view .*Diagonal"):
        x.diagonal().fill_(5.0)
    y = gs.ones(3, 3)
    y.diagonal().fill_(5.0)
    np.testing.assert_array_equal(y.array, torch.ones(3, 3).fill_diagonal_(5.0).numpy())


def test_in_place_view_ops_change_the_shape_and_keep_the_history():
    def program(lib):
        w = leaf(lib, [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
        x = w * 1
        before = x + 1  # a consumer of x before the changes keeps the (2, 3) view
        x.t_()
        x.unsqueeze_(0)
        x.squeeze_(0)
        x.transpose_(0, 1)
        x.swapaxes_(0, 1)
        x.swapdims_(1, 0)
        c = lib.arange(6.0, dtype=lib.float64).reshape(2, 3)
        ((x * c).sum() + (before * c).sum() * 3).backward()
        return x, before, w.grad
    both(program)
    with pytest.raises(RuntimeError, match="t_: a leaf tensor that requires grad"):
        gs.ones(2, 3, requires_grad=True).t_()


def test_fill_makes_a_new_tensor_with_a_gradient_for_a_tensor_value():
    def program(lib):
        x = leaf(lib, [[1.0, 2.0], [3.0, 4.0]])
        s = leaf(lib, 2.5)
        y = lib.fill(x, s)
        (y * lib.arange(4.0, dtype=lib.float64).reshape(2, 2)).sum().backward()
        return y, s.grad
    both(program)
