"""nn.parallel.DistributedDataParallel and nn.SyncBatchNorm (issue 12, item 2), and the engine's
post-accumulate-grad hooks they stand on.

The 2-rank cases run in ONE ``mpiexec -n 2`` launch (ddp_worker.py, shared definitions in
ddp_cases.py); each test compares what the ranks saw with a single-process reference computed
here (1 rank x batch 64, BatchNorm on the concatenated batch, PyTorch as the oracle where it has
the same thing). A missing mpiexec or mpi4py fails these tests: the dev extra installs both.
"""
import importlib.util
import inspect
import os
import pickle
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch

import gradsheet as gs
from gradsheet import nn
from gradsheet.autograd import engine
from gradsheet.nn.parallel import DistributedDataParallel
from gradsheet.nn.parallel.distributed import _assign_buckets

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ddp_cases as cases  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TOL = 1e-10


def _mpiexec():
    local = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    return local if os.path.exists(local) else shutil.which("mpiexec")


@pytest.fixture(scope="module")
def ranks(tmp_path_factory):
    """What each of the 2 ranks of the one mpiexec launch recorded: [rank 0's, rank 1's]."""
    if importlib.util.find_spec("mpi4py") is None:
        pytest.fail("mpi4py is not installed: the DDP tests need it (pip install 'gradsheet[dist]')")
    mpiexec = _mpiexec()
    if mpiexec is None:
        pytest.fail("mpiexec not found: the DDP tests need an MPI (pip install mpich)")
    out = tmp_path_factory.mktemp("ddp")
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
               GRADSHEET_DISTRIBUTED_TIMEOUT="60")
    try:
        run = subprocess.run([mpiexec, "-n", "2", sys.executable,
                              os.path.join(HERE, "ddp_worker.py"), str(out)],
                             capture_output=True, text=True, timeout=240, env=env)
    except subprocess.TimeoutExpired as error:
        pytest.fail(f"mpiexec -n 2 ddp_worker.py did not finish in 240 s:\n{error.stdout}\n"
                    f"{error.stderr}")
    assert run.returncode == 0, f"ddp_worker.py failed:\n{run.stdout}\n{run.stderr}"
    results = []
    for r in range(2):
        with open(out / f"rank{r}.pkl", "rb") as f:
            results.append(pickle.load(f))
    assert results[0]["world"] == results[1]["world"] == 2
    return results


def _close(a, b, tol=TOL):
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_allclose(a[k], b[k], rtol=0, atol=tol, err_msg=k)


def _reference(kind, steps=cases.STEPS, batchnorm=False):
    """1 rank x batch 64 from rank 0's initial weights (seed SEED0)."""
    model = cases.mlp(cases.SEED0, batchnorm)
    opt = cases.optimizer(kind, model.parameters())
    cases.train(model, opt, cases.full_batches(steps))
    return model


# ---------------------------------------------------------------- signatures
def _params(fn):
    return [(p.name, p.default, p.kind) for p in inspect.signature(fn).parameters.values()]


def test_signatures_match_torch():
    assert _params(DistributedDataParallel.__init__) == \
        _params(torch.nn.parallel.DistributedDataParallel.__init__)
    assert _params(nn.SyncBatchNorm.__init__) == _params(torch.nn.SyncBatchNorm.__init__)
    assert _params(nn.SyncBatchNorm.convert_sync_batchnorm) == \
        _params(torch.nn.SyncBatchNorm.convert_sync_batchnorm)
    assert gs.nn.parallel.DistributedDataParallel is DistributedDataParallel


@pytest.mark.parametrize("seed", range(6))
def test_bucket_assignment_matches_torch(seed):
    import torch.distributed as tdist
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 12))
    sizes = rng.integers(1, 60, n)
    dtypes = rng.choice([torch.float32, torch.float64], n) if seed % 2 else [torch.float32] * n
    tensors = [torch.zeros(int(s), dtype=d) for s, d in zip(sizes, dtypes)]
    limits = sorted(rng.integers(4, 300, int(rng.integers(1, 3))).tolist())
    nbytes = [t.numel() * t.element_size() for t in tensors]
    keys = [str(t.dtype) for t in tensors]
    expected, _ = tdist._compute_bucket_assignment_by_size(tensors, limits)
    assert _assign_buckets(nbytes, keys, limits) == expected
    order = rng.permutation(n).tolist()  # a rebuild: the order the gradients became ready
    expected, _ = tdist._compute_bucket_assignment_by_size([tensors[i] for i in order], limits,
                                                           [False] * n, order)
    mine = _assign_buckets(nbytes, keys, limits, order)
    # the buckets still open at the end come in torch's hash map order: compare them as a set
    left = len(set(keys))
    assert mine[:-left] == expected[:-left] and sorted(mine[-left:]) == sorted(expected[-left:])


