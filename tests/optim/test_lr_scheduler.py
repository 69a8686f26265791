import copy

import numpy as np
import pytest

import gradsheet as gs
from gradsheet import optim
from gradsheet.optim import lr_scheduler

LRS = (0.1, 0.02)  # two parameter groups with different initial lrs

# each builds a scheduler from a scheduler module (gradsheet's or torch's) and an optimizer
SCHEDULERS = {
    "StepLR": lambda m, opt: m.StepLR(opt, step_size=3, gamma=0.5),
    "MultiStepLR": lambda m, opt: m.MultiStepLR(opt, milestones=[3, 7, 7, 12], gamma=0.3),
    "ExponentialLR": lambda m, opt: m.ExponentialLR(opt, gamma=0.9),
    "CosineAnnealingLR": lambda m, opt: m.CosineAnnealingLR(opt, T_max=10, eta_min=0.001),
    "LambdaLR": lambda m, opt: m.LambdaLR(opt, lambda t: 1 / (t + 1)),
    "LambdaLR-per-group": lambda m, opt: m.LambdaLR(opt, [lambda t: 0.9 ** t,
                                                          lambda t: 1 + t % 3]),
    "LinearLR-warmup": lambda m, opt: m.LinearLR(opt, start_factor=0.25, total_iters=6),
    "LinearLR-decay": lambda m, opt: m.LinearLR(opt, start_factor=1.0, end_factor=0.2,
                                                total_iters=10),
    "SequentialLR-warmup-cosine": lambda m, opt: m.SequentialLR(
        opt, [m.LinearLR(opt, start_factor=0.1, total_iters=5), m.CosineAnnealingLR(opt, 25)],
        milestones=[5]),
    "SequentialLR-three": lambda m, opt: m.SequentialLR(
        opt, [m.ExponentialLR(opt, 0.8), m.StepLR(opt, 4), m.CosineAnnealingLR(opt, 6, 0.01)],
        milestones=[6, 15]),
}
# plain functions cannot be saved, so torch's LambdaLR state does not restore them
SAVABLE = [name for name in SCHEDULERS if not name.startswith("LambdaLR")]


def gs_optimizer():
    return optim.SGD([{"params": [gs.zeros(2, requires_grad=True)], "lr": lr} for lr in LRS])


def torch_optimizer():
    torch = pytest.importorskip("torch")
    return torch.optim.SGD([{"params": [torch.zeros(2, requires_grad=True)], "lr": lr}
                            for lr in LRS])


def lr_sequence(scheduler, optimizer, steps):
    """The lrs after construction and after each of ``steps`` epochs (checked against the groups)."""
    lrs = [scheduler.get_last_lr()]
    for _ in range(steps):
        optimizer.step()
        scheduler.step()
        lrs.append(scheduler.get_last_lr())
        assert lrs[-1] == [group["lr"] for group in optimizer.param_groups]
    return np.array(lrs)


@pytest.mark.parametrize("name", SCHEDULERS)
def test_lr_sequence_matches_torch(name):
    torch = pytest.importorskip("torch")
    gs_opt, torch_opt = gs_optimizer(), torch_optimizer()
    ours = lr_sequence(SCHEDULERS[name](lr_scheduler, gs_opt), gs_opt, 30)
    theirs = lr_sequence(SCHEDULERS[name](torch.optim.lr_scheduler, torch_opt), torch_opt, 30)
    np.testing.assert_allclose(ours, theirs, rtol=1e-13, atol=1e-16)
    assert len(np.unique(ours[:, 0])) > 2, "the schedule should change the lr"


def test_warmup_then_cosine_by_its_closed_form():
    opt = optim.SGD([gs.zeros(1, requires_grad=True)], lr=1.0)
    scheduler = SCHEDULERS["SequentialLR-warmup-cosine"](lr_scheduler, opt)
    lrs = lr_sequence(scheduler, opt, 30)[:, 0]
    warmup = [0.1 + 0.9 * t / 5 for t in range(5)]
    cosine = [(1 + np.cos(np.pi * t / 25)) / 2 for t in range(26)]
    np.testing.assert_allclose(lrs, warmup + cosine, rtol=1e-12, atol=1e-15)


def test_schedulers_on_one_optimizer_compose_like_torch():
    torch = pytest.importorskip("torch")
    sequences = []
    for module, opt in [(lr_scheduler, gs_optimizer()),
                        (torch.optim.lr_scheduler, torch_optimizer())]:
        schedulers = [module.StepLR(opt, 4, gamma=0.5), module.ExponentialLR(opt, 0.95)]
        lrs = []
        for _ in range(20):
            opt.step()
            for s in schedulers:
                s.step()
            lrs.append([group["lr"] for group in opt.param_groups])
        sequences.append(lrs)
    np.testing.assert_allclose(*sequences, rtol=1e-13)


@pytest.mark.parametrize("name", SCHEDULERS)
def test_state_dict_round_trip_continues_identically(name):
    opt = gs_optimizer()
    scheduler = SCHEDULERS[name](lr_scheduler, opt)
    lr_sequence(scheduler, opt, 12)
    saved_opt, saved = copy.deepcopy(opt.state_dict()), copy.deepcopy(scheduler.state_dict())
    new_opt = gs_optimizer()
    new_scheduler = SCHEDULERS[name](lr_scheduler, new_opt)
    new_opt.load_state_dict(saved_opt)
    new_scheduler.load_state_dict(saved)
    np.testing.assert_array_equal(lr_sequence(new_scheduler, new_opt, 15),
                                  lr_sequence(scheduler, opt, 15))


