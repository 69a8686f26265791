"""Rank script (mpiexec -n N): every collective against a NumPy reference computed from the
data every rank can rebuild (rank k's data is drawn from seed k), then the bad-input checks,
the debug mode's mismatch errors, DistributedSampler on the group, destroy and re-init.

Prints "CHECK <name>" after each group of checks and "DONE rank r" at the end; a failed
assertion aborts the job through gradsheet.distributed's exception hook.
"""
import os
import re
import sys

import numpy as np

import gradsheet as gs
import gradsheet.distributed as dist

R = dist.ReduceOp
REFERENCE = {R.SUM: np.sum, R.PRODUCT: np.prod, R.MAX: np.max, R.MIN: np.min}


def raises(kind, pattern, f, *args, **kwargs):
    try:
        f(*args, **kwargs)
    except kind as error:
        assert re.search(pattern, str(error)), f"{kind.__name__} {error!r} does not match {pattern!r}"
        return str(error)
    raise AssertionError(f"{getattr(f, '__name__', f)} did not raise {kind.__name__} ({pattern})")


def check(name):
    print(f"CHECK {name} rank {rank}", flush=True)


def data(k, shape, dtype, seed=0):
    """Rank k's values: small integers (products and sums stay exact), as dtype."""
    rng = np.random.default_rng(1000 * seed + k)
    if np.dtype(dtype) == np.bool_:
        return rng.random(shape) < 0.5
    return rng.integers(-3, 4, size=shape).astype(dtype)


def equal(actual, expected, dtype):
    actual = actual.array if isinstance(actual, gs.Tensor) else actual
    assert actual.dtype == np.dtype(dtype), (actual.dtype, dtype)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    tol = 1e-3 if np.dtype(dtype) == np.float16 else 1e-6
    if np.dtype(dtype).kind == "f":
        np.testing.assert_allclose(actual, expected, rtol=tol, atol=tol)
    else:
        np.testing.assert_array_equal(actual, expected)


# ---------------------------------------------------------------- before init: bad arguments
raises(ValueError, "init_process_group: world_size=5 but MPI", dist.init_process_group, world_size=5)
os.environ["RANK"] = "7"
raises(ValueError, r"RANK \(environment\)=7", dist.init_process_group, "mpi", "env://")
del os.environ["RANK"]
raises(ValueError, "backend 'nccl' is not available", dist.init_process_group, "nccl")
assert not dist.is_initialized()

dist.init_process_group("mpi", init_method="env://")
assert dist.is_initialized() and dist.is_available() and dist.is_mpi_available()
rank, n = dist.get_rank(), dist.get_world_size()
from mpi4py import MPI  # noqa: E402
assert (rank, n) == (MPI.COMM_WORLD.Get_rank(), MPI.COMM_WORLD.Get_size())
assert dist.get_backend() == "mpi" and dist.group.WORLD is dist.GroupMember.WORLD
assert dist.get_process_group_ranks(dist.group.WORLD) == list(range(n))
raises(ValueError, "initialize the default process group twice", dist.init_process_group)
check("init")

DTYPES = ("float32", "float64", "int64")
# ---------------------------------------------------------------- all_reduce
for dtype in DTYPES + ("int32", "float16"):
    for op in (R.SUM, R.AVG, R.PRODUCT, R.MAX, R.MIN):
        shape = (3, 4)
        every = np.stack([data(k, shape, dtype) for k in range(n)])
        if op is R.AVG:
            total = every.astype(np.float64).sum(0) / n
            expected = np.trunc(total) if np.dtype(dtype).kind == "i" else total
        else:
            expected = REFERENCE[op](every.astype(np.float64 if dtype == "float16" else dtype), 0)
        expected = expected.astype(dtype)
        t = gs.tensor(data(rank, shape, dtype))
        version = t._version
        assert dist.all_reduce(t, op=op) is None
        equal(t, expected, dtype)
        assert t._version == version + 1  # counted as an in-place change
        a = data(rank, shape, dtype)  # a NumPy array, in place too
        dist.all_reduce(a, op)
        equal(a, expected, dtype)
        # non-contiguous: a transposed Tensor view and a strided array slice write back in place
        base = gs.tensor(np.ascontiguousarray(data(rank, shape, dtype).T))
        view = base.T
        assert not view.array.flags.c_contiguous
        dist.all_reduce(view, op=op)
        equal(view, expected, dtype)
        equal(base, expected.T, dtype)
        wide = np.zeros((3, 8), dtype=dtype)
        wide[:, ::2] = data(rank, shape, dtype)
        dist.all_reduce(wide[:, ::2], op)
        equal(wide[:, ::2], expected, dtype)
        assert not wide[:, 1::2].any()
