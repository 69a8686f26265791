"""DataLoader worker processes: what runs in each, and ``get_worker_info``.

A worker (one process of ``DataLoader(num_workers=k)``) seeds itself, then loops: take a
task (a task number and the indices of one batch) from its index queue, fetch and collate
the batch from its copy of the dataset, send ``(task number, batch)`` back on its result
pipe. Worker w's seed is ``base_seed + w``, where the DataLoader draws ``base_seed`` (63 bits)
from its ``generator`` (or gradsheet's seeded one) each time an iterator starts, as PyTorch;
the seed goes to gradsheet's generator (``gs.manual_seed``), Python's ``random`` and, through
a SeedSequence of (worker id, base seed), NumPy's legacy global ``np.random`` state. An
exception is sent back as a report (worker id, the sample index, the traceback) that the
main process re-raises; the loop ends on ``None``, when the loader sets its ``done_event``
(shutting down), or when the parent process is gone.
"""
from __future__ import annotations

import dataclasses
import os
import queue
import random
import traceback
from collections.abc import Callable, Iterable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any, Optional, Union

import numpy as np

from .. import backend

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.synchronize import Event

__all__ = ["WorkerInfo", "get_worker_info"]

# how often (seconds) a waiting process looks whether the other side is still alive
STATUS_CHECK_INTERVAL = 0.5
# how often an idle worker looks whether the loader is done with it (or its parent is gone)
IDLE_CHECK_INTERVAL = 0.1

_worker_info: Optional[WorkerInfo] = None


@dataclasses.dataclass(frozen=True)
class WorkerInfo:
    """What ``get_worker_info()`` returns in a worker: its ``id`` (0 .. num_workers - 1), the
    ``num_workers``, the ``seed`` it was seeded with (base_seed + id) and ``dataset``, the
    worker's own copy of the dataset. Immutable, as PyTorch's."""

    id: int
    num_workers: int
    seed: int
    dataset: object


def get_worker_info() -> Optional[WorkerInfo]:
    """The WorkerInfo of the DataLoader worker process calling it; None in the main process.

    Example (an IterableDataset that shards its stream across workers)::

        def __iter__(self):
            info = get_worker_info()
            if info is None:
                return iter(range(self.n))
            return iter(range(info.id, self.n, info.num_workers))
    """
    return _worker_info


def numpy_seed(base_seed: int, worker_id: int) -> np.ndarray:
    """Four 32-bit words for ``np.random.seed`` in worker ``worker_id``: a SeedSequence of
    (worker id, base seed's low and high 32 bits)."""
    words = [worker_id, base_seed & 0xFFFFFFFF, base_seed >> 32]
    return np.random.SeedSequence(words).generate_state(4)


def seed_worker(base_seed: int, worker_id: int) -> int:
    """Seed gradsheet's generator, ``random`` and NumPy's global state for one worker;
    returns the seed, base_seed + worker_id."""
    seed = base_seed + worker_id
    random.seed(seed)
    backend.manual_seed(seed)
    np.random.seed(numpy_seed(base_seed, worker_id))
    return seed


@dataclasses.dataclass(frozen=True)
class _IterationEnd:
    """A worker's reply when its IterableDataset copy has no more samples."""

    worker_id: int


@dataclasses.dataclass(frozen=True)
class _Resume:
    """Sent to persistent workers when a new pass starts: restart the dataset's iterator."""


class _KeyErrorMessage(str):
    """A KeyError's message shown as it is (KeyError shows repr() of its argument)."""

    def __repr__(self) -> str:
        return str(self)


