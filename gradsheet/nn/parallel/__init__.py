"""``gradsheet.nn.parallel``: data-parallel training over MPI, as ``torch.nn.parallel``.

``DistributedDataParallel`` wraps a model so that each rank of a process group (started with
``mpiexec -n N``) trains on its slice of the batch and every replica takes the step of the
whole batch: gradients are averaged over the ranks in buckets overlapped with the backward.
"""
from .distributed import DistributedDataParallel

__all__ = ["DistributedDataParallel"]
