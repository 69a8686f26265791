"""The tour's report: what it prints, it also records, and writes to results.json,
with the plots as PNG files and a self-contained ``index.html`` (see ``html.py``)."""
from __future__ import annotations

import datetime
import inspect
import json
import os
import platform
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Optional, Union

import numpy as np

from .. import plotting
from ..io.files import write_atomically

# a formula table's row: (formula, gradsheet call, live example[, implementing object])
FormulaRow = Union[tuple[str, str, str], tuple[str, str, str, Any]]


def source_of(obj: Any) -> str:
    """The source code of the class or function that implements a formula ('' if unavailable)."""
    try:
        return inspect.getsource(obj)
    except (TypeError, OSError):
        return ""


def where_defined(obj: Any) -> str:
    """``gradsheet/ops/recurrent.py:213``: the file (from the package root) and line of ``obj``."""
    try:
        path, line = inspect.getsourcefile(obj), inspect.getsourcelines(obj)[1]
    except (TypeError, OSError):
        return ""
    if path is None:  # no source file
        return ""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return f"{os.path.relpath(path, root)}:{line}"


def implementation(obj: Any) -> dict[str, Any]:
    """What the report shows for a formula's implementing object: its code and, for a reference
    function (``gradsheet.reference``, marked by ``@mirrors``), the fused op it mirrors (name,
    place, source) and the sentence on what the fused version does differently."""
    entry = {"code": source_of(obj) if obj is not None else ""}
    fused = getattr(obj, "fused", None)
    if fused is not None:
        from gradsheet import reference
        from gradsheet.reference.registry import fused_name
        public = getattr(reference, obj.__name__, None) is obj
        name = f"gradsheet.reference.{obj.__name__}" if public else fused_name(obj)
        entry.update(reference=name, fused=fused_name(fused),
                     fused_where=where_defined(fused), fused_code=source_of(fused),
                     faster=obj.faster)
    return entry


