"""Data-parallel training of an MLP on the 8x8 digits, in the style of PyTorch's DDP tutorial
(only the imports differ): one process per rank, each training on its own share of every epoch
(DistributedSampler), gradients averaged across the ranks by DistributedDataParallel.

    mpiexec -n 2 python examples/ddp_mlp.py --epochs 10
    python examples/ddp_mlp.py                 # one process: a world of one rank

The batch of one step is ``--batch-size`` samples over all ranks (each rank takes
batch_size / world_size of them), so N ranks take the same steps as one process would: the
mean of the ranks' mean gradients is the gradient of the whole batch. Rank 0 prints the
progress (the training loss averaged over the ranks) and the final test accuracy.
Needs: pip install "gradsheet[dist,data]" (mpi4py + MPICH for mpiexec, scikit-learn's digits)
"""
import argparse
import os
import time

import gradsheet as torch
import gradsheet.distributed as dist
from gradsheet import nn, optim
from gradsheet.nn.parallel import DistributedDataParallel as DDP
from gradsheet.utils.data import DataLoader, DistributedSampler, TensorDataset, random_split
from sklearn.datasets import load_digits


class MLP(nn.Module):
    def __init__(self, pixels=64, hidden=256, classes=10):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(pixels, hidden), nn.ReLU(), nn.Dropout(0.1),
                                 nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, classes))

    def forward(self, x):
        return self.net(x)


def digits():
    data = load_digits()
    x = torch.tensor(data.data / 16.0, dtype=torch.float32)
    y = torch.tensor(data.target, dtype=torch.long)
    return TensorDataset(x, y)


def test_accuracy(model, dataset):
    """Correct / total over ``dataset``, each rank counting its share, summed over the ranks."""
    sampler = DistributedSampler(dataset, shuffle=False, drop_last=False)
    counts = torch.zeros(2, dtype=torch.float64)  # (correct, seen), only samples not padded in
    model.eval()
    with torch.no_grad():
        for batch, (x, y) in enumerate(DataLoader(dataset, batch_size=256, sampler=sampler)):
            # the sampler pads the last rank's share by repeating the first indices: keep the
            # samples whose global position order[r + k * world] is below len(dataset)
            position = dist.get_rank() + dist.get_world_size() * (batch * 256 + torch.arange(len(y)))
            real = position < len(dataset)
            counts[0] += ((model(x).argmax(dim=1) == y) & real).sum()
            counts[1] += real.sum()
    dist.all_reduce(counts, op=dist.ReduceOp.SUM)
    return (counts[0] / counts[1]).item()


def main():
    parser = argparse.ArgumentParser(description="gradsheet DistributedDataParallel example")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=64, help="over all ranks")
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--backend", default="mpi", help='"gloo" runs it under PyTorch itself')
    args = parser.parse_args()

    dist.init_process_group(backend=args.backend)  # rank and world size come from mpiexec
    rank, world_size = dist.get_rank(), dist.get_world_size()
    if args.batch_size % world_size:
        raise SystemExit(f"--batch-size {args.batch_size} is not a multiple of the "
                         f"{world_size} ranks")

    torch.manual_seed(args.seed)  # the same split on every rank
    train_set, test_set = random_split(digits(), [0.8, 0.2])
    torch.manual_seed(args.seed + rank)  # different initial weights: DDP broadcasts rank 0's
    model = DDP(MLP())
    loss_fn = nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.parameters(), lr=args.lr)

    sampler = DistributedSampler(train_set, num_replicas=world_size, rank=rank, shuffle=True,
                                 seed=args.seed)
    loader = DataLoader(train_set, batch_size=args.batch_size // world_size, sampler=sampler)
    if rank == 0:
        print(f"{world_size} rank(s), {os.environ.get('OPENBLAS_NUM_THREADS', 'default')} BLAS "
              f"thread(s) each; {len(train_set)} training samples, {len(sampler)} per rank per "
              f"epoch, batch {args.batch_size // world_size} per rank")
    start = time.perf_counter()
    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)  # a new shuffle each epoch, the same one on every rank
        model.train()
        total = torch.zeros(2, dtype=torch.float64)  # (loss sum, batches)
        for x, y in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()  # returns with every .grad averaged over the ranks
            optimizer.step()
            total += torch.tensor([loss.item(), 1.0], dtype=torch.float64)
        dist.all_reduce(total, op=dist.ReduceOp.SUM)
        accuracy = test_accuracy(model, test_set)
        if rank == 0:
            print(f"epoch {epoch + 1}: train loss {(total[0] / total[1]).item():.4f}, "
                  f"test accuracy {accuracy:.2%} ({time.perf_counter() - start:.1f} s)")
    if rank == 0:
        print(f"final test accuracy {accuracy:.2%}")
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