# ---------------------------------------------------------------- the engine's hook
def _hooked_graph(lib):
    """w1 feeds the first layer only; w2 is used three times, at both ends of the graph."""
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal((4, 3)))
    w1 = lib.tensor(rng.standard_normal((3, 3)), requires_grad=True)
    w2 = lib.tensor(rng.standard_normal((3, 3)), requires_grad=True)
    seen = []

    def hook(name, other):
        def run(t):
            seen.append((name, t.grad.numpy().copy()))
        return run

    handles = [w1.register_post_accumulate_grad_hook(hook("w1", w2)),
               w2.register_post_accumulate_grad_hook(hook("w2", w1))]

    def loss():
        h = (x @ w2).tanh() @ w1  # w2 at the start ...
        return ((h @ w2).sin() * (h @ w2.T)).sum()  # ... and twice at the end

    return w1, w2, seen, handles, loss


def test_post_accumulate_hook_fires_once_after_full_accumulation():
    ours, theirs = _hooked_graph(gs), _hooked_graph(torch)
    for (_, _, _, _, loss) in (ours, theirs):
        loss().backward()
        loss().backward()  # a second backward accumulates: the hook sees the sum
    # once per leaf per backward, each time with the leaf's whole (accumulated) gradient
    for name in ("w1", "w2"):
        mine = [g for n, g in ours[2] if n == name]
        torchs = [g for n, g in theirs[2] if n == name]
        for a, b in zip(mine, torchs):
            np.testing.assert_allclose(a, b, rtol=1e-12)
        np.testing.assert_allclose(mine[-1], (ours[0] if name == "w1" else ours[1]).grad.numpy())
    # w1 (used in the middle only) is complete, and its hook fires, before the backward has
    # reached w2's first use: the hooks run in the order the leaves complete, as in torch
    assert [n for n, _ in ours[2]] == [n for n, _ in theirs[2]] == ["w1", "w2"] * 2
    for handle in ours[3]:
        handle.remove()
    ours[4]().backward()
    assert len(ours[2]) == 4 and not engine._POST_HOOKS


def test_post_accumulate_hook_with_tensor_hook_and_leaf_root():
    x = gs.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    x.register_hook(lambda g: g * 10)
    x.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.numpy().copy()))
    (x * x + x).sum().backward()
    np.testing.assert_allclose(seen[-1], 10 * (2 * x.detach().numpy() + 1))
    y = gs.tensor([1.0, 2.0], requires_grad=True)
    y.register_post_accumulate_grad_hook(lambda t: seen.append("root"))
    y.backward(gs.tensor([1.0, 1.0]))  # the leaf is the root
    assert seen[-1] == "root"
    unreached = gs.tensor([1.0], requires_grad=True)
    unreached.register_post_accumulate_grad_hook(lambda t: seen.append("unreached"))
    (x * 2).sum().backward()
    assert not any(isinstance(s, str) and s == "unreached" for s in seen)


def test_post_accumulate_hook_errors():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        gs.tensor([1.0]).register_post_accumulate_grad_hook(lambda t: None)
    x = gs.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="non-leaf"):
        (x * 2).register_post_accumulate_grad_hook(lambda t: None)
    with pytest.raises(TypeError, match="callable"):
        x.register_post_accumulate_grad_hook(3)
    handle = x.register_post_accumulate_grad_hook(lambda t: 5)
    with pytest.raises(TypeError, match="must return None, got int"):
        (x * 2).sum().backward()
    handle.remove()


