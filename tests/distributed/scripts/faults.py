"""Rank script (mpiexec -n 2): after one good all_reduce, rank 1 fails, by the mode in argv[1]:

- raise: an uncaught exception (the hook aborts the job, naming rank 1);
- kill: SIGKILL to itself (its monitor names it; mpiexec ends the others);
- stuck: it sleeps instead of joining the next all_reduce (rank 0's collective times out after
  argv[2] seconds and names rank 1 as the one that did not arrive).
Rank 0 meanwhile waits in all_reduce. "SURVIVED" is printed by a rank that got past it.
"""
import os
import signal
import sys
import time

import numpy as np

import gradsheet.distributed as dist

mode = sys.argv[1]
timeout = float(sys.argv[2]) if len(sys.argv) > 2 else None
dist.init_process_group("mpi", timeout=timeout)
rank = dist.get_rank()
x = np.ones(4)
dist.all_reduce(x)
print(f"rank {rank} ready", flush=True)
if rank == 1:
    if mode == "raise":
        raise RuntimeError("boom on purpose")
    if mode == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if mode == "stuck":
        time.sleep(120)
dist.all_reduce(x)
print(f"SURVIVED rank {rank}", flush=True)
