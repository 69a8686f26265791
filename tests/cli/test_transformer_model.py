"""A Transformer in the model-file format: the architecture of docs/guides/model-files.md trained
by ``gradsheet train`` on integer tokens from an NPZ file, reloaded by ``evaluate`` and
``predict``; its state dict against PyTorch's; hostile architectures refused before anything is
allocated; token data that is not token ids refused naming the file and the row."""
import json
import pathlib
import re
import time
import tracemalloc

import numpy as np
import pytest

import gradsheet as gs
from gradsheet import cli, models
from gradsheet.io import save
from tests.helpers import torch_or_skip

GUIDE = pathlib.Path(__file__).parents[2] / "docs" / "guides" / "model-files.md"
VOCABULARY, LENGTH = 8, 12


def guide_architecture():
    """The ```json block of the guide's Transformer section, parsed."""
    section = GUIDE.read_text(encoding="utf-8").split("## A Transformer in a model file")[1]
    return json.loads(re.search(r"```json\n(.*?)```", section, re.S).group(1))


def token_task(n, seed):
    """X (n, 12) ids in [2, 8), y = whether the id 1 occurs: planted once at a random step in
    half the rows (chance is 50%)."""
    rng = np.random.default_rng(seed)
    X = rng.integers(2, VOCABULARY, size=(n, LENGTH))
    y = rng.integers(0, 2, size=n)
    rows = np.flatnonzero(y)
    X[rows, rng.integers(0, LENGTH, size=len(rows))] = 1
    return X, y


@pytest.fixture
def trained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("transformer")
    arch = folder / "transformer.json"
    arch.write_text(json.dumps(guide_architecture()))
    X, y = token_task(480, seed=0)
    data = folder / "tokens.npz"
    np.savez(data, X=X, y=y)
    out = folder / "run"
    assert cli.main(["train", "--model", str(arch), "--data", str(data), "--epochs", "4",
                     "--batch-size", "32", "--lr", "0.003", "--out", str(out),
                     "--verbose", "0"]) == 0
    (model_file,) = out.rglob("model.safetensors")  # wherever under --out the run's folder is
    return folder, model_file


def test_train_evaluate_and_predict_a_transformer_on_tokens(trained, capsys):
    folder, model_file = trained
    history = json.loads((model_file.parent / "history.json").read_text())
    assert history["loss"][-1] < 0.7 * history["loss"][0], history["loss"]
    assert history["val_accuracy"][-1] > 0.85, history

    model, spec, metadata = models.load_model(model_file)
    assert spec == guide_architecture() and metadata["num_classes"] == "2"
    assert "2.layers.0.self_attn.in_proj_weight" in model.state_dict()

    X, y = token_task(200, seed=1)  # fresh data
    test = folder / "test.npz"
    np.savez(test, X=X.astype(np.int32), y=y)  # any integer dtype
    capsys.readouterr()
    assert cli.main(["evaluate", "--model", str(model_file), "--data", str(test)]) == 0
    accuracy = float(capsys.readouterr().out.split("accuracy")[1].split(",")[0])
    assert accuracy > 0.85

    csv = folder / "test.csv"  # predict reads a CSV of whole numbers as ids too
    np.savetxt(csv, X, delimiter=",", fmt="%d")
    for source in (test, csv):
        predictions = folder / "pred.txt"
        assert cli.main(["predict", "--model", str(model_file), "--input", str(source),
                         "--out", str(predictions)]) == 0
        predicted = np.loadtxt(predictions, dtype=int)
        assert np.mean(predicted == y) == pytest.approx(accuracy)
    with gs.no_grad():
        expected = model.eval()(gs.tensor(X)).array.argmax(axis=1)
    np.testing.assert_array_equal(predicted, expected)


def _torch_model(spec, torch):
    """The torch.nn Sequential of a spec (nested specs built first), in float64."""
    def build(layer):
        kwargs = dict(layer.get("kwargs", {}))
        for argument in models.NESTED_LAYERS.get(layer["type"], ()):
            if kwargs.get(argument) is not None:
                kwargs[argument] = build(kwargs[argument])
        return getattr(torch.nn, layer["type"])(**kwargs)
    return torch.nn.Sequential(*(build(layer) for layer in spec)).double()


