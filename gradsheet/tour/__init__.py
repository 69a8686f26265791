"""The executable cheat sheet: ``gradsheet tour`` runs one module per section."""
import importlib

from .report import Report

# section name -> module (each has run(report, quick, seed, verbose))
SECTIONS = {"nn": "neural_networks", "cnn": "convolutional", "rnn": "recurrent",
            "rl": "reinforcement", "attention": "attention"}


def run(sections=None, quick=False, seed=0, out="tour-report", verbose=1):
    """Run the named sections (all by default) in order; returns the Report."""
    report = Report(out)
    for name in sections or SECTIONS:
        if name not in SECTIONS:
            raise ValueError(f"tour: unknown section {name!r}; choose from {sorted(SECTIONS)}")
        module = importlib.import_module(f".{SECTIONS[name]}", __name__)
        module.run(report, quick=quick, seed=seed, verbose=verbose)
    path = report.write()
    if path:
        report.text(f"\nEvery figure above is in {path}")
    return report
