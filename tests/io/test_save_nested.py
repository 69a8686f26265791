"""gs.save / gs.load of nested structures, and to_torch_file -> torch.load."""
import collections
import inspect
import io
import math
import os
import zipfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gradsheet as gs
from gradsheet import nn
from gradsheet.io import load_metadata, to_torch_file

torch = pytest.importorskip("torch")


def _same(a, b):
    """Equal values of the same types, Tensors and arrays bit for bit (NaN equal to NaN)."""
    assert type(a) is type(b), (type(a), type(b))
    if isinstance(a, gs.Tensor):
        assert a.dtype == b.dtype and a.shape == b.shape and a.requires_grad == b.requires_grad
        np.testing.assert_array_equal(a.array, b.array)
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, np.generic):
        assert a.dtype == b.dtype and (a == b or (a != a and b != b))
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for key in a:
            assert type(key) is type(next(k for k in b if k == key))
            _same(a[key], b[key])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b)
    else:
        assert a == b and (not isinstance(a, float) or math.copysign(1, a) == math.copysign(1, b))


def _trained():
    gs.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))
    optimizer = gs.optim.Adam(model.parameters(), lr=0.01)
    x = gs.randn(8, 3)
    for _ in range(2):
        optimizer.zero_grad()
        model(x).pow(2).mean().backward()
        optimizer.step()
    return model, optimizer, x


@pytest.mark.parametrize("target", ["path", "str", "file"])
def test_a_checkpoint_dict_round_trips_with_its_types(tmp_path, target):
    model, optimizer, _ = _trained()
    shared = gs.arange(4.0)
    checkpoint = {
        "epoch": 3, "model": model.state_dict(), "optimizer": optimizer.state_dict(),
        "history": [(1, 0.5), (2, float("inf"))], 7: "an int key", (1, "a"): None,
        "flags": {"ok": True, "nan": float("nan"), "neg0": -0.0, "big": 2 ** 70},
        "misc": [b"\x00\xff", 1 - 2j, {1, 2}, frozenset({"x"}), collections.Counter("aab")],
        "numpy": [np.float32(1.5), np.int64(3), np.arange(6).reshape(2, 3)[:, ::2]],
        "param": nn.Parameter(gs.ones(2)), "grad": gs.ones(3, requires_grad=True),
        "shared": [shared, shared], "dtype": gs.float16, "device": gs.device("cpu"),
        "empty": gs.zeros(0, 3), "scalar": gs.tensor(2.5), "nested": {"a": {"b": [gs.ones(1)]}},
    }
    if target == "file":
        buffer = io.BytesIO()
        gs.save(checkpoint, buffer)
        buffer.seek(0)
        loaded = gs.load(buffer)
    else:
        path = tmp_path / "ckpt.pt"
        gs.save(checkpoint, path if target == "path" else str(path))
        loaded = gs.load(path if target == "path" else str(path))
    _same(loaded, checkpoint)
    assert isinstance(loaded["model"], collections.OrderedDict)
    assert isinstance(loaded["param"], nn.Parameter) and loaded["param"].requires_grad
    assert loaded["shared"][0] is loaded["shared"][1]  # one Tensor saved twice
    assert loaded["optimizer"]["state"][0]["step"] == 2
    loaded["model"]["0.weight"].array += 1  # owns writable memory
    assert not np.shares_memory(loaded["model"]["0.weight"].array, model[0].weight.array)


def test_training_resumes_exactly_from_a_saved_checkpoint(tmp_path):
    model, optimizer, x = _trained()
    gs.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()},
            tmp_path / "c.safetensors")
    loaded = gs.load(tmp_path / "c.safetensors")
    resumed = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))
    resumed.load_state_dict(loaded["model"])
    resumed_opt = gs.optim.Adam(resumed.parameters(), lr=0.01)
    resumed_opt.load_state_dict(loaded["optimizer"])
    for m, opt in ((model, optimizer), (resumed, resumed_opt)):
        opt.zero_grad()
        m(x).pow(2).mean().backward()
        opt.step()
    for a, b in zip(model.parameters(), resumed.parameters()):
        np.testing.assert_array_equal(a.array, b.array)


