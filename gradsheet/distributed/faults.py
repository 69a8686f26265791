"""Faults: a failing rank stops the whole job, named, instead of leaving the others hanging.

Three mechanisms, all installed by ``init_process_group``:

- an exception hook (``sys.excepthook``): an exception that no one caught prints its traceback
  and ``gradsheet.distributed: rank R failed: <exception>``, then calls ``MPI_Abort``, which
  makes the launcher (``mpiexec``) end every rank with a non-zero exit status;
- a timeout on every collective: a collective is started non-blocking (``Iallreduce``,
  ``Ibcast``, ...) and its requests are polled against a deadline (``timeout=`` of
  ``init_process_group``, 300 s by default, or ``GRADSHEET_DISTRIBUTED_TIMEOUT`` seconds).
  While a rank waits it answers the others' "where are you?" queries; at the deadline it asks
  every rank of the group, and the ``DistBackendError`` it raises names the ranks that did not
  answer (dead, or busy outside any collective) and where the others wait;
- a monitor per rank (a ``/bin/sh`` process in a session of its own, reading a pipe): when the
  rank's process ends without saying goodbye (SIGKILL, the out-of-memory killer), the pipe
  closes and the monitor prints ``gradsheet.distributed: rank R failed: ...``. ``mpiexec``
  itself then ends the other ranks, naming only a PID; the first rank to fail claims a file
  named after the job so that the ranks the launcher ends afterwards stay silent.
"""
from __future__ import annotations

import atexit
import os
import socket
import subprocess
import sys
import tempfile
import time
import traceback
from types import TracebackType
from typing import TYPE_CHECKING, Any, Callable, Optional

import numpy as np

if TYPE_CHECKING:
    from .process_group import ProcessGroup

__all__ = ["DistBackendError", "DistError", "DistNetworkError", "DistStoreError"]

DEFAULT_TIMEOUT = 300.0  # seconds a collective waits for the other ranks
SPIN_SECONDS = 0.005  # poll without sleeping this long (small collectives finish in microseconds)
MAX_SLEEP = 0.001  # then sleep between polls, doubling up to this
QUERY_TAG, ANSWER_TAG = 31001, 31002
ABORT_DRAIN_SECONDS = 0.25  # between a failing rank's last message and MPI_Abort


class DistError(RuntimeError):
    """Base class of the errors of ``gradsheet.distributed`` (``torch.distributed.DistError``)."""


class DistBackendError(DistError):
    """The communication backend failed: here, a collective that timed out waiting for ranks
    (``torch.distributed.DistBackendError``)."""


class DistNetworkError(DistError):
    """A network error (``torch.distributed.DistNetworkError``); MPI reports its own."""


class DistStoreError(DistError):
    """A key-value store error (``torch.distributed.DistStoreError``); MPI needs no store."""


# ---------------------------------------------------------------- waiting with a deadline
def wait(group: ProcessGroup, requests: list[Any], op: str, deadline: float,
         statuses: Optional[list[Any]] = None) -> None:
    """Poll ``requests`` (mpi4py Requests of one collective on ``group``) until all complete
    (filling ``statuses``, a list of MPI.Status, when given); at ``deadline`` (time.monotonic)
    raise DistBackendError naming the missing ranks."""
    MPI = group.MPI
    if MPI.Request.Testall(requests, statuses):
        return
    outer, group.current = group.current, group.op_index(op)
    try:
        _poll(group, requests, op, deadline, statuses)
    finally:
        group.current = outer


def _poll(group: ProcessGroup, requests: list[Any], op: str, deadline: float,
          statuses: Optional[list[Any]]) -> None:
    MPI = group.MPI
    spin_until = time.monotonic() + SPIN_SECONDS
    delay = 5e-5
    while True:
        if MPI.Request.Testall(requests, statuses):
            return
        now = time.monotonic()
        if now < spin_until:
            continue
        if now >= deadline:
            raise DistBackendError(timeout_message(group, op))
        answer_queries(group)
        time.sleep(delay)
        delay = min(MAX_SLEEP, delay * 2)


