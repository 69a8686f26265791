"""MultiplicativeLR, ConstantLR, PolynomialLR, ChainedScheduler, CosineAnnealingWarmRestarts,
CyclicLR and OneCycleLR (and the older MultiStepLR, LinearLR, SequentialLR, LambdaLR) against
torch.optim.lr_scheduler for 50 steps: lrs, momentum, get_last_lr, state dicts."""
import copy
import inspect
import warnings

import numpy as np
import pytest

import gradsheet as gs
from gradsheet import optim
from gradsheet.optim import lr_scheduler

LRS = (0.1, 0.02)  # two parameter groups with different initial lrs
STEPS = 50


class Scale:
    """A callable object (its state is saved in state dicts, unlike a plain function's)."""

    def __init__(self, base):
        self.base = base

    def __call__(self, x):
        return self.base ** x


# each builds a scheduler from a scheduler module (gradsheet's or torch's) and an optimizer
SCHEDULERS = {
    "MultiStepLR": lambda m, o: m.MultiStepLR(o, milestones=[5, 12, 12, 30], gamma=0.5),
    "LinearLR": lambda m, o: m.LinearLR(o, start_factor=0.1, end_factor=0.9, total_iters=20),
    "LambdaLR": lambda m, o: m.LambdaLR(o, lambda t: 1 / (1 + 0.1 * t)),
    "MultiplicativeLR": lambda m, o: m.MultiplicativeLR(o, lambda t: 0.97),
    "MultiplicativeLR-per-group": lambda m, o: m.MultiplicativeLR(
        o, [lambda t: 0.9 if t % 4 == 0 else 1.0, lambda t: 1 + 0.01 * t]),
    "ConstantLR": lambda m, o: m.ConstantLR(o, factor=0.25, total_iters=7),
    "ConstantLR-default": lambda m, o: m.ConstantLR(o),
    "PolynomialLR": lambda m, o: m.PolynomialLR(o, total_iters=40),
    "PolynomialLR-square": lambda m, o: m.PolynomialLR(o, total_iters=30, power=2.0),
    "PolynomialLR-sqrt": lambda m, o: m.PolynomialLR(o, total_iters=45, power=0.5),
    "ChainedScheduler": lambda m, o: m.ChainedScheduler(
        [m.ConstantLR(o, factor=0.1, total_iters=4), m.ExponentialLR(o, gamma=0.95)]),
    "ChainedScheduler-three": lambda m, o: m.ChainedScheduler(
        [m.LinearLR(o, 0.2, total_iters=10), m.StepLR(o, 7, 0.5), m.PolynomialLR(o, 60, 1.5)],
        optimizer=o),
    "CosineAnnealingWarmRestarts": lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=7),
    "CosineAnnealingWarmRestarts-T_mult": lambda m, o: m.CosineAnnealingWarmRestarts(
        o, T_0=3, T_mult=2, eta_min=0.001),
    "CosineAnnealingWarmRestarts-T_mult3": lambda m, o: m.CosineAnnealingWarmRestarts(
        o, T_0=2, T_mult=3, eta_min=0.005),
    "CyclicLR-triangular": lambda m, o: m.CyclicLR(o, 0.01, 0.1, step_size_up=6),
    "CyclicLR-triangular2": lambda m, o: m.CyclicLR(o, [0.01, 0.002], [0.1, 0.05], step_size_up=4,
                                                    step_size_down=7, mode="triangular2"),
    "CyclicLR-exp_range": lambda m, o: m.CyclicLR(o, 0.01, 0.1, step_size_up=5, mode="exp_range",
                                                  gamma=0.97, base_momentum=0.7,
                                                  max_momentum=0.95),
    "CyclicLR-scale_fn-cycle": lambda m, o: m.CyclicLR(o, 0.01, 0.1, step_size_up=3,
                                                       scale_fn=Scale(0.8)),
    "CyclicLR-scale_fn-iterations": lambda m, o: m.CyclicLR(
        o, 0.01, 0.1, step_size_up=3, step_size_down=2, scale_fn=Scale(0.99),
        scale_mode="iterations", base_momentum=[0.8, 0.7], max_momentum=[0.9, 0.95]),
    "CyclicLR-no-momentum": lambda m, o: m.CyclicLR(o, 0.01, 0.1, step_size_up=4,
                                                    cycle_momentum=False),
    "OneCycleLR-cos": lambda m, o: m.OneCycleLR(o, max_lr=1.0, total_steps=STEPS),
    "OneCycleLR-linear": lambda m, o: m.OneCycleLR(o, max_lr=[1.0, 0.5], total_steps=60,
                                                   anneal_strategy="linear", pct_start=0.2),
    "OneCycleLR-three-phase": lambda m, o: m.OneCycleLR(o, max_lr=0.5, epochs=10,
                                                        steps_per_epoch=5, three_phase=True,
                                                        div_factor=10.0, final_div_factor=100.0),
    "OneCycleLR-three-phase-linear": lambda m, o: m.OneCycleLR(
        o, max_lr=0.5, total_steps=55, three_phase=True, anneal_strategy="linear",
        pct_start=0.4, base_momentum=[0.8, 0.7], max_momentum=0.9),
    "OneCycleLR-no-momentum": lambda m, o: m.OneCycleLR(o, max_lr=0.3, total_steps=STEPS,
                                                        cycle_momentum=False),
    "SequentialLR-new": lambda m, o: m.SequentialLR(
        o, [m.ConstantLR(o, 0.5, total_iters=3), m.PolynomialLR(o, 10, 2.0),
            m.CosineAnnealingWarmRestarts(o, 6, 2)], milestones=[8, 20]),
    "SequentialLR-warmup-multiplicative": lambda m, o: m.SequentialLR(
        o, [m.LinearLR(o, 0.1, total_iters=5), m.MultiplicativeLR(o, lambda t: 0.93)],
        milestones=[5]),
}
# plain functions in lambdas cannot be saved: torch's state dicts do not restore them
PLAIN_FUNCTIONS = ("LambdaLR", "MultiplicativeLR", "SequentialLR-warmup-multiplicative")
SAVABLE = [name for name in SCHEDULERS if not name.startswith(PLAIN_FUNCTIONS)]
ADAM = [name for name in SCHEDULERS if name.startswith(("CyclicLR", "OneCycleLR"))]


