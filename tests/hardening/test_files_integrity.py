"""Integrity and bounded loading: checksums of model files, checkpoints validated on resume,
architectures checked against the weights before anything is allocated."""
import json
import struct

import numpy as np
import pytest
import safetensors.numpy

import gradsheet as gs
from gradsheet import models, nn, optim
from gradsheet.io import checkpoint as ckpt
from gradsheet.io import load_checkpoint, restore_checkpoint, save_checkpoint
from gradsheet.train import fit


def _flip(path, position, bit=0):
    data = bytearray(path.read_bytes())
    data[position] ^= 1 << bit
    path.write_bytes(bytes(data))


def _tensor_start(path):
    (size,) = struct.unpack("<Q", path.read_bytes()[:8])
    return 8 + size


def test_a_flipped_bit_in_any_tensor_raises_naming_the_file_and_the_tensor(tmp_path):
    state = {"a.weight": gs.arange(6.0).reshape(2, 3), "b.bias": gs.ones(4, dtype=gs.float64)}
    path = tmp_path / "m.safetensors"
    gs.save(state, path)
    with safetensors.safe_open(str(path), "np") as f:
        offsets = {name: f.get_slice(name) for name in f.keys()}  # noqa: SIM118
    assert set(offsets) == set(state)
    start = _tensor_start(path)
    original = path.read_bytes()
    size = len(original) - start
    for position in range(start, start + size):
        path.write_bytes(original)
        _flip(path, position, bit=position % 8)
        with pytest.raises(ValueError, match=r"m\.safetensors.*tensor '(a\.weight|b\.bias)' "
                                             r"fails its SHA-256 check"):
            gs.load(path)
    path.write_bytes(original)
    assert gs.load(path)["a.weight"].tolist() == state["a.weight"].tolist()


def test_files_without_a_checksum_still_load(tmp_path):
    path = tmp_path / "plain.safetensors"
    safetensors.numpy.save_file({"w": np.arange(3.0)}, str(path))
    assert gs.load(path)["w"].tolist() == [0.0, 1.0, 2.0]
    _flip(path, _tensor_start(path))  # nothing to verify it against: loads as it is
    assert gs.load(path)["w"].shape == (3,)


def test_the_checksum_key_stays_out_of_the_user_metadata(tmp_path):
    path = tmp_path / "m.safetensors"
    gs.save({"w": gs.ones(2)}, path, metadata={"note": "hi"})
    assert gs.io.load_metadata(path) == {"note": "hi"}


# ---------------------------------------------------------------- model files, bounded
def _spec(n_in, n_out):
    return [{"type": "Linear", "kwargs": {"in_features": n_in, "out_features": n_out}}]


def _crafted_model(path, spec, tensors):
    path.write_bytes(safetensors.numpy.save(
        tensors, metadata={"gradsheet.architecture": json.dumps(spec)}))


def test_the_212_byte_file_asking_for_37_gib_fails_fast_naming_file_and_layer(tmp_path):
    path = tmp_path / "evil.safetensors"
    _crafted_model(path, _spec(100000, 100000), {"0.weight": np.zeros((1, 1), np.float32)})
    assert path.stat().st_size < 300
    with pytest.raises(ValueError, match=r"evil\.safetensors: layer 0 \(Linear\) .* shape "
                                         r"\[100000, 100000\], but the file's 0\.weight is \[1, 1\]"):
        models.load_model(path)


@pytest.mark.parametrize("spec, tensors, message", [
    (_spec(3, 2), {"0.weight": np.zeros((2, 3), np.float32)}, r"holds no 0\.bias"),
    ([{"type": "Conv2d", "kwargs": {"in_channels": 1, "out_channels": 4096,
                                    "kernel_size": 4096}}],
     {"0.weight": np.zeros((1,), np.float32)}, r"layer 0 \(Conv2d\)"),
    ([{"type": "Embedding", "kwargs": {"num_embeddings": 10**9, "embedding_dim": 10**3}}],
     {}, r"layer 0 \(Embedding\).*holds no 0\.weight"),
    ([{"type": "LSTM", "kwargs": {"input_size": 10**5, "hidden_size": 10**5}}],
     {"0.weight_ih_l0": np.zeros((4, 1), np.float32)},
     r"layer 0 \(LSTM\) .* shape \[400000, 100000\], but the file's 0\.weight_ih_l0 is \[4, 1\]"),
    ([{"type": "Upsample", "kwargs": {"size": [10**5, 10**5]}}],
     {}, r"layer 0 \(Upsample\) asks for a size of 100000"),
    ([{"type": "Linear", "kwargs": {"in_features": -1, "out_features": 2}}],
     {}, r"in_features must be a non-negative int"),
    ([{"type": "Linear", "kwargs": {"out_features": 2}}], {}, r"lacks the argument in_features"),
    ([{"type": "Linear"}], {}, r"lacks the argument"),
    ("Linear", {}, r"list of 1 to"),
    ([7], {}, r"layer 0 is not a"),
])
def test_architectures_are_checked_against_the_weights(tmp_path, spec, tensors, message):
    path = tmp_path / "m.safetensors"
    _crafted_model(path, spec, tensors or {"unused": np.zeros(1, np.float32)})
    with pytest.raises(ValueError, match=message):
        models.load_model(path)


