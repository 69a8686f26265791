"""The tour's report: what it prints, it also records, and writes to results.json."""
import json
import os
import tempfile
import time


class Report:
    """Collects every figure the tour prints under ``results[section][key]``."""

    def __init__(self, out_dir=None, stream=print):
        self.out_dir = out_dir
        self.results = {}
        self.section_name = None
        self.say = stream
        self.started = time.perf_counter()

    def section(self, key, title):
        self.section_name = key
        self.results.setdefault(key, {})
        self.say(f"\n{'=' * 78}\n{title}\n{'=' * 78}")

    def text(self, line=""):
        self.say(line)

    def record(self, key, value):
        self.results[self.section_name][key] = value

    def figure(self, key, value, label, fmt="{}"):
        """Print ``label: value`` and record it."""
        self.record(key, value)
        self.say(f"  {label}: {fmt.format(value)}")

    def formula_table(self, rows):
        """Rows of (formula, gradsheet call, live example); printed side by side."""
        width = max(len(r[0]) for r in rows)
        call_width = max(len(r[1]) for r in rows)
        for formula, call, example in rows:
            self.say(f"  {formula:<{width}}  {call:<{call_width}}  {example}")

    def claim(self, key, statement, holds, evidence):
        """A cheat-sheet claim run as an experiment: print and record whether it held."""
        verdict = "HOLDS" if holds else "DOES NOT HOLD here"
        self.record(key, {"claim": statement, "holds": bool(holds), "evidence": evidence})
        self.say(f"  claim: {statement}\n  verdict: {verdict} ({evidence})")

    def write(self):
        """Write results.json atomically into ``out_dir``; returns its path."""
        if self.out_dir is None:
            return None
        os.makedirs(self.out_dir, exist_ok=True)
        path = os.path.join(self.out_dir, "results.json")
        self.results["elapsed_seconds"] = round(time.perf_counter() - self.started, 2)
        fd, tmp = tempfile.mkstemp(dir=self.out_dir, prefix=".results-", suffix=".json")
        with os.fdopen(fd, "w") as f:
            json.dump(self.results, f, indent=2)
        os.replace(tmp, path)
        return path