def optimizers(adam=False):
    """The same two-group optimizer in gradsheet and torch (SGD with momentum, or Adam)."""
    torch = pytest.importorskip("torch")
    made = []
    for module, make in [(optim, lambda: gs.zeros(2, requires_grad=True)),
                         (torch.optim, lambda: torch.zeros(2, requires_grad=True))]:
        groups = [{"params": [make()], "lr": lr} for lr in LRS]
        made.append(module.Adam(groups, betas=(0.9, 0.99)) if adam
                    else module.SGD(groups, momentum=0.9))
    return made


def schedule(scheduler, optimizer, steps):
    """Per step (construction included): each group's lr and momentum (or β1), and get_last_lr."""
    key = "betas" if "betas" in optimizer.defaults else "momentum"
    rows = []
    for step in range(steps + 1):
        if step:
            optimizer.step()
            scheduler.step()
        last = scheduler.get_last_lr()
        lrs = [group["lr"] for group in optimizer.param_groups]
        assert last == lrs, f"get_last_lr differs from the groups' lrs at step {step}"
        momenta = [group[key][0] if key == "betas" else group[key]
                   for group in optimizer.param_groups]
        rows.append(lrs + momenta)
    return np.array(rows, dtype=float)


def both(name, adam=False, steps=STEPS):
    torch = pytest.importorskip("torch")
    ours_opt, theirs_opt = optimizers(adam)
    ours = SCHEDULERS[name](lr_scheduler, ours_opt)
    theirs = SCHEDULERS[name](torch.optim.lr_scheduler, theirs_opt)
    return (ours, ours_opt), (theirs, theirs_opt)


