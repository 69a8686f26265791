"""Where the command line's data comes from: digits, MNIST-format IDX files, CSV or NPZ.

    digits                      scikit-learn's bundled 8x8 digits
    idx:IMAGES,LABELS           MNIST-format IDX files (raw or gzip)
    PATH.csv                    features in every column but the label column (the last, or
                                ``label_column``: a name of the header or an index); a first
                                line of column names is detected (a cell that is not a number
                                in a column of numbers); labels are class indices 0..C-1 or
                                strings (encoded as their sorted order, the classes kept)
    PATH.npz                    arrays X (features) and y (integer labels)

Every problem with a file is a ValueError naming the file (and the line of a CSV file):
a directory, FIFO or device is refused before it is opened; an empty file, ragged rows,
a cell that is not a number, a label that is not an integer class index in [0, C) (C the
number of distinct labels, or the model's number of classes), float labels in an NPZ file.
"""
from __future__ import annotations

import collections
import warnings
import zipfile
from collections.abc import Sequence
from typing import Any, Optional, Union

import numpy as np

from ..data import TensorDataset
from ..data.datasets import load_digits, load_idx_dataset
from ..io.files import check_regular, open_regular


class Table:
    """A data file's features and labels (or None), with where each row came from; a CSV
    file's ``header`` (its column names, or None) and ``label_index`` (the label's column)."""

    def __init__(self, path: str, features: np.ndarray, labels: Optional[np.ndarray],
                 lines: Optional[np.ndarray] = None, header: Optional[list[str]] = None,
                 label_index: Optional[int] = None) -> None:
        self.path, self.features, self.labels, self.lines = path, features, labels, lines
        self.header, self.label_index = header, label_index

    def where(self, row: int, array: str = "y") -> str:
        """'line N' of a CSV file, 'y[i]' (or ``array``[i]) of an NPZ file: where row ``row``
        is in the file."""
        return f"line {self.lines[row]}" if self.lines is not None else f"{array}[{row}]"


def _read(path: str, what: str) -> bytes:
    with open_regular(path, None, what) as f:
        return f.read()


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_csv_cells(path: str, what: str = "data file"
                   ) -> tuple[Optional[list[str]], list[list[str]], np.ndarray]:
    """(header names or None, the data rows as lists of stripped cells, each row's line number)
    of a CSV file with the same number of cells on every line.

    The first line is a header when one of its cells is not a number in a column whose other
    cells all are (or, with a single data line below, when none of its cells is a number)."""
    data = _read(path, what)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[:err.start].count(b"\n") + 1
        raise ValueError(f"{path} line {line}: not UTF-8 text (byte {err.start}); expected a "
                         f"CSV file") from None
    rows = [(number, [cell.strip() for cell in line.split(",")])
            for number, line in enumerate(text.splitlines(), 1) if line.strip()]
    if not rows:
        raise ValueError(f"{path}: the file is empty: no data rows")
    width, first = len(rows[0][1]), rows[0][0]
    for number, cells in rows:
        if len(cells) != width:
            raise ValueError(f"{path} line {number}: {len(cells)} comma-separated values, but "
                             f"line {first} has {width}; every row needs the same columns")
    header = None
    if _is_header([cells for _, cells in rows]):
        header, rows = rows[0][1], rows[1:]
        if not rows:
            raise ValueError(f"{path}: only a header line, no data rows")
    return header, [cells for _, cells in rows], np.array([number for number, _ in rows])


def _is_header(rows: list[list[str]]) -> bool:
    first, rest = rows[0], rows[1:]
    if not rest:
        return not any(_number(cell) for cell in first)
    return any(not _number(first[c]) and all(_number(row[c]) for row in rest)
               for c in range(len(first)))


def _numbers(path: str, cells: list[list[str]], lines: np.ndarray,
             columns: Sequence[int]) -> np.ndarray:
    """The ``columns`` of ``cells`` as a float64 (rows, len(columns)) array; a ValueError names
    the line and column (1-based) of the first cell that is not a number."""
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            return np.array([[float(row[c]) for c in columns] for row in cells],
                            dtype=np.float64).reshape(len(cells), len(columns))
    except ValueError:
        for row, line in zip(cells, lines):
            for c in columns:
                if not _number(row[c]):
                    raise ValueError(f"{path} line {line}, column {c + 1}: {row[c][:40]!r} is "
                                     f"not a number") from None
        raise