def test_queue_callback_runs_after_every_gradient():
    x = gs.tensor([1.0, 2.0], requires_grad=True)
    w = gs.tensor([3.0, 4.0], requires_grad=True)
    seen = []
    x.register_post_accumulate_grad_hook(
        lambda t: engine.queue_callback(lambda: seen.append(w.grad.numpy().copy())))
    (x * w).sum().backward()
    np.testing.assert_array_equal(seen[0], [1.0, 2.0])
    with pytest.raises(RuntimeError, match="only be installed during a backward"):
        engine.queue_callback(lambda: None)


# ---------------------------------------------------------------- DDP on 2 ranks
def test_ranks_from_different_seeds_are_identical_after_wrapping(ranks):
    before0, before1 = ranks[0]["seeds/before"], ranks[1]["seeds/before"]
    assert any(np.abs(before0[k] - before1[k]).max() > 0.1 for k in before0)
    _close(ranks[0]["seeds/after"], before0, 0)
    _close(ranks[1]["seeds/after"], before0, 0)  # rank 0's, bit for bit
    assert ranks[0]["module_is_model"]


def test_state_dict_keys_carry_the_module_prefix(ranks):
    assert ranks[0]["state_dict_keys"] == ["module." + k for k in cases.mlp(0).state_dict()]


@pytest.mark.parametrize("kind", ["sgd", "adam"])
@pytest.mark.parametrize("cap", [cases.TINY_MB, cases.LARGE_MB], ids=["tiny", "large"])
def test_two_ranks_of_32_equal_one_of_64(ranks, kind, cap):
    reference = _reference(kind)
    key = f"train/{kind}/{cap}"
    for r in range(2):
        _close(ranks[r][key]["weights"], cases.weights(reference))
    # the gradients were averaged by the time backward() returned (before opt.step)
    _close(ranks[0][key]["grads"], ranks[1][key]["grads"], 0)
    buckets = ranks[0][key]["buckets"]
    names = [n for n, _ in reference.named_parameters()]
    assert sorted(sum(buckets, [])) == sorted(names)
    if cap == cases.LARGE_MB:
        assert len(buckets) == 1
    else:
        # many buckets, the last layer's first (the order its gradients became ready)
        assert len(buckets) >= 5 and buckets[0] == ["4.weight"]
        events = ranks[0][key]["events"]
        launches = [i for i, e in enumerate(events) if e[0] == "launch"]
        readies = [i for i, e in enumerate(events) if e[0] == "ready"]
        assert len(launches) == len(buckets)
        # overlap: the first bucket's allreduce starts before the backward has reached the
        # first layer's parameters
        assert launches[0] < readies[-1] and launches[1] < readies[-1]


@pytest.mark.parametrize("flag", ["gradient_as_bucket_view", "static_graph",
                                  "delay_all_reduce_named_params"])
def test_flags_train_the_same(ranks, flag):
    reference = _reference("sgd", steps=4)
    for r in range(2):
        _close(ranks[r][f"flag/{flag}"]["weights"], cases.weights(reference))
    if flag == "gradient_as_bucket_view":  # each .grad is a view into its bucket
        assert all(ranks[0][f"flag/{flag}"]["views"])
    elif flag == "static_graph":
        assert not any(ranks[0][f"flag/{flag}"]["views"])
    else:  # the delayed parameter is in no bucket
        buckets = sum(ranks[0][f"flag/{flag}"]["buckets"], [])
        assert "0.weight" not in buckets and "0.bias" in buckets


def test_no_sync_accumulation_equals_one_batch(ranks):
    reference = _reference("sgd", steps=3)
    for r in range(2):
        _close(ranks[r]["no_sync"]["weights"], cases.weights(reference))
    # one reduction per step, not per micro-batch: 1 bucket in step 1, then the rebuilt ones
    assert ranks[0]["no_sync"]["launches"] == 1 + 2 * ranks[0]["no_sync"]["buckets"]


