"""RNN, LSTM, GRU and their cells against torch.nn with copied weights, float64: outputs, final
states, every parameter and input gradient over a grid of options; padded batches; init;
state_dict interchange; repr; bad input."""
import math
import warnings

import numpy as np
import pytest

import gradsheet as gs
from gradsheet import nn
from tests.helpers import torch_or_skip

MODULES = ["RNN", "LSTM", "GRU"]


def _pair(torch, name, *args, **kwargs):
    """The gradsheet module and torch's, float64, with torch's weights copied over."""
    ref = getattr(torch.nn, name)(*args, **kwargs).double()
    mine = getattr(nn, name)(*args, **kwargs, dtype="float64")
    mine.load_state_dict(ref.state_dict())
    return mine, ref


def _pack(states):
    """A module's hx argument from a list of states: (h, c) for the LSTM, else h."""
    return tuple(states) if len(states) == 2 else states[0]


def _flat(outputs):
    """(output, h_n) or (output, (h_n, c_n)) as a flat list."""
    out, state = outputs
    return [out] + (list(state) if isinstance(state, tuple) else [state])


def _run_both(torch, mine, ref, x, hx=None, torch_forward=None, **kwargs):
    """Forward both, backprop the same random upstream gradients; returns the leaves."""
    gx, tx = gs.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ghx = thx = None
    if hx is not None:
        ghx = [gs.tensor(h, requires_grad=True) for h in hx]
        thx = [torch.tensor(h, requires_grad=True) for h in hx]
    outs = _flat(mine(gx, None if ghx is None else _pack(ghx), **kwargs))
    ref_outs = _flat((torch_forward or ref)(tx, None if thx is None else _pack(thx)))
    rng = np.random.default_rng(3)
    loss, ref_loss = 0, 0
    for out, r in zip(outs, ref_outs, strict=True):
        np.testing.assert_allclose(out.array, r.detach().numpy(), rtol=1e-6, atol=1e-12)
        u = rng.standard_normal(out.shape)
        loss, ref_loss = loss + (out * gs.tensor(u)).sum(), ref_loss + (r * torch.tensor(u)).sum()
    loss.backward()
    ref_loss.backward()
    np.testing.assert_allclose(gx.grad.array, tx.grad.numpy(), rtol=1e-6, atol=1e-12)
    for g, t in zip(ghx or [], thx or []):
        np.testing.assert_allclose(g.grad.array, t.grad.numpy(), rtol=1e-6, atol=1e-12)
    names = [n for n, _ in mine.named_parameters()]
    assert names == [n for n, _ in ref.named_parameters()]
    for (name, p), (_, q) in zip(mine.named_parameters(), ref.named_parameters()):
        np.testing.assert_allclose(p.grad.array, q.grad.numpy(), rtol=1e-6, atol=1e-12,
                                   err_msg=name)


@pytest.mark.parametrize("name", MODULES)
@pytest.mark.parametrize("num_layers, bidirectional", [(1, False), (2, True), (2, False),
                                                       (1, True)])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("initial_state", [False, True])
def test_modules_match_torch(name, num_layers, bidirectional, batch_first, initial_state):
    torch = torch_or_skip()
    mine, ref = _pair(torch, name, 3, 4, num_layers=num_layers, bidirectional=bidirectional,
                      batch_first=batch_first)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 5, 3))  # (T, B) or (B, T): both are fine shapes
    hx = None
    if initial_state:
        shape = (num_layers * (2 if bidirectional else 1), 5 if not batch_first else 2, 4)
        hx = [rng.standard_normal(shape) for _ in range(2 if name == "LSTM" else 1)]
    _run_both(torch, mine, ref, x, hx)


@pytest.mark.parametrize("name", MODULES)
def test_relu_no_bias_and_unbatched_input_match_torch(name):
    torch = torch_or_skip()
    extra = {"nonlinearity": "relu"} if name == "RNN" else {}
    mine, ref = _pair(torch, name, 3, 4, num_layers=2, bias=False, bidirectional=True, **extra)
    rng = np.random.default_rng(1)
    hx = [rng.standard_normal((4, 4)) for _ in range(2 if name == "LSTM" else 1)]
    _run_both(torch, mine, ref, rng.standard_normal((6, 3)), hx)  # (T, input_size)


@pytest.mark.parametrize("name", MODULES)
@pytest.mark.parametrize("batch_first, bidirectional", [(False, False), (True, True)])
def test_lengths_match_torch_packed_sequences(name, batch_first, bidirectional):
    torch = torch_or_skip()
    mine, ref = _pair(torch, name, 3, 4, num_layers=2, bidirectional=bidirectional,
                      batch_first=batch_first)
    lengths = [3, 6, 1, 4]
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4, 6, 3) if batch_first else (6, 4, 3))
    D = 2 if bidirectional else 1
    hx = [rng.standard_normal((2 * D, 4, 4)) for _ in range(2 if name == "LSTM" else 1)]

    def packed(tx, thx):
        seq = torch.nn.utils.rnn.pack_padded_sequence(tx, torch.tensor(lengths),
                                                      batch_first=batch_first,
                                                      enforce_sorted=False)
        out, state = ref(seq, thx)
        out, _ = torch.nn.utils.rnn.pad_packed_sequence(out, batch_first=batch_first,
                                                        total_length=6)
        return out, state
    _run_both(torch, mine, ref, x, hx, torch_forward=packed, lengths=lengths)


