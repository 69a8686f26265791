"""x[index] and x[index] = v with PyTorch's rules: values, shapes, gradients against torch."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gradsheet as gs
from tests.helpers import torch_or_skip

torch = torch_or_skip()

SHAPE = (3, 4, 5)


@st.composite
def indices(draw):
    """An index for SHAPE mixing integers, slices, None, Ellipsis, integer arrays and masks."""
    parts, dim = [], 0
    ellipsis_used = False
    while dim < len(SHAPE) and draw(st.booleans()) or not parts:
        if dim >= len(SHAPE):
            break
        n = SHAPE[dim]
        kind = draw(st.sampled_from(["int", "slice", "none", "array", "mask", "ellipsis"]))
        if kind == "int":
            parts.append(draw(st.integers(-n, n - 1)))
            dim += 1
        elif kind == "slice":
            start = draw(st.one_of(st.none(), st.integers(-n, n)))
            stop = draw(st.one_of(st.none(), st.integers(-n, n)))
            step = draw(st.one_of(st.none(), st.integers(1, 3)))
            parts.append(slice(start, stop, step))
            dim += 1
        elif kind == "none":
            parts.append(None)
        elif kind == "array":
            size = draw(st.integers(0, 4))
            parts.append(draw(st.lists(st.integers(-n, n - 1), min_size=size, max_size=size)))
            dim += 1
        elif kind == "mask":
            parts.append(np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n))))
            dim += 1
        elif not ellipsis_used:
            parts.append(Ellipsis)
            ellipsis_used = True
            dim = len(SHAPE) - sum(1 for p in parts if p is not None and p is not Ellipsis)
            dim = max(dim, len(SHAPE) - 1)
    return tuple(parts)


def _for(lib, index):
    """The index with arrays as each library's tensors (and lists kept as lists)."""
    def convert(p):
        if isinstance(p, np.ndarray):
            return lib.tensor(p)
        return p
    return tuple(convert(p) for p in index)


def _arrays_count(index):
    return sum(isinstance(p, (list, np.ndarray)) for p in index)


@settings(max_examples=200, deadline=None)
@given(index=indices(), seed=st.integers(0, 2**16))
def test_getitem_matches_torch_in_shape_values_and_gradient(index, seed):
    values = np.random.default_rng(seed).standard_normal(SHAPE)
    t = torch.tensor(values, requires_grad=True)
    try:
        expected = t[_for(torch, index)]
    except (IndexError, RuntimeError, TypeError, ValueError):
        with pytest.raises((IndexError, TypeError, ValueError)):
            gs.tensor(values)[_for(gs, index)]
        return
    x = gs.tensor(values, dtype=gs.float64, requires_grad=True)
    got = x[_for(gs, index)]
    assert got.shape == tuple(expected.shape), index
    np.testing.assert_array_equal(got.array, expected.detach().numpy())
    upstream = np.random.default_rng(seed + 1).standard_normal(got.shape)
    expected.backward(torch.tensor(upstream))
    got.backward(gs.tensor(upstream, dtype=gs.float64))
    np.testing.assert_allclose(x.grad.array, t.grad.numpy(), rtol=1e-12)


@settings(max_examples=150, deadline=None)
@given(index=indices(), seed=st.integers(0, 2**16))
def test_setitem_matches_torch_in_values_and_gradients(index, seed):
    rng = np.random.default_rng(seed)
    values = rng.standard_normal(SHAPE)
    try:
        region = torch.zeros(SHAPE)[_for(torch, index)].shape
    except (IndexError, RuntimeError, TypeError, ValueError):
        return
    if _arrays_count(index) and len(region) and any(
            isinstance(p, list) and len(set(p)) != len(p) for p in index):
        return  # duplicate indices: which write wins is unspecified in both libraries
    v = rng.standard_normal(region)

    def program(lib):
        w = lib.tensor(values, dtype=lib.float64, requires_grad=True)
        u = lib.tensor(v, dtype=lib.float64, requires_grad=True)
        x = w * 1
        x[_for(lib, index)] = u * 2
        (x * x).sum().backward()
        return x, w.grad, u.grad

    t_x, t_w, t_u = program(torch)
    g_x, g_w, g_u = program(gs)
    np.testing.assert_allclose(g_x.array, t_x.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(g_w.array, t_w.numpy(), rtol=1e-12)
    np.testing.assert_allclose(g_u.array, t_u.numpy(), rtol=1e-12)


def test_integer_with_array_index_is_basic_indexing_as_in_torch():
    x = np.arange(60.0).reshape(3, 4, 5)
    for index in [(0, slice(None), [0, 2]), (Ellipsis, 1, [0, 2]), ([0, 2], slice(1, 3), 2),
                  (None, 1, slice(None), [0, 2]), (1, [0, 1], [2, 3])]:
        expected = torch.tensor(x)[index].numpy()
        got = gs.tensor(x)[index].array
        assert got.shape == expected.shape, index
        np.testing.assert_array_equal(got, expected)
    assert np.asarray(x)[0, :, [0, 2]].shape == (2, 4)  # NumPy's rule, which gradsheet does not use


def test_repeated_indices_accumulate_gradients():
    x = gs.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[gs.tensor([0, 0, 2, 0])].sum().backward()
    np.testing.assert_array_equal(x.grad.array, [3.0, 0.0, 1.0])


def test_index_errors_name_the_index_size_and_shape():
    with pytest.raises(IndexError, match=r"getitem: index 5 is out of bounds for axis 0 with size 3 "
                                         r"\(tensor of shape \(3, 4\)\)"):
        gs.zeros(3, 4)[5]
    with pytest.raises(IndexError, match="tensors used as indices must be integer or bool tensors, "
                                         "got float32"):
        gs.zeros(3)[gs.tensor([0.0, 1.0])]
    with pytest.raises(ValueError, match=r"setitem: .*\(tensor of shape \(3,\), value of shape \(2,\)\)"):
        x = gs.zeros(3)
        x[:] = gs.ones(2)


def test_zero_dim_integer_tensor_selects():
    x = np.arange(12.0).reshape(3, 4)
    index = (torch.tensor(1), slice(None), )
    assert gs.tensor(x)[gs.tensor(1), [0, 2]].shape == tuple(torch.tensor(x)[torch.tensor(1), [0, 2]].shape)
    assert gs.tensor(x)[index[0].item()].shape == (4,)
