"""Print the attack suite's case counts at the end of the run (for the README)."""
from . import attack


def pytest_terminal_summary(terminalreporter):
    if not attack.COUNTS:
        return
    write = terminalreporter.write_line
    write("")
    write("attack suite: cases run per suite (outcomes)")
    total = 0
    for suite in sorted(attack.COUNTS):
        counts = attack.COUNTS[suite]
        cases = sum(v for k, v in counts.items() if k in ("result", "named error", "hang",
                                                           "unexplained", "memory refused"))
        total += cases
        detail = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items()))
        write(f"  {suite:<12} {cases:>6} cases ({detail})")
    write(f"  {'total':<12} {total:>6} cases")