def test_the_state_dict_moves_to_torch_and_back_with_the_same_outputs(tmp_path):
    torch = torch_or_skip()
    # torch.nn has no PositionalEncoding: the rest of the guide's architecture, two layers deep
    spec = [layer for layer in guide_architecture() if layer["type"] != "PositionalEncoding"]
    spec[1]["kwargs"].update(num_layers=2, norm={"type": "LayerNorm",
                                                 "kwargs": {"normalized_shape": 16}})
    gs.manual_seed(0)
    model = models.build_model(spec).double()
    models.save_model(model, spec, tmp_path / "m.safetensors")
    loaded, _, _ = models.load_model(tmp_path / "m.safetensors")
    reference = _torch_model(spec, torch)
    reference.load_state_dict(gs.io.to_torch_state_dict(loaded.state_dict()))
    assert list(reference.state_dict()) == list(loaded.state_dict())
    X, _ = token_task(6, seed=2)
    loaded.eval()
    reference.eval()
    with gs.no_grad(), torch.no_grad():
        ours, theirs = loaded(gs.tensor(X)).array, reference(torch.tensor(X)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-9)
    # and back: torch's weights into a fresh gradsheet model
    fresh = models.build_model(spec).double().eval()
    fresh.load_state_dict(gs.io.from_torch_state_dict(reference.state_dict()))
    with gs.no_grad():
        np.testing.assert_allclose(fresh(gs.tensor(X)).array, theirs, rtol=1e-6, atol=1e-9)


def _hostile(tmp_path, spec, name="hostile.safetensors"):
    """A model file whose weights are the guide's small model's, under ``spec``."""
    small = models.build_model(guide_architecture())
    path = tmp_path / name
    save(small.state_dict(), path, metadata={"gradsheet.architecture": json.dumps(spec)})
    return path


def _encoder(**layer):
    spec = guide_architecture()
    spec[2]["kwargs"]["encoder_layer"]["kwargs"].update(layer)
    return spec


