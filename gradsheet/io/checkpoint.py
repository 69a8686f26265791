"""Checkpoints: everything a training run needs to continue exactly where it stopped.

A checkpoint is one safetensors file. Its tensors are every array of the run (the model's
state dict under ``model.``, the optimizer's moment estimates under ``optimizer.``, ...);
its metadata is JSON for everything else (epoch, global step, the optimizer's structure and
hyper-parameters, the scheduler, the random generators' states, the History, the callbacks'
states, ``extra``),
with each array replaced by the name of its tensor. Nothing is pickled: loading runs no code.

A SHA-256 digest of the JSON and of every array, stored beside them, makes damage
detectable: a truncated or corrupted file raises ValueError naming it, and nothing is
loaded. Writes are atomic (``io.save``): a crash mid-write leaves the previous file as it was.

Resuming is exact: the generators' states (``bit_generator.state``) saved at an epoch boundary
and restored before the next epoch make its shuffles and dropout masks the ones an
uninterrupted run draws, so ``fit(..., resume_from=...)`` ends bit for bit where one long
run would.

    save_checkpoint("ckpt.safetensors", model, optimizer, epoch=3, step=96, history=history)
    checkpoint = restore_checkpoint("ckpt.safetensors", model, optimizer)   # -> dict
"""
from __future__ import annotations

import copy
import glob
import hashlib
import json
import os
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Optional, Protocol, Union

import numpy as np
from safetensors import SafetensorError, safe_open

from .. import backend
from ..autograd.tensor import Tensor, as_tensor
from .files import check_regular
from .serialization import save_arrays

if TYPE_CHECKING:
    from .._typing import PathLike
    from ..nn import Module
    from ..optim import Optimizer
    from ..optim.lr_scheduler import LRScheduler, ReduceLROnPlateau

    # a learning-rate scheduler (ReduceLROnPlateau is one of its own, as in torch < 2.2)
    Scheduler = Union[LRScheduler, ReduceLROnPlateau]


class _Saved(Protocol):
    """What a checkpoint keeps of a History (gradsheet.train's, which io does not import): its
    state as plain data."""

    def state_dict(self) -> dict[str, Any]: ...


class _Stateful(_Saved, Protocol):
    """A Callback as a checkpoint sees it: its state as plain data, and the way back."""

    def load_state_dict(self, state: dict[str, Any]) -> Any: ...

FORMAT = "gradsheet.checkpoint"
VERSION = 1

# One-key JSON objects that stand for values JSON has no type for; a plain dict that would
# read as one of them is written in the "items" form instead, so decoding is unambiguous.
_MARKERS = ("array", "tensor", "scalar", "tuple", "items", "counter")


