"""The same architecture built in gradsheet and in torch, weights moved across both ways
(as state dicts and as safetensors files): the outputs must agree to 1e-6 in float64."""
import collections
import sys

import numpy as np
import pytest

import gradsheet as gs
from gradsheet.io import from_torch_state_dict, to_torch_state_dict
from tests.helpers import torch_or_skip

torch = torch_or_skip()
import safetensors.torch  # noqa: E402  (after the skip: it needs torch)


def _floats(*shape):
    return lambda rng: rng.standard_normal(shape)


def _indices(high, *shape):
    return lambda rng: rng.integers(0, high, size=shape)


# (id, gradsheet.nn classes it needs, build(nn) for nn = gradsheet.nn or torch.nn, input)
LAYERS = [
    ("Linear", ["Linear"], lambda nn: nn.Linear(4, 3), _floats(2, 4)),
    ("Linear-no-bias", ["Linear"], lambda nn: nn.Linear(4, 3, bias=False), _floats(2, 4)),
    ("Sequential-nested", ["Sequential", "Linear", "Tanh", "ReLU"],
     lambda nn: nn.Sequential(nn.Linear(4, 5), nn.Tanh(),
                              nn.Sequential(nn.Linear(5, 3), nn.ReLU()), nn.Linear(3, 2)),
     _floats(2, 4)),
    ("Conv1d", ["Conv1d"], lambda nn: nn.Conv1d(2, 3, 3, padding=1), _floats(2, 2, 7)),
    ("Conv2d", ["Conv2d"], lambda nn: nn.Conv2d(2, 3, 3, stride=2, padding=1),
     _floats(2, 2, 6, 6)),
    ("ConvTranspose2d", ["ConvTranspose2d"],
     lambda nn: nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1, output_padding=1),
     _floats(2, 2, 4, 4)),
    ("BatchNorm1d", ["BatchNorm1d"], lambda nn: nn.BatchNorm1d(3), _floats(4, 3)),
    ("BatchNorm1d-sequence", ["BatchNorm1d"], lambda nn: nn.BatchNorm1d(3), _floats(4, 3, 5)),
    ("BatchNorm2d", ["BatchNorm2d"], lambda nn: nn.BatchNorm2d(3), _floats(4, 3, 5, 5)),
    ("LayerNorm", ["LayerNorm"], lambda nn: nn.LayerNorm([3, 5]), _floats(2, 3, 5)),
    ("GroupNorm", ["GroupNorm"], lambda nn: nn.GroupNorm(2, 4), _floats(2, 4, 3, 3)),
    ("Embedding", ["Embedding"], lambda nn: nn.Embedding(10, 4), _indices(10, 2, 5)),
    ("RNN", ["RNN"], lambda nn: nn.RNN(3, 4, num_layers=2, bidirectional=True,
                                       batch_first=True), _floats(2, 5, 3)),
    ("RNN-relu", ["RNN"], lambda nn: nn.RNN(3, 4, nonlinearity="relu", bias=False),
     _floats(5, 2, 3)),
    ("LSTM", ["LSTM"], lambda nn: nn.LSTM(3, 4, num_layers=2, bidirectional=True),
     _floats(5, 2, 3)),
    ("GRU", ["GRU"], lambda nn: nn.GRU(3, 4, num_layers=2, bidirectional=True, batch_first=True),
     _floats(2, 5, 3)),
    ("CNN", ["Sequential", "Conv2d", "BatchNorm2d", "ReLU", "Flatten", "Linear"],
     lambda nn: nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU(), nn.Flatten(),
                              nn.Linear(2 * 4 * 4, 3)),
     _floats(2, 1, 6, 6)),
]


def _params():
    params = []
    for name, needs, build, make_input in LAYERS:
        missing = [cls for cls in needs if not hasattr(gs.nn, cls)]
        marks = [pytest.mark.skip(reason=f"gradsheet.nn has no {', '.join(missing)} yet")] \
            if missing else []
        params.append(pytest.param(build, make_input, id=name, marks=marks))
    return params


def _random_state(state_dict, rng):
    """Random values for every entry (positive variances, a nonzero batch count)."""
    state = collections.OrderedDict()
    for name, value in state_dict.items():
        array = np.asarray(value.array if isinstance(value, gs.Tensor) else value.numpy())
        if array.dtype.kind != "f":
            state[name] = np.full(array.shape, 7, dtype=array.dtype)
        elif name.endswith("running_var"):
            state[name] = rng.uniform(0.5, 1.5, array.shape)
        else:
            state[name] = rng.standard_normal(array.shape) * 0.5
    return state


def _flat(output):
    if isinstance(output, (tuple, list)):
        return [array for part in output for array in _flat(part)]
    return [output.array if isinstance(output, gs.Tensor) else output.detach().numpy()]


def _pair(build):
    """The same architecture in both libraries, float64, in eval mode (running statistics)."""
    return build(gs.nn).double().eval(), build(torch.nn).double().eval()