@pytest.mark.parametrize("name", SCHEDULERS)
def test_matches_torch_for_50_steps(name):
    (ours, ours_opt), (theirs, theirs_opt) = both(name)
    a, b = schedule(ours, ours_opt, STEPS), schedule(theirs, theirs_opt, STEPS)
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)
    assert len(np.unique(a[:, 0])) > 1, "the schedule should change the lr"


@pytest.mark.parametrize("name", ADAM)
def test_cycle_momentum_cycles_adams_beta1_like_torch(name):
    (ours, ours_opt), (theirs, theirs_opt) = both(name, adam=True)
    a, b = schedule(ours, ours_opt, STEPS), schedule(theirs, theirs_opt, STEPS)
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)
    assert [g["betas"][1] for g in ours_opt.param_groups] == [0.99, 0.99]  # β2 untouched


@pytest.mark.parametrize("name", ["CosineAnnealingWarmRestarts", "PolynomialLR-square",
                                  "LinearLR", "MultiStepLR", "ChainedScheduler"])
def test_drives_the_optimizer_like_torch(name):
    # the lrs reach the updates: SGD with momentum on L = Σ p², p starting at 1
    torch = pytest.importorskip("torch")
    ours_opt, theirs_opt = optimizers()
    ours = SCHEDULERS[name](lr_scheduler, ours_opt)
    theirs = SCHEDULERS[name](torch.optim.lr_scheduler, theirs_opt)
    ours_params = [p for g in ours_opt.param_groups for p in g["params"]]
    theirs_params = [p for g in theirs_opt.param_groups for p in g["params"]]
    for p, q in zip(ours_params, theirs_params):
        p.array[...] = 1.0
        with torch.no_grad():
            q.fill_(1.0)
    for _ in range(20):
        for params in (ours_params, theirs_params):
            for p in params:
                p.grad = None
            sum((p * p).sum() for p in params).backward()
        ours_opt.step()
        theirs_opt.step()
        ours.step()
        theirs.step()
    for p, q in zip(ours_params, theirs_params):
        np.testing.assert_allclose(p.array, q.detach().numpy(), rtol=1e-6)


@pytest.mark.parametrize("name", SCHEDULERS)
def test_state_dict_round_trip_continues_identically(name):
    adam = name in ADAM and "scale_fn" not in name
    ours_opt, _ = optimizers(adam)
    ours = SCHEDULERS[name](lr_scheduler, ours_opt)
    schedule(ours, ours_opt, 20)
    saved_opt, saved = copy.deepcopy(ours_opt.state_dict()), copy.deepcopy(ours.state_dict())
    new_opt, _ = optimizers(adam)
    new = SCHEDULERS[name](lr_scheduler, new_opt)
    new_opt.load_state_dict(saved_opt)
    new.load_state_dict(saved)
    steps = 30 if not name.startswith("OneCycleLR") else 25
    np.testing.assert_array_equal(schedule(new, new_opt, steps), schedule(ours, ours_opt, steps))


@pytest.mark.parametrize("name", SAVABLE)
def test_torch_scheduler_state_loads_and_continues_like_torch(name):
    (ours, ours_opt), (theirs, theirs_opt) = both(name)
    schedule(theirs, theirs_opt, 20)
    ours_opt.load_state_dict(theirs_opt.state_dict())
    ours.load_state_dict(copy.deepcopy(theirs.state_dict()))
    steps = 30 if not name.startswith("OneCycleLR") else 25
    np.testing.assert_allclose(schedule(ours, ours_opt, steps), schedule(theirs, theirs_opt, steps),
                               rtol=1e-12, atol=1e-15)