class _Packer:
    """Nested dicts/lists/tuples of arrays, Tensors and numbers -> JSON values + named arrays."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}

    def _store(self, array: np.ndarray, where: str) -> str:
        name = where
        while name in self.arrays:  # a key holding '.' can spell another path
            name += "'"
        self.arrays[name] = array
        return name

    def pack(self, value: Any, where: str) -> Any:
        """The JSON value for ``value`` (at the path ``where``), its arrays stored by name."""
        if isinstance(value, Tensor):
            return {"tensor": self._store(value.array, where)}
        if isinstance(value, np.ndarray):
            return {"array": self._store(value, where)}
        if isinstance(value, np.generic):
            return {"scalar": self._store(np.asarray(value), where)}
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if isinstance(value, (list, tuple)):
            items = [self.pack(v, f"{where}.{i}") for i, v in enumerate(value)]
            return items if isinstance(value, list) else {"tuple": items}
        if isinstance(value, dict):
            items = [[self.pack(k, f"{where}.key"), self.pack(v, f"{where}.{k}")]
                     for k, v in value.items()]
            if isinstance(value, Counter):
                return {"counter": items}
            plain = all(isinstance(k, str) for k in value) \
                and not (len(value) == 1 and next(iter(value)) in _MARKERS)
            return {k: v for k, v in items} if plain else {"items": items}
        raise TypeError(f"save_checkpoint: cannot store {where} = {value!r} "
                        f"({type(value).__name__}); a checkpoint holds arrays, Tensors, numbers, "
                        f"strings, None and lists/tuples/dicts of them (no pickle)")


def _unpack(value: Any, arrays: dict[str, np.ndarray]) -> Any:
    if isinstance(value, list):
        return [_unpack(v, arrays) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        (marker, content), = value.items()
        if marker == "tensor":
            return as_tensor(arrays[content])
        if marker == "array":
            return arrays[content]
        if marker == "scalar":
            return arrays[content][()]
        if marker == "tuple":
            return tuple(_unpack(v, arrays) for v in content)
        if marker in ("items", "counter"):
            pairs = ((_unpack(k, arrays), _unpack(v, arrays)) for k, v in content)
            return Counter(dict(pairs)) if marker == "counter" else dict(pairs)
    return {k: _unpack(v, arrays) for k, v in value.items()}


def _digest(state_json: str, arrays: dict[str, np.ndarray]) -> str:
    """SHA-256 over the JSON and every array (name, dtype, shape, bytes) in name order."""
    h = hashlib.sha256(state_json.encode())
    for name in sorted(arrays):
        array = np.ascontiguousarray(arrays[name])
        h.update(f"\0{name}\0{array.dtype.str}\0{array.shape}\0".encode())
        # numpy's stubs give ndarray the buffer protocol (__buffer__) on Python >= 3.12 only
        h.update(array.reshape(-1).view(np.uint8))  # type: ignore[arg-type]
    return h.hexdigest()


def _generator_states(generators: Iterable[np.random.Generator]) -> list[Mapping[str, Any]]:
    return [g.bit_generator.state for g in generators]


def save_checkpoint(path: PathLike, model: Union[Module, Mapping[str, Any]],
                    optimizer: Optional[Optimizer] = None, scheduler: Optional[Scheduler] = None,
                    epoch: int = 0, step: int = 0,
                    history: Optional[Union[_Saved, dict[str, Any]]] = None, extra: Any = None,
                    generators: Iterable[np.random.Generator] = (),
                    callbacks: Optional[Iterable[_Stateful]] = None) -> None:
    """Write a checkpoint of a training run to ``path`` (safetensors + JSON metadata), atomically.

    Args:
        path: the file to write; an existing file is replaced only once the new one is complete.
        model: a Module (its ``state_dict()``) or a state dict.
        optimizer, scheduler: saved through their ``state_dict()`` when given.
        epoch: the number of completed epochs (training resumes at this epoch index).
        step: the number of optimizer steps taken so far (the global step).
        history: the History of the completed epochs (its ``state_dict()`` is saved), or that
            plain dict ``{"epoch": [...], "history": {name: [...]}}``.
        extra: anything else JSON-like (numbers, strings, arrays, lists/dicts of them).
        generators: further ``numpy.random.Generator``s whose states to save, e.g. a
            DataLoader's own shuffling generator; gradsheet's generator is always saved.
        callbacks: the run's Callbacks, whose ``state_dict()``s are saved in order, each
            with its class name; None saves no callback state.

    Example: ``save_checkpoint("run/epoch-3.safetensors", model, opt, epoch=3, step=96)``.
    """
    path = os.fspath(path)
    model_state = model.state_dict() if hasattr(model, "state_dict") else model
    state = {
        "epoch": int(epoch),
        "step": int(step),
        "model": model_state,
        "optimizer": None if optimizer is None else optimizer.state_dict(),
        "optimizer_class": None if optimizer is None else type(optimizer).__name__,
        "scheduler": None if scheduler is None else scheduler.state_dict(),
        "rng": {"gradsheet": backend.get_rng_state(),
                "generators": _generator_states(generators)},
        "history": history if history is None or isinstance(history, dict)
        else history.state_dict(),
        "callbacks": None if callbacks is None else [
            {"class": type(callback).__name__, "state": callback.state_dict()}
            for callback in callbacks],
        "extra": extra,
    }
    packer = _Packer()
    packed = {key: packer.pack(value, key) for key, value in state.items()}
    state_json = json.dumps(packed)
    metadata = {"format": FORMAT, "version": str(VERSION), "state": state_json,
                "sha256": _digest(state_json, packer.arrays)}
    save_arrays(packer.arrays, path, metadata=metadata)


def _damaged(path: str, why: str) -> ValueError:
    return ValueError(f"load_checkpoint: {path} is damaged or not a gradsheet checkpoint ({why}); "
                      f"nothing was loaded")


def _read(path: str) -> tuple[dict[str, str], dict[str, np.ndarray]]:
    """The metadata and arrays of the safetensors file at ``path``; ValueError if unreadable."""
    try:
        with safe_open(path, framework="np") as f:
            metadata = f.metadata() or {}
            # safe_open has keys() but is not iterable
            return metadata, {name: f.get_tensor(name) for name in f.keys()}  # noqa: SIM118
    except SafetensorError as err:
        raise _damaged(path, f"truncated, or not a safetensors file: {err}") from None


REQUIRED_KEYS = ("epoch", "step", "model", "optimizer", "scheduler", "rng", "history", "extra")
MAX_EPOCH = 2**31  # no run trains more epochs; a larger number is damage


def _count(path: str, state: dict[str, Any], key: str, limit: int) -> int:
    value = state[key]
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= limit:
        raise _damaged(path, f"its {key!r} is {value!r}, not an integer in [0, {limit}]")
    return value


def _validate(path: str, state: Any) -> None:
    """Check a checkpoint's keys and counts, naming the file and the key that is wrong."""
    if not isinstance(state, dict):
        raise _damaged(path, f"its state is a {type(state).__name__}, not a JSON object")
    for key in REQUIRED_KEYS:
        if key not in state:
            raise _damaged(path, f"its state has no {key!r} key")
    epoch = _count(path, state, "epoch", MAX_EPOCH)
    _count(path, state, "step", 2**62)
    if state["step"] < epoch:
        raise _damaged(path, f"its 'step' {state['step']} is below its 'epoch' {epoch}, but every "
                             f"epoch takes at least one step")
    if not isinstance(state["model"], dict):
        raise _damaged(path, f"its 'model' is a {type(state['model']).__name__}, not a state dict")
    for key in ("optimizer", "scheduler"):
        if state[key] is not None and not isinstance(state[key], dict):
            raise _damaged(path, f"its {key!r} is a {type(state[key]).__name__}, not a state dict")
    rng = state["rng"]
    if not (isinstance(rng, dict) and "gradsheet" in rng
            and isinstance(rng.get("generators"), list)):
        raise _damaged(path, "its 'rng' is not {'gradsheet': state, 'generators': [states]}")
    history = state["history"]
    if history is not None and not (isinstance(history, dict)
                                    and isinstance(history.get("epoch"), list)
                                    and isinstance(history.get("history"), dict)):
        raise _damaged(path, "its 'history' is not {'epoch': [...], 'history': {...}}")


