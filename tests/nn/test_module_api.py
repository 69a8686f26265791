"""Module's API against torch.nn.Module: to/type/half/double/bfloat16, requires_grad_,
get_submodule/get_parameter/get_buffer, named_buffers, register_module, share_memory,
extra_repr, __dir__, train(mode), zero_grad, state_dict(keep_vars=), load_state_dict(strict=,
assign=) and its _IncompatibleKeys; the nn.modules.* paths hold the same classes."""
import numpy as np
import pytest

import gradsheet as gs
from gradsheet import nn
from tests.helpers import torch_or_skip

torch = torch_or_skip()


def _pair():
    ref = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.BatchNorm1d(3))
    mine = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    mine.load_state_dict(ref.state_dict())
    return mine, ref


def _dtype(t):
    return str(t.dtype).replace("torch.", "")


def test_get_parameter_and_buffer_as_torch():
    mine, ref = _pair()
    for target in ("0.weight", "1.bias"):
        np.testing.assert_array_equal(mine.get_parameter(target).array,
                                      ref.get_parameter(target).detach().numpy())
        assert mine.get_parameter(target) is mine.get_submodule(target.split(".")[0]).__dict__[
            target.split(".")[1]]
    for target in ("1.running_mean", "1.num_batches_tracked"):
        np.testing.assert_array_equal(mine.get_buffer(target).array,
                                      ref.get_buffer(target).numpy())
    assert [n for n, _ in mine.named_buffers()] == [n for n, _ in ref.named_buffers()]
    for method, target, message in [
            ("get_parameter", "0.nothing", "Linear has no attribute `nothing`"),
            ("get_parameter", "1.running_mean", "`running_mean` is not an nn.Parameter"),
            ("get_buffer", "1.weight", "`weight` is not a buffer"),
            ("get_buffer", "1.zzz", "BatchNorm1d has no attribute `zzz`")]:
        with pytest.raises(AttributeError, match=message):
            getattr(ref, method)(target)
        with pytest.raises(AttributeError, match=message):
            getattr(mine, method)(target)
    with pytest.raises(AttributeError, match="has no submodule '5'"):
        mine.get_parameter("5.weight")


def test_dtype_conversions_as_torch():
    mine, ref = _pair()
    mine.type(gs.float64)
    ref.type(torch.float64)
    for (name, m), (_, r) in zip(mine.state_dict().items(), ref.state_dict().items()):
        assert m.dtype == np.dtype(_dtype(r)), name  # integer buffers too, as torch
    mine.type("torch.FloatTensor")
    ref.type("torch.FloatTensor")
    for (name, m), (_, r) in zip(mine.state_dict().items(), ref.state_dict().items()):
        assert m.dtype == np.dtype(_dtype(r)), name
    mine, ref = _pair()
    for convert in ("half", "double", "float"):
        getattr(mine, convert)()
        getattr(ref, convert)()
        for (name, m), (_, r) in zip(mine.state_dict().items(), ref.state_dict().items()):
            assert m.dtype == np.dtype(_dtype(r)), (convert, name)
    assert mine.to(gs.float64) is mine and mine[0].weight.dtype == np.float64
    with pytest.raises(TypeError, match="Sequential.bfloat16: NumPy has no bfloat16"):
        mine.bfloat16()
    with pytest.raises(TypeError, match="Module.type: unknown type name 'torch.QuadTensor'"):
        mine.type("torch.QuadTensor")


