"""Nothing half-written: one atomic writer for every file gradsheet writes, honouring the umask,
leftover temporaries removed by the next run, and a writer killed at random points (SIGKILL,
many times) never leaves a file on disk that does not load.
"""
import json
import os
import pathlib
import random
import re
import signal
import stat
import time

import numpy as np
import pytest

import gradsheet as gs
from gradsheet import models, nn, optim
from gradsheet.io import files, load_checkpoint, save_checkpoint

ROOT = pathlib.Path(gs.__file__).parent


@pytest.fixture
def umask():
    def set_umask(value):
        previous.append(os.umask(value))
    previous = []
    yield set_umask
    for value in previous[:1]:
        os.umask(value)


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize("mask", [0o022, 0o027, 0o077, 0o002])
def test_files_are_created_0666_less_the_umask(tmp_path, umask, mask):
    umask(mask)
    model = nn.Linear(2, 2)
    gs.save(model.state_dict(), tmp_path / "m.safetensors")
    save_checkpoint(tmp_path / "c.safetensors", model, optim.SGD(model.parameters(), lr=0.1))
    models.save_model(nn.Sequential(nn.Linear(2, 2)),
                      [{"type": "Linear", "kwargs": {"in_features": 2, "out_features": 2}}],
                      tmp_path / "a.safetensors")
    files.write_atomically(tmp_path / "h.json", "{}")
    for name in ("m.safetensors", "c.safetensors", "a.safetensors", "h.json"):
        assert _mode(tmp_path / name) == 0o666 & ~mask, name


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "f.bin"
    files.write_atomically(target, b"old")
    with pytest.raises(RuntimeError, match="boom"):
        with files.atomic_file(target) as f:
            f.write(b"half")
            raise RuntimeError("boom")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.bin"]


def test_temporaries_have_the_recognisable_name(tmp_path, monkeypatch):
    seen = []
    real_replace = os.replace

    def spy(src, dst):
        seen.append(os.path.basename(src))
        return real_replace(src, dst)
    monkeypatch.setattr(os, "replace", spy)
    files.write_atomically(tmp_path / "history.json", "[]")
    gs.save({"a": gs.ones(2)}, tmp_path / "m.safetensors")
    assert len(seen) == 2
    for name, target in zip(seen, ("history.json", "m.safetensors")):
        match = files.TEMP_PATTERN.match(name)
        assert match and match.group("name") == target and int(match.group("pid")) == os.getpid()


def _dead_pid():
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    return pid


def test_stale_temporaries_of_dead_writers_are_removed_live_ones_kept(tmp_path):
    dead, live = _dead_pid(), os.getppid()
    stale = tmp_path / f".model.safetensors.gs-{dead}-0123abcd.tmp"
    running = tmp_path / f".model.safetensors.gs-{live}-0123abcd.tmp"
    unrelated = tmp_path / ".model.safetensors.notours.tmp"
    for path in (stale, running, unrelated):
        path.write_bytes(b"partial")
    assert files.remove_stale_temporaries(tmp_path) == [str(stale)]
    assert not stale.exists() and running.exists() and unrelated.exists()


def test_the_first_write_of_a_run_into_a_directory_cleans_it(tmp_path):
    directory = tmp_path / "run"
    directory.mkdir()
    stale = directory / f".history.json.gs-{_dead_pid()}-deadbeef.tmp"
    stale.write_bytes(b"{")
    gs.save({"x": gs.zeros(1)}, directory / "m.safetensors")  # this process's first write here
    assert not stale.exists()


