"""The tour's page in headless Chromium: it loads with no console message, shows every section,
and fits a 1400 px desktop and a 390 px phone without horizontal scrolling.

Chromium logs each console message (errors, uncaught exceptions) to stderr as
``INFO:CONSOLE``; the page has no script, so any such line is a failure. A
control page with a deliberate error proves the check can fail.

The width check drives Chromium over the DevTools protocol: it emulates a 1400 px desktop
and a 390 px phone, reads the document's width (``document.documentElement.scrollWidth``) and
the viewport's (``innerWidth``) once the page (its images included) has loaded, and takes a
screenshot; control pages (a too-wide block, no viewport tag) prove that it can fail.
"""
import base64
import json
import os
import re
import select
import shutil
import struct
import subprocess
import sys
import time

import numpy as np
import pytest

from gradsheet.tour.report import Report

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--enable-logging=stderr", "--v=0", "--hide-scrollbars"]
WIDTHS = (1400, 390)
# Start argv[3:] with the fds argv[1] and argv[2] moved onto 3 and 4, where Chromium's
# --remote-debugging-pipe looks (by way of fds 10 and up, so neither overwrites the other).
ON_FDS_3_AND_4 = ("import fcntl, os, sys\n"
                  "high = [fcntl.fcntl(int(fd), fcntl.F_DUPFD, 10) for fd in sys.argv[1:3]]\n"
                  "os.dup2(high[0], 3)\nos.dup2(high[1], 4)\nos.execvp(sys.argv[3], sys.argv[3:])")


def chromium(profile, *arguments):
    """Run headless Chromium with ``arguments``; returns the finished process."""
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        pytest.skip("Debian's chromium package is not installed (.ci/run installs it)")
    return subprocess.run([binary, *FLAGS, f"--user-data-dir={profile}", *arguments],
                          capture_output=True, text=True, timeout=120)


def load_in_chromium(path, profile):
    """(dom, console lines) of the page at ``path`` in headless Chromium."""
    done = chromium(profile, "--dump-dom", path.as_uri())
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    return done.stdout, console


