"""nn.functional re-exports the ops under torch.nn.functional's names."""
import importlib
import pkgutil

import pytest

import gradsheet.nn.functional as F
import gradsheet.ops
from tests.helpers import torch_or_skip

OPS_MODULES = [importlib.import_module(f"gradsheet.ops.{info.name}")
               for info in pkgutil.iter_modules(gradsheet.ops.__path__)]


@pytest.mark.parametrize("name", F.__all__)
def test_every_name_is_the_op_and_exists_in_torch(name):
    torch = torch_or_skip()
    ours = getattr(F, name)
    assert any(getattr(module, name, None) is ours for module in OPS_MODULES)
    assert callable(getattr(torch.nn.functional, name))


def test_all_lists_the_core_ops():
    assert {"relu", "linear", "cross_entropy", "dropout"} <= set(F.__all__)
