"""The Tensor method table (gradsheet.autograd.methods): every method documented, named as in
torch, bound once, and the function and the method sharing one docstring."""
import inspect

import pytest

import gradsheet as gs
from gradsheet.autograd.methods import TABLE
from tests.helpers import torch_or_skip

torch = torch_or_skip()

# gradsheet's own names on Tensor, documented in the README's differences from PyTorch
GRADSHEET_ONLY = {"array"}


def _public_members():
    for name in dir(gs.Tensor):
        if name.startswith("_") and not (name.startswith("__") and name in TABLE):
            continue
        yield name, inspect.getattr_static(gs.Tensor, name)


def test_every_public_method_and_property_has_a_docstring():
    missing = [name for name, member in _public_members() if not inspect.ismemberdescriptor(member)
               and not inspect.getdoc(member.fget if isinstance(member, property) else member)]
    assert not missing, missing


def test_every_public_name_exists_on_torch_tensor():
    invented = [name for name, _ in _public_members()
                if name not in GRADSHEET_ONLY and not hasattr(torch.Tensor, name)]
    assert not invented, invented


def test_a_method_bound_from_a_function_shares_its_docstring():
    for name, function in TABLE.items():
        member = inspect.getattr_static(gs.Tensor, name)
        if isinstance(member, property):
            member = member.fget
        if name.endswith("_") and not name.endswith("__") or name.startswith("__i"):
            assert function.__doc__ in member.__doc__, name  # the in-place twin quotes it
        elif not name.startswith("__r"):
            assert member.__doc__ == function.__doc__, name


@pytest.mark.parametrize("name", ["add_", "sub_", "mul_", "div_", "pow_", "clamp_", "zero_",
                                  "fill_", "copy_", "normal_", "uniform_", "exponential_",
                                  "bernoulli_", "masked_fill_", "index_add_", "scatter_"])
def test_the_in_place_family_exists(name):
    assert callable(getattr(gs.Tensor, name))


def test_binding_a_name_twice_is_refused():
    from gradsheet.autograd.methods import tensor_method
    with pytest.raises(RuntimeError, match="Tensor.add is bound twice"):
        tensor_method("add")(lambda x: x)
