import numpy as np
import pytest

import gradsheet as gs
from gradsheet.data.datasets import make_moons, make_spirals, make_xor

MAKERS = [make_spirals, make_moons, make_xor]


def _arrays(data):
    return [t.array for t in data.tensors]


@pytest.mark.parametrize("make", MAKERS)
def test_shapes_dtypes_and_determinism(make):
    X, y = _arrays(make(n_samples=61, noise=0.1, seed=3))
    assert X.shape == (61, 2) and X.dtype == np.float32
    assert y.shape == (61,) and y.dtype == np.int64
    again = _arrays(make(n_samples=61, noise=0.1, seed=3))
    np.testing.assert_array_equal(X, again[0])
    np.testing.assert_array_equal(y, again[1])
    assert not np.array_equal(X, _arrays(make(n_samples=61, noise=0.1, seed=4))[0])


@pytest.mark.parametrize("make", MAKERS)
def test_seed_none_follows_manual_seed(make):
    gs.manual_seed(11)
    first = _arrays(make(n_samples=20, noise=0.1))[0]
    gs.manual_seed(11)
    np.testing.assert_array_equal(_arrays(make(n_samples=20, noise=0.1))[0], first)


@pytest.mark.parametrize("make", MAKERS)
def test_bad_arguments_name_the_values(make):
    with pytest.raises(ValueError, match="noise.*-1"):
        make(n_samples=10, noise=-1.0)
    with pytest.raises(ValueError, match="n_samples.*2.5"):
        make(n_samples=2.5)


def test_moons_without_noise_are_sklearns_points():
    sklearn_datasets = pytest.importorskip("sklearn.datasets")
    X, y = _arrays(make_moons(n_samples=41, noise=0.0, seed=0))
    X_ref, y_ref = sklearn_datasets.make_moons(n_samples=41, shuffle=False)
    order = np.lexsort((X[:, 1], X[:, 0], y))
    order_ref = np.lexsort((X_ref[:, 1], X_ref[:, 0], y_ref))
    np.testing.assert_allclose(X[order], X_ref[order_ref], atol=1e-6)
    np.testing.assert_array_equal(y[order], y_ref[order_ref])


def test_spirals_classes_and_radii():
    X, y = _arrays(make_spirals(n_samples=31, n_classes=4, noise=0.5, seed=0))
    assert np.bincount(y).tolist() == [8, 8, 8, 7]
    radius = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(radius[y == 3], np.linspace(0, 1, 7), atol=1e-6)  # noise bends t
    with pytest.raises(ValueError, match="n_classes.*1"):
        make_spirals(n_samples=10, n_classes=1)


def test_spirals_without_noise_follow_the_formula():
    X, y = _arrays(make_spirals(n_samples=9, n_classes=3, noise=0.0, seed=0))
    r = np.tile(np.linspace(0, 1, 3), 3)
    t = 4.0 * y + 4.0 * r
    np.testing.assert_allclose(X, np.stack([r * np.sin(t), r * np.cos(t)], axis=1), atol=1e-6)


def test_xor_labels_without_noise():
    X, y = _arrays(make_xor(n_samples=200, seed=1))
    assert np.all(np.abs(X) <= 1)
    np.testing.assert_array_equal(y, (X[:, 0] * X[:, 1] < 0).astype(np.int64))
    assert 60 < y.sum() < 140