def load_checkpoint(path: PathLike) -> dict[str, Any]:
    """The checkpoint saved at ``path``, verified in full, as a dict.

    Keys: ``model`` (state dict of Tensors), ``optimizer`` and ``scheduler`` (state dicts or
    None), ``optimizer_class`` (the optimizer's class name; None for checkpoints written
    before it was saved), ``epoch``, ``step``, ``rng``
    (``{"gradsheet": state, "generators": [states]}``),
    ``history`` (plain data, ``{"epoch": [...], "history": {name: [...]}}``, or None:
    ``gradsheet.train.History.from_state_dict`` turns it back into a History),
    ``callbacks`` (``[{"class": name, "state": state_dict}]``
    in the run's order, or None: also for checkpoints written before callbacks were saved),
    ``extra``.

    Raises ValueError naming the file when it is truncated, corrupted (its digest does not
    match) or not a checkpoint, and naming the key when one is missing or out of range
    (``epoch`` and ``step`` are non-negative integers, ``step >= epoch``);
    FileNotFoundError when it does not exist, IsADirectoryError / ValueError for a directory,
    FIFO or device.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"load_checkpoint: no checkpoint file at {path}")
    check_regular(path, "load_checkpoint", "checkpoint file")
    metadata, arrays = _read(path)
    if metadata.get("format") != FORMAT:
        raise _damaged(path, f"its metadata has no format={FORMAT!r}; a plain model file "
                             "loads with gradsheet.io.load")
    if metadata.get("version") != str(VERSION):
        raise _damaged(path, f"format version {metadata.get('version')!r}, this gradsheet "
                             f"reads version {VERSION}")
    state_json = metadata.get("state", "")
    if metadata.get("sha256") != _digest(state_json, arrays):
        raise _damaged(path, "its SHA-256 digest does not match its contents")
    try:
        packed = json.loads(state_json)
        if not isinstance(packed, dict):
            raise _damaged(path, f"its state is a {type(packed).__name__}, not a JSON object")
        state = {key: _unpack(value, arrays) for key, value in packed.items()}
    except RecursionError:
        raise _damaged(path, "its state is nested too deeply") from None
    except KeyError as err:
        raise _damaged(path, f"its state names a tensor {err.args[0]!r} the file does not "
                             f"hold") from None
    except (ValueError, TypeError, AttributeError) as err:
        if str(err).startswith("load_checkpoint:"):
            raise
        raise _damaged(path, f"its state is unreadable: {type(err).__name__}: {err}") from None
    state.setdefault("callbacks", None)
    state.setdefault("optimizer_class", None)
    _validate(path, state)
    return state


def _hyperparameters(group: dict[str, Any], scheduled: bool) -> dict[str, Any]:
    """A param group's hyperparameters, as comparable values (lr only when unscheduled)."""
    skip = {"params", "initial_lr"} | ({"lr"} if scheduled else set())
    values = {k: list(v) if isinstance(v, tuple) else v for k, v in group.items() if k not in skip}
    if scheduled and "initial_lr" in group:
        values["initial_lr"] = group["initial_lr"]
    return values


