"""The 8x8 handwritten digits bundled with scikit-learn (1,797 images, 10 classes).

A real image-classification task small enough to train on in seconds: pixel
values 0..16 are scaled to [0, 1].

The images are read straight from the file scikit-learn ships
(``sklearn/datasets/data/digits.csv.gz``: 64 pixels and the label per row), found without
importing scikit-learn, whose import costs about ten times the read; where that file is not
where this expects it, scikit-learn's own loader reads it.
"""
from __future__ import annotations

import gzip
import importlib.util
import os

import numpy as np

from ..dataset import TensorDataset

_MISSING = ("load_digits needs scikit-learn, which ships the 8x8 digits: "
            "pip install gradsheet[data]")


def load_digits(image: bool = False) -> TensorDataset:
    """The digits as a TensorDataset (X, y).

    Args:
        image: False gives X of shape (N, 64) for an MLP; True gives (N, 1, 8, 8) for a Conv2d.

    Shapes: X float32 in [0, 1], y int64 in {0, ..., 9}, N = 1797.

    Raises ImportError when scikit-learn (the ``data`` extra) is not installed.
    """
    pixels, labels = _bundled_digits()
    X = (pixels / 16.0).astype(np.float32)
    if image:
        X = X.reshape(-1, 1, 8, 8)
    return TensorDataset(X, labels.astype(np.int64))


def _bundled_digits() -> tuple[np.ndarray, np.ndarray]:
    """(pixels (1797, 64) in 0..16, labels (1797,)) from scikit-learn's bundled file."""
    try:
        spec = importlib.util.find_spec("sklearn")
    except ValueError:  # sklearn in sys.modules without a spec (a stub): use its loader
        spec = None
    if spec is not None and spec.origin is not None:
        path = os.path.join(os.path.dirname(spec.origin), "datasets", "data", "digits.csv.gz")
        if os.path.isfile(path):
            with gzip.open(path, "rt") as rows:
                table = np.loadtxt(rows, delimiter=",")
            return table[:, :-1], table[:, -1]
    try:
        from sklearn import datasets
    except ImportError as err:
        raise ImportError(_MISSING) from err
    digits = datasets.load_digits()
    return digits.data, digits.target
