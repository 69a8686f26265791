"""Loader fuzzing: damaged and crafted files, each loaded in its own process under a time bound
and a memory bound (``resource.setrlimit(RLIMIT_AS)``), must load correctly or raise a named
error (ValueError / TypeError / OSError / pickle.UnpicklingError whose message names the file).

Cases: truncations and bit flips of gs.save files, checkpoints, model files and torch.save
zips (written by ``gs.io.to_torch_file``); crafted safetensors headers (huge header lengths,
wrong dtypes, overlapping / out-of-range offsets, duplicate keys, non-UTF-8, huge shapes,
bad structures and checksums); crafted torch zips (refused globals, huge storages, missing
records, zip bombs, deep pickles). The process is forked from the test (no re-import), so a
case costs milliseconds. ``FUZZ_COUNTS`` holds the counts; the suite's summary prints them.
A bigger run: ``pytest -m slow tests/hardening/test_files_fuzz.py``.
"""
import collections
import io
import json
import os
import pickle
import random
import resource
import signal
import struct
import time
import zipfile

import numpy as np
import pytest

import gradsheet as gs
from gradsheet import models, nn, optim
from gradsheet.io import load_checkpoint, save_checkpoint

try:
    from . import attack
except ImportError:  # pragma: no cover - the attack harness is another suite's
    attack = None

TIME_LIMIT_S = 10.0
MEMORY_HEADROOM = 1 << 30  # above what the forked process already maps
NAMED = (ValueError, TypeError, OSError, pickle.UnpicklingError)
FUZZ_COUNTS = collections.Counter()


def _record(kind, outcome):
    FUZZ_COUNTS[kind] += 1
    if attack is not None:
        attack.COUNTS["loaders"]["result" if outcome == "loaded" else "named error"] += 1


def _vm_size():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _in_child(loader, path, write, time_limit):
    """Run ``loader(path)`` under the bounds; write one JSON line describing the outcome."""
    limit = _vm_size() + MEMORY_HEADROOM
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    signal.alarm(int(time_limit) + 1)
    try:
        value = loader(path)
        outcome = {"outcome": "loaded", "summary": _summary(value)}
    except NAMED as err:
        outcome = {"outcome": "error", "type": type(err).__name__, "message": str(err)[:500]}
    except BaseException as err:  # noqa: BLE001 - the case fails on it
        outcome = {"outcome": "unexplained", "type": type(err).__name__,
                   "message": str(err)[:500]}
    write(json.dumps(outcome))


def _summary(value):
    """A comparable digest of what loaded (tensors by their bytes)."""
    if isinstance(value, tuple) and len(value) == 3 and isinstance(value[0], nn.Module):
        value = value[0].state_dict()
    if isinstance(value, dict) and "epoch" in value and "model" in value:
        value = {"epoch": value["epoch"], "step": value["step"], "model": value["model"]}

    def digest(v):
        if isinstance(v, gs.Tensor):
            return ["T", str(v.array.dtype), list(v.shape), v.array.tobytes().hex()[:4000]]
        if isinstance(v, np.ndarray):
            return ["A", str(v.dtype), list(v.shape), v.tobytes().hex()[:4000]]
        if isinstance(v, dict):
            return ["D", [[repr(k), digest(x)] for k, x in v.items()]]
        if isinstance(v, (list, tuple)):
            return ["L", [digest(x) for x in v]]
        return ["V", repr(v)[:200]]
    try:
        return digest(value)
    except RecursionError:  # a legitimately deep structure (a pickle of nested lists)
        return ["deep"]


