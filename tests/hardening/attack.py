"""The attack harness: run a call under a time bound and classify what came back.

A case passes when the call returns (a result, compared with torch's where the case asks) or
raises a *named* error: TypeError, ValueError, IndexError, KeyError (torch.utils.data's type
for a dict dataset or batch without a key), RuntimeError, NotImplementedError, OSError whose
message contains one of the op's names; a MemoryError (NumPy refusing a huge
allocation before touching memory) is counted apart as "memory refused". Anything else (an
AttributeError, a ZeroDivisionError, any error whose message names none of the op's names,
such as a bare NumPy message) or a call running past its time bound fails the case: there is
no list of known gaps, so any regression fails the suite. ``COUNTS`` tallies the outcomes per suite;
``conftest.py`` prints them at the end of the run (the README's reliability section quotes them).
"""
import collections
import contextlib
import json
import os
import signal
import subprocess
import sys
import textwrap

NAMED = (TypeError, ValueError, IndexError, KeyError, RuntimeError, NotImplementedError, OSError)
TIME_LIMIT_S = 10.0
MEMORY_LIMIT_BYTES = 3 << 30

# suite -> Counter of outcomes ("result", "named error", "torch-compared", ...)
COUNTS = collections.defaultdict(collections.Counter)


class CaseTimeout(BaseException):
    """A case ran past its time bound (BaseException: no ``except Exception`` swallows it)."""


@contextlib.contextmanager
def time_bound(seconds=TIME_LIMIT_S):
    """Raise CaseTimeout in the main thread when the block runs past ``seconds``."""
    def expire(signum, frame):
        raise CaseTimeout(f"ran past its {seconds} s bound")
    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _named(error, names):
    text = str(error).lower().replace("_", "")
    return any(name.lower().replace("_", "") in text for name in names)


class Unexplained(AssertionError):
    """A case's outcome breaks the contract (the message says which case and what came back)."""


def attempt(suite, names, call, describe, allow=()):
    """Run ``call()`` under the time bound. Returns ("result", value) or ("error", exception);
    raises Unexplained for an unexplained exception or a hang. ``names``: the op's names, one
    of which a named error's message must contain; ``allow``: extra exception types accepted
    as named (e.g. MemoryError in a memory-bounded child)."""
    if isinstance(names, str):
        names = (names,)
    try:
        with time_bound():
            value = call()
    except CaseTimeout as error:
        COUNTS[suite]["hang"] += 1
        raise Unexplained(f"{describe()}: {error}") from None
    except MemoryError as error:  # a clean refusal to allocate (huge sizes): counted apart
        COUNTS[suite]["memory refused"] += 1
        return "error", error
    except NAMED + tuple(allow) as error:
        if isinstance(error, tuple(allow)) or _named(error, names):
            COUNTS[suite]["named error"] += 1
            return "error", error
        COUNTS[suite]["unexplained"] += 1
        raise Unexplained(f"{describe()}: {type(error).__name__} without the op's name "
                          f"{names}: {error}") from error
    except Exception as error:  # noqa: BLE001 (the point: nothing else may escape)
        COUNTS[suite]["unexplained"] += 1
        raise Unexplained(f"{describe()}: unexplained {type(error).__name__}: {error}") from error
    COUNTS[suite]["result"] += 1
    return "result", value


def count_child(suite, outcome):
    """Add a bounded child's tallies (``run_bounded``'s {"counts", "bad"}) to ``COUNTS``; its
    unexplained cases ("bad") are returned, for the test to fail on."""
    for key, value in outcome["counts"].items():
        COUNTS[suite][key] += value
    COUNTS[suite]["unexplained"] += len(outcome["bad"])
    return outcome["bad"]


def run_bounded(source, memory=MEMORY_LIMIT_BYTES, timeout=120):
    """Run ``source`` in a fresh Python whose address space is capped at ``memory`` bytes
    (RLIMIT_AS) and whose wall time is capped at ``timeout``; return what it printed as JSON
    on its last line. A child killed by a signal (a crash) raises Unexplained."""
    prelude = textwrap.dedent(f"""
        import resource
        resource.setrlimit(resource.RLIMIT_AS, ({memory}, {memory}))
    """)
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    child = subprocess.run([sys.executable, "-c", prelude + textwrap.dedent(source)],
                           capture_output=True, text=True, timeout=timeout, cwd=root, env=env)
    if child.returncode != 0:
        raise Unexplained(f"the bounded child exited with {child.returncode}:\n"
                          f"{child.stderr[-3000:]}")
    return json.loads(child.stdout.strip().splitlines()[-1])
