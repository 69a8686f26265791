"""The Optimizer base, exercised through every optimizer: groups, state dicts, validation, memory."""
import copy
import tracemalloc

import numpy as np
import pytest

import gradsheet as gs
from gradsheet import optim
from tests.optim.torch_twin import Twins, run_against_torch, torch_state_to_numpy

# one configuration per optimizer that uses all of its state
CONFIGS = {
    "SGD": ("SGD", {"lr": 0.05}),
    "SGD-nesterov": ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1}),
    "Adam-amsgrad": ("Adam", {"lr": 0.05, "amsgrad": True, "weight_decay": 0.1}),
    "AdamW": ("AdamW", {"lr": 0.05, "weight_decay": 0.1}),
    "RMSprop-centered": ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5}),
    "Adagrad": ("Adagrad", {"lr": 0.1, "lr_decay": 0.01, "initial_accumulator_value": 0.1}),
}
each_config = pytest.mark.parametrize("config", CONFIGS)


def make_gs(config, params, **overrides):
    name, options = CONFIGS[config]
    return getattr(optim, name)(params, **{**options, **overrides})


def make_torch(config, params, **overrides):
    name, options = CONFIGS[config]
    return getattr(pytest.importorskip("torch").optim, name)(params, **{**options, **overrides})


def three_groups(params, lr):
    """Parameter groups with different lrs (and one group left at the default)."""
    return [{"params": [params[0]], "lr": 3 * lr}, {"params": [params[1]], "lr": lr / 2},
            {"params": [params[2]]}]


# ------------------------------------------------------------ against torch
@each_config
def test_param_groups_with_different_lrs_match_torch(config):
    lr = CONFIGS[config][1]["lr"]
    _, gs_opt, _ = run_against_torch(lambda ps: make_gs(config, three_groups(ps, lr)),
                                     lambda ps: make_torch(config, three_groups(ps, lr)))
    assert [g["lr"] for g in gs_opt.param_groups] == [3 * lr, lr / 2, lr]


@each_config
def test_parameters_without_grad_are_left_alone(config):
    initial = Twins().gs_params[1].array.copy()  # the twins are deterministic
    twins, gs_opt, _ = run_against_torch(lambda ps: make_gs(config, ps),
                                         lambda ps: make_torch(config, ps), skip=(1,))
    np.testing.assert_array_equal(twins.gs_params[1].array, initial)
    if config != "Adagrad":  # Adagrad creates all of its state up front, as torch does
        assert twins.gs_params[1] not in gs_opt.state


@each_config
def test_float32_stays_float32_and_matches_torch(config):
    _, gs_opt, _ = run_against_torch(lambda ps: make_gs(config, ps),
                                     lambda ps: make_torch(config, ps), dtype=np.float32,
                                     rtol=2e-5, atol=1e-6)
    for state in gs_opt.state.values():
        for key, value in state.items():
            assert key == "step" or value.dtype == np.float32, key


@pytest.mark.parametrize("config", [c for c in CONFIGS if c != "Adagrad"])
def test_add_param_group_mid_run_matches_torch(config):
    # torch's Adagrad creates state only in its constructor, so it cannot take new groups
    twins = Twins()
    lr = CONFIGS[config][1]["lr"]
    gs_opt = make_gs(config, [twins.gs_params[1]])  # the smallest first: the scratch must grow
    torch_opt = make_torch(config, [twins.torch_params[1]])
    for step in range(1, 11):
        if step == 4:
            gs_opt.add_param_group({"params": [twins.gs_params[0], twins.gs_params[2]], "lr": lr})
            torch_opt.add_param_group({"params": [twins.torch_params[0],
                                                  twins.torch_params[2]], "lr": lr})
        twins.backward()
        gs_opt.step()
        torch_opt.step()
        twins.assert_close(context=f"after step {step}")