def test_small_methods_as_torch():
    mine, ref = _pair()
    assert mine.share_memory() is mine and ref.share_memory() is ref
    assert mine.requires_grad_(False) is mine
    assert not any(p.requires_grad for p in mine.parameters())
    assert mine.extra_repr() == ref.extra_repr() == ""
    assert mine[0].extra_repr() == ref[0].extra_repr()
    relu = nn.ReLU()
    assert mine.register_module("act", relu) is None
    assert mine.act is relu and list(mine._modules) == ["0", "1", "act"]
    with pytest.raises(KeyError, match=r"contain no '\.'"):
        mine.register_module("a.b", nn.ReLU())
    with pytest.raises(TypeError, match="name should be a string"):
        mine.register_module(1, nn.ReLU())
    mine_names, ref_names = set(dir(mine)), set(dir(ref))
    for name in ("training", "forward", "state_dict", "_modules", "_parameters"):
        assert name in mine_names and name in ref_names
    assert not any(n[:1].isdigit() for n in mine_names)
    assert "weight" in dir(mine[0]) and "running_mean" in dir(mine[1])


def test_train_and_zero_grad_as_torch():
    mine, ref = _pair()
    for bad in (1, "yes"):
        with pytest.raises(ValueError, match="training mode is expected to be boolean"):
            ref.train(bad)
        with pytest.raises(ValueError, match="training mode is expected to be boolean"):
            mine.train(bad)
    assert mine.train(mode=False) is mine and not mine[1].training
    for model, lib in ((mine, gs), (ref, torch)):
        model(lib.ones(4, 2)).sum().backward()
    mine.zero_grad(set_to_none=False)
    ref.zero_grad(set_to_none=False)
    for m, r in zip(mine.parameters(), ref.parameters()):
        np.testing.assert_array_equal(m.grad.array, r.grad.numpy())
    mine.zero_grad()
    ref.zero_grad()
    assert all(p.grad is None for p in mine.parameters())


def test_state_dict_keep_vars_as_torch():
    mine, ref = _pair()
    kept, ref_kept = mine.state_dict(keep_vars=True), ref.state_dict(keep_vars=True)
    assert list(kept) == list(ref_kept)
    assert kept["0.weight"] is mine[0].weight and isinstance(kept["0.weight"], nn.Parameter)
    plain = mine.state_dict()
    assert not isinstance(plain["0.weight"], nn.Parameter)
    assert not plain["0.weight"].requires_grad
    assert np.shares_memory(plain["0.weight"].array, mine[0].weight.array)


def test_load_state_dict_results_as_torch():
    mine, ref = _pair()
    result, ref_result = mine.load_state_dict(ref.state_dict()), ref.load_state_dict(
        ref.state_dict())
    assert repr(result) == repr(ref_result) == "<All keys matched successfully>"
    assert result.missing_keys == [] and result.unexpected_keys == []
    # (a Linear pair: torch's BatchNorm fills in a missing num_batches_tracked)
    ref = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Linear(3, 1))
    mine = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
    partial = {"0.weight": ref.state_dict()["0.weight"], "extra": torch.zeros(1)}
    result = mine.load_state_dict(partial, strict=False)
    ref_result = ref.load_state_dict(partial, strict=False)
    assert result.missing_keys == ref_result.missing_keys
    assert result.unexpected_keys == ref_result.unexpected_keys
    assert result._fields == ref_result._fields
    assert type(result).__name__ == type(ref_result).__name__ == "_IncompatibleKeys"
    with pytest.raises(RuntimeError, match=r'Missing key\(s\) in state_dict: "0.bias"'):
        mine.load_state_dict(partial)
    with pytest.raises(TypeError, match="Expected state_dict to be dict-like, got <class 'list'>"):
        mine.load_state_dict([1])


def test_load_state_dict_assign_as_torch():
    mine, ref = _pair()
    source = {k: v.clone().double() for k, v in ref.state_dict().items()}
    mine_source = {k: gs.tensor(v.numpy()) for k, v in source.items()}
    mine[0].weight.requires_grad_(False)
    ref[0].weight.requires_grad_(False)
    mine.load_state_dict(mine_source, assign=True)
    ref.load_state_dict(source, assign=True)
    for (name, m), (_, r) in zip(mine.state_dict(keep_vars=True).items(),
                                 ref.state_dict(keep_vars=True).items()):
        assert m.dtype == np.dtype(_dtype(r)), name  # the source's dtype is kept
        assert type(m).__name__ == type(r).__name__, name  # Parameter stays Parameter
        assert m.requires_grad == r.requires_grad, name
        np.testing.assert_array_equal(m.array, r.detach().numpy())
    assert np.shares_memory(mine[0].bias.array, mine_source["0.bias"].array)
    assert mine[1].running_mean is mine_source["1.running_mean"]
    assert mine[0].weight in list(mine.parameters())


