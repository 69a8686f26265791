"""results.json says what produced the report: the gradsheet version, the date, the mode
(quick or full), the seed and the machine (CPU count, processor, BLAS kernel)."""
import datetime
import json
import os

import gradsheet
from gradsheet import tour
from gradsheet.tour import neural_networks
from gradsheet.tour.report import Report, describe_machine, machine


def test_results_json_records_the_run_and_the_machine(tmp_path):
    report = Report(str(tmp_path), stream=lambda text: None, quick=True, seed=5)
    report.section("s", "a section")
    report.write()
    run = json.loads((tmp_path / "results.json").read_text())["run"]
    assert {k: run[k] for k in ("gradsheet", "mode", "seed")} == \
        {"gradsheet": gradsheet.__version__, "mode": "quick", "seed": 5}
    date = datetime.datetime.fromisoformat(run["date"])
    assert abs(datetime.datetime.now(datetime.timezone.utc) - date).total_seconds() < 600
    assert run["machine"]["cpus"] == os.cpu_count() and run["machine"]["processor"]
    for blas in run["machine"]["blas"]:
        assert set(blas) == {"internal_api", "version", "architecture", "num_threads"}
    assert describe_machine(run["machine"]) in (tmp_path / "index.html").read_text()
    full = Report(None, stream=lambda text: None)
    assert full.results["run"]["mode"] == "full" and full.results["run"]["seed"] == 0


def test_describe_machine_names_the_blas_kernel():
    info = {"cpus": 2, "processor": "AMD EPYC", "blas": [
        {"internal_api": "openblas", "version": "0.3.30", "architecture": "Haswell",
         "num_threads": 2}]}
    assert describe_machine(info) == \
        "2 CPUs (AMD EPYC), BLAS: openblas 0.3.30 Haswell kernel, 2 threads"
    assert describe_machine({**info, "blas": []}).endswith("BLAS: unknown")
    assert set(machine()) == {"cpus", "processor", "blas"}


def test_the_tour_passes_its_mode_and_seed_to_the_report(tmp_path, monkeypatch):
    monkeypatch.setattr(tour, "SECTIONS", {"nn": "neural_networks"})
    monkeypatch.setattr(neural_networks, "run", lambda report, quick, seed, verbose:
                        report.section("nn", "1. Neural networks"))
    report = tour.run(quick=True, seed=3, out=str(tmp_path))
    assert {k: report.results["run"][k] for k in ("mode", "seed")} == {"mode": "quick", "seed": 3}


def test_a_section_run_in_a_worker_keeps_the_tours_run_entry():
    worker = Report(None, stream=lambda text: None)  # tour.run(jobs=2)'s worker: defaults
    worker.section("nn", "1. Neural networks")
    worker.record("accuracy", 0.9)
    report = Report(None, stream=lambda text: None, quick=True, seed=3)
    report.adopt_section(worker.section_state())
    assert report.results["nn"]["accuracy"] == 0.9
    assert {k: report.results["run"][k] for k in ("mode", "seed")} == {"mode": "quick", "seed": 3}
