"""What the DDP tests run, shared by the MPI worker (ddp_worker.py, 2 ranks) and the
single-process references computed in test_ddp.py: data, models, batches and training loops."""
import numpy as np

import gradsheet as gs
from gradsheet import nn
from gradsheet.data import DataLoader, DistributedSampler, TensorDataset

WORLD = 2
BATCH = 32  # per rank; the reference takes 2 x 32 = 64 at a time
STEPS = 10
N = WORLD * BATCH * STEPS
SEED0 = 100  # rank r builds its model from seed SEED0 + r; DDP makes them all rank 0's
TINY_MB = 1e-4  # ~105 bytes: every parameter in a bucket of its own
LARGE_MB = 100  # one bucket


def dataset():
    rng = np.random.default_rng(1234)
    x = rng.standard_normal((N, 6))
    y = np.tanh(x @ rng.standard_normal((6, 3))) + 0.1 * rng.standard_normal((N, 3))
    return TensorDataset(gs.tensor(x), gs.tensor(y))


def loader(rank, batch=BATCH):
    """Rank ``rank``'s DataLoader: DistributedSampler (shuffled, seed 0) and ``batch``."""
    data = dataset()
    sampler = DistributedSampler(data, num_replicas=WORLD, rank=rank, shuffle=True, seed=0)
    return DataLoader(data, batch_size=batch, sampler=sampler)


def full_batches(steps=STEPS):
    """The reference's batches: step k takes every rank's k-th batch, 2 x 32 = 64 samples."""
    data = dataset()
    shares = [list(DistributedSampler(data, num_replicas=WORLD, rank=r, shuffle=True, seed=0))
              for r in range(WORLD)]
    x, y = data.tensors
    for k in range(steps):
        idx = np.concatenate([s[k * BATCH:(k + 1) * BATCH] for s in shares])
        yield x[gs.tensor(idx)], y[gs.tensor(idx)]


def mlp(seed, batchnorm=False):
    gs.manual_seed(seed)
    layers = [nn.Linear(6, 16), nn.Tanh()]
    if batchnorm:
        layers.append(nn.BatchNorm1d(16, momentum=0.2))
    layers += [nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 3)]
    return nn.Sequential(*layers).double()


def optimizer(kind, params):
    if kind == "sgd":
        return gs.optim.SGD(params, lr=0.1, momentum=0.9)
    return gs.optim.Adam(params, lr=0.01)


def train(model, opt, batches, micro=1, no_sync=None):
    """Train on ``batches``; with micro > 1 each batch is split into ``micro`` micro-batches
    whose gradients accumulate (under ``no_sync`` all but the last)."""
    import contextlib
    for x, y in batches:
        opt.zero_grad()
        parts = np.array_split(np.arange(len(x)), micro)
        for j, part in enumerate(parts):
            quiet = no_sync() if no_sync is not None and j < micro - 1 else contextlib.nullcontext()
            with quiet:
                idx = gs.tensor(part)
                loss = nn.functional.mse_loss(model(x[idx]), y[idx]) / micro
                loss.backward()
        opt.step()


def weights(module):
    return {k: v.detach().numpy().copy() for k, v in module.state_dict().items()}


# ---------------------------------------------------------------- SyncBatchNorm
SPLIT = (5, 3)  # rank 0 holds 5 samples, rank 1 holds 3: the statistics must weigh by count


def syncbn_inputs(shape, seed):
    """(x, upstream gradient) of the concatenated batch of sum(SPLIT) samples."""
    rng = np.random.default_rng(seed)
    x = 2.0 + 3.0 * rng.standard_normal((sum(SPLIT),) + shape)
    return x, rng.standard_normal(x.shape)


def rank_slice(rank):
    start = sum(SPLIT[:rank])
    return slice(start, start + SPLIT[rank])


def bn_params(channels):
    rng = np.random.default_rng(7)
    return 1.0 + 0.1 * rng.standard_normal(channels), 0.1 * rng.standard_normal(channels)


class Branchy(nn.Module):
    """An MLP and an extra layer used only when ``use_extra`` (for find_unused_parameters)."""

    def __init__(self, seed):
        super().__init__()
        self.body = mlp(seed)
        gs.manual_seed(seed + 1)
        self.extra = nn.Linear(3, 3).double()

    def forward(self, x, use_extra=False):
        out = self.body(x)
        return out + self.extra(out) if use_extra else out
