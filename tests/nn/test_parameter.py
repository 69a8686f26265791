"""Parameter: a leaf Tensor that requires grad, shares its data, prints as a Parameter."""
import copy

import numpy as np
import pytest

import gradsheet as gs
from gradsheet import nn
from tests.helpers import torch_or_skip


def test_parameter_is_a_leaf_tensor_requiring_grad():
    p = nn.Parameter(gs.zeros(2, 3))
    assert isinstance(p, gs.Tensor) and p.is_leaf and p.requires_grad
    assert not nn.Parameter(gs.zeros(2), requires_grad=False).requires_grad


def test_parameter_shares_the_tensors_array():
    t = gs.zeros(3)
    array = np.zeros(3)
    assert nn.Parameter(t).array is t.array
    assert nn.Parameter(array).array is array


def test_results_of_ops_are_plain_tensors():
    p = nn.Parameter(gs.ones(2))
    assert type(p * 2) is gs.Tensor and type(p.detach()) is gs.Tensor
    (p * p).sum().backward()
    np.testing.assert_array_equal(p.grad.array, [2, 2])


def test_repr_matches_torch_layout():
    torch = torch_or_skip()
    p = nn.Parameter(gs.tensor([1.0, 2.0]))
    ref = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
    assert repr(p).splitlines()[0] == repr(ref).splitlines()[0] == "Parameter containing:"
    assert repr(p).endswith("requires_grad=True)")


def test_deepcopy_gives_an_independent_parameter():
    p = nn.Parameter(gs.ones(2))
    q = copy.deepcopy(p)
    assert type(q) is nn.Parameter and q.requires_grad
    q.array[0] = 5
    assert p.array[0] == 1


def test_integer_parameter_cannot_require_grad():
    with pytest.raises(RuntimeError, match="only floating tensors can require grad, not int64"):
        nn.Parameter(gs.tensor([1, 2]))


@pytest.mark.parametrize("make, layer, shape", [
    (lambda: nn.Linear(10 ** 10, 10 ** 10), "Linear", r"\(10000000000, 10000000000\)"),
    (lambda: nn.Conv2d(2, 3, 10 ** 12), "Conv2d", r"\(3, 2, 1000000000000, 1000000000000\)"),
    (lambda: nn.ConvTranspose2d(2, 3, 10 ** 12), "ConvTranspose2d", r"\(2, 3, 10+, 10+\)"),
    (lambda: nn.MultiheadAttention(10 ** 12, 2), "MultiheadAttention",
     r"\(3000000000000, 1000000000000\)"),
    (lambda: nn.TransformerEncoderLayer(10 ** 12, 2, 8), "MultiheadAttention", r"\(3000000000000"),
    (lambda: nn.Embedding(10 ** 10, 10 ** 10), "Embedding", r"\(10000000000, 10000000000\)"),
    (lambda: nn.LSTM(10 ** 10, 10 ** 10), "LSTM", r"\(40000000000, 10000000000\)"),
    (lambda: nn.GRUCell(10 ** 10, 10 ** 10), "GRUCell", r"\(30000000000, 10000000000\)"),
    (lambda: nn.LayerNorm((10 ** 10, 10 ** 10)), "LayerNorm", r"\(10000000000, 10000000000\)"),
])
def test_a_parameter_no_array_can_hold_is_refused_naming_the_layer(make, layer, shape):
    """More than 2**63 - 1 bytes: NumPy would say only "array is too big"; here a RuntimeError
    (torch's type: "Storage size calculation overflowed") names the layer, the shape and the
    bytes, before allocating anything."""
    with pytest.raises(RuntimeError, match=rf"{layer}: a parameter of shape {shape}.* would take "
                                         r"[0-9.e+]+ bytes, more than any array can hold"):
        make()


def test_allocate_fills_with_the_given_function():
    from gradsheet.nn.parameter import allocate
    p = allocate("Layer", (2, 3), np.float32, np.ones)
    assert isinstance(p, nn.Parameter) and p.requires_grad
    assert p.shape == (2, 3) and p.dtype == gs.float32
    np.testing.assert_array_equal(p.array, 1)