def test_find_unused_parameters(ranks):
    unused = ranks[0]["unused"]
    body = {k[len("body."):]: v for k, v in unused["weights"].items() if k.startswith("body.")}
    _close(body, cases.weights(_reference("sgd", steps=3)))
    assert unused["extra_grad"] is None  # no rank used it: its .grad stays None
    # only rank 0 used `extra` in the 4th step: its gradient is rank 0's over 2
    model = cases.Branchy(cases.SEED0)
    model.load_state_dict({k: gs.tensor(v) for k, v in unused["weights"].items()})
    local = []
    for r in range(2):
        model.zero_grad()
        x, y = list(cases.loader(r))[3]
        nn.functional.mse_loss(model(x, use_extra=r == 0), y).backward()
        local.append({n: (p.grad.numpy().copy() if p.grad is not None else 0 * p.detach().numpy())
                      for n, p in model.named_parameters()})
    expected = {n: (local[0][n] + local[1][n]) / 2 for n in local[0]}
    for r in range(2):
        _close(ranks[r]["unused"]["half"], expected)


def test_unused_parameter_without_find_unused_is_named(ranks):
    for r in range(2):
        message = ranks[r]["unused_error"]
        assert message.startswith("RuntimeError: DistributedDataParallel: Expected to have "
                                  "finished reduction in the prior iteration")
        assert "find_unused_parameters=True" in message and "extra.weight" in message
        assert f"for rank {r}" in message


def test_buffers_are_broadcast_before_forward(ranks):
    np.testing.assert_array_equal(ranks[1]["buffers"], ranks[0]["buffers"])
    np.testing.assert_array_equal(ranks[0]["buffers"], np.zeros(16))


def test_ddp_with_sync_batchnorm_equals_batchnorm_on_the_whole_batch(ranks):
    assert ranks[0]["converted_type"] == "SyncBatchNorm"
    reference = cases.weights(_reference("sgd", steps=5, batchnorm=True))
    for r in range(2):
        _close(ranks[r]["ddp_syncbn"], reference)


def test_mismatched_models_name_the_parameter_and_ranks(ranks):
    for r in range(2):
        assert ranks[r]["mismatch/shape"] == (
            "RuntimeError: DistributedDataParallel: the model differs across ranks: parameter "
            "2 '1.weight' has shape (16, 16) on rank 0 but (17, 16) on rank 1")
        assert ranks[r]["mismatch/count"] == (
            "RuntimeError: DistributedDataParallel: the model differs across ranks: rank 0 has "
            "6 parameters but rank 1 has 4; the first missing on rank 1 is '2.weight' (present "
            "on rank 0)")


# ---------------------------------------------------------------- SyncBatchNorm on 2 ranks
@pytest.mark.parametrize("shape,momentum", [((3, 4, 5), 0.3), ((4,), None)], ids=["4d", "2d"])
def test_sync_batchnorm_equals_batchnorm_on_the_concatenated_batch(ranks, shape, momentum):
    channels = shape[0]
    layer = torch.nn.BatchNorm2d if len(shape) == 3 else torch.nn.BatchNorm1d
    bn = layer(channels, momentum=momentum, dtype=torch.float64)
    w, b = cases.bn_params(channels)
    with torch.no_grad():
        bn.weight.copy_(torch.tensor(w))
        bn.bias.copy_(torch.tensor(b))
    got = [ranks[r][f"syncbn/{len(shape) + 1}d"] for r in range(2)]
    for step in range(2):
        xs, up = cases.syncbn_inputs(shape, seed=step)
        x = torch.tensor(xs, requires_grad=True)
        bn.weight.grad = bn.bias.grad = None
        y = bn(x)
        (y * torch.tensor(up)).sum().backward()
        for r in range(2):
            part = cases.rank_slice(r)
            np.testing.assert_allclose(got[r][step]["y"], y.detach().numpy()[part], atol=1e-10)
            np.testing.assert_allclose(got[r][step]["dx"], x.grad.numpy()[part], atol=1e-10)
        # the parameters' gradients: each rank's share, summing to the whole batch's
        np.testing.assert_allclose(got[0][step]["dw"] + got[1][step]["dw"],
                                   bn.weight.grad.numpy(), atol=1e-10)
        np.testing.assert_allclose(got[0][step]["db"] + got[1][step]["db"],
                                   bn.bias.grad.numpy(), atol=1e-10)
    bn.eval()
    xs, _ = cases.syncbn_inputs(shape, seed=5)
    eval_out = bn(torch.tensor(xs)).detach().numpy()
    for r in range(2):
        np.testing.assert_allclose(got[r]["running_mean"], bn.running_mean.numpy(), atol=1e-12)
        np.testing.assert_allclose(got[r]["running_var"], bn.running_var.numpy(), atol=1e-12)
        assert got[r]["num_batches_tracked"] == 2
        np.testing.assert_allclose(got[r]["eval"], eval_out[cases.rank_slice(r)], atol=1e-10)


