"""Every layer's constructor takes PyTorch's arguments, in PyTorch's order, with its defaults
(checked against torch.nn's own signatures, not from memory)."""
import inspect

import pytest

import gradsheet.nn as nn
from tests.helpers import torch_or_skip

torch = torch_or_skip()

# torch declares these as (*args, **kwargs) and documents the arguments in the class
DOCUMENTED = {
    "RNN": "input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True, "
           "batch_first=False, dropout=0.0, bidirectional=False, device=None, dtype=None",
    "LSTM": "input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0, "
            "bidirectional=False, proj_size=0, device=None, dtype=None",
    "GRU": "input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0, "
           "bidirectional=False, device=None, dtype=None",
}


def _layers():
    for name in dir(nn):
        ours = getattr(nn, name)
        theirs = getattr(torch.nn, name, None)
        if inspect.isclass(ours) and issubclass(ours, nn.Module) and inspect.isclass(theirs) \
                and ours is not nn.Module and not name.endswith("Base"):
            yield name


def _default(value):
    """A default as compared: a function (``activation=F.relu``) by its name, each library
    having its own."""
    return ("function", value.__name__) if inspect.isroutine(value) else value


def _parameters(cls):
    """(name, default) of the constructor's parameters, without self and **kwargs."""
    return [(p.name, _default(p.default)) for p in inspect.signature(cls.__init__).parameters.values()
            if p.name != "self" and p.kind not in (p.VAR_KEYWORD,)]


def _documented(text):
    return [(part.split("=")[0].strip(), eval(part.split("=")[1]) if "=" in part
             else inspect.Parameter.empty) for part in text.split(", ")]


@pytest.mark.parametrize("name", list(_layers()))
def test_constructor_matches_torch(name):
    theirs = _documented(DOCUMENTED[name]) if name in DOCUMENTED else _parameters(getattr(torch.nn, name))
    theirs = [(n, d) for n, d in theirs if not n.startswith("_")]  # private: _weight, _freeze
    ours = _parameters(getattr(nn, name))
    if [n for n, _ in ours] == ["args"] or [n for n, _ in theirs] == ["args"]:
        return  # Identity accepts anything, Sigmoid and Tanh nothing (torch's Module.__init__)
    assert ours == theirs