def test_state_dict_keys_match_torch():
    for name in SAVABLE:
        (ours, _), (theirs, _) = both(name)
        missing = set(theirs.state_dict()) - set(ours.state_dict())
        missing -= {"_get_lr_called_within_step", "_is_initial"}  # torch's step-time flags
        assert not missing, f"{name}: {sorted(missing)}"


def test_callable_scale_fn_state_is_saved_and_restored():
    ours_opt, _ = optimizers()
    ours = lr_scheduler.CyclicLR(ours_opt, 0.01, 0.1, step_size_up=3, scale_fn=Scale(0.5))
    saved = ours.state_dict()
    assert saved["_scale_fn_custom"] == {"base": 0.5}
    other = lr_scheduler.CyclicLR(optimizers()[0], 0.01, 0.1, step_size_up=3,
                                  scale_fn=Scale(0.9))
    other.load_state_dict(saved)
    assert other._scale_fn_custom.base == 0.5


@pytest.mark.parametrize("T_0, T_mult, eta_min", [(5, 1, 0.0), (3, 2, 0.001), (2, 3, 0.01)])
def test_warm_restarts_fractional_epochs_match_torch(T_0, T_mult, eta_min):
    torch = pytest.importorskip("torch")
    epochs = [0.0, 0.25, 0.5, 1.0, 1.75, 2.9, 3.0, 3.1, 4.5, 8.99, 9.0, 9.5, 20.25, 7.0, 0.5, 27.5]
    rows = []
    for module, opt in zip((lr_scheduler, torch.optim.lr_scheduler), optimizers()):
        scheduler = module.CosineAnnealingWarmRestarts(opt, T_0, T_mult=T_mult, eta_min=eta_min)
        seen = []
        for i, epoch in enumerate(epochs):
            opt.step()
            if i % 5 == 4:
                scheduler.step()  # interleaved with plain steps, as torch allows
            scheduler.step(epoch)
            seen.append(scheduler.get_last_lr() + [scheduler.T_cur, scheduler.T_i,
                                                   scheduler.last_epoch])
        rows.append(np.array(seen, dtype=float))
    np.testing.assert_allclose(*rows, rtol=1e-12, atol=1e-15)


def test_warm_restarts_by_closed_form():
    opt, _ = optimizers()
    scheduler = lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2)
    lrs = schedule(scheduler, opt, 13)[:, 0]
    # periods 2, 4, 8: T_cur runs 0 1 | 0 1 2 3 | 0 ... 7
    t_cur = [0, 1, 0, 1, 2, 3, 0, 1, 2, 3, 4, 5, 6, 7]
    t_i = [2, 2, 4, 4, 4, 4, 8, 8, 8, 8, 8, 8, 8, 8]
    expected = [0.1 * (1 + np.cos(np.pi * c / i)) / 2 for c, i in zip(t_cur, t_i)]
    np.testing.assert_allclose(lrs, expected, rtol=1e-13)


def test_one_cycle_by_closed_form():
    opt, _ = optimizers()
    scheduler = lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=11, pct_start=0.5,
                                        anneal_strategy="linear", div_factor=10.0,
                                        final_div_factor=10.0, cycle_momentum=False)
    lrs = schedule(scheduler, opt, 10)[:, 0]
    # up from 0.1 to 1 over steps 0..4.5, then down to 0.01 at step 10
    up = [0.1 + 0.9 * t / 4.5 for t in range(5)]
    down = [1.0 + (0.01 - 1.0) * (t - 4.5) / 5.5 for t in range(5, 11)]
    np.testing.assert_allclose(lrs, up + down, rtol=1e-13)


