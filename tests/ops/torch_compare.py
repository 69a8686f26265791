"""Shared by the reduction, scan and sort tests: hypothesis arrays with ties, zeros and
special values, and a comparison with torch of every output (values, shapes, dtypes, NaN
where torch has NaN) and every input gradient."""
import numpy as np
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import gradsheet as gs
from tests.helpers import torch_or_skip

torch = torch_or_skip()

TIES = (0.0, 1.0, -1.0, 2.0, 0.5)
SPECIAL = (np.nan, np.inf, -np.inf)


@st.composite
def arrays(draw, min_dims=0, max_dims=3, min_side=0, max_side=4, pool=TIES, special=False,
           shape=None):
    """A float64 array: normal values mixed with values drawn from ``pool`` (ties, zeros) and,
    with ``special``, NaN and +-inf."""
    if shape is None:
        shape = draw(array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                                  max_side=max_side))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    a = rng.standard_normal(shape)
    if pool:
        a = np.where(rng.random(shape) < 0.5, rng.choice(np.array(pool), size=shape), a)
    if special:
        a = np.where(rng.random(shape) < 0.2, rng.choice(np.array(SPECIAL), size=shape), a)
    return a


def draw_dim(draw, ndim):
    """A valid dim (negative too) of a tensor with ``ndim`` dimensions."""
    size = max(ndim, 1)
    return draw(st.integers(-size, size - 1))


def _outputs(result):
    return list(result) if isinstance(result, tuple) else [result]


def _dtype_name(t):
    return str(t.dtype).replace("torch.", "")


def compare(gs_fn, torch_fn, arrays, grad=True, rtol=1e-6, atol=1e-9, seed=1, indices=True):
    """Run both libraries on float64 copies of ``arrays``; every output must agree in shape,
    dtype and value (NaN where torch has NaN; ``indices=False`` skips integer outputs), and, with
    ``grad``, every input gradient for random upstream gradients. Returns our outputs."""
    gs_in = [gs.tensor(np.array(a, dtype=np.float64), requires_grad=grad) for a in arrays]
    t_in = [torch.tensor(np.array(a, dtype=np.float64), requires_grad=grad) for a in arrays]
    ours, theirs = _outputs(gs_fn(*gs_in)), _outputs(torch_fn(*t_in))
    assert len(ours) == len(theirs)
    for i, (o, t) in enumerate(zip(ours, theirs)):
        assert o.shape == tuple(t.shape), f"output {i}: shape {o.shape} != torch {tuple(t.shape)}"
        assert o.dtype.name == _dtype_name(t), f"output {i}: dtype {o.dtype} != torch {t.dtype}"
        if not indices and o.dtype.kind in "iu":
            continue
        np.testing.assert_allclose(o.array, t.detach().numpy(), rtol=rtol, atol=atol,
                                   equal_nan=True, err_msg=f"output {i} differs from torch")
    if not grad:
        return ours
    rng = np.random.default_rng(seed)
    loss_ours, loss_theirs = None, None
    for o, t in zip(ours, theirs):
        if not t.requires_grad:
            continue
        up = rng.standard_normal(o.shape)
        term_o, term_t = (o * gs.tensor(up)).sum(), (t * torch.tensor(up)).sum()
        loss_ours = term_o if loss_ours is None else loss_ours + term_o
        loss_theirs = term_t if loss_theirs is None else loss_theirs + term_t
    if loss_theirs is None:
        return ours
    loss_ours.backward()
    loss_theirs.backward()
    for i, (g, t) in enumerate(zip(gs_in, t_in)):
        if t.grad is None:
            assert g.grad is None or not np.any(g.grad.array), f"input {i}: torch has no grad"
            continue
        assert g.grad is not None, f"input {i}: gradsheet computed no gradient"
        np.testing.assert_allclose(g.grad.array, t.grad.numpy(), rtol=rtol, atol=atol,
                                   equal_nan=True, err_msg=f"gradient of input {i} differs")
    return ours
