"""Running a gradsheet layer and its torch counterpart side by side (float64, same weights).

``compare_layers`` copies torch's state dict into ours, runs both on the same inputs and
checks outputs, every input and parameter gradient (for a random upstream gradient), the
repr and the state dict's keys and shapes.
"""
import numpy as np

import gradsheet as gs
from tests.helpers import torch_or_skip


def _pair(value, torch, constant=False):
    """A gradsheet and a torch tensor of ``value`` (floats require grad unless ``constant``;
    float64)."""
    a = np.asarray(value)
    floating = a.dtype.kind == "f"
    if floating:
        a = a.astype(np.float64)
    grad = floating and not constant
    return (gs.tensor(a, requires_grad=grad), torch.tensor(a, requires_grad=grad))


def _outputs(out):
    return list(out) if isinstance(out, tuple) else [out]


def compare_layers(ours, theirs, inputs, rtol=1e-6, atol=1e-9, grad=True, seed=1, kwargs=None,
                   check_repr=True, constants=()):
    """Both layers (torch's defines the weights) on ``inputs`` (those at the positions in
    ``constants`` without gradients); returns our outputs."""
    torch = torch_or_skip()
    kwargs = kwargs or {}
    theirs = theirs.double()
    ours = ours.double()
    state = theirs.state_dict()
    ours_state = ours.state_dict()
    assert list(ours_state) == list(state), "state_dict keys differ from torch"
    for key, value in state.items():
        assert tuple(ours_state[key].shape) == tuple(value.shape), f"{key}: shape differs"
    ours.load_state_dict({key: value.detach().numpy() for key, value in state.items()})
    if check_repr:
        assert repr(ours) == repr(theirs)
    pairs = [_pair(value, torch, i in constants) for i, value in enumerate(inputs)]
    gs_out = _outputs(ours(*[p[0] for p in pairs], **kwargs))
    torch_out = _outputs(theirs(*[p[1] for p in pairs], **kwargs))
    assert len(gs_out) == len(torch_out)
    for g, t in zip(gs_out, torch_out):
        assert tuple(g.shape) == tuple(t.shape), f"output shape {tuple(g.shape)} vs {tuple(t.shape)}"
        assert g.array.dtype == np.dtype(str(t.dtype).replace("torch.", "")), \
            f"output dtype {g.array.dtype} vs {t.dtype}"
        np.testing.assert_allclose(g.array, t.detach().numpy(), rtol=rtol, atol=atol,
                                   err_msg="forward values differ from torch")
    if not grad:
        return gs_out
    rng = np.random.default_rng(seed)
    gs_total, torch_total = None, None
    for g, t in zip(gs_out, torch_out):
        if not t.requires_grad:
            continue
        upstream = rng.standard_normal(tuple(t.shape))
        with np.errstate(invalid="ignore"):
            gs_term = (g * gs.tensor(upstream)).sum()
        torch_term = (t * torch.tensor(upstream)).sum()
        gs_total = gs_term if gs_total is None else gs_total + gs_term
        torch_total = torch_term if torch_total is None else torch_total + torch_term
    if torch_total is None:
        return gs_out
    with np.errstate(invalid="ignore"):  # inf - inf in the sums of edge-value tests
        gs_total.backward()
    torch_total.backward()
    for i, (g, t) in enumerate(pairs):
        if t.requires_grad:
            _same_grad(g.grad, t.grad, f"input {i}", rtol, atol)
    ours_params = dict(ours.named_parameters())
    for name, param in theirs.named_parameters():
        _same_grad(ours_params[name].grad, param.grad, f"parameter {name}", rtol, atol)
    return gs_out


def _same_grad(ours, theirs, what, rtol, atol):
    if theirs is None:
        assert ours is None or not np.any(ours.array), f"{what}: torch has no gradient"
        return
    assert ours is not None, f"{what}: gradsheet computed no gradient"
    np.testing.assert_allclose(ours.array, theirs.numpy(), rtol=rtol, atol=atol,
                               err_msg=f"gradient of {what} differs from torch")
