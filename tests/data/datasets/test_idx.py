import gzip
import re

import numpy as np
import pytest

from gradsheet.data.datasets import MNIST, load_idx_dataset, read_idx

CODES = {np.uint8: 0x08, np.int8: 0x09, np.int16: 0x0B, np.int32: 0x0C, np.float32: 0x0D,
         np.float64: 0x0E}


def idx_bytes(array):
    """The IDX encoding of ``array``, written from the format's definition."""
    header = bytes([0, 0, CODES[array.dtype.type], array.ndim])
    dims = np.array(array.shape, dtype=">u4").tobytes()
    return header + dims + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write(path, payload, gz=False):
    path.write_bytes(gzip.compress(payload) if gz else payload)
    return path


def _random(dtype, shape, seed=0):
    rng = np.random.default_rng(seed)
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        return rng.integers(info.min, info.max, size=shape, endpoint=True, dtype=dtype)
    return rng.standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("dtype", list(CODES))
@pytest.mark.parametrize("shape", [(7,), (3, 4, 5), (2, 0)])
def test_round_trip(tmp_path, dtype, gz, shape):
    array = _random(dtype, shape)
    result = read_idx(write(tmp_path / "data.idx", idx_bytes(array), gz))
    assert result.dtype == np.dtype(dtype) and result.dtype.isnative
    assert result.shape == shape
    np.testing.assert_array_equal(result, array)
    assert result.flags.writeable


def test_gzip_is_detected_by_content_not_name(tmp_path):
    array = _random(np.int16, (4, 2))
    np.testing.assert_array_equal(read_idx(write(tmp_path / "a.gz", idx_bytes(array))), array)
    np.testing.assert_array_equal(read_idx(write(tmp_path / "b", idx_bytes(array), gz=True)),
                                  array)


GOOD = idx_bytes(np.arange(12, dtype=np.uint8).reshape(3, 4))
CORRUPT = {
    "bad magic": (b"\x01\x02" + GOOD[2:], "two zero bytes"),
    "too short": (b"\x00\x00", "two zero bytes"),
    "unknown type": (GOOD[:2] + b"\x0a" + GOOD[3:], "unknown element type 0x0A"),
    "truncated header": (GOOD[:6], "truncated.*12-byte header.*6 bytes"),
    "missing data": (GOOD[:-1], r"11 data bytes.*\(3, 4\).*12"),
    "extra data": (GOOD + b"\x00", r"13 data bytes.*\(3, 4\).*12"),
}


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("case", sorted(CORRUPT))
def test_corrupt_files_raise_naming_the_file(tmp_path, case, gz):
    payload, reason = CORRUPT[case]
    path = write(tmp_path / "broken-file.idx", payload, gz)
    with pytest.raises(ValueError, match=re.escape(str(path)) + ".*" + reason):
        read_idx(path)


def test_truncated_gzip_names_the_file(tmp_path):
    path = tmp_path / "cut.idx.gz"
    path.write_bytes(gzip.compress(GOOD * 50)[:30])
    with pytest.raises(ValueError, match=re.escape(str(path)) + ".*gzip"):
        read_idx(path)


def _pair(tmp_path, n=5, labels=None, gz=True):
    images = _random(np.uint8, (n, 4, 3), seed=1)
    labels = np.arange(n, dtype=np.uint8) % 10 if labels is None else labels
    return (images, labels, write(tmp_path / "images.gz", idx_bytes(images), gz),
            write(tmp_path / "labels.gz", idx_bytes(labels), gz))


def test_mnist_dataset_scales_to_unit_interval(tmp_path):
    images, labels, images_path, labels_path = _pair(tmp_path)
    X, y = MNIST(images_path, labels_path).tensors
    assert X.shape == (5, 12) and X.dtype == np.float32
    np.testing.assert_allclose(X.array, images.reshape(5, 12) / 255.0, rtol=1e-6)
    assert y.dtype == np.int64
    np.testing.assert_array_equal(y.array, labels)
    X_image, _ = load_idx_dataset(images_path, labels_path, image=True).tensors
    assert X_image.shape == (5, 1, 4, 3)
    np.testing.assert_array_equal(X_image.array.reshape(5, 12), X.array)


def test_mnist_label_count_mismatch_names_both_files(tmp_path):
    _, _, images_path, labels_path = _pair(tmp_path, labels=np.zeros(4, dtype=np.uint8))
    with pytest.raises(ValueError, match=re.escape(str(labels_path)) + r".*5 in .*"
                       + re.escape(str(images_path)) + r".*\(4,\)"):
        MNIST(images_path, labels_path)


def test_mnist_rejects_non_uint8_images(tmp_path):
    path = write(tmp_path / "float-images", idx_bytes(np.zeros((2, 3, 3), dtype=np.float32)))
    labels = write(tmp_path / "labels", idx_bytes(np.zeros(2, dtype=np.uint8)))
    with pytest.raises(ValueError, match=re.escape(str(path)) + ".*uint8.*float32"):
        MNIST(path, labels)
