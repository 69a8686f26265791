"""PositionalEncoding: the table against the paper's formula written out term by term, the
layer against PyTorch's word-language-model PositionalEncoding (values, gradients, state dicts
both ways), its layouts and dropout, and bad input."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gradsheet as gs
from gradsheet import nn
from gradsheet.nn.positional import sinusoidal_table
from tests.helpers import check_against_torch, torch_or_skip


def _paper(length, d_model):
    """PE(p, 2i) = sin(p / 10000^(2i/d)), PE(p, 2i+1) = cos(p / 10000^(2i/d)), one term at a
    time."""
    table = np.zeros((length, d_model))
    for p in range(length):
        for j in range(d_model):
            angle = p / 10000 ** ((j - j % 2) / d_model)
            table[p, j] = math.sin(angle) if j % 2 == 0 else math.cos(angle)
    return table


@pytest.mark.parametrize("length, d_model", [(1, 1), (7, 4), (30, 5), (50, 16)])
def test_the_table_is_the_papers_formula(length, d_model):
    np.testing.assert_allclose(sinusoidal_table(length, d_model, "float64"),
                               _paper(length, d_model), rtol=1e-12, atol=1e-12)


def test_the_docstring_example():
    out = nn.PositionalEncoding(4, dropout=0.0)(gs.zeros(2, 1, 4))
    assert out[1, 0, 0].item() == pytest.approx(math.sin(1), rel=1e-6)
    np.testing.assert_allclose(sinusoidal_table(2, 2, "float64"),
                               [[0, 1], [math.sin(1), math.cos(1)]], rtol=1e-15)


def _torch_positional_encoding():
    """PyTorch's examples/word_language_model/model.py PositionalEncoding, verbatim in
    substance."""
    torch = torch_or_skip()

    class PositionalEncoding(torch.nn.Module):
        def __init__(self, d_model, dropout=0.1, max_len=5000):
            super().__init__()
            self.dropout = torch.nn.Dropout(p=dropout)
            pe = torch.zeros(max_len, d_model)
            position = torch.arange(0, max_len, dtype=torch.float).unsqueeze(1)
            div_term = torch.exp(torch.arange(0, d_model, 2).float()
                                 * (-math.log(10000.0) / d_model))
            pe[:, 0::2] = torch.sin(position * div_term)
            pe[:, 1::2] = torch.cos(position * div_term)
            pe = pe.unsqueeze(0).transpose(0, 1)
            self.register_buffer("pe", pe)

        def forward(self, x):
            x = x + self.pe[:x.size(0), :]
            return self.dropout(x)

    return PositionalEncoding


@settings(max_examples=15, deadline=None)
@given(st.integers(1, 12), st.integers(1, 4), st.sampled_from([2, 4, 6, 8]))
def test_matches_torchs_example_layer_values_gradients_and_state_dicts(T, N, E):
    ref = _torch_positional_encoding()(E, dropout=0.0, max_len=20).double()
    layer = nn.PositionalEncoding(E, dropout=0.0, max_len=20)
    # the tables agree to float32 rounding (torch's example computes its table in float32) ...
    np.testing.assert_allclose(layer.pe.array, ref.pe.numpy(), rtol=1e-5, atol=1e-5)
    assert list(layer.state_dict()) == list(ref.state_dict()) == ["pe"]
    # ... and with torch's table loaded, the layers agree exactly, gradients included
    layer.load_state_dict(ref.state_dict())
    x = np.random.default_rng(T * N * E).standard_normal((T, N, E))
    check_against_torch(layer, ref, [x])
    # and back: gradsheet's table loads into torch's layer
    ref.load_state_dict(gs.io.to_torch_state_dict(nn.PositionalEncoding(E, 0.0, 20).state_dict()))
    np.testing.assert_allclose(ref.pe.numpy(), sinusoidal_table(20, E)[:, None])


@pytest.mark.parametrize("shape, batch_first, positions", [
    ((5, 3, 4), False, lambda table: table[:5, None]),
    ((3, 5, 4), True, lambda table: table[None, :5]),
    ((5, 4), False, lambda table: table[:5]),
    ((5, 4), True, lambda table: table[:5]),   # unbatched: the sequence is the first axis
])
def test_layouts(shape, batch_first, positions):
    layer = nn.PositionalEncoding(4, dropout=0.0, max_len=8, batch_first=batch_first)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    expected = x + positions(sinusoidal_table(8, 4))
    np.testing.assert_allclose(layer(gs.tensor(x)).array, expected, rtol=1e-6)


def test_dropout_in_training_only():
    layer = nn.PositionalEncoding(8, dropout=0.5, max_len=64, batch_first=True)
    x = gs.ones(16, 64, 8)
    gs.manual_seed(0)
    zeros = float((layer(x).array == 0).mean())
    assert 0.45 < zeros < 0.55
    layer.eval()
    np.testing.assert_allclose(layer(x).array, np.broadcast_to(1 + sinusoidal_table(64, 8),
                                                          (16, 64, 8)), rtol=1e-6)


def test_repr():
    assert "PositionalEncoding(\n  16, max_len=100, batch_first=True" in repr(
        nn.PositionalEncoding(16, max_len=100, batch_first=True))


@pytest.mark.parametrize("kwargs, fragment", [
    ({"d_model": 0}, "PositionalEncoding: d_model must be an integer >= 1, got 0"),
    ({"d_model": 4.0}, "d_model must be an integer >= 1, got 4.0"),
    ({"d_model": 4, "max_len": 0}, "max_len must be an integer >= 1, got 0"),
    ({"d_model": 4, "max_len": True}, "max_len must be an integer >= 1, got True"),
])
def test_bad_arguments(kwargs, fragment):
    with pytest.raises(ValueError, match=fragment.replace("(", r"\(").replace(".", r"\.")):
        nn.PositionalEncoding(**kwargs)


def test_bad_inputs():
    layer = nn.PositionalEncoding(4, max_len=6)
    with pytest.raises(ValueError, match=r"PositionalEncoding: x must be \(T, N, 4\).*got shape "
                                         r"\[5, 2, 3\]"):
        layer(gs.zeros(5, 2, 3))
    with pytest.raises(ValueError, match=r"x has 7 positions \(shape \[7, 2, 4\]\), more than "
                                         r"max_len=6"):
        layer(gs.zeros(7, 2, 4))
    with pytest.raises(TypeError, match="PositionalEncoding"):
        layer(np.zeros((5, 2, 4)).tolist())
