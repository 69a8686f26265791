"""The fast LSTM node's code paths against torch (float64 to 1e-10, float32 to 1e-4): step chunks
of the backward (T below, at and past a chunk), the skipped products when h_0 is None or needs no
gradient, an output gradient on a few steps only, padded and unsorted batches, the cell, empty
batches; and gs.set_num_threads / get_num_threads / threads.small_gemms."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import gradsheet as gs
from gradsheet import threads
from gradsheet.ops import recurrent
from tests.helpers import torch_or_skip

CHUNK = recurrent.LSTM.chunk


def _weights(rng, n_in, H, dtype, bias=True, scale=0.5):
    shapes = [(4 * H, n_in), (4 * H, H), (4 * H,), (4 * H,)]
    w = [(rng.standard_normal(s) * scale).astype(dtype) for s in shapes]
    return w if bias else w[:2] + [None, None]


def _compare(T, B, n_in, H, dtype, reverse=False, lengths=None, states=True, bias=True,
             x_grad=True, state_grad=True, upstream="dense", seed=0, scale=0.5):
    """Forward values and every gradient of lstm_layer against torch.nn.LSTM (packed sequences
    for ``lengths``, the flipped sequence for ``reverse``); returns nothing, asserts."""
    torch = torch_or_skip()
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((T, B, n_in)).astype(dtype)
    h0, c0 = (rng.standard_normal((B, H)).astype(dtype) for _ in range(2))
    w = _weights(rng, n_in, H, dtype, bias, scale)
    tol = dict(rtol=1e-10, atol=1e-10) if dtype == np.float64 else dict(rtol=1e-4, atol=1e-5)

    gx = gs.tensor(x, requires_grad=x_grad)
    gh, gc = (gs.tensor(a, requires_grad=state_grad) for a in (h0, c0)) if states else (None, None)
    gw = [None if a is None else gs.tensor(a, requires_grad=True) for a in w]
    y, h, c = recurrent.lstm_layer(gx, gh, gc, *gw, reverse=reverse, lengths=lengths)

    module = torch.nn.LSTM(n_in, H, bias=bias).to(torch.float64 if dtype == np.float64
                                                  else torch.float32)
    names = ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]
    with torch.no_grad():
        for name, a in zip(names, w):
            if a is not None:
                getattr(module, name).copy_(torch.tensor(a))
    tx = torch.tensor(x, requires_grad=True)
    th, tc = (torch.tensor(a, requires_grad=True) for a in (h0, c0))
    lens = [T] * B if lengths is None else list(lengths)
    flip = torch.tensor([[lens[b] - 1 - t if t < lens[b] else t for b in range(B)]
                         for t in range(T)], dtype=torch.int64).reshape(T, B)
    xs = torch.gather(tx, 0, flip[:, :, None].expand(T, B, n_in)) if reverse else tx
    hx = (th[None], tc[None]) if states else None
    if B:
        packed = torch.nn.utils.rnn.pack_padded_sequence(xs, torch.tensor(lens),
                                                         enforce_sorted=False)
        ty, (tH, tC) = module(packed, hx)
        ty, _ = torch.nn.utils.rnn.pad_packed_sequence(ty, total_length=T)
    else:
        ty, (tH, tC) = module(xs, hx)
    if reverse:
        ty = torch.gather(ty, 0, flip[:, :, None].expand_as(ty))
        ty = ty * (torch.arange(T)[:, None] < torch.tensor(lens, dtype=torch.int64)[None]
                   ).to(ty.dtype)[:, :, None]
    refs = [ty, tH[0], tC[0]]
    loss, ref_loss = 0, 0
    for k, (mine, ref) in enumerate(zip((y, h, c), refs)):
        np.testing.assert_allclose(mine.array, ref.detach().numpy(), **tol,
                                   err_msg=f"output {k}")
        u = rng.standard_normal(mine.shape).astype(dtype)
        if k == 0 and upstream == "last":  # a gradient on the last output only (output[-1])
            u[:-1] = 0
        loss = loss + (mine * gs.tensor(u)).sum()
        ref_loss = ref_loss + (ref * torch.tensor(u)).sum()
    loss.backward()
    ref_loss.backward()
    pairs = list(zip(gw, [getattr(module, n, None) for n in names]))
    if x_grad:
        pairs.append((gx, tx))
    if states and state_grad:
        pairs += [(gh, th), (gc, tc)]
    else:
        assert states is False or gh.grad is None
    for k, (mine, ref) in enumerate(pairs):
        if mine is None:
            continue
        np.testing.assert_allclose(mine.grad.array, ref.grad.numpy(), **tol,
                                   err_msg=f"gradient {k}")
        assert mine.grad.dtype == dtype


@pytest.mark.parametrize("T", [1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK + 3])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_step_chunks_match_torch(T, dtype):
    _compare(T, 4, 3, 5, dtype)


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("lengths", [None, [11, 4, 11, 1, 7], [1, 2, 3, 4, 5]])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_padded_unsorted_and_reverse_match_torch(reverse, lengths, dtype):
    _compare(11, 5, 3, 4, dtype, reverse=reverse, lengths=lengths)


@pytest.mark.parametrize("states, state_grad", [(False, False), (True, False), (True, True)])
@pytest.mark.parametrize("x_grad", [False, True])
@pytest.mark.parametrize("upstream", ["dense", "last"])
def test_skipped_products_and_sparse_output_gradients(states, state_grad, x_grad, upstream):
    # h_0 None skips W_hh h_0; no gradient wanted for h_0 / c_0 skips the last step's product
    _compare(13, 3, 2, 6, np.float64, states=states, state_grad=state_grad, x_grad=x_grad,
             upstream=upstream, lengths=[13, 5, 9])


def test_no_bias_and_benchmark_like_shapes_float32():
    _compare(9, 3, 4, 5, np.float64, bias=False)
    # (PyTorch's init scale: with larger weights float32 rounding grows along the sequence)
    _compare(20, 32, 32, 128, np.float32, upstream="last", scale=128 ** -0.5)


@settings(max_examples=12, deadline=None)
@given(T=st.integers(1, 12), B=st.integers(1, 4), n_in=st.integers(1, 4), H=st.integers(1, 5),
       reverse=st.booleans(), padded=st.booleans(), seed=st.integers(0, 2 ** 16))
def test_drawn_shapes_match_torch(T, B, n_in, H, reverse, padded, seed):
    lengths = None
    if padded:
        lengths = np.random.default_rng(seed).integers(1, T + 1, size=B).tolist()
    _compare(T, B, n_in, H, np.float64, reverse=reverse, lengths=lengths, seed=seed)


@pytest.mark.parametrize("T, B", [(4, 0), (0, 2)])
def test_empty_batch_or_sequence_runs_forward_and_backward(T, B):
    rng = np.random.default_rng(0)
    x = gs.tensor(np.zeros((T, B, 3)), requires_grad=True)
    w = [gs.tensor(a, requires_grad=True) for a in _weights(rng, 3, 2, np.float64)]
    y, h, c = recurrent.lstm_layer(x, None, None, *w)
    assert y.shape == (T, B, 2) and h.shape == c.shape == (B, 2)
    assert not np.any(h.array) and not np.any(c.array)
    (y.sum() + h.sum()).backward()
    assert x.grad.shape == (T, B, 3)
    assert all(np.all(p.grad.array == 0) for p in w)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_cell_matches_torch(dtype):
    torch = torch_or_skip()
    rng = np.random.default_rng(3)
    x, h, c = (rng.standard_normal(s).astype(dtype) for s in [(4, 3), (4, 5), (4, 5)])
    w = _weights(rng, 3, 5, dtype)
    mine = [gs.tensor(a, requires_grad=True) for a in (x, h, c, *w)]
    ref = [torch.tensor(a, requires_grad=True) for a in (x, h, c, *w)]
    out = recurrent.lstm_cell(mine[0], (mine[1], mine[2]), *mine[3:])
    ref_out = torch.lstm_cell(ref[0], (ref[1], ref[2]), *ref[3:])
    tol = dict(rtol=1e-10, atol=1e-12) if dtype == np.float64 else dict(rtol=1e-5, atol=1e-6)
    for o, r in zip(out, ref_out):
        np.testing.assert_allclose(o.array, r.detach().numpy(), **tol)
    (out[0].sum() * 2 + out[1].sum()).backward()
    (ref_out[0].sum() * 2 + ref_out[1].sum()).backward()
    for m, r in zip(mine, ref):
        np.testing.assert_allclose(m.grad.array, r.grad.numpy(), **tol)


# ------------------------------------------------------------------ threads
def test_set_and_get_num_threads_round_trip():
    before = gs.get_num_threads()
    try:
        gs.set_num_threads(1)
        assert gs.get_num_threads() == 1
        gs.set_num_threads(np.int64(2))
        assert gs.get_num_threads() == 2
        with threads.small_gemms():
            assert gs.get_num_threads() == 1
        assert gs.get_num_threads() == 2
        with pytest.raises(ZeroDivisionError):  # restored on an exception too
            with threads.small_gemms():
                raise ZeroDivisionError
        assert gs.get_num_threads() == 2
        threads.small_gemm_threads = None  # the opt-out: the thread count stays
        with threads.small_gemms():
            assert gs.get_num_threads() == 2
    finally:
        threads.small_gemm_threads = 1
        gs.set_num_threads(before)
    assert isinstance(gs.get_num_threads(), int)


def test_lstm_restores_the_thread_count():
    before = gs.get_num_threads()
    try:
        gs.set_num_threads(2)
        rng = np.random.default_rng(0)
        x = gs.tensor(rng.standard_normal((3, 2, 2)), requires_grad=True)
        w = [gs.tensor(a, requires_grad=True) for a in _weights(rng, 2, 3, np.float64)]
        y, h, c = recurrent.lstm_layer(x, None, None, *w)
        assert gs.get_num_threads() == 2
        y.sum().backward()
        assert gs.get_num_threads() == 2
    finally:
        gs.set_num_threads(before)


@pytest.mark.parametrize("value, match", [
    (0, "set_num_threads expects a positive integer, got 0"),
    (-3, "set_num_threads expects a positive integer, got -3"),
    ("2", "set_num_threads expects an int, but got str"),
    (2.0, "set_num_threads expects an int, but got float"),
    (True, "set_num_threads expects an int, but got bool"),
])
def test_set_num_threads_rejects_what_torch_rejects(value, match):
    torch = torch_or_skip()
    before = gs.get_num_threads()
    with pytest.raises(RuntimeError, match=match):
        gs.set_num_threads(value)
    with pytest.raises(RuntimeError):
        torch.set_num_threads(value)
    assert gs.get_num_threads() == before