def run_case(loader, path, time_limit=TIME_LIMIT_S):
    """Fork, load ``path`` with ``loader`` under the bounds; the outcome dict (or a failure)."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        os.close(read_fd)
        code = 0
        try:
            with os.fdopen(write_fd, "w") as out:
                _in_child(loader, path, out.write, time_limit)
        except BaseException:  # noqa: BLE001
            code = 3
        os._exit(code)
    os.close(write_fd)
    deadline = time.monotonic() + time_limit + 5
    status = None
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        time.sleep(0.002)
    else:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(read_fd)
        return {"outcome": "hang"}
    with os.fdopen(read_fd) as f:
        text = f.read()
    if not text:
        return {"outcome": "crash", "status": status}
    return json.loads(text)


def check(kind, loader, path, expected=None, must_fail=False):
    """The case passes on a named error naming the file, or a load equal to ``expected``."""
    result = run_case(loader, path)
    name = os.path.basename(path)
    assert result["outcome"] in ("loaded", "error"), (kind, path, result)
    if result["outcome"] == "error":
        assert name in result["message"], (kind, path, result)
    else:
        assert not must_fail, (kind, path, "loaded a damaged file", result)
        if expected is not None:
            assert result["summary"] == expected, (kind, path, "loaded something else")
    _record(kind, result["outcome"])
    return result


# ---------------------------------------------------------------- the files attacked
def _nested():
    return {"epoch": 3, "weights": gs.arange(12.0).reshape(3, 4), "ints": gs.tensor([1, 2, 3]),
            "nested": [(1.5, "x"), {"a": gs.ones(2, dtype=gs.float64)}], "none": None}


def _model_file(path):
    spec = models.mlp_spec(4, [3], 2)
    gs.manual_seed(0)
    models.save_model(models.build_model(spec), spec, path)


def _checkpoint_file(path):
    gs.manual_seed(0)
    model = nn.Linear(3, 2)
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    model(gs.ones(4, 3)).sum().backward()
    optimizer.step()
    save_checkpoint(path, model, optimizer, epoch=1, step=1)


def _targets(tmp_path):
    """(kind, path, loader) of a healthy file of each kind."""
    gs.save(_nested(), tmp_path / "nested.safetensors")
    _model_file(tmp_path / "model.safetensors")
    _checkpoint_file(tmp_path / "ckpt.safetensors")
    state = nn.Linear(3, 2).state_dict()
    gs.io.to_torch_file(state, tmp_path / "torch.pt")
    return [("gs.save", tmp_path / "nested.safetensors", gs.load),
            ("model file", tmp_path / "model.safetensors", models.load_model),
            ("checkpoint", tmp_path / "ckpt.safetensors", load_checkpoint),
            ("torch zip", tmp_path / "torch.pt", gs.load)]


def _tensor_region(data):
    """(start, end) of a safetensors file's tensor bytes."""
    (size,) = struct.unpack("<Q", data[:8])
    return 8 + size, len(data)


def _damage_cases(tmp_path, truncations, flips, seed=0):
    rng = random.Random(seed)
    cases = []
    for kind, path, loader in _targets(tmp_path):
        data = path.read_bytes()
        expected = run_case(loader, str(path))
        assert expected["outcome"] == "loaded", (kind, expected)
        cuts = sorted({0, 1, 7, 8, 9, len(data) - 1} |
                      {rng.randrange(len(data)) for _ in range(truncations)})
        for cut in cuts:
            bad = tmp_path / f"{path.stem}-cut{cut}{path.suffix}"
            bad.write_bytes(data[:cut])
            cases.append((f"{kind} truncated", loader, bad, None, cut < len(data)))
        for i in range(flips):
            position, bit = rng.randrange(len(data)), rng.randrange(8)
            flipped = bytearray(data)
            flipped[position] ^= 1 << bit
            bad = tmp_path / f"{path.stem}-flip{i}{path.suffix}"
            bad.write_bytes(bytes(flipped))
            # a flipped bit in a checksummed file's tensor bytes must never load
            in_tensors = kind != "torch zip" and \
                _tensor_region(data)[0] <= position < _tensor_region(data)[1]
            cases.append((f"{kind} bit flip", loader, bad, expected["summary"], in_tensors))
    return cases


def _run_damage(cases):
    for kind, loader, path, expected, must_fail in cases:
        result = check(kind, loader, str(path), None, must_fail)
        if result["outcome"] == "loaded" and kind.startswith("checkpoint"):
            # a checkpoint's digest covers its JSON and every array: what loads is what was saved
            assert result["summary"] == expected, (path, "a damaged checkpoint loaded changed")


def test_truncations_and_bit_flips_load_or_raise_naming_the_file(tmp_path):
    """Every truncation raises naming the file; a flipped bit in the tensor bytes of a
    checksummed file raises; any other flip loads or raises naming the file."""
    cases = _damage_cases(tmp_path, truncations=12, flips=25)
    _run_damage(cases)
    assert len(cases) >= 150


