"""DataLoader: step 1 of the cheat sheet's weight update, "take a batch of training data".

Each pass (``for batch in loader``) draws indices from a sampler (``SequentialSampler``, or
``RandomSampler`` with ``shuffle=True``), groups them into batches (``BatchSampler``: the
last, smaller batch dropped with ``drop_last=True``, so len(loader) = ceil(N / batch_size),
or floor with drop_last), fetches each batch and collates it (``default_collate``).

With ``num_workers=k > 0`` the batches are fetched by k worker processes
(``multiprocessing``), each working on its own copy of the dataset: the main process deals
the batches' indices out to the workers in turn, keeping ``prefetch_factor`` batches per
worker in flight, and hands the batches back in the sampler's order (``in_order=True``), so
the batches are those of ``num_workers=0`` for the same seed. See ``gradsheet.data.worker``
for the seeding of the workers and ``get_worker_info``.
"""
from __future__ import annotations

import itertools
import math
import multiprocessing
import numbers
import os
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Sized
from multiprocessing import connection
from multiprocessing.context import BaseContext
from typing import TYPE_CHECKING, Any, Generic, NoReturn, Optional, TypeVar, Union, cast

import numpy as np

from .collate import default_collate, default_convert
from .dataset import Dataset, IterableDataset
from .sampler import (BatchSampler, RandomSampler, SequentialSampler, _InfiniteConstantSampler,
                      _seed_from)
from .worker import (STATUS_CHECK_INTERVAL, ExceptionReport, _IterationEnd, _Resume,
                     make_fetcher, worker_loop)

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess
    from multiprocessing.queues import Queue

    from .sampler import Sampler
    from .worker import IterableFetcher, MapFetcher

__all__ = ["DataLoader"]

T_co = TypeVar("T_co", covariant=True)

_SET_ONCE = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset", "persistent_workers")


def _describe(value: Any) -> str:
    return f"{type(value).__name__} {value!r}"[:120]


def _check_arguments(dataset: Any, sampler: Any, batch_sampler: Any, num_workers: Any,
                     collate_fn: Any, timeout: Any, prefetch_factor: Any) -> None:
    """The arguments' types, before anything uses them: a TypeError naming DataLoader, the
    argument and what it got (torch raises TypeErrors too, later and without the names).
    worker_init_fn is left alone: torch calls it only in workers, so without any a program
    may pass anything."""
    if not isinstance(dataset, IterableDataset) and not (
            hasattr(dataset, "__getitem__") or hasattr(dataset, "__getitems__")):
        raise TypeError(f"DataLoader: dataset must be a map-style dataset (with __getitem__ and "
                        f"__len__) or an IterableDataset, got {_describe(dataset)}")
    for name, value in (("sampler", sampler), ("batch_sampler", batch_sampler)):
        if value is not None and (isinstance(value, (str, bytes))
                                  or not hasattr(type(value), "__iter__")):
            raise TypeError(f"DataLoader: {name} must be an iterable of indices (a Sampler, a "
                            f"list), got {_describe(value)}")
    if collate_fn is not None and not callable(collate_fn):
        raise TypeError(f"DataLoader: collate_fn must be callable, got {_describe(collate_fn)}")
    if not isinstance(num_workers, numbers.Integral):  # (True is 1 worker, as in torch)
        raise TypeError(f"DataLoader: num_workers must be a non-negative integer, got "
                        f"{_describe(num_workers)}")
    for name, value in (("timeout", timeout), ("prefetch_factor", prefetch_factor)):
        if value is not None and not isinstance(value, numbers.Real):
            raise TypeError(f"DataLoader: {name} must be a number, got {_describe(value)}")


def _truth(name: str, value: Any) -> bool:
    """bool(value), its failure (a tensor of several values) re-raised naming the argument."""
    try:
        return bool(value)
    except (TypeError, ValueError, RuntimeError) as error:
        raise type(error)(f"DataLoader: {name} must be a bool, got {_describe(value)}: "
                          f"{error}") from None


def _length(dataset: Any) -> int:
    """len(dataset) for the default samplers, a TypeError naming DataLoader without one."""
    try:
        return len(dataset)
    except TypeError:
        raise TypeError(f"DataLoader: a map-style dataset needs __len__ for the default "
                        f"sampler (or pass sampler=), got {_describe(dataset)}") from None


