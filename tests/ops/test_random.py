"""Random sampling (issue 10): normal, bernoulli, multinomial, poisson and the in-place fills.

Values cannot match torch's generator, so: shapes, dtypes, argument forms, requires_grad and
gradients, and error kinds are checked against torch; distributions statistically (sample mean
and variance within a CLT bound on a large sample, frequencies by chi-square); draws repeat
under the same seed; the fills obey the in-place rules."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import gradsheet as gs
from tests.helpers import torch_or_skip

torch = torch_or_skip()

FLOATS = [(np.float32, torch.float32), (np.float64, torch.float64), (np.float16, torch.float16)]
INTS = [(np.int64, torch.int64), (np.int32, torch.int32), (np.int16, torch.int16),
        (np.int8, torch.int8), (np.uint8, torch.uint8)]
N = 200_000


def np_dtype(torch_dtype):
    return torch.empty(0, dtype=torch_dtype).numpy().dtype


def same_kind(g, t):
    assert tuple(g.shape) == tuple(t.shape), (g.shape, t.shape)
    assert g.dtype == np_dtype(t.dtype), (g.dtype, t.dtype)
    assert g.requires_grad == t.requires_grad


def moments_within_clt(sample, mean, var, fourth_central=None, k=6.0):
    """Sample mean within k standard errors of ``mean``, and the sample variance within k of its
    own standard error (from the fourth central moment; 3 var^2 when not given, the normal's)."""
    x = np.asarray(sample, dtype=np.float64).ravel()
    n = x.size
    assert abs(x.mean() - mean) <= k * math.sqrt(var / n), (x.mean(), mean)
    mu4 = 3 * var ** 2 if fourth_central is None else fourth_central
    # (+ k var / n: the second-order term, all there is when mu4 = var^2, as for Bernoulli(1/2))
    assert abs(x.var() - var) <= k * math.sqrt((mu4 - var ** 2) / n) + k * var / n, (x.var(), var)


# ---------------------------------------------------------------- normal
@settings(max_examples=30, deadline=None)
@given(mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3))
def test_normal_tensor_forms_broadcast_as_torch(shapes):
    (a, b), _ = shapes
    same_kind(gs.normal(gs.zeros(a), gs.ones(b)), torch.normal(torch.zeros(a), torch.ones(b)))
    same_kind(gs.normal(gs.zeros(a), 2.0), torch.normal(torch.zeros(a), 2.0))
    same_kind(gs.normal(1.0, gs.ones(b)), torch.normal(1.0, torch.ones(b)))


@pytest.mark.parametrize("dtype, torch_dtype", FLOATS)
def test_normal_dtypes_as_torch(dtype, torch_dtype):
    same_kind(gs.normal(gs.zeros(2, dtype=dtype), 1.0),
              torch.normal(torch.zeros(2, dtype=torch_dtype), 1.0))
    same_kind(gs.normal(gs.zeros(2, dtype=dtype), gs.ones(2)),  # mean's dtype wins
              torch.normal(torch.zeros(2, dtype=torch_dtype), torch.ones(2)))
    same_kind(gs.normal(gs.zeros(2), gs.ones(2, dtype=dtype)),
              torch.normal(torch.zeros(2), torch.ones(2, dtype=torch_dtype)))
    same_kind(gs.normal(gs.zeros(2), gs.ones(2, dtype=gs.int64)),
              torch.normal(torch.zeros(2), torch.ones(2, dtype=torch.int64)))
    same_kind(gs.normal(0.0, 1.0, (2, 3), dtype=dtype), torch.normal(0.0, 1.0, (2, 3), dtype=torch_dtype))
    same_kind(gs.normal(0, 1, [2]), torch.normal(0, 1, [2]))
    same_kind(gs.normal(0.0, 1.0, ()), torch.normal(0.0, 1.0, ()))
    same_kind(gs.normal(mean=0.0, std=1.0, size=(2,)), torch.normal(mean=0.0, std=1.0, size=(2,)))
    same_kind(gs.normal(0.0, 1.0, (2,), requires_grad=True), torch.normal(0.0, 1.0, (2,), requires_grad=True))


