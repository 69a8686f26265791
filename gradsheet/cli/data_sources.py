"""Where the command line's data comes from: digits, MNIST-format IDX files, CSV or NPZ.

    digits                      scikit-learn's bundled 8x8 digits
    idx:IMAGES,LABELS           MNIST-format IDX files (raw or gzip)
    PATH.csv                    features in every column but the last, the label in the last
                                (an optional first line of column names is skipped)
    PATH.npz                    arrays X (features) and y (integer labels)

Every problem with a file is a ValueError naming the file (and the line of a CSV file):
a directory, FIFO or device is refused before it is opened; an empty file, ragged rows,
a cell that is not a number, a label that is not an integer class index in [0, C) (C the
number of distinct labels, or the model's number of classes), float labels in an NPZ file.
"""
import warnings
import zipfile

import numpy as np

from ..data import TensorDataset
from ..data.datasets import load_digits, load_idx_dataset
from ..io.files import check_regular, open_regular


class Table:
    """A data file's features and labels (or None), with where each row came from."""

    def __init__(self, path, features, labels, lines=None):
        self.path, self.features, self.labels, self.lines = path, features, labels, lines

    def where(self, row, array="y"):
        """'line N' of a CSV file, 'y[i]' (or ``array``[i]) of an NPZ file: where row ``row``
        is in the file."""
        return f"line {self.lines[row]}" if self.lines is not None else f"{array}[{row}]"


def _read(path, what):
    with open_regular(path, None, what) as f:
        return f.read()


def _number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def _diagnose(path, rows):
    """The ValueError naming the first ragged row or non-number cell of a CSV file."""
    width, first = len(rows[0][1].split(",")), rows[0][0]
    for number, line in rows:
        cells = line.split(",")
        if len(cells) != width:
            return ValueError(f"{path} line {number}: {len(cells)} comma-separated values, but "
                              f"line {first} has {width}; every row needs the same columns")
        for column, cell in enumerate(cells, 1):
            if not _number(cell.strip()):
                return ValueError(f"{path} line {number}, column {column}: {cell.strip()[:40]!r} "
                                  f"is not a number")
    return ValueError(f"{path}: not a CSV file of numbers")


def read_csv(path, what="data file"):
    """(rows as a float64 2-d array, the line number of each row) of a CSV file of numbers."""
    data = _read(path, what)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[:err.start].count(b"\n") + 1
        raise ValueError(f"{path} line {line}: not UTF-8 text (byte {err.start}); expected a "
                         f"CSV file of numbers") from None
    rows = [(number, line) for number, line in enumerate(text.splitlines(), 1) if line.strip()]
    if not rows:
        raise ValueError(f"{path}: the file is empty: no data rows")
    if not all(_number(cell.strip()) for cell in rows[0][1].split(",")):
        rows = rows[1:]  # a header line of column names
        if not rows:
            raise ValueError(f"{path}: only a header line, no data rows")
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            table = np.loadtxt([line for _, line in rows], delimiter=",", ndmin=2)
    except ValueError:
        raise _diagnose(path, rows) from None
    if table.shape[0] != len(rows):  # cannot happen with the lines given, but never misnumber
        raise _diagnose(path, rows)
    return table, np.array([number for number, _ in rows])


