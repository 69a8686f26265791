"""Adadelta, Adamax, NAdam, RAdam, ASGD and Rprop against torch.optim, step by step."""
import copy
import inspect

import numpy as np
import pytest

import gradsheet as gs
from gradsheet import optim
from tests.optim.torch_twin import Twins, run_against_torch, torch_state_to_numpy

NAMES = ["Adadelta", "Adamax", "NAdam", "RAdam", "ASGD", "Rprop"]

# each optimizer's variants: its own hyper-parameters, weight decay (where it has one), maximize
GRID = {
    "Adadelta": [{}, {"lr": 0.5, "rho": 0.5, "eps": 1e-4}, {"weight_decay": 0.1},
                 {"maximize": True}, {"rho": 0.95, "weight_decay": 0.05, "maximize": True}],
    "Adamax": [{"lr": 0.05}, {"lr": 0.05, "betas": (0.5, 0.8), "eps": 1e-3},
               {"lr": 0.05, "weight_decay": 0.1}, {"lr": 0.05, "maximize": True},
               {"lr": 0.02, "betas": (0.6, 0.9), "weight_decay": 0.1, "maximize": True}],
    "NAdam": [{"lr": 0.05}, {"lr": 0.05, "betas": (0.5, 0.8), "momentum_decay": 0.1},
              {"lr": 0.05, "weight_decay": 0.1},
              {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True},
              {"lr": 0.05, "maximize": True},
              {"lr": 0.03, "weight_decay": 0.2, "decoupled_weight_decay": True, "maximize": True}],
    "RAdam": [{"lr": 0.05}, {"lr": 0.05, "betas": (0.5, 0.8)}, {"lr": 0.05, "betas": (0.9, 0.5)},
              {"lr": 0.05, "weight_decay": 0.1},
              {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True},
              {"lr": 0.05, "betas": (0.8, 0.7), "maximize": True},
              {"lr": 0.05, "betas": (0.8, 0.7), "weight_decay": 0.1,
               "decoupled_weight_decay": True, "maximize": True}],
    "ASGD": [{"lr": 0.05}, {"lr": 0.05, "t0": 5}, {"lr": 0.1, "lambd": 0.1, "alpha": 0.5, "t0": 3},
             {"lr": 0.05, "weight_decay": 0.1, "t0": 4}, {"lr": 0.05, "maximize": True, "t0": 2},
             {"lr": 0.02, "lambd": 0.01, "weight_decay": 0.1, "maximize": True, "t0": 8}],
    "Rprop": [{}, {"lr": 0.1}, {"lr": 0.05, "etas": (0.3, 1.5)},
              {"lr": 0.1, "step_sizes": (1e-3, 0.2)}, {"lr": 0.05, "maximize": True},
              {"lr": 0.2, "etas": (0.6, 1.1), "step_sizes": (0.01, 0.5), "maximize": True}],
}
CASES = [(name, options) for name in NAMES for options in GRID[name]]
# one configuration per optimizer that exercises all of its state
FULL = {"Adadelta": {"weight_decay": 0.1}, "Adamax": {"lr": 0.05, "weight_decay": 0.1},
        "NAdam": {"lr": 0.05, "weight_decay": 0.1}, "RAdam": {"lr": 0.05, "betas": (0.8, 0.7)},
        "ASGD": {"lr": 0.05, "t0": 4}, "Rprop": {"lr": 0.1}}


def _id(case):
    name, options = case
    return "-".join([name] + [f"{k}={v}" for k, v in options.items()])


def torch_optim():
    return pytest.importorskip("torch").optim


def make(module, name, params, options):
    return getattr(module, name)(params, **options)


@pytest.mark.parametrize("name", NAMES + ["LBFGS"])
def test_signature_is_torchs(name):
    ours = inspect.signature(getattr(optim, name))
    theirs = inspect.signature(getattr(torch_optim(), name))
    assert [(p.name, p.kind, p.default) for p in ours.parameters.values()] == \
        [(p.name, p.kind, p.default) for p in theirs.parameters.values()]


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_matches_torch_step_by_step(case):
    name, options = case
    run_against_torch(lambda ps: make(optim, name, ps, options),
                      lambda ps: make(torch_optim(), name, ps, options))


@pytest.mark.parametrize("name", NAMES)
def test_float64_default_dtype_matches_torch(name):
    # the 0-d state (NAdam's μ product, ASGD's η and μ) is float64 then, in torch and here
    torch = pytest.importorskip("torch")
    old_gs, old_torch = gs.get_default_dtype(), torch.get_default_dtype()
    gs.set_default_dtype("float64")
    torch.set_default_dtype(torch.float64)
    try:
        _, ours, theirs = run_against_torch(lambda ps: make(optim, name, ps, FULL[name]),
                                            lambda ps: make(torch.optim, name, ps, FULL[name]))
    finally:
        gs.set_default_dtype(old_gs)
        torch.set_default_dtype(old_torch)
    for k, state in ours.state_dict()["state"].items():
        for key, value in state.items():
            assert np.asarray(value).dtype == theirs.state_dict()["state"][k][key].numpy().dtype \
                or key == "step", key


