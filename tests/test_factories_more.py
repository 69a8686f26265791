"""Factories (issue 10): argument forms, dtypes, shapes and errors against torch; ranges' values
against torch; randint/randperm statistics and seeding; from_numpy/as_tensor/asarray memory
sharing; the legacy FloatTensor & co. constructors and isinstance; size/type queries."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gradsheet as gs
from tests.helpers import torch_or_skip

torch = torch_or_skip()

# (gradsheet dtype, torch dtype)
DTYPES = [(np.float32, torch.float32), (np.float64, torch.float64), (np.float16, torch.float16),
          (np.int64, torch.int64), (np.int32, torch.int32), (np.int16, torch.int16),
          (np.int8, torch.int8), (np.uint8, torch.uint8), (np.bool_, torch.bool)]
FLOATS = DTYPES[:3]


def np_dtype(torch_dtype):
    return torch.empty(0, dtype=torch_dtype).numpy().dtype


def same_kind(g, t):
    """Same shape and dtype as the torch tensor."""
    assert tuple(g.shape) == tuple(t.shape), (g.shape, t.shape)
    assert g.dtype == np_dtype(t.dtype), (g.dtype, t.dtype)


def mean_within_clt(sample, mu, sigma, k=6.0):
    sample = np.asarray(sample, dtype=np.float64).ravel()
    assert abs(sample.mean() - mu) < k * sigma / math.sqrt(sample.size), (sample.mean(), mu)


# ---------------------------------------------------------------- sizes, device, requires_grad
SIZE_FORMS = [((2, 3), {}), (((2, 3),), {}), (([2, 3],), {}), ((torch.Size([2, 3]),), {}),
              ((), {"size": (2, 3)}), ((np.int64(2), 3), {}), ((gs.tensor(2), 3), {}),
              ((0,), {}), (((),), {})]


@pytest.mark.parametrize("name", ["zeros", "ones", "empty", "rand", "randn"])
@pytest.mark.parametrize("args, kwargs", SIZE_FORMS)
def test_size_forms_match_torch(name, args, kwargs):
    torch_args = tuple(int(a) if isinstance(a, gs.Tensor) else a for a in args)
    same_kind(getattr(gs, name)(*args, **kwargs), getattr(torch, name)(*torch_args, **kwargs))


@pytest.mark.parametrize("name", ["zeros", "ones", "empty"])
@pytest.mark.parametrize("dtype, torch_dtype", DTYPES)
def test_constant_factories_take_every_dtype(name, dtype, torch_dtype):
    g, t = getattr(gs, name)(2, 1, dtype=dtype), getattr(torch, name)(2, 1, dtype=torch_dtype)
    same_kind(g, t)
    if name != "empty":
        np.testing.assert_array_equal(g.array, t.numpy())


@pytest.mark.parametrize("name", ["zeros", "ones", "empty", "rand", "randn"])
def test_size_errors(name):
    make = getattr(gs, name)
    with pytest.raises(ValueError, match=rf"{name}: negative dimension in size \(2, -1\)"):
        make(2, -1)
    with pytest.raises(TypeError, match=rf"{name}: size must be ints .*str 'a'"):
        make(2, "a")
    with pytest.raises(TypeError, match=rf"{name}: size must be ints .*float 2.5"):
        make(2.5)
    with pytest.raises(TypeError, match=rf"{name}: unexpected keyword arguments \['out'\]"):
        make(2, out=None)
    with pytest.raises(TypeError, match=rf"{name}: got the size both"):
        make(2, size=(2,))
    with pytest.raises(TypeError):
        getattr(torch, name)()
    with pytest.raises(TypeError, match=rf"{name}: missing the size"):
        make()


@pytest.mark.parametrize("make", [lambda **k: gs.zeros(2, **k), lambda **k: gs.ones(2, **k),
                                  lambda **k: gs.empty(2, **k), lambda **k: gs.full((2,), 1, **k),
                                  lambda **k: gs.arange(3, **k), lambda **k: gs.randperm(3, **k),
                                  lambda **k: gs.randint(5, (2,), **k),
                                  lambda **k: gs.zeros_like(gs.zeros(2), **k)])
def test_only_floating_tensors_require_grad(make):
    assert make(dtype=gs.float64, requires_grad=True).requires_grad
    with pytest.raises(RuntimeError, match="only tensors of floating point dtype can require "
                                           "gradients, not int64"):
        make(dtype=gs.int64, requires_grad=True)


@pytest.mark.parametrize("call", [
    lambda d: gs.zeros(2, device=d), lambda d: gs.ones((2,), device=d), lambda d: gs.empty(2, device=d),
    lambda d: gs.full((2,), 1.0, device=d), lambda d: gs.tensor([1.0], device=d),
    lambda d: gs.arange(3, device=d), lambda d: gs.linspace(0, 1, 3, device=d),
    lambda d: gs.logspace(0, 1, 3, device=d), lambda d: gs.rand(2, device=d),
    lambda d: gs.randn(2, device=d), lambda d: gs.randint(3, (2,), device=d),
    lambda d: gs.randperm(3, device=d), lambda d: gs.zeros_like(gs.zeros(2), device=d),
    lambda d: gs.ones_like(gs.zeros(2), device=d), lambda d: gs.empty_like(gs.zeros(2), device=d),
    lambda d: gs.full_like(gs.zeros(2), 3, device=d), lambda d: gs.rand_like(gs.zeros(2), device=d),
    lambda d: gs.randn_like(gs.zeros(2), device=d),
    lambda d: gs.randint_like(gs.zeros(2), 3, device=d), lambda d: gs.as_tensor([1], device=d),
    lambda d: gs.asarray([1], device=d), lambda d: gs.FloatTensor(2, device=d),
    lambda d: gs.normal(0.0, 1.0, (2,), device=d)])
def test_device_cpu_is_accepted_and_others_raise(call):
    for device in ("cpu", "cpu:0", None):
        assert call(device).shape[0] in (1, 2, 3)
    with pytest.raises(RuntimeError, match="CUDA|cuda"):
        call("cuda")


# ---------------------------------------------------------------- *_like
@pytest.mark.parametrize("dtype, torch_dtype", DTYPES)
def test_like_factories_keep_shape_and_dtype_as_torch(dtype, torch_dtype):
    g, t = gs.zeros(3, 2, dtype=dtype), torch.zeros(3, 2, dtype=torch_dtype)
    for name in ("zeros_like", "ones_like", "empty_like"):
        same_kind(getattr(gs, name)(g), getattr(torch, name)(t))
        same_kind(getattr(gs, name)(g, dtype=gs.float64), getattr(torch, name)(t, dtype=torch.float64))
    np.testing.assert_array_equal(gs.ones_like(g).array, torch.ones_like(t).numpy())
    for value in (2.7, -1, True, 0):
        if dtype == np.uint8 and value == -1:
            continue
        expected = torch.full_like(t, value)
        got = gs.full_like(g, value)
        same_kind(got, expected)
        np.testing.assert_array_equal(got.array, expected.numpy())
    same_kind(gs.randint_like(g, 2), torch.randint_like(t, 2))
    same_kind(gs.randint_like(g, 0, 2, dtype=gs.float64), torch.randint_like(t, 0, 2, dtype=torch.float64))
    for name in ("rand_like", "randn_like"):
        if dtype in (np.float16, np.float32, np.float64):
            same_kind(getattr(gs, name)(g), getattr(torch, name)(t))
        else:
            with pytest.raises(NotImplementedError):
                getattr(torch, name)(t)
            with pytest.raises(RuntimeError, match=f"{name[:-5]}: a continuous distribution "
                                                   f"needs a floating dtype, got {np.dtype(dtype)}"):
                getattr(gs, name)(g)


def test_like_factories_take_requires_grad_and_reject_non_tensors():
    x = gs.zeros(2, dtype=gs.float64)
    for name in ("zeros_like", "ones_like", "empty_like", "rand_like", "randn_like"):
        out = getattr(gs, name)(x, requires_grad=True)
        assert out.requires_grad and out.is_leaf and out.dtype == np.float64
        with pytest.raises(TypeError, match=f"{name}: expects a Tensor as input, got ndarray"):
            getattr(gs, name)(np.zeros(2))
    assert gs.full_like(x, 1.0, requires_grad=True).requires_grad
    assert gs.randint_like(x, 3, requires_grad=True).requires_grad
    with pytest.raises(RuntimeError, match="full_like: value nan cannot be converted to int64"):
        gs.full_like(gs.zeros(2, dtype=gs.int64), float("nan"))


def test_full_needs_a_tuple_and_takes_a_one_element_tensor():
    with pytest.raises(TypeError, match="full: size must be a tuple of ints, not int"):
        gs.full(2, 1.0)
    with pytest.raises(TypeError):
        torch.full(2, 1.0)
    assert gs.full([2], gs.tensor(3.0)).tolist() == [3.0, 3.0]
    same_kind(gs.full(torch.Size([2, 1]), 1), torch.full(torch.Size([2, 1]), 1))


# ---------------------------------------------------------------- arange / linspace / logspace
def range_args():
    number = st.one_of(st.integers(-20, 20), st.floats(-20, 20, allow_nan=False).map(lambda v: round(v, 2)))
    step = st.one_of(st.integers(-5, 5).filter(bool), st.sampled_from([0.3, -0.7, 0.25, 1.5, -2.5, 0.1]))
    return st.tuples(number, number, step)


@settings(max_examples=60, deadline=None)
@given(range_args(), st.sampled_from([None, (np.float64, torch.float64), (np.float32, torch.float32),
                                      (np.int64, torch.int64), (np.int32, torch.int32)]))
def test_arange_matches_torch(args, dtype):
    start, end, step = args
    kwargs = {} if dtype is None else {"dtype": dtype[1]}
    try:
        expected = torch.arange(start, end, step, **kwargs)
    except (RuntimeError, ValueError) as error:
        kind = ValueError if "nonzero" in str(error) else RuntimeError
        with pytest.raises(kind, match="arange: (step must be nonzero|upper bound and lower bound)"):
            gs.arange(start, end, step, **({} if dtype is None else {"dtype": dtype[0]}))
        return
    got = gs.arange(start, end, step, **({} if dtype is None else {"dtype": dtype[0]}))
    same_kind(got, expected)
    np.testing.assert_allclose(got.array, expected.numpy(), rtol=1e-6, atol=1e-6)


def test_arange_forms_and_errors_as_torch():
    for args in [(5,), (2, 8), (2, 8, 3), (10, 0, -3), (1.7,), (0.5, 3), (5, 5), (True,),
                 (0, 1, 0.1), (10, 0, -2.5)]:
        got, expected = gs.arange(*args), torch.arange(*args)
        same_kind(got, expected)
        np.testing.assert_allclose(got.array, expected.numpy(), rtol=1e-6)
    for args in [(0, 2.5, 1), (0.5, 3), (-0.5, 3), (-3.7, 2.2, 2)]:  # an int dtype truncates first
        got, expected = gs.arange(*args, dtype=gs.int64), torch.arange(*args, dtype=torch.int64)
        assert got.tolist() == expected.tolist()
    same_kind(gs.arange(gs.tensor(3)), torch.arange(torch.tensor(3)))
    same_kind(gs.arange(gs.tensor(3.0)), torch.arange(torch.tensor(3.0)))
    same_kind(gs.arange(0, 1, 0.25, dtype=gs.float16), torch.arange(0, 1, 0.25, dtype=torch.float16))
    with pytest.raises(ValueError, match="arange: step must be nonzero and finite, got step=0"):
        gs.arange(0, 10, 0)
    with pytest.raises(ValueError, match="arange: step must be nonzero"):
        gs.arange(0, 2.5, 0.5, dtype=gs.int64)  # step truncates to 0 (torch: ValueError too)
    with pytest.raises(ValueError):
        torch.arange(0, 2.5, 0.5, dtype=torch.int64)
    with pytest.raises(RuntimeError, match="arange: upper bound and lower bound inconsistent with "
                                           "step sign: start=10, end=0, step=1"):
        gs.arange(10, 0)
    with pytest.raises(RuntimeError, match="arange: upper bound"):
        gs.arange(0, -1, 0.1)
    with pytest.raises(RuntimeError, match="arange: unsupported range: 0 -> inf"):
        gs.arange(float("inf"))
    with pytest.raises(RuntimeError, match="arange: unsupported range"):
        gs.arange(0, float("nan"))
    with pytest.raises(TypeError, match="arange: not implemented for dtype bool"):
        gs.arange(3, dtype=gs.bool_)
    with pytest.raises(TypeError, match="arange: end must be a number, got str 'a'"):
        gs.arange(0, "a")


SPACE_DTYPES = [(None, None), (np.float64, torch.float64), (np.float32, torch.float32),
                (np.int64, torch.int64), (np.int32, torch.int32), (np.int16, torch.int16),
                (np.float16, torch.float16)]


@settings(max_examples=60, deadline=None)
@given(st.floats(-30, 30).map(lambda v: round(v, 1)), st.floats(-30, 30).map(lambda v: round(v, 1)),
       st.integers(0, 300), st.sampled_from(SPACE_DTYPES))
def test_linspace_matches_torch_to_the_last_bit(start, end, steps, dtypes):
    # PyTorch's CPU kernel: two-sided, fused multiply-adds; an integer dtype truncates the ends
    # first and each value after (so 2.9999999999999996 is 2, as in torch)
    g_kw, t_kw = ({}, {}) if dtypes[0] is None else ({"dtype": dtypes[0]}, {"dtype": dtypes[1]})
    got, expected = gs.linspace(start, end, steps, **g_kw), torch.linspace(start, end, steps, **t_kw)
    same_kind(got, expected)
    np.testing.assert_array_equal(got.array, expected.numpy())


@settings(max_examples=40, deadline=None)
@given(st.floats(-3, 3).map(lambda v: round(v, 1)), st.floats(-3, 3).map(lambda v: round(v, 1)),
       st.integers(0, 40), st.sampled_from([10.0, 2.0, 2.5, -2.0]), st.sampled_from(SPACE_DTYPES[:5]))
def test_logspace_matches_torch(start, end, steps, base, dtypes):
    g_kw, t_kw = ({}, {}) if dtypes[0] is None else ({"dtype": dtypes[0]}, {"dtype": dtypes[1]})
    got = gs.logspace(start, end, steps, base, **g_kw)
    expected = torch.logspace(start, end, steps, base, **t_kw)
    same_kind(got, expected)
    if got.dtype.kind == "i":
        np.testing.assert_array_equal(got.array, expected.numpy())
    else:
        np.testing.assert_allclose(got.array, expected.numpy(), rtol=1e-5, atol=1e-6, equal_nan=True)


def test_linspace_and_logspace_cases_and_errors():
    assert gs.linspace(0, 10, 7, dtype=gs.int64).tolist() == [0, 1, 3, 5, 6, 8, 10]
    for args in [(0, 10, 7), (0, -10, 7), (0.6, 3.6, 3), (0.5, 4.5, 3), (10, 0, 7), (-3, 3, 4),
                 (16, -24, 7), (-27, 13, 13)]:
        assert gs.linspace(*args, dtype=gs.int64).tolist() == \
            torch.linspace(*args, dtype=torch.int64).tolist()
    assert gs.logspace(0, 1, 3, dtype=gs.int64).tolist() == \
        torch.logspace(0, 1, 3, dtype=torch.int64).tolist()
    assert gs.logspace(0.5, 2.5, 3, dtype=gs.int64).tolist() == \
        torch.logspace(0.5, 2.5, 3, dtype=torch.int64).tolist()
    same_kind(gs.linspace(gs.tensor(0.0), gs.tensor(1.0), 3), torch.linspace(torch.tensor(0.0),
                                                                           torch.tensor(1.0), 3))
    assert gs.linspace(0, 1, 3, requires_grad=True).requires_grad
    for op in ("linspace", "logspace"):
        with pytest.raises(RuntimeError, match=f"{op}: number of steps must be non-negative, got -1"):
            getattr(gs, op)(0, 1, -1)
        with pytest.raises(TypeError, match=f"{op}: steps must be an int, got float 2.0"):
            getattr(gs, op)(0, 1, 2.0)
        with pytest.raises(TypeError, match=f"{op}: not implemented for dtype bool"):
            getattr(gs, op)(0, 1, 2, dtype=gs.bool_)


# ---------------------------------------------------------------- randint / randperm
RANDINT_FORMS = [((10, (2, 3)), {}), ((3, 10, (2,)), {}), ((10,), {"size": (2,)}),
                 ((), {"high": 10, "size": (2,)}), ((3, 10), {"size": [4]}),
                 ((-5, 0, (3,)), {}), ((0, 10, ()), {}), ((3, 10, (2,)), {"dtype": "float32"}),
                 ((0, 2, (2,)), {"dtype": "bool"}), ((10, (0, 2)), {})]


@pytest.mark.parametrize("args, kwargs", RANDINT_FORMS)
def test_randint_forms_match_torch(args, kwargs):
    torch_kwargs = dict(kwargs)
    if "dtype" in kwargs:
        torch_kwargs["dtype"] = getattr(torch, kwargs["dtype"])
    got, expected = gs.randint(*args, **kwargs), torch.randint(*args, **torch_kwargs)
    same_kind(got, expected)
    bounds = [a for a in args if not isinstance(a, (tuple, list))]
    low = bounds[0] if len(bounds) == 2 else 0
    high = kwargs["high"] if "high" in kwargs else bounds[-1]
    values = got.array.astype(np.int64)
    assert values.size == 0 or (values.min() >= low and values.max() < high)


def test_randint_errors_as_torch():
    with pytest.raises(RuntimeError, match="randint: expects 'low' to be less than 'high', but got "
                                           "low=5 >= high=3"):
        gs.randint(5, 3, (2,))
    with pytest.raises(RuntimeError):
        torch.randint(5, 3, (2,))
    with pytest.raises(TypeError, match="randint: high must be an int, got float 2.5"):
        gs.randint(2.5, (2,))
    with pytest.raises(TypeError, match="randint: size must be a tuple of ints, got int"):
        gs.randint(10, 2)
    with pytest.raises(TypeError, match="randint: size must be a tuple"):
        gs.randint(10)
    with pytest.raises(RuntimeError, match="randint: high - 1 = 9 is out of bounds for bool"):
        gs.randint(0, 10, (2,), dtype=gs.bool_)
    with pytest.raises(RuntimeError, match="randint: high - 1 = 299 is out of bounds for uint8"):
        gs.randint(0, 300, (2,), dtype=np.uint8)
    with pytest.raises(TypeError, match="randint: expects the bounds as"):
        gs.randint(1, 2, 3, (2,))
    with pytest.raises(RuntimeError, match="randint_like: expects 'low' to be less than 'high'"):
        gs.randint_like(gs.zeros(2), 10, 3)
    with pytest.raises(TypeError, match="randint_like: high must be an int, got float 10.5"):
        gs.randint_like(gs.zeros(2), 10.5)


def test_randint_is_uniform_on_its_range():
    gs.manual_seed(3)
    values = gs.randint(-3, 7, (200_000,)).array
    counts = np.bincount(values + 3, minlength=10)
    assert values.min() == -3 and values.max() == 6 and counts.size == 10
    expected = values.size / 10
    chi2 = ((counts - expected) ** 2 / expected).sum()
    assert chi2 < 40  # 9 degrees of freedom: P(chi2 > 40) < 1e-5
    like = gs.randint_like(gs.zeros(100_000, dtype=gs.int32), low=2, high=4).array
    assert like.dtype == np.int32 and set(np.unique(like)) == {2, 3}
    mean_within_clt(like, 2.5, 0.5)


def test_randperm_is_a_permutation_with_torch_dtypes():
    gs.manual_seed(0)
    for n in (0, 1, 7, 100):
        p = gs.randperm(n)
        same_kind(p, torch.randperm(n))
        assert sorted(p.tolist()) == list(range(n))
    same_kind(gs.randperm(4, dtype=gs.float32), torch.randperm(4, dtype=torch.float32))
    assert gs.randperm(4, dtype=gs.float32, requires_grad=True).requires_grad
    # each position takes each value equally often
    firsts = np.array([gs.randperm(4).array[0] for _ in range(4000)])
    counts = np.bincount(firsts, minlength=4)
    assert np.all(np.abs(counts - 1000) < 6 * math.sqrt(4000 * 0.25 * 0.75))
    with pytest.raises(ValueError, match="randperm: n must be non-negative, got -1"):
        gs.randperm(-1)
    with pytest.raises(TypeError, match="randperm: n must be an int, got float 2.0"):
        gs.randperm(2.0)
    with pytest.raises(RuntimeError, match="randperm: n=300 is too large for int8"):
        gs.randperm(300, dtype=np.int8)


def seeded_run(generator=None):
    kw = {} if generator is None else {"generator": generator}
    return [gs.randint(0, 100, (5,), **kw).array, gs.randperm(6, **kw).array,
            gs.randint_like(gs.zeros(3), 9, **kw).array, gs.rand(3, dtype=gs.float16, **kw).array,
            gs.randn(2, dtype=gs.float64, **kw).array, gs.rand_like(gs.zeros(2), **kw).array,
            gs.randn_like(gs.zeros(2), **kw).array]


def test_manual_seed_and_generator_make_draws_reproducible():
    gs.manual_seed(77)
    first = seeded_run()
    gs.manual_seed(77)
    second = seeded_run()
    for a, b in zip(first, second):
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes()
    gs.manual_seed(5)
    state = gs.randn(4).array
    own = seeded_run(np.random.default_rng(11))
    again = seeded_run(np.random.default_rng(11))
    gs.manual_seed(5)
    assert gs.randn(4).array.tobytes() == state.tobytes()  # generator= leaves the default alone
    for a, b in zip(own, again):
        assert a.tobytes() == b.tobytes()
    with pytest.raises(TypeError, match="randn: generator must be a numpy.random.Generator"):
        gs.randn(2, generator=42)


def test_rand_keeps_float16_below_one():
    gs.manual_seed(0)
    values = gs.rand(200_000, dtype=gs.float16).array
    assert values.dtype == np.float16 and values.min() >= 0 and values.max() < 1
    mean_within_clt(values, 0.5, math.sqrt(1 / 12))
    with pytest.raises(RuntimeError, match="rand: a continuous distribution needs a floating dtype, "
                                           "got int64"):
        gs.rand(2, dtype=gs.int64)


# ---------------------------------------------------------------- from data
def test_from_numpy_shares_memory_both_ways():
    array = np.arange(6.0).reshape(2, 3)
    t = gs.from_numpy(array)
    assert t.dtype == np.float64 and t.shape == (2, 3)
    array[0, 0] = 42.0
    assert t[0, 0].item() == 42.0
    t.add_(1.0)
    assert array[1, 2] == 6.0
    view = gs.from_numpy(array[:, ::2])
    same_kind(view, torch.from_numpy(array[:, ::2]))
    for dtype in (np.float16, np.int8, np.uint16, np.bool_, np.complex64):
        assert gs.from_numpy(np.zeros(2, dtype)).dtype == dtype
    with pytest.raises(TypeError, match=r"from_numpy: expected np.ndarray \(got list\)"):
        gs.from_numpy([1, 2])
    with pytest.raises(TypeError, match="from_numpy: expected np.ndarray"):
        gs.from_numpy(np.float64(1.0))
    with pytest.raises(TypeError, match="from_numpy: can't convert an array of dtype object"):
        gs.from_numpy(np.zeros(2, dtype=object))
    with pytest.raises(ValueError, match="from_numpy: the array's byte order"):
        gs.from_numpy(np.zeros(2, dtype=">f8"))


def test_as_tensor_shares_when_it_can():
    array = np.zeros(3)
    t = gs.as_tensor(array)
    array[1] = 5.0
    assert t.tolist() == [0.0, 5.0, 0.0] and t.dtype == np.float64
    copied = gs.as_tensor(array, dtype=gs.float32)
    array[2] = 7.0
    assert copied.dtype == np.float32 and copied.tolist() == [0.0, 5.0, 0.0]
    x = gs.zeros(2, requires_grad=True)
    assert gs.as_tensor(x) is x and gs.as_tensor(x, dtype=gs.float32) is x
    cast = gs.as_tensor(x, dtype=gs.float64)
    assert cast.dtype == np.float64 and cast.requires_grad  # as torch: x.to(dtype), in the graph
    for data in ([1, 2], [1.0, 2], 3.0, np.float64(1.0), [True]):
        same_kind(gs.as_tensor(data), torch.as_tensor(data))
    same_kind(gs.as_tensor([1.7, 2], dtype=gs.int64), torch.as_tensor([1.7, 2], dtype=torch.int64))


def test_asarray_copy_rules_as_torch():
    array = np.zeros(2)
    shared = gs.asarray(array)
    array[0] = 1.0
    assert shared.tolist() == [1.0, 0.0]
    copied = gs.asarray(array, copy=True)
    array[1] = 2.0
    assert copied.tolist() == [1.0, 0.0]
    x = gs.zeros(2)
    assert gs.asarray(x) is x
    assert gs.asarray(x, requires_grad=True).requires_grad
    for data in ([1, 2], [1.0, 2], 3, np.zeros(2)):
        same_kind(gs.asarray(data), torch.asarray(data))
    same_kind(gs.asarray([1.0, 2], dtype=gs.float64), torch.asarray([1.0, 2], dtype=torch.float64))
    with pytest.raises(ValueError):
        torch.asarray(np.zeros(2), dtype=torch.float32, copy=False)
    with pytest.raises(ValueError, match="asarray: can't alias an array of dtype float64 as float32"):
        gs.asarray(np.zeros(2), dtype=gs.float32, copy=False)


@pytest.mark.parametrize("data, value", [(None, "None"), ("abc", "'abc'"), ([1, None], "None"),
                                         ([[1], [None]], "None"), (["a", 1], "'a'"),
                                         ((1.0, b"x"), "b'x'")])
def test_tensor_rejects_none_and_strings_naming_the_value(data, value):
    with pytest.raises((TypeError, RuntimeError, ValueError)):
        torch.tensor(data)
    with pytest.raises(TypeError, match=f"tensor: could not infer the dtype of {value}"):
        gs.tensor(data)
    with pytest.raises(TypeError, match=f"tensor: could not infer the dtype of {value}"):
        gs.as_tensor(data)
    if isinstance(data, list):
        with pytest.raises(TypeError, match=f"could not infer the dtype of {value}"):
            gs.Tensor(data)


def test_tensor_constructor_rejects_none_and_strings():
    for data in (None, "abc"):
        with pytest.raises(TypeError):
            torch.Tensor(data)
        with pytest.raises(TypeError, match=f"Tensor: new\\(\\): data must be a sequence of numbers "
                                            f"\\(got {type(data).__name__} {data!r}\\)$"):
            gs.Tensor(data)
    with pytest.raises(TypeError, match="tensor: can't convert an array of dtype <U1"):
        gs.tensor(np.array(["a"]))
    assert gs.tensor([2 ** 70]).dtype == gs.get_default_dtype()  # big ints still convert


def test_tensor_takes_dtype_and_requires_grad_keywords():
    same_kind(gs.tensor([1, 2], dtype=gs.float64), torch.tensor([1, 2], dtype=torch.float64))
    t = gs.tensor([1.0, 2.0], requires_grad=True)
    assert t.requires_grad and t.is_leaf
    with pytest.raises(TypeError):
        gs.tensor([1.0], gs.float64)  # dtype is keyword-only, as torch
    with pytest.raises(RuntimeError, match="tensor: only tensors of floating point dtype"):
        gs.tensor([1, 2], requires_grad=True)


# ---------------------------------------------------------------- FloatTensor & co.
TYPES = [("FloatTensor", np.float32), ("DoubleTensor", np.float64), ("HalfTensor", np.float16),
         ("LongTensor", np.int64), ("IntTensor", np.int32), ("ShortTensor", np.int16),
         ("CharTensor", np.int8), ("ByteTensor", np.uint8), ("BoolTensor", np.bool_)]


@pytest.mark.parametrize("name, dtype", TYPES)
def test_legacy_constructors_match_torch(name, dtype):
    make, reference = getattr(gs, name), getattr(torch, name)
    for args in [(2, 3), (torch.Size([2]),), (0,), ()]:
        same_kind(make(*args), reference(*args))
    for data in ([1.7, 2], [-1.7, 2.9], [[1, 0], [2, 1]], (1, 2), [], [True, False],
                 np.array([1.7, 2.0])):
        if dtype == np.uint8 and np.any(np.asarray(data, dtype=float) < 0):
            continue
        got, expected = make(data), reference(data)
        same_kind(got, expected)
        np.testing.assert_array_equal(got.array, expected.numpy())
    same_kind(make(2, device="cpu"), reference(2, device="cpu"))
    torch_dtype = dict((np.dtype(d), t) for d, t in DTYPES)[np.dtype(dtype)]
    same_kind(make(gs.zeros(2, dtype=dtype)), reference(torch.zeros(2, dtype=torch_dtype)))
    with pytest.raises(TypeError):
        reference(2.5)
    with pytest.raises(TypeError, match="Tensor: new\\(\\): data must be a sequence"):
        make(2.5)
    with pytest.raises(TypeError):
        reference(2, requires_grad=True)
    with pytest.raises(TypeError):
        make(2, requires_grad=True)
    with pytest.raises(ValueError, match="negative dimension"):
        make(-1)


def test_legacy_constructors_reject_a_tensor_of_another_dtype():
    with pytest.raises(TypeError):
        torch.FloatTensor(torch.tensor([1, 2]))
    with pytest.raises(TypeError, match="FloatTensor: expected a tensor of dtype float32, got int64"):
        gs.FloatTensor(gs.tensor([1, 2]))
    assert gs.LongTensor([1.7, 2]).tolist() == [1, 2]
    assert gs.LongTensor(2, 3).shape == (2, 3)


@pytest.mark.parametrize("dtype, torch_dtype", DTYPES)
def test_isinstance_tests_the_dtype_exactly_as_torch(dtype, torch_dtype):
    g, t = gs.zeros(2, dtype=dtype), torch.zeros(2, dtype=torch_dtype)
    for name, _ in TYPES:
        assert isinstance(g, getattr(gs, name)) == isinstance(t, getattr(torch, name)), name
    assert isinstance(g, gs.Tensor)
    if dtype == np.float32:
        assert isinstance(gs.zeros(2, requires_grad=True), gs.FloatTensor)
        assert isinstance(gs.zeros(2, requires_grad=True) * 2, gs.FloatTensor)
    assert not isinstance(np.zeros(2, dtype=dtype), gs.FloatTensor)
    assert not isinstance(3.0, gs.FloatTensor)


def test_legacy_types_carry_their_dtype():
    assert gs.LongTensor.dtype == np.int64 and gs.FloatTensor.__name__ == "FloatTensor"
    assert np.dtype(gs.ByteTensor) == np.uint8  # NumPy reads the dtype attribute


# ---------------------------------------------------------------- queries
@pytest.mark.parametrize("dtype, torch_dtype", DTYPES + [(np.complex64, torch.complex64)])
def test_type_and_size_queries_match_torch(dtype, torch_dtype):
    for shape in [(2, 3), (), (0, 4)]:
        g, t = gs.zeros(shape, dtype=dtype), torch.zeros(shape, dtype=torch_dtype)
        assert gs.is_tensor(g) and torch.is_tensor(t)
        assert gs.is_floating_point(g) == torch.is_floating_point(t) == g.is_floating_point()
        assert gs.numel(g) == torch.numel(t)
        assert g.element_size() == t.element_size()
        assert g.itemsize == t.itemsize
        assert g.nbytes == t.nbytes


def test_nbytes_of_views_counts_positions_as_torch():
    g, t = gs.zeros(2, 4), torch.zeros(2, 4)
    assert g[:, ::2].nbytes == t[:, ::2].nbytes
    assert gs.zeros(4).expand(2, 4).nbytes == torch.zeros(4).expand(2, 4).nbytes


def test_queries_reject_non_tensors():
    assert not gs.is_tensor(np.zeros(2)) and not gs.is_tensor(1)
    with pytest.raises(TypeError):
        torch.is_floating_point(3.0)
    with pytest.raises(TypeError, match="is_floating_point: expects a Tensor as input, got float"):
        gs.is_floating_point(3.0)
    with pytest.raises(TypeError, match="numel: expects a Tensor as input, got int"):
        gs.numel(3)


@pytest.mark.parametrize("make, op", [
    (lambda: gs.zeros(2 ** 62), "zeros"), (lambda: gs.ones(2 ** 40, 2 ** 40), "ones"),
    (lambda: gs.empty((2 ** 31, 2 ** 31, 4)), "empty"), (lambda: gs.rand(2 ** 62), "rand"),
    (lambda: gs.randn(2 ** 62), "randn"), (lambda: gs.full((2 ** 62,), 1.0), "full"),
    (lambda: gs.randint(3, (2 ** 62,)), "randint"), (lambda: gs.arange(2 ** 62), "arange"),
])
def test_a_size_no_array_can_hold_is_refused_naming_the_factory(make, op):
    """RuntimeError, as torch's "Storage size calculation overflowed" (NumPy: a bare "array
    is too big"), naming the factory, the shape and the bytes, before allocating."""
    with pytest.raises(RuntimeError, match=rf"^{op}: a tensor of shape \(.*\) would take "
                                           r"[0-9.e+]+ bytes, more than any array can hold"):
        make()
