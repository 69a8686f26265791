"""gradsheet.load reading the .pt files torch.save writes (zip and legacy), safely."""
import collections
import io
import os
import pathlib
import pickle
import re
import zipfile

import numpy as np
import pytest

import gradsheet as gs
from gradsheet import nn

torch = pytest.importorskip("torch")

FORMATS = {"zip": {}, "legacy": {"_use_new_zipfile_serialization": False}}


def _save(obj, path, fmt):
    torch.save(obj, str(path), **FORMATS[fmt])
    return path


def _assert_same(loaded, expected):
    """gradsheet's loaded value equals torch's, with gradsheet's types for torch's."""
    if isinstance(expected, torch.Tensor):
        assert isinstance(loaded, gs.Tensor), type(loaded)
        assert loaded.shape == tuple(expected.shape)
        assert loaded.dtype == expected.detach().numpy().dtype
        assert loaded.requires_grad == expected.requires_grad
        assert isinstance(loaded, nn.Parameter) == isinstance(expected, torch.nn.Parameter)
        np.testing.assert_array_equal(loaded.array, expected.detach().numpy())
    elif isinstance(expected, dict):
        assert type(loaded) is type(expected)
        assert list(loaded) == list(expected)
        for key in expected:
            _assert_same(loaded[key], expected[key])
    elif isinstance(expected, (list, tuple)):
        assert type(loaded) is type(expected) and len(loaded) == len(expected)
        for a, b in zip(loaded, expected):
            _assert_same(a, b)
    else:
        assert type(loaded) is type(expected) and loaded == expected


def _torch_layers():
    torch.manual_seed(0)
    bn = torch.nn.BatchNorm2d(3)
    bn.train()
    bn(torch.randn(4, 3, 5, 5))  # running stats and num_batches_tracked move
    return {
        "linear": (torch.nn.Linear(4, 3), nn.Linear(4, 3), torch.randn(2, 4)),
        "conv": (torch.nn.Conv2d(2, 3, 3, padding=1), nn.Conv2d(2, 3, 3, padding=1),
                 torch.randn(2, 2, 5, 5)),
        "batchnorm": (bn.eval(), nn.BatchNorm2d(3).eval(), torch.randn(2, 3, 4, 4)),
        "lstm": (torch.nn.LSTM(3, 4, num_layers=2, bidirectional=True),
                 nn.LSTM(3, 4, num_layers=2, bidirectional=True), torch.randn(5, 2, 3)),
        "embedding": (torch.nn.Embedding(10, 3), nn.Embedding(10, 3),
                      torch.tensor([[1, 2, 9], [0, 0, 4]])),
    }


def _first(out):
    return out[0] if isinstance(out, tuple) else out


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("layer", ["linear", "conv", "batchnorm", "lstm", "embedding"])
def test_layer_state_dicts_load_into_gradsheet_layers(tmp_path, fmt, layer):
    theirs, ours, x = _torch_layers()[layer]
    state = theirs.state_dict()
    loaded = gs.load(_save(state, tmp_path / "layer.pt", fmt))
    _assert_same(loaded, collections.OrderedDict(state))
    if layer == "batchnorm":
        assert loaded["num_batches_tracked"].dtype == np.int64
        assert loaded["num_batches_tracked"].shape == ()
    ours.load_state_dict(loaded)
    with torch.no_grad():
        expected = _first(theirs(x)).numpy()
    got = _first(ours(gs.tensor(x.numpy()))).array
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_checkpoint_with_optimizer_state_resumes_training_as_torch(tmp_path, fmt):
    torch.manual_seed(1)
    theirs = torch.nn.Linear(3, 2)
    opt = torch.optim.Adam(theirs.parameters(), lr=0.01)
    x, y = torch.randn(8, 3), torch.randn(8, 2)
    for _ in range(3):
        opt.zero_grad()
        ((theirs(x) - y) ** 2).mean().backward()
        opt.step()
    checkpoint = {"epoch": 3, "model": theirs.state_dict(), "optimizer": opt.state_dict(),
                  "best": 0.25, "note": "three steps", "extra": None}
    loaded = gs.load(_save(checkpoint, tmp_path / "ckpt.pth", fmt))
    assert loaded["epoch"] == 3 and loaded["best"] == 0.25 and loaded["extra"] is None
    _assert_same(loaded["optimizer"], checkpoint["optimizer"])
    assert isinstance(loaded["optimizer"]["param_groups"][0]["betas"], tuple)
    step = loaded["optimizer"]["state"][0]["step"]
    assert isinstance(step, gs.Tensor) and step.shape == () and float(step.array) == 3.0

    ours = nn.Linear(3, 2)
    ours.load_state_dict(loaded["model"])
    ours_opt = gs.optim.Adam(ours.parameters(), lr=0.01)
    ours_opt.load_state_dict(loaded["optimizer"])
    for _ in range(2):
        opt.zero_grad()
        ((theirs(x) - y) ** 2).mean().backward()
        opt.step()
        ours_opt.zero_grad()
        ((ours(gs.tensor(x.numpy())) - gs.tensor(y.numpy())) ** 2).mean().backward()
        ours_opt.step()
    np.testing.assert_allclose(ours.weight.array, theirs.weight.detach().numpy(), rtol=1e-5)