class Report:
    """Collects every figure the tour prints under ``results[section][key]``.

    Beside the numbers it keeps, per section, the printed lines, the formula table
    (with the source of each implementation), the claims and the plots: what the
    HTML page shows. ``results["run"]`` says what produced them: the gradsheet version, the
    date, the mode (``quick`` or ``full``), the seed and the machine (see :func:`run_info`).
    """

    def __init__(self, out_dir: Optional[str] = None, stream: Callable[[str], Any] = print,
                 quick: bool = False, seed: int = 0) -> None:
        self.out_dir = out_dir
        self.results: dict[str, Any] = {"run": run_info(quick, seed)}
        self.sections: list[dict[str, Any]] = []
        self.section_name: Optional[str] = None
        self.stream = stream
        self.started = time.perf_counter()
        self.started_cpu = time.process_time()
        self.started_children_cpu = os.times().children_user + os.times().children_system
        self.timing: dict[str, dict[str, float]] = {}  # section -> {"wall_s": ..., "cpu_s": ...}

    # ------------------------------------------------------------ recording
    @property
    def current(self) -> dict[str, Any]:
        """The section being written: its dict of lines, formulas, claims and plots."""
        return self.sections[-1]

    def section(self, key: str, title: str) -> None:
        """Start section ``key`` with a printed ``title`` (ending the previous one, whose time is
        recorded as ``section_seconds``, wall clock, and ``section_cpu_seconds``).
        """
        self._end_section()
        self.section_started = time.perf_counter()
        self.section_started_cpu = time.process_time()
        self.section_name = key
        self.results.setdefault(key, {})
        self.sections.append({"key": key, "title": title, "lines": [], "formulas": [],
                              "claims": [], "plots": []})
        self.say(f"\n{'=' * 78}\n{title}\n{'=' * 78}")

    def _end_section(self) -> None:
        """Record and print how long the section that is ending took: wall-clock seconds and the
        process's CPU seconds (``time.process_time``: every thread of the process, so BLAS
        threads count; on a shared machine the wall time grows, the CPU time much less)."""
        if self.section_name and "section_seconds" not in self.results[self.section_name]:
            wall = round(time.perf_counter() - self.section_started, 2)
            cpu = round(time.process_time() - self.section_started_cpu, 2)
            self.record("section_seconds", wall)
            self.record("section_cpu_seconds", cpu)
            self.timing[self.section_name] = {"wall_s": wall, "cpu_s": cpu}
            self.say(f"  section time: {wall:.1f} s wall clock, {cpu:.1f} s CPU")

    def say(self, text: str) -> None:
        """Print ``text`` and keep it among the current section's lines."""
        self.stream(text)
        if self.sections:
            self.current["lines"].append(text)

    def text(self, line: str = "") -> None:
        """Print one line (empty by default) and keep it: ``say`` for plain lines."""
        self.say(line)

    def record(self, key: str, value: Any) -> None:
        """Store ``value`` as ``results[section][key]`` without printing it."""
        assert self.section_name is not None, "Report.record: start a section first"
        self.results[self.section_name][key] = value

    def figure(self, key: str, value: Any, label: str, fmt: str = "{}") -> None:
        """Print ``label: value`` and record it."""
        self.record(key, value)
        self.say(f"  {label}: {fmt.format(value)}")

    def formula_table(self, rows: Sequence[FormulaRow],
                      heading: str = "formula beside the gradsheet call that implements it, "
                                     "with a live example:") -> None:
        """Print ``heading``, then rows of (formula, gradsheet call, live example[,
        implementing object]) side by side. The report keeps each implementing object's code:
        for a fused op, its reference function (``gradsheet.reference``) stands in the row and
        the fused version is named beside it."""
        self.say(heading)
        width = max(len(r[0]) for r in rows)
        call_width = max(len(r[1]) for r in rows)
        for row in rows:
            formula, call, example = row[:3]
            self.say(f"  {formula:<{width}}  {call:<{call_width}}  {example}")
            self.current["formulas"].append({"formula": formula, "call": call, "example": example,
                                             **implementation(row[3] if len(row) > 3 else None)})
        self.record("formulas", [{"formula": r[0], "call": r[1], "example": r[2]} for r in rows])

    def claim(self, key: str, statement: str, holds: Union[bool, np.bool_], evidence: str) -> None:
        """A cheat-sheet claim run as an experiment: print and record whether it held."""
        verdict = "HOLDS" if holds else "DOES NOT HOLD here"
        entry = {"claim": statement, "holds": bool(holds), "evidence": evidence}
        self.record(key, entry)
        self.current["claims"].append(entry)
        self.say(f"  claim: {statement}\n  verdict: {verdict} ({evidence})")

    def plot(self, key: str, title: str, draw: Callable[[Any], Any]) -> Optional[str]:
        """Save ``draw(plt)`` (a figure or an Axes) as ``<out_dir>/<key>.png`` (needs
        matplotlib). ``title`` is the page's caption and, when the drawing set no title, the
        plot's own."""
        if self.out_dir is None:
            return None
        try:
            plt = plotting.pyplot("Agg")  # files only
        except ImportError:
            self.say(f"  (plot '{title}' skipped: pip install gradsheet[viz] for plots)")
            return None
        os.makedirs(self.out_dir, exist_ok=True)
        drawn = draw(plt)
        figure = drawn if hasattr(drawn, "savefig") else drawn.figure
        if not any(ax.get_title() for ax in figure.axes):
            figure.axes[0].set_title(title)
        path = plotting.save(figure, os.path.join(self.out_dir, f"{key}.png"))
        self.current["plots"].append({"file": f"{key}.png", "title": title})
        assert self.section_name is not None, "Report.plot: start a section first"
        self.results[self.section_name].setdefault("plots", []).append(f"{key}.png")
        return path

    # ------------------------------------------------------------ sections run elsewhere
    def section_state(self) -> dict[str, Any]:
        """What this report recorded (its sections ended): results, sections and timing, as
        plain data for another process's report to ``adopt_section``."""
        self._end_section()
        return {"results": self.results, "sections": self.sections, "timing": self.timing}

    def adopt_section(self, state: Mapping[str, Any]) -> None:
        """Take in the sections another report recorded (``section_state``), printing their
        lines now, as if they had run here."""
        self._end_section()
        self.section_name = None
        for section in state["sections"]:
            for line in section["lines"]:
                self.stream(line)
        self.results.update({key: value for key, value in state["results"].items()
                             if key != "run"})  # this report's run (mode, seed, date) stays
        self.sections.extend(state["sections"])
        self.timing.update(state["timing"])

    # ------------------------------------------------------------ output
    def write(self) -> Optional[str]:
        """Write results.json and index.html into ``out_dir``; returns the folder."""
        self._end_section()
        self.results["elapsed_seconds"] = round(time.perf_counter() - self.started, 2)
        children = os.times()  # sections run in worker processes (tour.run(jobs=...)) count
        self.results["elapsed_cpu_seconds"] = round(
            time.process_time() - self.started_cpu + children.children_user
            + children.children_system - self.started_children_cpu, 2)
        self.results["timing"] = {"sections": dict(self.timing),
                                  "total": {"wall_s": self.results["elapsed_seconds"],
                                            "cpu_s": self.results["elapsed_cpu_seconds"]}}
        self._print_timing()
        if self.out_dir is None:
            return None
        from .html import render
        os.makedirs(self.out_dir, exist_ok=True)
        write_atomically(os.path.join(self.out_dir, "results.json"),
                      json.dumps(self.results, indent=2, default=float))
        write_atomically(os.path.join(self.out_dir, "index.html"),
                      render(self.sections, self.results, self.out_dir))
        return self.out_dir


    def _print_timing(self) -> None:
        """Print the per-section times (wall and CPU) and the machine they were measured on."""
        if not self.timing:
            return
        width = max(len(key) for key in self.timing)
        self.stream(f"\n{'section':<{width}}  {'wall s':>7}  {'CPU s':>7}")
        rows = list(self.timing.items()) + [("total", self.results["timing"]["total"])]
        for key, t in rows:
            self.stream(f"{key:<{width}}  {t['wall_s']:>7.1f}  {t['cpu_s']:>7.1f}")
        info = self.results["run"]["machine"]
        self.stream(f"({describe_machine(info)}; CPU s = time.process_time, all threads)")