def _label_index(path: str, header: Optional[list[str]], width: int,
                 label_column: Union[str, int, None]) -> int:
    """The 0-based index of the label column: the last when ``label_column`` is None, else a
    header name or an index (negative from the end), a ValueError naming the choices."""
    if label_column is None:
        return width - 1
    text = str(label_column)
    if header is not None and text in header:
        return header.index(text)
    try:
        index = int(text)
    except ValueError:
        names = f"its columns are {header}" if header else "it has no header line of names"
        raise ValueError(f"--label-column {text}: {path} has no column named {text!r}; {names} "
                         f"(or give an index, 0..{width - 1} or -1 for the last)") from None
    if not -width <= index < width:
        raise ValueError(f"--label-column {index}: {path} has {width} columns (indices "
                         f"0..{width - 1}, or -{width}..-1 from the end)")
    return index % width


def read_csv(path: str, what: str = "data file") -> tuple[np.ndarray, np.ndarray]:
    """(rows as a float64 2-d array, the line number of each row) of a CSV file of numbers
    (a header line skipped)."""
    _, cells, lines = read_csv_cells(path, what)
    return _numbers(path, cells, lines, range(len(cells[0]))), lines


def _read_npz(path: str) -> Table:
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


def load_table(path: str, label_column: Union[str, int, None] = None) -> Table:
    """A ``Table`` (features, labels-or-None) from a CSV (labels in ``label_column``: the last
    by default, a header name or an index; numbers, or strings kept as strings) or NPZ (X, y)
    file."""
    if path.endswith(".npz"):
        if label_column is not None:
            raise ValueError(f"--label-column {label_column}: {path} is an NPZ file, whose labels "
                             f"are its array y; the option is for CSV files")
        return _read_npz(path)
    if path.endswith(".csv"):
        header, cells, lines = read_csv_cells(path)
        width = len(cells[0])
        if width < 2:
            raise ValueError(f"{path} line {lines[0]}: one column; a data file needs features "
                             f"and a label column")
        label = _label_index(path, header, width, label_column)
        features = _numbers(path, cells, lines, [c for c in range(width) if c != label])
        column = [row[label] for row in cells]
        if all(_number(cell) for cell in column):
            labels = np.array([float(cell) for cell in column])
        else:
            labels = np.array(column, dtype=str)
        return Table(path, features, labels, lines, header, label)
    check_regular(path, None, "data file")
    raise ValueError(f"data file {path}: expected a .csv or .npz file")


def encode_labels(table: Table, classes: Optional[Sequence[str]] = None
                  ) -> tuple[np.ndarray, Optional[list[str]]]:
    """String labels as class indices: (int64 indices, the classes) with the classes in sorted
    order, or ``classes`` (a model's) when given; a label not among them is a ValueError
    naming the row. Numeric labels are left to ``check_labels``: (labels, None)."""
    labels = table.labels
    assert labels is not None, "encode_labels: a table with labels"
    if labels.dtype.kind not in "US":
        if classes is not None:  # a model trained on string labels, numbers given now
            labels = np.array([f"{v:g}" if isinstance(v, float) else str(v) for v in labels])
        else:
            return labels, None
    known = sorted(set(labels.tolist())) if classes is None else list(classes)
    index = {name: i for i, name in enumerate(known)}
    for row, label in enumerate(labels.tolist()):
        if label not in index:
            raise ValueError(f"{table.path} {table.where(row)}: the label {label!r} is not one of "
                             f"the model's classes {known[:10]}")
    return np.array([index[label] for label in labels.tolist()], dtype=np.int64), known


def check_labels(table: Table, num_classes: Optional[int] = None) -> tuple[np.ndarray, int]:
    """The labels of ``table`` as int64 class indices and the number of classes C.

    C is ``num_classes`` when given (a model's), else the number of distinct labels; every
    label must be an integer in [0, C): a ValueError names the file, the row and the label.
    """
    labels, path = table.labels, table.path
    assert labels is not None, "check_labels: a table with labels"
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


def token_ids(table: Table, vocabulary: int) -> np.ndarray:
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


def _warn_non_finite(table: Table) -> None:
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


def _square_images(path: str, features: np.ndarray) -> np.ndarray:
    side = int(round(np.sqrt(features.shape[1])))
    if side * side != features.shape[1]:
        raise ValueError(f"{path}: a cnn needs square images; {features.shape[1]} features "
                         "are not a square number of pixels")
    return features.reshape(-1, 1, side, side)


