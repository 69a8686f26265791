"""LBFGS (with and without the strong-Wolfe line search) against torch.optim.LBFGS."""
import copy

import numpy as np
import pytest

import gradsheet as gs
from gradsheet import optim
from gradsheet.optim.lbfgs import _cubic_interpolate
from tests.optim.torch_twin import Twins, torch_state_to_numpy

SHAPES = [(3, 5), (5,), (5, 2), (2,)]
rng = np.random.default_rng(0)
X = rng.standard_normal((40, 3))
# targets from a teacher network of the same shape: a well-posed fit whose minimum the
# optimizers approach steadily, so round-off differences between libraries stay round-off
_TEACHER = [rng.standard_normal(s) for s in SHAPES]
Y = np.tanh(X @ _TEACHER[0] + _TEACHER[1]) @ _TEACHER[2] + _TEACHER[3]


class Model:
    """A 3-5-2 tanh network with its MSE loss on fixed data, in gradsheet and torch."""

    def __init__(self, seed=0):
        self.torch = torch = pytest.importorskip("torch")
        init = np.random.default_rng(seed)
        arrays = [init.standard_normal(s) * 0.7 for s in SHAPES]
        self.gs_params = [gs.tensor(a, requires_grad=True) for a in arrays]
        self.torch_params = [torch.tensor(a, requires_grad=True) for a in arrays]
        self.gs_data = gs.tensor(X), gs.tensor(Y)
        self.torch_data = torch.tensor(X), torch.tensor(Y)

    @staticmethod
    def loss(params, data, tanh):
        w1, b1, w2, b2 = params
        x, y = data
        err = tanh(x @ w1 + b1) @ w2 + b2 - y
        return (err * err).mean()

    def closures(self, gs_params=None):
        gs_params = self.gs_params if gs_params is None else gs_params

        def ours():
            for p in gs_params:
                p.grad = None
            loss = self.loss(gs_params, self.gs_data, gs.tanh)
            loss.backward()
            return loss

        def theirs():
            for p in self.torch_params:
                p.grad = None
            loss = self.loss(self.torch_params, self.torch_data, self.torch.tanh)
            loss.backward()
            return loss

        return ours, theirs

    def copy_gs_params(self):
        return [gs.tensor(p.array.copy(), requires_grad=True) for p in self.gs_params]


class TwinModel(Twins):
    """The optimizer tests' separable loss, as closures."""

    def closures(self, gs_params=None):
        gs_params = self.gs_params if gs_params is None else gs_params

        def ours():
            for p in gs_params:
                p.grad = None
            loss = self._loss(gs_params, self._gs_consts, ())
            loss.backward()
            return loss

        def theirs():
            for p in self.torch_params:
                p.grad = None
            loss = self._loss(self.torch_params, self._torch_consts, ())
            loss.backward()
            return loss

        return ours, theirs


class Rosenbrock(Model):
    """f(x, y) = (1 - x)² + 100 (y - x²)², from (-1.5, 2): the line search's hard case."""

    def __init__(self, start=(-1.5, 2.0)):
        self.torch = torch = pytest.importorskip("torch")
        self.gs_params = [gs.tensor(np.array(start), requires_grad=True)]
        self.torch_params = [torch.tensor(np.array(start), requires_grad=True)]
        self.gs_data = self.torch_data = None

    @staticmethod
    def loss(params, data, tanh):
        x, y = params[0][0], params[0][1]
        return (1 - x) ** 2 + 100 * (y - x * x) ** 2


CONFIGS = {
    "mlp-default": (Model, {"max_iter": 3}),
    "mlp-strong-wolfe": (Model, {"max_iter": 2, "line_search_fn": "strong_wolfe"}),
    "mlp-short-history": (Model, {"max_iter": 2, "history_size": 2}),
    "mlp-wolfe-short-history-lr": (Model, {"lr": 0.5, "max_iter": 2, "history_size": 3,
                                           "line_search_fn": "strong_wolfe"}),
    "mlp-few-evals": (Model, {"max_iter": 10, "max_eval": 3, "line_search_fn": "strong_wolfe"}),
    "mlp-one-iteration": (Model, {"max_iter": 1, "lr": 0.3}),
    "rosenbrock-strong-wolfe": (Rosenbrock, {"max_iter": 3, "line_search_fn": "strong_wolfe"}),
    # overshoots: the zoom phase, its insufficient-progress rule and the bracket swap
    "rosenbrock-wolfe-large-lr": (Rosenbrock, {"lr": 3.0, "max_iter": 3,
                                               "line_search_fn": "strong_wolfe"}),
    # converges to round-off: the tolerance stops
    "rosenbrock-converges": (lambda: Rosenbrock((2.0, 2.0)),
                             {"lr": 2.0, "line_search_fn": "strong_wolfe"}),
    "rosenbrock-converges-plain": (lambda: Rosenbrock((2.0, 2.0)), {"lr": 0.5}),
    "rosenbrock-small-lr": (Rosenbrock, {"lr": 0.02, "max_iter": 5, "history_size": 3}),
    "twins-default": (TwinModel, {"max_iter": 2}),
    "twins-strong-wolfe": (TwinModel, {"max_iter": 2, "line_search_fn": "strong_wolfe"}),
    "twins-converges": (TwinModel, {"line_search_fn": "strong_wolfe", "tolerance_grad": 1e-5}),
}


