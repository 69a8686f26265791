import contextlib
import json
import math
import os
import re
from collections import Counter

import numpy as np
import pytest

import gradsheet as gs
from gradsheet import nn, optim
from gradsheet.data import DataLoader, TensorDataset
from gradsheet.io import (epoch_checkpoint_path, latest_checkpoint, load_checkpoint,
                          load_metadata, restore_checkpoint, save, save_checkpoint)
from gradsheet.io import checkpoint, serialization
from gradsheet.optim import lr_scheduler
from gradsheet.train import Callback, EarlyStopping, ModelCheckpoint, fit


def _data(n=48, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 5)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(np.int64) + (x[:, 2] > 1)
    return gs.tensor(x), gs.tensor(y)


def _run(seed=0):
    """A fresh model, optimizer and scheduler, all from ``seed``."""
    gs.manual_seed(seed)
    model = nn.Sequential(nn.Linear(5, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 3))
    optimizer = optim.Adam(model.parameters(), lr=0.02)
    scheduler = lr_scheduler.MultiStepLR(optimizer, milestones=[2, 3], gamma=0.5)
    return model, optimizer, scheduler


def _fit(run, epochs, train_data=None, **kwargs):
    model, optimizer, scheduler = run
    return fit(model, nn.CrossEntropyLoss(), optimizer, train_data or _data(), val_data=_data(16, 1),
               epochs=epochs, batch_size=8, scheduler=scheduler, verbose=0, **kwargs)


def _assert_same_state(a, b):
    """Two (nested) state dicts hold equal values, arrays bit for bit, of the same types."""
    same_kind = [isinstance(a, gs.Tensor) and isinstance(b, gs.Tensor),
                 isinstance(a, dict) and isinstance(b, dict)]  # OrderedDict or dict
    assert type(a) is type(b) or any(same_kind), (type(a), type(b))
    if isinstance(a, dict):
        assert isinstance(a, Counter) == isinstance(b, Counter)
        assert list(a) == list(b)
        for key in a:
            _assert_same_state(a[key], b[key])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _assert_same_state(x, y)
    elif isinstance(a, (gs.Tensor, np.ndarray, np.generic)):
        a, b = (v.array if isinstance(v, gs.Tensor) else v for v in (a, b))
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b)
    else:
        assert a == b


def _assert_same_run(run, other, history, other_history):
    _assert_same_state(run[0].state_dict(), other[0].state_dict())
    _assert_same_state(run[1].state_dict(), other[1].state_dict())
    _assert_same_state(run[2].state_dict(), other[2].state_dict())
    assert history.epoch == other_history.epoch
    assert history.history == other_history.history


# ------------------------------------------------------------ round trip

def test_round_trip_keeps_every_part_with_its_types(tmp_path):
    model, optimizer, scheduler = _run()
    _fit((model, optimizer, scheduler), 2)
    history = gs.train.History()
    history.append(0, {"loss": 0.5, "lr": 0.1})
    extra = {"note": "run 7", 3: (1, 2.5, None), "array": np.arange(4), "nan": math.nan,
             "inf": -math.inf, "np_scalar": np.float32(1.5), "tensor": gs.ones(2, 2),
             "nested": [{"tuple": (True, "x")}], "counter": Counter({4: 2})}
    path = tmp_path / "ckpt.safetensors"
    save_checkpoint(path, model, optimizer, scheduler, epoch=2, step=12, history=history,
                    extra=extra)
    checkpoint = load_checkpoint(path)
    assert (checkpoint["epoch"], checkpoint["step"]) == (2, 12)
    _assert_same_state(checkpoint["model"], model.state_dict())
    _assert_same_state(checkpoint["optimizer"], optimizer.state_dict())
    _assert_same_state(checkpoint["scheduler"], scheduler.state_dict())
    assert isinstance(checkpoint["scheduler"]["milestones"], Counter)
    _assert_same_state(checkpoint["extra"], extra)
    assert checkpoint["rng"] == {"gradsheet": gs.backend.get_rng_state(), "generators": []}
    # plain data (io does not know train's History); History.from_state_dict turns it back
    assert checkpoint["history"] == {"epoch": [0], "history": {"loss": [0.5], "lr": [0.1]}}
    restored = gs.train.History.from_state_dict(checkpoint["history"])
    assert (restored.epoch, restored.history, restored.loss) == ([0], history.history, [0.5])