def test_one_cycle_past_total_steps_raises_like_torch():
    torch = pytest.importorskip("torch")
    ours_opt, theirs_opt = optimizers()
    ours = lr_scheduler.OneCycleLR(ours_opt, 0.1, total_steps=3)
    theirs = torch.optim.lr_scheduler.OneCycleLR(theirs_opt, 0.1, total_steps=3)
    for _ in range(3):
        ours_opt.step()
        theirs_opt.step()
        ours.step()
        theirs.step()
    with pytest.raises(ValueError, match="Tried to step 4 times"):
        theirs.step()
    with pytest.raises(ValueError, match="OneCycleLR: tried to step 4 times, but total_steps is 3"):
        ours.step()


@pytest.mark.parametrize("name", ["MultiStepLR", "LinearLR", "ConstantLR", "PolynomialLR-square",
                                  "MultiplicativeLR"])
def test_step_with_epoch_uses_the_closed_form_like_torch(name):
    epochs = [3, 4, 10, 2, 25, 26, 60]
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        for scheduler, opt in both(name):
            seen = []
            for epoch in epochs:
                opt.step()
                scheduler.step(epoch)
                seen.append(scheduler.get_last_lr())
            rows.append(np.array(seen))
    np.testing.assert_allclose(*rows, rtol=1e-12, atol=1e-15)
    opt, _ = optimizers()
    with pytest.warns(UserWarning, match="epoch argument is deprecated"):
        SCHEDULERS[name](lr_scheduler, opt).step(3)


@pytest.mark.parametrize("name", ["MultiplicativeLR", "ConstantLR", "PolynomialLR",
                                  "ChainedScheduler", "CosineAnnealingWarmRestarts", "CyclicLR",
                                  "OneCycleLR", "LambdaLR", "ReduceLROnPlateau", "SequentialLR",
                                  "MultiStepLR", "LinearLR"])
def test_signature_is_torchs(name):
    torch = pytest.importorskip("torch")
    ours = inspect.signature(getattr(lr_scheduler, name))
    theirs = inspect.signature(getattr(torch.optim.lr_scheduler, name))
    assert [(p.name, p.kind, p.default) for p in ours.parameters.values()] == \
        [(p.name, p.kind, p.default) for p in theirs.parameters.values()]


def _sgd():
    return optimizers()[0]


