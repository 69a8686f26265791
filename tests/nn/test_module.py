"""Module: registration, traversal, modes, state dicts, dtype conversion and repr, with
PyTorch as the oracle (the same model-building code runs against both libraries)."""
import copy

import numpy as np
import pytest

import gradsheet as gs
from gradsheet import nn
from tests.helpers import torch_or_skip


def make_net(lib):
    """One architecture, written once against ``lib`` (gradsheet or torch): nested modules,
    a bare parameter, a persistent and a non-persistent buffer, a ModuleList, bias=False."""

    class Block(lib.nn.Module):
        def __init__(self, width):
            super().__init__()
            self.fc = lib.nn.Linear(width, width)
            self.register_buffer("count", lib.zeros(1))

        def forward(self, x):
            return x + lib.tanh(self.fc(x))

    class Net(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = lib.nn.Parameter(lib.ones(3))
            self.encoder = lib.nn.Sequential(lib.nn.Linear(4, 6), lib.nn.Tanh(),
                                             lib.nn.Linear(6, 3, bias=False))
            self.register_buffer("center", lib.zeros(3))
            self.register_buffer("scratch", lib.zeros(2), persistent=False)
            self.blocks = lib.nn.ModuleList([Block(3), Block(3)])
            self.head = lib.nn.Linear(3, 2)

        def forward(self, x):
            h = self.encoder(x) * self.scale - self.center
            for block in self.blocks:
                h = block(h)
            return self.head(h)

    return Net()


def torch_state_as_numpy(model):
    return {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}


@pytest.fixture
def torch():
    return torch_or_skip()


# ------------------------------------------------------------ registration and traversal
def test_names_and_order_match_torch(torch):
    net, ref = make_net(gs), make_net(torch)
    assert [n for n, _ in net.named_parameters()] == [n for n, _ in ref.named_parameters()]
    assert [n for n, _ in net.named_buffers()] == [n for n, _ in ref.named_buffers()]
    assert [n for n, _ in net.named_modules()] == [n for n, _ in ref.named_modules()]
    assert [n for n, _ in net.named_children()] == [n for n, _ in ref.named_children()]
    assert list(net.state_dict()) == list(ref.state_dict())
    shapes = [tuple(p.shape) for p in net.parameters()]
    assert shapes == [tuple(p.shape) for p in ref.parameters()]


def test_parameters_are_the_registered_objects():
    net = make_net(gs)
    assert net.encoder[0].weight is dict(net.named_parameters())["encoder.0.weight"]
    assert net.encoder[2].bias is None
    assert len(list(net.parameters(recurse=False))) == 1
    assert [type(m).__name__ for m in net.children()] == ["Sequential", "ModuleList", "Linear"]


def test_shared_parameter_and_module_listed_once(torch):
    for lib in (gs, torch):
        shared = lib.nn.Linear(2, 2)
        model = lib.nn.Sequential(shared, lib.nn.Tanh(), shared)
        assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias"]
        assert len(list(model.modules())) == 3
        assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_plain_tensors_and_values_are_not_registered():
    module = nn.Module()
    module.t = gs.zeros(2)
    module.k = 3
    assert list(module.parameters()) == [] and list(module.buffers()) == []
    assert module.k == 3


def test_reassigning_keeps_position_and_none_clears(torch):
    for lib in (gs, torch):
        model = lib.nn.Sequential(lib.nn.Linear(2, 3), lib.nn.Linear(3, 1))
        model[0] = lib.nn.Linear(2, 3, bias=False)
        assert [n for n, _ in model.named_parameters()] == ["0.weight", "1.weight", "1.bias"]
        model[1].bias = None
        assert [n for n, _ in model.named_parameters()] == ["0.weight", "1.weight"]


def test_kind_change_moves_between_registries():
    module = nn.Module()
    module.register_buffer("x", gs.zeros(2))
    module.x = nn.Parameter(gs.ones(2))
    assert [n for n, _ in module.named_parameters()] == ["x"]
    assert list(module.named_buffers()) == []
    module.x = nn.Linear(1, 1)
    assert list(module._parameters) == [] and list(module._modules) == ["x"]


def test_delattr_unregisters():
    layer = nn.Linear(2, 3)
    del layer.bias
    assert [n for n, _ in layer.named_parameters()] == ["weight"]
    assert not hasattr(layer, "bias")


def test_buffer_reassignment_updates_registry():
    module = nn.Module()
    module.register_buffer("mean", gs.zeros(2))
    module.mean = gs.ones(2)
    np.testing.assert_array_equal(module.state_dict()["mean"].array, [1, 1])
    with pytest.raises(TypeError, match="buffer 'mean'"):
        module.mean = 3.0


def test_get_submodule():
    net = make_net(gs)
    assert net.get_submodule("blocks.1.fc") is net.blocks[1].fc
    assert net.get_submodule("") is net
    with pytest.raises(AttributeError, match="'nope'.*blocks.nope"):
        net.get_submodule("blocks.nope")


# ------------------------------------------------------------ bad registrations
def test_assigning_tensor_to_parameter_name_raises():
    layer = nn.Linear(2, 3)
    with pytest.raises(TypeError, match="'Tensor' as parameter 'weight'"):
        layer.weight = gs.zeros(3, 2)


def test_assigning_non_module_to_module_name_raises():
    model = nn.Sequential(nn.Tanh())
    with pytest.raises(TypeError, match="'int' as child module '0'"):
        setattr(model, "0", 5)


def test_assignment_before_init_raises():
    class Forgetful(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match="'fc' before Module.__init__"):
        Forgetful()


@pytest.mark.parametrize("register, value, error, message", [
    ("register_parameter", gs.zeros(2), TypeError, "'Tensor' object to parameter 'p'"),
    ("register_buffer", np.zeros(2), TypeError, "'ndarray' object to buffer 'p'"),
    ("add_module", 3, TypeError, "int is not a Module"),
])
def test_register_wrong_kind_raises(register, value, error, message):
    with pytest.raises(error, match=message):
        getattr(nn.Module(), register)("p", value)


@pytest.mark.parametrize("name, message", [("a.b", "no '.'"), ("", "non-empty"),
                                           ("training", "'training' already exists")])
def test_register_bad_name_raises(name, message):
    with pytest.raises(KeyError, match=message):
        nn.Module().register_parameter(name, nn.Parameter(gs.zeros(1)))


def test_register_name_type_raises():
    with pytest.raises(TypeError, match="should be a string, got int"):
        nn.Module().register_buffer(1, gs.zeros(1))


# ------------------------------------------------------------ calling
def test_call_runs_forward_and_base_module_has_none():
    net = make_net(gs)
    x = gs.randn(5, 4)
    np.testing.assert_array_equal(net(x).array, net.forward(x).array)
    with pytest.raises(NotImplementedError, match="Module has no forward"):
        nn.Module()(x)


def test_subclass_with_own_call_keeps_it():
    class Doubled(nn.Module):
        def forward(self, x):
            return x

        def __call__(self, x):
            return self.forward(x) * 2

    np.testing.assert_array_equal(Doubled()(gs.ones(2)).array, [2, 2])


# ------------------------------------------------------------ modes and gradients
def test_train_eval_propagate():
    net = make_net(gs)
    assert all(m.training for m in net.modules())
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.blocks.train()
    assert net.blocks[1].fc.training and not net.encoder.training
    with pytest.raises(ValueError, match="mode must be a bool, got 'no'"):
        net.train("no")


def test_zero_grad():
    net = make_net(gs)
    net(gs.randn(5, 4)).sum().backward()
    grads = [p.grad for p in net.parameters()]
    assert all(g is not None and np.any(g.array) for g in grads)
    net.zero_grad(set_to_none=False)
    assert all(p.grad is g and not np.any(g.array) for p, g in zip(net.parameters(), grads))
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_requires_grad_freezes():
    net = make_net(gs)
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())
    assert not net(gs.randn(2, 4)).requires_grad