# bool: SUM / MAX are OR, PRODUCT / MIN are AND
for op, ref in ((R.SUM, np.any), (R.MAX, np.any), (R.MIN, np.all), (R.PRODUCT, np.all)):
    b = data(rank, (5,), np.bool_)
    dist.all_reduce(b, op)
    equal(b, ref(np.stack([data(k, (5,), np.bool_) for k in range(n)]), 0), np.bool_)
# bitwise ops on integers, 0-d and zero-size tensors
for op, ref in ((R.BAND, np.bitwise_and.reduce), (R.BOR, np.bitwise_or.reduce),
                (R.BXOR, np.bitwise_xor.reduce)):
    x = data(rank, (6,), np.int64)
    dist.all_reduce(x, op)
    equal(x, ref(np.stack([data(k, (6,), np.int64) for k in range(n)]), axis=0), np.int64)
s = gs.tensor(float(rank + 1), dtype=gs.float64)
dist.all_reduce(s)
equal(s, np.array(n * (n + 1) / 2), np.float64)
z = gs.zeros(0, 3)
dist.all_reduce(z)
assert z.shape == (0, 3)
check("all_reduce")

# ---------------------------------------------------------------- async handles
arrays = [data(rank, (257,), dtype, seed=s) for s, dtype in enumerate(DTYPES)]
works = [dist.all_reduce(a, op=R.SUM, async_op=True) for a in arrays]
assert all(isinstance(w, dist.Work) for w in works)
for w, a, (s, dtype) in zip(works, arrays, enumerate(DTYPES)):
    assert w.wait() is True and w.is_completed() and w.is_success()
    equal(a, np.sum([data(k, (257,), dtype, seed=s) for k in range(n)], 0).astype(dtype), dtype)
t = gs.tensor(data(rank, (4, 6), "float64")).T  # non-contiguous, async: written at wait()
w = dist.all_reduce(t, op=R.MAX, async_op=True)
w.wait()
assert w.result()[0] is t
equal(t, np.max([data(k, (4, 6), "float64") for k in range(n)], 0).T, "float64")
w = dist.broadcast(gs.arange(5.0) * rank, src=n - 1, async_op=True)
while not w.is_completed():
    pass
equal(w.result()[0], np.arange(5.0, dtype=np.float32) * (n - 1), "float32")
w = dist.barrier(async_op=True)
w.wait()
check("async")

# ---------------------------------------------------------------- broadcast, reduce
for dtype in DTYPES:
    for root in range(n):
        t = gs.tensor(data(rank, (2, 3), dtype))
        dist.broadcast(t, src=root)
        equal(t, data(root, (2, 3), dtype), dtype)
        base = data(rank, (3, 4), dtype)
        dist.broadcast(base[:, 1:3], root)  # non-contiguous
        expected = data(rank, (3, 4), dtype)
        expected[:, 1:3] = data(root, (3, 4), dtype)[:, 1:3]
        equal(base, expected, dtype)
        for op in (R.SUM, R.MAX, R.MIN, R.PRODUCT, R.AVG):
            t = gs.tensor(data(rank, (5,), dtype))
            dist.reduce(t, dst=root, op=op)
            every = np.stack([data(k, (5,), dtype) for k in range(n)])
            if rank == root:
                if op is R.AVG:
                    mean = every.astype(np.float64).sum(0) / n
                    expected = (np.trunc(mean) if dtype == "int64" else mean).astype(dtype)
                else:
                    expected = REFERENCE[op](every, 0).astype(dtype)
                equal(t, expected, dtype)
            else:
                equal(t, data(rank, (5,), dtype), dtype)  # left as it was
t = gs.ones(2)
dist.broadcast(t, group_src=0)
check("broadcast_reduce")