def _read_npz(path):
    try:
        with open_regular(path, None, "data file") as f, \
                np.load(f, allow_pickle=False) as arrays:
            if "X" not in arrays:
                raise ValueError(f"{path}: an NPZ data file needs an array named X "
                                 f"(and y for labels); it has {sorted(arrays.files)}")
            features = arrays["X"]
            labels = arrays["y"] if "y" in arrays else None
    except (zipfile.BadZipFile, EOFError, OSError) as err:
        if isinstance(err, (FileNotFoundError, PermissionError, IsADirectoryError)):
            raise
        raise ValueError(f"{path}: not a valid NPZ file ({err})") from None
    except ValueError as err:
        if str(err).startswith(path):
            raise
        raise ValueError(f"{path}: not a valid NPZ file ({err})") from None
    if features.dtype.kind not in "biuf" or features.ndim < 2:
        raise ValueError(f"{path}: X must be a numeric array of samples (2 or more dimensions), "
                         f"got dtype {features.dtype} and shape {list(features.shape)}")
    if labels is not None:
        if labels.dtype.kind == "f":
            raise ValueError(f"{path}: y has dtype {labels.dtype}; labels must be integers "
                             f"(class indices 0..C-1), never floats, which would be truncated")
        if labels.dtype.kind not in "iu" or labels.ndim != 1:
            raise ValueError(f"{path}: y must be a 1-d array of integer labels, got dtype "
                             f"{labels.dtype} and shape {list(labels.shape)}")
        if len(labels) != len(features):
            raise ValueError(f"{path}: X has {len(features)} samples but y has {len(labels)} "
                             f"labels")
    if len(features) == 0:
        raise ValueError(f"{path}: X holds no samples")
    return Table(path, features, labels)


def load_table(path):
    """A ``Table`` (features, labels-or-None) from a CSV (label last column) or NPZ (X, y)."""
    if path.endswith(".npz"):
        return _read_npz(path)
    if path.endswith(".csv"):
        table, lines = read_csv(path)
        if table.shape[1] < 2:
            raise ValueError(f"{path} line {lines[0]}: one column; a data file needs features "
                             f"and a label in the last column")
        return Table(path, table[:, :-1], table[:, -1], lines)
    check_regular(path, None, "data file")
    raise ValueError(f"data file {path}: expected a .csv or .npz file")


def check_labels(table, num_classes=None):
    """The labels of ``table`` as int64 class indices and the number of classes C.

    C is ``num_classes`` when given (a model's), else the number of distinct labels; every
    label must be an integer in [0, C): a ValueError names the file, the row and the label.
    """
    labels, path = table.labels, table.path
    if labels.dtype.kind == "f":  # a CSV column
        bad = np.flatnonzero(~np.isfinite(labels) | (labels != np.round(labels)))
        if bad.size:
            raise ValueError(f"{path} {table.where(bad[0])}: the label {float(labels[bad[0]]):g} is not "
                             f"an integer class index")
    values = labels.astype(np.int64) if labels.dtype.kind == "f" and np.all(
        np.abs(labels) < 2**62) else labels
    if values.dtype.kind == "f":
        bad = np.flatnonzero(np.abs(labels) >= 2**62)
        raise ValueError(f"{path} {table.where(bad[0])}: the label {labels[bad[0]]:g} is not a "
                         f"class index (far too large)")
    if num_classes is None:
        num_classes = len(np.unique(values))
        rule = f"the {num_classes} distinct labels must be the classes 0..{num_classes - 1}"
    else:
        rule = f"the model has {num_classes} classes"
    bad = np.flatnonzero((values < 0) | (values >= num_classes))
    if bad.size:
        raise ValueError(f"{path} {table.where(bad[0])}: the label {int(values[bad[0]])} is not "
                         f"in [0, {num_classes}): {rule}")
    return values.astype(np.int64), num_classes


def token_ids(table, vocabulary):
    """The features of ``table`` as int64 token ids, for a model whose first layer is an
    Embedding of ``vocabulary`` rows: every value a whole number in [0, vocabulary), else a
    ValueError naming the file, the row and the value."""
    features, path = table.features, table.path
    if features.dtype.kind not in "biuf":
        raise ValueError(f"{path}: token ids must be integers, got dtype {features.dtype}")
    rows = features.reshape(len(features), -1)
    if features.dtype.kind == "f":  # a CSV file's cells, or float X in an NPZ file
        bad = ~np.isfinite(rows) | (rows != np.round(rows))
        if bad.any():
            row, column = np.argwhere(bad)[0]
            raise ValueError(f"{path} {table.where(row, 'X')}: the value {rows[row, column]:g} is "
                             f"not a token id; a model whose first layer is an Embedding takes "
                             f"whole numbers in [0, {vocabulary})")
    bad = (rows < 0) | (rows >= vocabulary)
    if bad.any():
        row, column = np.argwhere(bad)[0]
        raise ValueError(f"{path} {table.where(row, 'X')}: the token id {rows[row, column]:g} is "
                         f"not in [0, {vocabulary}): the model's first layer is an Embedding "
                         f"of num_embeddings={vocabulary}")
    return features.astype(np.int64)


