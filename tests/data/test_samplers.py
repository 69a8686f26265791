"""Samplers against torch.utils.data.sampler: lengths, ranges, replacement, distributions,
determinism and errors (values of random samplers cannot equal torch's generator's)."""
import inspect

import numpy as np
import pytest

import gradsheet as gs
from gradsheet.data import (BatchSampler, RandomSampler, Sampler, SequentialSampler,
                            SubsetRandomSampler, WeightedRandomSampler)
from tests.helpers import torch_or_skip

NAMES = ["Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
         "WeightedRandomSampler", "BatchSampler"]


@pytest.mark.parametrize("name", NAMES)
def test_signatures_match_torch(name):
    torch = torch_or_skip()
    ours = inspect.signature(getattr(gs.data, name))
    theirs = inspect.signature(getattr(torch.utils.data, name))
    assert list(ours.parameters) == list(theirs.parameters)
    for p in theirs.parameters.values():
        assert ours.parameters[p.name].default == p.default
        assert ours.parameters[p.name].kind == p.kind


def test_sequential_and_batch_samplers_equal_torch():
    torch = torch_or_skip()
    tu = torch.utils.data
    for n in (0, 1, 7, 10):
        assert list(SequentialSampler(range(n))) == list(tu.SequentialSampler(range(n)))
        assert len(SequentialSampler(range(n))) == n
        for size in (1, 3, 10, 11):
            for drop in (False, True):
                ours = BatchSampler(SequentialSampler(range(n)), size, drop)
                theirs = tu.BatchSampler(tu.SequentialSampler(range(n)), size, drop)
                assert list(ours) == list(theirs) and len(ours) == len(theirs)
    # any iterable of indices serves as the inner sampler
    assert list(BatchSampler([5, 3, 1], 2, False)) == [[5, 3], [1]]


@pytest.mark.parametrize("n, replacement, num_samples",
                         [(10, False, None), (10, True, None), (10, False, 25), (10, True, 25),
                          (10, False, 4), (1, False, None), (3, True, 100)])
def test_random_sampler_lengths_ranges_and_repeats_match_torch(n, replacement, num_samples):
    torch = torch_or_skip()
    theirs = torch.utils.data.RandomSampler(range(n), replacement, num_samples)
    ours = RandomSampler(range(n), replacement, num_samples, generator=np.random.default_rng(0))
    drawn, torch_drawn = list(ours), list(theirs)
    assert len(ours) == len(theirs) == len(drawn) == len(torch_drawn)
    assert all(type(i) is int and 0 <= i < n for i in drawn)
    if not replacement:  # back-to-back permutations: every full block covers range(n)
        full = len(drawn) // n * n
        for start in range(0, full, n):
            assert sorted(drawn[start:start + n]) == list(range(n))
        assert len(set(drawn[full:])) == len(drawn) - full
        assert sorted(torch_drawn[:full]) == sorted(drawn[:full])


def test_random_sampler_draws_uniformly_with_replacement():
    counts = np.bincount(list(RandomSampler(range(5), True, 20000,
                                            generator=np.random.default_rng(1))), minlength=5)
    # chi-square with 4 degrees of freedom: P(> 18.5) < 0.001
    assert ((counts - 4000) ** 2 / 4000).sum() < 18.5


def test_random_sampler_is_deterministic_under_a_seed_and_fresh_each_pass():
    sampler = RandomSampler(range(50))
    gs.manual_seed(0)
    first, second = list(sampler), list(sampler)
    gs.manual_seed(0)
    assert list(sampler) == first and list(sampler) == second
    assert first != second
    a = RandomSampler(range(50), generator=np.random.default_rng(3))
    b = RandomSampler(range(50), generator=np.random.default_rng(3))
    assert list(a) == list(b)
    data = list(range(4))
    grow = RandomSampler(data)
    data.append(4)  # the length is read when a pass starts, as torch's num_samples property
    assert len(grow) == 5 and sorted(grow) == [0, 1, 2, 3, 4]