# ---------------------------------------------------------------- gathers and scatters
for dtype in DTYPES:
    mine = data(rank, (2, 3), dtype)
    every = np.stack([data(k, (2, 3), dtype) for k in range(n)])
    outs = [gs.zeros(2, 3, dtype=dtype) for _ in range(n)]
    dist.all_gather(outs, gs.tensor(mine))
    for k in range(n):
        equal(outs[k], every[k], dtype)
    cat = gs.zeros(2 * n, 3, dtype=dtype)
    dist.all_gather_into_tensor(cat, gs.tensor(mine).T.T)
    equal(cat, every.reshape(2 * n, 3), dtype)
    stacked = np.zeros((n, 2, 3), dtype=dtype)
    dist.all_gather_into_tensor(stacked, mine)
    equal(stacked, every, dtype)
    big = np.zeros((n * 4, 3), dtype=dtype)
    dist.all_gather_into_tensor(big[::2], mine)  # a strided output, written back
    equal(big[::2], every.reshape(2 * n, 3), dtype)
    for root in range(n):
        gl = [gs.zeros(2, 3, dtype=dtype) for _ in range(n)] if rank == root else None
        dist.gather(gs.tensor(mine), gl, dst=root)
        if rank == root:
            for k in range(n):
                equal(gl[k], every[k], dtype)
        out = gs.zeros(2, 3, dtype=dtype)
        pieces = [gs.tensor(data(10 + k, (2, 3), dtype)) for k in range(n)]
        dist.scatter(out, pieces if rank == root else None, src=root)
        equal(out, data(10 + rank, (2, 3), dtype), dtype)
    for op in (R.SUM, R.MAX, R.MIN, R.PRODUCT, R.AVG):
        inputs = [data(100 * rank + j, (3,), dtype) for j in range(n)]
        table = np.stack([[data(100 * k + j, (3,), dtype) for j in range(n)] for k in range(n)])
        if op is R.AVG:
            mean = table.astype(np.float64).sum(0) / n
            expected = (np.trunc(mean) if dtype == "int64" else mean).astype(dtype)
        else:
            expected = REFERENCE[op](table, 0).astype(dtype)
        out = gs.zeros(3, dtype=dtype)
        dist.reduce_scatter(out, [gs.tensor(x) for x in inputs], op=op)
        equal(out, expected[rank], dtype)
        out = np.zeros(3, dtype=dtype)
        dist.reduce_scatter_tensor(out, np.concatenate(inputs), op=op)
        equal(out, expected[rank], dtype)
        w = dist.reduce_scatter_tensor(out[::-1], np.stack(inputs), op=op, async_op=True)
        w.wait()
        equal(out[::-1], expected[rank], dtype)
    # all_to_all: rank r's block j goes to rank j
    send = np.stack([data(100 * rank + j, (2,), dtype) for j in range(n)])
    out = np.zeros((n, 2), dtype=dtype)
    dist.all_to_all_single(out, send)
    equal(out, np.stack([data(100 * k + rank, (2,), dtype) for k in range(n)]), dtype)
    outs = [gs.zeros(2, dtype=dtype) for _ in range(n)]
    dist.all_to_all(outs, [gs.tensor(x) for x in send])
    for k in range(n):
        equal(outs[k], data(100 * k + rank, (2,), dtype), dtype)
# uneven splits: rank r sends j + 1 rows to rank j
rows = [j + 1 for j in range(n)]
send = np.concatenate([np.full((j + 1, 2), 10 * rank + j, dtype=np.float64) for j in range(n)])
out = np.zeros(((rank + 1) * n, 2))
dist.all_to_all_single(out, send, output_split_sizes=[rank + 1] * n, input_split_sizes=rows)
equal(out, np.concatenate([np.full((rank + 1, 2), 10 * k + rank, dtype=np.float64)
                           for k in range(n)]), "float64")
check("gather_scatter")

# ---------------------------------------------------------------- objects, point to point
objs = [None] * n
dist.all_gather_object(objs, {"rank": rank, "name": "r" * rank, "x": np.arange(rank)})
assert [o["rank"] for o in objs] == list(range(n)) and objs[n - 1]["name"] == "r" * (n - 1)
ol = [1, "two", {"three": 3}] if rank == n - 1 else [None, None, None]
dist.broadcast_object_list(ol, src=n - 1)
assert ol == [1, "two", {"three": 3}]
gl = [None] * n if rank == 0 else None
dist.gather_object(("from", rank), gl, dst=0)
if rank == 0:
    assert gl == [("from", k) for k in range(n)]