@pytest.mark.parametrize("name", NAMES)
def test_float32_stays_float32_and_matches_torch(name):
    _, opt, _ = run_against_torch(lambda ps: make(optim, name, ps, FULL[name]),
                                  lambda ps: make(torch_optim(), name, ps, FULL[name]),
                                  dtype=np.float32, rtol=2e-5, atol=1e-6)
    for state in opt.state.values():
        for key, value in state.items():
            assert key == "step" or np.asarray(value).dtype == np.float32, key


@pytest.mark.parametrize("name", NAMES)
def test_param_groups_and_parameters_without_grad_match_torch(name):
    def groups(params):
        return [{"params": [params[0]], "lr": 0.02}, {"params": params[1:]}]
    initial = Twins().gs_params[2].array.copy()
    twins, opt, _ = run_against_torch(lambda ps: make(optim, name, groups(ps), FULL[name]),
                                      lambda ps: make(torch_optim(), name, groups(ps), FULL[name]),
                                      skip=(2,))
    np.testing.assert_array_equal(twins.gs_params[2].array, initial)
    assert twins.gs_params[2] not in opt.state


@pytest.mark.parametrize("name", NAMES)
def test_state_dict_round_trip_continues_identically(name):
    twins = Twins()
    options = FULL[name]
    original = make(optim, name, twins.gs_params, options)
    for _ in range(10):
        twins.gs_backward(twins.gs_params)
        original.step()
    saved = copy.deepcopy(original.state_dict())
    params = twins.copy_gs_params()
    restored = make(optim, name, params, {**options, "lr": 3.0})  # loading restores lr too
    restored.load_state_dict(saved)
    for _ in range(10):
        twins.gs_backward(twins.gs_params)
        twins.gs_backward(params)
        original.step()
        restored.step()
    for a, b in zip(twins.gs_params, params):
        np.testing.assert_array_equal(a.array, b.array)


@pytest.mark.parametrize("name", NAMES)
def test_state_dict_layout_matches_torch(name):
    _, ours, theirs = run_against_torch(lambda ps: make(optim, name, ps, FULL[name]),
                                        lambda ps: make(torch_optim(), name, ps, FULL[name]),
                                        steps=8)
    ours, theirs = ours.state_dict(), theirs.state_dict()
    assert ours["state"].keys() == theirs["state"].keys()
    for k, state in ours["state"].items():
        assert state.keys() == theirs["state"][k].keys()
        for key, value in state.items():
            np.testing.assert_allclose(np.asarray(value, dtype=float),
                                       theirs["state"][k][key].numpy(), rtol=1e-10, err_msg=key)
    for group, reference in zip(ours["param_groups"], theirs["param_groups"]):
        assert group == reference


@pytest.mark.parametrize("convert", [torch_state_to_numpy, lambda state: state],
                         ids=["numpy", "torch-tensors"])
@pytest.mark.parametrize("name", NAMES)
def test_torch_state_dict_loads_and_continues_like_torch(name, convert):
    twins, _, theirs = run_against_torch(lambda ps: make(optim, name, ps, FULL[name]),
                                         lambda ps: make(torch_optim(), name, ps, FULL[name]),
                                         steps=10)
    for g, t in zip(twins.gs_params, twins.torch_params):
        g.array[...] = t.detach().numpy()
    ours = make(optim, name, twins.gs_params, {"lr": 1.0})
    ours.load_state_dict(convert(theirs.state_dict()))
    for step in range(10):
        twins.backward()
        ours.step()
        theirs.step()
        twins.assert_close(context=f"{step + 1} steps after loading torch's state")


def test_adamax_first_step_by_hand():
    # m = (1 - β1) g and u = |g| + ε, so θ moves by lr g / (|g| + ε)
    p = gs.tensor([1.0, 1.0], dtype="float64", requires_grad=True)
    p.grad = gs.tensor([4.0, -0.25], dtype="float64")
    optim.Adamax([p], lr=0.1, eps=1e-8).step()
    g = np.array([4.0, -0.25])
    np.testing.assert_allclose(p.array, 1.0 - 0.1 * g / (np.abs(g) + 1e-8), rtol=1e-12)


def test_rprop_grows_holds_and_shrinks_step_sizes_by_sign():
    p = gs.tensor([0.0, 0.0, 0.0], dtype="float64", requires_grad=True)
    opt = optim.Rprop([p], lr=0.1, etas=(0.5, 2.0))
    for grad in ([1.0, 1.0, 1.0], [1.0, -1.0, 0.0], [1.0, 1.0, 1.0]):
        p.grad = gs.tensor(grad, dtype="float64")
        opt.step()
    # coordinate 0: same sign → 0.1, 0.2, 0.4; 1: flip (skipped, size 0.05) then 0.05;
    # 2: zero grad (no move, size kept) then 0.1
    np.testing.assert_allclose(opt.state[p]["step_size"], [0.4, 0.05, 0.1], rtol=1e-15)
    np.testing.assert_allclose(p.array, [-0.7, -0.15, -0.2], rtol=1e-14)


