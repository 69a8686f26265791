"""DistributedSampler against torch.utils.data.DistributedSampler: the padding, the split and
the lengths (shuffle=False, where both orders are range(n)), and with shuffle the seed / epoch
behaviour and one order shared by every rank (torch draws its permutation with
torch.Generator, gradsheet with NumPy's, so the permutations themselves differ)."""
import numpy as np
import pytest
import torch

import gradsheet as gs
from gradsheet.data import DataLoader, TensorDataset
from gradsheet.utils.data import DistributedSampler

GRID = [(n, replicas) for n in range(0, 14) for replicas in range(1, 6)] + [(2, 7), (1, 4), (3, 8)]


def test_it_is_the_same_class_under_both_paths():
    assert DistributedSampler is gs.data.DistributedSampler is gs.utils.data.DistributedSampler
    assert "DistributedSampler" in gs.utils.data.__all__


@pytest.mark.parametrize("drop_last", [False, True])
def test_padding_split_and_lengths_match_torch(drop_last):
    for n, replicas in GRID:
        for rank in range(replicas):
            ours = DistributedSampler(range(n), replicas, rank, shuffle=False, drop_last=drop_last)
            theirs = torch.utils.data.DistributedSampler(range(n), replicas, rank, shuffle=False,
                                                         drop_last=drop_last)
            assert list(ours) == list(theirs), (n, replicas, rank)
            assert len(ours) == len(theirs) == len(list(ours))
            assert (ours.num_samples, ours.total_size) == (theirs.num_samples, theirs.total_size)
            shuffled = DistributedSampler(range(n), replicas, rank, drop_last=drop_last, seed=5)
            assert len(shuffled) == len(theirs) == len(list(shuffled))


def _shares(n, replicas, seed, epoch, drop_last=False):
    shares = []
    for rank in range(replicas):
        sampler = DistributedSampler(range(n), replicas, rank, shuffle=True, seed=seed,
                                     drop_last=drop_last)
        sampler.set_epoch(epoch)
        shares.append(list(sampler))
    return shares


@pytest.mark.parametrize("n, replicas", [(10, 3), (7, 2), (2, 5), (12, 4), (9, 4)])
def test_shuffled_shares_come_from_one_permutation_split_as_torch(n, replicas):
    shares = _shares(n, replicas, seed=11, epoch=2)
    merged = [shares[r][i] for i in range(len(shares[0])) for r in range(replicas)]  # order[r::R]
    assert sorted(merged[:n]) == list(range(n))  # the first n: a permutation of the dataset
    pad = len(merged) - n
    assert merged[n:] == (merged[:n] * (pad // max(n, 1) + 1))[:pad]  # padded from its start
    # torch's split of the same order: its own rule applied to the permutation we drew
    order = merged[:n]
    for rank in range(replicas):
        reference = torch.utils.data.DistributedSampler(range(n), replicas, rank, shuffle=False)
        assert shares[rank] == [order[i] for i in reference]
    dropped = _shares(n, replicas, seed=11, epoch=2, drop_last=True)
    kept = [dropped[r][i] for i in range(len(dropped[0])) for r in range(replicas)]
    assert kept == order[:len(kept)] and len(kept) == (n // replicas) * replicas


def test_set_epoch_and_seed_choose_the_permutation():
    first = _shares(50, 2, seed=0, epoch=0)
    assert _shares(50, 2, seed=0, epoch=0) == first  # the same on every rank, every time
    assert _shares(50, 2, seed=0, epoch=1) != first
    assert _shares(50, 2, seed=1, epoch=0) != first
    assert _shares(50, 2, seed=0, epoch=1) == _shares(50, 2, seed=1, epoch=0)  # seed + epoch
    sampler = DistributedSampler(range(50), 2, 0, seed=0)
    before = list(sampler)
    assert list(sampler) == before  # no set_epoch: the same order again, as torch
    sampler.set_epoch(3)
    assert sampler.epoch == 3 and list(sampler) != before
    torch_sampler = torch.utils.data.DistributedSampler(range(50), 2, 0, seed=0)
    torch_before = list(torch_sampler)
    assert list(torch_sampler) == torch_before
    torch_sampler.set_epoch(3)
    assert list(torch_sampler) != torch_before


def test_a_dataloader_reads_this_ranks_share():
    data = TensorDataset(gs.arange(10.0), gs.arange(10))
    loader = DataLoader(data, batch_size=2, sampler=DistributedSampler(data, 3, 1, shuffle=False))
    batches = [y.tolist() for _, y in loader]
    expected = list(torch.utils.data.DistributedSampler(range(10), 3, 1, shuffle=False))
    assert batches == [expected[i:i + 2] for i in range(0, len(expected), 2)]


@pytest.mark.parametrize("rank, replicas", [(2, 2), (5, 3), (-1, 2)])
def test_a_rank_outside_the_replicas_raises_as_torch(rank, replicas):
    interval = rf"\[0, {replicas - 1}\]"
    with pytest.raises(ValueError, match=rf"Invalid rank {rank}, rank should be in the interval {interval}"):
        torch.utils.data.DistributedSampler(range(4), replicas, rank)
    with pytest.raises(ValueError, match=rf"DistributedSampler: Invalid rank {rank}, rank should be "
                                         rf"in the interval {interval}"):
        DistributedSampler(range(4), replicas, rank)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="num_replicas should be a positive integer, got 0"):
        DistributedSampler(range(4), 0, 0)
    with pytest.raises(TypeError, match="rank must be an integer"):
        DistributedSampler(range(4), 2, 0.5)
    with pytest.raises(RuntimeError, match="init_process_group"):
        DistributedSampler(range(4), num_replicas=2)  # rank from the process group: none yet
    assert np.array(list(DistributedSampler(range(4), 2, 1, shuffle=False))).tolist() == [1, 3]
