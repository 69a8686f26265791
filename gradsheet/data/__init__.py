"""Data: Dataset, TensorDataset, DataLoader, random_split and ready-made datasets.

    loader = DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True)
    for x, y in loader:   # step 1 of the weight update: take a batch of training data
        ...
"""
from . import datasets
from .collate import default_collate
from .dataloader import DataLoader
from .dataset import Dataset, Subset, TensorDataset, random_split

__all__ = ["DataLoader", "Dataset", "Subset", "TensorDataset", "datasets", "default_collate",
           "random_split"]
