"""DataLoader with worker processes (issue 11, item 3): the batches equal num_workers=0's,
seeding, worker_init_fn, errors, a killed worker, timeouts, IterableDataset sharding,
persistent workers. Every loader here has a timeout, so a test fails rather than hangs."""
import os
import random
import signal
import time

import numpy as np
import pytest

import gradsheet as gs
from gradsheet.data import (DataLoader, Dataset, IterableDataset, Subset, TensorDataset,
                            get_worker_info)
from tests.helpers import torch_or_skip

LIMIT = 30  # seconds any one batch may take (a hang fails the test instead)


class Numbers(Dataset):
    """Sample i: (an array filled with i, i)."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return np.full(3, i, dtype=np.float32), i


class Batched(Numbers):
    """The same samples fetched a batch at a time through __getitems__ (torch's protocol)."""

    def __getitems__(self, indices):
        return [(np.full(3, i, dtype=np.float32), i) for i in indices]


class RandomDraws(Numbers):
    """Sample i: what the worker's generators give: gradsheet's, NumPy's global, random's."""

    def __getitem__(self, i):
        info = get_worker_info()
        return {"i": i, "gs": float(gs.rand(1).item()), "np": float(np.random.rand()),
                "py": random.random(), "worker": -1 if info is None else info.id,
                "seed": -1 if info is None else info.seed}


class WhoAmI(Numbers):
    """Sample i: (worker id, the worker's pid, how often worker_init_fn ran there)."""

    def __getitem__(self, i):
        return get_worker_info().id, os.getpid(), _INIT_CALLS.get(get_worker_info().id, 0)


_INIT_CALLS = {}


def count_init(worker_id):
    _INIT_CALLS[worker_id] = _INIT_CALLS.get(worker_id, 0) + 1


class Failing(Numbers):
    def __init__(self, n, bad, error):
        super().__init__(n)
        self.bad, self.error = bad, error

    def __getitem__(self, i):
        if i == self.bad:
            raise self.error
        return i


class Killing(Numbers):
    def __getitem__(self, i):
        if i == 3:
            os.kill(os.getpid(), signal.SIGKILL)
        return i


class Sleeping(Numbers):
    def __getitem__(self, i):
        time.sleep(5 if i == 2 else 0)
        return i


class Sharded(IterableDataset):
    """range(n), each worker taking every num_workers-th sample from its id (torch's doc)."""

    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = get_worker_info()
        if info is None:
            return iter(range(self.n))
        return iter(range(info.id, self.n, info.num_workers))

    def __len__(self):
        return self.n


def _labels(loader):
    return [batch[1].array.tolist() for batch in loader]


@pytest.mark.parametrize("dataset", [Numbers(23), Batched(23),
                                     TensorDataset(gs.arange(69.0).reshape(23, 3), gs.arange(23)),
                                     Subset(Numbers(30), list(range(29, 6, -1)))],
                         ids=["getitem", "getitems", "get_batch", "subset"])
def test_batches_equal_those_of_the_main_process(dataset):
    gs.manual_seed(7)
    expected = list(DataLoader(dataset, batch_size=4, shuffle=True))
    gs.manual_seed(7)
    got = list(DataLoader(dataset, batch_size=4, shuffle=True, num_workers=2, timeout=LIMIT))
    assert len(got) == len(expected) == 6
    for (x, y), (ex, ey) in zip(got, expected, strict=True):
        assert x.dtype == ex.dtype and y.dtype == ey.dtype
        np.testing.assert_array_equal(x.array, ex.array)
        np.testing.assert_array_equal(y.array, ey.array)


def test_out_of_order_and_unbatched_loading_cover_the_same_samples():
    loader = DataLoader(Numbers(11), batch_size=2, num_workers=2, in_order=False, timeout=LIMIT,
                        prefetch_factor=1)
    assert sorted(sum(_labels(loader), [])) == list(range(11))
    unbatched = list(DataLoader(Numbers(5), batch_size=None, num_workers=2, timeout=LIMIT))
    assert [y for _, y in unbatched] == list(range(5))
    assert isinstance(unbatched[0][0], gs.Tensor)  # default_convert: arrays become tensors


def test_worker_seeds_follow_the_generator_and_differ_between_workers():
    def run(seed=None, generator=None):
        if seed is not None:
            gs.manual_seed(seed)
        loader = DataLoader(RandomDraws(8), batch_size=2, num_workers=2, timeout=LIMIT,
                            generator=generator, collate_fn=list)
        return [sample for batch in loader for sample in batch]

    first, again, other = run(seed=3), run(seed=3), run(seed=4)
    assert first == again  # the same seed: the same draws in every worker
    assert first != other
    by_worker = {s["worker"]: s for s in first}
    assert set(by_worker) == {0, 1}
    assert by_worker[1]["seed"] == by_worker[0]["seed"] + 1  # base_seed + worker_id
    for key in ("gs", "np", "py"):  # each worker has its own stream of each generator
        assert by_worker[0][key] != by_worker[1][key]
    # the first draw of worker w's gradsheet generator is that of manual_seed(base_seed + w)
    gs.manual_seed(by_worker[1]["seed"])
    assert first[2]["worker"] == 1 and first[2]["gs"] == float(gs.rand(1).item())
    # the loader's own generator fixes the seeds whatever gradsheet's seed is
    a = run(seed=1, generator=np.random.default_rng(5))
    b = run(seed=2, generator=np.random.default_rng(5))
    assert a == b and a != first


def test_worker_init_fn_runs_once_per_worker_and_persistent_workers_stay():
    loader = DataLoader(WhoAmI(6), batch_size=1, num_workers=2, worker_init_fn=count_init,
                        persistent_workers=True, timeout=LIMIT, collate_fn=lambda b: b[0])
    first, second = list(loader), list(loader)
    assert [w for w, _, _ in first] == [0, 1, 0, 1, 0, 1]  # tasks dealt out in turn
    assert all(calls == 1 for _, _, calls in first + second)
    assert {pid for _, pid, _ in first} == {pid for _, pid, _ in second}  # the same processes
    assert len({pid for _, pid, _ in first}) == 2 and os.getpid() not in {p for _, p, _ in first}
    partial = iter(loader)
    next(partial)  # an unfinished pass, then a new one: the stale batches are dropped
    assert [w for w, _, _ in loader] == [0, 1, 0, 1, 0, 1]
    fresh = DataLoader(WhoAmI(4), batch_size=1, num_workers=2, timeout=LIMIT,
                       collate_fn=lambda b: b[0])
    assert {p for _, p, _ in fresh} != {p for _, p, _ in fresh}  # new workers every pass


@pytest.mark.parametrize("error, kind", [(ValueError("bad sample 13"), ValueError),
                                         (KeyError("missing"), KeyError),
                                         (ZeroDivisionError("division by zero"),
                                          ZeroDivisionError)])
def test_a_raising_worker_reraises_naming_worker_index_and_error(error, kind):
    loader = DataLoader(Failing(16, 13, error), batch_size=2, num_workers=2, timeout=LIMIT)
    it = iter(loader)
    got = [next(it) for _ in range(6)]  # batches 0..5 come back before the failing one
    with pytest.raises(kind) as info:
        next(it)
    message = str(info.value)
    assert "worker process 0" in message  # batch 6 (samples 12, 13) went to worker 0
    assert "sample index 13" in message
    assert f"{type(error).__name__}: {error}" in message or str(error.args[0]) in message
    assert [b.array.tolist() for b in got][:2] == [[0, 1], [2, 3]]
    assert next(it).array.tolist() == [14, 15]  # the iterator goes on, as torch's


def test_a_killed_worker_raises_instead_of_hanging():
    start = time.monotonic()
    with pytest.raises(RuntimeError, match=r"DataLoader worker \(pid\(s\) \d+\) exited "
                                           r"unexpectedly.*-9"):
        list(DataLoader(Killing(8), batch_size=1, num_workers=2, timeout=LIMIT))
    assert time.monotonic() - start < LIMIT / 2


def test_timeout_names_the_seconds():
    with pytest.raises(RuntimeError, match=r"DataLoader timed out after 0.5 seconds"):
        list(DataLoader(Sleeping(4), batch_size=1, num_workers=2, timeout=0.5))


def test_iterable_dataset_sharded_with_get_worker_info_matches_torch():
    torch = torch_or_skip()

    class TorchSharded(torch.utils.data.IterableDataset):
        def __iter__(self):
            info = torch.utils.data.get_worker_info()
            return iter(range(info.id, 11, info.num_workers))

    for batch_size, drop_last in [(3, False), (3, True), (None, False)]:
        ours = [b.array.tolist() if isinstance(b, gs.Tensor) else b for b in
                DataLoader(Sharded(11), batch_size=batch_size, drop_last=drop_last,
                           num_workers=2, timeout=LIMIT)]
        theirs = [b.tolist() if hasattr(b, "tolist") else b for b in
                  torch.utils.data.DataLoader(TorchSharded(), batch_size=batch_size,
                                              drop_last=drop_last, num_workers=2, timeout=LIMIT)]
        assert ours == theirs
        flat = sorted(x for b in ours for x in (b if isinstance(b, list) else [b]))
        if not drop_last:
            assert flat == list(range(11))  # each sample exactly once
    # without sharding every worker yields the whole stream, as in torch
    doubled = DataLoader(Numbers2Stream(4), batch_size=None, num_workers=2, timeout=LIMIT)
    assert sorted(doubled) == [0, 0, 1, 1, 2, 2, 3, 3]


class Numbers2Stream(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))


