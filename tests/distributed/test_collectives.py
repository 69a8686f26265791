"""gradsheet.distributed on 2 MPI processes: every collective against NumPy (scripts/
collectives.py, one launch), faults (a rank that raises, one killed with SIGKILL, one that
never arrives), and, in this process, the calls before init, a missing mpi4py, the signatures
against torch.distributed's and the dist extra."""
import inspect
import re
import subprocess
import sys
import tomllib

import numpy as np
import pytest

import gradsheet as gs
import gradsheet.distributed as dist
from gradsheet.distributed import process_group

from .mpi import ROOT, find_mpiexec, launch

SECTIONS = ("init", "all_reduce", "async", "broadcast_reduce", "gather_scatter", "objects_p2p",
            "groups", "bad_input", "debug", "sampler")


def test_every_collective_against_numpy_on_two_ranks():
    code, output, _ = launch("collectives.py")
    assert code == 0, output
    for rank in (0, 1):
        for section in SECTIONS:
            assert f"CHECK {section} rank {rank}" in output, (section, output)
        assert f"DONE rank {rank}" in output, output


@pytest.mark.parametrize("mode, said", [
    ("raise", "gradsheet.distributed: rank 1 failed: RuntimeError: boom on purpose"),
    ("kill", "gradsheet.distributed: rank 1 failed: its process (pid "),
])
def test_a_failing_rank_ends_the_job_naming_it(mode, said):
    code, output, seconds = launch("faults.py", mode, 60, timeout=60)
    assert code != 0, output
    assert seconds < 30, (seconds, output)
    assert said in output, output
    assert output.count("rank 1 ready") == 1 and "SURVIVED" not in output, output
    assert "rank 0 failed" not in output  # the rank the launcher ended afterwards stays quiet


def test_a_rank_that_never_arrives_times_out_the_others():
    code, output, seconds = launch("faults.py", "stuck", 3, timeout=60)
    assert code != 0, output
    assert seconds < 30, (seconds, output)
    assert re.search(r"gradsheet.distributed: rank 0 failed: \S*DistBackendError: all_reduce: timed "
                     r"out after 3 s on the default group .*rank\(s\) \[1\] did not arrive", output), output
    assert "SURVIVED" not in output, output


def test_a_killed_rank_ends_the_job_when_the_launcher_does_not_end_the_others():
    # MPICH's mpiexec ends every rank when one dies; with -disable-auto-cleanup it only signals
    # the survivors (SIGUSR1, whose default action ends them) and the survivors' collective
    # timeout is the last resort: either way the job ends, naming the killed rank
    version = subprocess.run([find_mpiexec(), "--version"], capture_output=True, text=True).stdout
    if "HYDRA" not in version:
        pytest.skip("-disable-auto-cleanup is an option of MPICH's mpiexec (Hydra)")
    code, output, seconds = launch("faults.py", "kill", 3, timeout=60,
                                   mpiexec_options=["-disable-auto-cleanup"])
    assert code != 0, output
    assert seconds < 30, (seconds, output)
    assert "gradsheet.distributed: rank 1 failed: its process (pid " in output, output
    assert "SURVIVED" not in output and "rank 0 failed" not in output, output
    timed_out = re.search(r"DistBackendError: all_reduce: timed out after 3 s .*rank\(s\) \[1\] did "
                          r"not arrive", output)
    assert timed_out or "signal" in output, output


def test_without_mpiexec_the_launch_fails_instead_of_skipping(tmp_path):
    with pytest.raises(pytest.fail.Exception, match=r"mpiexec not found.*gradsheet\[dist\]"):
        find_mpiexec(executable=str(tmp_path / "python"), path=str(tmp_path))


def test_the_dist_extra_brings_mpi_and_the_dev_extra_installs_it():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    names = {re.split(r"[<>=\[ ]", r)[0] for r in extras["dist"]}
    assert names == {"mpi4py", "mpich"}
    dev = {re.split(r"[<>=\[ ]", r)[0] for r in extras["dev"]}
    assert names <= dev
    assert re.search(r"pip install .*-e \"\.\[[^\]]*\bdev\b", (ROOT / "Makefile").read_text())
    assert find_mpiexec()  # in this environment (CI's: make test), mpiexec is there


def test_mpi4py_missing_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "mpi4py", None)
    monkeypatch.setitem(sys.modules, "mpi4py.MPI", None)
    assert not dist.is_available() and not dist.is_mpi_available()
    with pytest.raises(ImportError, match=r'init_process_group: .*pip install "gradsheet\[dist\]"'):
        dist.init_process_group("mpi")
    assert not dist.is_initialized()