leaves = (st.none() | st.booleans() | st.integers(-2 ** 70, 2 ** 70) | st.floats()
          | st.text(max_size=5) | st.binary(max_size=5)
          | st.builds(lambda shape, dtype: gs.tensor(np.ones(shape, dtype)),
                      st.lists(st.integers(0, 3), max_size=3),
                      st.sampled_from([np.float32, np.float64, np.int64, np.bool_, np.uint8]))
          | st.builds(lambda n: np.arange(n, dtype=np.int16), st.integers(0, 4)))
keys = st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=4) \
    | st.tuples(st.integers(0, 3), st.text(max_size=2))
structures = st.recursive(leaves, lambda inner: (
    st.lists(inner, max_size=3) | st.lists(inner, max_size=3).map(tuple)
    | st.dictionaries(keys, inner, max_size=3)
    | st.dictionaries(st.text(max_size=4), inner, max_size=3).map(collections.OrderedDict)),
    max_leaves=12)


@settings(max_examples=60, deadline=None)
@given(structures)
def test_any_nesting_round_trips(obj):
    buffer = io.BytesIO()
    gs.save(obj, buffer)
    buffer.seek(0)
    _same(gs.load(buffer), obj)


def test_tensors_are_named_by_path_for_other_safetensors_readers(tmp_path):
    safetensors_torch = pytest.importorskip("safetensors.torch")
    model, optimizer, _ = _trained()
    gs.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()},
            tmp_path / "c.safetensors")
    flat = safetensors_torch.load_file(str(tmp_path / "c.safetensors"))
    np.testing.assert_array_equal(flat["model.0.weight"].numpy(), model[0].weight.array)
    np.testing.assert_array_equal(flat["optimizer.state.0.exp_avg"].numpy(),
                                  optimizer.state_dict()["state"][0]["exp_avg"])
    # torch.load reads a .safetensors path as that flat dict, and a .pt one not at all
    assert set(torch.load(tmp_path / "c.safetensors")) == set(flat)
    gs.save(model.state_dict(), tmp_path / "ours.pt")
    with pytest.raises(Exception):  # noqa: B017  (torch's own error: not a pickle or zip)
        torch.load(tmp_path / "ours.pt", weights_only=True)


def test_metadata_is_kept_and_the_structure_hidden(tmp_path):
    gs.save({"a": gs.ones(2)}, tmp_path / "m.safetensors", metadata={"epoch": "3"})
    assert load_metadata(tmp_path / "m.safetensors") == {"epoch": "3"}


def test_modules_optimizers_and_unknown_objects_are_refused_before_writing(tmp_path):
    model, optimizer, _ = _trained()
    path = tmp_path / "x.pt"
    with pytest.raises(TypeError, match=r"save: got a Sequential.*sequential.state_dict\(\)"):
        gs.save(model, path)
    with pytest.raises(TypeError, match=r"got a Adam.*adam.state_dict\(\)"):
        gs.save(optimizer, path)
    with pytest.raises(TypeError, match=r"cannot store model = Sequential\( \(Sequential\)"
                                        r".*sequential.state_dict\(\)"):
        gs.save({"model": model}, path)
    with pytest.raises(TypeError, match=r"cannot store 1 = <function.*never code"):
        gs.save([1, lambda: 0], path)
    with pytest.raises(TypeError, match="tensor as a key"):
        gs.save({gs.ones(1): 1}, path)
    with pytest.raises(TypeError, match="dtype <U1"):
        gs.save({"s": np.array(["a"])}, path)
    assert not path.exists()
    buffer = io.BytesIO()
    with pytest.raises(TypeError):
        gs.save({"ok": gs.ones(2), "bad": object()}, buffer)
    assert buffer.getvalue() == b""  # nothing half-written


