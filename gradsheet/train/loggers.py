"""Loggers: callbacks that write the logged values of every epoch to files.

CSVLogger writes one CSV row per epoch (Keras' ``CSVLogger``). TensorBoard writes event files
that TensorBoard reads (``tensorboard --logdir DIR``), through the ``tensorboard`` package's
writer (``pip install gradsheet[tensorboard]``), laid out as Keras' ``TensorBoard`` callback
lays them out: ``DIR/train`` and ``DIR/validation``, with the scalars ``epoch_loss``,
``epoch_accuracy``, ... in each, so that TensorBoard draws the training and validation
curves of a value on one chart.

Under a process group only rank 0 writes (``callbacks.is_writer``).
"""
from __future__ import annotations

import csv
import io
import os
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Optional, Union

import numpy as np

from ..io.files import write_atomically
from .callbacks import Callback, is_writer

if TYPE_CHECKING:
    from .callbacks import Logs


def _csv_value(value: Any) -> Any:
    """A cell as Keras writes it: strings and numbers as they are, a sequence as "[a, b]"."""
    if isinstance(value, str) or np.ndim(value) == 0:
        return value
    return f"[{', '.join(map(str, value))}]"


class CSVLogger(Callback):
    """Write each epoch's logs as a row of ``filename``, as Keras' ``CSVLogger``.

    The columns are ``epoch`` (counted from 0, as Keras) and the names logged by the first
    epoch, sorted (loss, lr, val_accuracy, ...); a later epoch missing a name writes ``NA``
    there, and names first logged later are not written. After every row the whole file is
written again through gradsheet's atomic writer (``io.files``): a run killed at any moment
leaves the file as it was after some epoch, never a half-written row.

    Args:
        filename: the CSV file.
        separator: the field delimiter.
        append: add rows to an existing file (e.g. when resuming: the header is written
            only when the file is empty or new) instead of overwriting it.
    """

    def __init__(self, filename: Union[str, os.PathLike], separator: str = ",",
                 append: bool = False) -> None:
        self.filename, self.separator, self.append = os.fspath(filename), separator, append
        self.keys: Optional[list[str]] = None
        self._text: Optional[str] = None

    def on_train_begin(self, logs: Logs = None) -> None:
        """Start the file's text: what it holds (to append) or nothing (to overwrite); forget
        the columns of a former run."""
        self.keys = self._text = None
        if not is_writer():
            return
        self._text = ""
        if self.append and os.path.exists(self.filename):
            with open(self.filename, newline="") as f:
                self._text = f.read()

    def on_epoch_end(self, epoch: int, logs: Logs = None) -> None:
        """Add the epoch's row (and, before the first, the header when the file had none) and
        write the file."""
        if self._text is None:
            return
        logs = logs or {}
        out = io.StringIO()
        writer = csv.writer(out, delimiter=self.separator)
        if self.keys is None:
            self.keys = sorted(logs)
            if not self._text:
                writer.writerow(["epoch", *self.keys])
        writer.writerow([epoch, *(_csv_value(logs.get(key, "NA")) for key in self.keys)])
        self._text += out.getvalue()
        write_atomically(self.filename, self._text)

    def on_train_end(self, logs: Logs = None) -> None:
        """Nothing left to write: every row was written at its epoch's end."""
        self.keys = self._text = None


def _tensorboard() -> tuple[Any, ...]:
    """The tensorboard package's protobufs and event-file writer (imported on first use)."""
    try:
        from tensorboard.compat.proto import event_pb2, summary_pb2, tensor_pb2, tensor_shape_pb2
        from tensorboard.plugins.text import plugin_data_pb2
        from tensorboard.summary.writer.event_file_writer import EventFileWriter
    except ImportError as error:
        raise ImportError("TensorBoard: writing event files needs the tensorboard package: "
                          "pip install gradsheet[tensorboard]") from error
    return event_pb2, summary_pb2, tensor_pb2, tensor_shape_pb2, plugin_data_pb2, EventFileWriter


def scalar_value(tag: str, value: float) -> Any:
    """A Summary value TensorBoard draws as a point of the scalar chart ``tag``."""
    summary_pb2 = _tensorboard()[1]
    return summary_pb2.Summary.Value(tag=tag, simple_value=float(value))


def histogram_value(tag: str, values: Any, bins: int = 30) -> Any:
    """A Summary value for TensorBoard's histogram of ``values`` (the finite ones), or None
    when there are none: ``bins`` equal-width buckets, bucket i counting the values up to
    ``bucket_limit[i]`` (its right edge) from the edge before it."""
    summary_pb2 = _tensorboard()[1]
    finite = np.asarray(values, dtype=np.float64).ravel()
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        return None
    counts, edges = np.histogram(finite, bins=bins)
    histogram = summary_pb2.HistogramProto(
        min=float(finite.min()), max=float(finite.max()), num=float(finite.size),
        sum=float(finite.sum()), sum_squares=float(np.dot(finite, finite)),
        bucket_limit=edges[1:].tolist(), bucket=counts.astype(np.float64).tolist())
    return summary_pb2.Summary.Value(tag=tag, histo=histogram)


