import itertools

import numpy as np
import pytest

import gradsheet as gs
from gradsheet import optim
from tests.optim.torch_twin import run_against_torch

GRID = [{"lr": 0.05, "betas": b, "weight_decay": wd, "amsgrad": a, "maximize": mx}
        for b, wd, a, mx in itertools.product([(0.9, 0.999), (0.5, 0.8)], [0, 0.1],
                                              [False, True], [False, True])]


def _ids(options):
    return "-".join(f"{k}={v}" for k, v in options.items())


@pytest.mark.parametrize("name", ["Adam", "AdamW"])
@pytest.mark.parametrize("options", GRID, ids=_ids)
def test_adam_matches_torch_step_by_step(name, options):
    run_against_torch(lambda ps: getattr(optim, name)(ps, **options),
                      lambda ps: getattr(__import__("torch").optim, name)(ps, **options))


@pytest.mark.parametrize("options", [{"weight_decay": 0.01},
                                     {"weight_decay": 0.1, "amsgrad": True}], ids=_ids)
def test_adam_decoupled_weight_decay_is_adamw(options):
    torch = __import__("pytest").importorskip("torch")
    run_against_torch(lambda ps: optim.Adam(ps, lr=0.05, decoupled_weight_decay=True, **options),
                      lambda ps: torch.optim.AdamW(ps, lr=0.05, **options))


def test_adamw_defaults_follow_torch():
    opt = optim.AdamW([gs.zeros(1, requires_grad=True)])
    expected = {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 1e-2,
                "amsgrad": False, "maximize": False, "decoupled_weight_decay": True}
    assert {k: opt.defaults[k] for k in expected} == expected
    assert optim.Adam([gs.zeros(1, requires_grad=True)]).defaults["weight_decay"] == 0


def test_adam_first_step_moves_by_lr_times_sign():
    # at t = 1: m̂ = g, v̂ = g², so the step is lr · g / (|g| + eps)
    p = gs.tensor([1.0, 1.0, 1.0], dtype="float64", requires_grad=True)
    p.grad = gs.tensor([3.0, -0.5, 1e-3], dtype="float64")
    optim.Adam([p], lr=0.1, eps=1e-8).step()
    g = np.array([3.0, -0.5, 1e-3])
    np.testing.assert_allclose(p.array, 1.0 - 0.1 * g / (np.abs(g) + 1e-8), rtol=1e-12)


def test_adamw_loads_an_adam_state_dict_and_still_decouples():
    p, q = (gs.tensor([1.0], dtype="float64", requires_grad=True) for _ in range(2))
    adamw = optim.AdamW([q], weight_decay=0.5)
    adamw.load_state_dict(optim.Adam([p], weight_decay=0.5).state_dict())
    assert adamw.param_groups[0]["decoupled_weight_decay"] is True


@pytest.mark.parametrize("kwargs, message", [
    ({"lr": -1e-3}, "lr=-0.001"),
    ({"eps": -1.0}, "eps=-1.0"),
    ({"betas": (1.0, 0.999)}, r"betas=\(1.0, 0.999\).*betas\[0\]"),
    ({"betas": (0.9, -0.1)}, r"betas=\(0.9, -0.1\).*betas\[1\]"),
    ({"weight_decay": -0.1}, "weight_decay=-0.1"),
])
@pytest.mark.parametrize("name", ["Adam", "AdamW"])
def test_adam_rejects_bad_hyperparameters(name, kwargs, message):
    with pytest.raises(ValueError, match=f"{name}: invalid {message}"):
        getattr(optim, name)([gs.zeros(2, requires_grad=True)], **kwargs)