@pytest.mark.parametrize("name", MODULES)
def test_padded_batch_equals_each_sequence_alone(name):
    gs.manual_seed(0)
    module = getattr(nn, name)(2, 3, num_layers=2, bidirectional=True, batch_first=True,
                               dtype="float64")
    lengths = [5, 2, 4]
    x = np.random.default_rng(0).standard_normal((3, 5, 2))
    x[1, 2:] = 9.0  # padding values must not matter
    out, state = module(gs.tensor(x), lengths=lengths)
    h_n = state[0] if name == "LSTM" else state
    for b, n in enumerate(lengths):
        alone, alone_state = module(gs.tensor(x[b:b + 1, :n]))
        alone_h = alone_state[0] if name == "LSTM" else alone_state
        np.testing.assert_allclose(out.array[b, :n], alone.array[0], rtol=1e-12, atol=1e-14)
        assert not np.any(out.array[b, n:])
        np.testing.assert_allclose(h_n.array[:, b], alone_h.array[:, 0], rtol=1e-12, atol=1e-14)


def test_padded_steps_receive_no_gradient():
    lstm = nn.LSTM(2, 3, batch_first=True, dtype="float64")
    x = gs.tensor(np.random.default_rng(0).standard_normal((2, 4, 2)), requires_grad=True)
    out, (h, c) = lstm(x, lengths=[4, 2])
    (out.sum() + h.sum() + c.sum()).backward()
    assert not np.any(x.grad.array[1, 2:]) and np.all(x.grad.array[1, :2] != 0)


@pytest.mark.parametrize("name, nonlinearity", [("RNNCell", "tanh"), ("RNNCell", "relu"),
                                                ("LSTMCell", None), ("GRUCell", None)])
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("given_state", [True, False])
def test_cells_match_torch(name, nonlinearity, batched, given_state):
    torch = torch_or_skip()
    extra = {"nonlinearity": nonlinearity} if nonlinearity else {}
    mine, ref = _pair(torch, name, 3, 4, **extra)
    rng = np.random.default_rng(4)
    shape = (2,) if batched else ()
    x = rng.standard_normal(shape + (3,))
    states = [rng.standard_normal(shape + (4,)) for _ in range(2 if name == "LSTMCell" else 1)]
    gx, tx = gs.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    gh = [gs.tensor(s, requires_grad=True) for s in states]
    th = [torch.tensor(s, requires_grad=True) for s in states]
    out = mine(gx, _pack(gh) if given_state else None)
    ref_out = ref(tx, _pack(th) if given_state else None)
    out = out if isinstance(out, tuple) else (out,)
    ref_out = ref_out if isinstance(ref_out, tuple) else (ref_out,)
    loss, ref_loss = 0, 0
    for o, r in zip(out, ref_out, strict=True):
        np.testing.assert_allclose(o.array, r.detach().numpy(), rtol=1e-6, atol=1e-12)
        u = rng.standard_normal(o.shape)
        loss, ref_loss = loss + (o * gs.tensor(u)).sum(), ref_loss + (r * torch.tensor(u)).sum()
    loss.backward()
    ref_loss.backward()
    pairs = [(gx, tx)] + (list(zip(gh, th)) if given_state else [])
    pairs += [(p, q) for (_, p), (_, q) in zip(mine.named_parameters(), ref.named_parameters())]
    for p, q in pairs:
        np.testing.assert_allclose(p.grad.array, q.grad.numpy(), rtol=1e-6, atol=1e-12)


def test_gradcheck_stacked_bidirectional_gru_with_lengths():
    gs.manual_seed(0)
    gru = nn.GRU(2, 2, num_layers=2, bidirectional=True, dtype="float64")
    x = np.random.default_rng(5).standard_normal((3, 2, 2))
    h0 = np.random.default_rng(6).standard_normal((4, 2, 2))
    result = gs.gradcheck(lambda x, h0: gru(x, h0, lengths=[3, 2])[0], [
        gs.tensor(x, requires_grad=True), gs.tensor(h0, requires_grad=True)])
    assert result.passed


@pytest.mark.parametrize("name", MODULES + ["RNNCell", "LSTMCell", "GRUCell"])
def test_torch_state_dict_loads_unchanged_and_repr_matches(name):
    torch = torch_or_skip()
    is_cell = name.endswith("Cell")
    options = {} if is_cell else {"num_layers": 2, "bidirectional": True, "dropout": 0.25,
                                  "batch_first": True}
    ref = getattr(torch.nn, name)(3, 5, bias=False, **options)
    mine = getattr(nn, name)(3, 5, bias=False, **options)
    assert repr(mine) == repr(ref)
    assert {k: tuple(v.shape) for k, v in mine.state_dict().items()} == \
        {k: tuple(v.shape) for k, v in ref.state_dict().items()}
    assert list(mine.state_dict()) == list(ref.state_dict())
    mine.load_state_dict(ref.state_dict())
    for key, value in ref.state_dict().items():
        np.testing.assert_array_equal(mine.state_dict()[key].array, value.numpy())