def test_persistent_iterable_workers_restart_their_streams():
    loader = DataLoader(Sharded(7), batch_size=2, num_workers=2, persistent_workers=True,
                        timeout=LIMIT)
    first = [b.array.tolist() for b in loader]
    assert first == [[0, 2], [1, 3], [4, 6], [5]]
    assert [b.array.tolist() for b in loader] == first


def test_spawn_context():
    loader = DataLoader(Numbers(5), batch_size=2, num_workers=1, multiprocessing_context="spawn",
                        timeout=LIMIT * 2)
    assert _labels(loader) == [[0, 1], [2, 3], [4]]


class FailingBatches(TensorDataset):
    def get_batch(self, indices):
        raise IndexError("no such rows")


def failing_init(worker_id):
    raise OSError(f"cannot open shard {worker_id}")


def test_errors_in_get_batch_and_worker_init_fn_name_where():
    with pytest.raises(IndexError, match=r"worker process 0 while loading the batch of sample "
                                         r"indices \[0, 1, 2, 3\](.|\n)*IndexError: no such rows"):
        list(DataLoader(FailingBatches(gs.arange(6)), batch_size=4, num_workers=2, timeout=LIMIT))
    with pytest.raises(OSError, match=r"worker process 0 in worker_init_fn(.|\n)*OSError: "
                                      r"cannot open shard 0"):
        list(DataLoader(Numbers(4), num_workers=2, worker_init_fn=failing_init, timeout=LIMIT))