def test_apply_visits_children_first_like_torch(torch):
    order = {gs: [], torch: []}
    for lib, seen in order.items():
        make_net(lib).apply(lambda m, seen=seen: seen.append(type(m).__name__))
    assert order[gs] == order[torch]


# ------------------------------------------------------------ dtype
def test_double_converts_in_place_and_keeps_identity():
    net = make_net(gs)
    net(gs.randn(2, 4)).sum().backward()
    params = list(net.parameters())
    assert net.double() is net
    assert [id(p) for p in net.parameters()] == [id(p) for p in params]
    assert all(p.dtype == np.float64 and p.grad.dtype == np.float64 for p in params)
    assert all(b.dtype == np.float64 for b in net.buffers())
    assert net(gs.randn(2, 4, dtype="float64")).dtype == np.float64
    net.float()
    assert all(p.dtype == np.float32 for p in params)


def test_to_leaves_integer_buffers_and_rejects_integer_dtype():
    module = nn.Module()
    module.register_buffer("steps", gs.tensor(np.array(3)))
    module.to("float64")
    assert module.steps.dtype == np.int64
    assert module.to("cpu") is module
    with pytest.raises(TypeError, match="floating dtype, got int32"):
        module.to("int32")


def test_deepcopy_is_independent():
    net = make_net(gs)
    clone = copy.deepcopy(net)
    assert isinstance(clone.head.weight, nn.Parameter)
    clone.head.weight.array[...] = 0
    assert np.any(net.head.weight.array)
    assert clone.head.__dict__["weight"] is clone.head._parameters["weight"]