@pytest.mark.slow
def test_many_truncations_and_bit_flips(tmp_path, request):
    """The bigger run (about 2,000 cases, a minute): only when asked for with ``-m slow``."""
    if "slow" not in (request.config.getoption("-m") or "") or \
            "not slow" in request.config.getoption("-m"):
        pytest.skip("the big fuzzing run: pytest -m slow")
    _run_damage(_damage_cases(tmp_path, 100, 400, seed=1))


# ---------------------------------------------------------------- crafted safetensors headers
def _safetensors(header, body=b"", length=None, raw_header=None):
    encoded = raw_header if raw_header is not None else json.dumps(header).encode()
    size = len(encoded) if length is None else length
    return struct.pack("<Q", size) + encoded + body


def _crafted_safetensors():
    four = np.arange(4, dtype=np.float32).tobytes()
    ok = {"t": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}
    structure = lambda root: {  # noqa: E731
        "__metadata__": {"gradsheet.structure": json.dumps({"version": 1, "root": root})}, **ok}
    deep_json = '{"version": 1, "root": ' + '{"tuple": [' * 5000 + '{"tensor": "t"}' + \
        ']}' * 5000 + "}"
    cases = {
        "header length 2**63": _safetensors(ok, four, length=2**63),
        "header length 2**40": _safetensors(ok, four, length=2**40),
        "header length past the end": _safetensors(ok, four, length=len(json.dumps(ok)) + 17),
        "header length 0": _safetensors(ok, four, length=0),
        "header length 1": _safetensors(ok, four, length=1),
        "header not JSON": _safetensors(None, four, raw_header=b"{not json" + b" " * 20),
        "header non-UTF-8": _safetensors(None, four, raw_header=b'{"t\xff\xfe": 1}'),
        "header a list": _safetensors(None, four, raw_header=b"[1, 2, 3]"),
        "header null": _safetensors(None, four, raw_header=b"null"),
        "wrong dtype name": _safetensors(
            {"t": {"dtype": "F99", "shape": [4], "data_offsets": [0, 16]}}, four),
        "dtype of another size": _safetensors(
            {"t": {"dtype": "F64", "shape": [4], "data_offsets": [0, 16]}}, four),
        "dtype not a string": _safetensors(
            {"t": {"dtype": 7, "shape": [4], "data_offsets": [0, 16]}}, four),
        "overlapping offsets": _safetensors(
            {"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},
             "b": {"dtype": "F32", "shape": [4], "data_offsets": [8, 24]}}, four * 2),
        "offsets reversed": _safetensors(
            {"t": {"dtype": "F32", "shape": [4], "data_offsets": [16, 0]}}, four),
        "offsets past the end": _safetensors(
            {"t": {"dtype": "F32", "shape": [4], "data_offsets": [0, 2**40]}}, four),
        "offsets negative": _safetensors(
            {"t": {"dtype": "F32", "shape": [4], "data_offsets": [-16, 0]}}, four),
        "gap between tensors": _safetensors(
            {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
             "b": {"dtype": "F32", "shape": [2], "data_offsets": [12, 20]}}, four * 2),
        "huge shape": _safetensors(
            {"t": {"dtype": "F32", "shape": [2**40, 2**40], "data_offsets": [0, 16]}}, four),
        "shape overflowing 64 bits": _safetensors(
            {"t": {"dtype": "F32", "shape": [2**62, 8], "data_offsets": [0, 16]}}, four),
        "negative shape": _safetensors(
            {"t": {"dtype": "F32", "shape": [-4], "data_offsets": [0, 16]}}, four),
        "shape not a list": _safetensors(
            {"t": {"dtype": "F32", "shape": "4", "data_offsets": [0, 16]}}, four),
        "duplicate keys": _safetensors(None, four, raw_header=(
            b'{"t": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}, '
            b'"t": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}')),
        "metadata not strings": _safetensors({"__metadata__": {"a": 1}, **ok}, four),
        "structure not JSON": _safetensors(
            {"__metadata__": {"gradsheet.structure": "{oops"}, **ok}, four),
        "structure version 99": _safetensors(
            {"__metadata__": {"gradsheet.structure": json.dumps({"version": 99, "root": 1})},
             **ok}, four),
        "structure names a missing tensor": _safetensors(structure({"tensor": "nope"}), four),
        "structure unknown node": _safetensors(structure({"pickle": "x"}), four),
        "structure node of two keys": _safetensors(structure({"dict": [], "set": []}), four),
        "structure dict of a non-pair": _safetensors(structure({"dict": [[1]]}), four),
        "structure unhashable key": _safetensors(structure({"dict": [[[1], 2]]}), four),
        "structure deep nesting": _safetensors(
            {"__metadata__": {"gradsheet.structure": deep_json}, **ok}, four),
        "structure bad base64": _safetensors(structure({"bytes": "%%%"}), four),
        "structure bad float": _safetensors(structure({"float": "abc"}), four),
        "structure bad device": _safetensors(structure({"device": "cuda:zz"}), four),
        "checksum not JSON": _safetensors({"__metadata__": {"gradsheet.sha256": "{"}, **ok}, four),
        "checksum wrong": _safetensors(
            {"__metadata__": {"gradsheet.sha256": json.dumps({"t": "0" * 64})}, **ok}, four),
        "checksum missing a tensor": _safetensors(
            {"__metadata__": {"gradsheet.sha256": json.dumps({})}, **ok}, four),
        "architecture Linear(100000, 100000)": _safetensors(
            {"__metadata__": {"gradsheet.architecture": json.dumps(
                [{"type": "Linear", "kwargs": {"in_features": 100000, "out_features": 100000}}])},
             "0.weight": {"dtype": "F32", "shape": [1, 4], "data_offsets": [0, 16]}}, four),
        "architecture unknown layer with a huge size": _safetensors(
            {"__metadata__": {"gradsheet.architecture": json.dumps(
                [{"type": "LSTM", "kwargs": {"input_size": 100000, "hidden_size": 100000}}])},
             **ok}, four),
        "architecture not JSON": _safetensors(
            {"__metadata__": {"gradsheet.architecture": "[{"}, **ok}, four),
        "architecture of a non-layer": _safetensors(
            {"__metadata__": {"gradsheet.architecture": json.dumps([{"type": "os.system"}])},
             **ok}, four),
        "architecture deeply nested": _safetensors(
            {"__metadata__": {"gradsheet.architecture": "[" * 100000 + "]" * 100000}, **ok},
            four),
        "empty file": b"",
        "only zeros": b"\0" * 64,
    }
    return cases