class ExceptionReport:
    """An exception raised in a worker, carried to the main process and raised there.

    ``reraise()`` raises the original exception type (RuntimeError when that type cannot be
    built from one message) with "Caught <type> in DataLoader worker process <id> <where>."
    followed by the worker's traceback, which ends with the original type and message.
    """

    def __init__(self, worker_id: int, where: str,
                 exc_info: tuple[Optional[type[BaseException]], Optional[BaseException],
                                 Optional[TracebackType]]) -> None:
        exc_type = exc_info[0]
        assert exc_type is not None  # made while an exception is handled (sys.exc_info())
        self.exc_type: type[BaseException] = exc_type
        self.worker_id = worker_id
        self.where = where
        self.text = "".join(traceback.format_exception(*exc_info))

    def message(self) -> str:
        """The text the re-raised exception carries."""
        where = f" {self.where}" if self.where else ""
        return (f"Caught {self.exc_type.__name__} in DataLoader worker process "
                f"{self.worker_id}{where}.\nOriginal {self.text}")

    def reraise(self) -> None:
        """Raise the worker's exception in this process."""
        msg = self.message()
        if issubclass(self.exc_type, KeyError):
            msg = _KeyErrorMessage(msg)
        try:
            exception = self.exc_type(msg)
        except Exception:
            raise RuntimeError(msg) from None
        raise exception


_STAGES = {
    "sample": "while loading sample index {!r}",
    "batch": "while loading the batch of sample indices {!r}",
    "collate": "in collate_fn, collating the samples at indices {!r}",
    "stream": "while loading sample {} of its stream",
    "stream collate": "in collate_fn",
}


def _plain(index: Any) -> Any:
    """Indices as plain Python values, for messages (an array becomes a list of ints)."""
    return index.tolist() if isinstance(index, np.ndarray) else index


class _Fetcher:
    """What the fetchers share: ``where``, the last fetch's stage in words, for error reports
    (kept as a stage and a value, put into words only when a fetch fails)."""

    _stage: str = ""
    _at: Any = None

    @property
    def where(self) -> str:
        """The stage of the last fetch, e.g. "while loading sample index 13"."""
        if not self._stage:
            return ""
        return _STAGES[self._stage].format(_plain(self._at))


class MapFetcher(_Fetcher):
    """Fetch one batch of a map-style dataset: ``get_batch(indices)`` (gradsheet's collated
    batch, used when ``use_get_batch``), else ``collate_fn(__getitems__(indices))``, else
    ``collate_fn([dataset[i] for i in indices])``; without auto-collation one sample,
    ``collate_fn(dataset[index])``."""

    def __init__(self, dataset: Any, auto_collation: bool, collate_fn: Callable[[Any], Any],
                 drop_last: bool, use_get_batch: bool) -> None:
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.get_batch = getattr(dataset, "get_batch", None) if use_get_batch else None
        getitems = getattr(dataset, "__getitems__", None)
        self.getitems = getitems if callable(getitems) else None

    def fetch(self, index: Any) -> Any:
        """The batch (or sample) for ``index``, a list of indices (or one index)."""
        if not self.auto_collation:
            data = self._sample(index)
        elif self.get_batch is not None:
            self._stage, self._at = "batch", index
            return self.get_batch(index)
        elif self.getitems is not None:
            self._stage, self._at = "batch", index
            data = self.getitems(index)
        else:
            data = [self._sample(i) for i in index]
        self._stage, self._at = "collate", index
        return self.collate_fn(data)

    def _sample(self, index: Any) -> Any:
        """dataset[index]; a KeyError (a dict, or a mapping without the sampler's indices)
        re-raised as a KeyError naming DataLoader and the index, the original chained."""
        self._stage, self._at = "sample", index
        try:
            return self.dataset[index]
        except KeyError as error:
            raise KeyError(f"DataLoader: dataset[{index!r}] raised KeyError {error} (the default "
                           f"samplers draw the indices 0 to len(dataset) - 1)") from error


class IterableFetcher(_Fetcher):
    """Fetch the next batch (``len(index)`` samples) or sample of an IterableDataset's
    iterator; StopIteration once the stream is exhausted (a short last batch is kept, or
    dropped with ``drop_last``)."""

    def __init__(self, dataset: Iterable[Any], auto_collation: bool,
                 collate_fn: Callable[[Any], Any], drop_last: bool,
                 use_get_batch: bool = False) -> None:
        self.dataset_iter: Iterator[Any] = iter(dataset)
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self.ended = False
        self.count = 0

    def fetch(self, index: Any) -> Any:
        """The next batch of the stream (``index`` only gives its size)."""
        if self.ended:
            raise StopIteration
        self._stage, self._at = "stream", self.count
        if not self.auto_collation:
            data = next(self.dataset_iter)
            self.count += 1
        else:
            data = []
            for _ in index:
                self._at = self.count
                try:
                    data.append(next(self.dataset_iter))
                except StopIteration:
                    self.ended = True
                    break
                self.count += 1
            if not data or (self.drop_last and len(data) < len(index)):
                raise StopIteration
        self._stage = "stream collate"
        return self.collate_fn(data)


