import itertools

import numpy as np
import pytest

import gradsheet as gs
from gradsheet import optim
from tests.optim.torch_twin import run_against_torch

GRID = [{"lr": 0.01, "alpha": a, "centered": c, "momentum": m, "weight_decay": wd, "maximize": mx}
        for a, c, m, wd, mx in itertools.product([0.99, 0.7], [False, True], [0, 0.5], [0, 0.1],
                                                 [False, True])]


@pytest.mark.parametrize("options", GRID, ids=lambda o: "-".join(f"{k}={v}" for k, v in o.items()))
def test_rmsprop_matches_torch_step_by_step(options):
    run_against_torch(lambda ps: optim.RMSprop(ps, **options),
                      lambda ps: __import__("torch").optim.RMSprop(ps, **options))


def test_rmsprop_first_step_by_hand():
    # v = (1 - α) g², so θ moves by lr · g / (sqrt(1 - α) |g| + eps)
    p = gs.tensor([0.0, 0.0], dtype="float64", requires_grad=True)
    p.grad = gs.tensor([2.0, -1.0], dtype="float64")
    optim.RMSprop([p], lr=0.1, alpha=0.75, eps=0.0).step()
    np.testing.assert_allclose(p.array, [-0.1 / 0.5, 0.1 / 0.5], rtol=1e-12)


@pytest.mark.parametrize("kwargs, message", [
    ({"lr": -0.01}, "lr=-0.01"), ({"eps": -1e-8}, "eps=-1e-08"),
    ({"momentum": -0.1}, "momentum=-0.1"), ({"weight_decay": -0.1}, "weight_decay=-0.1"),
    ({"alpha": -0.5}, "alpha=-0.5"),
])
def test_rmsprop_rejects_bad_hyperparameters(kwargs, message):
    with pytest.raises(ValueError, match=f"RMSprop: invalid {message}"):
        optim.RMSprop([gs.zeros(2, requires_grad=True)], **kwargs)
