import itertools

import numpy as np
import pytest

import gradsheet as gs
from gradsheet import optim
from tests.optim.torch_twin import run_against_torch

GRID = [{"lr": 0.1, "lr_decay": d, "weight_decay": wd, "initial_accumulator_value": s0,
         "eps": eps, "maximize": mx}
        for d, wd, s0, eps, mx in itertools.product([0, 0.1], [0, 0.1], [0, 0.5], [1e-10, 0.1],
                                                    [False, True])]


@pytest.mark.parametrize("options", GRID, ids=lambda o: "-".join(f"{k}={v}" for k, v in o.items()))
def test_adagrad_matches_torch_step_by_step(options):
    run_against_torch(lambda ps: optim.Adagrad(ps, **options),
                      lambda ps: __import__("torch").optim.Adagrad(ps, **options))


def test_adagrad_state_exists_from_construction_like_torch():
    torch = pytest.importorskip("torch")
    p = gs.zeros(3, requires_grad=True)
    state = optim.Adagrad([p], initial_accumulator_value=0.25).state_dict()["state"]
    reference = torch.optim.Adagrad([torch.zeros(3, requires_grad=True)],
                                    initial_accumulator_value=0.25).state_dict()["state"]
    assert state.keys() == reference.keys() and state[0].keys() == reference[0].keys()
    np.testing.assert_array_equal(state[0]["sum"], reference[0]["sum"].numpy())
    assert state[0]["sum"].dtype == np.float32


def test_adagrad_steps_shrink_with_the_accumulated_squares():
    p = gs.tensor([0.0], dtype="float64", requires_grad=True)
    opt = optim.Adagrad([p], lr=1.0, eps=0.0)
    for _ in range(4):
        p.grad = gs.tensor([1.0], dtype="float64")
        opt.step()
    # step t moves by 1 / sqrt(t)
    np.testing.assert_allclose(p.array, [-sum(1 / np.sqrt(t) for t in range(1, 5))], rtol=1e-12)


@pytest.mark.parametrize("kwargs, message", [
    ({"lr": -0.01}, "lr=-0.01"), ({"lr_decay": -0.1}, "lr_decay=-0.1"),
    ({"weight_decay": -0.1}, "weight_decay=-0.1"), ({"eps": -1.0}, "eps=-1.0"),
    ({"initial_accumulator_value": -0.5}, "initial_accumulator_value=-0.5"),
])
def test_adagrad_rejects_bad_hyperparameters(kwargs, message):
    with pytest.raises(ValueError, match=f"Adagrad: invalid {message}"):
        optim.Adagrad([gs.zeros(2, requires_grad=True)], **kwargs)