def run(config, steps=20):
    kind, options = CONFIGS[config]
    model = kind()
    torch = model.torch
    ours = optim.LBFGS(model.gs_params, **options)
    theirs = torch.optim.LBFGS(model.torch_params, **options)
    ours_closure, theirs_closure = model.closures()
    losses = []
    for step in range(1, steps + 1):
        a, b = ours.step(ours_closure), theirs.step(theirs_closure)
        losses.append(float(a))
        np.testing.assert_allclose(float(a), float(b.detach()), rtol=1e-10, atol=1e-14,
                                   err_msg=f"loss, step {step}")
        for i, (p, q) in enumerate(zip(model.gs_params, model.torch_params)):
            np.testing.assert_allclose(p.array, q.detach().numpy(), rtol=1e-10, atol=1e-12,
                                       err_msg=f"parameter {i} after step {step}")
        state, reference = ours.state[model.gs_params[0]], theirs.state[model.torch_params[0]]
        assert (state["func_evals"], state["n_iter"]) == \
            (reference["func_evals"], reference["n_iter"]), f"step {step}"
    return model, ours, theirs, losses


@pytest.mark.parametrize("config", CONFIGS)
def test_lbfgs_matches_torch_step_by_step(config):
    _, _, _, losses = run(config)
    assert losses[-1] < 0.5 * losses[0], "LBFGS should make progress"


@pytest.mark.parametrize("config", ["mlp-strong-wolfe", "mlp-wolfe-short-history-lr",
                                    "mlp-default"])
def test_state_layout_matches_torch(config):
    model, ours, theirs, _ = run(config, steps=6)
    ours, theirs = ours.state_dict(), theirs.state_dict()
    assert ours["param_groups"] == theirs["param_groups"]
    assert ours["state"].keys() == theirs["state"].keys() == {0}
    state, reference = ours["state"][0], theirs["state"][0]
    assert state.keys() == reference.keys()
    for key, value in state.items():
        expected = reference[key]
        if isinstance(expected, list):
            assert len(value) == len(expected), key
            pairs = [(v, e) for v, e in zip(value, expected) if e is not None]
            assert all(v is not None for v, _ in pairs), key
        else:
            pairs = [(value, expected)]
        for v, e in pairs:
            np.testing.assert_allclose(np.asarray(v, dtype=float),
                                       np.asarray(e.detach() if hasattr(e, "detach") else e,
                                                  dtype=float), rtol=1e-9, err_msg=key)


@pytest.mark.parametrize("config", ["mlp-strong-wolfe", "mlp-short-history", "mlp-default"])
def test_state_dict_round_trip_continues_identically(config):
    kind, options = CONFIGS[config]
    model = kind()
    original = optim.LBFGS(model.gs_params, **options)
    closure, _ = model.closures()
    for _ in range(10):
        original.step(closure)
    saved = copy.deepcopy(original.state_dict())
    params = model.copy_gs_params()
    restored = optim.LBFGS(params, **{**options, "lr": 7.0})  # loading restores lr too
    restored.load_state_dict(saved)
    restored_closure, _ = model.closures(params)
    for _ in range(10):
        original.step(closure)
        restored.step(restored_closure)
    for a, b in zip(model.gs_params, params):
        np.testing.assert_array_equal(a.array, b.array)


@pytest.mark.parametrize("convert", [torch_state_to_numpy, lambda state: state],
                         ids=["numpy", "torch-tensors"])