def test_a_checkpoint_is_a_safetensors_file_with_readable_names(tmp_path):
    model, optimizer, _ = _run()
    _fit((model, optimizer, None), 1)
    path = tmp_path / "ckpt.safetensors"
    save_checkpoint(path, model, optimizer, epoch=1, step=6)
    names = set(gs.io.load(path))
    assert {f"model.{key}" for key in model.state_dict()} <= names
    assert "optimizer.state.0.exp_avg" in names
    assert gs.io.load_metadata(path)["format"] == "gradsheet.checkpoint"


def test_restore_loads_model_optimizer_scheduler_and_generators(tmp_path):
    run = _run()
    _fit(run, 2)
    loader_rng = np.random.default_rng(5)
    loader_rng.random(3)
    path = tmp_path / "ckpt.safetensors"
    save_checkpoint(path, *run, epoch=2, step=12, generators=[loader_rng])
    expected = [loader_rng.random(4), gs.backend.default_generator().random(4)]
    fresh, other_rng = _run(seed=1), np.random.default_rng(9)
    checkpoint = restore_checkpoint(path, *fresh, generators=[other_rng])
    assert checkpoint["epoch"] == 2
    _assert_same_run(run, fresh, gs.train.History(), gs.train.History())
    np.testing.assert_array_equal(other_rng.random(4), expected[0])
    np.testing.assert_array_equal(gs.backend.default_generator().random(4), expected[1])


def test_restore_reads_a_file_named_checkpoint(tmp_path, monkeypatch):
    """A path is a path whatever its name: "checkpoint" was taken for the placeholder name of
    an in-memory checkpoint and not loaded (AttributeError: 'str' has no get)."""
    run = _run()
    _fit(run, 1)
    monkeypatch.chdir(tmp_path)
    save_checkpoint("checkpoint", *run, epoch=1, step=6)
    fresh = _run(seed=1)
    assert restore_checkpoint("checkpoint", *fresh)["epoch"] == 1
    _assert_same_run(run, fresh, gs.train.History(), gs.train.History())


# ------------------------------------------------------------ resume = uninterrupted

@pytest.mark.parametrize("interrupt_after", [1, 3])
def test_resumed_run_equals_uninterrupted_run_bit_for_bit(tmp_path, interrupt_after):
    whole = _run()
    whole_history = _fit(whole, 4)

    first = _run()
    _fit(first, interrupt_after, checkpoint_dir=tmp_path)
    path = latest_checkpoint(tmp_path)
    assert path == epoch_checkpoint_path(tmp_path, interrupt_after)
    gs.manual_seed(1234)  # a new process: nothing of the first run's random state survives
    resumed = _run(seed=99)
    resumed_history = _fit(resumed, 4, resume_from=path)
    _assert_same_run(whole, resumed, whole_history, resumed_history)


def test_resume_continues_a_dataloaders_own_generator(tmp_path):
    def loader():
        return DataLoader(TensorDataset(*_data()), batch_size=8, shuffle=True,
                          generator=np.random.default_rng(3))

    whole = _run()
    whole_history = _fit(whole, 3, train_data=loader())
    first = _run()
    _fit(first, 2, train_data=loader(), checkpoint_dir=tmp_path)
    resumed = _run(seed=5)
    resumed_history = _fit(resumed, 3, train_data=loader(),
                           resume_from=epoch_checkpoint_path(tmp_path, 2))
    _assert_same_run(whole, resumed, whole_history, resumed_history)


