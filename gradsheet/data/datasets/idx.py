"""MNIST-format IDX files: read_idx, and MNIST / load_idx_dataset for image-label pairs.

An IDX file is
    bytes 0-1   zero
    byte  2     element type: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
                0x0D float32, 0x0E float64
    byte  3     number of dimensions d
    4 * d bytes the size of each dimension, big-endian uint32
    the data    prod(sizes) elements, big-endian, row-major.
MNIST, Fashion-MNIST, KMNIST and EMNIST ship in this format, usually gzipped;
a gzip file is recognised by its magic bytes 1f 8b, not by its name.

Reference: Y. LeCun, C. Cortes, C. J. C. Burges, "The MNIST database of handwritten digits".
"""
from __future__ import annotations

import gzip
import math
import os
import zlib
from typing import TYPE_CHECKING

import numpy as np

from ..dataset import TensorDataset

if TYPE_CHECKING:
    from ..._typing import PathLike

IDX_DTYPES: dict[int, np.dtype] = {0x08: np.dtype(">u1"), 0x09: np.dtype(">i1"), 0x0B: np.dtype(">i2"),
              0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
_GZIP_MAGIC = b"\x1f\x8b"


def _read_bytes(path: str) -> bytes:
    with open(path, "rb") as f:
        raw = f.read()
    if not raw.startswith(_GZIP_MAGIC):
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as err:
        raise ValueError(f"read_idx: {path} is a corrupt or truncated gzip file ({err})") from None


def read_idx(path: PathLike) -> np.ndarray:
    """The array stored in the IDX file at ``path`` (raw or gzipped), in native byte order.

    Raises ValueError naming the file when the magic number, the dimensions or the
    data size do not follow the format above.
    """
    path = os.fspath(path)
    raw = _read_bytes(path)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"read_idx: {path} is not an IDX file: it must start with two zero "
                         f"bytes, a type code and a dimension count; starts with {raw[:4]!r}")
    code, ndim = raw[2], raw[3]
    if code not in IDX_DTYPES:
        known = ", ".join(f"0x{c:02X}" for c in IDX_DTYPES)
        raise ValueError(f"read_idx: {path} has unknown element type 0x{code:02X}; "
                         f"the IDX types are {known}")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"read_idx: {path} is truncated: {ndim} dimensions need a {header}-byte "
                         f"header, the file has {len(raw)} bytes")
    shape = tuple(int(s) for s in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = IDX_DTYPES[code]
    expected = math.prod(shape) * dtype.itemsize
    if len(raw) - header != expected:
        raise ValueError(f"read_idx: {path} has {len(raw) - header} data bytes, but shape {shape} "
                         f"of {dtype.newbyteorder('=')} needs prod(shape) * {dtype.itemsize} = "
                         f"{expected}")
    data = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return data.astype(dtype.newbyteorder("="))


class MNIST(TensorDataset):
    """Images and labels from a pair of IDX files, as a TensorDataset (X, y).

    Args:
        images_path: IDX file of uint8 images, shape (N, H, W) (e.g. train-images-idx3-ubyte.gz).
        labels_path: IDX file of N labels (e.g. train-labels-idx1-ubyte.gz).
        image: False gives X of shape (N, H * W); True gives (N, 1, H, W) for a Conv2d.

    Shapes: X float32 = pixel / 255 in [0, 1], y int64.
    """

    def __init__(self, images_path: PathLike, labels_path: PathLike, image: bool = False) -> None:
        images, labels = read_idx(images_path), read_idx(labels_path)
        if images.dtype != np.uint8 or images.ndim != 3:
            raise ValueError(f"MNIST: {os.fspath(images_path)} must hold uint8 images of shape "
                             f"(N, H, W), got {images.dtype} of shape {images.shape}")
        if labels.ndim != 1 or labels.dtype.kind not in "iu" or len(labels) != len(images):
            raise ValueError(f"MNIST: {os.fspath(labels_path)} must hold one integer label per "
                             f"image ({len(images)} in {os.fspath(images_path)}), "
                             f"got {labels.dtype} of shape {labels.shape}")
        n, height, width = images.shape
        shape = (n, 1, height, width) if image else (n, height * width)
        X = (images.reshape(shape) / np.float32(255)).astype(np.float32, copy=False)
        super().__init__(X, labels.astype(np.int64))


def load_idx_dataset(images: PathLike, labels: PathLike, image: bool = False) -> MNIST:
    """``MNIST(images, labels, image)``: the TensorDataset of an IDX image file and label file."""
    return MNIST(images, labels, image=image)