def _check_optimizer(where: str, checkpoint: dict[str, Any], optimizer: Optimizer,
                     scheduled: bool) -> None:
    """Raise ValueError when the checkpoint's optimizer is not of ``optimizer``'s type or its
    hyperparameters differ from the run's."""
    saved_class, name = checkpoint.get("optimizer_class"), type(optimizer).__name__
    if saved_class is not None and saved_class != name:
        raise ValueError(f"restore_checkpoint: {where} was written by a {saved_class} optimizer, "
                         f"this run's is {name}; resume with the optimizer of the run that "
                         f"wrote it")
    saved_groups = checkpoint["optimizer"].get("param_groups")
    groups = optimizer.state_dict()["param_groups"]
    if not isinstance(saved_groups, list) or len(saved_groups) != len(groups):
        return  # the optimizer's load_state_dict names the counts
    for index, (saved, group) in enumerate(zip(saved_groups, groups)):
        if not isinstance(saved, dict):
            raise ValueError(f"restore_checkpoint: {where}: optimizer param group {index} is "
                             f"not a dict")
        ours, theirs = _hyperparameters(group, scheduled), _hyperparameters(saved, scheduled)
        if ours != theirs:
            keys = sorted(set(ours) | set(theirs), key=str)
            diff = ", ".join(f"{k}={theirs.get(k, '(none)')!r} vs {ours.get(k, '(none)')!r}"
                             for k in keys if ours.get(k, ()) != theirs.get(k, ()))
            raise ValueError(f"restore_checkpoint: {where} was written by an optimizer with "
                             f"other hyperparameters than this run's {name} (group {index}, "
                             f"checkpoint vs run: {diff}); resume with the run's settings")