BEFORE_INIT = [
    ("all_reduce", lambda: dist.all_reduce(gs.ones(2))),
    ("broadcast", lambda: dist.broadcast(gs.ones(2), 0)),
    ("all_gather", lambda: dist.all_gather([gs.ones(2)], gs.ones(2))),
    ("all_gather_into_tensor", lambda: dist.all_gather_into_tensor(gs.ones(2), gs.ones(2))),
    ("all_gather_object", lambda: dist.all_gather_object([None], 1)),
    ("broadcast_object_list", lambda: dist.broadcast_object_list([1], 0)),
    ("reduce", lambda: dist.reduce(np.ones(2), 0)),
    ("reduce_scatter", lambda: dist.reduce_scatter(gs.ones(2), [gs.ones(2)])),
    ("reduce_scatter_tensor", lambda: dist.reduce_scatter_tensor(gs.ones(2), gs.ones(2))),
    ("gather", lambda: dist.gather(gs.ones(2), None, 0)),
    ("scatter", lambda: dist.scatter(gs.ones(2), None, 0)),
    ("all_to_all_single", lambda: dist.all_to_all_single(gs.ones(2), gs.ones(2))),
    ("barrier", lambda: dist.barrier()),
    ("isend", lambda: dist.send(gs.ones(2), 1)),
    ("recv", lambda: dist.recv(gs.ones(2), 0)),
    ("get_rank", lambda: dist.get_rank()),
    ("get_world_size", lambda: dist.get_world_size()),
    ("get_backend", lambda: dist.get_backend()),
    ("new_group", lambda: dist.new_group([0])),
    ("destroy_process_group", lambda: dist.destroy_process_group()),
    ("DistributedSampler", lambda: gs.utils.data.DistributedSampler(range(4))),
]


@pytest.mark.parametrize("name, call", BEFORE_INIT, ids=[n for n, _ in BEFORE_INIT])
def test_calls_before_init_name_the_call_and_init_process_group(name, call):
    assert not dist.is_initialized()
    pattern = r"init_process_group\(\) first" if name == "DistributedSampler" else \
        rf"^{name}: .*init_process_group\(\) first"
    with pytest.raises(RuntimeError, match=pattern) as error:
        call()
    assert isinstance(error.value, ValueError)  # torch raises ValueError: both catch it


def _comparable(default):
    if default is inspect.Parameter.empty or default is None or isinstance(default, (str, bool, int)):
        return default
    if hasattr(default, "value") and isinstance(getattr(default, "value"), int):
        return int(default.value)
    return type(default).__name__


def test_signatures_match_torch_distributed():
    torch = pytest.importorskip("torch")
    import torch.distributed as tdist
    compared = []
    for name in dist.__all__:
        ours, theirs = getattr(dist, name), getattr(tdist, name, None)
        if theirs is None or not inspect.isfunction(ours):
            continue
        try:
            want = inspect.signature(theirs)
        except (TypeError, ValueError):
            continue
        got = inspect.signature(ours)
        expected = [(p.name, p.kind, _comparable(p.default))
                    for p in want.parameters.values() if not p.name.startswith("_")]
        actual = [(p.name, p.kind, _comparable(p.default)) for p in got.parameters.values()]
        assert actual == expected, (name, got, want)
        compared.append(name)
    for name in ("init_process_group", "all_reduce", "broadcast", "all_gather", "reduce",
                 "reduce_scatter", "reduce_scatter_tensor", "gather", "scatter", "barrier",
                 "all_gather_into_tensor", "all_gather_object", "broadcast_object_list", "send",
                 "recv", "new_group", "get_rank", "get_world_size", "destroy_process_group"):
        assert name in compared, name
    assert {k: int(v) for k, v in tdist.ReduceOp.RedOpType.__members__.items()} == \
        {k: int(v) for k, v in dist.ReduceOp.RedOpType.__members__.items()}
    assert dist.ReduceOp.SUM == tdist.ReduceOp.SUM.value and dist.Backend("MPI") == tdist.Backend.MPI
    assert inspect.signature(gs.utils.data.DistributedSampler).parameters.keys() == \
        inspect.signature(torch.utils.data.DistributedSampler).parameters.keys()
    for cls in ("DistError", "DistBackendError"):
        assert issubclass(getattr(dist, cls), RuntimeError)


def test_timeouts_and_backends_are_checked_before_mpi_starts(monkeypatch):
    with pytest.raises(ValueError, match="init_process_group: backend 'nccl' is not available"):
        dist.init_process_group("nccl")
    with pytest.raises(ValueError, match="timeout must be positive"):
        dist.init_process_group(timeout=0)
    with pytest.raises(TypeError, match="timeout must be a datetime.timedelta"):
        dist.init_process_group(timeout="5")
    monkeypatch.setenv("GRADSHEET_DISTRIBUTED_TIMEOUT", "soon")
    with pytest.raises(ValueError, match="GRADSHEET_DISTRIBUTED_TIMEOUT='soon'"):
        dist.init_process_group()
    assert "mpi4py.MPI" not in sys.modules or process_group.GroupMember.WORLD is None