Source = collections.namedtuple("Source", ["dataset", "num_classes", "classes", "layout"])
Source.__doc__ = """What ``load_source`` read: a TensorDataset of (inputs, int64 labels), the
number of classes C, the class names of string labels (label i is ``classes[i]``; None for
numeric labels) and a CSV file's ``layout`` (its column names or None, its width, the label's
column; None for other sources), which ``load_inputs`` uses to drop the label column."""


def load_source(source: str, image: bool = False, num_classes: Optional[int] = None,
                min_rows: int = 1, vocabulary: Optional[int] = None,
                label_column: Union[str, int, None] = None,
                classes: Optional[Sequence[str]] = None) -> Source:
    """A ``Source`` named by ``source`` (see the module doc): float32 inputs (int64 token ids
    with ``vocabulary``, a model whose first layer is an Embedding: ``token_ids``) and int64
    labels, checked with ``check_labels``; string labels are encoded (``encode_labels``, with
    a model's ``classes`` when given). A CSV or NPZ file with fewer than ``min_rows`` samples
    is refused, naming its rows."""
    if vocabulary is not None and (source == "digits" or source.startswith("idx:")):
        raise ValueError(f"data {source!r}: a model whose first layer is an Embedding takes "
                         f"integer token ids, from an NPZ file (X of shape (N, T), integers) "
                         f"or a CSV file of whole numbers")
    if label_column is not None and not source.endswith(".csv"):
        raise ValueError(f"--label-column {label_column}: data {source!r} is not a CSV file; "
                         f"the option chooses a CSV file's label column")
    if source == "digits":
        dataset = load_digits(image=image)
        return Source(dataset, int(dataset.tensors[1].array.max()) + 1, None, None)
    if source.startswith("idx:"):
        paths = source[4:].split(",")
        if len(paths) != 2:
            raise ValueError(f"data {source!r}: write idx:IMAGES,LABELS (two paths)")
        for path in paths:
            check_regular(path, None, "IDX file")
        dataset = load_idx_dataset(paths[0], paths[1], image=image)
        labels = dataset.tensors[1].array
        count = num_classes or int(labels.max()) + 1
        bad = np.flatnonzero((labels < 0) | (labels >= count))
        if bad.size:
            raise ValueError(f"{paths[1]}: label {int(labels[bad[0]])} of item {bad[0]} is not in "
                             f"[0, {count})")
        return Source(dataset, count, None, None)
    table = load_table(source, label_column)
    if table.labels is None:
        raise ValueError(f"{source}: training data needs labels (y in an NPZ file)")
    if len(table.features) < min_rows:
        where = f" ({table.where(0)})" if table.lines is not None else ""
        raise ValueError(f"{source}: only {len(table.features)} data row{where}; training needs "
                         f"at least {min_rows} (some held out for validation)")
    table.labels, classes = encode_labels(table, classes)
    labels, count = check_labels(table, num_classes or (len(classes) if classes else None))
    layout = None if table.lines is None else {
        "header": table.header, "width": table.features.shape[1] + 1,
        "label_index": table.label_index}
    if vocabulary is not None:
        return Source(TensorDataset(token_ids(table, vocabulary), labels), count, classes, layout)
    features = table.features
    _warn_non_finite(table)
    if image and features.ndim == 2:
        features = _square_images(source, features)
    with np.errstate(all="ignore"):
        features = features.astype(np.float32)
    return Source(TensorDataset(features, labels), count, classes, layout)


def load_inputs(path: str, vocabulary: Optional[int] = None,
                layout: Optional[dict[str, Any]] = None) -> np.ndarray:
    """The inputs to predict on: an NPZ's X, or the columns of a CSV file; with ``vocabulary``,
    as int64 token ids (``token_ids``). With the training CSV's ``layout`` (a ``Source``'s),
    the label column is left out when this file's header names it there, or when the file
    has no header and the training file's width (features and label)."""
    if path.endswith(".csv"):
        header, cells, lines = read_csv_cells(path, "input file")
        columns = list(range(len(cells[0])))
        if layout is not None and len(columns) == layout["width"]:
            index = layout["label_index"]
            named = layout["header"] and header and header[index] == layout["header"][index]
            if named or header is None:
                columns.remove(index)
        table = Table(path, _numbers(path, cells, lines, columns), None, lines)
    else:
        table = load_table(path)
    return table.features if vocabulary is None else token_ids(table, vocabulary)
