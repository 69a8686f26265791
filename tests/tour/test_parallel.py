"""tour.run(jobs=2): the sections run in worker processes (one BLAS thread each), and the
report is the one a run one after the other gives: the same figures, lines in the tour's order."""
import os

import pytest

import gradsheet as gs
from gradsheet import cli, tour

SECTIONS = {"first": "tests.tour.parallel_sections", "second": "tests.tour.parallel_second"}


def _figures(report):
    return {key: {k: v for k, v in report.results[key].items()
                  if k not in ("pid", "blas_threads", "section_seconds", "section_cpu_seconds")}
            for key in ("first", "second")}


def test_sections_in_workers_give_the_sequential_report(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(tour, "SECTIONS", SECTIONS)
    before = gs.get_num_threads()
    parallel = tour.run(out=str(tmp_path / "parallel"), jobs=2)
    printed = capsys.readouterr().out
    sequential = tour.run(out=str(tmp_path / "sequential"), jobs=1)
    assert _figures(parallel) == _figures(sequential)
    pids = {parallel.results[key]["pid"] for key in ("first", "second")}
    assert os.getpid() not in pids  # each ran in a worker ...
    assert all(parallel.results[key]["blas_threads"] == 1 for key in ("first", "second"))
    assert gs.get_num_threads() == before  # ... and this process's threads are untouched
    assert [s["key"] for s in parallel.sections] == ["first", "second"]
    assert printed.index("1. First") < printed.index("trace of a a") < printed.index("2. Second")
    assert parallel.results["timing"]["sections"].keys() == {"first", "second"}
    assert (tmp_path / "parallel" / "results.json").exists()


def test_jobs_must_be_positive(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["tour", "--jobs", "0"])
    assert exit_info.value.code == 2 and "--jobs" in capsys.readouterr().err


def test_default_jobs_is_the_cores_at_most_one_per_section():
    assert 1 <= tour.default_jobs() <= min(os.cpu_count(), len(tour.SECTIONS))