def answer_queries(group: ProcessGroup) -> None:
    """Answer every pending "where are you?" query of group's other ranks: (their query's
    sequence number, this rank's collective number, its name)."""
    MPI, diag = group.MPI, group.diag
    status = MPI.Status()
    while diag.Iprobe(source=MPI.ANY_SOURCE, tag=QUERY_TAG, status=status):
        query = np.empty(1, dtype=np.int64)
        source = status.Get_source()
        diag.Recv([query, MPI.INT64_T], source=source, tag=QUERY_TAG)
        answer = np.array([query[0], group.seq, group.op_code()], dtype=np.int64)
        group.keep.append((answer, diag.Isend([answer, MPI.INT64_T], dest=source, tag=ANSWER_TAG)))
    if len(group.keep) > 64:  # the answers' buffers live until their sends complete
        group.keep[:] = [(a, r) for a, r in group.keep if not r.Test()]


def ask_peers(group: ProcessGroup, grace: float) -> dict[int, tuple[int, str]]:
    """{group rank: (collective number, collective name)} of the ranks that answer within
    ``grace`` seconds: the ranks waiting in some collective of this group."""
    MPI, diag = group.MPI, group.diag
    me = group.comm.Get_rank()
    token = group.seq * 1000 + me  # echoed back: an answer to an older query is ignored
    query = np.array([token], dtype=np.int64)
    others = [r for r in range(group.comm.Get_size()) if r != me]
    sends = [diag.Isend([query, MPI.INT64_T], dest=r, tag=QUERY_TAG) for r in others]
    group.keep.extend((query, s) for s in sends)
    answers: dict[int, tuple[int, str]] = {}
    status = MPI.Status()
    deadline = time.monotonic() + grace
    while len(answers) < len(others) and time.monotonic() < deadline:
        answer_queries(group)
        while diag.Iprobe(source=MPI.ANY_SOURCE, tag=ANSWER_TAG, status=status):
            answer = np.empty(3, dtype=np.int64)
            source = status.Get_source()
            diag.Recv([answer, MPI.INT64_T], source=source, tag=ANSWER_TAG)
            if answer[0] == token:
                answers[source] = (int(answer[1]), group.op_name(int(answer[2])))
        time.sleep(0.01)
    return answers


def timeout_message(group: ProcessGroup, op: str) -> str:
    """What a collective that timed out says: the timeout, the collective, and the ranks that
    did not arrive (as far as this rank can tell)."""
    me = group.comm.Get_rank()
    answers = ask_peers(group, grace=min(2.0, max(0.5, group.timeout / 4)))
    missing = [group.ranks[r] for r in range(group.comm.Get_size()) if r != me and r not in answers]
    where = [f"rank {group.ranks[r]} waits in {name} (collective #{seq})"
             for r, (seq, name) in sorted(answers.items()) if seq != group.seq]
    text = (f"{op}: timed out after {group.timeout:g} s on {group.describe()} (collective "
            f"#{group.seq} of rank {group.ranks[me]}): ")
    if missing:
        text += (f"rank(s) {missing} did not arrive (dead, or busy outside any collective of "
                 f"this group)")
    else:
        text += "every rank answered, but the collective did not complete"
    if where:
        text += "; " + ", ".join(where) + " (the ranks called different collectives)"
    return text + "; the timeout is init_process_group's timeout= (or GRADSHEET_DISTRIBUTED_TIMEOUT)"


# ---------------------------------------------------------------- the exception hook
class _Hook:
    """The installed hook's state: the previous hook, the job's claim file, the MPI module."""
    previous: Optional[Callable[[type[BaseException], BaseException, Optional[TracebackType]],
                                Any]] = None
    MPI: Any = None
    rank: Optional[int] = None
    pid: Optional[int] = None
    claim: Optional[str] = None
    monitor: Optional[subprocess.Popen[bytes]] = None


def _claim() -> bool:
    """True for the first rank of the job to fail (on this host): it creates the claim file."""
    try:
        assert _Hook.claim is not None  # install() names the claim file
        with open(_Hook.claim, "x"):
            pass
        return True
    except OSError:
        return False


