"""Fused recurrent ops: one layer (all T steps) and one cell step, against torch in float64 (values,
final states, every gradient), gradcheck, variable lengths, dtypes and bad input."""
import numpy as np
import pytest

import gradsheet as gs
from gradsheet.ops import recurrent
from tests.helpers import check_gradients, torch_or_skip

GATES = {"lstm": 4, "gru": 3, "tanh": 1, "relu": 1}
T, B, IN, H = 5, 3, 4, 6


def _arrays(kind, seed=0, T=T, B=B, IN=IN, H=H):
    """x, h0, c0, w_ih, w_hh, b_ih, b_hh as float64 arrays (weights scaled so gates vary)."""
    rng = np.random.default_rng(seed)
    G = GATES[kind]
    shapes = [(T, B, IN), (B, H), (B, H), (G * H, IN), (G * H, H), (G * H,), (G * H,)]
    return [rng.standard_normal(s) * (0.6 if i >= 3 else 1.0) for i, s in enumerate(shapes)]


def _layer(kind, x, h0, c0, w_ih, w_hh, b_ih, b_hh, **options):
    if kind == "lstm":
        return recurrent.lstm_layer(x, h0, c0, w_ih, w_hh, b_ih, b_hh, **options)
    if kind == "gru":
        return recurrent.gru_layer(x, h0, w_ih, w_hh, b_ih, b_hh, **options)
    return recurrent.rnn_layer(x, h0, w_ih, w_hh, b_ih, b_hh, nonlinearity=kind, **options)


def _torch_layer(torch, kind, arrays, reverse, lengths):
    """The same layer in torch: nn.LSTM/GRU/RNN with copied weights; reverse by flipping each
    sequence within its length; lengths through pack_padded_sequence / pad_packed_sequence."""
    x, h0, c0, w_ih, w_hh, b_ih, b_hh = arrays
    Tn, Bn, In = x.shape
    cls = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}.get(kind)
    module = cls(In, h0.shape[1]) if cls else torch.nn.RNN(In, h0.shape[1], nonlinearity=kind)
    module = module.double()
    with torch.no_grad():
        for name, value in zip(["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"],
                               [w_ih, w_hh, b_ih, b_hh]):
            getattr(module, name).copy_(torch.tensor(value))
    leaves = [torch.tensor(a, requires_grad=True) for a in (x, h0, c0)]
    lens = [Tn] * Bn if lengths is None else list(lengths)
    # index that reverses each sequence within its own length (an involution)
    flip = torch.tensor([[lens[b] - 1 - t if t < lens[b] else t for b in range(Bn)]
                         for t in range(Tn)])
    xs = torch.gather(leaves[0], 0, flip[:, :, None].expand(Tn, Bn, In)) if reverse else leaves[0]
    hx = (leaves[1][None], leaves[2][None]) if kind == "lstm" else leaves[1][None]
    packed = torch.nn.utils.rnn.pack_padded_sequence(xs, torch.tensor(lens), enforce_sorted=False)
    out, state = module(packed, hx)
    y, _ = torch.nn.utils.rnn.pad_packed_sequence(out, total_length=Tn)
    if reverse:
        y = torch.gather(y, 0, flip[:, :, None].expand_as(y))
        y = y * (torch.arange(Tn)[:, None] < torch.tensor(lens)[None]).double()[:, :, None]
    states = [state[0][0], state[1][0]] if kind == "lstm" else [state[0]]
    params = [module.weight_ih_l0, module.weight_hh_l0, module.bias_ih_l0, module.bias_hh_l0]
    return [y] + states, leaves, params


@pytest.mark.parametrize("kind", ["lstm", "gru", "tanh", "relu"])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("lengths", [None, [5, 2, 4], [3, 3, 1]])
def test_layer_matches_torch_values_states_and_every_gradient(kind, reverse, lengths):
    torch = torch_or_skip()
    arrays = _arrays(kind)
    inputs = [gs.tensor(a, dtype="float64", requires_grad=True) for a in arrays]
    if kind != "lstm":
        inputs[2] = None
    outs = _layer(kind, *inputs, reverse=reverse, lengths=lengths)
    ref_outs, leaves, params = _torch_layer(torch, kind, arrays, reverse, lengths)
    rng = np.random.default_rng(1)
    loss, ref_loss = 0, 0
    for out, ref in zip(outs, ref_outs):
        np.testing.assert_allclose(out.array, ref.detach().numpy(), rtol=1e-6, atol=1e-12)
        upstream = rng.standard_normal(out.shape)
        loss = loss + (out * gs.tensor(upstream)).sum()
        ref_loss = ref_loss + (ref * torch.tensor(upstream)).sum()
    loss.backward()
    ref_loss.backward()
    refs = leaves + params
    for i, mine in enumerate(inputs):
        if mine is None:
            continue
        np.testing.assert_allclose(mine.grad.array, refs[i].grad.numpy(), rtol=1e-6, atol=1e-12,
                                   err_msg=f"gradient of input {i}")


