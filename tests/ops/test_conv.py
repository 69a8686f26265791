"""conv1d, conv2d, conv_transpose2d against torch (values and every gradient, float64) over
hypothesis-drawn configurations; gradchecks; conv_output_size against an enumeration of the
windows; the scratch pool; every bad input."""
import contextlib
import gc
import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import gradsheet as gs
from gradsheet.ops import conv as conv_ops
from gradsheet.ops import im2col as im2col_ops
from gradsheet.ops.conv import conv1d, conv2d, conv_output_size, conv_transpose2d
from tests.helpers import check_against_torch, check_gradients, random_inputs, torch_or_skip

torch = torch_or_skip()
TF = torch.nn.functional


def _torch_output_or_none(fn, *args, **kwargs):
    """torch's output shape, or None when torch rejects the configuration."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch's note that 'same' may copy the input
            return tuple(fn(*args, **kwargs).shape)
    except RuntimeError:
        return None


@st.composite
def conv_configs(draw, spatial):
    groups = draw(st.integers(1, 2))
    config = dict(
        batch=draw(st.integers(1, 2)), groups=groups,
        in_channels=groups * draw(st.integers(1, 2)), out_channels=groups * draw(st.integers(1, 2)),
        kernel=tuple(draw(st.integers(1, 3)) for _ in range(spatial)),
        size=tuple(draw(st.integers(1, 7)) for _ in range(spatial)),
        stride=draw(st.one_of(st.integers(1, 2), st.tuples(*[st.integers(1, 3)] * spatial))),
        dilation=draw(st.one_of(st.integers(1, 2), st.tuples(*[st.integers(1, 2)] * spatial))),
        bias=draw(st.booleans()), unbatched=draw(st.booleans()))
    strided = config["stride"] not in (1, (1,) * spatial)
    paddings = [st.integers(0, 2), st.tuples(*[st.integers(0, 2)] * spatial), st.just("valid")]
    if not strided:
        paddings.append(st.just("same"))
    config["padding"] = draw(st.one_of(*paddings))
    return config


def _conv_arrays(config, weight_shape, seed):
    x_shape = (config["batch"], config["in_channels"]) + config["size"]
    if config["unbatched"]:
        x_shape = x_shape[1:]
    shapes = [x_shape, weight_shape] + ([(config["out_channels"],)] if config["bias"] else [])
    return random_inputs(shapes, seed=seed)


@contextlib.contextmanager
def _column_blocks_of(chunk_bytes):
    """Convolutions inside cut their columns into blocks of about ``chunk_bytes`` (0: one output
    row per block; None: the default)."""
    saved = im2col_ops.CHUNK_BYTES
    im2col_ops.CHUNK_BYTES = saved if chunk_bytes is None else chunk_bytes
    try:
        yield
    finally:
        im2col_ops.CHUNK_BYTES = saved


def _check_conv(config, spatial, seed):
    ours, theirs = {1: (conv1d, TF.conv1d), 2: (conv2d, TF.conv2d)}[spatial]
    weight_shape = (config["out_channels"], config["in_channels"] // config["groups"]) \
        + config["kernel"]
    arrays = _conv_arrays(config, weight_shape, seed)
    kwargs = {k: config[k] for k in ("stride", "padding", "dilation", "groups")}
    expected = _torch_output_or_none(theirs, *map(torch.tensor, arrays), **kwargs)
    assume(expected is not None)  # torch's "input too small" (tested below)
    out = check_against_torch(lambda *t: ours(*t, **kwargs), lambda *t: theirs(*t, **kwargs),
                              arrays)
    assert out.shape == expected


@settings(max_examples=40, deadline=None)
@given(config=conv_configs(2), seed=st.integers(0, 99),
       chunk_bytes=st.sampled_from([None, 0, 3000]))
def test_conv2d_matches_torch(config, seed, chunk_bytes):
    with _column_blocks_of(chunk_bytes):
        _check_conv(config, 2, seed)


def test_blocks_of_output_rows_give_the_same_convolution(monkeypatch):
    """7 output rows in blocks of 3, 3 and 1 (strided, dilated, padded, grouped): values and
    every gradient as torch's."""
    x, w, b = random_inputs([(2, 4, 15, 6), (6, 2, 3, 2), (6,)], seed=4)
    kwargs = dict(stride=(2, 1), padding=(1, 2), dilation=(2, 1), groups=2)
    blocks = []

    def im2col_spy(xpad, kernel, stride, dilation, out_size, col, first_row=0):
        blocks.append((first_row, out_size[0]))
        return im2col_ops.im2col(xpad, kernel, stride, dilation, out_size, col, first_row)
    monkeypatch.setattr(conv_ops, "im2col", im2col_spy)
    per_row = 4 * 3 * 2 * 9 * 2 * 8  # (C*kh*kw) * OW * N * itemsize
    with _column_blocks_of(3 * per_row):
        out = check_against_torch(lambda *t: conv2d(*t, **kwargs),
                                  lambda *t: TF.conv2d(*t, **kwargs), [x, w, b])
    assert out.shape == (2, 6, 7, 9)
    assert blocks[:3] == [(0, 3), (3, 3), (6, 1)]  # forward's blocks (backward's follow)