def test_loaders_refuse_non_regular_files(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for loader in (gs.load, models.load_model, load_checkpoint, gs.io.load_metadata):
        with pytest.raises(ValueError, match=f"{fifo} is a FIFO"):
            loader(fifo)
        with pytest.raises(IsADirectoryError, match=f"{tmp_path} is a directory"):
            loader(tmp_path)
    with pytest.raises(ValueError, match="/dev/zero is a character device"):
        gs.load("/dev/zero")


def test_a_file_swapped_for_a_fifo_after_the_stat_is_refused(tmp_path, monkeypatch):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    real = os.stat

    def regular_stat(path, *args, **kwargs):  # the race: stat saw a regular file
        return real(__file__) if os.fspath(path) == str(fifo) else real(path, *args, **kwargs)
    monkeypatch.setattr(os, "stat", regular_stat)
    with pytest.raises(ValueError, match="is a FIFO"):
        files.open_regular(fifo, "load")


def test_an_unreadable_file_says_permission_denied_for_its_path(tmp_path, monkeypatch):
    path = tmp_path / "m.safetensors"
    gs.save({"a": gs.ones(1)}, path)
    monkeypatch.setattr(os, "access", lambda p, mode: False)  # root reads everything
    with pytest.raises(PermissionError, match=f"{path}: permission denied"):
        gs.load(path)
    with pytest.raises(PermissionError, match=f"{path}: permission denied"):
        models.load_model(path)


def test_every_writer_goes_through_the_one_atomic_writer():
    """No module writes a file by itself: open(..., 'w' / 'a'), savefig(path), np.save/savetxt,
    temporary files and os.replace appear only in gradsheet/io/files.py (an exclusive
    ``open(..., "x")`` lock file is no data file)."""
    forbidden = re.compile(r"open\([^)]*['\"][wa]b?\+?['\"]|\.savefig\((?!f,)|np\.save(txt|z)?\(|"
                           r"tempfile\.(mkstemp|NamedTemporary|TemporaryFile)|os\.replace\(|"
                           r"json\.dump\(|write_text\(|write_bytes\(")
    offenders = []
    for path in ROOT.rglob("*.py"):
        if path.name == "files.py" and path.parent.name == "io":
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if forbidden.search(line) and not line.lstrip().startswith("#"):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, "\n".join(offenders)


# ---------------------------------------------------------------- killed writers
def _writer(directory):
    """Write models, checkpoints, history and plots into ``directory`` forever (a child)."""
    rng = np.random.default_rng(os.getpid())
    spec = models.mlp_spec(8, [64], 4)
    model = models.build_model(spec)
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    for i in range(10**6):
        for p in model.parameters():
            p.array[...] = rng.standard_normal(p.shape)
        models.save_model(model, spec, os.path.join(directory, "model.safetensors"))
        save_checkpoint(os.path.join(directory, "checkpoint.safetensors"), model, optimizer,
                        epoch=i, step=i)
        files.write_atomically(os.path.join(directory, "history.json"),
                               json.dumps({"loss": rng.standard_normal(200).tolist()}))
        gs.save({"big": gs.tensor(rng.standard_normal(20000))},
                os.path.join(directory, "big.safetensors"))


def _check_whole(directory):
    """Every file in ``directory`` loads; returns the names of the temporaries left."""
    temporaries = []
    for entry in os.scandir(directory):
        if files.TEMP_PATTERN.match(entry.name):
            temporaries.append(entry.name)
        elif entry.name == "model.safetensors":
            models.load_model(entry.path)
        elif entry.name == "checkpoint.safetensors":
            load_checkpoint(entry.path)
        elif entry.name == "history.json":
            assert len(json.loads(pathlib.Path(entry.path).read_text())["loss"]) == 200
        elif entry.name == "big.safetensors":
            assert gs.load(entry.path)["big"].shape == (20000,)
        else:
            pytest.fail(f"unexpected file {entry.name}")
    return temporaries


def test_a_writer_killed_at_random_points_leaves_only_whole_files(tmp_path):
    rng = random.Random(0)
    kills, left_behind = 30, 0
    for _ in range(kills):
        pid = os.fork()
        if pid == 0:
            try:
                _writer(str(tmp_path))
            finally:
                os._exit(1)
        time.sleep(rng.uniform(0.0, 0.15))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        left_behind += len(_check_whole(tmp_path))  # every file whole (or absent)
    # the next run in the directory removes what killed runs left
    files.remove_stale_temporaries(tmp_path)
    assert not _check_whole(tmp_path)
    assert (tmp_path / "model.safetensors").exists()
    print(f"{kills} kills, {left_behind} temporaries seen left behind, all removed")
