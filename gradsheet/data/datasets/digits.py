"""The 8x8 handwritten digits bundled with scikit-learn (1,797 images, 10 classes).

A real image-classification task small enough to train on in seconds: pixel
values 0..16 are scaled to [0, 1].
"""
from __future__ import annotations

import numpy as np

from ..dataset import TensorDataset


def load_digits(image: bool = False) -> TensorDataset:
    """The digits as a TensorDataset (X, y).

    Args:
        image: False gives X of shape (N, 64) for an MLP; True gives (N, 1, 8, 8) for a Conv2d.

    Shapes: X float32 in [0, 1], y int64 in {0, ..., 9}, N = 1797.

    Raises ImportError when scikit-learn (the ``data`` extra) is not installed.
    """
    try:
        from sklearn import datasets
    except ImportError as err:
        raise ImportError("load_digits needs scikit-learn, which ships the 8x8 digits: "
                          "pip install gradsheet[data]") from err
    digits = datasets.load_digits()
    X = (digits.data / 16.0).astype(np.float32)
    if image:
        X = X.reshape(-1, 1, 8, 8)
    return TensorDataset(X, digits.target.astype(np.int64))