@pytest.mark.parametrize("build, error, message", [
    (lambda o: lr_scheduler.MultiplicativeLR(o, [lambda t: 1.0]), ValueError,
     "MultiplicativeLR: expected 2 lr_lambdas .*got 1"),
    (lambda o: lr_scheduler.MultiplicativeLR(o, 0.9), TypeError,
     "lr_lambda should be a function, but lr_lambda 0 is a float"),
    (lambda o: lr_scheduler.LambdaLR(o, [lambda t: 1.0, "x"]), TypeError, "lr_lambda 1 is a str"),
    (lambda o: lr_scheduler.ConstantLR(o, factor=1.5), ValueError,
     "ConstantLR: invalid factor=1.5"),
    (lambda o: lr_scheduler.ConstantLR(o, factor=-0.1), ValueError, "factor=-0.1"),
    (lambda o: lr_scheduler.PolynomialLR(o, total_iters=0), ValueError, "total_iters=0"),
    (lambda o: lr_scheduler.ChainedScheduler([]), ValueError, "at least one scheduler"),
    (lambda o: lr_scheduler.ChainedScheduler([lr_scheduler.StepLR(o, 2),
                                              lr_scheduler.StepLR(_sgd(), 2)]), ValueError,
     "scheduler 1 \\(StepLR\\) does not"),
    (lambda o: lr_scheduler.ChainedScheduler([lr_scheduler.ReduceLROnPlateau(o)]), ValueError,
     "scheduler 0 is a ReduceLROnPlateau"),
    (lambda o: lr_scheduler.ChainedScheduler([object()]), TypeError, "scheduler 0 .* no optimizer"),
    (lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=0), ValueError, "T_0=0"),
    (lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=2.5), ValueError, "T_0=2.5"),
    (lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, 2, T_mult=0), ValueError,
     "T_mult=0; expected an integer >= 1"),
    (lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, 2, T_mult=1.5), ValueError,
     "T_mult=1.5"),
    (lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, 2, eta_min="0"), ValueError,
     "eta_min='0'"),
    (lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, 2).step(-1), ValueError,
     "non-negative epoch, got -1"),
    (lambda o: lr_scheduler.CyclicLR(o, 0.1, 1.0, mode="square"), ValueError,
     "mode='square' and no scale_fn"),
    (lambda o: lr_scheduler.CyclicLR(o, [0.1], 1.0), ValueError,
     "base_lr must have one value per parameter group: got 1 values for 2 groups"),
    (lambda o: lr_scheduler.CyclicLR(o, 0.1, 1.0, scale_fn=abs, scale_mode="epochs"), ValueError,
     "scale_mode='epochs'"),
    (lambda o: lr_scheduler.CyclicLR(optim.Adagrad([gs.zeros(1, requires_grad=True)]), 0.1, 1.0),
     ValueError, "must support momentum or beta1"),
    (lambda o: lr_scheduler.CyclicLR("sgd", 0.1, 1.0), TypeError, "str is not an Optimizer"),
    (lambda o: lr_scheduler.OneCycleLR(o, 1.0), ValueError,
     "either total_steps or both epochs and steps_per_epoch"),
    (lambda o: lr_scheduler.OneCycleLR(o, 1.0, total_steps=0), ValueError, "total_steps=0"),
    (lambda o: lr_scheduler.OneCycleLR(o, 1.0, epochs=0, steps_per_epoch=3), ValueError,
     "epochs=0"),
    (lambda o: lr_scheduler.OneCycleLR(o, 1.0, epochs=2, steps_per_epoch=-3), ValueError,
     "steps_per_epoch=-3"),
    (lambda o: lr_scheduler.OneCycleLR(o, 1.0, 10, pct_start=1.5), ValueError, "pct_start=1.5"),
    (lambda o: lr_scheduler.OneCycleLR(o, 1.0, 10, pct_start=0), ValueError,
     "pct_start=0; expected a float"),
    (lambda o: lr_scheduler.OneCycleLR(o, 1.0, 10, anneal_strategy="exp"), ValueError,
     "anneal_strategy='exp'"),
    (lambda o: lr_scheduler.OneCycleLR(o, [1.0, 2.0, 3.0], 10), ValueError,
     "max_lr must have one value per parameter group: got 3"),
    (lambda o: lr_scheduler.OneCycleLR(optim.Adagrad([gs.zeros(1, requires_grad=True)]), 1.0, 10),
     ValueError, "OneCycleLR: optimizer must support momentum"),
])
def test_bad_arguments_raise(build, error, message):
    with pytest.raises(error, match=message):
        build(_sgd())


@pytest.mark.parametrize("build", [
    lambda m, o: m.ConstantLR(o, factor=1.5),
    lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=0),
    lambda m, o: m.CosineAnnealingWarmRestarts(o, 2, T_mult=0),
    lambda m, o: m.CyclicLR(o, 0.1, 1.0, mode="square"),
    lambda m, o: m.OneCycleLR(o, 1.0),
    lambda m, o: m.OneCycleLR(o, 1.0, 10, pct_start=0),
    lambda m, o: m.OneCycleLR(o, 1.0, 10, anneal_strategy="exp"),
    lambda m, o: m.MultiplicativeLR(o, [lambda t: 1.0]),
    lambda m, o: m.ChainedScheduler([m.ReduceLROnPlateau(o)]),
])
def test_torch_rejects_the_same_arguments(build):
    torch = pytest.importorskip("torch")
    ours_opt, theirs_opt = optimizers()
    with pytest.raises(ValueError):
        build(torch.optim.lr_scheduler, theirs_opt)
    with pytest.raises(ValueError):
        build(lr_scheduler, ours_opt)
