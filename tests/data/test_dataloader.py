import math

import numpy as np
import pytest

import gradsheet as gs
from gradsheet.data import DataLoader, Dataset, Subset, TensorDataset, default_collate
from tests.helpers import torch_or_skip


def _data(n=10):
    return TensorDataset(gs.arange(n * 2, dtype="float32").reshape(n, 2), gs.arange(n))


@pytest.mark.parametrize("n, batch_size, drop_last",
                         [(10, 3, False), (10, 3, True), (9, 3, False), (9, 3, True),
                          (2, 5, False), (2, 5, True), (7, 1, False)])
def test_len_and_batch_shapes(n, batch_size, drop_last):
    torch = torch_or_skip()
    loader = DataLoader(_data(n), batch_size=batch_size, drop_last=drop_last)
    expected_len = len(torch.utils.data.DataLoader(range(n), batch_size=batch_size,
                                                   drop_last=drop_last))
    batches = list(loader)
    assert len(loader) == len(batches) == expected_len
    sizes = [len(y) for _, y in batches]
    assert all(s == batch_size for s in sizes[:-1])
    assert sum(sizes) == (n // batch_size * batch_size if drop_last else n)
    for x, y in batches:
        assert x.shape == (len(y), 2) and x.dtype == np.float32 and y.dtype == np.int64
        np.testing.assert_array_equal(x.array[:, 0], 2 * y.array)  # rows stay paired


def test_in_order_without_shuffle():
    ys = np.concatenate([y.array for _, y in DataLoader(_data(10), batch_size=4)])
    np.testing.assert_array_equal(ys, np.arange(10))


def _epoch(loader):
    return np.concatenate([y.array for _, y in loader])


def test_shuffle_is_reproducible_under_manual_seed_and_differs_across_epochs():
    loader = DataLoader(_data(30), batch_size=7, shuffle=True)
    gs.manual_seed(0)
    first, second = _epoch(loader), _epoch(loader)
    gs.manual_seed(0)
    np.testing.assert_array_equal(_epoch(loader), first)
    np.testing.assert_array_equal(_epoch(loader), second)
    assert not np.array_equal(first, second)
    assert sorted(first) == list(range(30))


def test_shuffle_with_its_own_generator():
    a = DataLoader(_data(30), batch_size=5, shuffle=True, generator=np.random.default_rng(4))
    b = DataLoader(_data(30), batch_size=5, shuffle=True, generator=np.random.default_rng(4))
    gs.manual_seed(1)
    first = _epoch(a)
    gs.manual_seed(2)  # the global seed does not matter once a generator is given
    np.testing.assert_array_equal(_epoch(b), first)


def test_fast_path_fetches_whole_batches_without_getitem(monkeypatch):
    def no_per_sample_access(self, index):
        raise AssertionError("DataLoader indexed a TensorDataset sample by sample")

    data = _data(12)
    monkeypatch.setattr(TensorDataset, "__getitem__", no_per_sample_access)
    batches = list(DataLoader(Subset(data, list(range(11, -1, -1))), batch_size=5, shuffle=True))
    assert sorted(np.concatenate([y.array for _, y in batches])) == list(range(12))


def test_fast_path_equals_collating_samples():
    data = _data(17)
    fast = DataLoader(data, batch_size=4, shuffle=True, generator=np.random.default_rng(9))
    slow = DataLoader(data, batch_size=4, shuffle=True, generator=np.random.default_rng(9),
                      collate_fn=default_collate)
    for (xf, yf), (xs, ys) in zip(fast, slow, strict=True):
        np.testing.assert_array_equal(xf.array, xs.array)
        np.testing.assert_array_equal(yf.array, ys.array)
        assert xf.dtype == xs.dtype and yf.dtype == ys.dtype


class _Dicts(Dataset):
    def __getitem__(self, i):
        return {"x": np.full(3, i, dtype=np.float32), "y": i}

    def __len__(self):
        return 5


def test_generic_dataset_and_custom_collate_fn():
    batches = list(DataLoader(_Dicts(), batch_size=2))
    assert [b["x"].shape for b in batches] == [(2, 3), (2, 3), (1, 3)]
    np.testing.assert_array_equal(batches[1]["y"].array, [2, 3])
    sums = list(DataLoader(_Dicts(), batch_size=2, collate_fn=lambda s: sum(d["y"] for d in s)))
    assert sums == [1, 5, 4]


@pytest.mark.parametrize("batch_size", [0, -1, 2.5, True])  # None disables batching, as torch
def test_bad_batch_size(batch_size):
    with pytest.raises(ValueError, match=f"batch_size={batch_size!r}"):
        DataLoader(_data(), batch_size=batch_size)


def test_empty_last_pass_has_no_batches():
    assert list(DataLoader(_data(3), batch_size=4, drop_last=True)) == []
    assert math.isclose(len(DataLoader(_data(3), batch_size=4)), 1)