@pytest.mark.parametrize("name", MODULES + ["LSTMCell"])
def test_init_is_uniform_within_one_over_sqrt_hidden(name):
    """Every parameter ~ U(-k, k), k = 1/sqrt(hidden_size): within the bounds, and the sample
    std k/sqrt(3) to within 6 sd of its estimate (relative sd sqrt((9/5 - 1) / (4 n)))."""
    gs.manual_seed(0)
    module = getattr(nn, name)(20, 64)
    bound = 1 / math.sqrt(64)
    values = np.concatenate([p.array.ravel() for p in module.parameters()])
    assert values.dtype == np.float32
    assert values.min() >= -bound and values.max() <= bound
    tolerance = 6 * math.sqrt((9 / 5 - 1) / (4 * values.size))
    assert abs(values.std() / (bound / math.sqrt(3)) - 1) < tolerance


def test_dropout_between_layers_only_in_training():
    x = gs.tensor(np.random.default_rng(0).standard_normal((4, 2, 3)).astype(np.float32))
    gs.manual_seed(0)
    lstm = nn.LSTM(3, 8, num_layers=2, dropout=0.5)
    plain = nn.LSTM(3, 8, num_layers=2)
    plain.load_state_dict(lstm.state_dict())
    lstm.eval()
    np.testing.assert_array_equal(lstm(x)[0].array, plain(x)[0].array)
    lstm.train()
    first, second = lstm(x)[0].array, lstm(x)[0].array
    assert not np.allclose(first, plain(x)[0].array) and not np.allclose(first, second)
    with pytest.warns(UserWarning, match="num_layers=1"):
        nn.GRU(3, 4, dropout=0.2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.GRU(3, 4, num_layers=2, dropout=0.2)


@pytest.mark.parametrize("call, error, match", [
    (lambda m: m(gs.zeros(2, 3, 4, 5)), ValueError,
     r"LSTM: input must be 3-D .*input_size=3; got shape \(2, 3, 4, 5\)"),
    (lambda m: m(gs.zeros(5, 2, 4)), ValueError, r"input_size=3; got shape \(5, 2, 4\)"),
    (lambda m: m(gs.zeros(5, 2, 3), (gs.zeros(1, 2, 4), gs.zeros(2, 2, 4))), ValueError,
     r"h_0 .* must have shape \(2, 2, 4\), got \(1, 2, 4\)"),
    (lambda m: m(gs.zeros(5, 2, 3), (gs.zeros(2, 2, 4), gs.zeros(2, 3, 4))), ValueError,
     r"c_0 .* must have shape \(2, 2, 4\), got \(2, 3, 4\)"),
    (lambda m: m(gs.zeros(5, 3), (gs.zeros(2, 1, 4), gs.zeros(2, 1, 4))), ValueError,
     r"must have shape \(2, 4\), got \(2, 1, 4\)"),
    (lambda m: m(gs.zeros(5, 2, 3), gs.zeros(2, 2, 4)), TypeError, r"tuple \(h_0, c_0\)"),
    (lambda m: m(gs.zeros(5, 2, 3), lengths=[5, 7]), ValueError,
     r"LSTM: every length must lie in \[1, T=5\].*got 7"),
    (lambda m: m(gs.zeros(5, 2, 3), lengths=[5, 2, 1]), ValueError,
     r"shape \(2,\), got shape \(3,\)"),
])
def test_module_bad_input_names_the_shapes(call, error, match):
    with pytest.raises(error, match=match):
        call(nn.LSTM(3, 4, num_layers=2))


@pytest.mark.parametrize("call, match", [
    (lambda: nn.GRUCell(3, 4)(gs.zeros(2, 5)), r"GRUCell: input must have shape.*input_size=3"
                                                r", got \(2, 5\)"),
    (lambda: nn.GRUCell(3, 4)(gs.zeros(2, 2, 3)), r"got \(2, 2, 3\)"),
    (lambda: nn.RNNCell(3, 4)(gs.zeros(2, 3), gs.zeros(3, 4)), r"hx must have shape \(2, 4\)"),
    (lambda: nn.LSTMCell(3, 4)(gs.zeros(3), (gs.zeros(4), gs.zeros(5))),
     r"c_0 must have shape \(4,\), got \(5,\)"),
    (lambda: nn.LSTM(3, 0), r"hidden_size must be an integer >= 1, got 0"),
    (lambda: nn.GRU(3, 4, dropout=1.5), r"dropout should be a number in range \[0, 1\].*1.5"),
    (lambda: nn.RNN(3, 4, nonlinearity="sigmoid"), r"nonlinearity 'sigmoid'"),
])
def test_construction_and_cell_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()