def test_without_the_random_state_the_run_differs(tmp_path):
    """The control for the test above: shuffling and dropout do depend on the generator."""
    whole = _run()
    _fit(whole, 3)
    first = _run()
    _fit(first, 2, checkpoint_dir=tmp_path)
    resumed = _run(seed=5)
    restore_checkpoint(epoch_checkpoint_path(tmp_path, 2), *resumed)
    gs.manual_seed(77)
    model, optimizer, scheduler = resumed
    fit(model, nn.CrossEntropyLoss(), optimizer, _data(), epochs=1, batch_size=8,
        scheduler=scheduler, verbose=0)
    assert not np.array_equal(model[0].weight.array, whole[0][0].weight.array)


def test_fit_writes_one_checkpoint_per_epoch_with_epoch_and_step(tmp_path):
    run = _run()
    history = _fit(run, 3, checkpoint_dir=tmp_path / "ckpts")
    for epoch in (1, 2, 3):
        checkpoint = load_checkpoint(epoch_checkpoint_path(tmp_path / "ckpts", epoch))
        assert (checkpoint["epoch"], checkpoint["step"]) == (epoch, epoch * 6)  # 48 / 8 batches
        assert checkpoint["history"]["epoch"] == list(range(epoch))
        assert checkpoint["history"]["history"]["loss"] == history.loss[:epoch]
    assert latest_checkpoint(tmp_path / "ckpts").endswith("epoch-0003.safetensors")
    assert latest_checkpoint(tmp_path) is None


# ------------------------------------------------------------ callbacks resume too

def _callbacks(path):
    """EarlyStopping and ModelCheckpoint; in ``_fit`` for 12 epochs the EarlyStopping stops at
    epoch 8, its best epoch 6."""
    return [EarlyStopping(patience=2, min_delta=0.01, restore_best_weights=True),
            ModelCheckpoint(path, save_best_only=True)]


class _Interrupt(Callback):
    """Stands for the process dying once ``after`` epochs are checkpointed (None: never);
    counts the epochs it saw, its state."""

    state_attributes = ("epochs",)

    def __init__(self, after):
        self.after, self.epochs = after, 0

    def on_epoch_end(self, epoch, logs=None):
        self.epochs += 1

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.after:
            raise KeyboardInterrupt


@pytest.mark.parametrize("interrupt_after", [8, 9])  # 9: resumed after the stop, trains none
def test_resumed_callbacks_go_on_as_if_never_interrupted(tmp_path, interrupt_after):
    whole, whole_callbacks = _run(), _callbacks(tmp_path / "whole.safetensors")
    whole_history = _fit(whole, 12, callbacks=whole_callbacks)
    stopper = whole_callbacks[0]
    assert (stopper.best_epoch, stopper.stopped_epoch, len(whole_history)) == (6, 8, 9)

    best_path, checkpoints = tmp_path / "best.safetensors", tmp_path / "ckpts"
    with contextlib.suppress(KeyboardInterrupt):  # after 9 epochs the run had stopped by itself
        _fit(_run(), 12, callbacks=[*_callbacks(best_path), _Interrupt(interrupt_after)],
             checkpoint_dir=checkpoints)
    assert latest_checkpoint(checkpoints) == epoch_checkpoint_path(checkpoints, interrupt_after)
    gs.manual_seed(1234)
    resumed, resumed_callbacks = _run(seed=99), [*_callbacks(best_path), _Interrupt(None)]
    resumed_history = _fit(resumed, 12, callbacks=resumed_callbacks,
                           resume_from=latest_checkpoint(checkpoints))
    _assert_same_run(whole, resumed, whole_history, resumed_history)  # best weights restored
    for callback, other in zip(whole_callbacks, resumed_callbacks):
        _assert_same_state(callback.state_dict(), other.state_dict())
    assert resumed_callbacks[2].epochs == 9
    _assert_same_state(gs.io.load(best_path), gs.io.load(tmp_path / "whole.safetensors"))
    assert load_metadata(best_path) == load_metadata(tmp_path / "whole.safetensors")