def _excepthook(kind: type[BaseException], value: BaseException,
                tb: Optional[TracebackType]) -> Any:
    """Print the traceback and ``gradsheet.distributed: rank R failed: ...``, then MPI_Abort."""
    if _Hook.MPI is None or os.getpid() != _Hook.pid:  # uninstalled, or a forked child
        return (_Hook.previous or sys.__excepthook__)(kind, value, tb)
    first = _claim() if _Hook.claim else True
    _goodbye("claimed" if first else "ok")
    try:
        (_Hook.previous or traceback.print_exception)(kind, value, tb)
    except Exception:
        traceback.print_exception(kind, value, tb)
    detail = "".join(traceback.format_exception_only(kind, value)).strip()
    if first:
        print(f"gradsheet.distributed: rank {_Hook.rank} failed: {detail}", file=sys.stderr)
    else:
        print(f"gradsheet.distributed: rank {_Hook.rank} stopped after another rank's failure: "
              f"{detail}", file=sys.stderr)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    # mpiexec forwards each rank's output through a pipe; MPI_Abort tears the job down at once,
    # and the line just written could be lost with the pipe (seen 1 run in ~20): let it drain
    time.sleep(ABORT_DRAIN_SECONDS)
    _Hook.MPI.COMM_WORLD.Abort(1)


def install(MPI: Any, rank: int, token: str) -> None:
    """Install the exception hook and start this rank's monitor (when there are other ranks)."""
    _Hook.MPI, _Hook.rank, _Hook.pid = MPI, rank, os.getpid()
    _Hook.claim = os.path.join(tempfile.gettempdir(), f"gradsheet-distributed-{token}.failed")
    if sys.excepthook is not _excepthook:
        _Hook.previous = sys.excepthook
        sys.excepthook = _excepthook
    if MPI.COMM_WORLD.Get_size() > 1:
        _Hook.monitor = _start_monitor(rank)


def uninstall() -> None:
    """Restore the previous exception hook; tell the monitor that this rank ended well."""
    _goodbye()
    if sys.excepthook is _excepthook:
        sys.excepthook = _Hook.previous or sys.__excepthook__
    _Hook.previous = _Hook.MPI = None


# The monitor reads one line: "ok" (the rank ended in Python's hands), "claimed" (it failed and
# claimed the job's failure file: remove it later), or end of file (the process died).
_MONITOR = r"""
IFS= read -r line
case "$line" in
  ok) exit 0 ;;
  claimed) ;;
  *)
    ( set -C; : > "$4" ) 2>/dev/null || exit 0
    echo "gradsheet.distributed: rank $1 failed: its process (pid $2 on $3) ended abruptly, \
without an exception (killed by a signal: SIGKILL, the out-of-memory killer, ...)" >&2 ;;
esac
( sleep 120; rm -f "$4" ) </dev/null >/dev/null 2>&1 &
"""


def _start_monitor(rank: int) -> Optional[subprocess.Popen[bytes]]:
    """A /bin/sh process, in a session of its own, that reports this rank's abrupt end."""
    if not os.path.exists("/bin/sh"):
        return None
    assert _Hook.claim is not None  # install() names the claim file first
    try:
        monitor = subprocess.Popen(
            ["/bin/sh", "-c", _MONITOR, "gradsheet-monitor", str(rank), str(os.getpid()),
             socket.gethostname(), _Hook.claim],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, start_new_session=True)
    except OSError:
        return None
    return monitor


def _goodbye(word: str = "ok") -> None:
    """Tell the monitor that this rank ends in Python's hands (an exit or an exception)."""
    if os.getpid() != _Hook.pid:  # a forked child (a DataLoader worker) is not the rank
        return
    monitor, _Hook.monitor = _Hook.monitor, None
    if monitor is None:
        return
    try:
        assert monitor.stdin is not None  # started with stdin=PIPE
        monitor.stdin.write(word.encode() + b"\n")
        monitor.stdin.close()
        monitor.wait(timeout=5)
    except (OSError, subprocess.TimeoutExpired, ValueError):
        pass


atexit.register(_goodbye)
