"""Sequential, ModuleList, ModuleDict: list/dict behaviour, naming and reprs as in PyTorch."""
import collections

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gradsheet as gs
from gradsheet import nn
from tests.helpers import torch_or_skip


def test_sequential_applies_in_order():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    x = gs.randn(5, 3)
    expected = model[2](model[1](model[0](x)))
    np.testing.assert_array_equal(model(x).array, expected.array)
    assert len(model) == 3 and list(model) == [model[0], model[1], model[2]]
    assert model[-1] is model[2]


def test_empty_sequential_is_identity():
    x = gs.randn(2)
    assert nn.Sequential()(x) is x


def test_sequential_slice_keeps_names_and_type():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    tail = model[1:]
    assert type(tail) is nn.Sequential and tail[0] is model[1]
    assert [n for n, _ in tail.named_parameters()] == ["2.weight", "2.bias"]


def test_sequential_ordered_dict_names():
    model = nn.Sequential(collections.OrderedDict(hidden=nn.Linear(2, 3), act=nn.Tanh()))
    assert [n for n, _ in model.named_parameters()] == ["hidden.weight", "hidden.bias"]
    assert model[1] is model.act
    model[0] = nn.Linear(2, 3, bias=False)
    assert list(model._modules) == ["hidden", "act"]


def test_sequential_append_extend_insert_pop_match_torch():
    torch = torch_or_skip()
    models = {}
    for lib in (gs, torch):
        model = lib.nn.Sequential(lib.nn.Tanh())
        model.append(lib.nn.ReLU()).extend([lib.nn.Sigmoid(), lib.nn.Identity()])
        model.insert(1, lib.nn.SiLU())
        popped = model.pop(0)
        del model[-1]
        models[lib] = (repr(model), type(popped).__name__)
    assert models[gs] == models[torch]


def test_index_errors_name_the_size():
    model = nn.Sequential(nn.Tanh(), nn.ReLU())
    with pytest.raises(IndexError, match="index 2 is out of range for 2 modules"):
        model[2]
    with pytest.raises(IndexError, match="index -3 is out of range for 2 modules"):
        del model[-3]
    with pytest.raises(TypeError, match="integers or slices, got str"):
        model["0"]


LIST_OPS = st.lists(st.one_of(
    st.tuples(st.just("append")),
    st.tuples(st.just("insert"), st.integers(-4, 4)),
    st.tuples(st.just("delete"), st.integers(-4, 4)),
    st.tuples(st.just("set"), st.integers(-4, 4)),
), max_size=12)


@settings(max_examples=40, deadline=None)
@given(LIST_OPS)
def test_module_list_behaves_like_a_list(ops):
    """Any sequence of edits leaves the same modules in the same order as a Python list,
    named '0'..'n-1'."""
    modules, reference = nn.ModuleList(), []
    for op in ops:
        if op[0] == "append":
            module = nn.Identity()
            modules.append(module)
            reference.append(module)
        elif op[0] == "insert":
            module = nn.Identity()
            modules.insert(op[1], module)
            reference.insert(op[1], module)
        elif -len(reference) <= op[1] < len(reference):
            if op[0] == "delete":
                del modules[op[1]]
                del reference[op[1]]
            else:
                modules[op[1]] = reference[op[1]] = nn.Identity()
        assert list(modules) == reference
    assert list(modules._modules) == [str(i) for i in range(len(reference))]
    assert [modules[i] for i in range(len(modules))] == reference


def test_module_list_registers_parameters():
    class Stack(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList(nn.Linear(2, 2) for _ in range(3))

    names = [n for n, _ in Stack().named_parameters()]
    assert names == [f"layers.{i}.{p}" for i in range(3) for p in ("weight", "bias")]


def test_module_list_slicing_adding_and_no_forward():
    layers = nn.ModuleList([nn.Tanh(), nn.ReLU(), nn.Sigmoid()])
    assert type(layers[1:]) is nn.ModuleList and list(layers[1:]) == list(layers)[1:]
    both = layers + nn.ModuleList([nn.SiLU()])
    assert len(both) == 4 and both[3].__class__ is nn.SiLU
    layers += [nn.GELU()]
    assert len(layers) == 4
    with pytest.raises(NotImplementedError, match="ModuleList has no forward"):
        layers(gs.ones(1))


def test_module_list_repr_matches_torch():
    torch = torch_or_skip()

    def build(lib):
        return lib.nn.ModuleList([lib.nn.Linear(2, 2), lib.nn.Linear(2, 2), lib.nn.ReLU(),
                                  lib.nn.Sequential(lib.nn.Tanh(), lib.nn.Tanh())])
    assert repr(build(gs)) == repr(build(torch))
    assert repr(nn.ModuleList()) == repr(torch.nn.ModuleList())


def test_module_dict():
    torch = torch_or_skip()
    heads = nn.ModuleDict({"policy": nn.Linear(4, 2), "value": nn.Linear(4, 1)})
    assert list(heads) == ["policy", "value"] and "value" in heads and len(heads) == 2
    assert [n for n, _ in heads.named_parameters()][:2] == ["policy.weight", "policy.bias"]
    heads["policy"] = nn.Linear(4, 3)
    assert list(heads.keys()) == ["policy", "value"] and heads["policy"].out_features == 3
    assert heads.pop("value").out_features == 1 and list(heads) == ["policy"]
    heads.update([("extra", nn.Tanh())])
    assert list(dict(heads.items())) == ["policy", "extra"]
    ref = torch.nn.ModuleDict({"policy": torch.nn.Linear(4, 3), "extra": torch.nn.Tanh()})
    assert repr(heads) == repr(ref)
    heads.clear()
    assert len(heads) == 0 and list(heads.parameters()) == []
    with pytest.raises(KeyError, match="missing"):
        del heads["missing"]
    with pytest.raises(KeyError, match="'train' already exists"):
        heads["train"] = nn.Tanh()
