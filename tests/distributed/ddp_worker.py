"""Run by test_ddp.py as ``mpiexec -n 2 python ddp_worker.py OUTDIR``: every DDP and
SyncBatchNorm case on 2 ranks, each rank pickling what it saw to OUTDIR/rank<r>.pkl."""
import os
import pickle
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import ddp_cases as cases  # noqa: E402

import gradsheet as gs  # noqa: E402
import gradsheet.distributed as dist  # noqa: E402
from gradsheet import nn  # noqa: E402
from gradsheet.nn.parallel import DistributedDataParallel as DDP  # noqa: E402
from gradsheet.nn.parallel import _comm  # noqa: E402

dist.init_process_group("mpi")
rank = dist.get_rank()
out = {"world": dist.get_world_size()}


def error_of(fn):
    try:
        fn()
    except Exception as error:  # noqa: BLE001 (the message is what the test checks)
        return f"{type(error).__name__}: {error}"
    return None


# ---- ranks started from different seeds are identical after wrapping
model = cases.mlp(cases.SEED0 + rank)
out["seeds/before"] = cases.weights(model)
ddp = DDP(model)
out["seeds/after"] = cases.weights(model)
out["state_dict_keys"] = list(ddp.state_dict())
out["module_is_model"] = ddp.module is model

# ---- 2 x 32 with DistributedSampler == 1 x 64, SGD with momentum and Adam, tiny and large buckets
events = []
real_all_reduce = _comm.all_reduce_sum


def logged_all_reduce(array, group=None, async_op=False):
    events.append(("launch", array.size))
    return real_all_reduce(array, group, async_op)


for kind in ("sgd", "adam"):
    for cap in (cases.TINY_MB, cases.LARGE_MB):
        model = cases.mlp(cases.SEED0 + rank)
        ddp = DDP(model, bucket_cap_mb=cap)
        opt = cases.optimizer(kind, ddp.parameters())
        batches = list(cases.loader(rank))
        cases.train(ddp, opt, batches[:-1])
        # the last step watched: when each gradient is ready, when each bucket starts
        events.clear()
        handles = [p.register_post_accumulate_grad_hook(
            lambda p, name=name: events.append(("ready", name)))
            for name, p in model.named_parameters()]
        _comm.all_reduce_sum = logged_all_reduce
        x, y = batches[-1]
        opt.zero_grad()
        nn.functional.mse_loss(ddp(x), y).backward()
        _comm.all_reduce_sum = real_all_reduce
        for handle in handles:
            handle.remove()
        grads = {n: p.grad.numpy().copy() for n, p in model.named_parameters()}
        opt.step()
        out[f"train/{kind}/{cap}"] = {
            "weights": cases.weights(model), "grads": grads, "events": list(events),
            "buckets": [[ddp._param_names[i] for i in b.indices] for b in ddp._buckets]}

# ---- gradient_as_bucket_view and static_graph train the same
for flag in ("gradient_as_bucket_view", "static_graph"):
    model = cases.mlp(cases.SEED0 + rank)
    ddp = DDP(model, bucket_cap_mb=cases.TINY_MB, **{flag: True})
    opt = cases.optimizer("sgd", ddp.parameters())
    cases.train(ddp, opt, list(cases.loader(rank))[:4])
    views = [any(np.shares_memory(p.grad.array, b.flat) for b in ddp._buckets)
             for p in model.parameters()]
    out[f"flag/{flag}"] = {"weights": cases.weights(model), "views": views}

# ---- delay_all_reduce_named_params: 0.weight out of the buckets, averaged when 0.bias is ready
model = cases.mlp(cases.SEED0 + rank)
ddp = DDP(model, bucket_cap_mb=cases.TINY_MB,
          delay_all_reduce_named_params=[("0.weight", model[0].weight)],
          param_to_hook_all_reduce=model[0].bias)
opt = cases.optimizer("sgd", ddp.parameters())
cases.train(ddp, opt, list(cases.loader(rank))[:4])
out["flag/delay_all_reduce_named_params"] = {
    "weights": cases.weights(model),
    "buckets": [[ddp._param_names[i] for i in b.indices] for b in ddp._buckets]}

# ---- no_sync: 2 micro-batches of 16 accumulated == one batch
model = cases.mlp(cases.SEED0 + rank)
ddp = DDP(model, bucket_cap_mb=cases.TINY_MB)
opt = cases.optimizer("sgd", ddp.parameters())
launches = []
_comm.all_reduce_sum = lambda a, group=None, async_op=False: (
    launches.append(a.size), real_all_reduce(a, group, async_op))[1]
