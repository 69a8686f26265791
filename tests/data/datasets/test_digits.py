import sys

import numpy as np
import pytest

from gradsheet.data.datasets import load_digits


def test_flat_digits():
    sklearn_datasets = pytest.importorskip("sklearn.datasets")
    X, y = load_digits().tensors
    assert X.shape == (1797, 64) and X.dtype == np.float32
    assert y.shape == (1797,) and y.dtype == np.int64
    assert X.array.min() == 0.0 and X.array.max() == 1.0
    assert set(np.unique(y.array)) == set(range(10))
    reference = sklearn_datasets.load_digits()
    np.testing.assert_allclose(X.array * 16, reference.data, atol=1e-5)
    np.testing.assert_array_equal(y.array, reference.target)


def test_image_digits_are_the_same_pixels():
    pytest.importorskip("sklearn")
    flat = load_digits().tensors[0].array
    images = load_digits(image=True).tensors[0].array
    assert images.shape == (1797, 1, 8, 8)
    np.testing.assert_array_equal(images.reshape(1797, 64), flat)


def test_missing_sklearn_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)  # makes `import sklearn` fail
    with pytest.raises(ImportError, match=r"pip install gradsheet\[data\]"):
        load_digits()


def test_reads_the_bundled_file_without_importing_sklearn():
    pytest.importorskip("sklearn")
    import subprocess
    code = ("import sys; from gradsheet.data.datasets import load_digits; X, y = load_digits()"
            ".tensors; print(X.shape[0], int(y.array.sum()), 'sklearn' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["1797", str(int(load_digits().tensors[1].array.sum())), "False"]


def test_falls_back_to_sklearns_loader_when_the_file_is_elsewhere(monkeypatch):
    pytest.importorskip("sklearn")
    from gradsheet.data.datasets import digits
    expected = load_digits().tensors
    monkeypatch.setattr(digits.os.path, "isfile", lambda path: False)
    X, y = load_digits().tensors
    np.testing.assert_array_equal(X.array, expected[0].array)
    np.testing.assert_array_equal(y.array, expected[1].array)