def test_a_failed_write_leaves_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "c.pt"
    gs.save({"epoch": 1}, path)

    def fail(*args):
        raise OSError("simulated crash")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="simulated"):
        gs.save({"epoch": 2, "w": gs.ones(100)}, path)
    with pytest.raises(OSError, match="simulated"):
        to_torch_file({"epoch": 2}, path)
    monkeypatch.undo()
    assert os.listdir(tmp_path) == ["c.pt"] and gs.load(path) == {"epoch": 1}


def test_signatures_follow_torch():
    def params(fn, drop=()):
        return [(p.name, p.default, p.kind) for p in inspect.signature(fn).parameters.values()
                if p.name not in drop]
    assert params(gs.load) == params(torch.load)
    assert params(gs.save, drop=("metadata",))[:2] == params(torch.save)[:2]
    assert [p[0] for p in params(gs.save, drop=("metadata",))] == \
        [p[0] for p in params(torch.save)]


# ------------------------------------------------------------------ to_torch_file
def _without_serialization_id(path):
    data = path.read_bytes()
    with zipfile.ZipFile(path) as z:
        name = next(n for n in z.namelist() if n.endswith(".data/serialization_id"))
        info = z.getinfo(name)
        sid, crc = z.read(name), info.CRC.to_bytes(4, "little")
    return data.replace(sid, b"0" * len(sid)).replace(crc, b"\0" * 4)