class _Rng:
    """Generators behind the state_dict interface, so restoring them can be undone too."""

    def __init__(self, generators: list[np.random.Generator]) -> None:
        self.generators = generators

    def state_dict(self) -> dict[str, Any]:
        """gradsheet's generator state and each of ``generators``'."""
        return {"gradsheet": backend.get_rng_state(),
                "generators": _generator_states(self.generators)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore the states ``state_dict`` gave."""
        backend.set_rng_state(state["gradsheet"])
        for generator, saved in zip(self.generators, state["generators"]):
            generator.bit_generator.state = saved


def _snapshot(obj: Any) -> Any:
    state = obj.state_dict()
    return {k: v.array.copy() for k, v in state.items()} if hasattr(obj, "named_modules") \
        else copy.deepcopy(state)


def _callback_targets(where: str, saved: Optional[list[dict[str, Any]]],
                      callbacks: list[_Stateful]) -> list[tuple[_Stateful, Any]]:
    """(callback, state) pairs restoring ``saved`` (the checkpoint's callback states) into
    ``callbacks``; none when the checkpoint holds no callback states."""
    if saved is None:
        return []
    saved_names = [entry["class"] for entry in saved]
    names = [type(callback).__name__ for callback in callbacks]
    if saved_names != names:
        raise ValueError(f"restore_checkpoint: {where} holds the states of the callbacks "
                         f"{saved_names}, got the callbacks {names}; pass the callbacks of the "
                         f"run that wrote it, in the same order")
    return [(callback, entry["state"]) for callback, entry in zip(callbacks, saved)]


def restore_checkpoint(checkpoint: Union[PathLike, dict[str, Any]], model: Module,
                       optimizer: Optional[Optimizer] = None,
                       scheduler: Optional[Scheduler] = None,
                       generators: Iterable[np.random.Generator] = (),
                       callbacks: Optional[Iterable[_Stateful]] = None,
                       epochs: Optional[int] = None) -> dict[str, Any]:
    """Load a checkpoint (a path, or the dict ``load_checkpoint`` returned) into a run.

    Restores the model's parameters and buffers, the optimizer's and scheduler's state when
    given, gradsheet's random generator and ``generators`` (as passed to ``save_checkpoint``),
    and, when ``callbacks`` is given, their states (``load_state_dict``); a checkpoint without
    callback states leaves the callbacks as they are. Raises ValueError naming the file when
    the callbacks' classes differ from those saved, in count or order; when the optimizer is
    of another class than the one saved (``optimizer_class``), or its hyperparameters (lr,
    momentum, betas, ..., per group; with a scheduler the initial lr instead of the current
    one) differ from the saved ones; and, with ``epochs`` (the run's total), when the
    checkpoint's epoch is beyond it.
    All or nothing: if any part fails to load, the parts already restored are put back.

    Returns the checkpoint dict (``epoch``, ``step``, ``history``, ``extra``, ...).
    """
    if isinstance(checkpoint, (str, os.PathLike)):
        where = os.fspath(checkpoint)
        checkpoint = load_checkpoint(where)
    else:
        where = "checkpoint"
    generators = list(generators)
    if epochs is not None and checkpoint["epoch"] > epochs:
        raise ValueError(f"restore_checkpoint: {where} is at epoch {checkpoint['epoch']}, beyond "
                         f"the {epochs} epochs of this run; pass epochs >= {checkpoint['epoch']}")
    if optimizer is not None and checkpoint.get("optimizer") is not None:
        _check_optimizer(where, checkpoint, optimizer, scheduler is not None)
    targets: list[tuple[Any, Any]] = [(model, checkpoint["model"])]  # (object, its state)
    for name, obj in (("optimizer", optimizer), ("scheduler", scheduler)):
        if obj is not None:
            if checkpoint[name] is None:
                raise ValueError(f"restore_checkpoint: {where} holds no {name} state to load "
                                 f"into the {type(obj).__name__}")
            targets.append((obj, checkpoint[name]))
    saved_generators = checkpoint["rng"]["generators"]
    if len(saved_generators) != len(generators):
        raise ValueError(f"restore_checkpoint: {where} holds {len(saved_generators)} generator "
                         f"states besides gradsheet's, got {len(generators)} generators")
    targets.append((_Rng(generators), checkpoint["rng"]))
    if callbacks is not None:
        targets += _callback_targets(where, checkpoint["callbacks"], list(callbacks))
    done = []
    try:
        for target, state in targets:
            before = _snapshot(target)
            target.load_state_dict(state)
            done.append((target, before))
    except BaseException:
        for target, before in reversed(done):
            target.load_state_dict(before)
        raise
    return checkpoint


def epoch_checkpoint_path(directory: PathLike, epoch: int) -> str:
    """Where ``fit(checkpoint_dir=directory)`` writes the checkpoint after ``epoch`` epochs."""
    return os.path.join(os.fspath(directory), f"epoch-{epoch:04d}.safetensors")


def latest_checkpoint(directory: PathLike) -> Optional[str]:
    """The path of the checkpoint with the most epochs in ``directory``, or None if none."""
    pattern = re.compile(r"epoch-(\d+)\.safetensors$")
    found = [(int(m.group(1)), path) for path in glob.glob(os.path.join(directory, "*"))
             if (m := pattern.search(os.path.basename(path)))]
    return max(found)[1] if found else None