def text_value(tag: str, text: str) -> Any:
    """A Summary value for TensorBoard's Text tab (which renders Markdown)."""
    _, summary_pb2, tensor_pb2, tensor_shape_pb2, plugin_data_pb2, _ = _tensorboard()
    plugin = summary_pb2.SummaryMetadata.PluginData(
        plugin_name="text", content=plugin_data_pb2.TextPluginData(version=0).SerializeToString())
    tensor = tensor_pb2.TensorProto(
        dtype="DT_STRING", string_val=[text.encode("utf-8")],
        tensor_shape=tensor_shape_pb2.TensorShapeProto(dim=[
            tensor_shape_pb2.TensorShapeProto.Dim(size=1)]))
    return summary_pb2.Summary.Value(
        tag=tag, metadata=summary_pb2.SummaryMetadata(plugin_data=plugin), tensor=tensor)


def _number(value: Any) -> Optional[float]:
    """``value`` as a float, or None for what is not a number (a string, an array)."""
    try:
        return float(value) if np.ndim(value) == 0 else None
    except (TypeError, ValueError):
        return None


class TensorBoard(Callback):
    """Write event files for TensorBoard (``tensorboard --logdir log_dir``), as Keras'
    ``TensorBoard`` callback: under ``log_dir/train`` and ``log_dir/validation``.

    Written, with the epoch (from 0) as the step:

    - per epoch, the scalar ``epoch_NAME`` of every logged value: ``train`` gets loss, the
      metrics and lr (and what other callbacks logged, e.g. LearningRateMonitor's), and
      ``validation`` the ``val_`` values under the same names (val_loss as ``epoch_loss``);
    - every ``histogram_freq`` epochs, a histogram of each parameter, tagged with its name
      (``0.weight``; the finite values, 30 buckets) in ``train``;
    - with ``write_graph``, the model's layer list (its ``repr``) as text tagged ``model``,
      at step 0 in ``train``;
    - with ``update_freq`` an int N, every N batches the running means as ``batch_NAME``,
      the step counting batches over all epochs.

    Args:
        log_dir: the folder (made when missing).
        histogram_freq: epochs between weight histograms; 0 writes none (Keras' default is 0).
        write_graph: write the model's layer list.
        update_freq: "epoch", or the number of batches between batch-level scalars.

    Raises ValueError for a negative ``histogram_freq`` or an ``update_freq`` other than
    "epoch" or an int >= 1; ImportError naming the extra when the tensorboard package is
    missing (when training starts).
    """

    def __init__(self, log_dir: Union[str, os.PathLike] = "logs", histogram_freq: int = 1,
                 write_graph: bool = True, update_freq: Union[str, int] = "epoch") -> None:
        if not isinstance(histogram_freq, int) or histogram_freq < 0:
            raise ValueError(f"TensorBoard: histogram_freq must be an int >= 0, got "
                             f"{histogram_freq!r}")
        if update_freq != "epoch" and not (isinstance(update_freq, int) and update_freq >= 1):
            raise ValueError(f"TensorBoard: update_freq must be 'epoch' or an int >= 1, got "
                             f"{update_freq!r}")
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq, self.write_graph, self.update_freq = (
            histogram_freq, write_graph, update_freq)
        self._writers: dict[str, Any] = {}  # run -> its EventFileWriter
        self._epoch = 0

    def _write(self, run: str, step: int, values: Iterable[Any]) -> None:
        """One event at ``step`` holding the Summary ``values`` (None ones left out), in the
        event file of ``log_dir/run`` (opened on first use)."""
        given = [value for value in values if value is not None]
        if not given or not is_writer():
            return
        event_pb2, summary_pb2, *_, EventFileWriter = _tensorboard()
        if run not in self._writers:
            self._writers[run] = EventFileWriter(os.path.join(self.log_dir, run))
        self._writers[run].add_event(event_pb2.Event(
            wall_time=time.time(), step=step, summary=summary_pb2.Summary(value=given)))

    def on_train_begin(self, logs: Logs = None) -> None:
        """Check that tensorboard is installed, and write the model's layer list."""
        _tensorboard()
        self._close()
        if self.write_graph and self.model is not None:
            layers = "\n".join("    " + line for line in repr(self.model).splitlines())
            self._write("train", 0, [text_value("model", layers)])

    def on_epoch_begin(self, epoch: int, logs: Logs = None) -> None:
        """Remember the epoch, for the batches' global step."""
        self._epoch = epoch

    def on_batch_end(self, batch: int, logs: Logs = None) -> None:
        """With an int ``update_freq``, the running means every ``update_freq`` batches."""
        if self.update_freq == "epoch":
            return
        step = self._epoch * self._fit_params()["steps"] + batch + 1
        if step % self.update_freq == 0:
            self._write("train", step, [scalar_value(f"batch_{name}", value)
                                        for name, value in (logs or {}).items()
                                        if _number(value) is not None])

    def on_epoch_end(self, epoch: int, logs: Logs = None) -> None:
        """The epoch's scalars (train and validation) and, when due, the weight histograms."""
        runs: dict[str, list[Any]] = {"train": [], "validation": []}
        for name, value in (logs or {}).items():
            if _number(value) is None:
                continue
            run, name = ("validation", name[4:]) if name.startswith("val_") else ("train", name)
            runs[run].append(scalar_value(f"epoch_{name}", value))
        if self.histogram_freq and epoch % self.histogram_freq == 0 and self.model is not None:
            runs["train"] += [histogram_value(name, parameter.array)
                              for name, parameter in self.model.named_parameters()]
        for run, values in runs.items():
            self._write(run, epoch, values)
        for writer in self._writers.values():
            writer.flush()

    def on_train_end(self, logs: Logs = None) -> None:
        """Close the event files."""
        self._close()

    def _close(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers = {}