class DevTools:
    """Headless Chromium driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``:
    JSON commands on fd 3, replies and events on fd 4, each NUL-terminated), attached to one
    page. Device emulation sets the exact viewport (the window of ``--headless`` is at least
    500 px wide) and, for a phone, ``mobile``: the viewport meta tag then decides the layout
    width, as on a phone (980 px without one)."""

    def __init__(self, profile):
        binary = shutil.which("chromium") or shutil.which("chromium-browser")
        if binary is None:
            pytest.skip("Debian's chromium package is not installed (.ci/run installs it)")
        commands, self._in = os.pipe()
        self._out, replies = os.pipe()
        self.process = subprocess.Popen(
            [sys.executable, "-c", ON_FDS_3_AND_4, str(commands), str(replies), binary, *FLAGS,
             "--remote-debugging-pipe", f"--user-data-dir={profile}"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            pass_fds=(commands, replies))
        os.close(commands)
        os.close(replies)
        self._buffer, self._id, self.session = b"", 0, None
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.send("Target.attachToTarget", targetId=target,
                                 flatten=True)["sessionId"]
        self.send("Page.enable")

    def send(self, method, **params):
        """Send one command; returns its result (events that arrive meanwhile are dropped)."""
        self._id += 1
        message = {"id": self._id, "method": method, "params": params}
        if self.session:
            message["sessionId"] = self.session
        os.write(self._in, json.dumps(message).encode() + b"\0")
        reply = self.wait(lambda m: m.get("id") == self._id)
        assert "error" not in reply, (method, reply["error"])
        return reply["result"]

    def wait(self, wanted, timeout=60):
        """The next message from Chromium for which ``wanted(message)`` holds."""
        deadline = time.monotonic() + timeout
        while True:
            while b"\0" in self._buffer:
                raw, self._buffer = self._buffer.split(b"\0", 1)
                message = json.loads(raw)
                if wanted(message):
                    return message
            left = deadline - time.monotonic()
            assert left > 0 and select.select([self._out], [], [], left)[0], "Chromium is silent"
            chunk = os.read(self._out, 1 << 20)
            assert chunk, "Chromium exited"
            self._buffer += chunk

    def open(self, path, width, height=900):
        """Load ``path`` in a ``width`` x ``height`` viewport (a phone's below 800 px) and wait
        for its load event (the images are in the page, so they have loaded too)."""
        self.send("Emulation.setDeviceMetricsOverride", width=width, height=height,
                  deviceScaleFactor=1, mobile=width < 800)
        self.send("Page.navigate", url=path.as_uri())
        self.wait(lambda m: m.get("method") == "Page.loadEventFired")

    def evaluate(self, expression):
        """The value of a JavaScript ``expression`` in the page."""
        return self.send("Runtime.evaluate", expression=expression,
                         returnByValue=True)["result"]["value"]

    def screenshot(self, path):
        """Save the viewport as a PNG at ``path``; returns its (width, height) from the PNG
        header."""
        data = self.send("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))
        header = path.read_bytes()[:24]
        assert header[:8] == b"\x89PNG\r\n\x1a\n"
        return struct.unpack(">II", header[16:24])

    def close(self):
        """Quit Chromium."""
        try:
            self.send("Browser.close")
        finally:
            self.process.wait(timeout=30)
            os.close(self._in)
            os.close(self._out)


@pytest.fixture
def devtools(tmp_path):
    browser = DevTools(tmp_path / "devtools-profile")
    yield browser
    browser.close()


def widths(devtools, page, width):
    """(document width, viewport width) of ``page`` in a ``width`` px wide viewport."""
    devtools.open(page, width)
    return tuple(devtools.evaluate("[document.documentElement.scrollWidth, innerWidth]"))


def _wide_figure(plt):
    """A 12-inch plot (1080 px at the report's 90 dpi): wider than a phone, and than 40em."""
    figure, ax = plt.subplots(figsize=(12, 3))
    ax.plot(np.arange(10), label="a curve")
    ax.legend()
    return figure


def sample_report(out_dir):
    report = Report(str(out_dir), stream=lambda text: None, quick=True, seed=7)
    for key, title in [("nn", "1. Neural networks"), ("cnn", "2. Convolutional networks")]:
        report.section(key, title)
        report.formula_table([("g(z) = max(0, z)", "F.relu", "-> [0, 2]", sample_report),
                              ("x" * 300, "a_call_without_spaces_" * 10, "-> " + "9" * 200)])
        report.figure("accuracy", 0.98, "test accuracy", "{:.2%}")
        report.claim("claim", "a claim", True, "evidence")
        report.text("an output line without spaces " + "=" * 400)
        report.plot(f"{key}_curve", "a curve", lambda plt: plt.subplots()[0])
        report.plot(f"{key}_wide", "a wide plot", _wide_figure)
    report.write()
    return out_dir / "index.html"


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    return sample_report(tmp_path_factory.mktemp("report"))


def test_report_page_loads_without_console_errors_and_shows_every_section(page, tmp_path):
    dom, console = load_in_chromium(page, tmp_path / "profile")
    assert console == []
    for key, title in [("nn", "1. Neural networks"), ("cnn", "2. Convolutional networks")]:
        assert f'id="{key}"' in dom and title in dom
    assert dom.count('src="data:image/png;base64,') == 4  # the plots travel inside the page
    assert "def sample_report" in dom                      # the code beside its formula
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in dom


def test_the_page_says_what_produced_it(page, tmp_path):
    import gradsheet
    dom, _ = load_in_chromium(page, tmp_path / "profile")
    run = dict(re.findall(r"<dt>(\w+)</dt><dd>([^<]*)</dd>", dom))
    assert run["gradsheet"] == gradsheet.__version__
    assert run["mode"] == "quick" and run["seed"] == "7"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", run["date"])
    assert re.match(r"\d+ CPUs \(.+\), BLAS: ", run["machine"])


@pytest.mark.parametrize("width", WIDTHS)
def test_the_page_fits_the_window_without_horizontal_scrolling(page, devtools, tmp_path, width):
    document, viewport = widths(devtools, page, width)
    assert viewport == width    # on the phone: the viewport tag, else a 980 px layout
    assert document == viewport  # wide plots shrink, wide tables and code scroll in their box
    images = devtools.evaluate("[...document.images].map(i => i.getBoundingClientRect().right)")
    assert len(images) == 4 and max(images) <= width
    assert devtools.screenshot(tmp_path / f"page_{width}.png") == (width, 900)


@pytest.mark.parametrize("body, why", [
    ("<div style='width: 1000px'>wide</div>", "a block wider than the phone"),
    ("<p>no tag</p>", "no viewport tag: a phone lays the page out 980 px wide")])
def test_the_width_check_catches_a_page_that_does_not_fit_a_phone(devtools, tmp_path, body, why):
    control = tmp_path / "control.html"
    head = "" if "no tag" in body else "<meta name='viewport' content='width=device-width'>"
    control.write_text(f"<!DOCTYPE html><html><head>{head}</head><body>{body}</body></html>")
    document, viewport = widths(devtools, control, 390)
    assert (viewport, document) != (390, 390), why


def test_the_console_check_catches_an_error(tmp_path):
    page = tmp_path / "bad.html"
    page.write_text("<html><body><script>undefinedFunction();</script></body></html>")
    _, console = load_in_chromium(page, tmp_path / "profile")
    assert any("ReferenceError" in line for line in console)