def _assert_same_outputs(gs_model, torch_model, make_input):
    x = make_input(np.random.default_rng(2))
    with torch.no_grad():
        expected = _flat(torch_model(torch.tensor(x)))
    with gs.no_grad():
        got = _flat(gs_model(gs.tensor(x)))
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-6, atol=1e-9)


def _assert_same_state(gs_model, torch_model):
    gs_state, torch_state = gs_model.state_dict(), torch_model.state_dict()
    assert list(gs_state) == list(torch_state)  # the same names, in the same order
    for name, value in gs_state.items():
        np.testing.assert_array_equal(value.array, torch_state[name].numpy(), err_msg=name)
        assert value.dtype == torch_state[name].numpy().dtype, name


@pytest.mark.parametrize("route", ["state_dict", "safetensors"])
@pytest.mark.parametrize(("build", "make_input"), _params())
def test_torch_weights_in_gradsheet(build, make_input, route, tmp_path):
    gs_model, torch_model = _pair(build)
    torch_model.load_state_dict({name: torch.from_numpy(array) for name, array in
                                 _random_state(torch_model.state_dict(),
                                               np.random.default_rng(0)).items()})
    if route == "state_dict":
        state = from_torch_state_dict(torch_model.state_dict())
    else:
        safetensors.torch.save_file(torch_model.state_dict(), tmp_path / "torch.safetensors")
        state = gs.io.load(tmp_path / "torch.safetensors")
    gs_model.load_state_dict(state)
    _assert_same_state(gs_model, torch_model)
    _assert_same_outputs(gs_model, torch_model, make_input)


@pytest.mark.parametrize("route", ["state_dict", "safetensors"])
@pytest.mark.parametrize(("build", "make_input"), _params())
def test_gradsheet_weights_in_torch(build, make_input, route, tmp_path):
    gs_model, torch_model = _pair(build)
    gs_model.load_state_dict(_random_state(gs_model.state_dict(), np.random.default_rng(1)))
    if route == "state_dict":
        state = to_torch_state_dict(gs_model.state_dict())
    else:
        gs.io.save(gs_model.state_dict(), tmp_path / "gs.safetensors")
        state = safetensors.torch.load_file(tmp_path / "gs.safetensors")
    torch_model.load_state_dict(state)  # strict: every name must match
    _assert_same_state(gs_model, torch_model)
    _assert_same_outputs(gs_model, torch_model, make_input)


def test_conversions_keep_names_order_dtypes_and_copy():
    torch_state = collections.OrderedDict(
        [("b.weight", torch.randn(2, 3, dtype=torch.float32)),
         ("a.num_batches_tracked", torch.tensor(5)),
         ("a.mask", torch.tensor([True, False])),
         ("c.weight", torch.randn(3, 4, dtype=torch.float64).t())])  # non-contiguous
    state = from_torch_state_dict(torch_state)
    assert list(state) == list(torch_state)
    for name, value in state.items():
        assert isinstance(value, gs.Tensor)
        np.testing.assert_array_equal(value.array, torch_state[name].numpy())
        assert value.dtype == torch_state[name].numpy().dtype
    state["b.weight"].array[...] = 0  # a copy: torch's tensor keeps its values
    assert torch.count_nonzero(torch_state["b.weight"]) == 6
    back = to_torch_state_dict(state)
    assert list(back) == list(torch_state)
    for name, value in back.items():
        assert value.dtype == torch_state[name].dtype and value.is_contiguous()
    back["a.num_batches_tracked"] += 1
    assert state["a.num_batches_tracked"].item() == 5
    np.testing.assert_array_equal(to_torch_state_dict({"x": np.eye(2)})["x"].numpy(), np.eye(2))


def test_from_torch_takes_tensors_that_require_grad():
    linear = torch.nn.Linear(2, 2)
    state = from_torch_state_dict(dict(linear.named_parameters()))
    np.testing.assert_array_equal(state["weight"].array, linear.weight.detach().numpy())


def test_bad_inputs_name_the_entry():
    with pytest.raises(TypeError, match="got a Linear, expected a state dict.*state_dict()"):
        from_torch_state_dict(torch.nn.Linear(2, 2))
    with pytest.raises(TypeError, match="got a Linear, expected a state dict"):
        to_torch_state_dict(gs.nn.Linear(2, 2))
    with pytest.raises(TypeError, match="expected a dict of tensors, got list"):
        to_torch_state_dict([gs.ones(2)])
    with pytest.raises(TypeError, match="'w' is bfloat16.*float()"):
        from_torch_state_dict({"w": torch.ones(2, dtype=torch.bfloat16)})
    with pytest.raises(TypeError, match="'w' is a list, expected a torch.Tensor or ndarray"):
        from_torch_state_dict({"w": [1.0, 2.0]})
    with pytest.raises(TypeError, match="'w' is a float, expected a Tensor or ndarray"):
        to_torch_state_dict({"w": 1.0})


def test_to_torch_without_torch_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` fail
    with pytest.raises(ImportError, match="to_torch_state_dict needs PyTorch.*pip install torch"):
        to_torch_state_dict({"w": gs.ones(2)})