def test_crafted_safetensors_headers(tmp_path):
    cases = _crafted_safetensors()
    for name, data in cases.items():
        path = tmp_path / f"{name.replace(' ', '_').replace('*', '')}.safetensors"
        path.write_bytes(data)
        for loader in (gs.load, models.load_model, load_checkpoint):
            result = check("crafted safetensors", loader, str(path))
            if name.startswith(("architecture", "checksum", "header length 2", "huge shape",
                                "overlapping", "offsets", "wrong dtype", "structure names")):
                assert result["outcome"] == "error" or loader is gs.load and \
                    name.startswith("architecture"), (name, loader, result)
    # the attack: a 212-byte file must not allocate 37 GiB, and the error names the layer
    path = tmp_path / "architecture_Linear(100000,_100000).safetensors"
    result = run_case(models.load_model, str(path))
    assert result["outcome"] == "error" and "layer 0 (Linear)" in result["message"], result


# ---------------------------------------------------------------- crafted torch zips
def _torch_zip(pickle_bytes, records=None, compress=zipfile.ZIP_STORED, name="archive"):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compress) as z:
        z.writestr(f"{name}/data.pkl", pickle_bytes)
        z.writestr(f"{name}/byteorder", "little")
        for key, data in (records or {}).items():
            z.writestr(f"{name}/data/{key}", data)
        z.writestr(f"{name}/version", "3\n")
    return buffer.getvalue()


def _ref_pickle(module, name, args=()):
    # protocol 2: GLOBAL opcode, args tuple, REDUCE
    return (b"\x80\x02c" + module.encode() + b"\n" + name.encode() + b"\n" +
            pickle.dumps(args, protocol=2)[2:-1] + b"R.")