def _as_gs(value):
    if isinstance(value, torch.nn.Parameter):
        return nn.Parameter(gs.tensor(value.detach().numpy()), requires_grad=value.requires_grad)
    if isinstance(value, torch.Tensor):
        return gs.tensor(value.detach().numpy()).requires_grad_(value.requires_grad)
    if isinstance(value, dict):
        return type(value)((k, _as_gs(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return type(value)(_as_gs(v) for v in value)
    return value


def _cases():
    torch.manual_seed(0)
    layer = torch.nn.Sequential(torch.nn.Conv2d(2, 3, 3), torch.nn.BatchNorm2d(3),
                                torch.nn.Flatten(), torch.nn.Linear(3, 2))
    dtypes = {str(d): torch.arange(6).reshape(2, 3).to(d) for d in (
        torch.float16, torch.float32, torch.float64, torch.int8, torch.int16, torch.int32,
        torch.int64, torch.uint8, torch.bool, torch.complex64, torch.complex128, torch.uint16,
        torch.uint32, torch.uint64)}
    plain = {"epoch": 3, "lr": 1e-3, "betas": (0.9, 0.999), "name": "run", "none": None,
             "flag": False, 5: [1, 2], "bytes": b"ab", "c": 1 + 2j}
    return {"state dict": collections.OrderedDict(layer.state_dict()), "dtypes": dtypes,
            "plain": plain, "empty": {"e": torch.zeros(0, 2), "s": torch.tensor(1.5)},
            "parameters": {"p": torch.nn.Parameter(torch.ones(3)),
                           "q": torch.nn.Parameter(torch.ones(1), requires_grad=False),
                           "g": torch.ones(2, requires_grad=True)}}


@pytest.mark.parametrize("case", ["state dict", "dtypes", "plain", "empty", "parameters"])
def test_to_torch_file_writes_what_torch_save_writes(tmp_path, case):
    theirs = _cases()[case]
    (tmp_path / "torch").mkdir()
    (tmp_path / "ours").mkdir()
    torch.save(theirs, tmp_path / "torch" / "model.pt")
    to_torch_file(_as_gs(theirs), tmp_path / "ours" / "model.pt")
    assert _without_serialization_id(tmp_path / "ours" / "model.pt") == \
        _without_serialization_id(tmp_path / "torch" / "model.pt")
    back = torch.load(tmp_path / "ours" / "model.pt", weights_only=True)
    assert list(back) == list(theirs)
    for key, value in theirs.items():
        if isinstance(value, torch.Tensor):
            assert back[key].dtype == value.dtype and torch.equal(back[key], value)
            assert type(back[key]) is type(value) and back[key].requires_grad == value.requires_grad
        else:
            assert back[key] == value
    _same(gs.load(tmp_path / "ours" / "model.pt"), _as_gs(theirs))


def test_views_share_a_storage_as_torch_writes_them(tmp_path):
    base = torch.arange(24.0).reshape(4, 6)
    theirs = {"base": base, "t": base.t(), "slice": base[1:, ::2], "row": base[2],
              "expanded": torch.arange(3.0).expand(4, 3)}
    ours_base = gs.tensor(base.numpy())
    ours = {"base": ours_base, "t": ours_base.T, "slice": ours_base[1:, ::2],
            "row": ours_base[2],
            "expanded": gs.arange(3.0, dtype=gs.float32).expand(4, 3)}
    (tmp_path / "torch").mkdir()
    (tmp_path / "ours").mkdir()
    torch.save(theirs, tmp_path / "torch" / "v.pt")
    to_torch_file(ours, tmp_path / "ours" / "v.pt")
    assert _without_serialization_id(tmp_path / "ours" / "v.pt") == \
        _without_serialization_id(tmp_path / "torch" / "v.pt")
    back = torch.load(tmp_path / "ours" / "v.pt", weights_only=True)
    assert back["t"].untyped_storage().data_ptr() == back["base"].untyped_storage().data_ptr()
    assert back["t"].stride() == (1, 6) and back["slice"].storage_offset() == 6


def test_to_torch_file_of_a_gradsheet_model_runs_in_torch(tmp_path):
    model, optimizer, x = _trained()
    model.eval()
    path = tmp_path / "model.pth"
    to_torch_file({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                   "epoch": 2}, path)
    checkpoint = torch.load(path, weights_only=True)
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4),
                                 torch.nn.ReLU(), torch.nn.Linear(4, 2)).eval()
    theirs.load_state_dict(checkpoint["model"])
    with torch.no_grad():
        expected = theirs(torch.from_numpy(x.array)).numpy()
    np.testing.assert_allclose(model(x).array, expected, rtol=1e-5, atol=1e-6)
    assert checkpoint["epoch"] == 2
    np.testing.assert_array_equal(checkpoint["optimizer"]["state"][0]["exp_avg"].numpy(),
                                  optimizer.state_dict()["state"][0]["exp_avg"])
    buffer = io.BytesIO()
    to_torch_file(model.state_dict(), buffer)
    buffer.seek(0)
    assert set(torch.load(buffer, weights_only=True)) == set(model.state_dict())


def test_to_torch_file_copies_what_torch_cannot_view(tmp_path):
    a = np.arange(12, dtype=np.float64).reshape(3, 4)
    saved = {"flipped": a[::-1], "big_endian": a.astype(">f8"), "as_int": a.view(np.int64)[1],
             "numpy_scalar": np.float32(2.5)}
    to_torch_file(saved, tmp_path / "c.pt")
    back = torch.load(tmp_path / "c.pt", weights_only=True)
    np.testing.assert_array_equal(back["flipped"].numpy(), a[::-1])
    np.testing.assert_array_equal(back["big_endian"].numpy(), a)
    np.testing.assert_array_equal(back["as_int"].numpy(), a.view(np.int64)[1])
    assert back["numpy_scalar"].shape == () and back["numpy_scalar"].item() == 2.5


def test_to_torch_file_refuses_what_it_cannot_write(tmp_path):
    model, _, _ = _trained()
    with pytest.raises(TypeError, match=r"to_torch_file: got a Sequential.*state_dict\(\)"):
        to_torch_file(model, tmp_path / "m.pt")
    with pytest.raises(TypeError, match="cannot write a object"):
        to_torch_file({"x": object()}, tmp_path / "m.pt")
    with pytest.raises(TypeError, match="cannot write a <U1 array"):
        to_torch_file({"x": np.array(["a"])}, tmp_path / "m.pt")
    assert not (tmp_path / "m.pt").exists()
