"""Result dtypes of binary ops follow PyTorch's promotion rule (gradsheet.ops.promotion)."""
import itertools

import numpy as np
import pytest

import gradsheet as gs
from tests.helpers import torch_or_skip

torch = torch_or_skip()

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
SCALARS = [True, 3, 2.5]


def _operand(lib, kind, dtype_or_value):
    """A dimensioned tensor, a 0-d tensor, or a Python number."""
    if kind == "scalar":
        return dtype_or_value
    dtype = getattr(lib, dtype_or_value) if lib is torch else np.dtype(dtype_or_value)
    value = [1, 1] if kind == "dim" else 1
    return lib.tensor(value, dtype=dtype)


def _cases():
    kinds = [("dim", d) for d in DTYPES] + [("zero", d) for d in DTYPES] + \
        [("scalar", s) for s in SCALARS]
    for a, b in itertools.product(kinds, repeat=2):
        if a[0] == "scalar" and b[0] == "scalar":
            continue
        yield a, b


def _torch_dtype_name(t):
    return str(t.dtype).replace("torch.", "")


@pytest.mark.parametrize("op", ["add", "mul", "div", "eq", "maximum"])
def test_result_dtype_matches_torch_for_every_pair(op):
    mismatches = []
    for a, b in _cases():
        if op == "maximum" and "scalar" in (a[0], b[0]):
            continue
        ta, tb = _operand(torch, *a), _operand(torch, *b)
        try:
            expected = _torch_dtype_name(getattr(torch, op)(ta, tb) if op != "div" else ta / tb)
        except (RuntimeError, TypeError):
            continue
        ga, gb = _operand(gs, *a), _operand(gs, *b)
        got = str((getattr(gs, op)(ga, gb) if op != "div" else ga / gb).dtype)
        if got != expected:
            mismatches.append((a, b, got, expected))
    assert not mismatches, mismatches[:10]


def test_examples_from_the_issue():
    assert (gs.ones(2) * gs.tensor(2.0, dtype=gs.float64)).dtype == np.float32
    assert (gs.arange(3) * 2.5).dtype == gs.get_default_dtype()
    assert (gs.tensor([True, False]) + gs.tensor([True, True])).dtype == np.bool_


def test_gradients_keep_each_input_dtype():
    x = gs.ones(3, requires_grad=True)
    s = gs.tensor(2.0, dtype=gs.float64, requires_grad=True)
    y = x * s
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32 and s.grad.dtype == np.float64
    assert s.grad.item() == 3.0