@pytest.mark.parametrize("fmt", FORMATS)
def test_strided_and_shared_storages_are_views_as_in_torch(tmp_path, fmt):
    base = torch.arange(24.0).reshape(4, 6)
    saved = {"base": base, "t": base.t(), "slice": base[1:, ::2], "row": base[2],
             "expanded": torch.arange(3.0).expand(4, 3), "offset": base.view(-1)[5:9]}
    loaded = gs.load(_save(saved, tmp_path / "views.pt", fmt))
    for name, tensor in saved.items():
        np.testing.assert_array_equal(loaded[name].array, tensor.numpy())
    for name in ("t", "slice", "row", "offset"):  # one storage, as in torch
        assert np.shares_memory(loaded[name].array, loaded["base"].array), name
    loaded["base"].array[2, 0] = -1.0
    assert loaded["row"].array[0] == -1.0 and loaded["t"].array[0, 2] == -1.0
    assert loaded["t"].array.strides == (8 // 2, 6 * 4)  # float32: (1, 6) elements
    assert not loaded["expanded"].array.flags.writeable  # elements overlap: read-only
    assert loaded["slice"].array.flags.writeable


def test_two_entries_of_one_tensor_load_as_one_tensor(tmp_path):
    t = torch.ones(3)
    loaded = gs.load(_save({"a": t, "b": t, "c": [t]}, tmp_path / "same.pt", "zip"))
    assert loaded["a"] is loaded["b"] is loaded["c"][0]


DTYPES = [torch.float16, torch.float32, torch.float64, torch.int8, torch.int16, torch.int32,
          torch.int64, torch.uint8, torch.bool, torch.complex64, torch.complex128,
          torch.uint16, torch.uint32, torch.uint64]


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_dtype_numpy_holds(tmp_path, fmt):
    saved = {}
    for dtype in DTYPES:
        name = str(dtype).removeprefix("torch.")
        values = torch.tensor([[0, 1, 5], [7, 100, 3]]).to(dtype)
        saved[name] = values
        saved[name + "_scalar"] = values[1, 1].clone()
        saved[name + "_empty"] = values[:0]
    if fmt == "legacy":  # the legacy format has no storage class for uint16/32/64
        saved = {k: v for k, v in saved.items() if not k.startswith("uint") or "8" in k}
    loaded = gs.load(_save(saved, tmp_path / "dtypes.pt", fmt))
    _assert_same(loaded, saved)
    assert loaded["float16"].dtype == np.float16 and loaded["complex128"].dtype == np.complex128


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("dtype", ["bfloat16", "float8_e4m3fn"])
def test_dtypes_numpy_lacks_raise_naming_the_tensor(tmp_path, fmt, dtype):
    if fmt == "legacy" and dtype != "bfloat16":
        pytest.skip("the legacy format cannot hold float8")
    path = _save({"ok": torch.ones(2), "w": torch.ones(2, 3, dtype=getattr(torch, dtype))},
                 tmp_path / "half.pt", fmt)
    with pytest.raises(TypeError, match=rf"{re.escape(str(path))}: the tensor at \['w'\] is "
                                        rf"{dtype} \(shape \[2, 3\]\), which NumPy has no dtype"):
        gs.load(path)


def test_parameters_requires_grad_and_plain_values(tmp_path):
    saved = {"p": torch.nn.Parameter(torch.ones(2)),
             "frozen": torch.nn.Parameter(torch.ones(2), requires_grad=False),
             "grad": torch.ones(2, requires_grad=True), "int": 3, "float": -1.5, "str": "x",
             "none": None, "bool": True, "tuple": (1, (2, 3)), "list": [1.0, "a"], 7: "int key",
             (1, 2): "tuple key", "bytes": b"\x00\xff", "complex": 1 + 2j, "set": {1, 2}}
    loaded = gs.load(_save(saved, tmp_path / "plain.pt", "zip"))
    for key in ("p", "frozen", "grad"):
        _assert_same(loaded[key], saved[key])
    for key, value in saved.items():
        if key not in ("p", "frozen", "grad"):
            assert type(loaded[key]) is type(value) and loaded[key] == value, key
    extra = gs.load(_save({"size": torch.Size([2, 3]), "dtype": torch.float64,
                           "device": torch.device("cpu")}, tmp_path / "more.pt", "zip"))
    assert extra["size"] == (2, 3) and extra["dtype"] is np.float64
    assert extra["device"] == gs.device("cpu")


def test_file_objects_pathlib_mmap_and_torch_keywords(tmp_path):
    saved = {"w": torch.randn(3, 4), "b": torch.arange(5)}
    path = tmp_path / "m.pt"
    torch.save(saved, path)
    buffer = io.BytesIO()
    torch.save(saved, buffer)
    buffer.seek(0)
    for loaded in (gs.load(path), gs.load(str(path)), gs.load(buffer),
                   gs.load(path, map_location="cpu"), gs.load(path, map_location=torch.device("cpu")),
                   gs.load(path, map_location={"cuda:0": "cpu"}),
                   gs.load(path, map_location=lambda storage, loc: storage),
                   gs.load(path, weights_only=True), gs.load(path, weights_only=False),
                   gs.load(path, encoding="latin1")):
        _assert_same(loaded, saved)
    before = path.read_bytes()
    mapped = gs.load(path, mmap=True)
    _assert_same(mapped, saved)
    mapped["w"].array[...] = 0  # copy-on-write: the file stays as it was
    assert path.read_bytes() == before
    with pytest.raises(ValueError, match="f must be a file path in order to use the mmap"):
        gs.load(io.BytesIO(before), mmap=True)
    torch.save(saved, tmp_path / "old.pt", _use_new_zipfile_serialization=False)
    with pytest.raises(RuntimeError, match="mmap can only be used with files saved with"):
        gs.load(tmp_path / "old.pt", mmap=True)
    with pytest.raises(RuntimeError, match="Can not safely load weights when explicit "
                                           "pickle_module is specified"):
        gs.load(path, pickle_module=pickle, weights_only=True)
    _assert_same(gs.load(path, pickle_module=pickle), saved)  # never used
    with pytest.raises(RuntimeError, match="no CUDA device"):
        gs.load(path, map_location="cuda")
    with pytest.raises(TypeError, match="unexpected keyword argument 'bogus'"):
        gs.load(path, bogus=1)


def test_big_endian_files_are_byteswapped(tmp_path):
    saved = {"f": torch.tensor([1.5, -2.0, 1e30]), "i": torch.tensor([1, 256, -3]),
             "h": torch.tensor([0.5, 65504.0], dtype=torch.float16), "u": torch.tensor([1, 255],
                                                                                      dtype=torch.uint8)}
    little = tmp_path / "little.pt"
    torch.save(saved, little)
    big = tmp_path / "big.pt"
    with zipfile.ZipFile(little) as src, zipfile.ZipFile(big, "w") as dst:
        data_pkl = [n for n in src.namelist() if n.endswith("data.pkl")][0]
        dtypes = {}
        unpickled = gs.load(little)
        for key, name in zip(saved, range(len(saved))):
            dtypes[f"little/data/{name}"] = unpickled[key].array.dtype
        for name in src.namelist():
            data = src.read(name)
            if name.endswith("byteorder"):
                data = b"big"
            elif name in dtypes:
                data = np.frombuffer(data, dtypes[name]).byteswap().tobytes()
            dst.writestr(name, data)
        assert data_pkl
    _assert_same(gs.load(big), saved)


# ------------------------------------------------------------------ refusals
class _System:
    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return os.system, (self.command,)


class _Open:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return open, (self.path, "w")


class _Touch:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return pathlib.Path.touch, (pathlib.Path(self.path),)


def _zip_with(path, data_pkl, archive="archive"):
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(f"{archive}/data.pkl", data_pkl)
        z.writestr(f"{archive}/version", "3\n")
    return path


@pytest.mark.parametrize("protocol", [0, 2, 4, 5])
@pytest.mark.parametrize("attack, qualname", [
    (_System, r"(posix|nt)\.system"), (_Open, r"(io|builtins)\.open"),
    (_Touch, r"(pathlib\.\w*Path|builtins\.getattr)")])
def test_crafted_pickles_in_a_zip_are_refused_and_run_nothing(tmp_path, protocol, attack,
                                                              qualname):
    marker = tmp_path / "code-ran"
    payload = {"w": [1.0, 2.0], "evil": attack(f"touch {marker}" if attack is _System
                                                  else str(marker))}
    path = _zip_with(tmp_path / "evil.pt", pickle.dumps(payload, protocol=protocol))
    for weights_only in (None, False):
        with pytest.raises(pickle.UnpicklingError,
                           match=rf"{re.escape(str(path))}: refusing the global {qualname}"):
            gs.load(path, weights_only=weights_only)
    assert not marker.exists()


def test_crafted_legacy_pickle_is_refused(tmp_path):
    marker = tmp_path / "code-ran"
    path = tmp_path / "evil-legacy.pt"
    torch.save({"w": torch.ones(2)}, path, _use_new_zipfile_serialization=False)
    data = path.read_bytes()
    header = b"".join(pickle.dumps(v, protocol=2) for v in (
        0x1950A86A20F9469CFC6C, 1001, {"protocol_version": 1001}))
    path.write_bytes(header + pickle.dumps({"x": _Touch(str(marker))}, protocol=2))
    with pytest.raises(pickle.UnpicklingError, match="refusing the global (pathlib|builtins.getattr)"):
        gs.load(path)
    assert not marker.exists() and data


def test_a_pickled_module_is_refused(tmp_path):
    for fmt in FORMATS:
        path = _save(torch.nn.Linear(2, 2), tmp_path / f"whole-{fmt}.pt", fmt)
        with pytest.raises(pickle.UnpicklingError, match="refusing the global torch.nn.modules."
                                                         "linear.Linear|pickled module"):
            gs.load(path)


def test_build_on_an_allowed_global_is_refused(tmp_path):
    # GLOBAL collections.OrderedDict, then BUILD with slot state: would set an attribute on
    # the class itself
    data = (b"\x80\x02ccollections\nOrderedDict\nN}X\x01\x00\x00\x00xK\x01s\x86b.")
    path = _zip_with(tmp_path / "build.pt", data)
    with pytest.raises(pickle.UnpicklingError, match=re.escape(str(path)) + ".*set 'x'"):
        gs.load(path)
    assert not hasattr(collections.OrderedDict, "x")


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_torchscript_archives_are_refused(tmp_path):
    path = tmp_path / "scripted.pt"
    torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), str(path))
    with pytest.raises(ValueError, match="TorchScript archive"):
        gs.load(path)


