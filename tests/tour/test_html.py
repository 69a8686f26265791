"""The tour's page in headless Chromium: it loads with no console message and shows every section.

Chromium logs each console message (errors, uncaught exceptions) to stderr as
``INFO:CONSOLE``; the page has no script, so any such line is a failure. A
control page with a deliberate error proves the check can fail.
"""
import shutil
import subprocess

import pytest

from gradsheet.tour.report import Report

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--enable-logging=stderr", "--v=0", "--dump-dom"]


def load_in_chromium(path, profile):
    """(dom, console lines) of the page at ``path`` in headless Chromium."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("Debian's chromium package is not installed (.ci/run installs it)")
    done = subprocess.run([chromium, *FLAGS, f"--user-data-dir={profile}", path.as_uri()],
                          capture_output=True, text=True, timeout=120)
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    return done.stdout, console


def sample_report(out_dir):
    report = Report(str(out_dir), stream=lambda text: None)
    for key, title in [("nn", "1. Neural networks"), ("cnn", "2. Convolutional networks")]:
        report.section(key, title)
        report.formula_table([("g(z) = max(0, z)", "F.relu", "-> [0, 2]", sample_report)])
        report.figure("accuracy", 0.98, "test accuracy", "{:.2%}")
        report.claim("claim", "a claim", True, "evidence")
        report.plot(f"{key}_curve", "a curve", lambda plt: plt.subplots()[0])
    report.write()
    return out_dir / "index.html"


def test_report_page_loads_without_console_errors_and_shows_every_section(tmp_path):
    page = sample_report(tmp_path / "report")
    dom, console = load_in_chromium(page, tmp_path / "profile")
    assert console == []
    for key, title in [("nn", "1. Neural networks"), ("cnn", "2. Convolutional networks")]:
        assert f'id="{key}"' in dom and title in dom
    assert dom.count('src="data:image/png;base64,') == 2  # the plots travel inside the page
    assert "def sample_report" in dom                      # the code beside its formula


def test_the_console_check_catches_an_error(tmp_path):
    page = tmp_path / "bad.html"
    page.write_text("<html><body><script>undefinedFunction();</script></body></html>")
    _, console = load_in_chromium(page, tmp_path / "profile")
    assert any("ReferenceError" in line for line in console)