def test_subset_random_sampler_permutes_its_indices():
    torch = torch_or_skip()
    indices = [10, 3, 7, 7, 42]
    ours = list(SubsetRandomSampler(indices, generator=np.random.default_rng(0)))
    theirs = list(torch.utils.data.SubsetRandomSampler(indices))
    assert sorted(ours) == sorted(theirs) == sorted(indices)
    assert len(SubsetRandomSampler(indices)) == 5
    gs.manual_seed(2)
    again = list(SubsetRandomSampler(list(range(30))))
    gs.manual_seed(2)
    assert list(SubsetRandomSampler(list(range(30)))) == again != list(range(30))


def test_weighted_random_sampler_follows_the_weights():
    torch = torch_or_skip()
    weights = [0.1, 0.0, 0.6, 0.3]
    ours = WeightedRandomSampler(weights, 20000, generator=np.random.default_rng(0))
    theirs = torch.utils.data.WeightedRandomSampler(weights, 20000)
    drawn = list(ours)
    assert len(ours) == len(theirs) == len(drawn) == 20000
    freq = np.bincount(drawn, minlength=4) / 20000
    torch_freq = np.bincount(list(theirs), minlength=4) / 20000
    np.testing.assert_allclose(freq, weights, atol=0.015)
    np.testing.assert_allclose(freq, torch_freq, atol=0.02)
    assert freq[1] == 0  # a zero weight is never drawn
    assert ours.weights.dtype == np.float64 and theirs.weights.dtype == torch.float64
    # without replacement: distinct indices, the zero-weight one never drawn
    unique = list(WeightedRandomSampler([1, 2, 0, 3, 4], 4, replacement=False))
    assert sorted(unique) == [0, 1, 3, 4]
    # asked for all five, both draw the zero-weight index last
    assert list(WeightedRandomSampler([1, 2, 0, 3, 4], 5, replacement=False))[-1] == 2
    assert list(torch.utils.data.WeightedRandomSampler([1, 2, 0, 3, 4], 5, False))[-1] == 2
    with pytest.raises(RuntimeError):  # more distinct indices than there are
        list(WeightedRandomSampler([1, 2, 0, 3, 4], 6, replacement=False))
    with pytest.raises(RuntimeError):
        list(torch.utils.data.WeightedRandomSampler([1, 2, 0, 3, 4], 6, replacement=False))
    gs.manual_seed(5)
    first = list(WeightedRandomSampler(weights, 50))
    gs.manual_seed(5)
    assert list(WeightedRandomSampler(weights, 50)) == first


def _torch_error(fn):
    try:
        fn()
    except Exception as error:
        return type(error)
    return None


@pytest.mark.parametrize("make", [
    lambda tu: tu.BatchSampler(range(3), 0, False),
    lambda tu: tu.BatchSampler(range(3), 2.0, False),
    lambda tu: tu.BatchSampler(range(3), True, False),
    lambda tu: tu.BatchSampler(range(3), 2, 1),
    lambda tu: tu.RandomSampler(range(3), replacement=1),
    lambda tu: tu.RandomSampler(range(3), num_samples=0),
    lambda tu: tu.RandomSampler(range(0)),
    lambda tu: tu.WeightedRandomSampler([1.0, 2.0], 0),
    lambda tu: tu.WeightedRandomSampler([1.0, 2.0], 3, replacement=1),
    lambda tu: tu.WeightedRandomSampler([[1.0, 2.0]], 3),
], ids=["batch_size 0", "batch_size float", "batch_size bool", "drop_last int",
        "replacement int", "num_samples 0", "empty data", "weighted num_samples 0",
        "weighted replacement int", "weights 2-d"])
def test_bad_arguments_raise_as_torch(make):
    torch = torch_or_skip()
    expected = _torch_error(lambda: make(torch.utils.data))
    assert expected is not None
    with pytest.raises(expected) as info:
        make(gs.data)
    assert str(info.value).split(":")[0] in NAMES  # the message starts with the sampler's name


def test_sampler_base_class():
    with pytest.raises(NotImplementedError, match="__iter__"):
        iter(Sampler())

    class Evens(Sampler):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            return iter(range(0, self.n, 2))

        def __len__(self):
            return (self.n + 1) // 2

    loader = gs.data.DataLoader(list(range(10)), batch_size=2, sampler=Evens(10))
    assert [b.array.tolist() for b in loader] == [[0, 2], [4, 6], [8]] and len(loader) == 3