@pytest.mark.parametrize("kind", ["lstm", "gru", "tanh", "relu"])
def test_cells_match_torch_cells(kind):
    torch = torch_or_skip()
    x, h, c, w_ih, w_hh, b_ih, b_hh = _arrays(kind, T=1)
    x = x[0]
    gx, gh, gc, *gw = (gs.tensor(a, requires_grad=True) for a in (x, h, c, w_ih, w_hh, b_ih, b_hh))
    tx, th, tc, *tw = (torch.tensor(a, requires_grad=True)
                       for a in (x, h, c, w_ih, w_hh, b_ih, b_hh))
    if kind == "lstm":
        out = recurrent.lstm_cell(gx, (gh, gc), *gw)
        ref = torch.lstm_cell(tx, (th, tc), *tw)
    else:
        fn = {"gru": "gru_cell", "tanh": "rnn_tanh_cell", "relu": "rnn_relu_cell"}[kind]
        out, ref = (getattr(recurrent, fn)(gx, gh, *gw),), (getattr(torch, fn)(tx, th, *tw),)
    rng = np.random.default_rng(2)
    loss, ref_loss = 0, 0
    for o, r in zip(out, ref):
        np.testing.assert_allclose(o.array, r.detach().numpy(), rtol=1e-6, atol=1e-12)
        u = rng.standard_normal(o.shape)
        loss, ref_loss = loss + (o * gs.tensor(u)).sum(), ref_loss + (r * torch.tensor(u)).sum()
    loss.backward()
    ref_loss.backward()
    pairs = [(gx, tx), (gh, th)] + ([(gc, tc)] if kind == "lstm" else []) + list(zip(gw, tw))
    for mine, theirs in pairs:
        np.testing.assert_allclose(mine.grad.array, theirs.grad.numpy(), rtol=1e-6, atol=1e-12)


def test_rnn_and_gru_cells_are_one_node():
    x, h, _, w_ih, w_hh, b_ih, b_hh = (gs.tensor(a, requires_grad=True)
                                       for a in _arrays("gru", T=1))
    out = recurrent.gru_cell(x[0], h, w_ih, w_hh, b_ih, b_hh)
    assert isinstance(out.grad_fn, recurrent.GRU)


@pytest.mark.parametrize("kind", ["lstm", "gru", "tanh"])
@pytest.mark.parametrize("reverse, lengths", [(False, None), (True, [3, 1])])
def test_layer_gradcheck(kind, reverse, lengths):
    arrays = _arrays(kind, T=3, B=2, IN=2, H=2)
    if kind != "lstm":
        arrays = arrays[:2] + arrays[3:]

    def fn(*inputs):
        if kind != "lstm":
            inputs = inputs[:2] + (None,) + inputs[2:]
        outs = _layer(kind, *inputs, reverse=reverse, lengths=lengths)
        return outs
    check_gradients(fn, arrays)


def test_padded_steps_leave_the_state_and_get_no_gradient():
    arrays = _arrays("lstm")
    x = gs.tensor(arrays[0], requires_grad=True)
    rest = [gs.tensor(a) for a in arrays[1:]]
    y, h, c = recurrent.lstm_layer(x, *rest, lengths=[2, 5, 3])
    assert not np.any(y.array[2:, 0]) and not np.any(y.array[3:, 2])
    np.testing.assert_array_equal(h.array[0], y.array[1, 0])  # the state at each sequence's end
    (y.sum() + h.sum() + c.sum()).backward()
    assert not np.any(x.grad.array[2:, 0]) and not np.any(x.grad.array[3:, 2])
    assert np.all(x.grad.array[:2, 0] != 0)