def test_callback_states_round_trip_with_their_arrays(tmp_path):
    run, callbacks = _run(), _callbacks(tmp_path / "best.safetensors")
    _fit(run, 3, callbacks=callbacks)
    path = tmp_path / "c.safetensors"
    save_checkpoint(path, *run, epoch=3, step=18, callbacks=callbacks)
    assert {f"callbacks.0.state.best_weights.{key}" for key in run[0].state_dict()} \
        <= set(gs.io.load(path))
    saved = load_checkpoint(path)["callbacks"]
    assert [entry["class"] for entry in saved] == ["EarlyStopping", "ModelCheckpoint"]
    fresh = _callbacks(tmp_path / "other.safetensors")
    restore_checkpoint(path, *_run(seed=1), callbacks=fresh)
    for callback, other in zip(callbacks, fresh):
        assert other.best is not None
        _assert_same_state(other.state_dict(), callback.state_dict())


def test_other_callbacks_than_the_checkpoints_raise_naming_both_but_none_resume(
        tmp_path):
    _fit(_run(), 1, callbacks=_callbacks(tmp_path / "best.safetensors"),
         checkpoint_dir=tmp_path)
    path = epoch_checkpoint_path(tmp_path, 1)
    target = _run(seed=3)
    untouched = _untouched(target)
    saved = re.escape("['EarlyStopping', 'ModelCheckpoint']")
    other = _callbacks(tmp_path / "other.safetensors")
    for given in (other[::-1], other[:1]):
        names = re.escape(str([type(callback).__name__ for callback in given]))
        with pytest.raises(ValueError, match=f"{re.escape(str(path))} holds the states of the "
                                             f"callbacks {saved}, got the callbacks {names}"):
            _fit(target, 2, callbacks=given, resume_from=path)
        untouched()
    assert _fit(target, 2, resume_from=path).epoch == [0, 1]  # no callbacks: states unused


def test_a_checkpoint_without_callback_states_resumes_with_fresh_callbacks(tmp_path):
    _fit(_run(), 2, callbacks=[*_callbacks(tmp_path / "best.safetensors"), _Interrupt(None)],
         checkpoint_dir=tmp_path)
    path = epoch_checkpoint_path(tmp_path, 2)
    metadata, arrays = checkpoint._read(str(path))  # as written before callbacks were saved
    state = json.loads(metadata["state"])
    del state["callbacks"]
    arrays = {name: array for name, array in arrays.items() if not name.startswith("callbacks.")}
    metadata["state"] = json.dumps(state)
    metadata["sha256"] = checkpoint._digest(metadata["state"], arrays)
    save(arrays, path, metadata=metadata)
    assert load_checkpoint(path)["callbacks"] is None

    callbacks = [*_callbacks(tmp_path / "best.safetensors"), _Interrupt(None)]
    history = _fit(_run(seed=5), 3, callbacks=callbacks, resume_from=path)
    assert history.epoch == [0, 1, 2]
    assert callbacks[2].epochs == 1  # afresh: it saw only the resumed epoch


# ------------------------------------------------------------ damaged files

def _saved_checkpoint(tmp_path):
    run = _run()
    _fit(run, 1)
    path = tmp_path / "good.safetensors"
    save_checkpoint(path, *run, epoch=1, step=6, history=gs.train.History(), extra={"a": 1})
    return run, path.read_bytes()


def _untouched(run):
    """A check that ``run`` (model, optimizer, scheduler) and the generator did not change."""
    before = [dict(part.state_dict()) for part in run[1:]]
    weights = {k: v.array.copy() for k, v in run[0].state_dict().items()}
    rng = gs.backend.get_rng_state()

    def check():
        _assert_same_state({k: v.array for k, v in run[0].state_dict().items()}, weights)
        for part, state in zip(run[1:], before):
            _assert_same_state(part.state_dict(), state)
        assert gs.backend.get_rng_state() == rng
    return check


def test_truncated_checkpoints_always_raise_naming_the_file_and_load_nothing(tmp_path):
    _, data = _saved_checkpoint(tmp_path)
    target = _run(seed=3)
    untouched = _untouched(target)
    offsets = np.random.default_rng(0).integers(0, len(data), size=60).tolist() + [0, 7, 8]
    for offset in offsets:
        path = tmp_path / f"cut-{offset}.safetensors"
        path.write_bytes(data[:offset])
        with pytest.raises(ValueError, match=re.escape(str(path)) + ".*damaged"):
            load_checkpoint(path)
        with pytest.raises(ValueError, match=re.escape(str(path))):
            restore_checkpoint(path, *target)
        untouched()