# ------------------------------------------------------------ state dict
def test_state_dict_shares_memory_and_is_detached():
    layer = nn.Linear(2, 3)
    state = layer.state_dict()
    assert state["weight"].array is layer.weight.array
    assert not state["weight"].requires_grad and type(state["weight"]) is gs.Tensor
    assert layer.state_dict(keep_vars=True)["weight"] is layer.weight


def test_state_dict_round_trip():
    gs.manual_seed(0)
    source, target = make_net(gs), make_net(gs)
    saved = {k: v.array.copy() for k, v in source.state_dict().items()}
    weight = target.head.weight
    result = target.load_state_dict(saved)
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert repr(result) == "<All keys matched successfully>"
    assert target.head.weight is weight
    x = gs.randn(3, 4)
    np.testing.assert_array_equal(target(x).array, source(x).array)


def test_load_torch_state_dict_gives_torch_outputs(torch):
    ref = make_net(torch).double()
    with torch.no_grad():
        ref.center.normal_()
    net = make_net(gs).double()
    net.load_state_dict(torch_state_as_numpy(ref))
    x = np.random.default_rng(0).standard_normal((7, 4))
    expected = ref(torch.tensor(x)).detach().numpy()
    np.testing.assert_allclose(net(gs.tensor(x)).array, expected, rtol=1e-6, atol=1e-12)


def test_load_torch_tensors_directly(torch):
    ref = make_net(torch)
    net = make_net(gs)
    net.load_state_dict(ref.state_dict())
    np.testing.assert_array_equal(net.head.bias.array, ref.head.bias.detach().numpy())


def test_load_state_dict_lists_every_problem_and_copies_nothing():
    net = make_net(gs)
    before = {k: v.array.copy() for k, v in net.state_dict().items()}
    state = dict(before)
    del state["encoder.0.bias"], state["blocks.1.count"]
    state["head.weight"] = np.zeros((3, 3))
    state["encoder.9.weight"] = np.zeros(1)
    state["extra"] = np.zeros(1)
    state["scale"] = np.ones(3) * 7
    with pytest.raises(RuntimeError) as info:
        net.load_state_dict(state)
    message = str(info.value)
    for fragment in ('Missing key(s)', '"encoder.0.bias"', '"blocks.1.count"',
                     'Unexpected key(s)', '"encoder.9.weight"', '"extra"',
                     "size mismatch for head.weight", "(2, 3)", "(3, 3)"):
        assert fragment in message, fragment
    for key, value in net.state_dict().items():
        np.testing.assert_array_equal(value.array, before[key], err_msg=key)


def test_load_state_dict_non_strict():
    net = make_net(gs)
    state = {k: v.array.copy() for k, v in net.state_dict().items()}
    del state["head.bias"]
    state["ghost"] = np.ones(1)
    state["scale"] = np.full(3, 2.0)
    missing, unexpected = net.load_state_dict(state, strict=False)
    assert (missing, unexpected) == (["head.bias"], ["ghost"])
    np.testing.assert_array_equal(net.scale.array, [2, 2, 2])
    state["head.weight"] = np.zeros(6)
    with pytest.raises(RuntimeError, match=r"size mismatch for head.weight: expected shape "
                                           r"\(2, 3\).*got \(6,\)"):
        net.load_state_dict(state, strict=False)


def test_load_state_dict_rejects_non_arrays():
    layer = nn.Linear(1, 1)
    with pytest.raises(RuntimeError, match="'bias': expected a Tensor or array, got str"):
        layer.load_state_dict({"weight": np.ones((1, 1)), "bias": "zero"})