def test_adagrad_add_param_group_starts_the_new_parameters_fresh():
    twins = Twins()
    late = optim.Adagrad([twins.gs_params[1]], lr=0.1)
    fresh_params = twins.copy_gs_params()
    fresh = optim.Adagrad([fresh_params[0]], lr=0.1)
    late.add_param_group({"params": [twins.gs_params[0]]})
    for _ in range(5):
        twins.gs_backward(twins.gs_params)
        twins.gs_backward(fresh_params, skip=(1, 2))
        late.step()
        fresh.step()
    np.testing.assert_array_equal(twins.gs_params[0].array, fresh_params[0].array)


# ------------------------------------------------------------ state dicts
@each_config
def test_state_dict_round_trip_continues_identically(config):
    twins = Twins()
    lr = CONFIGS[config][1]["lr"]
    original = make_gs(config, three_groups(twins.gs_params, lr))
    for _ in range(7):
        twins.gs_backward(twins.gs_params)
        original.step()
    saved = copy.deepcopy(original.state_dict())
    params = twins.copy_gs_params()
    # different hyper-parameters: loading must restore the saved ones
    restored = make_gs(config, three_groups(params, 10 * lr))
    restored.load_state_dict(saved)
    for _ in range(8):
        twins.gs_backward(twins.gs_params)
        twins.gs_backward(params)
        original.step()
        restored.step()
    for a, b in zip(twins.gs_params, params):
        np.testing.assert_array_equal(a.array, b.array)


@each_config
def test_state_dict_layout_matches_torch(config):
    _, gs_opt, torch_opt = run_against_torch(lambda ps: make_gs(config, ps),
                                             lambda ps: make_torch(config, ps), steps=3)
    ours, theirs = gs_opt.state_dict(), torch_opt.state_dict()
    assert ours["state"].keys() == theirs["state"].keys()
    for k, state in ours["state"].items():
        assert state.keys() == theirs["state"][k].keys()
        for key, value in state.items():
            np.testing.assert_allclose(np.asarray(value), theirs["state"][k][key].numpy(),
                                       rtol=1e-10, err_msg=key)
    for group, reference in zip(ours["param_groups"], theirs["param_groups"]):
        assert group["params"] == reference["params"]
        assert {k: reference[k] for k in group} == group


@pytest.mark.parametrize("convert", [torch_state_to_numpy, lambda state: state],
                         ids=["numpy", "torch-tensors"])
@each_config
def test_torch_state_dict_loads_and_continues_like_torch(config, convert):
    twins, _, torch_opt = run_against_torch(lambda ps: make_gs(config, ps),
                                            lambda ps: make_torch(config, ps), steps=7)
    for g, t in zip(twins.gs_params, twins.torch_params):
        g.array[...] = t.detach().numpy()
    gs_opt = make_gs(config, twins.gs_params, lr=1.0)
    gs_opt.load_state_dict(convert(torch_opt.state_dict()))
    for step in range(8):
        twins.backward()
        gs_opt.step()
        torch_opt.step()
        twins.assert_close(context=f"{step + 1} steps after loading torch's state")


def test_load_state_dict_rejects_a_different_layout():
    a, b, c = (gs.zeros(3, requires_grad=True) for _ in range(3))
    opt = optim.Adam([a, b])
    with pytest.raises(ValueError, match="2 parameter groups, the optimizer has 1"):
        opt.load_state_dict(optim.Adam([{"params": [a]}, {"params": [b]}]).state_dict())
    with pytest.raises(ValueError, match="group 0 has 3 parameters in the state dict, 2 here"):
        opt.load_state_dict(optim.Adam([a, b, c]).state_dict())
    saved = optim.SGD([a, b], momentum=0.9).state_dict()
    saved["state"] = {1: {"momentum_buffer": np.zeros(4)}}
    with pytest.raises(ValueError, match=r"'momentum_buffer' has shape \(4,\) but its parameter "
                                         r"has shape \(3,\)"):
        optim.SGD([a, b], momentum=0.9).load_state_dict(saved)