@pytest.mark.parametrize("spec, fragment", [
    (_encoder(d_model=100000), "layer 2 (TransformerEncoder) with {'encoder_layer': "),
    (_encoder(d_model=100000), "allocates layers.0.self_attn.in_proj_weight of shape "
                               "[300000, 100000], but the file's 2.layers.0.self_attn."
                               "in_proj_weight is [48, 16]"),
    (_encoder(dim_feedforward=10**7), "layers.0.linear1.weight of shape [10000000, 16]"),
    (_encoder(nhead=10**9), "layer 2 (TransformerEncoder)"),  # the layer then refuses it
    (_encoder(nhead=-1), "layer 2 (TransformerEncoder): num_heads must be a non-negative int, "
                         "got -1"),
    ([*guide_architecture()[:2],
      {"type": "TransformerEncoder", "kwargs": {**guide_architecture()[2]["kwargs"],
                                                "num_layers": 10**9}}],
     "layer 2 (TransformerEncoder): num_layers must be at most 10000, got 1000000000"),
    ([*guide_architecture()[:2],
      {"type": "TransformerEncoder", "kwargs": {**guide_architecture()[2]["kwargs"],
                                                "num_layers": 5000}}],
     "the file holds no 2.layers.1.self_attn.in_proj_weight"),
    ([*guide_architecture()[:2],
      {"type": "TransformerEncoder",
       "kwargs": {"encoder_layer": {"type": "Transformer",
                                    "kwargs": {"d_model": 1024, "num_encoder_layers": 1000}},
                  "num_layers": 1}}],
     "encoder_layer must be a {'type': 'TransformerEncoderLayer', 'kwargs': {...}} layer spec"),
    ([{"type": "MultiheadAttention", "kwargs": {"embed_dim": 65536, "num_heads": 1}}],
     "layer 0 (MultiheadAttention) with {'embed_dim': 65536, 'num_heads': 1} allocates "
     "in_proj_weight of shape [196608, 65536], but the file holds no 0.in_proj_weight"),
    ([{"type": "Transformer", "kwargs": {"d_model": 1024, "num_encoder_layers": 1000}}],
     "layer 0 (Transformer)"),
    ([{"type": "LSTM", "kwargs": {"input_size": 1024, "hidden_size": 1024,
                                  "num_layers": 1024}}],
     "layer 0 (LSTM) with"),
    ([{"type": "Embedding", "kwargs": {"num_embeddings": 8, "embedding_dim": 16}},
      {"type": "PositionalEncoding", "kwargs": {"d_model": 16, "max_len": 10**8}}],
     "layer 1 (PositionalEncoding) with {'d_model': 16, 'max_len': 100000000} allocates pe of "
     "shape [100000000, 1, 16], but the file's 1.pe is [64, 1, 16]"),
])
def test_a_hostile_architecture_is_refused_before_anything_is_allocated(tmp_path, spec,
                                                                         fragment):
    path = _hostile(tmp_path, spec)
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(ValueError) as error:
            models.load_model(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    message = str(error.value)
    assert message.startswith(f"load_model: {path}: ") and fragment in message, message
    assert peak < 20 * 2**20, f"{peak} bytes allocated before refusing"
    assert time.perf_counter() - start < 10


def test_gradsheet_train_refuses_a_huge_transformer_architecture_naming_the_file(tmp_path,
                                                                                capsys):
    arch = tmp_path / "huge.json"
    arch.write_text(json.dumps(_encoder(d_model=65536, dim_feedforward=65536)))
    X, y = token_task(40, seed=0)
    np.savez(tmp_path / "tokens.npz", X=X, y=y)
    assert cli.main(["train", "--model", str(arch), "--data", str(tmp_path / "tokens.npz"),
                     "--epochs", "1", "--out", str(tmp_path / "run")]) != 0
    err = capsys.readouterr().err
    assert f"{arch}: layer 2 (TransformerEncoder)" in err and "over the limit of" in err, err
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("make, fragment", [
    (lambda X, y: {"X": np.full(X.shape, 2.5), "y": y}, "tokens.npz X[0]: the value 2.5 is not a token id; "
                                          "a model whose first layer is an Embedding takes "
                                          "whole numbers in [0, 8)"),
    (lambda X, y: {"X": np.where(np.arange(12) == 3, 8, X), "y": y},
     "tokens.npz X[0]: the token id 8 is not in [0, 8): the model's first layer is an "
     "Embedding of num_embeddings=8"),
    (lambda X, y: {"X": -X, "y": y}, "tokens.npz X[0]: the token id -"),
])
def test_data_that_are_not_token_ids_are_refused_naming_the_file_and_row(tmp_path, capsys,
                                                                        make, fragment):
    arch = tmp_path / "transformer.json"
    arch.write_text(json.dumps(guide_architecture()))
    X, y = token_task(40, seed=0)
    np.savez(tmp_path / "tokens.npz", **make(X, y))
    assert cli.main(["train", "--model", str(arch), "--data", str(tmp_path / "tokens.npz"),
                     "--epochs", "1", "--out", str(tmp_path / "run")]) != 0
    err = capsys.readouterr().err
    assert fragment in err, err


def test_a_csv_of_tokens_names_the_line(tmp_path, capsys):
    arch = tmp_path / "transformer.json"
    arch.write_text(json.dumps(guide_architecture()))
    X, y = token_task(40, seed=0)
    X[5, 2] = 99
    np.savetxt(tmp_path / "tokens.csv", np.column_stack([X, y]), delimiter=",", fmt="%d")
    assert cli.main(["train", "--model", str(arch), "--data", str(tmp_path / "tokens.csv"),
                     "--epochs", "1", "--out", str(tmp_path / "run")]) != 0
    assert "tokens.csv line 6: the token id 99 is not in [0, 8)" in capsys.readouterr().err


def test_the_bundled_digits_are_no_token_data(tmp_path, capsys):
    arch = tmp_path / "transformer.json"
    arch.write_text(json.dumps(guide_architecture()))
    assert cli.main(["train", "--model", str(arch), "--data", "digits", "--epochs", "1",
                     "--out", str(tmp_path / "run")]) != 0
    assert "data 'digits': a model whose first layer is an Embedding takes integer token ids" \
        in capsys.readouterr().err
