import itertools

import numpy as np
import pytest

import gradsheet as gs
from gradsheet import optim
from tests.optim.torch_twin import run_against_torch

GRID = [{"lr": 0.05, "momentum": m, "dampening": d, "nesterov": n, "weight_decay": wd,
         "maximize": mx}
        for m, d, n, wd, mx in itertools.product([0, 0.9], [0, 0.3], [False, True], [0, 0.1],
                                                 [False, True])
        if not n or (m > 0 and d == 0)]


@pytest.mark.parametrize("options", GRID, ids=lambda o: "-".join(f"{k}={v}" for k, v in o.items()))
def test_sgd_matches_torch_step_by_step(options):
    run_against_torch(lambda ps: optim.SGD(ps, **options),
                      lambda ps: __import__("torch").optim.SGD(ps, **options))


def test_sgd_default_lr_and_a_hand_computed_step():
    p = gs.tensor([1.0, -2.0], dtype="float64", requires_grad=True)
    opt = optim.SGD([p])
    assert opt.defaults["lr"] == 1e-3
    p.grad = gs.tensor([2.0, 4.0], dtype="float64")
    opt.param_groups[0]["lr"] = 0.1
    opt.step()
    np.testing.assert_allclose(p.array, [1.0 - 0.1 * 2.0, -2.0 - 0.1 * 4.0])
    assert opt.state_dict()["state"] == {}  # plain SGD keeps no state, as in torch


def test_sgd_momentum_buffer_starts_at_the_first_gradient():
    p = gs.tensor([0.0], dtype="float64", requires_grad=True)
    opt = optim.SGD([p], lr=1.0, momentum=0.5, dampening=0.5)
    for _ in range(2):
        p.grad = gs.tensor([1.0], dtype="float64")
        opt.step()
    # b1 = g = 1 (no dampening on the first step), b2 = 0.5 b1 + 0.5 g = 1
    np.testing.assert_allclose(opt.state[p]["momentum_buffer"], [1.0])
    np.testing.assert_allclose(p.array, [-2.0])


@pytest.mark.parametrize("kwargs, message", [
    ({"lr": -0.1}, "lr=-0.1"),
    ({"momentum": -0.5}, "momentum=-0.5"),
    ({"weight_decay": -1e-4}, "weight_decay=-0.0001"),
    ({"nesterov": True}, "nesterov=True.*momentum > 0"),
    ({"nesterov": True, "momentum": 0.9, "dampening": 0.1}, "nesterov=True.*dampening == 0"),
])
def test_sgd_rejects_bad_hyperparameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        optim.SGD([gs.zeros(2, requires_grad=True)], **kwargs)