class DataLoader(Generic[T_co]):
    """Iterate over ``dataset`` in batches, as PyTorch's ``torch.utils.data.DataLoader``.

    Args:
        dataset: a map-style Dataset (``dataset[i]``, ``len``) or an IterableDataset. A
            map-style one with ``get_batch(indices)`` (TensorDataset, a Subset of one) is
            fetched with one call per batch when no ``collate_fn`` is given; one with
            ``__getitems__(indices)`` gives each batch's samples in one call.
        batch_size: samples per batch; None turns batching off (each item is one sample,
            converted by ``default_convert``).
        shuffle: a new random order every pass (map-style datasets).
        sampler: an iterable of indices (with ``len``) in place of the default order;
            excludes ``shuffle``.
        batch_sampler: an iterable of lists of indices, one per batch; excludes
            ``batch_size``, ``shuffle``, ``sampler`` and ``drop_last``.
        num_workers: worker processes fetching batches; 0 fetches in the main process.
        collate_fn: turns a list of samples into a batch; default ``default_collate``.
        pin_memory: accepted for PyTorch programs. gradsheet computes on the CPU, where
            there is no pinned memory to copy into, so batches are returned as they are
            (with PyTorch's warning that no accelerator is found).
        drop_last: drop the last batch when it is smaller than ``batch_size``.
        timeout: seconds to wait for a batch from the workers (0: no limit); RuntimeError
            "DataLoader timed out after <timeout> seconds" past it.
        worker_init_fn: called as ``worker_init_fn(worker_id)`` in each worker, after
            seeding and before loading.
        multiprocessing_context: a start method ("fork", "spawn", "forkserver") or a
            ``multiprocessing`` context; default the platform's.
        generator: the ``numpy.random.Generator`` for shuffling and for the workers' base
            seed; default the one ``gradsheet.manual_seed`` seeds (read at each pass).
        prefetch_factor: batches in flight per worker (default 2 with workers).
        persistent_workers: keep the workers (and their dataset copies) between passes.
        pin_memory_device: deprecated in PyTorch; accepted and unused.
        in_order: hand batches back in the sampler's order (False: as they arrive).

    Example: ``for x, y in DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True): ...``
    """

    dataset: Dataset[T_co]
    batch_size: Optional[int]
    sampler: Union[Sampler[Any], Iterable[Any]]
    batch_sampler: Union[Sampler[list[Any]], Iterable[list[Any]], None]
    _initialized: bool
    _multiprocessing_context: Optional[BaseContext]
    _iterator: Optional[_MultiProcessIter]

    def __init__(self, dataset: Dataset[T_co], batch_size: Optional[int] = 1,
                 shuffle: Optional[bool] = None,
                 sampler: Union[Sampler[Any], Iterable[Any], None] = None,
                 batch_sampler: Union[Sampler[list[Any]], Iterable[list[Any]], None] = None,
                 num_workers: int = 0, collate_fn: Optional[Callable[[list[Any]], Any]] = None,
                 pin_memory: bool = False, drop_last: bool = False, timeout: float = 0,
                 worker_init_fn: Optional[Callable[[int], None]] = None,
                 multiprocessing_context: Union[str, BaseContext, None] = None,
                 generator: Optional[np.random.Generator] = None, *,
                 prefetch_factor: Optional[int] = None, persistent_workers: bool = False,
                 pin_memory_device: str = "", in_order: bool = True) -> None:
        object.__setattr__(self, "_initialized", False)
        _check_arguments(dataset, sampler, batch_sampler, num_workers, collate_fn, timeout,
                         prefetch_factor)
        if num_workers < 0:
            raise ValueError("DataLoader: num_workers option should be non-negative; use "
                             "num_workers=0 to disable multiprocessing.")
        if timeout < 0:
            raise ValueError(f"DataLoader: timeout option should be non-negative, got "
                             f"timeout={timeout!r}")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("DataLoader: prefetch_factor option could only be specified in "
                             "multiprocessing. Let num_workers > 0 to enable multiprocessing, "
                             "otherwise set prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError(f"DataLoader: prefetch_factor option should be non-negative, got "
                             f"prefetch_factor={prefetch_factor!r}")
        if persistent_workers and num_workers == 0:
            raise ValueError("DataLoader: persistent_workers option needs num_workers > 0")

        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.in_order = in_order

        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            if shuffle not in (False, None):
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle "
                                 f"option, but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified sampler "
                                 f"option, but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified "
                                 f"batch_sampler option, but got batch_sampler={batch_sampler}")
        else:
            shuffle = _truth("shuffle", shuffle)
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("DataLoader: batch_sampler option is mutually exclusive with "
                                 "batch_size, shuffle, sampler, and drop_last")
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError("DataLoader: batch_size=None option disables auto-batching and is "
                             "mutually exclusive with drop_last")
        if sampler is None:
            if self._iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                _length(dataset)
                sampler = RandomSampler(dataset, generator=generator)
            else:
                _length(dataset)
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
            batch_size = batch_sampler.batch_size

        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        # gradsheet's fast path: a dataset's get_batch stands in for default_collate
        self._use_get_batch = collate_fn is None and not self._iterable
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self._iterator = None
        object.__setattr__(self, "_initialized", True)
        self.check_worker_number_rationality()

    @property
    def multiprocessing_context(self) -> Optional[BaseContext]:
        """The multiprocessing context workers start from (None: the platform's default)."""
        return self._multiprocessing_context

    @multiprocessing_context.setter
    def multiprocessing_context(self, context: Union[str, BaseContext, None]) -> None:
        if context is not None:
            if self.num_workers == 0:
                raise ValueError(f"DataLoader: multiprocessing_context can only be used with "
                                 f"multi-process loading (num_workers > 0), but got "
                                 f"num_workers={self.num_workers}")
            if isinstance(context, str):
                methods = multiprocessing.get_all_start_methods()
                if context not in methods:
                    raise ValueError(f"DataLoader: multiprocessing_context option should specify "
                                     f"a valid start method in {methods!r}, but got "
                                     f"multiprocessing_context={context!r}")
                context = multiprocessing.get_context(context)
            if not isinstance(context, multiprocessing.context.BaseContext):
                raise TypeError(f"DataLoader: multiprocessing_context option should be a valid "
                                f"context object or a string specifying the start method, but "
                                f"got multiprocessing_context={context}")
        object.__setattr__(self, "_multiprocessing_context", context)

    def __setattr__(self, name: str, value: Any) -> None:
        if self._initialized and name in _SET_ONCE:
            raise ValueError(f"{name} attribute should not be set after "
                             f"{type(self).__name__} is initialized")
        super().__setattr__(name, value)

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    @property
    def _index_sampler(self) -> Union[Sampler[Any], Iterable[Any]]:
        return self.batch_sampler if self.batch_sampler is not None else self.sampler

    def __iter__(self) -> Iterator[Any]:
        if self.persistent_workers and self.num_workers > 0:
            if self._iterator is None or self._iterator._shutdown:
                self._iterator = _MultiProcessIter(self)
            else:
                self._iterator._reset(self)
            return self._iterator
        if self.num_workers == 0:
            return _SingleProcessIter(self)
        return _MultiProcessIter(self)

    def __len__(self) -> int:
        if self._iterable:
            length = len(self.dataset)
            if self.batch_size is not None:
                if self.drop_last:
                    return length // self.batch_size
                return math.ceil(length / self.batch_size)
            return length
        return len(cast(Sized, self._index_sampler))  # TypeError for a sampler without len

    def check_worker_number_rationality(self) -> None:
        """Warn (as PyTorch) when num_workers exceeds the CPUs this process may use."""
        if not self.num_workers:
            return
        cpus: Optional[int]
        if hasattr(os, "sched_getaffinity"):
            cpus, checked = len(os.sched_getaffinity(0)), True
        else:
            cpus, checked = os.cpu_count(), False
        if cpus is None or self.num_workers > cpus:
            note = "" if checked else " (`cpuset` is not taken into account)"
            suggestion = (f"Our suggested max number of worker in current system is {cpus}{note}, "
                          f"which is smaller than what this DataLoader is going to create."
                          if cpus is not None else
                          "DataLoader is not able to compute a suggested max number of worker "
                          "in current system.")
            warnings.warn(f"This DataLoader will create {self.num_workers} worker processes in "
                          f"total. {suggestion} Please be aware that excessive worker creation "
                          f"might get DataLoader running slow or even freeze, lower the worker "
                          f"number to avoid potential slowness/freeze if necessary.",
                          stacklevel=3)

    def __repr__(self) -> str:
        return (f"DataLoader({type(self.dataset).__name__}, batch_size={self.batch_size}, "
                f"sampler={type(self.sampler).__name__}, drop_last={self.drop_last}, "
                f"num_workers={self.num_workers})")


