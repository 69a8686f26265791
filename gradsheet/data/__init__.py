"""Data: datasets, samplers, DataLoader and ready-made datasets (``torch.utils.data``).

    loader = DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True, num_workers=2)
    for x, y in loader:   # step 1 of the weight update: take a batch of training data
        ...

``gradsheet.utils.data`` is this same module's content under PyTorch's path.
"""
from . import datasets
from .collate import default_collate, default_convert
from .dataloader import DataLoader
from .dataset import (ChainDataset, ConcatDataset, Dataset, IterableDataset, StackDataset, Subset,
                      TensorDataset, random_split)
from .distributed import DistributedSampler
from .sampler import (BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler,
                      WeightedRandomSampler)
from .worker import WorkerInfo, get_worker_info

__all__ = ["BatchSampler", "ChainDataset", "ConcatDataset", "DataLoader", "Dataset",
           "DistributedSampler",
           "IterableDataset", "RandomSampler", "Sampler", "SequentialSampler", "StackDataset",
           "Subset", "SubsetRandomSampler", "TensorDataset", "WeightedRandomSampler",
           "WorkerInfo", "datasets", "default_collate", "default_convert", "get_worker_info",
           "random_split"]