@pytest.mark.parametrize("config", ["mlp-strong-wolfe", "mlp-short-history"])
def test_torch_state_dict_loads_and_continues_like_torch(config, convert):
    model, _, theirs, _ = run(config, steps=10)
    state = theirs.state_dict()
    if convert is torch_state_to_numpy:  # lists of tensors too
        state = copy.deepcopy(state)
        for key, value in state["state"][0].items():
            if isinstance(value, list):
                state["state"][0][key] = [v if v is None else v.numpy() for v in value]
        state = convert(state)
    ours = optim.LBFGS(model.gs_params)
    ours.load_state_dict(state)
    ours_closure, theirs_closure = model.closures()
    for step in range(10):
        np.testing.assert_allclose(float(ours.step(ours_closure)),
                                   float(theirs.step(theirs_closure).detach()), rtol=1e-10)
        for p, q in zip(model.gs_params, model.torch_params):
            np.testing.assert_allclose(p.array, q.detach().numpy(), rtol=1e-10, atol=1e-12,
                                       err_msg=f"{step + 1} steps after loading torch's state")


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_a_quadratic_is_solved_at_the_second_iteration(line_search_fn):
    # L = ½ Σ θ²: the first iteration steps t = min(1, 1 / Σ|g|) = 1/7 along d = -g (the
    # line search accepts it: both Wolfe conditions hold); then y = s gives H₀ = yᵀs / yᵀy = 1,
    # the exact inverse Hessian, and t = 1 lands on θ = 0
    p = gs.tensor([3.0, -4.0], dtype="float64", requires_grad=True)
    opt = optim.LBFGS([p], max_iter=2, max_eval=10, line_search_fn=line_search_fn)

    def closure():
        p.grad = None
        loss = (p * p).sum() * 0.5
        loss.backward()
        return loss

    assert float(opt.step(closure)) == 12.5
    np.testing.assert_allclose(p.array, [0.0, 0.0], atol=1e-12)
    assert opt.state[p]["H_diag"] == pytest.approx(1.0, rel=1e-14)


@pytest.mark.parametrize("x1, f1, g1, x2, f2, g2, bounds", [
    (0.0, 1.0, -2.0, 1.0, 0.5, 1.0, None),
    (1.0, 0.5, 1.0, 0.0, 1.0, -2.0, None),
    (0.0, 0.0, -1.0, 2.0, -1.0, -0.5, (2.02, 20.0)),
    (0.0, 1.0, 1.0, 1.0, 0.0, 1.0, None),  # no real minimiser: the middle
])
def test_cubic_interpolate_matches_torch(x1, f1, g1, x2, f2, g2, bounds):
    from torch.optim.lbfgs import _cubic_interpolate as reference
    torch = pytest.importorskip("torch")
    as_tensor = [torch.tensor(v, dtype=torch.float64) for v in (f1, g1, f2, g2)]
    expected = float(reference(x1, as_tensor[0], as_tensor[1], x2, as_tensor[2], as_tensor[3],
                               bounds=bounds))
    assert _cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds) == pytest.approx(expected,
                                                                               rel=1e-14)


def test_lbfgs_stops_at_once_when_the_gradient_is_zero():
    p = gs.tensor([0.0], dtype="float64", requires_grad=True)
    opt = optim.LBFGS([p])
    calls = []

    def closure():
        calls.append(1)
        p.grad = None
        loss = (p * p).sum()
        loss.backward()
        return loss

    opt.step(closure)
    assert len(calls) == 1 and p.array[0] == 0.0


def test_lbfgs_rejects_bad_arguments():
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError) as theirs:
        torch.optim.LBFGS([torch.zeros(1, requires_grad=True)], lr=-1)
    with pytest.raises(ValueError, match="LBFGS: " + str(theirs.value)):
        optim.LBFGS([gs.zeros(1, requires_grad=True)], lr=-1)
    with pytest.raises(ValueError, match="LBFGS doesn't support per-parameter options"):
        optim.LBFGS([{"params": [gs.zeros(1, requires_grad=True)]},
                     {"params": [gs.zeros(1, requires_grad=True)]}])
    opt = optim.LBFGS([gs.zeros(1, requires_grad=True)], line_search_fn="armijo")

    def closure():
        loss = (opt.param_groups[0]["params"][0] - 1).sum()
        loss.backward()
        return loss

    with pytest.raises(RuntimeError, match="line_search_fn='armijo'; only 'strong_wolfe'"):
        opt.step(closure)
    with pytest.raises(TypeError, match="closure"):
        opt.step(None)
    with pytest.raises(TypeError, match="a closure that re-evaluates the loss is required"):
        opt.step()  # closure defaults to None (the base's signature), named in the error


def test_max_eval_defaults_to_five_quarters_of_max_iter():
    assert optim.LBFGS([gs.zeros(1, requires_grad=True)], max_iter=9).defaults["max_eval"] == 11
