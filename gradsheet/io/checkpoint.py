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
import copy
import glob
import hashlib
import json
import os
import re
from collections import Counter

import numpy as np
from safetensors import SafetensorError, safe_open

from .. import backend
from ..autograd.tensor import Tensor, as_tensor
from ..train.history import History
from .serialization import save_arrays

FORMAT = "gradsheet.checkpoint"
VERSION = 1

# One-key JSON objects that stand for values JSON has no type for; a plain dict that would
# read as one of them is written in the "items" form instead, so decoding is unambiguous.
_MARKERS = ("array", "tensor", "scalar", "tuple", "items", "counter")


class _Packer:
    """Nested dicts/lists/tuples of arrays, Tensors and numbers -> JSON values + named arrays."""

    def __init__(self):
        self.arrays = {}

    def _store(self, array, where):
        name = where
        while name in self.arrays:  # a key holding '.' can spell another path
            name += "'"
        self.arrays[name] = array
        return name

    def pack(self, value, where):
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


def _unpack(value, arrays):
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


def _digest(state_json, arrays):
    """SHA-256 over the JSON and every array (name, dtype, shape, bytes) in name order."""
    h = hashlib.sha256(state_json.encode())
    for name in sorted(arrays):
        array = np.ascontiguousarray(arrays[name])
        h.update(f"\0{name}\0{array.dtype.str}\0{array.shape}\0".encode())
        h.update(array.reshape(-1).view(np.uint8))
    return h.hexdigest()


def _generator_states(generators):
    return [g.bit_generator.state for g in generators]


def save_checkpoint(path, model, optimizer=None, scheduler=None, epoch=0, step=0, history=None,
                    extra=None, generators=(), callbacks=None):
    """Write a checkpoint of a training run to ``path`` (safetensors + JSON metadata), atomically.

    Args:
        path: the file to write; an existing file is replaced only once the new one is complete.
        model: a Module (its ``state_dict()``) or a state dict.
        optimizer, scheduler: saved through their ``state_dict()`` when given.
        epoch: the number of completed epochs (training resumes at this epoch index).
        step: the number of optimizer steps taken so far (the global step).
        history: the History of the completed epochs.
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
        "scheduler": None if scheduler is None else scheduler.state_dict(),
        "rng": {"gradsheet": backend.get_rng_state(),
                "generators": _generator_states(generators)},
        "history": None if history is None else {"epoch": history.epoch,
                                                  "history": history.history},
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


def _damaged(path, why):
    return ValueError(f"load_checkpoint: {path} is damaged or not a gradsheet checkpoint ({why}); "
                      f"nothing was loaded")


def _read(path):
    """The metadata and arrays of the safetensors file at ``path``; ValueError if unreadable."""
    try:
        with safe_open(path, framework="np") as f:
            metadata = f.metadata() or {}
            # safe_open has keys() but is not iterable
            return metadata, {name: f.get_tensor(name) for name in f.keys()}  # noqa: SIM118
    except SafetensorError as err:
        raise _damaged(path, f"truncated, or not a safetensors file: {err}") from None


def load_checkpoint(path):
    """The checkpoint saved at ``path``, verified in full, as a dict.

    Keys: ``model`` (state dict of Tensors), ``optimizer`` and ``scheduler`` (state dicts or
    None), ``epoch``, ``step``, ``rng`` (``{"gradsheet": state, "generators": [states]}``),
    ``history`` (a History or None), ``callbacks`` (``[{"class": name, "state": state_dict}]``
    in the run's order, or None: also for checkpoints written before callbacks were saved),
    ``extra``.

    Raises ValueError naming the file when it is truncated, corrupted (its digest does not
    match) or not a checkpoint; FileNotFoundError when it does not exist.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"load_checkpoint: no checkpoint file at {path}")
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
    state = {key: _unpack(value, arrays) for key, value in json.loads(state_json).items()}
    state.setdefault("callbacks", None)
    if state["history"] is not None:
        history = History()
        history.epoch, history.history = state["history"]["epoch"], state["history"]["history"]
        state["history"] = history
    return state


class _Rng:
    """Generators behind the state_dict interface, so restoring them can be undone too."""

    def __init__(self, generators):
        self.generators = generators

    def state_dict(self):
        return {"gradsheet": backend.get_rng_state(),
                "generators": _generator_states(self.generators)}

    def load_state_dict(self, state):
        backend.set_rng_state(state["gradsheet"])
        for generator, saved in zip(self.generators, state["generators"]):
            generator.bit_generator.state = saved


def _snapshot(obj):
    state = obj.state_dict()
    return {k: v.array.copy() for k, v in state.items()} if hasattr(obj, "named_modules") \
        else copy.deepcopy(state)


def _callback_targets(where, saved, callbacks):
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


def restore_checkpoint(checkpoint, model, optimizer=None, scheduler=None, generators=(),
                       callbacks=None):
    """Load a checkpoint (a path, or the dict ``load_checkpoint`` returned) into a run.

    Restores the model's parameters and buffers, the optimizer's and scheduler's state when
    given, gradsheet's random generator and ``generators`` (as passed to ``save_checkpoint``),
    and, when ``callbacks`` is given, their states (``load_state_dict``); a checkpoint without
    callback states leaves the callbacks as they are. Raises ValueError naming the file when
    the callbacks' classes differ from those saved, in count or order.
    All or nothing: if any part fails to load, the parts already restored are put back.

    Returns the checkpoint dict (``epoch``, ``step``, ``history``, ``extra``, ...).
    """
    where = os.fspath(checkpoint) if isinstance(checkpoint, (str, os.PathLike)) else "checkpoint"
    if where != "checkpoint":
        checkpoint = load_checkpoint(where)
    generators = list(generators)
    targets = [(model, checkpoint["model"])]
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
        for obj, state in targets:
            before = _snapshot(obj)
            obj.load_state_dict(state)
            done.append((obj, before))
    except BaseException:
        for obj, before in reversed(done):
            obj.load_state_dict(before)
        raise
    return checkpoint


def epoch_checkpoint_path(directory, epoch):
    """Where ``fit(checkpoint_dir=directory)`` writes the checkpoint after ``epoch`` epochs."""
    return os.path.join(os.fspath(directory), f"epoch-{epoch:04d}.safetensors")


def latest_checkpoint(directory):
    """The path of the checkpoint with the most epochs in ``directory``, or None if none."""
    pattern = re.compile(r"epoch-(\d+)\.safetensors$")
    found = [(int(m.group(1)), path) for path in glob.glob(os.path.join(directory, "*"))
             if (m := pattern.search(os.path.basename(path)))]
    return max(found)[1] if found else None
