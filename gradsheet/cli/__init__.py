"""The ``gradsheet`` command.

    gradsheet tour       the executable cheat sheet (every section, a report folder)
    gradsheet train      train an mlp, a cnn or an architecture file on digits/IDX/CSV/NPZ
    gradsheet evaluate   loss and accuracy of a saved model
    gradsheet predict    class predictions of a saved model
    gradsheet rl         plan or learn on a named environment

Every option's help shows its default; ``gradsheet --version`` prints the version. The
commands that compute take ``--threads N`` (BLAS threads, ``gradsheet.set_num_threads``), and
``train`` and ``rl`` write each run to its own folder, ``--out/NAME/version_N`` (see
``gradsheet.cli.runs``).

Every failure prints one line, ``gradsheet COMMAND: error: ...``, and exits non-zero; every
warning one line, ``gradsheet COMMAND: warning: ...`` (NumPy's floating-point warnings are
silenced: gradsheet checks the losses itself).
"""
from __future__ import annotations

import argparse
import contextlib
import os
import sys
import warnings
from collections.abc import Iterator, Sequence
from typing import Any, NoReturn, Optional, TextIO, Union

import numpy as np

from .. import tour as _tour


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """argparse's help with "(default: X)" after each option's help, except where there is no
    default to show (None, or a flag's False)."""

    def _get_help_string(self, action: argparse.Action) -> Optional[str]:
        if action.default is None or action.default is False:
            return action.help
        return super()._get_help_string(action)


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (and exit code 2), as every other error, and
    the help shows defaults (``HelpFormatter``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _run_tour(args: argparse.Namespace) -> int:
    _tour.run(sections=args.section, quick=args.quick, seed=args.seed, out=args.out,
              verbose=0 if args.no_progress else 1, jobs=args.jobs)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The ``gradsheet`` argument parser: the tour, train, evaluate, predict and rl commands,
    each with its options and the function that runs it as ``run``.
    """
    from .. import __version__
    from .runs import add_threads_option, positive_int
    parser = _Parser(prog="gradsheet",
                     description="The deep-learning cheat sheet made executable.")
    parser.add_argument("--version", action="version", version=f"gradsheet {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    tour = commands.add_parser("tour", help="run the cheat sheet's sections and write a report")
    tour.add_argument("--section", action="append", choices=list(_tour.SECTIONS),
                      help="run only this section (repeatable)")
    tour.add_argument("--quick", action="store_true", help="shorter runs (under a minute)")
    tour.add_argument("--seed", type=int, default=0, help="seed of every experiment")
    tour.add_argument("--out", default="tour-report",
                      help="folder for index.html, results.json and the plots")
    tour.add_argument("--no-progress", action="store_true", help="hide progress bars")
    tour.add_argument("--jobs", type=positive_int, default=_tour.default_jobs(),
                      help="sections run at once, each in its own process on one BLAS thread "
                           "(1: one after the other in this process, with progress bars); "
                           "the default is the number of cores")
    add_threads_option(tour)
    tour.set_defaults(run=_run_tour)
    from . import reinforcement, training
    training.add_commands(commands)
    reinforcement.add_command(commands)
    return parser


def main(argv: Optional[Sequence[object]] = None) -> int:
    """Run the ``gradsheet`` command on ``argv`` (sys.argv[1:] when None); returns the exit code.

    Any failure prints one line, ``gradsheet COMMAND: error: ...``, and returns 1 (130 on
    Ctrl-C); usage errors exit with 2.
    """
    argv = sys.argv[1:] if argv is None else [str(word) for word in argv]
    args = build_parser().parse_args(argv)
    args.argv = argv  # the words as given: ``--resume DIR`` keeps the ones given explicitly
    try:
        with _one_line_warnings(args.command):
            if getattr(args, "threads", None) is not None:
                from ..threads import set_num_threads
                set_num_threads(args.threads)
            return args.run(args)
    except KeyboardInterrupt:
        print(f"gradsheet {args.command}: interrupted", file=sys.stderr)
        return 130
    except (Exception, RecursionError, MemoryError) as error:  # one line, never a traceback
        print(f"gradsheet {args.command}: error: {one_line(error)}", file=sys.stderr)
        return 1


def one_line(error: BaseException) -> str:
    """An exception as one line: its message with newlines folded (its type if it has none)."""
    text = " ".join(str(error).split()) if str(error).strip() else type(error).__name__
    if isinstance(error, OSError) and error.filename and str(error.filename) not in text:
        text += f": {error.filename}"
    return text


_NUMPY_DIR = os.path.dirname(np.__file__)


@contextlib.contextmanager
def _one_line_warnings(command: str) -> Iterator[None]:
    """Print each distinct warning once, as one line; drop NumPy's own."""
    seen: set[str] = set()

    def show(message: Union[Warning, str], category: type[Warning], filename: str, lineno: int,
             file: Optional[TextIO] = None, line: Optional[str] = None) -> None:
        if str(filename).startswith(_NUMPY_DIR):
            return
        text = " ".join(str(message).split())
        if text not in seen:
            seen.add(text)
            print(f"gradsheet {command}: warning: {text}", file=sys.stderr)

    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.showwarning = show
        yield