def _warn_non_finite(table):
    """A one-line warning when the features hold NaN or inf (a validation split of them would
    log val_loss nan; a training one stops fit)."""
    features = table.features
    if features.dtype.kind != "f":
        return
    bad = ~np.isfinite(features)
    if bad.any():
        rows = np.flatnonzero(bad.reshape(len(features), -1).any(axis=1))
        warnings.warn(f"{table.path}: {int(bad.sum())} feature values are NaN or infinite, in "
                      f"{len(rows)} rows (the first at {table.where(rows[0])})", RuntimeWarning,
                      stacklevel=3)


def _square_images(path, features):
    side = int(round(np.sqrt(features.shape[1])))
    if side * side != features.shape[1]:
        raise ValueError(f"{path}: a cnn needs square images; {features.shape[1]} features "
                         "are not a square number of pixels")
    return features.reshape(-1, 1, side, side)


def load_source(source, image=False, num_classes=None, min_rows=1, vocabulary=None):
    """(a TensorDataset of (float32 inputs, int64 labels), the number of classes) named by
    ``source`` (see the module doc); labels checked with ``check_labels``; a CSV or NPZ file
    with fewer than ``min_rows`` samples is refused, naming its rows. With ``vocabulary`` (a
    model whose first layer is an Embedding) the inputs are int64 token ids (``token_ids``),
    from a CSV or NPZ file."""
    if vocabulary is not None and (source == "digits" or source.startswith("idx:")):
        raise ValueError(f"data {source!r}: a model whose first layer is an Embedding takes "
                         f"integer token ids, from an NPZ file (X of shape (N, T), integers) "
                         f"or a CSV file of whole numbers")
    if source == "digits":
        dataset = load_digits(image=image)
        return dataset, int(dataset.tensors[1].array.max()) + 1
    if source.startswith("idx:"):
        paths = source[4:].split(",")
        if len(paths) != 2:
            raise ValueError(f"data {source!r}: write idx:IMAGES,LABELS (two paths)")
        for path in paths:
            check_regular(path, None, "IDX file")
        dataset = load_idx_dataset(paths[0], paths[1], image=image)
        labels = dataset.tensors[1].array
        classes = num_classes or int(labels.max()) + 1
        bad = np.flatnonzero((labels < 0) | (labels >= classes))
        if bad.size:
            raise ValueError(f"{paths[1]}: label {int(labels[bad[0]])} of item {bad[0]} is not in "
                             f"[0, {classes})")
        return dataset, classes
    table = load_table(source)
    if table.labels is None:
        raise ValueError(f"{source}: training data needs labels (y in an NPZ file)")
    if len(table.features) < min_rows:
        where = f" ({table.where(0)})" if table.lines is not None else ""
        raise ValueError(f"{source}: only {len(table.features)} data row{where}; training needs "
                         f"at least {min_rows} (some held out for validation)")
    labels, classes = check_labels(table, num_classes)
    if vocabulary is not None:
        return TensorDataset(token_ids(table, vocabulary), labels), classes
    features = table.features
    _warn_non_finite(table)
    if image and features.ndim == 2:
        features = _square_images(source, features)
    with np.errstate(all="ignore"):
        features = features.astype(np.float32)
    return TensorDataset(features, labels), classes


def load_inputs(path, vocabulary=None):
    """The inputs to predict on: an NPZ's X, or every column of a CSV file; with
    ``vocabulary``, as int64 token ids (``token_ids``)."""
    if path.endswith(".csv"):
        rows, lines = read_csv(path, "input file")
        table = Table(path, rows, None, lines)
    else:
        table = load_table(path)
    return table.features if vocabulary is None else token_ids(table, vocabulary)