out = [None]
dist.scatter_object_list(out, [f"to {k}" for k in range(n)] if rank == 0 else None, src=0)
assert out == [f"to {rank}"]
if n >= 2:
    nxt, prv = (rank + 1) % n, (rank - 1) % n
    y = np.zeros(4)
    w = dist.irecv(y, src=prv, tag=3)
    dist.send(np.arange(4.0) + rank, dst=nxt, tag=3)
    w.wait()
    equal(y, np.arange(4.0) + prv, "float64")
    if rank == 0:
        dist.send(gs.tensor([5, 6]), dst=1)
    elif rank == 1:
        got = gs.zeros(2, dtype=gs.int64)
        assert dist.recv(got) == 0  # any source
        equal(got, np.array([5, 6]), "int64")
check("objects_p2p")

# ---------------------------------------------------------------- groups
g = dist.new_group([0])
if rank == 0:
    assert dist.get_world_size(g) == 1 and dist.get_rank(g) == 0
    t = gs.ones(3)
    dist.all_reduce(t, group=g)
    equal(t, np.ones(3, dtype=np.float32), "float32")
else:
    assert g is dist.GroupMember.NON_GROUP_MEMBER and dist.get_rank(g) == -1
    assert dist.all_reduce(gs.ones(3), group=g) is None
everyone = dist.new_group(list(range(n))[::-1])
assert dist.get_process_group_ranks(everyone) == list(range(n))
t = gs.tensor([float(rank)])
dist.all_reduce(t, group=everyone)
equal(t, np.array([n * (n - 1) / 2], dtype=np.float32), "float32")
check("groups")

# ---------------------------------------------------------------- bad input (each rank alone)
raises(TypeError, "all_reduce: tensor must be a Tensor or a NumPy array, got list",
       dist.all_reduce, [1.0, 2.0])
raises(TypeError, "all_reduce: op must be a ReduceOp", dist.all_reduce, gs.ones(2), op="sum")
raises(TypeError, "MAX is undefined for complex", dist.all_reduce, np.ones(2, np.complex128), R.MAX)
raises(TypeError, "BAND needs an integer", dist.all_reduce, gs.ones(2), R.BAND)
raises(RuntimeError, "read-only", dist.all_reduce, gs.ones(1).expand(3))
raises(RuntimeError, "broadcast: invalid root rank: src=5", dist.broadcast, gs.ones(2), 5)
raises(ValueError, "broadcast: give src=", dist.broadcast, gs.ones(2))
raises(ValueError, r"all_gather: tensor_list has \d+ tensors; it must have one per rank",
       dist.all_gather, [gs.zeros(2)] * (n + 1 if n == 1 else 1), gs.ones(2))
raises(ValueError, r"all_gather: tensor_list\[0\] has shape \(3,\)", dist.all_gather,
       [gs.zeros(3)] * n, gs.ones(2))
raises(ValueError, "all_gather_into_tensor: output_tensor has shape", dist.all_gather_into_tensor,
       gs.zeros(2 * n + 1), gs.ones(2))
raises(ValueError, "must hold", dist.reduce_scatter_tensor, gs.zeros(2), gs.ones(2 * n + 1))
raises(IndexError, "all_gather_object: object_list must be a list with one entry per rank",
       dist.all_gather_object, [], 1)
if n >= 2:
    if rank == 1:
        raises(ValueError, "gather_list`` must NOT be specified on non-destination",
               dist.gather, gs.ones(2), [gs.zeros(2)] * n, dst=0)
    if rank == 0:
        raises(ValueError, "gather_list`` must be specified on destination", dist.gather,
               gs.ones(2), None, 0)
        raises(ValueError, "scatter_list`` must be specified on source", dist.scatter,
               gs.ones(2), None, 0)
    raises(ValueError, "send: Invalid dst rank", dist.send, gs.ones(2), rank)