# ------------------------------------------------------------------ damaged files
@pytest.mark.parametrize("fmt", FORMATS)
def test_truncated_files_raise_naming_the_file(tmp_path, fmt):
    good = _save({"w": torch.randn(50), "b": torch.arange(7)}, tmp_path / "good.pt", fmt)
    data = good.read_bytes()
    for cut in sorted({1, 10, 40, 100, len(data) // 3, len(data) // 2, len(data) - 60,
                       len(data) - 30, len(data) - 1}):
        path = tmp_path / f"cut-{cut}.pt"
        path.write_bytes(data[:cut])
        with pytest.raises(ValueError, match=re.escape(str(path))):
            gs.load(path)


def test_corrupt_zip_records_raise_naming_the_file(tmp_path):
    good = _save({"w": torch.randn(50)}, tmp_path / "good.pt", "zip")
    data = good.read_bytes()
    with zipfile.ZipFile(good) as z:
        offsets = {i.filename: i.header_offset for i in z.infolist()}
    for record in ("good/data.pkl", "good/data/0"):  # a flipped byte fails the CRC check
        header = offsets[record]
        start = header + 30 + int.from_bytes(data[header + 26:header + 28], "little") + \
            int.from_bytes(data[header + 28:header + 30], "little")
        path = tmp_path / f"flip-{record.replace('/', '-')}.pt"
        path.write_bytes(data[:start + 3] + bytes([data[start + 3] ^ 0x5A]) + data[start + 4:])
        with pytest.raises(ValueError, match=re.escape(str(path)) + ".*damaged"):
            gs.load(path)
    empty = tmp_path / "empty.pt"
    zipfile.ZipFile(empty, "w").close()
    with pytest.raises(ValueError, match=re.escape(str(empty)) + ".*damaged.*zip"):
        gs.load(empty)
    other = tmp_path / "other.pt"
    with zipfile.ZipFile(other, "w") as z:
        z.writestr("archive/readme.txt", "hi")
    with pytest.raises(ValueError, match="no archive/data.pkl: not a torch.save file"):
        gs.load(other)