class _BaseIter:
    """What both iterators share: the index stream and the workers' base seed."""

    def __init__(self, loader: DataLoader[Any]) -> None:
        self._dataset = loader.dataset
        self._iterable = loader._iterable
        self._auto_collation = loader._auto_collation
        self._drop_last = loader.drop_last
        self._index_sampler = loader._index_sampler
        self._num_workers = loader.num_workers
        self._collate_fn = loader.collate_fn
        self._use_get_batch = loader._use_get_batch
        self._timeout = loader.timeout
        self._persistent_workers = loader.persistent_workers
        if loader.pin_memory and loader.pin_memory_device:
            warnings.warn(f"pin_memory_device is deprecated, the current accelerator will be used "
                          f"as the device,ignore pin_memory_device='{loader.pin_memory_device}'.",
                          stacklevel=3)
        if loader.pin_memory:
            warnings.warn("'pin_memory' argument is set as true but no accelerator is found, then "
                          "device pinned memory won't be used.", stacklevel=3)
        self._sampler_iter = self._indices()
        self._num_yielded = 0

    def _indices(self) -> Iterator[Any]:
        """An iterator over the batches' indices: lists, as PyTorch; int64 arrays when they go
        to a dataset's get_batch from a plain BatchSampler (faster to draw and to index with)."""
        sampler = self._index_sampler
        if (self._use_get_batch and getattr(self._dataset, "get_batch", None) is not None
                and type(sampler) is BatchSampler and sampler._whole_order()):
            return sampler._index_arrays()
        return iter(sampler)

    def __iter__(self) -> _BaseIter:
        return self

    def __len__(self) -> int:
        return len(cast(Sized, self._index_sampler))

    def __next__(self) -> Any:
        data = self._next_data()
        self._num_yielded += 1
        return data

    def _next_data(self) -> Any:
        raise NotImplementedError

    def _fetcher(self) -> Union[MapFetcher, IterableFetcher]:
        return make_fetcher(self._iterable, self._dataset, self._auto_collation,
                            self._collate_fn, self._drop_last, self._use_get_batch)