raises(TypeError, "group must be a ProcessGroup", dist.all_reduce, gs.ones(2), group="world")
check("bad_input")

# ---------------------------------------------------------------- the debug mode
os.environ["GRADSHEET_DISTRIBUTED_DEBUG"] = "1"
if n >= 2:
    def mismatch(pattern, f, *args, **kwargs):
        message = raises(ValueError, pattern, f, *args, **kwargs)
        assert "GRADSHEET_DISTRIBUTED_DEBUG" in message and "rank 0" in message and "rank 1" in message

    shape = (3,) if rank == 0 else (4,)
    like = r"rank 0 has a tensor of shape \(3,\) and dtype float32, rank 1 one of shape \(4,\)"
    mismatch(like, dist.all_reduce, gs.ones(*shape))
    mismatch(like, dist.broadcast, gs.ones(*shape), 0)
    mismatch(like, dist.reduce, gs.ones(*shape), 0)
    mismatch(like, dist.all_gather, [gs.zeros(*shape) for _ in range(n)], gs.ones(*shape))
    mismatch(like, dist.all_gather_into_tensor, gs.zeros(n * shape[0]), gs.ones(*shape))
    mismatch(like, dist.reduce_scatter, gs.zeros(*shape), [gs.ones(*shape)] * n)
    mismatch(like, dist.reduce_scatter_tensor, gs.zeros(*shape), gs.ones(n * shape[0]))
    mismatch(like, dist.gather, gs.ones(*shape), [gs.zeros(*shape) for _ in range(n)]
             if rank == 0 else None, 0)
    mismatch(like, dist.scatter, gs.zeros(*shape), [gs.ones(*shape)] * n if rank == 0 else None, 0)
    mismatch("dtype float32, rank 1 one of shape \\(2,\\) and dtype float64",
             dist.all_reduce, gs.ones(2, dtype=gs.float32 if rank == 0 else gs.float64))
    mismatch("rank 0 passed op=ReduceOp.SUM, rank 1 op=ReduceOp.MAX",
             dist.all_reduce, gs.ones(2), op=R.SUM if rank == 0 else R.MAX)
    mismatch("rank 0 passed src=0, rank 1 src=1", dist.broadcast, gs.ones(2), rank)
    if rank == 0:
        mismatch("rank 0 called all_reduce, rank 1 called broadcast", dist.all_reduce, gs.ones(2))
    else:
        mismatch("rank 0 called all_reduce, rank 1 called broadcast", dist.broadcast, gs.ones(2), 0)
    t = gs.ones(2)  # matching calls still work, checked
    dist.all_reduce(t)
    equal(t, np.full(2, n, dtype=np.float32), "float32")
del os.environ["GRADSHEET_DISTRIBUTED_DEBUG"]
check("debug")

# ---------------------------------------------------------------- DistributedSampler on the group
sampler = gs.utils.data.DistributedSampler(range(11), seed=3)
assert (sampler.num_replicas, sampler.rank) == (n, rank)
for epoch in (0, 1):
    sampler.set_epoch(epoch)
    shares = [None] * n
    dist.all_gather_object(shares, list(sampler))
    merged = [shares[k][i] for i in range(len(shares[0])) for k in range(n)]  # order[r::n]
    assert sorted(merged[:11]) == list(range(11)), merged
    assert merged[11:] == merged[:len(merged) - 11]  # padded with the first indices
    orders = [None] * n
    dist.all_gather_object(orders, np.random.default_rng(3 + epoch).permutation(11).tolist())
    assert merged[:11] == orders[0]
check("sampler")

# ---------------------------------------------------------------- destroy and init again
dist.destroy_process_group()
assert not dist.is_initialized() and dist.group.WORLD is None
raises(RuntimeError, "all_reduce: .*init_process_group", dist.all_reduce, gs.ones(1))
dist.init_process_group(backend="gloo", timeout=__import__("datetime").timedelta(seconds=60))
assert dist.get_backend() == "gloo" and dist.group.WORLD.timeout == 60
t = gs.ones(1)
dist.all_reduce(t)
equal(t, np.full(1, n, dtype=np.float32), "float32")
dist.barrier()
dist.destroy_process_group()
print(f"DONE rank {rank}", flush=True)
sys.exit(0)