def make_fetcher(iterable: bool, dataset: Any, auto_collation: bool,
                 collate_fn: Callable[[Any], Any], drop_last: bool,
                 use_get_batch: bool) -> Union[MapFetcher, IterableFetcher]:
    """The fetcher for a dataset of either kind."""
    kind: Union[type[MapFetcher], type[IterableFetcher]] = \
        IterableFetcher if iterable else MapFetcher
    return kind(dataset, auto_collation, collate_fn, drop_last, use_get_batch)


def _send(conn: Connection, task: Any, payload: Any, worker_id: int) -> bool:
    """Send ``(task, payload)``; a payload that cannot be pickled is reported instead.
    False when the main process has gone."""
    try:
        conn.send((task, payload))
    except (BrokenPipeError, EOFError, ConnectionError):
        return False
    except Exception as error:  # e.g. a batch that cannot be pickled
        wrapped = RuntimeError(f"the batch could not be sent to the main process: "
                               f"{type(error).__name__}: {error}")
        wrapped.__cause__ = error
        report = ExceptionReport(worker_id, "while sending a batch",
                                 (RuntimeError, wrapped, error.__traceback__))
        try:
            conn.send((task, report))
        except (BrokenPipeError, EOFError, ConnectionError):
            return False
    return True


def worker_loop(iterable: bool, dataset: Any, index_queue: Any, conn: Connection,
                done_event: Event, auto_collation: bool, collate_fn: Callable[[Any], Any],
                drop_last: bool, use_get_batch: bool, base_seed: int,
                init_fn: Optional[Callable[[int], None]], worker_id: int,
                num_workers: int) -> None:
    """The body of a worker process (see the module docstring)."""
    import sys
    global _worker_info
    try:
        seed = seed_worker(base_seed, worker_id)
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed,
                                  dataset=dataset)
        init_error: Optional[ExceptionReport] = None
        fetcher: Optional[Union[MapFetcher, IterableFetcher]] = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = make_fetcher(iterable, dataset, auto_collation, collate_fn, drop_last,
                                   use_get_batch)
        except Exception:
            where = "in worker_init_fn" if fetcher is None and init_fn is not None else ""
            init_error = ExceptionReport(worker_id, where, sys.exc_info())
        ended = False
        parent = os.getppid()
        while True:
            try:
                message = index_queue.get(timeout=IDLE_CHECK_INTERVAL)
            except queue.Empty:
                if done_event.is_set() or os.getppid() != parent:
                    break
                continue
            if message is None or done_event.is_set():
                break
            if isinstance(message, _Resume):
                ended = False
                try:
                    fetcher = make_fetcher(iterable, dataset, auto_collation, collate_fn,
                                           drop_last, use_get_batch)
                except Exception:
                    init_error = ExceptionReport(worker_id, "", sys.exc_info())
                if not _send(conn, message, None, worker_id):
                    break
                continue
            task, index = message
            payload: Any
            if init_error is not None:
                payload = init_error
            elif ended:
                payload = _IterationEnd(worker_id)
            else:
                assert fetcher is not None  # made, or init_error would be set
                try:
                    payload = fetcher.fetch(index)
                except StopIteration:
                    if not iterable:
                        payload = ExceptionReport(worker_id, fetcher.where, sys.exc_info())
                    else:
                        payload = _IterationEnd(worker_id)
                        ended = True
                except Exception:
                    payload = ExceptionReport(worker_id, fetcher.where, sys.exc_info())
            if not _send(conn, task, payload, worker_id):
                break
            del payload, message, index
    except KeyboardInterrupt:
        pass