def test_normal_statistics_per_element_with_broadcasting():
    gs.manual_seed(0)
    mean = gs.tensor([[-2.0], [0.0], [5.0]], dtype=gs.float64)
    std = gs.full((N // 10,), 0.5, dtype=gs.float64)
    sample = gs.normal(mean, std).array
    assert sample.shape == (3, N // 10) and sample.dtype == np.float64
    for row, m in zip(sample, (-2.0, 0.0, 5.0)):
        moments_within_clt(row, m, 0.25)
    moments_within_clt(gs.normal(3.0, 2.0, (N,)).array, 3.0, 4.0)
    moments_within_clt(gs.normal(gs.full((N,), -1.0), 0.5).array, -1.0, 0.25)
    moments_within_clt(gs.normal(1.0, gs.full((N,), 3.0)).array, 1.0, 9.0)
    assert np.all(gs.normal(gs.arange(4.0), 0.0).array == np.arange(4.0))


def test_normal_gradients_are_zero_as_torch():
    mean, std = gs.zeros(3, requires_grad=True), gs.ones(3, requires_grad=True)
    tm, ts = torch.zeros(3, requires_grad=True), torch.ones(3, requires_grad=True)
    out, expected = gs.normal(mean, std), torch.normal(tm, ts)
    same_kind(out, expected)
    out.sum().backward()
    expected.sum().backward()
    np.testing.assert_array_equal(mean.grad.array, tm.grad.numpy())
    np.testing.assert_array_equal(std.grad.array, ts.grad.numpy())
    same_kind(gs.normal(mean, 1.0), torch.normal(tm, 1.0))
    with gs.no_grad():
        assert not gs.normal(mean, std).requires_grad


def test_normal_errors():
    for call in (lambda m: m.normal(m.zeros(2), -1.0), lambda m: m.normal(0.0, -1.0, (2,)),
                 lambda m: m.normal(m.zeros(2), m.tensor([-1.0, 1.0])),
                 lambda m: m.normal(m.zeros(2), m.tensor([float("nan"), 1.0])),
                 lambda m: m.normal(m.zeros(2), float("nan")),
                 lambda m: m.normal(m.zeros(4), m.ones(2, 2))):
        with pytest.raises(RuntimeError):
            call(torch)
        with pytest.raises(RuntimeError, match="normal: (expects (all elements of )?std >= 0.0|the "
                                               "shape of mean)"):
            call(gs)
    with pytest.raises(RuntimeError, match=r"normal: the shape of mean \(4,\) and the shape of std "
                                           r"\(2, 2\) do not broadcast"):
        gs.normal(gs.zeros(4), gs.ones(2, 2))
    with pytest.raises(TypeError):
        torch.normal(0.0, 1.0)
    with pytest.raises(TypeError, match="normal: with a number mean and a number std, give size="):
        gs.normal(0.0, 1.0)
    with pytest.raises(TypeError):
        torch.normal(torch.zeros(2), torch.ones(2), size=(2,))
    with pytest.raises(TypeError, match="normal: size=, dtype= and requires_grad= go with a number"):
        gs.normal(gs.zeros(2), gs.ones(2), size=(2,))
    with pytest.raises(TypeError, match="normal: size must be a tuple of ints, got int"):
        gs.normal(0.0, 1.0, 2)
    with pytest.raises(NotImplementedError):
        torch.normal(torch.tensor([0, 1]), 1.0)
    with pytest.raises(RuntimeError, match="normal: a continuous distribution needs a floating mean, "
                                           "got int64"):
        gs.normal(gs.tensor([0, 1]), 1.0)
    with pytest.raises(RuntimeError, match="normal: a continuous distribution needs a floating std"):
        gs.normal(0.0, gs.ones(2, dtype=gs.int64))
    with pytest.raises(TypeError, match="normal: mean must be a number, got str 'a'"):
        gs.normal("a", 1.0, (2,))


# ---------------------------------------------------------------- bernoulli
@pytest.mark.parametrize("dtype, torch_dtype", FLOATS)
@pytest.mark.parametrize("shape", [(), (0,), (3, 2)])
def test_bernoulli_keeps_shape_and_dtype_as_torch(dtype, torch_dtype, shape):
    p, tp = gs.full(shape, 0.5, dtype=dtype), torch.full(shape, 0.5, dtype=torch_dtype)
    same_kind(gs.bernoulli(p), torch.bernoulli(tp))
    same_kind(p.bernoulli(), tp.bernoulli())
    same_kind(gs.bernoulli(p, 0.2), torch.bernoulli(tp, 0.2))
    same_kind(gs.bernoulli(p, p=gs.tensor(0.2)), torch.bernoulli(tp, p=torch.tensor(0.2)))
    assert set(np.unique(gs.bernoulli(p).array)) <= {0, 1}


def test_bernoulli_statistics_and_extremes():
    gs.manual_seed(1)
    probabilities = gs.tensor([0.0, 0.1, 0.5, 0.9, 1.0], dtype=gs.float64)
    sample = gs.bernoulli(probabilities.expand(N // 5, 5)).array
    for column, p in zip(sample.T, probabilities.tolist()):
        if p in (0.0, 1.0):
            assert np.all(column == p)
        else:
            moments_within_clt(column, p, p * (1 - p), p * (1 - p) * (1 - 3 * p + 3 * p * p))
    moments_within_clt(gs.bernoulli(gs.zeros(N), 0.3).array, 0.3, 0.21, 0.21 * (1 - 0.9 + 0.27))


def test_bernoulli_gradient_is_zero_as_torch():
    p, tp = gs.full((3,), 0.5, requires_grad=True), torch.full((3,), 0.5, requires_grad=True)
    out, expected = gs.bernoulli(p), torch.bernoulli(tp)
    same_kind(out, expected)
    out.sum().backward()
    expected.sum().backward()
    np.testing.assert_array_equal(p.grad.array, tp.grad.numpy())


def test_bernoulli_errors():
    for bad in ([1.5], [-0.5], [float("nan")]):
        with pytest.raises(RuntimeError):
            torch.bernoulli(torch.tensor(bad))
        with pytest.raises(RuntimeError, match="bernoulli: expects every p to be in \\[0, 1\\]"):
            gs.bernoulli(gs.tensor(bad))
    with pytest.raises(RuntimeError):
        torch.bernoulli(torch.zeros(2), 1.5)
    with pytest.raises(RuntimeError, match="bernoulli: expects p to be in \\[0, 1\\], but got p=1.5"):
        gs.bernoulli(gs.zeros(2), 1.5)
    with pytest.raises(NotImplementedError):
        torch.bernoulli(torch.tensor([1, 0]))
    with pytest.raises(RuntimeError, match="bernoulli: a continuous distribution needs a floating "
                                           "input, got int64"):
        gs.bernoulli(gs.tensor([1, 0]))
    with pytest.raises(TypeError, match="bernoulli: expects a Tensor, got list"):
        gs.bernoulli([0.5])


# ---------------------------------------------------------------- multinomial
MULTINOMIAL_FORMS = [([0.0, 1.0, 2.0], 2, False), ([[0.0, 1.0, 2.0], [1, 1, 1]], 2, False),
                     ([0.0, 1.0, 2.0], 3, False), ([0.0, 1.0, 2.0], 5, True),
                     ([0.0, 0.0, 1.0], 3, False), ([0.0, 0.0, 1.0], 3, True),
                     ([[1.0, 2.0]], 1, True), (np.ones((0, 3)), 1, False)]


@pytest.mark.parametrize("weights, n, replacement", MULTINOMIAL_FORMS)
def test_multinomial_shapes_and_dtype_as_torch(weights, n, replacement):
    w = np.asarray(weights, dtype=np.float32)
    got = gs.multinomial(gs.tensor(w), n, replacement)
    expected = torch.multinomial(torch.tensor(w), n, replacement)
    same_kind(got, expected)
    same_kind(gs.tensor(w).multinomial(n, replacement=replacement),
              torch.tensor(w).multinomial(n, replacement=replacement))
    values = got.array.reshape(-1, n)
    assert values.size == 0 or (values.min() >= 0 and values.max() < w.shape[-1])
    if not replacement:
        for row in values:
            assert len(set(row.tolist())) == n


def test_multinomial_without_replacement_never_repeats_and_skips_zero_weights_first():
    gs.manual_seed(2)
    weights = gs.tensor(np.tile([0.0, 3.0, 1.0, 0.0, 2.0, 0.5], (5000, 1)))
    sample = gs.multinomial(weights, 4).array
    assert sample.shape == (5000, 4) and sample.dtype == np.int64
    assert all(len(set(row)) == 4 for row in sample.tolist())
    assert np.all(np.isin(sample, [1, 2, 4, 5]))  # the 4 positive categories come first
    full = gs.multinomial(weights, 6).array
    assert np.all(np.sort(full, axis=1) == np.arange(6))
    assert np.all(np.isin(full[:, 4:], [0, 3]))


def test_multinomial_frequencies_match_the_probabilities():
    gs.manual_seed(3)
    p = np.array([0.1, 0.0, 0.2, 0.3, 0.4])
    with_replacement = gs.multinomial(gs.tensor(p * 7.0), N, True).array  # unnormalised weights
    counts = np.bincount(with_replacement, minlength=5)
    assert counts[1] == 0
    positive = p > 0
    chi2 = ((counts[positive] - N * p[positive]) ** 2 / (N * p[positive])).sum()
    assert chi2 < 30  # 3 degrees of freedom
    # without replacement: first draws follow p, second draws sum_i p_i p_j / (1 - p_i)
    rows = gs.multinomial(gs.tensor(np.tile(p, (N // 4, 1))), 2).array
    second = np.array([sum(p[i] * p[j] / (1 - p[i]) for i in range(5) if i != j) for j in range(5)])
    for column, expected in ((rows[:, 0], p), (rows[:, 1], second)):
        counts = np.bincount(column, minlength=5)
        n = column.size
        assert counts[1] == 0
        chi2 = ((counts[positive] - n * expected[positive]) ** 2 / (n * expected[positive])).sum()
        assert chi2 < 30


def test_multinomial_rows_are_independent_distributions():
    gs.manual_seed(4)
    weights = gs.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, 5.0], [0.0, 2.0, 2.0]])
    sample = gs.multinomial(weights, 1000, replacement=True).array
    assert np.all(sample[0] == 0) and np.all(sample[1] == 2) and set(sample[2].tolist()) == {1, 2}


NONFINITE = "probability tensor contains either inf, nan or element < 0"
ZERO_SUM = r"invalid multinomial distribution \(sum of probabilities <= 0\)"
MULTINOMIAL_ERRORS = [
    (lambda m: m.multinomial(m.tensor([-1.0, 1.0, 2.0]), 2), NONFINITE),
    (lambda m: m.multinomial(m.tensor([1.0, float("inf")]), 1), NONFINITE),
    (lambda m: m.multinomial(m.tensor([1.0, float("nan")]), 1), NONFINITE),
    (lambda m: m.multinomial(m.tensor([0.0, 0.0]), 1), ZERO_SUM + " in row 0"),
    (lambda m: m.multinomial(m.tensor([[1.0, 1.0], [0.0, 0.0]]), 1, True), ZERO_SUM + " in row 1"),
    (lambda m: m.multinomial(m.tensor([1.0, 1.0]), 3), "cannot sample num_samples=3 > 2 categories"),
    (lambda m: m.multinomial(m.ones(2, 0), 1), "cannot sample num_samples=1 > 0 categories"),
    (lambda m: m.multinomial(m.tensor([1.0, 1.0]), 0), "cannot sample num_samples <= 0"),
    (lambda m: m.multinomial(m.tensor([1.0, 1.0]), -1), "cannot sample num_samples <= 0"),
    (lambda m: m.multinomial(m.tensor(1.0), 1), "prob_dist must be 1 or 2 dim, got 0 dims"),
    (lambda m: m.multinomial(m.ones(2, 2, 2), 1), "prob_dist must be 1 or 2 dim, got 3 dims"),
    (lambda m: m.multinomial(m.tensor([1, 2]), 1), "only supports floating-point dtypes for input, "
                                                   "got int64"),
]


@pytest.mark.parametrize("call, message", MULTINOMIAL_ERRORS)
def test_multinomial_errors_as_torch(call, message):
    with pytest.raises(RuntimeError):
        call(torch)
    with pytest.raises(RuntimeError, match="multinomial: " + message):
        call(gs)


def test_multinomial_type_errors():
    with pytest.raises(TypeError):
        torch.multinomial(torch.tensor([1.0, 1.0]), 2.0)
    with pytest.raises(TypeError, match="multinomial: num_samples must be an int, got float 2.0"):
        gs.multinomial(gs.tensor([1.0, 1.0]), 2.0)
    assert not gs.multinomial(gs.tensor([1.0, 2.0], requires_grad=True), 1).requires_grad


# ---------------------------------------------------------------- poisson
@pytest.mark.parametrize("dtype, torch_dtype", FLOATS)
def test_poisson_shape_dtype_and_statistics(dtype, torch_dtype):
    for shape in [(), (0,), (2, 3)]:
        same_kind(gs.poisson(gs.ones(shape, dtype=dtype)),
                  torch.poisson(torch.ones(shape, dtype=torch_dtype)))
    gs.manual_seed(5)
    for rate in (0.5, 4.0, 30.0):
        sample = gs.poisson(gs.full((N // 2,), rate, dtype=dtype)).array
        assert sample.dtype == dtype and np.all(sample == np.round(sample)) and sample.min() >= 0
        moments_within_clt(sample, rate, rate, rate + 3 * rate ** 2)
    assert np.all(gs.poisson(gs.zeros(10)).array == 0)


def test_poisson_gradient_and_errors_as_torch():
    rate, t_rate = gs.full((3,), 0.5, requires_grad=True), torch.full((3,), 0.5, requires_grad=True)
    out, expected = gs.poisson(rate), torch.poisson(t_rate)
    same_kind(out, expected)
    out.sum().backward()
    assert np.all(rate.grad.array == 0)
    for bad in ([-1.0], [float("nan")]):
        with pytest.raises(RuntimeError):
            torch.poisson(torch.tensor(bad))
        with pytest.raises(RuntimeError, match="poisson: invalid Poisson rate .*non-negative"):
            gs.poisson(gs.tensor(bad))
    with pytest.raises(NotImplementedError):
        torch.poisson(torch.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="poisson: a continuous distribution needs a floating input"):
        gs.poisson(gs.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="poisson: rate inf is too large"):
        gs.poisson(gs.tensor([float("inf")]))


# ---------------------------------------------------------------- in-place fills
def exp_stats(lambd):
    return 1 / lambd, 1 / lambd ** 2, 9 / lambd ** 4


def check_geometric(x, p):
    assert x.min() == 1  # trials up to and including the first success
    var = (1 - p) / p ** 2
    moments_within_clt(x, 1 / p, var, var ** 2 * (9 + p * p / (1 - p)))  # excess kurtosis 6 + p^2/(1-p)


def check_discrete_uniform(x, low, high):
    assert set(np.unique(x)) == set(range(low, high))
    n = high - low
    moments_within_clt(x, (low + high - 1) / 2, (n * n - 1) / 12, (n * n - 1) * (3 * n * n - 7) / 240)


# name -> (args, gradsheet check of the drawn float64 sample)
FILLS = {
    "normal_": ((2.0, 3.0), lambda x: moments_within_clt(x, 2.0, 9.0)),
    "uniform_": ((-1.0, 3.0), lambda x: (moments_within_clt(x, 1.0, 16 / 12, 4 ** 4 / 80),
                                         np.all((x >= -1) & (x < 3)) or pytest.fail("range"))),
    "exponential_": ((2.0,), lambda x: moments_within_clt(x, *exp_stats(2.0))),
    "log_normal_": ((0.5, 0.25), lambda x: moments_within_clt(np.log(x), 0.5, 0.0625)),
    "geometric_": ((0.25,), lambda x: check_geometric(x, 0.25)),
    "bernoulli_": ((0.3,), lambda x: moments_within_clt(x, 0.3, 0.21, 0.21 * 0.37)),
    "random_": ((3, 10), lambda x: check_discrete_uniform(x, 3, 10)),
}


@pytest.mark.parametrize("name", FILLS)
def test_fills_draw_from_their_distribution(name):
    args, check = FILLS[name]
    gs.manual_seed(6)
    x = gs.empty(N, dtype=gs.float64)
    assert getattr(x, name)(*args) is x
    assert x._version == 1
    check(x.array)


def test_cauchy_quartiles():
    gs.manual_seed(7)
    x = gs.empty(N, dtype=gs.float64).cauchy_(1.5, 2.0).array
    # the Cauchy's quartiles are median -+ sigma; a sample quartile's standard error is
    # sqrt(p(1-p)/n) / density(quartile) = sqrt(3/16/n) * 2 pi sigma
    se = math.sqrt(3 / 16 / x.size) * 2 * math.pi * 2.0
    q1, q2, q3 = np.quantile(x, [0.25, 0.5, 0.75])
    assert abs(q1 - (-0.5)) < 6 * se and abs(q3 - 3.5) < 6 * se and abs(q2 - 1.5) < 6 * se


FILL_CALLS = {  # name -> (gradsheet call, torch call) on a tensor
    "normal_": (lambda x: x.normal_(), lambda t: t.normal_()),
    "uniform_": (lambda x: x.uniform_(2, 3), lambda t: t.uniform_(2, 3)),
    "exponential_": (lambda x: x.exponential_(), lambda t: t.exponential_()),
    "log_normal_": (lambda x: x.log_normal_(), lambda t: t.log_normal_()),
    "cauchy_": (lambda x: x.cauchy_(), lambda t: t.cauchy_()),
    "geometric_": (lambda x: x.geometric_(0.5), lambda t: t.geometric_(0.5)),
    "bernoulli_": (lambda x: x.bernoulli_(), lambda t: t.bernoulli_()),
    "random_": (lambda x: x.random_(10), lambda t: t.random_(10)),
}


def torch_accepts(call, dtype):
    try:
        call(torch.zeros(2, dtype=dtype))
        return True
    except (RuntimeError, NotImplementedError):
        return False


@pytest.mark.parametrize("name", FILL_CALLS)
@pytest.mark.parametrize("dtype, torch_dtype", FLOATS + INTS + [(np.bool_, torch.bool)])
def test_fills_accept_the_dtypes_torch_does(name, dtype, torch_dtype):
    g_call, t_call = FILL_CALLS[name]
    x = gs.zeros(3, 2, dtype=dtype)
    if dtype == np.bool_ and name == "random_":
        g_call, t_call = (lambda x: x.random_(2)), (lambda t: t.random_(2))
    if torch_accepts(t_call, torch_dtype):
        assert g_call(x) is x and x.dtype == dtype and x.shape == (3, 2)
    else:
        with pytest.raises(RuntimeError, match=f"{name}: "):
            g_call(x)


@pytest.mark.parametrize("name", FILL_CALLS)
def test_fills_follow_the_inplace_rules(name):
    g_call, t_call = FILL_CALLS[name]
    leaf, t_leaf = gs.zeros(3, requires_grad=True), torch.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError):
        t_call(t_leaf)
    with pytest.raises(RuntimeError, match=f"{name}: a leaf tensor that requires grad cannot be "
                                           "changed in place"):
        g_call(leaf)
    with gs.no_grad():
        assert g_call(leaf) is leaf
    assert leaf.requires_grad and leaf._version == 1
    # a non-leaf stays in the graph (as torch) with gradient 0 to what it was computed from
    x, tx = gs.ones(3, requires_grad=True), torch.ones(3, requires_grad=True)
    y, ty = x * 2, tx * 2
    g_call(y)
    t_call(ty)
    assert y.requires_grad == ty.requires_grad and (y.grad_fn is None) == (ty.grad_fn is None)
    (y * 3).sum().backward()
    (ty * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.array, tx.grad.numpy())
    # a view's change reaches its base
    base = gs.zeros(2, 3, dtype=gs.float64)
    g_call(base[1])
    assert np.all(base.array[0] == 0) and base._version >= 0
    # an expanded tensor shares memory between positions: it cannot be filled
    with pytest.raises(RuntimeError, match=f"{name}: cannot write into this tensor"):
        g_call(gs.zeros(3).expand(2, 3))


def test_uniform_argument_forms_as_torch():
    x = gs.empty(1000)
    for kwargs in ({"from": 2, "to": 3}, {"to": 3}, {"from": -1}):
        t = torch.empty(1000).uniform_(**kwargs)
        x.uniform_(**kwargs)
        low, high = kwargs.get("from", 0), kwargs.get("to", 1)
        assert x.array.min() >= low and x.array.max() < high and t.min() >= low
    assert np.all(gs.empty(5).uniform_(2, 2).array == 2.0)
    assert gs.empty(5, dtype=gs.float16).uniform_(0, 1).array.max() < 1
    with pytest.raises(TypeError, match="uniform_: unexpected keyword arguments \\['low'\\]"):
        x.uniform_(low=0)
    with pytest.raises(TypeError, match="uniform_: got multiple values for argument 'from'"):
        x.uniform_(0, **{"from": 1})


def test_random_argument_forms_and_ranges_as_torch():
    gs.manual_seed(8)
    cases = [((), np.float32, 0, 2 ** 24), ((), np.float64, 0, 2 ** 53), ((), np.float16, 0, 2 ** 11),
             ((), np.int8, 0, 127), ((), np.uint8, 0, 255), ((), np.bool_, 0, 1),
             ((10,), np.float32, 0, 9), ((-3, 0), np.float32, -3, -1), ((5, None), np.int16, 5, 32767),
             ((-128, 128), np.int8, -128, 127)]
    for args, dtype, low, high in cases:
        values = gs.empty(20_000, dtype=dtype).random_(*args).array.astype(np.float64)
        assert values.min() >= low and values.max() <= high, (args, dtype)
        if high - low < 1000:
            assert values.min() == low and values.max() == high
        torch_dtype = getattr(torch, np.dtype(dtype).name) if dtype != np.bool_ else torch.bool
        t = torch.empty(20_000, dtype=torch_dtype).random_(*args).double()
        assert t.min() >= low and t.max() <= high
    values = gs.empty(1000).random_(to=5).array
    assert values.min() == 0 and values.max() == 4


RANDOM_ERRORS = [
    (lambda x: x.random_(10, 3), np.float32, "expects 'from' to be less than 'to', but got from=10 >= to=3"),
    (lambda x: x.random_(0, 200), np.int8, "to - 1 = 199 is out of bounds for int8"),
    (lambda x: x.random_(-1, 5), np.uint8, "from=-1 is out of bounds for uint8"),
]


@pytest.mark.parametrize("call, dtype, message", RANDOM_ERRORS)
def test_random_errors_as_torch(call, dtype, message):
    torch_dtype = getattr(torch, np.dtype(dtype).name)
    with pytest.raises(RuntimeError):
        call(torch.zeros(2, dtype=torch_dtype))
    with pytest.raises(RuntimeError, match="random_: " + message):
        call(gs.zeros(2, dtype=dtype))


def test_random_type_errors_as_torch():
    with pytest.raises(TypeError):
        torch.zeros(2).random_(2.5)
    with pytest.raises(TypeError, match="random_: to must be an int, got float 2.5"):
        gs.zeros(2).random_(2.5)
    with pytest.raises(TypeError):
        torch.zeros(2).random_(**{"from": 5})
    with pytest.raises(TypeError, match="random_: takes from as a positional argument"):
        gs.zeros(2).random_(**{"from": 5})


PARAMETER_ERRORS = [
    (lambda x: x.uniform_(3, 2), r"uniform_: expects to return a \[from, to\) range, but found from=3.0 > "
                                 "to=2.0"),
    (lambda x: x.uniform_(float("-inf"), 0), "uniform_: from=-inf and to=0.0 must be finite"),
    (lambda x: x.normal_(0, -1), "normal_: expects std >= 0.0, but found std -1.0"),
    (lambda x: x.exponential_(-1), "exponential_: expects lambda > 0.0, but found lambda=-1.0"),
    (lambda x: x.exponential_(0), "exponential_: expects lambda > 0.0"),
    (lambda x: x.exponential_(float("nan")), "exponential_: expects lambda > 0.0"),
    (lambda x: x.bernoulli_(1.5), "bernoulli_: expects p to be in \\[0, 1\\], but got p=1.5"),
    (lambda x: x.bernoulli_(-0.1), "bernoulli_: expects p to be in \\[0, 1\\]"),
    (lambda x: x.geometric_(0), "geometric_: expects p to be in \\(0, 1\\), but got p=0.0"),
    (lambda x: x.geometric_(1), "geometric_: expects p to be in \\(0, 1\\)"),
    (lambda x: x.geometric_(1.5), "geometric_: expects p to be in \\(0, 1\\)"),
    (lambda x: x.log_normal_(1, 0), "log_normal_: expects std > 0.0, but found std=0.0"),
    (lambda x: x.log_normal_(1, -1), "log_normal_: expects std > 0.0"),
    (lambda x: x.cauchy_(0, -1), "cauchy_: expects sigma > 0.0, but found sigma=-1.0"),
    (lambda x: x.cauchy_(0, 0), "cauchy_: expects sigma > 0.0"),
]


@pytest.mark.parametrize("call, message", PARAMETER_ERRORS)
def test_fill_parameter_errors_as_torch(call, message):
    with pytest.raises(RuntimeError):
        call(torch.zeros(2))
    with pytest.raises(RuntimeError, match=message):
        call(gs.zeros(2))


def test_bernoulli_fill_with_tensor_probabilities():
    gs.manual_seed(9)
    x = gs.empty(N // 4, 4, dtype=gs.float64)
    p = gs.tensor([0.0, 0.25, 0.75, 1.0], dtype=gs.float64)
    x.bernoulli_(p)
    for column, q in zip(x.array.T, p.tolist()):
        moments_within_clt(column, q, q * (1 - q), q * (1 - q) * (1 - 3 * q + 3 * q * q) + 1e-12)
    ints = gs.zeros(4, 2, dtype=gs.int64).bernoulli_(gs.tensor([0.0, 1.0]))
    assert ints.dtype == np.int64 and ints.array.tolist() == [[0, 1]] * 4
    with pytest.raises(RuntimeError):
        torch.zeros(2).bernoulli_(torch.tensor([[0.0, 1.0], [1.0, 1.0]]))
    with pytest.raises(RuntimeError, match=r"bernoulli_: p of shape \(2, 2\) does not broadcast to "
                                           r"the tensor's shape \(2,\)"):
        gs.zeros(2).bernoulli_(gs.tensor([[0.0, 1.0], [1.0, 1.0]]))
    with pytest.raises(RuntimeError, match="bernoulli_: expects every p to be in \\[0, 1\\]"):
        gs.zeros(2, 2).bernoulli_(gs.tensor([0.0, 3.0]))
    with pytest.raises(NotImplementedError):
        torch.zeros(2).bernoulli_(torch.tensor([0, 1]))
    with pytest.raises(RuntimeError, match="bernoulli_: a continuous distribution needs a floating p"):
        gs.zeros(2).bernoulli_(gs.tensor([0, 1]))


def test_float16_and_float32_fills_stay_in_their_dtype():
    gs.manual_seed(10)
    for dtype in (gs.float16, gs.float32):
        for name, (g_call, _) in FILL_CALLS.items():
            x = g_call(gs.zeros(1000, dtype=dtype))
            assert x.dtype == dtype, name
        moments_within_clt(gs.zeros(N, dtype=dtype).normal_().array, 0.0, 1.0)


# ---------------------------------------------------------------- determinism
def draws(generator=None):
    kw = {} if generator is None else {"generator": generator}
    return [gs.normal(gs.zeros(3), gs.ones(3), **kw), gs.normal(0.0, 1.0, (2,), **kw),
            gs.bernoulli(gs.full((4,), 0.5), **kw), gs.multinomial(gs.ones(6), 3, **kw),
            gs.multinomial(gs.ones(2, 6), 4, True, **kw), gs.poisson(gs.full((3,), 2.0), **kw),
            gs.empty(3).normal_(**kw), gs.empty(3).uniform_(**kw), gs.empty(3).exponential_(**kw),
            gs.empty(3).bernoulli_(**kw), gs.empty(3).random_(**kw), gs.empty(3).geometric_(0.3, **kw),
            gs.empty(3).log_normal_(**kw), gs.empty(3).cauchy_(**kw)]


def test_same_seed_same_values():
    gs.manual_seed(123)
    first = draws()
    gs.manual_seed(123)
    second = draws()
    for a, b in zip(first, second):
        assert a.dtype == b.dtype and a.array.tobytes() == b.array.tobytes()
    gs.manual_seed(124)
    assert any(a.array.tobytes() != b.array.tobytes() for a, b in zip(first, draws()))


def test_generator_keyword_draws_from_its_own_stream():
    gs.manual_seed(0)
    reference = gs.randn(5).array
    own = draws(np.random.default_rng(99))
    again = draws(np.random.default_rng(99))
    gs.manual_seed(0)
    assert gs.randn(5).array.tobytes() == reference.tobytes()
    for a, b in zip(own, again):
        assert a.array.tobytes() == b.array.tobytes()
    with pytest.raises(TypeError, match=r"normal_: generator must be a numpy.random.Generator "
                                        r"\(as gs.manual_seed returns\), got int"):
        gs.empty(2).normal_(generator=3)


def test_methods_are_bound_with_their_docstrings():
    for name in ("normal_", "uniform_", "exponential_", "bernoulli_", "random_", "geometric_",
                 "log_normal_", "cauchy_", "bernoulli", "multinomial"):
        assert hasattr(torch.Tensor, name)
        assert getattr(gs.Tensor, name).__doc__
    assert gs.Tensor.bernoulli.__doc__ == gs.bernoulli.__doc__
    assert not hasattr(torch.Tensor, "poisson") and not hasattr(gs.Tensor, "poisson")