@pytest.mark.parametrize("rows, out_size, n, chunk_bytes", [
    (400, (14, 14), 64, 3 << 20), (25, (28, 28), 64, 3 << 20), (3, (5, 1), 1, 0),
    (10_000, (3, 100), 512, 3 << 20)])
def test_output_row_chunks_cover_the_rows_in_blocks_within_the_budget(rows, out_size, n,
                                                                       chunk_bytes):
    with _column_blocks_of(chunk_bytes):
        chunks = im2col_ops.output_row_chunks(rows, out_size, n, 4)
    assert [first for first, _ in chunks] == list(np.cumsum([0] + [c for _, c in chunks[:-1]]))
    assert sum(count for _, count in chunks) == out_size[0]
    row_bytes = rows * out_size[1] * n * 4
    assert all(count == 1 or count * row_bytes <= chunk_bytes for _, count in chunks)


@settings(max_examples=30, deadline=None)
@given(config=conv_configs(1), seed=st.integers(0, 99))
def test_conv1d_matches_torch(config, seed):
    _check_conv(config, 1, seed)


@settings(max_examples=40, deadline=None)
@given(config=conv_configs(2), output_padding=st.tuples(st.integers(0, 2), st.integers(0, 2)),
       seed=st.integers(0, 99), chunk_bytes=st.sampled_from([None, 0, 3000]))
