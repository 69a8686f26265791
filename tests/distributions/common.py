"""Shared helpers for the distribution tests: the same distribution built in gradsheet and in
torch from the same float64 parameters, and comparisons of values and gradients."""
import numpy as np

import gradsheet as gs
import gradsheet.distributions as D
from tests.helpers import torch_or_skip

torch = torch_or_skip()
TD = torch.distributions

RTOL, ATOL = 1e-7, 1e-10


def both(name, params, requires_grad=True, **kwargs):
    """(gradsheet distribution, torch distribution, gs params, torch params): ``params`` maps
    each parameter name to a float64 array (a Python number stays a number)."""
    gs_params, torch_params = {}, {}
    for key, value in params.items():
        if isinstance(value, (int, float)) and not isinstance(value, np.generic):
            gs_params[key] = torch_params[key] = value
            continue
        value = np.asarray(value, dtype=np.float64)
        gs_params[key] = gs.tensor(value.copy(), requires_grad=requires_grad)
        torch_params[key] = torch.tensor(value.copy(), requires_grad=requires_grad)
    return (getattr(D, name)(**gs_params, **kwargs), getattr(TD, name)(**torch_params, **kwargs),
            gs_params, torch_params)


def value_pair(array, dtype=np.float64, requires_grad=False):
    array = np.asarray(array, dtype=dtype)
    return (gs.tensor(array.copy(), requires_grad=requires_grad),
            torch.tensor(array.copy(), requires_grad=requires_grad))


def assert_close(actual, expected, what="", rtol=RTOL, atol=ATOL):
    """A gradsheet tensor against a torch tensor: shape, dtype and values (NaN where NaN)."""
    expected = expected.detach()
    assert tuple(actual.shape) == tuple(expected.shape), \
        f"{what}: shape {tuple(actual.shape)} vs torch {tuple(expected.shape)}"
    assert str(actual.dtype) == str(expected.dtype).replace("torch.", ""), \
        f"{what}: dtype {actual.dtype} vs torch {expected.dtype}"
    np.testing.assert_allclose(np.asarray(actual.array, dtype=np.float64),
                               expected.double().numpy(), rtol=rtol, atol=atol, err_msg=what)


def assert_same_gradients(gs_out, torch_out, gs_inputs, torch_inputs, seed=0, rtol=RTOL,
                          atol=ATOL, what=""):
    """Backpropagate the same random upstream gradient through both outputs; every input that
    requires grad gets the same gradient (torch's None counts as zeros)."""
    upstream = np.random.default_rng(seed).standard_normal(tuple(torch_out.shape))
    gs_list = [x for x in gs_inputs if isinstance(x, gs.Tensor) and x.requires_grad]
    torch_list = [x for x in torch_inputs if isinstance(x, torch.Tensor) and x.requires_grad]
    assert len(gs_list) == len(torch_list)
    if not torch_list:
        return
    # retain_graph: the tests differentiate several results of one distribution
    expected = torch.autograd.grad(torch_out, torch_list, torch.tensor(upstream),
                                   allow_unused=True, materialize_grads=True, retain_graph=True)
    for x in gs_list:
        x.grad = None
    gs_out.backward(gs.tensor(upstream), retain_graph=True)
    for i, (x, e) in enumerate(zip(gs_list, expected)):
        actual = np.zeros(x.shape) if x.grad is None else x.grad.array
        np.testing.assert_allclose(actual, e.numpy(), rtol=rtol, atol=atol,
                                   err_msg=f"{what}: gradient of input {i} differs from torch")
