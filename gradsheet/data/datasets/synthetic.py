"""Small 2-D classification tasks that a linear model cannot solve and an MLP can.

Each returns a TensorDataset (X float32 of shape (n_samples, 2), y int64) and
is deterministic for a given ``seed``; ``seed=None`` draws from the generator
that ``gradsheet.manual_seed`` seeds.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from ... import backend
from ..dataset import TensorDataset


def _rng(seed: Optional[int]) -> np.random.Generator:
    return backend.default_generator() if seed is None else np.random.default_rng(seed)


def _dataset(X: np.ndarray, y: np.ndarray) -> TensorDataset:
    return TensorDataset(X.astype(np.float32), y.astype(np.int64))


def _check(name: str, n_samples: int, noise: float, min_samples: int = 1) -> None:
    if int(n_samples) != n_samples or n_samples < min_samples:
        raise ValueError(f"{name}: n_samples must be an integer >= {min_samples}, "
                         f"got {n_samples}")
    if noise < 0:
        raise ValueError(f"{name}: noise is a standard deviation and must be >= 0, got {noise}")


def make_spirals(n_samples: int = 300, n_classes: int = 3, noise: float = 0.2,
                 seed: Optional[int] = None) -> TensorDataset:
    """Interleaved spiral arms, one per class (the CS231n spiral task).

    Class k's points, for r evenly spaced on [0, 1]:
        t = 4k + 4r + noise * N(0, 1)    (radians),   x = (r sin t, r cos t).
    ``n_samples`` is shared out as evenly as possible (the first classes get one more).
    """
    _check("make_spirals", n_samples, noise, min_samples=n_classes)
    if int(n_classes) != n_classes or n_classes < 2:
        raise ValueError(f"make_spirals: n_classes must be an integer >= 2, got {n_classes}")
    rng = _rng(seed)
    counts = [n_samples // n_classes + (k < n_samples % n_classes) for k in range(n_classes)]
    r = np.concatenate([np.linspace(0.0, 1.0, c) for c in counts])
    y = np.repeat(np.arange(n_classes), counts)
    t = 4.0 * y + 4.0 * r + noise * rng.standard_normal(n_samples)
    return _dataset(np.stack([r * np.sin(t), r * np.cos(t)], axis=1), y)


def make_moons(n_samples: int = 100, noise: float = 0.0,
               seed: Optional[int] = None) -> TensorDataset:
    """Two interleaving half circles (scikit-learn's make_moons, shuffled).

    Class 0: (cos s, sin s); class 1: (1 - cos s, 0.5 - sin s), s in [0, pi],
    plus Gaussian noise of standard deviation ``noise`` on each coordinate.
    """
    _check("make_moons", n_samples, noise, min_samples=2)
    rng = _rng(seed)
    n_outer = n_samples // 2
    n_inner = n_samples - n_outer
    s_outer = np.linspace(0.0, np.pi, n_outer)
    s_inner = np.linspace(0.0, np.pi, n_inner)
    X = np.concatenate([np.stack([np.cos(s_outer), np.sin(s_outer)], axis=1),
                        np.stack([1.0 - np.cos(s_inner), 0.5 - np.sin(s_inner)], axis=1)])
    y = np.repeat([0, 1], [n_outer, n_inner])
    order = rng.permutation(n_samples)
    X, y = X[order], y[order]
    return _dataset(X + noise * rng.standard_normal(X.shape), y)


def make_xor(n_samples: int = 200, noise: float = 0.0,
             seed: Optional[int] = None) -> TensorDataset:
    """Points uniform on the square [-1, 1]^2, labelled y = (x1 > 0) XOR (x2 > 0).

    The label comes from the clean point; Gaussian noise of standard deviation
    ``noise`` is then added to X, so a noisy point may sit across the axes.
    """
    _check("make_xor", n_samples, noise)
    rng = _rng(seed)
    X = rng.uniform(-1.0, 1.0, size=(n_samples, 2))
    y = (X[:, 0] > 0) ^ (X[:, 1] > 0)
    return _dataset(X + noise * rng.standard_normal(X.shape), y)