@pytest.mark.parametrize("name", SAVABLE)
def test_torch_scheduler_state_loads_and_continues_like_torch(name):
    torch = pytest.importorskip("torch")
    torch_opt = torch_optimizer()
    torch_scheduler = SCHEDULERS[name](torch.optim.lr_scheduler, torch_opt)
    lr_sequence(torch_scheduler, torch_opt, 12)
    opt = gs_optimizer()
    scheduler = SCHEDULERS[name](lr_scheduler, opt)
    opt.load_state_dict(torch_opt.state_dict())
    scheduler.load_state_dict(copy.deepcopy(torch_scheduler.state_dict()))
    np.testing.assert_allclose(lr_sequence(scheduler, opt, 15),
                               lr_sequence(torch_scheduler, torch_opt, 15), rtol=1e-13)


@pytest.mark.parametrize("name", ["StepLR", "ExponentialLR", "CosineAnnealingLR"])
def test_resuming_at_last_epoch_matches_torch(name):
    torch = pytest.importorskip("torch")
    build = {"StepLR": lambda m, o: m.StepLR(o, 3, gamma=0.5, last_epoch=7),
             "ExponentialLR": lambda m, o: m.ExponentialLR(o, 0.9, last_epoch=7),
             "CosineAnnealingLR": lambda m, o: m.CosineAnnealingLR(o, 10, last_epoch=7)}[name]
    sequences = []
    for module, opt in [(lr_scheduler, gs_optimizer()),
                        (torch.optim.lr_scheduler, torch_optimizer())]:
        for group in opt.param_groups:
            group["initial_lr"] = group["lr"] * 2
        sequences.append(lr_sequence(build(module, opt), opt, 10))
    np.testing.assert_allclose(*sequences, rtol=1e-13)


def test_resuming_without_initial_lr_raises():
    with pytest.raises(KeyError, match=r"param_groups\[0\] has no 'initial_lr'.*last_epoch=3"):
        lr_scheduler.StepLR(gs_optimizer(), 2, last_epoch=3)


@pytest.mark.parametrize("build, error, message", [
    (lambda o: lr_scheduler.StepLR(o, step_size=0), ValueError, "StepLR: invalid step_size=0"),
    (lambda o: lr_scheduler.StepLR(o, step_size=2.5), ValueError, "step_size=2.5"),
    (lambda o: lr_scheduler.StepLR(o, 2, gamma=-0.1), ValueError, "gamma=-0.1"),
    (lambda o: lr_scheduler.MultiStepLR(o, [2], gamma=-1), ValueError, "gamma=-1"),
    (lambda o: lr_scheduler.ExponentialLR(o, gamma=-0.5), ValueError, "gamma=-0.5"),
    (lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=0), ValueError, "T_max=0"),
    (lambda o: lr_scheduler.LinearLR(o, start_factor=0), ValueError, "start_factor=0"),
    (lambda o: lr_scheduler.LinearLR(o, end_factor=1.5), ValueError, "end_factor=1.5"),
    (lambda o: lr_scheduler.LinearLR(o, total_iters=0), ValueError, "total_iters=0"),
    (lambda o: lr_scheduler.LambdaLR(o, [lambda t: 1.0]), ValueError,
     "expected 2 lr_lambdas .*got 1"),
    (lambda o: lr_scheduler.StepLR("sgd", 2), TypeError, "str is not an Optimizer"),
    (lambda o: lr_scheduler.SequentialLR(o, [], []), ValueError, "at least one scheduler"),
    (lambda o: lr_scheduler.SequentialLR(o, [lr_scheduler.StepLR(o, 2)], [3]), ValueError,
     "1 schedulers and milestones=\\[3\\]"),
    (lambda o: lr_scheduler.SequentialLR(o, [lr_scheduler.StepLR(gs_optimizer(), 2)], []),
     ValueError, "scheduler 0 \\(StepLR\\) does not"),
    (lambda o: lr_scheduler.SequentialLR(o, [lr_scheduler.StepLR(o, 2)] * 3, [5, 2]), ValueError,
     "milestones=\\[5, 2\\]; expected increasing"),
])
def test_bad_arguments_raise(build, error, message):
    with pytest.raises(error, match=message):
        build(gs_optimizer())


@pytest.mark.parametrize("options", [
    {},
    {"mode": "max", "factor": 0.5, "patience": 1},
    {"patience": 2, "threshold": 0.1, "threshold_mode": "abs", "cooldown": 2, "min_lr": 0.02},
])
def test_reduce_lr_on_plateau_matches_torch(options):
    torch = pytest.importorskip("torch")
    metrics = [1.0, 0.9, 0.95, 0.95, 0.94, 0.96, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 0.4, 0.4]
    metrics = metrics * 2
    ours_opt = optim.SGD([gs.tensor([1.0], requires_grad=True)], lr=0.1)
    theirs_opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    ours = lr_scheduler.ReduceLROnPlateau(ours_opt, **options)
    theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(theirs_opt, **options)
    for metric in metrics:
        ours.step(metric)
        theirs.step(metric)
        assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr(), rel=1e-12)
        assert ours.num_bad_epochs == theirs.num_bad_epochs


def test_reduce_lr_on_plateau_rejects_bad_factor():
    opt = optim.SGD([gs.tensor([1.0], requires_grad=True)], lr=0.1)
    with pytest.raises(ValueError, match="factor=1.5"):
        lr_scheduler.ReduceLROnPlateau(opt, factor=1.5)