def test_load_state_dict_casts_to_parameter_dtype():
    layer = nn.Linear(2, 1)
    layer.load_state_dict({"weight": np.array([[1.0, 2.0]]), "bias": np.array([0.5])})
    assert layer.weight.dtype == np.float32
    np.testing.assert_array_equal(layer.weight.array, [[1, 2]])


# ------------------------------------------------------------ repr
def test_repr_matches_torch(torch):
    def build(lib):
        return lib.nn.Sequential(lib.nn.Linear(8, 64), lib.nn.Tanh(),
                                 lib.nn.Sequential(lib.nn.Linear(64, 2, bias=False),
                                                   lib.nn.LeakyReLU(0.2)),
                                 lib.nn.ModuleList([lib.nn.ReLU(), lib.nn.ReLU()]))
    assert repr(build(gs)) == repr(build(torch))
    assert repr(make_net(gs)).replace("Net", "") == repr(make_net(torch)).replace("Net", "")


def test_repr_multiline_extra_repr():
    class Noted(nn.Module):
        def extra_repr(self):
            return "a=1\nb=2"

    assert repr(Noted()) == "Noted(\n  a=1\n  b=2\n)"


def test_optimizer_built_before_double_still_trains():
    optim = pytest.importorskip("gradsheet.optim")
    gs.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    model.double()
    x = gs.randn(32, 3, dtype="float64")
    y = (x * gs.tensor([1.0, -2.0, 0.5], dtype="float64")).sum(1, keepdim=True)
    losses = []
    for _ in range(30):
        optimizer.zero_grad()
        loss = nn.MSELoss()(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert model[0].weight.dtype == np.float64
    assert losses[-1] < 0.5 * losses[0]


# ---------------------------------------------------------------- forward hooks
def test_forward_hooks_see_and_replace_inputs_and_outputs_as_torch():
    torch = pytest.importorskip("torch")
    weights = np.random.default_rng(0).standard_normal((3, 4))
    data = np.random.default_rng(1).standard_normal((2, 4))
    seen = {}
    for lib, nn_ in (("gs", nn), ("torch", torch.nn)):
        tensor = gs.tensor if lib == "gs" else torch.tensor
        model = nn_.Sequential(nn_.Linear(4, 3), nn_.ReLU(), nn_.Linear(3, 2)).double()
        with (gs.no_grad() if lib == "gs" else torch.no_grad()):
            model[0].weight.copy_(tensor(weights))
            model[0].bias.zero_()
        log = seen[lib] = []
        model[0].register_forward_pre_hook(lambda m, args: (args[0] * 2,))   # tuple
        model[1].register_forward_pre_hook(lambda m, args: args[0] - 0.1)    # one value
        model[1].register_forward_hook(lambda m, args, out: log.append(
            (np.array(args[0].detach().numpy()), np.array(out.detach().numpy()))))
        model[2].register_forward_hook(lambda m, args, out: out * 0)
        out = model(tensor(data))
        log.append(np.array(out.detach().numpy()))
    (ours_in, ours_out), ours_final = seen["gs"]
    (theirs_in, theirs_out), theirs_final = seen["torch"]
    np.testing.assert_allclose(ours_in, theirs_in, rtol=1e-12)   # the input as replaced
    np.testing.assert_allclose(ours_out, theirs_out, rtol=1e-12)
    np.testing.assert_array_equal(ours_final, theirs_final)
    assert not ours_final.any()


def test_hooks_are_per_instance_run_in_order_and_come_off_with_their_handles():
    layer, other = nn.Identity(), nn.Identity()
    calls = []
    first = layer.register_forward_hook(lambda m, args, out: calls.append("first"))
    layer.register_forward_hook(lambda m, args, out: calls.append("second"))
    x = gs.ones(2)
    assert layer(x) is x and other(x) is x
    assert calls == ["first", "second"]        # the other Identity has none
    first.remove()
    layer(x)
    assert calls == ["first", "second", "second"]


def test_keyword_arguments_reach_forward_through_the_hooks():
    lstm = nn.LSTM(3, 4)
    shapes = []
    lstm.register_forward_hook(lambda m, args, out: shapes.append(tuple(out[0].shape)))
    h0 = (gs.zeros(1, 2, 4), gs.zeros(1, 2, 4))
    out, _ = lstm(gs.ones(5, 2, 3), hx=h0)
    assert shapes == [(5, 2, 4)] and out.shape == (5, 2, 4)


def test_a_hook_must_be_callable():
    with pytest.raises(TypeError, match="register_forward_hook: the hook must be callable"):
        nn.ReLU().register_forward_hook("not a function")