def test_inconsistent_storages_raise(tmp_path):
    source = _save({"x": torch.arange(6.0)}, tmp_path / "x.pt", "zip")
    with zipfile.ZipFile(source) as z:
        records = {n: z.read(n) for n in z.namelist()}
    short = dict(records, **{"x/data/0": records["x/data/0"][:8]})
    path = tmp_path / "short.pt"
    with zipfile.ZipFile(path, "w") as z:
        for name, data in short.items():
            z.writestr(name, data)
    with pytest.raises(ValueError, match="holds 8 bytes, its storage .6 float32 elements. 24"):
        gs.load(path)
    # the storage claims 2 elements (8 bytes), the tensor 6: past its end
    pkl = re.sub(rb"(cpuq.)K\x06", b"\\1K\x02", records["x/data.pkl"])
    assert pkl != records["x/data.pkl"]
    path = tmp_path / "past.pt"
    with zipfile.ZipFile(path, "w") as z:
        for name, data in dict(short, **{"x/data.pkl": pkl}).items():
            z.writestr(name, data)
    with pytest.raises(ValueError, match="reaches past the end of storage"):
        gs.load(path)
    missing = tmp_path / "missing.pt"
    with zipfile.ZipFile(missing, "w") as z:
        z.writestr("x/data.pkl", records["x/data.pkl"])
    with pytest.raises(ValueError, match="no record x/data/0"):
        gs.load(missing)


def test_random_bytes_and_plain_pickles_are_not_loaded(tmp_path):
    marker = tmp_path / "code-ran"
    for name, payload in {"random": np.random.default_rng(0).bytes(300),
                          "pickle": pickle.dumps({"w": _Touch(str(marker))}),
                          "zip magic": b"PK\x03\x04" + bytes(40)}.items():
        path = tmp_path / f"{name}.pt"
        path.write_bytes(payload)
        with pytest.raises(ValueError, match=re.escape(str(path))):
            gs.load(path)
    assert not marker.exists()
