import os
import pathlib
import pickle
import re

import numpy as np
import pytest

import gradsheet as gs
from gradsheet.io import load, load_metadata, save

DTYPES = [np.float32, np.float64, np.int64, np.int32, np.int8, np.uint8, np.float16, np.bool_]


def _state(seed=0):
    rng = np.random.default_rng(seed)
    return {f"w_{np.dtype(dtype).name}": gs.tensor((rng.standard_normal((3, 4)) * 10).astype(dtype))
            for dtype in DTYPES}


def test_round_trip_keeps_values_dtypes_and_shapes(tmp_path):
    state = _state()
    state["scalar"] = gs.tensor(np.array(2.5))  # 0-d float64
    state["empty"] = gs.zeros(0, 3)
    state["array"] = np.arange(6, dtype=np.int64).reshape(2, 3)
    path = tmp_path / "model.safetensors"
    save(state, path)
    loaded = load(path)
    assert loaded.keys() == state.keys()
    for name, value in state.items():
        expected = value.array if isinstance(value, gs.Tensor) else value
        assert type(loaded[name]) is type(value)  # Tensors stay Tensors, arrays arrays
        got = loaded[name].array if isinstance(value, gs.Tensor) else loaded[name]
        assert got.dtype == expected.dtype and got.shape == expected.shape
        np.testing.assert_array_equal(got, expected)
    loaded["w_float32"].array += 1  # loaded tensors own writable memory


def test_non_contiguous_arrays_are_saved_by_value(tmp_path):
    base = np.arange(12, dtype=np.float32).reshape(3, 4)
    save({"strided": base[:, ::2], "transposed": gs.tensor(base).T}, tmp_path / "a.safetensors")
    loaded = load(tmp_path / "a.safetensors")
    np.testing.assert_array_equal(loaded["strided"], base[:, ::2])
    np.testing.assert_array_equal(loaded["transposed"].array, base.T)


def test_metadata_round_trip(tmp_path):
    save({"a": gs.ones(2)}, tmp_path / "m.safetensors", metadata={"epoch": "3", "note": "hi"})
    assert load_metadata(tmp_path / "m.safetensors") == {"epoch": "3", "note": "hi"}
    save({"a": gs.ones(2)}, tmp_path / "n.safetensors")
    assert load_metadata(tmp_path / "n.safetensors") == {}


def test_files_interoperate_with_pytorch(tmp_path):
    torch = pytest.importorskip("torch")
    safetensors_torch = pytest.importorskip("safetensors.torch")
    state = _state(1)
    save(state, tmp_path / "ours.safetensors")
    theirs = safetensors_torch.load_file(str(tmp_path / "ours.safetensors"))
    for name, value in state.items():
        np.testing.assert_array_equal(theirs[name].numpy(), value.array)
    safetensors_torch.save_file({"w": torch.arange(6.0).reshape(2, 3)},
                                str(tmp_path / "theirs.safetensors"))
    np.testing.assert_array_equal(load(tmp_path / "theirs.safetensors")["w"].array,
                                  np.arange(6.0, dtype=np.float32).reshape(2, 3))


@pytest.mark.parametrize("failing", ["fsync", "replace"])
def test_failed_write_leaves_the_previous_file_intact(tmp_path, monkeypatch, failing):
    path = tmp_path / "model.safetensors"
    save({"w": gs.ones(3)}, path)

    def fail(*args):
        raise OSError(f"simulated {failing} failure")

    monkeypatch.setattr(os, failing, fail)
    with pytest.raises(OSError, match="simulated"):
        save({"w": gs.zeros(3), "extra": gs.zeros(100)}, path)
    monkeypatch.undo()
    assert os.listdir(tmp_path) == ["model.safetensors"]  # no temporary file left behind
    np.testing.assert_array_equal(load(path)["w"].array, np.ones(3))


def test_overwrite_replaces_the_file(tmp_path):
    path = tmp_path / "model.safetensors"
    save({"w": gs.ones(3)}, path)
    save({"v": gs.zeros(2)}, str(path))
    assert list(load(path)) == ["v"]


class _RunsCodeWhenUnpickled:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return pathlib.Path.touch, (pathlib.Path(self.marker),)


def _garbage_files(tmp_path):
    save({"w": gs.randn(10, 10)}, tmp_path / "good.safetensors")
    good = (tmp_path / "good.safetensors").read_bytes()
    marker = tmp_path / "code-ran"
    return marker, {
        "random": np.random.default_rng(0).bytes(256),
        "empty": b"",
        "truncated": good[:-7],
        "header only": good[:20],
        "pickle": pickle.dumps({"w": _RunsCodeWhenUnpickled(marker)}),
    }


@pytest.mark.parametrize("reader", [load, load_metadata])
def test_invalid_files_raise_naming_the_file(tmp_path, reader):
    marker, files = _garbage_files(tmp_path)
    for name, payload in files.items():
        path = tmp_path / f"{name}.safetensors"
        path.write_bytes(payload)
        with pytest.raises(ValueError, match=re.escape(str(path)) + ".*not a valid safetensors"):
            reader(path)
    assert not marker.exists(), "loading a pickle ran its code"
    with pytest.raises(FileNotFoundError):
        reader(tmp_path / "missing.safetensors")


def test_bad_arguments_are_rejected(tmp_path):
    path = tmp_path / "x.safetensors"

    class Model:
        def state_dict(self):
            return {}

    with pytest.raises(TypeError, match="model.state_dict()"):
        save(Model(), path)
    with pytest.raises(TypeError, match=r"cannot store w = <object.*never code"):
        save({"w": object()}, path)
    with pytest.raises(TypeError, match="cannot store 0.m .*model.state_dict()"):
        save([{"m": Model()}], path)
    with pytest.raises(TypeError, match="metadata.*'epoch': 3"):
        save({"w": gs.ones(2)}, path, metadata={"epoch": 3})
    assert not path.exists()