def test_float32_stays_float32_and_default_states_are_zeros():
    x, _, _, w_ih, w_hh, b_ih, b_hh = (gs.tensor(a.astype(np.float32), requires_grad=True)
                                       for a in _arrays("lstm"))
    y, h, c = recurrent.lstm_layer(x, None, None, w_ih, w_hh, b_ih, b_hh)
    zeros = gs.zeros(B, H)
    y0, _, _ = recurrent.lstm_layer(x, zeros, zeros, w_ih, w_hh, b_ih, b_hh)
    assert y.dtype == h.dtype == c.dtype == np.float32
    np.testing.assert_array_equal(y.array, y0.array)
    (y.sum() + c.sum()).backward()
    assert all(p.grad.dtype == np.float32 for p in (x, w_ih, w_hh, b_ih, b_hh))


def test_no_bias_matches_zero_bias():
    x, h0, c0, w_ih, w_hh, b_ih, _ = (gs.tensor(a) for a in _arrays("gru"))
    zero = gs.zeros(*b_ih.shape, dtype="float64")
    y, h = recurrent.gru_layer(x, h0, w_ih, w_hh)
    y0, h0_ = recurrent.gru_layer(x, h0, w_ih, w_hh, zero, zero)
    np.testing.assert_allclose(y.array, y0.array, rtol=1e-12)


@pytest.mark.parametrize("call, match", [
    (lambda a: recurrent.lstm_layer(a[0][0], *a[1:]), r"3-D \(T, batch, input_size\).*\(3, 4\)"),
    (lambda a: recurrent.lstm_layer(a[0][..., :3], *a[1:]),
     r"input of shape \(5, 3, 3\) has 3 features.*\(24, 4\).*input_size=4"),
    (lambda a: recurrent.lstm_layer(a[0], a[1][:2], *a[2:]),
     r"h0 must have shape \(batch, hidden_size\) = \(3, 6\).*got \(2, 6\)"),
    (lambda a: recurrent.lstm_layer(*a, lengths=[5, 6, 1]),
     r"every length must lie in \[1, T=5\].*got 6"),
    (lambda a: recurrent.lstm_layer(*a, lengths=[5, 0, 1]), r"\[1, T=5\].*got 0"),
    (lambda a: recurrent.lstm_layer(*a, lengths=[5, 1]),
     r"one length per sequence, shape \(3,\), got shape \(2,\)"),
    (lambda a: recurrent.lstm_layer(a[0], a[1], a[2], a[3][:20], *a[4:]),
     r"weight_ih of shape \(4\*H, I\).*\(20, 4\)"),
    (lambda a: recurrent.lstm_layer(*a[:5], a[5][:3], a[6]), r"bias_ih must have shape \(24,\)"),
    (lambda a: recurrent.lstm_cell(a[0], (a[1], a[2]), *a[3:]), r"2-D \(batch, input_size\)"),
])
def test_bad_input_names_the_shapes(call, match):
    arrays = [gs.tensor(a) for a in _arrays("lstm")]
    with pytest.raises(ValueError, match=match):
        call(arrays)


def test_mixed_dtypes_and_bad_nonlinearity_raise():
    arrays = [gs.tensor(a) for a in _arrays("tanh")]
    x32 = gs.tensor(arrays[0].array.astype(np.float32))
    with pytest.raises(TypeError, match=r"share one dtype.*float32.*float64"):
        recurrent.rnn_layer(x32, *arrays[1:2], *arrays[3:])
    with pytest.raises(ValueError, match=r"nonlinearity 'sigmoid'"):
        recurrent.rnn_layer(*arrays[:2], *arrays[3:], nonlinearity="sigmoid")
    with pytest.raises(TypeError, match=r"lengths must be integers.*2\.5"):
        recurrent.rnn_layer(*arrays[:2], *arrays[3:], lengths=[2.5, 1, 1])


def test_lengths_accept_an_integer_tensor_and_unsorted_order():
    arrays = [gs.tensor(a) for a in _arrays("gru")]
    args = arrays[:2] + arrays[3:]
    a = recurrent.gru_layer(*args, lengths=gs.tensor([4, 5, 2]))
    b = recurrent.gru_layer(*args, lengths=np.array([4, 5, 2]))
    np.testing.assert_array_equal(a[0].array, b[0].array)
    np.testing.assert_array_equal(a[1].array, b[1].array)