class _SingleProcessIter(_BaseIter):
    """Fetch each batch in the main process, when it is asked for."""

    def __init__(self, loader: DataLoader[Any]) -> None:
        if loader.timeout != 0:
            raise ValueError(f"DataLoader: timeout={loader.timeout!r} applies to worker "
                             f"processes; with num_workers=0 it must be 0 (as PyTorch)")
        super().__init__(loader)
        self._fetch = self._fetcher().fetch

    def _next_data(self) -> Any:
        return self._fetch(next(self._sampler_iter))


class _MultiProcessIter(_BaseIter):
    """Deal batches out to worker processes and collect them back in order.

    Task t (the t-th batch of the pass) goes to the next active worker in turn; at most
    ``prefetch_factor * num_workers`` tasks are in flight. Each worker answers on its own
    pipe; the iterator waits on those pipes and on the workers' process sentinels together,
    so a worker that dies is noticed at once (RuntimeError) rather than waited for.
    """

    def __init__(self, loader: DataLoader[Any]) -> None:
        super().__init__(loader)
        self._shutdown = True  # until the workers exist
        if not loader.prefetch_factor or loader.prefetch_factor <= 0:
            raise ValueError(f"DataLoader: prefetch_factor must be greater than 0 with workers, "
                             f"got prefetch_factor={loader.prefetch_factor!r}")
        self._prefetch_factor = loader.prefetch_factor
        self._in_order = loader.in_order
        # The sampler draws its order first, then the base seed is drawn (from the same
        # generator): so the order is the one num_workers=0 draws (which needs no base seed).
        self._sampler_iter = self._primed(self._sampler_iter)
        self._base_seed = _seed_from(loader.generator)
        # (typeshed's BaseContext lacks Process, which every concrete context has)
        context = cast(Any, loader.multiprocessing_context or multiprocessing.get_context())
        self._workers: list[BaseProcess] = []
        self._index_queues: list[Queue[Any]] = []
        self._conns: list[Connection] = []
        # set on shutdown: idle workers see it within IDLE_CHECK_INTERVAL even when the
        # None sent on their queues cannot arrive (a queue's feeder thread is stopped when the
        # garbage collector takes it together with this iterator)
        self._done_event = context.Event()
        self._shutdown = False
        try:
            for worker_id in range(self._num_workers):
                index_queue = context.Queue()
                index_queue.cancel_join_thread()
                reader, writer = context.Pipe(duplex=False)
                process = context.Process(
                    target=worker_loop, daemon=True,
                    args=(self._iterable, self._dataset, index_queue, writer, self._done_event,
                          self._auto_collation, self._collate_fn, self._drop_last,
                          self._use_get_batch, self._base_seed, loader.worker_init_fn,
                          worker_id, self._num_workers))
                self._index_queues.append(index_queue)
                self._conns.append(reader)
                try:
                    process.start()
                finally:
                    writer.close()  # the worker holds its end; EOF here once it is gone
                self._workers.append(process)
            self._reset(loader, first=True)
        except BaseException:
            self._shutdown_workers()
            raise

    @staticmethod
    def _primed(indices: Iterator[Any]) -> Iterator[Any]:
        """``indices`` with its first item already drawn (so a lazy sampler has drawn)."""
        try:
            first = next(indices)
        except StopIteration:
            return iter(())
        return itertools.chain([first], indices)

    def _reset(self, loader: DataLoader[Any], first: bool = False) -> None:
        if not first:
            self._sampler_iter = self._indices()
        self._num_yielded = 0
        self._send_idx = 0   # the next task to send
        self._rcvd_idx = 0   # the next task to hand back
        self._task_worker: dict[int, int] = {}  # task -> the worker it went to, until handed back
        self._results: dict[int, Any] = {}     # task -> its batch, arrived ahead of its turn
        self._outstanding = 0
        self._active = [True] * self._num_workers
        self._pending = [0] * self._num_workers
        self._cycle = itertools.cycle(range(self._num_workers))
        if not first:
            # persistent workers: restart their iterators; drop answers left from the last pass
            for index_queue in self._index_queues:
                index_queue.put(_Resume())
            waiting = set(range(self._num_workers))
            while waiting:
                worker_id, (task, _) = self._receive(sorted(waiting))
                if isinstance(task, _Resume):
                    waiting.discard(worker_id)
        for _ in range(self._prefetch_factor * self._num_workers):
            self._try_put_index()

    def _try_put_index(self) -> None:
        max_tasks = self._prefetch_factor * self._num_workers
        if self._outstanding >= max_tasks:
            return
        active = [w for w in range(self._num_workers) if self._active[w]]
        if not active:
            return
        try:
            index = next(self._sampler_iter)
        except StopIteration:
            return
        share = -(-max_tasks // len(active))
        for _ in range(self._num_workers):
            worker_id = next(self._cycle)
            if self._active[worker_id] and (self._in_order or self._pending[worker_id] < share):
                break
        else:
            worker_id = min(active, key=self._pending.__getitem__)
        self._index_queues[worker_id].put((self._send_idx, index))
        self._task_worker[self._send_idx] = worker_id
        self._pending[worker_id] += 1
        self._outstanding += 1
        self._send_idx += 1

    def _receive(self, worker_ids: Iterable[int]) -> tuple[int, Any]:
        """(worker id, message) of the first message from one of ``worker_ids``; RuntimeError
        when one of them has died, or when nothing came within the timeout."""
        conns = {self._conns[w]: w for w in worker_ids}
        sentinels = {self._workers[w].sentinel: w for w in worker_ids}
        deadline = time.monotonic() + self._timeout if self._timeout > 0 else None
        while True:
            wait_for = STATUS_CHECK_INTERVAL * 10
            if deadline is not None:
                wait_for = max(0.0, min(wait_for, deadline - time.monotonic()))
            ready = connection.wait(list(conns) + list(sentinels), timeout=wait_for)
            for item in ready:
                if item in conns:
                    try:
                        return conns[item], item.recv()
                    except (EOFError, OSError):
                        self._died([conns[item]])
            dead = [sentinels[item] for item in ready if item in sentinels]
            if dead:
                self._died(dead)
            if deadline is not None and time.monotonic() >= deadline:
                raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds")

    def _died(self, worker_ids: Iterable[int]) -> NoReturn:
        workers = [self._workers[w] for w in sorted(set(worker_ids))]
        for process in workers:
            process.join(timeout=STATUS_CHECK_INTERVAL)
        pids = ", ".join(str(p.pid) for p in workers)
        codes = ", ".join(str(p.exitcode) for p in workers)
        self._shutdown_workers()
        raise RuntimeError(f"DataLoader worker (pid(s) {pids}) exited unexpectedly (exit code(s) "
                           f"{codes}; a negative code -N is the signal N that ended it)")

    def _next_data(self) -> Any:
        if self._shutdown:
            raise StopIteration
        while True:
            while self._rcvd_idx < self._send_idx:
                worker_id = self._task_worker.get(self._rcvd_idx)
                if worker_id is not None and (self._rcvd_idx in self._results
                                              or self._active[worker_id]):
                    break
                self._task_worker.pop(self._rcvd_idx, None)  # its worker's stream has ended
                self._rcvd_idx += 1
            else:
                if not self._persistent_workers:
                    self._shutdown_workers()
                raise StopIteration
            task = self._rcvd_idx
            if task in self._results:
                self._rcvd_idx += 1
                return self._process(self._results.pop(task), self._task_worker.pop(task))
            worker_id, (task, data) = self._receive(
                [w for w in range(self._num_workers) if self._active[w]])
            self._pending[worker_id] -= 1
            self._outstanding -= 1
            if isinstance(data, _IterationEnd):
                self._deactivate(worker_id)
                self._try_put_index()
                continue
            if task != self._rcvd_idx:
                if not self._in_order:
                    return self._process(data, self._task_worker.pop(task))
                self._results[task] = data
                continue
            self._rcvd_idx += 1
            return self._process(data, self._task_worker.pop(task))

    def _process(self, data: Any, worker_id: int) -> Any:
        self._try_put_index()
        if isinstance(data, ExceptionReport):
            data.reraise()
        return data

    def _deactivate(self, worker_id: int) -> None:
        """A worker whose IterableDataset copy is exhausted gets no more tasks; the tasks it
        still holds will only answer 'ended'."""
        self._active[worker_id] = False
        self._outstanding -= self._pending[worker_id]
        self._pending[worker_id] = 0
        if not self._persistent_workers:
            self._index_queues[worker_id].put(None)

    def _shutdown_workers(self) -> None:
        if self._shutdown:
            return
        self._shutdown = True
        try:
            self._done_event.set()
            for index_queue in self._index_queues:
                try:
                    index_queue.put(None)
                except (OSError, ValueError):
                    pass
            # drain the pipes so that a worker blocked on sending a batch can read its None
            deadline = time.monotonic() + 2 * STATUS_CHECK_INTERVAL
            conns = {conn: w for w, conn in enumerate(self._conns)}
            while time.monotonic() < deadline:
                alive = [p for p in self._workers if p.is_alive()]
                if not alive:
                    break
                try:
                    ready = connection.wait(list(conns) + [p.sentinel for p in alive],
                                            timeout=STATUS_CHECK_INTERVAL)
                except (OSError, ValueError):  # the pipes were closed by the garbage collector
                    conns = {}
                    continue
                for item in ready:
                    if item in conns:
                        try:
                            item.recv()
                        except (EOFError, OSError):
                            del conns[item]
        finally:
            for process in self._workers:
                if process.is_alive():
                    process.terminate()
                    process.join(timeout=STATUS_CHECK_INTERVAL)
            for closable in self._conns + self._index_queues:
                try:
                    closable.close()
                except (OSError, ValueError):
                    pass

    def __del__(self) -> None:
        try:
            self._shutdown_workers()
        except Exception:
            pass
