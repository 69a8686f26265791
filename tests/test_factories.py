"""Factories: names, shapes, dtypes and defaults as torch's; seeded randomness."""
import numpy as np
import pytest

import gradsheet as gs


@pytest.mark.parametrize("make, fill", [(gs.zeros, 0.0), (gs.ones, 1.0)])
def test_zeros_ones_accept_sizes_as_arguments_or_a_tuple(make, fill):
    for t in (make(2, 3), make((2, 3)), make([2, 3])):
        assert t.shape == (2, 3) and t.dtype == np.float32 and not t.requires_grad
        assert np.all(t.array == fill)
    assert make(()).shape == () and make(0).shape == (0,)


@pytest.mark.parametrize("make", [gs.zeros, gs.ones, gs.empty, gs.randn, gs.rand])
def test_dtype_and_requires_grad_keywords(make):
    t = make(2, 2, dtype=gs.float64, requires_grad=True)
    assert t.dtype == np.float64 and t.requires_grad and t.is_leaf


def test_tensor_copies_its_input():
    array = np.array([1.0, 2.0])
    t = gs.tensor(array)
    array[0] = 99.0
    assert t.array[0] == 1.0
    other = gs.tensor([5.0])
    copy = gs.tensor(other)
    other.array[0] = 0.0
    assert copy.item() == 5.0


def test_tensor_from_nested_lists_scalars_and_dtypes():
    assert gs.tensor([[1, 2], [3, 4]]).shape == (2, 2)
    assert gs.tensor(3.0).shape == () and gs.tensor(3.0).dtype == np.float32
    assert gs.tensor([1, 2], dtype=gs.float32).dtype == np.float32
    assert gs.tensor(np.float64(2.0)).dtype == np.float64  # NumPy scalars keep theirs, as torch
    assert gs.tensor(np.float32(2.0)).dtype == np.float32
    assert isinstance(gs.tensor(np.float64(2.0)).array, np.ndarray)


def test_full_infers_the_dtype_from_the_fill_value_as_torch():
    assert gs.full((2,), 1.5).dtype == np.float32
    assert gs.full((2,), 3).dtype == np.int64
    assert gs.full((2,), True).dtype == np.bool_
    np.testing.assert_array_equal(gs.full((2, 2), 7.0, dtype="float64").array, np.full((2, 2), 7.0))


@pytest.mark.parametrize("make, fill", [(gs.zeros_like, 0), (gs.ones_like, 1)])
def test_like_factories_copy_shape_and_dtype(make, fill):
    source = gs.tensor(np.arange(6.0).reshape(2, 3))  # float64 from the array
    t = make(source)
    assert t.shape == (2, 3) and t.dtype == np.float64 and np.all(t.array == fill)
    assert make(source, dtype=gs.float32).dtype == np.float32


def test_full_like_rand_like_randn_like():
    source = gs.zeros(4, 2, dtype="float64")
    assert np.all(gs.full_like(source, 2.5).array == 2.5)
    for t in (gs.rand_like(source), gs.randn_like(source)):
        assert t.shape == (4, 2) and t.dtype == np.float64


def test_arange_follows_torch_dtypes():
    assert gs.arange(5).tolist() == [0, 1, 2, 3, 4] and gs.arange(5).dtype == np.int64
    assert gs.arange(2, 8, 3).tolist() == [2, 5]
    floats = gs.arange(0.0, 1.0, 0.25)
    assert floats.dtype == np.float32 and floats.tolist() == [0.0, 0.25, 0.5, 0.75]
    assert gs.arange(3, dtype="float64").dtype == np.float64


def test_linspace_includes_both_ends():
    t = gs.linspace(0, 1, 5)
    assert t.dtype == np.float32
    np.testing.assert_allclose(t.array, [0.0, 0.25, 0.5, 0.75, 1.0])


def test_rand_randn_randint_distributions():
    gs.manual_seed(0)
    u = gs.rand(20_000)
    assert 0.0 <= u.array.min() and u.array.max() < 1.0 and abs(u.array.mean() - 0.5) < 0.01
    n = gs.randn(20_000)
    assert abs(n.array.mean()) < 0.03 and abs(n.array.std() - 1.0) < 0.03
    i = gs.randint(3, 7, (1000,))
    assert i.dtype == np.int64 and set(np.unique(i.array)) == {3, 4, 5, 6}
    assert gs.randint(4, size=(2, 2)).shape == (2, 2)


def random_run():
    return [gs.randn(3, 2).array, gs.rand(4).array, gs.randint(0, 100, (5,)).array,
            gs.randn_like(gs.zeros(2)).array]


def test_manual_seed_makes_runs_bit_for_bit_identical():
    gs.manual_seed(1234)
    first = random_run()
    gs.manual_seed(1234)
    second = random_run()
    for a, b in zip(first, second):
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes()
    gs.manual_seed(1235)
    assert random_run()[0].tobytes() != first[0].tobytes()


def test_factories_follow_the_default_dtype():
    gs.set_default_dtype("float64")
    try:
        for t in (gs.zeros(1), gs.ones(1), gs.randn(1), gs.rand(1), gs.tensor([1.0]),
                  gs.full((1,), 2.0), gs.arange(0.0, 1.0, 0.5), gs.linspace(0, 1, 2)):
            assert t.dtype == np.float64
    finally:
        gs.set_default_dtype("float32")
