"""nn.utils.rnn against torch.nn.utils.rnn, float64: pad_sequence, pack_padded_sequence,
pad_packed_sequence, pack_sequence, unpad/unpack, PackedSequence's layout and methods, gradients
through packing and padding; RNN/LSTM/GRU on a PackedSequence (outputs, h_n, c_n, every
gradient) with the same weights; bad input."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gradsheet as gs
from gradsheet import nn
from gradsheet.nn.utils import rnn as R
from tests.helpers import torch_or_skip

torch = torch_or_skip()
TR = torch.nn.utils.rnn


def _close(mine, ref, what=""):
    np.testing.assert_allclose(np.asarray(mine.array), ref.detach().numpy(), rtol=1e-6, atol=1e-12,
                               err_msg=what)


def _same_index(mine, ref, what):
    if ref is None:
        assert mine is None, what
    else:
        assert mine.dtype == np.int64, what
        np.testing.assert_array_equal(mine.array, ref.numpy(), err_msg=what)


def _same_packed(mine, ref):
    assert isinstance(mine, R.PackedSequence)
    _close(mine.data, ref.data, "data")
    _same_index(mine.batch_sizes, ref.batch_sizes, "batch_sizes")
    _same_index(mine.sorted_indices, ref.sorted_indices, "sorted_indices")
    _same_index(mine.unsorted_indices, ref.unsorted_indices, "unsorted_indices")


def _backward_both(mine, ref, seed=0):
    """Backprop one random upstream gradient through both outputs."""
    up = np.random.default_rng(seed).standard_normal(ref.shape)
    ref.backward(torch.tensor(up))
    mine.backward(gs.tensor(up))


batches = st.lists(st.integers(1, 5), min_size=1, max_size=5)


@settings(max_examples=25, deadline=None)
@given(lengths=batches, extra=st.integers(0, 2), feature=st.sampled_from([(), (3,), (2, 2)]),
       batch_first=st.booleans(), seed=st.integers(0, 2**16))
def test_pack_padded_then_pad_packed_as_torch(lengths, extra, feature, batch_first, seed):
    T, B = max(lengths) + extra, len(lengths)
    shape = ((B, T) if batch_first else (T, B)) + feature
    x = np.random.default_rng(seed).standard_normal(shape)
    gx, tx = gs.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    for enforce_sorted in (False, True):
        if enforce_sorted:
            lengths = sorted(lengths, reverse=True)
        mine = R.pack_padded_sequence(gx, lengths, batch_first=batch_first,
                                      enforce_sorted=enforce_sorted)
        ref = TR.pack_padded_sequence(tx, lengths, batch_first=batch_first,
                                      enforce_sorted=enforce_sorted)
        _same_packed(mine, ref)
        for total in (None, T + 1):
            gp, gl = R.pad_packed_sequence(mine, batch_first=batch_first, padding_value=-2.5,
                                           total_length=total)
            tp, tl = TR.pad_packed_sequence(ref, batch_first=batch_first, padding_value=-2.5,
                                            total_length=total)
            _close(gp, tp, "padded")
            _same_index(gl, tl, "lengths")
        gx.grad = tx.grad = None
        _backward_both(gp, tp, seed)
        _close(gx.grad, tx.grad, "input gradient through pack + pad")


def test_pack_data_gradient_as_torch():
    x = np.random.default_rng(3).standard_normal((4, 3, 2))
    gx, tx = gs.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    mine = R.pack_padded_sequence(gx, gs.tensor([2, 4, 1]), enforce_sorted=False)
    ref = TR.pack_padded_sequence(tx, torch.tensor([2, 4, 1]), enforce_sorted=False)
    _backward_both(mine.data, ref.data)
    _close(gx.grad, tx.grad)
    assert not np.any(gx.grad.array[2:, 0]) and not np.any(gx.grad.array[1:, 2])  # padding


def test_enforce_sorted_false_sorts_stably_as_torch():
    lengths = [1, 1, 1, 3, 1, 2, 1, 2, 1, 2, 2, 1]  # ties: torch keeps their order
    x = gs.zeros(3, len(lengths))
    mine = R.pack_padded_sequence(x, lengths, enforce_sorted=False)
    ref = TR.pack_padded_sequence(torch.zeros(3, len(lengths)), lengths, enforce_sorted=False)
    _same_packed(mine, ref)


@settings(max_examples=25, deadline=None)
@given(lengths=st.lists(st.integers(0, 4), min_size=1, max_size=5),
       feature=st.sampled_from([(), (3,), (2, 1)]), batch_first=st.booleans(),
       side=st.sampled_from(["right", "left"]), seed=st.integers(0, 2**16))
def test_pad_sequence_as_torch(lengths, feature, batch_first, side, seed):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal((n,) + feature) for n in lengths]
    mine = [gs.tensor(a, requires_grad=True) for a in arrays]
    ref = [torch.tensor(a, requires_grad=True) for a in arrays]
    gp = R.pad_sequence(mine, batch_first=batch_first, padding_value=7.0, padding_side=side)
    tp = TR.pad_sequence(ref, batch_first=batch_first, padding_value=7.0, padding_side=side)
    _close(gp, tp)
    _backward_both(gp, tp, seed)
    for g, t in zip(mine, ref):
        _close(g.grad, t.grad, "sequence gradient")


def test_pad_sequence_dtype_and_tensor_input_as_torch():
    ints = [gs.tensor([1, 2]), gs.tensor([3])]
    mine = R.pad_sequence(ints, padding_value=1.5)
    ref = TR.pad_sequence([torch.tensor([1, 2]), torch.tensor([3])], padding_value=1.5)
    assert mine.dtype == np.int64
    np.testing.assert_array_equal(mine.array, ref.numpy())
    mixed = R.pad_sequence([gs.ones(2, dtype="float32"), gs.ones(1, dtype="float64")])
    assert mixed.dtype == np.float32  # the first sequence's dtype, as torch
    x = np.arange(6.0).reshape(2, 3)
    _close(R.pad_sequence(gs.tensor(x)), TR.pad_sequence(torch.tensor(x)))


def test_pack_sequence_and_unpack_as_torch():
    rng = np.random.default_rng(5)
    arrays = [rng.standard_normal((n, 2)) for n in (2, 4, 3)]
    mine = [gs.tensor(a, requires_grad=True) for a in arrays]
    ref = [torch.tensor(a, requires_grad=True) for a in arrays]
    gpk = R.pack_sequence(mine, enforce_sorted=False)
    tpk = TR.pack_sequence(ref, enforce_sorted=False)
    _same_packed(gpk, tpk)
    for g, t in zip(R.unpack_sequence(gpk), TR.unpack_sequence(tpk)):
        _close(g, t)
    _backward_both(gpk.data, tpk.data)
    for g, t in zip(mine, ref):
        _close(g.grad, t.grad)
    padded = rng.standard_normal((4, 3, 2))
    for g, t in zip(R.unpad_sequence(gs.tensor(padded), [4, 2, 1]),
                    TR.unpad_sequence(torch.tensor(padded), torch.tensor([4, 2, 1]))):
        _close(g, t)
    for g, t in zip(R.unpad_sequence(gs.tensor(padded), [3, 1, 2, 3], batch_first=True),
                    TR.unpad_sequence(torch.tensor(padded), torch.tensor([3, 1, 2, 3]),
                                      batch_first=True)):
        _close(g, t)


def test_packed_sequence_object_as_torch():
    data = gs.ones(3, 1)
    packed = R.PackedSequence(data, gs.tensor([2, 1]), gs.tensor([1, 0]))
    ref = TR.PackedSequence(torch.ones(3, 1), torch.tensor([2, 1]), torch.tensor([1, 0]))
    _same_packed(packed, ref)
    assert isinstance(packed, tuple) and packed._fields == ref._fields
    data, batch_sizes, sorted_indices, unsorted_indices = packed
    assert packed.double().data.dtype == np.float64 and packed.long().data.dtype == np.int64
    assert packed.to(gs.float64).data.dtype == np.float64
    assert packed.to(gs.float32) is packed and packed.cpu() is packed
    assert packed.is_cuda is False and packed.is_pinned() is False
    assert repr(packed).startswith("PackedSequence(data=")
    legacy = R.PackedSequence((gs.ones(3), gs.tensor([2, 1])))
    assert legacy.sorted_indices is None and legacy.unsorted_indices is None
    np.testing.assert_array_equal(R.invert_permutation(gs.tensor([2, 0, 1])).array,
                                  TR.invert_permutation(torch.tensor([2, 0, 1])).numpy())
    assert R.invert_permutation(None) is None


# ------------------------------------------------------------------ recurrent layers
def _layer_pair(name, **kwargs):
    ref = getattr(torch.nn, name)(3, 4, **kwargs).double()
    mine = getattr(nn, name)(3, 4, **kwargs, dtype="float64")
    mine.load_state_dict(ref.state_dict())
    return mine, ref


def _states(state):
    return list(state) if isinstance(state, tuple) else [state]


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("enforce_sorted", [False, True])
@pytest.mark.parametrize("with_hx", [False, True])
def test_recurrent_layers_on_packed_sequences_as_torch(name, bidirectional, enforce_sorted,
                                                       with_hx):
    mine, ref = _layer_pair(name, num_layers=2, bidirectional=bidirectional)
    rng = np.random.default_rng(11)
    lengths = [5, 3, 3, 1] if enforce_sorted else [2, 5, 1, 3]
    x = rng.standard_normal((5, 4, 3))
    gx, tx = gs.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    D = 2 if bidirectional else 1
    ghx = thx = None
    leaves = []
    if with_hx:
        h = [rng.standard_normal((2 * D, 4, 4)) for _ in range(2 if name == "LSTM" else 1)]
        g_leaves = [gs.tensor(a, requires_grad=True) for a in h]
        t_leaves = [torch.tensor(a, requires_grad=True) for a in h]
        leaves = list(zip(g_leaves, t_leaves))
        ghx = tuple(g_leaves) if name == "LSTM" else g_leaves[0]
        thx = tuple(t_leaves) if name == "LSTM" else t_leaves[0]
    gout, gstate = mine(R.pack_padded_sequence(gx, lengths, enforce_sorted=enforce_sorted), ghx)
    tout, tstate = ref(TR.pack_padded_sequence(tx, lengths, enforce_sorted=enforce_sorted), thx)
    _same_packed(gout, tout)
    gstates, tstates = _states(gstate), _states(tstate)
    assert len(gstates) == len(tstates)
    for g, t in zip(gstates, tstates):
        _close(g, t, "final state")
    ups = [rng.standard_normal(t.shape) for t in [tout.data] + tstates]
    t_loss = sum((t * torch.tensor(u)).sum() for t, u in zip([tout.data] + tstates, ups))
    g_loss = gs.tensor(0.0, dtype="float64")
    for g, u in zip([gout.data] + gstates, ups):
        g_loss = g_loss + (g * gs.tensor(u)).sum()
    t_loss.backward()
    g_loss.backward()
    _close(gx.grad, tx.grad, "input gradient")
    for g, t in leaves:
        _close(g.grad, t.grad, "initial state gradient")
    for (n, g), (_, t) in zip(mine.named_parameters(), ref.named_parameters()):
        _close(g.grad, t.grad, f"gradient of {n}")


def test_packed_input_ignores_batch_first_and_pads_back_as_torch():
    mine, ref = _layer_pair("LSTM", batch_first=True)
    x = np.random.default_rng(2).standard_normal((3, 4, 3))  # (B, T, I)
    gout, _ = mine(R.pack_padded_sequence(gs.tensor(x), [2, 4, 3], batch_first=True,
                                          enforce_sorted=False))
    tout, _ = ref(TR.pack_padded_sequence(torch.tensor(x), [2, 4, 3], batch_first=True,
                                          enforce_sorted=False))
    _same_packed(gout, tout)
    gp, gl = R.pad_packed_sequence(gout, batch_first=True)
    tp, tl = TR.pad_packed_sequence(tout, batch_first=True)
    _close(gp, tp)
    _same_index(gl, tl, "lengths")


# ------------------------------------------------------------------ bad input
def test_pack_padded_sequence_errors():
    x = gs.zeros(4, 3, 2)
    with pytest.raises(RuntimeError, match=r"pack_padded_sequence: `lengths` array must be sorted "
                                           r"in decreasing order.*\[2, 3, 1\]"):
        R.pack_padded_sequence(x, [2, 3, 1])
    with pytest.raises(RuntimeError, match=r"greater than 0.*\[3, 2, 0\]"):
        R.pack_padded_sequence(x, [3, 2, 0])
    with pytest.raises(RuntimeError, match=r"greater than 0"):
        R.pack_padded_sequence(x, [3, 0, 2], enforce_sorted=False)
    with pytest.raises(RuntimeError, match=r"length 5 but the input holds only T=4"):
        R.pack_padded_sequence(x, [5, 2, 1])
    with pytest.raises(RuntimeError, match=r"got 2 \(batch_size=3\)"):
        R.pack_padded_sequence(x, [3, 2])
    with pytest.raises(RuntimeError, match=r"1D CPU int64 tensor, but got 2D"):
        R.pack_padded_sequence(x, [[3, 2, 1]])
    with pytest.raises(IndexError, match=r"at least 2 dimensions .* shape \(3,\)"):
        R.pack_padded_sequence(gs.zeros(3), [3])
    with pytest.raises(TypeError, match=r"input must be a Tensor, got list"):
        R.pack_padded_sequence([[1.0]], [1])
    with pytest.raises(TypeError, match=r"lengths must be numbers"):
        R.pack_padded_sequence(x, ["a", "b", "c"])


def test_pad_packed_and_pad_sequence_errors():
    packed = R.pack_padded_sequence(gs.zeros(3, 2), [3, 2])
    with pytest.raises(ValueError, match=r"total_length=2 and max sequence length being 3"):
        R.pad_packed_sequence(packed, total_length=2)
    with pytest.raises(TypeError, match=r"pad_packed_sequence: expected a PackedSequence, got "
                                        r"Tensor"):
        R.pad_packed_sequence(gs.zeros(3, 2))
    with pytest.raises(RuntimeError, match=r"pad_sequence: received an empty list"):
        R.pad_sequence([])
    with pytest.raises(RuntimeError, match=r"trailing shape \(3,\).*sequences\[1\] has shape "
                                           r"\(3, 4\)"):
        R.pad_sequence([gs.ones(2, 3), gs.ones(3, 4)])
    with pytest.raises(ValueError, match=r"one of left or right, but got 'middle'"):
        R.pad_sequence([gs.ones(2)], padding_side="middle")
    with pytest.raises(ValueError, match=r"sequences\[0\] is 0-d"):
        R.pad_sequence([gs.tensor(1.0)])
    with pytest.raises(TypeError, match=r"sequences\[1\] must be a Tensor, got list"):
        R.pad_sequence([gs.ones(2), [1.0]])
    with pytest.raises(ValueError, match=r"unpad_sequence: 2 lengths for a batch of 3"):
        R.unpad_sequence(gs.zeros(4, 3), [2, 1])
    with pytest.raises(TypeError, match=r"batch_sizes must be a 1-D integer tensor"):
        R.PackedSequence(gs.ones(3), gs.tensor([2.0, 1.0]))


def test_recurrent_layer_packed_errors():
    lstm = nn.LSTM(3, 4)
    packed = R.pack_padded_sequence(gs.zeros(3, 2, 3), [3, 2])
    with pytest.raises(ValueError, match=r"LSTM: lengths= is for a padded input"):
        lstm(packed, lengths=[3, 2])
    with pytest.raises(ValueError, match=r"LSTM: input must be 3-D .* input_size=3"):
        lstm(R.pack_padded_sequence(gs.zeros(3, 2, 5), [3, 2]))
    with pytest.raises(ValueError, match=r"LSTM: h_0 .* must have shape \(1, 2, 4\)"):
        lstm(packed, (gs.zeros(1, 3, 4), gs.zeros(1, 3, 4)))


# ------------------------------------------------------------------ gradchecks
def test_gradchecks_through_padding_packing_and_a_packed_gru():
    from tests.helpers import check_gradients
    rng = np.random.default_rng(0)
    check_gradients(lambda a, b, c: R.pad_sequence([a, b, c], padding_side="left",
                                                   padding_value=3.0),
                    [rng.standard_normal((2, 2)), rng.standard_normal((0, 2)),
                     rng.standard_normal((3, 2))])

    def pack_pad(x):
        packed = R.pack_padded_sequence(x, [1, 3, 2], enforce_sorted=False)
        padded, _ = R.pad_packed_sequence(packed, batch_first=True, total_length=4)
        return padded * 2.0 + packed.data.sum()

    check_gradients(pack_pad, [rng.standard_normal((4, 3, 2))])
    gru = nn.GRU(2, 3, bidirectional=True, dtype="float64")

    def packed_gru(x):
        out, h = gru(R.pack_padded_sequence(x, [1, 3, 2], enforce_sorted=False))
        return out.data.sum() + (h * h).sum()

    check_gradients(packed_gru, [rng.standard_normal((3, 3, 2))])