def test_nn_modules_paths_hold_the_same_classes():
    m = nn.modules
    assert m.conv.Conv2d is nn.Conv2d and m.linear.Linear is nn.Linear
    assert m.batchnorm.BatchNorm2d is nn.BatchNorm2d and m.activation.ReLU is nn.ReLU
    assert m.module.Module is nn.Module and m.container.Sequential is nn.Sequential
    assert m.rnn.LSTM is nn.LSTM and m.sparse.Embedding is nn.Embedding
    assert m.dropout.Dropout is nn.Dropout and m.pooling.MaxPool2d is nn.MaxPool2d
    assert m.normalization.LayerNorm is nn.LayerNorm and m.Linear is nn.Linear
    assert isinstance(nn.MSELoss(), m.loss._Loss) and isinstance(nn.NLLLoss(), m.loss._WeightedLoss)
    assert isinstance(nn.Conv2d(1, 1, 1), m.conv._ConvNd)
    assert isinstance(nn.BatchNorm2d(2), m.batchnorm._BatchNorm)
    assert isinstance(nn.MaxPool2d(2), m.pooling._MaxPoolNd)
    from gradsheet.nn.modules.conv import Conv2d
    from gradsheet.nn.modules.utils import _pair as pair
    from torch.nn.modules.utils import _pair as torch_pair
    assert Conv2d is nn.Conv2d and pair(3) == torch_pair(3) and pair((1, 2)) == torch_pair((1, 2))
    for file in ("activation", "conv", "loss", "rnn", "container", "linear"):
        mine, ref = getattr(m, file), getattr(torch.nn.modules, file)
        assert set(mine.__all__) <= set(ref.__all__), file
        for name in mine.__all__:
            assert getattr(mine, name) is getattr(nn, name), (file, name)
    with pytest.raises(AttributeError, match="gradsheet does not implement "
                                             "torch.nn.modules.conv.LazyConv3d yet"):
        m.conv.LazyConv3d  # noqa: B018
    with pytest.raises(ImportError):
        from gradsheet.nn.modules.conv import NoSuchConv  # noqa: F401


def test_consume_prefix_as_torch():
    from torch.nn.modules.utils import consume_prefix_in_state_dict_if_present as reference

    from gradsheet.nn.modules.utils import consume_prefix_in_state_dict_if_present
    net = torch.nn.Sequential(torch.nn.Linear(2, 2))
    state, ref_state = net.state_dict(), net.state_dict()
    state = type(state)(("module." + k, v) for k, v in state.items())
    ref_state = type(ref_state)(("module." + k, v) for k, v in ref_state.items())
    consume_prefix_in_state_dict_if_present(state, "module.")
    reference(ref_state, "module.")
    assert list(state) == list(ref_state) == ["0.weight", "0.bias"]


@pytest.mark.parametrize("method", [
    "register_forward_hook", "register_forward_pre_hook", "register_full_backward_hook",
    "register_full_backward_pre_hook", "register_module", "get_parameter", "get_buffer",
    "get_submodule", "type", "share_memory", "train", "zero_grad", "load_state_dict",
    "requires_grad_", "named_buffers", "half", "bfloat16", "extra_repr"])
def test_method_signatures_as_torch(method):
    import inspect
    mine = inspect.signature(getattr(nn.Module, method))
    ref = inspect.signature(getattr(torch.nn.Module, method))
    assert [(p.name, p.kind, p.default) for p in mine.parameters.values()] == \
        [(p.name, p.kind, p.default) for p in ref.parameters.values()]
