"""Run directories and the options every computing command shares (Lightning's layout).

    runs/NAME/version_0/        the first run named NAME under the root ``--out runs``
    runs/NAME/version_1/        the next one: a run never writes into another run's folder
        args.json               the command's arguments, what ``--resume DIR`` starts from
        ...                     the command's outputs (model, checkpoints, agent, monitor.csv)

``--threads N`` sets ``gradsheet.set_num_threads(N)`` before any work (BLAS threads of every
matrix product); without it the BLAS library's own default stands.
"""
from __future__ import annotations

import argparse
import json
import os
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..io.files import write_atomically

if TYPE_CHECKING:
    from .._typing import PathLike

ARGS_FILE = "args.json"
_VERSION = re.compile(r"version_(\d+)$")


def positive_int(text: str) -> int:
    """argparse type: an int > 0."""
    value = int(text)
    if value <= 0:
        raise ValueError(f"expected a positive integer, got {text}")
    return value


positive_int.__name__ = "positive integer"  # argparse names the converter in its messages


def add_threads_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--threads N`` (BLAS threads, set before the command's work) to ``parser``."""
    parser.add_argument("--threads", type=positive_int, default=None,
                        help="BLAS threads for matrix products (gradsheet.set_num_threads); "
                             "default: the BLAS library's own")


def add_run_options(parser: argparse.ArgumentParser, what: str) -> None:
    """Add ``--out ROOT`` and ``--name NAME`` (the run directory ROOT/NAME/version_N) to
    ``parser``; ``what`` says what the run directory holds, for the help text."""
    parser.add_argument("--out", default="runs",
                        help=f"root folder of the run directories: each run writes {what} to "
                             f"OUT/NAME/version_N, N one more than the last")
    parser.add_argument("--name", default=None,
                        help="the runs' name under --out (default: from the command's "
                             "choices, e.g. mlp-digits)")


def next_version_dir(root: PathLike, name: str) -> str:
    """Create and return ``root/name/version_N``, N one more than the highest existing version
    (0 for the first); made with exist_ok=False, so two runs started at once never share one."""
    parent = os.path.join(root, name)
    os.makedirs(parent, exist_ok=True)
    versions = [int(m.group(1)) for m in map(_VERSION.match, os.listdir(parent)) if m]
    version = max(versions, default=-1) + 1
    while True:
        path = os.path.join(parent, f"version_{version}")
        try:
            os.makedirs(path)
        except FileExistsError:
            version += 1
            continue
        return path


def save_args(run_dir: PathLike, args: argparse.Namespace, names: Iterable[str]) -> None:
    """Write the options ``names`` of ``args`` (an argparse Namespace) to run_dir/args.json."""
    values = {name: getattr(args, name) for name in names}
    write_atomically(os.path.join(run_dir, ARGS_FILE), json.dumps(values, indent=2) + "\n")


def load_args(run_dir: PathLike, option: str) -> dict[str, Any]:
    """The options saved in ``run_dir``/args.json (a ValueError naming ``option`` and the
    folder when there is none)."""
    path = os.path.join(run_dir, ARGS_FILE)
    if not os.path.isfile(path):
        raise ValueError(f"{option} {run_dir}: a run directory holds {ARGS_FILE}, this folder "
                         f"has none (give a run directory such as runs/NAME/version_0, or a "
                         f"checkpoint file)")
    with open(path, encoding="utf-8") as f:
        return json.load(f)