# ------------------------------------------------------------ the base's contract
def test_zero_grad_sets_none_or_zeros_in_place():
    p = gs.zeros(3, requires_grad=True)
    opt = optim.SGD([p])
    p.grad = gs.ones(3)
    grad = p.grad
    opt.zero_grad(set_to_none=False)
    assert p.grad is grad and not p.grad.array.any()
    opt.zero_grad()
    assert p.grad is None


def test_step_returns_the_closure_loss_computed_with_grad_enabled():
    p = gs.tensor([3.0], dtype="float64", requires_grad=True)
    opt = optim.SGD([p], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with gs.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 9.0
    np.testing.assert_allclose(p.array, [3.0 - 0.1 * 6.0])


def test_replaced_parameter_arrays_get_fresh_scratch():
    p = gs.zeros(4, requires_grad=True)
    opt = optim.SGD([p], lr=0.5)
    p.grad = gs.ones(4)
    opt.step()
    p.array = np.ones((2, 3), dtype=np.float32)  # e.g. a checkpoint loaded with another shape
    p.grad = gs.ones(2, 3)
    opt.step()
    np.testing.assert_array_equal(p.array, np.full((2, 3), 0.5, dtype=np.float32))


def test_repr_lists_each_group():
    opt = optim.SGD([{"params": [gs.zeros(1, requires_grad=True)], "lr": 0.5}], lr=0.1)
    assert "Parameter Group 0" in repr(opt) and "lr: 0.5" in repr(opt)


@pytest.mark.parametrize("params, error, message", [
    ([], ValueError, "empty parameter list"),
    (gs.zeros(2, requires_grad=True), TypeError, r"single Tensor of shape \(2,\)"),
    ([gs.zeros(2, requires_grad=True), np.zeros(2)], TypeError, "parameter 1 is a ndarray"),
    ([gs.zeros(2, requires_grad=True) * 2], ValueError, "non-leaf Tensor .*shape \\(2,\\)"),
    ([{"params": {gs.zeros(2, requires_grad=True)}}], TypeError, "not a set"),
    ([{"params": [gs.zeros(2, requires_grad=True)], "lr": -1.0}], ValueError, "lr=-1.0"),
    (["not a group"], TypeError, "can only optimize Tensors, but parameter 0 is a str"),
])
def test_bad_params_raise(params, error, message):
    with pytest.raises(error, match=message):
        optim.SGD(params)


def test_a_parameter_in_two_groups_raises():
    p, q = gs.zeros(2, requires_grad=True), gs.zeros(5, requires_grad=True)
    with pytest.raises(ValueError, match=r"more than one parameter group: parameter 1 of shape "
                                         r"\(5,\) is already parameter 1 of group 0"):
        optim.Adam([{"params": [p, q]}, {"params": [gs.zeros(1, requires_grad=True), q]}])
    opt = optim.Adam([p])
    with pytest.raises(ValueError, match="parameter 0 of shape \\(2,\\) is already parameter 0"):
        opt.add_param_group({"params": [p]})
    with pytest.raises(ValueError, match="already parameter 0 of this group"):
        optim.Adam([p, p])


# ------------------------------------------------------------ memory
@each_config
def test_steps_allocate_nothing_parameter_sized(config):
    rng = np.random.default_rng(0)
    p = gs.tensor(rng.standard_normal(1 << 17), requires_grad=True)  # 1 MiB of float64
    p.grad = gs.tensor(rng.standard_normal(1 << 17))
    opt = make_gs(config, [p, gs.zeros(3, dtype="float64", requires_grad=True)])
    opt.step()  # the first step creates the state and the scratch arrays
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        for _ in range(3):
            opt.step()
        peak = tracemalloc.get_traced_memory()[1] - start
    finally:
        tracemalloc.stop()
    assert peak < p.array.nbytes // 16, f"a step allocated {peak} bytes"