def test_corrupted_bytes_always_raise_naming_the_file(tmp_path):
    _, data = _saved_checkpoint(tmp_path)
    for offset in np.random.default_rng(1).integers(0, len(data), size=60).tolist():
        path = tmp_path / f"flip-{offset}.safetensors"
        path.write_bytes(data[:offset] + bytes([data[offset] ^ 0x5A]) + data[offset + 1:])
        with pytest.raises(ValueError, match=re.escape(str(path))):
            load_checkpoint(path)


def test_a_failed_write_leaves_the_previous_checkpoint(tmp_path, monkeypatch):
    run, _ = _saved_checkpoint(tmp_path)
    path = tmp_path / "good.safetensors"

    def crash(*args):
        raise OSError("disk full")

    monkeypatch.setattr(serialization.os, "fsync", crash)  # dies after writing, before rename
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(path, *run, epoch=2, step=12)
    monkeypatch.undo()
    assert load_checkpoint(path)["epoch"] == 1
    assert os.listdir(tmp_path) == ["good.safetensors"]  # no temporary file left behind


def test_fit_interrupted_while_writing_leaves_the_last_good_checkpoint(tmp_path, monkeypatch):
    whole = _run()
    whole_history = _fit(whole, 3)
    real_replace, calls = os.replace, []

    def replace_then_crash(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise KeyboardInterrupt  # the process dies while writing the 2nd checkpoint
        real_replace(src, dst)

    monkeypatch.setattr(serialization.os, "replace", replace_then_crash)
    with pytest.raises(KeyboardInterrupt):
        _fit(_run(), 3, checkpoint_dir=tmp_path)
    monkeypatch.undo()
    assert sorted(os.listdir(tmp_path)) == ["epoch-0001.safetensors"]
    resumed = _run(seed=8)
    resumed_history = _fit(resumed, 3, resume_from=latest_checkpoint(tmp_path))
    _assert_same_run(whole, resumed, whole_history, resumed_history)


# ------------------------------------------------------------ bad inputs

def test_a_plain_model_file_is_not_a_checkpoint(tmp_path):
    path = tmp_path / "model.safetensors"
    save(_run()[0].state_dict(), path)
    with pytest.raises(ValueError, match=re.escape(str(path)) + ".*gradsheet.io.load"):
        load_checkpoint(path)


def test_a_missing_file_names_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.safetensors"):
        load_checkpoint(tmp_path / "nope.safetensors")


def test_values_json_cannot_hold_raise_naming_where(tmp_path):
    model, optimizer, _ = _run()
    with pytest.raises(TypeError, match=r"extra\.hook = .*function.*no pickle"):
        save_checkpoint(tmp_path / "c.safetensors", model, extra={"hook": lambda: 0})
    assert not os.listdir(tmp_path)


def test_restore_is_all_or_nothing(tmp_path):
    run = _run()
    _fit(run, 1)
    path = tmp_path / "c.safetensors"
    save_checkpoint(path, *run, epoch=1, step=6)
    target = _run(seed=4)
    two_groups = optim.Adam([{"params": [target[0][0].weight]},
                             {"params": [target[0][0].bias]}])
    untouched = _untouched(target)
    with pytest.raises(ValueError, match="1 parameter groups, the optimizer has 2"):
        restore_checkpoint(path, target[0], two_groups)  # the model loads first, then is undone
    untouched()


def test_restore_checks_what_the_checkpoint_holds(tmp_path):
    model, optimizer, _ = _run()
    path = tmp_path / "c.safetensors"
    save_checkpoint(path, model, epoch=0)
    with pytest.raises(ValueError, match=re.escape(str(path)) + " holds no optimizer state"):
        restore_checkpoint(path, model, optimizer)
    with pytest.raises(ValueError, match="holds 0 generator states.*got 1"):
        restore_checkpoint(path, model, generators=[np.random.default_rng()])