def test_asgd_averages_after_t0():
    p = gs.tensor([1.0], dtype="float64", requires_grad=True)
    opt = optim.ASGD([p], lr=0.125, lambd=0.0, t0=2)
    seen = []
    for _ in range(6):
        p.grad = gs.tensor([1.0], dtype="float64")
        opt.step()
        seen.append(p.array[0])
    # step t uses μ = 1 / max(1, t - 1 - t0): 1 up to step t0 + 2 = 4, then 1/2, 1/3, so ax is
    # the mean of the iterates from step 4 on (μ = 1/3 is a float32, as in torch)
    np.testing.assert_allclose(opt.state[p]["ax"], [np.mean(seen[3:])], rtol=1e-7)


BAD = [
    ("Adadelta", {"lr": -1}), ("Adadelta", {"rho": 1.5}), ("Adadelta", {"eps": -1e-3}),
    ("Adadelta", {"weight_decay": -0.1}),
    ("Adamax", {"lr": -0.5}), ("Adamax", {"eps": -1.0}), ("Adamax", {"betas": (1.0, 0.9)}),
    ("Adamax", {"betas": (0.9, -0.1)}), ("Adamax", {"weight_decay": -1}),
    ("NAdam", {"lr": -1e-3}), ("NAdam", {"betas": (-0.1, 0.9)}), ("NAdam", {"eps": -1e-8}),
    ("NAdam", {"betas": (0.9, 1.0)}), ("NAdam", {"weight_decay": -0.5}),
    ("NAdam", {"momentum_decay": -0.004}),
    ("RAdam", {"lr": -2}), ("RAdam", {"betas": (1.5, 0.9)}), ("RAdam", {"betas": (0.9, 2.0)}),
    ("RAdam", {"eps": -0.1}), ("RAdam", {"weight_decay": -0.2}),
    ("ASGD", {"lr": -0.01}), ("ASGD", {"weight_decay": -3}),
    ("Rprop", {"lr": -0.1}), ("Rprop", {"etas": (1.5, 1.2)}), ("Rprop", {"etas": (0.5, 0.9)}),
    ("Rprop", {"etas": (0.0, 1.2)}),
]


@pytest.mark.parametrize("name, kwargs", BAD, ids=[f"{n}-{k}" for n, k in BAD])
def test_bad_hyperparameters_raise_torchs_message(name, kwargs):
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError) as theirs:
        getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], **kwargs)
    message = str(theirs.value)
    with pytest.raises(ValueError, match=f"^{name}: " + __import__("re").escape(message)):
        getattr(optim, name)([gs.zeros(2, requires_grad=True)], **kwargs)


@pytest.mark.parametrize("name", NAMES)
def test_group_hyperparameters_are_checked_too(name):
    with pytest.raises(ValueError, match=f"{name}: Invalid learning rate: -0.5"):
        getattr(optim, name)([{"params": [gs.zeros(2, requires_grad=True)], "lr": -0.5}])


@pytest.mark.parametrize("name", NAMES)
def test_differentiable_is_not_supported(name):
    with pytest.raises(NotImplementedError, match=f"{name}: differentiable=True"):
        getattr(optim, name)([gs.zeros(2, requires_grad=True)], differentiable=True)


@pytest.mark.parametrize("name", ["Adam", "AdamW", "Adamax", "NAdam", "RAdam"])
@pytest.mark.parametrize("betas, shown", [(None, "NoneType None"), (0.9, "float 0.9"),
                                          ("ab", "str 'ab'"), ((0.9,), r"tuple \(0.9,\)")])
def test_betas_that_are_not_a_pair_are_named(name, betas, shown):
    """torch: "'NoneType' object is not subscriptable" / "tuple index out of range"; here a
    TypeError names the optimizer, betas and what it got."""
    torch = pytest.importorskip("torch")
    with pytest.raises((TypeError, IndexError)):
        getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], betas=betas)
    with pytest.raises(TypeError, match=f"^{name}: betas must be a pair of numbers, got {shown}$"):
        getattr(optim, name)([gs.zeros(2, requires_grad=True)], betas=betas)


@pytest.mark.parametrize("name", ["Adam", "AdamW", "Adamax", "NAdam", "RAdam"])
def test_betas_given_as_a_list_are_kept_as_a_tuple(name):
    opt = getattr(optim, name)([gs.zeros(2, requires_grad=True)], betas=[0.8, 0.9])
    assert opt.defaults["betas"] == (0.8, 0.9)