def test_healthy_model_files_load_and_the_size_limit_is_enforced(tmp_path):
    spec = models.cnn_spec(1, 10) + [{"type": "Dropout", "kwargs": {"p": 0.1}}]
    model = models.build_model(spec)
    path = tmp_path / "cnn.safetensors"
    models.save_model(model, spec, path)
    loaded, loaded_spec, _ = models.load_model(path)
    assert loaded_spec == spec
    x = gs.randn(2, 1, 8, 8)
    model.eval()
    loaded.eval()
    assert np.array_equal(model(x).array, loaded(x).array)
    with pytest.raises(ValueError, match=r"cnn\.safetensors holds \d+ bytes of tensors, over the "
                                         r"limit of 1000"):
        models.load_model(path, max_bytes=1000)
    with pytest.raises(ValueError, match="layer 0 .*over the limit"):
        models.check_size(_spec(10**6, 10**6), "arch.json")


# ---------------------------------------------------------------- checkpoints
def _run(optimizer_cls=optim.SGD, **kwargs):
    gs.manual_seed(0)
    model = nn.Linear(3, 2)
    return model, optimizer_cls(model.parameters(), **({"lr": 0.1} | kwargs))


def _edited(tmp_path, edit, name="edited.safetensors", text=None):
    """A checkpoint whose JSON state was edited by hand (and its digest recomputed); ``text``
    edits the JSON text instead."""
    path = tmp_path / name
    model, optimizer = _run()
    save_checkpoint(path, model, optimizer, epoch=2, step=8)
    with safetensors.safe_open(str(path), "np") as f:
        metadata = f.metadata()
        arrays = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118
    if text is not None:
        metadata["state"] = text(metadata["state"])
    else:
        state = json.loads(metadata["state"])
        edit(state)
        metadata["state"] = json.dumps(state)
    metadata["sha256"] = ckpt._digest(metadata["state"], arrays)
    path.write_bytes(safetensors.numpy.save(arrays, metadata=metadata))
    return path


@pytest.mark.parametrize("edit, message", [
    (lambda s: s.pop("model"), r"edited\.safetensors .*no 'model' key"),
    (lambda s: s.pop("rng"), r"no 'rng' key"),
    (lambda s: s.update(epoch=-3), r"its 'epoch' is -3, not an integer in \[0, "),
    (lambda s: s.update(epoch=1e18), r"its 'epoch' is 1e\+18, not an integer"),
    (lambda s: s.update(epoch=10**18), r"its 'epoch' is 1000000000000000000"),
    (lambda s: s.update(epoch="3"), r"its 'epoch' is '3'"),
    (lambda s: s.update(step=-1), r"its 'step' is -1"),
    (lambda s: s.update(step=1), r"'step' 1 is below its 'epoch' 2"),
    (lambda s: s.update(model=[1, 2]), r"its 'model' is a list"),
    (lambda s: s.update(rng=5), r"its 'rng' is not"),
    (lambda s: s.update(history={"epoch": 3}), r"its 'history' is not"),
    (lambda s: s.update(model={"tensor": "nope"}), r"names a tensor 'nope'"),
])
def test_hand_edited_checkpoints_raise_naming_the_file_and_the_key(tmp_path, edit, message):
    path = _edited(tmp_path, edit)
    with pytest.raises(ValueError, match=message):
        load_checkpoint(path)
    model, optimizer = _run()
    with pytest.raises(ValueError, match=message):
        fit(model, nn.MSELoss(), optimizer, (gs.ones(8, 3), gs.ones(8, 2)), epochs=5,
            verbose=0, resume_from=path)


def test_a_deeply_nested_checkpoint_state_raises_naming_the_file(tmp_path):
    def deepen(text):
        return text.replace('"extra": null', '"extra": ' + "[" * 3000 + "0" + "]" * 3000)
    with pytest.raises(ValueError, match=r"edited\.safetensors .*nested too deeply"):
        load_checkpoint(_edited(tmp_path, None, text=deepen))


def test_resuming_with_another_optimizer_or_its_hyperparameters_is_an_error(tmp_path):
    path = tmp_path / "sgd.safetensors"
    model, optimizer = _run(optim.SGD, momentum=0.9)
    save_checkpoint(path, model, optimizer, epoch=1, step=2)
    model, adam = _run(optim.Adam)
    with pytest.raises(ValueError, match=r"sgd\.safetensors was written by a SGD optimizer, "
                                         r"this run's is Adam"):
        restore_checkpoint(path, model, adam)
    model, other = _run(optim.SGD, momentum=0.5)
    with pytest.raises(ValueError, match=r"other hyperparameters .*momentum=0\.9 vs 0\.5"):
        restore_checkpoint(path, model, other)
    model, same = _run(optim.SGD, momentum=0.9)
    assert restore_checkpoint(path, model, same, epochs=3)["epoch"] == 1
    with pytest.raises(ValueError, match=r"is at epoch 1, beyond the 0 epochs"):
        restore_checkpoint(path, model, same, epochs=0)


def test_an_old_checkpoint_without_the_optimizer_class_still_resumes(tmp_path):
    path = _edited(tmp_path, lambda s: s.pop("optimizer_class"))
    model, optimizer = _run()
    assert restore_checkpoint(path, model, optimizer)["optimizer_class"] is None