cases.train(ddp, opt, list(cases.loader(rank))[:3], micro=2, no_sync=ddp.no_sync)
_comm.all_reduce_sum = real_all_reduce
out["no_sync"] = {"weights": cases.weights(model), "launches": len(launches),
                  "buckets": len(ddp._buckets)}

# ---- find_unused_parameters: a layer no rank uses, then one only rank 0 uses
model = cases.Branchy(cases.SEED0)
ddp = DDP(model, bucket_cap_mb=cases.TINY_MB, find_unused_parameters=True)
opt = cases.optimizer("sgd", ddp.parameters())
batches = list(cases.loader(rank))
cases.train(ddp, opt, batches[:3])
unused = {"weights": cases.weights(model), "extra_grad": model.extra.weight.grad}
opt.zero_grad()
x, y = batches[3]
nn.functional.mse_loss(ddp(x, use_extra=rank == 0), y).backward()
unused["half"] = {n: p.grad.numpy().copy() for n, p in model.named_parameters()}
out["unused"] = unused

# ... and without find_unused_parameters the next forward names the parameter
ddp = DDP(cases.Branchy(cases.SEED0))
nn.functional.mse_loss(ddp(x), y).backward()
out["unused_error"] = error_of(lambda: ddp(x))

# ---- buffers: rank 0's broadcast before each forward
model = cases.mlp(cases.SEED0, batchnorm=True)
ddp = DDP(model)
if rank == 1:
    model[2].running_mean.array[...] = 7.0
ddp.eval()
ddp(batches[0][0])
out["buffers"] = model[2].running_mean.numpy().copy()

# ---- DDP over a converted SyncBatchNorm model == BatchNorm on the whole batch
model = nn.SyncBatchNorm.convert_sync_batchnorm(cases.mlp(cases.SEED0 + rank, batchnorm=True))
out["converted_type"] = type(model[2]).__name__
ddp = DDP(model, bucket_cap_mb=cases.TINY_MB)
opt = cases.optimizer("sgd", ddp.parameters())
cases.train(ddp, opt, batches[:5])
out["ddp_syncbn"] = cases.weights(model)

# ---- SyncBatchNorm alone: uneven split 5 + 3, (N, C, H, W) and (N, C)
for shape, momentum in (((3, 4, 5), 0.3), ((4,), None)):
    channels = shape[0]
    bn = nn.SyncBatchNorm(channels, momentum=momentum, dtype=gs.float64)
    w, b = cases.bn_params(channels)
    bn.weight.array[...] = w
    bn.bias.array[...] = b
    record = {}
    for step in range(2):
        xs, gs_up = cases.syncbn_inputs(shape, seed=step)
        x = gs.tensor(xs[cases.rank_slice(rank)], requires_grad=True)
        bn.weight.grad = bn.bias.grad = None
        y = bn(x)
        (y * gs.tensor(gs_up[cases.rank_slice(rank)])).sum().backward()
        record[step] = {"y": y.detach().numpy().copy(), "dx": x.grad.numpy().copy(),
                        "dw": bn.weight.grad.numpy().copy(), "db": bn.bias.grad.numpy().copy()}
    record["running_mean"] = bn.running_mean.numpy().copy()
    record["running_var"] = bn.running_var.numpy().copy()
    record["num_batches_tracked"] = int(bn.num_batches_tracked.item())
    bn.eval()
    xs, _ = cases.syncbn_inputs(shape, seed=5)
    record["eval"] = bn(gs.tensor(xs[cases.rank_slice(rank)])).detach().numpy().copy()
    out[f"syncbn/{len(shape) + 1}d"] = record

# ---- a model that differs across ranks: every rank raises, naming it
gs.manual_seed(0)
other = nn.Sequential(nn.Linear(6, 16), nn.Linear(16, 17 if rank == 1 else 16)).double()
out["mismatch/shape"] = error_of(lambda: DDP(other))
layers = [nn.Linear(6, 16), nn.Linear(16, 16)] + ([nn.Linear(16, 2)] if rank == 0 else [])
out["mismatch/count"] = error_of(lambda: DDP(nn.Sequential(*layers)))

dist.barrier()
with open(os.path.join(sys.argv[1], f"rank{rank}.pkl"), "wb") as f:
    pickle.dump(out, f)
print(f"rank {rank} done", flush=True)