def _rebuild(storage_key, numel, size, dtype="FloatStorage", offset=0, stride=None):
    """A pickle rebuilding one tensor from storage ``storage_key``, as torch.save writes it."""
    stride = stride if stride is not None else [1] * len(size)
    p = b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\n("
    p += b"(X\x07\x00\x00\x00storagectorch\n" + dtype.encode() + b"\n"
    p += b"X" + struct.pack("<I", len(storage_key)) + storage_key.encode()
    p += b"X\x03\x00\x00\x00cpu" + b"J" + struct.pack("<i", numel) + b"tQ"
    p += b"J" + struct.pack("<i", offset)
    p += pickle.dumps(tuple(size), protocol=2)[2:-1] + pickle.dumps(tuple(stride), protocol=2)[2:-1]
    p += b"\x89ccollections\nOrderedDict\n)RtR."
    return p


def _crafted_zips():
    four = np.arange(4, dtype=np.float32).tobytes()
    deep = b"\x80\x02" + b"]" * 200000 + b"a" * 199999 + b"."  # lists 200000 deep
    return {
        "os.system global": _torch_zip(_ref_pickle("os", "system", ("echo pwned",))),
        "builtins.eval global": _torch_zip(_ref_pickle("builtins", "eval", ("1+1",))),
        "subprocess global": _torch_zip(_ref_pickle("subprocess", "Popen", (["true"],))),
        "healthy tensor": _torch_zip(_rebuild("0", 4, [4]), {"0": four}),
        "storage smaller than claimed": _torch_zip(_rebuild("0", 4, [4]), {"0": four[:8]}),
        "huge storage claimed": _torch_zip(_rebuild("0", 2**31 - 1, [2**31 - 1]), {"0": four}),
        "view past the storage": _torch_zip(_rebuild("0", 4, [4], offset=3), {"0": four}),
        "huge strides": _torch_zip(_rebuild("0", 4, [2, 2], stride=[2**31 - 1, 1]), {"0": four}),
        "negative size": _torch_zip(_rebuild("0", 4, [-4]), {"0": four}),
        "missing storage record": _torch_zip(_rebuild("0", 4, [4])),
        "unknown storage type": _torch_zip(_rebuild("0", 4, [4], dtype="EvilStorage"),
                                           {"0": four}),
        "zip bomb record": _torch_zip(_rebuild("0", 4, [4]), {"0": b"\0" * (256 << 20)},
                                      compress=zipfile.ZIP_DEFLATED),
        "deeply nested pickle": _torch_zip(deep),
        "truncated pickle": _torch_zip(_rebuild("0", 4, [4])[:30], {"0": four}),
        "empty pickle": _torch_zip(b"", {"0": four}),
        "garbage pickle": _torch_zip(bytes(range(256)) * 4, {"0": four}),
        "no data.pkl": _zip_without_pickle(),
        "empty zip": _empty_zip(),
    }


def _zip_without_pickle():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("archive/version", "3\n")
    return buffer.getvalue()


def _empty_zip():
    buffer = io.BytesIO()
    zipfile.ZipFile(buffer, "w").close()
    return buffer.getvalue()


def test_crafted_torch_zips(tmp_path):
    for name, data in _crafted_zips().items():
        path = tmp_path / f"{name.replace(' ', '_')}.pt"
        path.write_bytes(data)
        result = check("crafted torch zip", gs.load, str(path))
        if "global" in name:
            assert result["outcome"] == "error" and result["type"] in ("Refused", "UnpicklingError"), result
        elif name == "healthy tensor":
            assert result["outcome"] == "loaded", result
        elif name not in ("zip bomb record", "deeply nested pickle"):
            assert result["outcome"] == "error", (name, result)
    assert not (tmp_path / "pwned").exists()


def test_the_harness_catches_a_hang_and_a_memory_hog(tmp_path):
    """The bounds themselves work: a case that blocks or allocates without limit fails."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    blocked = run_case(lambda p: open(p, "rb").read(), str(fifo), time_limit=0.5)
    assert blocked["outcome"] in ("hang", "crash", "unexplained"), blocked
    hog = run_case(lambda p: np.ones(1 << 34, dtype=np.uint8), "x")
    assert hog["outcome"] == "unexplained" and hog["type"] == "MemoryError", hog


def test_fuzz_counts_are_reported():
    # runs last in this file: the counts the README's reliability section quotes
    print("loader fuzzing cases:", dict(FUZZ_COUNTS))