# ---------------------------------------------------------------- single process
def test_sync_batchnorm_outside_a_process_group_is_batchnorm():
    rng = np.random.default_rng(3)
    xs = rng.standard_normal((6, 3, 4))
    mine, theirs = nn.SyncBatchNorm(3, dtype=gs.float64), torch.nn.SyncBatchNorm(3).double()
    x, tx = gs.tensor(xs, requires_grad=True), torch.tensor(xs, requires_grad=True)
    (mine(x) ** 2).sum().backward()
    (torch.nn.functional.batch_norm(tx, theirs.running_mean, theirs.running_var, theirs.weight,
                                    theirs.bias, True, 0.1, 1e-5) ** 2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(mine.running_var.numpy(), theirs.running_var.numpy(), atol=1e-12)
    np.testing.assert_allclose(mine.running_mean.numpy(), theirs.running_mean.numpy(),
                               atol=1e-12)
    mine.eval()
    theirs.eval()  # (torch's refuses to sync on the CPU; in evaluation it never syncs)
    np.testing.assert_allclose(mine(gs.tensor(xs)).detach().numpy(),
                               theirs(torch.tensor(xs)).detach().numpy(), atol=1e-10)
    assert repr(mine) == repr(theirs)


def test_sync_batchnorm_errors():
    with pytest.raises(ValueError, match=r"SyncBatchNorm: expected at least 2D input \(got 1D"):
        nn.SyncBatchNorm(3)(gs.ones(3))
    with pytest.raises(ValueError, match="SyncBatchNorm: num_features must be a positive"):
        nn.SyncBatchNorm(0)


def test_convert_sync_batchnorm_shares_parameters_and_buffers():
    gs.manual_seed(0)
    inner = nn.Sequential(nn.Conv2d(2, 4, 3), nn.BatchNorm2d(4, momentum=0.3))
    model = nn.Sequential(nn.BatchNorm1d(2, affine=False), inner).eval()
    old_bn, old_inner_bn = model[0], inner[1]
    converted = nn.SyncBatchNorm.convert_sync_batchnorm(model, process_group="pg")
    assert converted is model and isinstance(model[0], nn.SyncBatchNorm)
    new = model[1][1]
    assert isinstance(new, nn.SyncBatchNorm) and model[1][0].__class__ is nn.Conv2d
    assert new.weight is old_inner_bn.weight and new.running_mean is old_inner_bn.running_mean
    assert new.momentum == 0.3 and new.process_group == "pg" and not new.training
    assert model[0].weight is None and model[0].running_var is old_bn.running_var
    single = nn.SyncBatchNorm.convert_sync_batchnorm(nn.BatchNorm1d(3))
    assert type(single) is nn.SyncBatchNorm
    tmodel = torch.nn.SyncBatchNorm.convert_sync_batchnorm(
        torch.nn.Sequential(torch.nn.BatchNorm1d(2, affine=False)))
    assert list(tmodel.state_dict()) == ["0." + k for k in model[0].state_dict()]


def test_ddp_needs_a_process_group():
    if gs.distributed.is_initialized():
        pytest.skip("a process group is up in this process")
    with pytest.raises(RuntimeError, match="Default process group has not been initialized"):
        DistributedDataParallel(nn.Linear(2, 2))


def test_ddp_bad_arguments():
    with pytest.raises(ValueError, match="need to be set at the same time"):
        DistributedDataParallel(nn.Linear(2, 2), delay_all_reduce_named_params=[])
    with pytest.raises(ValueError, match="device_ids and output_device arguments only work"):
        DistributedDataParallel(nn.Linear(2, 2), device_ids=[0])
    with pytest.raises(TypeError, match="module must be a gradsheet.nn.Module"):
        DistributedDataParallel(lambda x: x)