def run_info(quick: bool, seed: int) -> dict[str, Any]:
    """What produced a report: ``{"gradsheet": version, "date": ISO 8601 UTC, "mode": "quick" or
    "full", "seed", "machine": machine()}``."""
    from .. import __version__
    date = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    return {"gradsheet": __version__, "date": date, "mode": "quick" if quick else "full",
            "seed": seed, "machine": machine()}


def describe_machine(info: Mapping[str, Any]) -> str:
    """``machine()`` in one line: ``2 CPUs (AMD EPYC), BLAS: openblas 0.3.30 Haswell kernel,
    2 threads``."""
    blas = "; ".join(f"{b['internal_api']} {b['version']} {b['architecture']} kernel, "
                     f"{b['num_threads']} threads" for b in info["blas"]) or "unknown"
    return f"{info['cpus']} CPUs ({info['processor']}), BLAS: {blas}"


def machine() -> dict[str, Any]:
    """Where the times were measured: CPU count, processor (its model name where the system
    says it) and NumPy's BLAS (threadpoolctl's internal_api, version, kernel architecture and
    thread count; [] without threadpoolctl)."""
    blas = []
    try:
        import numpy  # noqa: F401  (loads the BLAS library threadpoolctl looks for)
        from threadpoolctl import threadpool_info
        blas = [{key: lib.get(key) for key in ("internal_api", "version", "architecture",
                                               "num_threads")}
                for lib in threadpool_info() if lib.get("user_api") == "blas"]
    except ImportError:
        pass
    return {"cpus": os.cpu_count(), "processor": _processor(), "blas": blas}


def _processor() -> str:
    """The CPU's model name from /proc/cpuinfo on Linux (``platform.processor()`` is empty
    there), else platform's answer, else the architecture (``x86_64``)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()

