"""Where the command line's data comes from: digits, MNIST-format IDX files, CSV or NPZ.

    digits                      scikit-learn's bundled 8x8 digits
    idx:IMAGES,LABELS           MNIST-format IDX files (raw or gzip)
    PATH.csv                    features in every column but the last, the label in the last
    PATH.npz                    arrays X (features) and y (labels)
"""
import os

import numpy as np

from ..data import TensorDataset
from ..data.datasets import load_digits, load_idx_dataset


def load_table(path):
    """(features, labels-or-None) from a CSV (label last column) or NPZ (X, y) file."""
    if not os.path.exists(path):
        raise ValueError(f"data file {path} does not exist")
    if path.endswith(".npz"):
        with np.load(path, allow_pickle=False) as arrays:
            if "X" not in arrays:
                raise ValueError(f"{path}: an NPZ data file needs an array named X "
                                 f"(and y for labels); it has {sorted(arrays.files)}")
            return arrays["X"], (arrays["y"] if "y" in arrays else None)
    if path.endswith(".csv"):
        try:
            table = np.loadtxt(path, delimiter=",", ndmin=2)
        except ValueError:  # a header line
            table = np.loadtxt(path, delimiter=",", ndmin=2, skiprows=1)
        return table[:, :-1], table[:, -1]
    raise ValueError(f"data file {path}: expected a .csv or .npz file")


def load_source(source, image=False):
    """A TensorDataset of (inputs, int64 labels) named by ``source`` (see the module doc)."""
    if source == "digits":
        return load_digits(image=image)
    if source.startswith("idx:"):
        paths = source[4:].split(",")
        if len(paths) != 2:
            raise ValueError(f"data {source!r}: write idx:IMAGES,LABELS (two paths)")
        return load_idx_dataset(paths[0], paths[1], image=image)
    features, labels = load_table(source)
    if labels is None:
        raise ValueError(f"{source}: training data needs labels (y in an NPZ file)")
    if image and features.ndim == 2:
        side = int(round(np.sqrt(features.shape[1])))
        if side * side != features.shape[1]:
            raise ValueError(f"{source}: a cnn needs square images; {features.shape[1]} features "
                             "are not a square number of pixels")
        features = features.reshape(-1, 1, side, side)
    return TensorDataset(features.astype(np.float32), labels.astype(np.int64))


def load_inputs(path):
    """The inputs to predict on: an NPZ's X, or every column of a CSV file."""
    if path.endswith(".csv"):
        if not os.path.exists(path):
            raise ValueError(f"input file {path} does not exist")
        try:
            return np.loadtxt(path, delimiter=",", ndmin=2)
        except ValueError:
            return np.loadtxt(path, delimiter=",", ndmin=2, skiprows=1)
    return load_table(path)[0]
