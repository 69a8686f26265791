"""The fused LSTM, GRU and RNN (cells and layers) against their line-by-line references."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gradsheet as gs
from gradsheet import reference
from gradsheet.ops import recurrent as fused
from tests.helpers import torch_or_skip
from tests.reference.oracle import check_against_reference

GATES = {"lstm": 4, "gru": 3, "rnn_tanh": 1, "rnn_relu": 1}
CELLS = {
    "lstm": (lambda x, h, c, *w: fused.lstm_cell(x, (h, c), *w),
             lambda x, h, c, *w: reference.lstm_cell(x, (h, c), *w)),
    "gru": (lambda x, h, *w: fused.gru_cell(x, h, *w), reference.gru_cell),
    "rnn_tanh": (fused.rnn_tanh_cell, reference.rnn_cell),
    "rnn_relu": (fused.rnn_relu_cell,
                 lambda x, h, *w: reference.rnn_cell(x, h, *w, nonlinearity="relu")),
}


def _arrays(kind, T, B, n_in, H, bias, seed):
    """x, the state(s) and the weights of one layer, drawn with the seed."""
    rng = np.random.default_rng(seed)
    G = GATES[kind]
    shapes = [(T, B, n_in) if T else (B, n_in), (B, H)] + ([(B, H)] if kind == "lstm" else [])
    shapes += [(G * H, n_in), (G * H, H)] + ([(G * H,), (G * H,)] if bias else [])
    return [rng.standard_normal(s) * 0.7 for s in shapes]


sizes = dict(B=st.integers(1, 4), n_in=st.integers(1, 4), H=st.integers(1, 4),
             bias=st.booleans(), seed=st.integers(0, 2**16))


@pytest.mark.parametrize("kind", list(CELLS))
@settings(max_examples=12, deadline=None)
@given(**sizes)
def test_cell_matches_its_reference(kind, B, n_in, H, bias, seed):
    fused_cell, reference_cell = CELLS[kind]
    check_against_reference(fused_cell, reference_cell, _arrays(kind, 0, B, n_in, H, bias, seed))


LAYERS = {
    "lstm": (fused.lstm_layer, reference.lstm_layer),
    "gru": (fused.gru_layer, reference.gru_layer),
    "rnn_tanh": (fused.rnn_layer, reference.rnn_layer),
    "rnn_relu": (lambda *a, **k: fused.rnn_layer(*a[:-2], *_bias(a), nonlinearity="relu", **k),
                 lambda *a, **k: reference.rnn_layer(*a[:-2], *_bias(a), nonlinearity="relu",
                                                     **k)),
}


def _bias(args):
    return args[-2:]


@pytest.mark.parametrize("kind", list(LAYERS))
@settings(max_examples=10, deadline=None)
@given(T=st.integers(1, 5), reverse=st.booleans(), ragged=st.booleans(), **sizes)
def test_layer_over_time_matches_its_reference(kind, T, B, n_in, H, bias, seed, reverse, ragged):
    fused_layer, reference_layer = LAYERS[kind]
    lengths = None
    if ragged:  # a padded batch: each sequence's own length in [1, T], unsorted
        lengths = np.random.default_rng(seed).integers(1, T + 1, size=B)
    arrays = _arrays(kind, T, B, n_in, H, True, seed)
    if not bias:  # pass the biases as None (the last two arrays are then unused)
        arrays = arrays[:-2]

    def call(layer):
        def run(*a):
            weights = a if bias else a + (None, None)
            return layer(*weights, reverse=reverse, lengths=lengths)
        return run
    check_against_reference(call(fused_layer), call(reference_layer), arrays)


def test_layer_with_zero_initial_state_matches_its_reference():
    x, _, _, w_ih, w_hh, b_ih, b_hh = _arrays("lstm", 3, 2, 3, 2, True, 0)
    check_against_reference(lambda *a: fused.lstm_layer(a[0], None, None, *a[1:]),
                            lambda *a: reference.lstm_layer(a[0], None, None, *a[1:]),
                            [x, w_ih, w_hh, b_ih, b_hh])
    check_against_reference(lambda *a: fused.gru_layer(a[0], None, *a[1:]),
                            lambda *a: reference.gru_layer(a[0], None, *a[1:]),
                            [x, *_arrays("gru", 3, 2, 3, 2, True, 0)[2:]])


def test_the_reference_lstm_cell_is_torch_s():
    """The oracle itself against torch.nn.LSTMCell's formula (gate order i, f, g, o)."""
    torch = torch_or_skip()
    x, h, c, w_ih, w_hh, b_ih, b_hh = _arrays("lstm", 0, 3, 2, 4, True, 7)
    cell = torch.nn.LSTMCell(2, 4, dtype=torch.float64)
    with torch.no_grad():
        for p, a in zip(cell.parameters(), (w_ih, w_hh, b_ih, b_hh)):
            p.copy_(torch.tensor(a))
    h_t, c_t = cell(torch.tensor(x), (torch.tensor(h), torch.tensor(c)))
    ours = reference.lstm_cell(*(gs.tensor(a) for a in (x,)), (gs.tensor(h), gs.tensor(c)),
                               *(gs.tensor(a) for a in (w_ih, w_hh, b_ih, b_hh)))
    np.testing.assert_allclose(ours[0].array, h_t.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours[1].array, c_t.detach().numpy(), rtol=1e-12)


def test_the_reference_cell_names_the_gates_as_the_sheet_does():
    import inspect
    source = inspect.getsource(reference.lstm_cell)
    lines = [next(i for i, line in enumerate(source.splitlines()) if line.strip().startswith(name))
             for name in ("gamma_i =", "gamma_f =", "gamma_o =", "g =", "c_t =", "h_t =")]
    assert lines == sorted(lines)  # Γ_i, Γ_f, Γ_o, g, c_t, h_t in that order