def test_conv_transpose2d_matches_torch(config, output_padding, seed, chunk_bytes):
    assume(not isinstance(config["padding"], str))
    stride, dilation = (np.broadcast_to(config[k], 2) for k in ("stride", "dilation"))
    output_padding = tuple(min(e, max(s, d) - 1) for e, s, d in zip(output_padding, stride,
                                                                     dilation))
    weight_shape = (config["in_channels"], config["out_channels"] // config["groups"]) \
        + config["kernel"]
    arrays = _conv_arrays(config, weight_shape, seed)
    kwargs = {k: config[k] for k in ("stride", "padding", "dilation", "groups")}
    kwargs["output_padding"] = output_padding
    assume(_torch_output_or_none(TF.conv_transpose2d, *map(torch.tensor, arrays), **kwargs))
    with _column_blocks_of(chunk_bytes):
        check_against_torch(lambda *t: conv_transpose2d(*t, **kwargs),
                            lambda *t: TF.conv_transpose2d(*t, **kwargs), arrays)


@pytest.mark.parametrize("fn, shapes, kwargs", [
    (conv2d, [(2, 4, 5, 4), (6, 2, 3, 2), (6,)], dict(stride=(2, 1), padding=1, groups=2)),
    (conv2d, [(1, 1, 4, 5), (2, 1, 2, 3)], dict(padding="same", dilation=(2, 1))),
    (conv1d, [(2, 3, 7), (2, 3, 3), (2,)], dict(stride=2, padding=2, dilation=2)),
    (conv_transpose2d, [(2, 4, 3, 2), (4, 1, 3, 2), (2,)],
     dict(stride=2, padding=(1, 0), output_padding=1, groups=2)),
])
def test_gradcheck(fn, shapes, kwargs):
    check_gradients(lambda *t: fn(*t, **kwargs), random_inputs(shapes, seed=3))


@pytest.mark.parametrize("fn, shapes, kwargs", [
    (conv2d, [(2, 4, 7, 4), (6, 2, 3, 2), (6,)], dict(stride=(2, 1), padding=1, groups=2)),
    (conv_transpose2d, [(2, 4, 3, 2), (4, 1, 3, 2), (2,)],
     dict(stride=2, padding=(1, 0), output_padding=1, groups=2)),
])
def test_gradcheck_with_one_output_row_per_block(fn, shapes, kwargs):
    with _column_blocks_of(0):
        check_gradients(lambda *t: fn(*t, **kwargs), random_inputs(shapes, seed=3))


def test_float32_stays_float32_and_only_needed_gradients_are_computed(monkeypatch):
    x = gs.randn(2, 3, 6, 6)
    w = gs.randn(4, 3, 3, 3, requires_grad=True)
    b = gs.zeros(4, requires_grad=True)
    y = conv2d(x, w, b, padding=1)
    assert y.dtype == np.float32

    def fail(*args, **kwargs):
        raise AssertionError("col2im ran although the input needs no gradient")
    monkeypatch.setattr(conv_ops, "col2im_add", fail)
    y.sum().backward()
    assert x.grad is None and w.grad.dtype == np.float32 and b.grad.dtype == np.float32
    np.testing.assert_allclose(b.grad.array, np.full(4, 2 * 6 * 6))


def test_same_layer_twice_before_backward_and_retained_graph():
    """Two forwards through one weight before one backward (the column buffers of the first
    must survive the second), then a second backward through the retained graph."""
    x1, x2, w = random_inputs([(2, 3, 5, 5), (2, 3, 5, 5), (4, 3, 3, 3)], seed=5)

    def ours(a, b, v):
        return conv2d(a, v, padding=1) * conv2d(b, v, stride=2)[..., :1, :1]

    def theirs(a, b, v):
        return TF.conv2d(a, v, padding=1) * TF.conv2d(b, v, stride=2)[..., :1, :1]
    check_against_torch(ours, theirs, [x1, x2, w])
    w_gs = gs.tensor(w, requires_grad=True)
    y = conv2d(gs.tensor(x1), w_gs).sum()
    y.backward(retain_graph=True)
    first = w_gs.grad.array.copy()
    y.backward()
    np.testing.assert_allclose(w_gs.grad.array, 2 * first)


def test_no_grad_forward_matches_and_keeps_no_columns():
    x, w = random_inputs([(2, 3, 6, 6), (4, 3, 3, 3)], seed=2)
    with gs.no_grad():
        y = conv2d(gs.tensor(x), gs.tensor(w, requires_grad=True), padding=1)
    assert y._ctx is None and not y.requires_grad
    np.testing.assert_allclose(y.array, TF.conv2d(torch.tensor(x), torch.tensor(w),
                                                 padding=1).numpy(), rtol=1e-6)


# ------------------------------------------------------------------ conv_output_size
def _windows(W, F, P, S, D):
    """Count the window starts by walking them: (count, whether the last one ends exactly)."""
    span, starts = D * (F - 1) + 1, 0
    while starts * S + span <= W + 2 * P:
        starts += 1
    return starts, starts > 0 and (starts - 1) * S + span == W + 2 * P


@pytest.mark.parametrize("S", [1, 2, 3])
@pytest.mark.parametrize("D", [1, 2])
def test_conv_output_size_counts_the_windows(S, D):
    for W in range(0, 10):
        for F in range(1, 5):
            for P in range(0, 3):
                count, exact = _windows(W, F, P, S, D)
                n = conv_output_size(W, F, P, S, D)
                if count:
                    assert n == count, (W, F, P, S, D)
                else:
                    assert n < 1, (W, F, P, S, D)
                if exact:
                    assert conv_output_size(W, F, P, S, D, strict=True) == count
                else:
                    with pytest.raises(ValueError, match=rf"W={W}, F=\d+.*P={P}, S={S}.*N = "):
                        conv_output_size(W, F, P, S, D, strict=True)


def test_conv_output_size_agrees_with_torch_and_takes_pairs():
    assert conv_output_size(28, 5, 2) == 28  # the benchmark's conv: size kept
    x = torch.zeros(1, 1, 11, 8)
    for F, P, S, D in [(3, 1, 2, 1), ((3, 2), (0, 1), (2, 3), (1, 2)), (2, 0, 3, 2)]:
        expected = tuple(TF.conv2d(x, torch.zeros((1, 1) + tuple(np.broadcast_to(F, 2))),
                                   stride=S, padding=P, dilation=D).shape[2:])
        assert conv_output_size((11, 8), F, P, S, D) == expected
    assert conv_output_size(7, (3, 1)) == (5, 7)


@pytest.mark.parametrize("kwargs, message", [
    (dict(W=5, F=0), r"F must be an integer >= 1, got 0"),
    (dict(W=-1, F=3), r"W must be an integer >= 0, got -1"),
    (dict(W=5, F=3, P=-1), r"P must be an integer >= 0, got -1"),
    (dict(W=5, F=3, S=0), r"S must be an integer >= 1, got 0"),
    (dict(W=5, F=3, D=1.5), r"D must be an integer >= 1, got 1.5"),
    (dict(W=(5, 5), F=(3, 3, 3)), r"pairs of different lengths"),
    (dict(W=32, F=5, S=2, strict=True), r"\(32 - 5 \+ 2\*0\)/2 \+ 1 = 14.5 is not a positive "
                                        r"integer for W=32, F=5, P=0, S=2 \(N = .* = 14\)"),
    (dict(W=3, F=5, strict=True), r"= -1 is not a positive integer for W=3, F=5, P=0, S=1"),
])
def test_conv_output_size_bad_values_name_them(kwargs, message):
    with pytest.raises(ValueError, match=message):
        conv_output_size(**kwargs)


# ------------------------------------------------------------------ bad inputs
X, W4 = gs.zeros(2, 4, 6, 6), gs.zeros(6, 2, 3, 3)


@pytest.mark.parametrize("call, message", [
    (lambda: conv2d(X, gs.zeros(6, 2, 3)),
     r"conv2d: weight of shape \(6, 2, 3\) must have 4 dimensions"),
    (lambda: conv2d(gs.zeros(4, 6), W4),
     r"conv2d: expected a 3-D \(unbatched\) or 4-D \(batched\) input, got shape \(4, 6\)"),
    (lambda: conv2d(X, gs.zeros(6, 3, 3, 3)),
     r"input of shape \(2, 4, 6, 6\) has 4 channels, but weight of shape \(6, 3, 3, 3\) with "
     r"groups=1 expects 3"),
    (lambda: conv2d(X, W4, groups=4), r"out_channels .* 6 is not divisible by groups=4"),
    (lambda: conv2d(X, W4, groups=0), r"groups must be a positive integer, got 0"),
    (lambda: conv2d(X, gs.zeros(6, 4, 3, 3), gs.zeros(5)),
     r"bias of shape \(5,\) does not match the 6 output channels of weight \(6, 4, 3, 3\)"),
    (lambda: conv2d(X, W4, groups=2, stride=0), r"conv2d: stride must be positive, got stride=\(0, 0\)"),
    (lambda: conv2d(X, W4, groups=2, stride=(1, 2, 3)),
     r"conv2d: stride must be an int or a tuple of 2 ints, got 3 values \(1, 2, 3\)"),
    (lambda: conv2d(X, W4, groups=2, padding=-1),
     r"conv2d: padding must be non-negative, got padding=\(-1, -1\)"),
    (lambda: conv2d(X, W4, groups=2, padding="full"),
     r"invalid padding string 'full', should be one of 'same', 'valid'"),
    (lambda: conv2d(X, W4, groups=2, padding="same", stride=2),
     r"padding='same' is not supported for strided convolutions \(stride=\(2, 2\)\)"),
    (lambda: conv2d(X, W4, groups=2, dilation=0),
     r"conv2d: dilation must be positive, got dilation=\(0, 0\)"),
    (lambda: conv2d(gs.zeros(2, 4, 2, 6), W4, groups=2),
     r"conv2d: input of shape \(2, 4, 2, 6\) is too small: N = floor\(\(W \+ 2P - D\(F-1\) - 1\)"
     r"/S\) \+ 1 < 1 for height: W=2, F=3, P=0, S=1, D=1 give N=0"),
    (lambda: conv1d(gs.zeros(1, 1, 4), gs.zeros(1, 1, 3), dilation=2, stride=3),
     r"conv1d: .* too small.* W=4, F=3, P=0, S=3, D=2 give N=0"),
    (lambda: conv2d(X, gs.zeros(6, 2, 3, 3, dtype="float64"), groups=2),
     r"input dtype float32 and weight dtype float64 differ"),
    (lambda: conv_transpose2d(X, gs.zeros(3, 2, 3, 3)),
     r"conv_transpose2d: input of shape \(2, 4, 6, 6\) has 4 channels, but weight of shape "
     r"\(3, 2, 3, 3\) expects 3"),
    (lambda: conv_transpose2d(X, gs.zeros(4, 2, 3, 3), groups=3),
     r"in_channels .* 4 is not divisible by groups=3"),
    (lambda: conv_transpose2d(X, gs.zeros(4, 2, 3, 3), stride=2, output_padding=2),
     r"output_padding=\(2, 2\) must be smaller than either stride=\(2, 2\) or dilation="),
    (lambda: conv_transpose2d(X, gs.zeros(4, 2, 3, 3), padding="same"),
     r"padding='same' is not supported for transposed convolutions"),
    (lambda: conv_transpose2d(gs.zeros(1, 4, 1, 1), gs.zeros(4, 2, 1, 1), padding=1),
     r"too small: N = \(W - 1\)S - 2P \+ D\(F-1\) \+ output_padding \+ 1 < 1 for height: W=1, "
     r"F=1, P=1, S=1, D=1 give N=-1"),
])
def test_bad_inputs_raise_naming_the_values(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()


def test_same_padding_puts_the_odd_zero_after():
    """'same' with an even kernel pads D(F-1) = 1 in total, after the input (as torch)."""
    x, w = random_inputs([(1, 1, 1, 5), (1, 1, 1, 2)], seed=0)
    y = conv2d(gs.tensor(x), gs.tensor(w), padding="same")
    np.testing.assert_allclose(y.array[0, 0, 0, :4], (x[0, 0, 0, :4] * w[0, 0, 0, 0]
                                                     + x[0, 0, 0, 1:] * w[0, 0, 0, 1]))
    np.testing.assert_allclose(y.array[0, 0, 0, 4], x[0, 0, 0, 4] * w[0, 0, 0, 0])


# ------------------------------------------------------------------ the scratch pool
def test_scratch_pool_reuses_returns_leases_and_evicts():
    pool = im2col_ops.ScratchPool(max_bytes=1000)
    a = pool.take("k", (10,), np.float32)
    pool.give("k", a)
    assert pool.take("k", (10,), np.float32) is a and pool.nbytes == 0
    lease = pool.lease("k", pool.take("k", (10,), np.float32))
    held = lease.array
    del lease
    gc.collect()
    assert pool.nbytes == 40 and pool.take("k", (10,), np.float32) is held
    pool.give("k", held)
    pool.give("big", np.zeros(250, np.float32))   # over max_bytes: the oldest key goes first
    assert pool.nbytes == 1000 and pool.take("k", (10,), np.float32) is not held


def test_padded_scratch_keeps_its_zero_border():
    x, w = random_inputs([(2, 3, 5, 5), (2, 3, 3, 3)], seed=9)
    expected = TF.conv2d(torch.tensor(x), torch.tensor(w), padding=2).numpy()
    for _ in range(2):  # the second call reuses the padded buffer of the first
        y = conv2d(gs.tensor(x), gs.tensor(w), padding=2)
        np.testing.assert_allclose(y.array, expected, rtol=1e-6)
        x = x + 1
        expected = TF.conv2d(torch.tensor(x), torch.tensor(w), padding=2).numpy()
