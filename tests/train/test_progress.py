"""fit's progress display: verbose="auto" / 0 / 1 / 2, the epoch line, the bar at 80 columns,
ProgressBar's options (issue 16, item 3)."""
import fcntl
import io
import os
import pathlib
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import types

import pytest

import gradsheet as gs
from gradsheet import nn, optim
from gradsheet.data.datasets import make_spirals
from gradsheet.train import ProgressBar, fit, progress

ROOT = pathlib.Path(__file__).resolve().parents[2]
NAMES = ("loss", "accuracy", "val_loss", "val_accuracy", "lr")
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
EPOCH_LINE = re.compile(r"^Epoch (\d+)/(\d+) - (\d+)/\3 - (\d+ms|\d+\.\ds|\d+m\d\ds) - loss: ")


def _fit(epochs=2, **kwargs):
    gs.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 3))
    return fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
               make_spirals(n_samples=12, seed=0), val_data=make_spirals(n_samples=6, seed=1),
               epochs=epochs, batch_size=4, **kwargs)


def _screen_lines(text):
    """What a terminal shows of each written line: the text after the line's last carriage
    return, ANSI escapes dropped."""
    text = ANSI.sub("", text.replace("\r\n", "\n"))
    return [line.split("\r")[-1] for line in text.split("\n")]


def _segments(text):
    """Every state drawn on the screen: each piece between carriage returns and newlines."""
    return re.split(r"[\r\n]", ANSI.sub("", text))


def _assert_epoch_lines(lines, epochs, names=NAMES):
    starts = [i for i, line in enumerate(lines) if EPOCH_LINE.match(line)]
    assert [int(EPOCH_LINE.match(lines[i]).group(1)) for i in starts] == \
        list(range(1, epochs + 1))
    for k, start in enumerate(starts):  # an epoch's line, and its wrapped continuation lines
        end = starts[k + 1] if k + 1 < len(starts) else len(lines)
        text = " ".join(lines[start:end])
        for name in names:
            assert re.search(rf"(^| ){re.escape(name)}: [-\d.e+]+", text), (name, text)


def test_auto_prints_one_line_per_epoch_when_stdout_is_not_a_terminal(capsys):
    history = _fit(epochs=3)
    out = capsys.readouterr().out
    assert "\r" not in out  # no bar redraws in a log
    lines = out.splitlines()
    assert len(lines) == 3
    _assert_epoch_lines(lines, 3, history.history)
    assert lines[1].endswith(f"lr: {0.1:.4g}")


def test_auto_draws_a_bar_on_a_terminal_and_keeps_every_metric_at_80_columns(capsys,
                                                                            monkeypatch):
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    monkeypatch.setenv("COLUMNS", "80")
    _fit(epochs=2)
    out = capsys.readouterr().out
    bars = [s for s in _segments(out) if s.startswith("Epoch") and "[" in s]
    assert bars and all("3/3" in s or "/3 [" in s for s in bars)
    assert any(s.startswith("Epoch 2/2 3/3 [") and "loss=" in s and "accuracy=" in s
               for s in bars)  # the running values are on the bar, before the bar itself
    assert all(len(s) <= 80 for s in _segments(out)), max(_segments(out), key=len)
    _assert_epoch_lines([line for line in _screen_lines(out) if line.strip()], 2)


def test_epoch_line_wraps_at_the_width_and_keeps_every_value():
    logs = {name: 0.123456 for name in NAMES} | {"a_long_metric_name": 12345.678}
    line = progress.epoch_line(2, 10, 20, 1.234, logs)
    assert line == ("Epoch 3/10 - 20/20 - 1.2s - " +
                    " - ".join(f"{name}: {value:.4g}" for name, value in logs.items()))
    wrapped = progress.epoch_line(2, 10, 20, 1.234, logs, width=40).split("\n")
    assert len(wrapped) > 1 and all(len(part) <= 40 for part in wrapped)
    assert all(part.startswith("    ") for part in wrapped[1:])
    assert " - ".join(part.strip() for part in wrapped) == line
    assert progress.format_value("text") == "text"


@pytest.mark.parametrize("seconds, text", [(0.0004, "0ms"), (0.8504, "850ms"), (1.0, "1.0s"),
                                           (59.94, "59.9s"), (125.2, "2m05s"), (3600, "60m00s")])
def test_duration(seconds, text):
    assert progress.duration(seconds) == text


_CHILD = """
import gradsheet as gs
from gradsheet import nn, optim
from gradsheet.data.datasets import make_spirals
from gradsheet.train import fit
gs.manual_seed(0)
model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 3))
fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
    make_spirals(n_samples=12, seed=0), val_data=make_spirals(n_samples=6, seed=1),
    epochs=2, batch_size=4)
"""


def _environment():
    return {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}


def _run_on_a_pty(columns):
    """The child's output written to a pseudo-terminal ``columns`` wide."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    child = subprocess.Popen([sys.executable, "-c", _CHILD], stdin=slave, stdout=slave,
                             stderr=slave, cwd=ROOT, env=_environment())
    os.close(slave)
    chunks = []
    try:
        while select.select([master], [], [], 120)[0]:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
    finally:
        os.close(master)
        assert child.wait(timeout=120) == 0, b"".join(chunks).decode()[-2000:]
    return b"".join(chunks).decode()


def test_auto_on_a_real_terminal_80_columns_and_through_a_pipe():
    terminal = _run_on_a_pty(80)
    assert "\r" in terminal.replace("\r\n", "\n")  # the bar was redrawn
    assert all(len(s) <= 80 for s in _segments(terminal))
    _assert_epoch_lines([line for line in _screen_lines(terminal) if line.strip()], 2)
    piped = subprocess.run([sys.executable, "-c", _CHILD], capture_output=True, text=True,
                           cwd=ROOT, env=_environment(), timeout=120, check=True)
    assert "\r" not in piped.stdout and piped.stderr == ""
    lines = piped.stdout.splitlines()
    assert len(lines) == 2
    _assert_epoch_lines(lines, 2)


def test_verbose_0_1_2(capsys, monkeypatch):
    _fit(verbose=0)
    assert capsys.readouterr() == ("", "")
    _fit(verbose=1)  # stdout is not a terminal: as Keras' bar, the epoch lines alone
    out = capsys.readouterr().out
    assert "\r" not in out and len(out.splitlines()) == 2
    _assert_epoch_lines(out.splitlines(), 2)
    stream = io.StringIO()  # not a terminal, but the bar asked for everywhere
    _fit(callbacks=[ProgressBar(file=stream, interactive_only=False)])
    assert any(s.startswith("Epoch 1/2 3/3 [") for s in _segments(stream.getvalue()))
    _assert_epoch_lines([line for line in _screen_lines(stream.getvalue()) if line.strip()], 2)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    _fit(verbose=1)
    assert any(s.startswith("Epoch 2/2 3/3 [") for s in _segments(capsys.readouterr().out))
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    monkeypatch.setenv("COLUMNS", "60")
    _fit(verbose=2)  # a terminal, but lines only: wrapped at its width
    out = capsys.readouterr().out
    assert "\r" not in out and all(len(line) <= 60 for line in out.splitlines())
    _assert_epoch_lines(out.splitlines(), 2)


@pytest.mark.parametrize("verbose", ["loud", 3, True, None])
def test_bad_verbose_is_rejected(verbose):
    with pytest.raises(ValueError, match=rf"fit: verbose must be one of .*got {verbose!r}"):
        _fit(verbose=verbose)


def test_a_progress_bar_outside_fit_names_the_missing_params():
    """Without fit's set_params there are no epochs and steps to show: a ValueError naming
    ProgressBar (was a TypeError of indexing None)."""
    bar = gs.train.ProgressBar(file=io.StringIO(), interactive_only=False)
    bar.on_train_begin()
    with pytest.raises(ValueError, match=r"ProgressBar: no epochs and steps in params"):
        bar.on_epoch_begin(0)
    with pytest.raises(ValueError, match=r"ProgressBar: no epochs and steps in params"):
        bar.on_epoch_end(0, {"loss": 1.0})


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_a_progress_bar_callback_replaces_the_display_and_writes_to_its_file(capsys,
                                                                            monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    stream = _Terminal()
    _fit(callbacks=[ProgressBar(file=stream, leave=True)], verbose=2)
    assert capsys.readouterr().out == ""
    lines = _screen_lines(stream.getvalue())
    # leave=True: each epoch's finished bar stays on its own line, above the epoch line
    kept = [i for i, line in enumerate(lines) if line.startswith("Epoch 1/2 3/3 [")]
    assert kept and EPOCH_LINE.match(lines[kept[0] + 1])
    stream = _Terminal()
    _fit(callbacks=[ProgressBar(file=stream)])  # leave=False: the epoch line replaces it
    lines = [line for line in _screen_lines(stream.getvalue()) if line.strip()]
    assert not any(line.startswith("Epoch 1/2 3/3 [") for line in lines)
    _assert_epoch_lines(lines, 2)


def test_refresh_rate_redraws_every_n_batches(monkeypatch):
    drawn = []

    class Bar:
        def __init__(self, total, **kwargs):
            self.total, self.n = total, 0

        def set_postfix_str(self, text, refresh):
            pass

        def refresh(self):
            drawn.append(self.n)

        def close(self):
            pass

    monkeypatch.setattr(progress, "_bar_class", lambda: Bar)
    gs.manual_seed(0)
    model = nn.Linear(2, 3)
    data = make_spirals(n_samples=28, seed=0)  # 7 batches of 4
    fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), data,
        batch_size=4, callbacks=[ProgressBar(refresh_rate=3, file=_Terminal())])
    assert drawn == [3, 6, 7]
    stream = _Terminal()
    fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), data,
        batch_size=4, callbacks=[ProgressBar(refresh_rate=0, file=stream)])
    assert drawn == [3, 6, 7] and EPOCH_LINE.match(stream.getvalue())  # 0: the line only
    for bad in (-1, 1.5):
        with pytest.raises(ValueError, match=rf"ProgressBar: refresh_rate .*{bad}"):
            ProgressBar(refresh_rate=bad)


def test_notebooks_get_tqdm_auto(monkeypatch):
    assert not progress.in_notebook()
    shell = types.SimpleNamespace(config={"IPKernelApp": {"connection_file": "kernel.json"}})
    monkeypatch.setitem(sys.modules, "IPython", types.SimpleNamespace(get_ipython=lambda: shell))
    assert progress.in_notebook() and progress.interactive(io.StringIO())
    import tqdm.auto
    assert progress._bar_class() is tqdm.auto.tqdm
    bar = ProgressBar(file=io.StringIO())
    bar.on_train_begin()
    assert bar._draws  # a notebook's output is not a terminal, but draws the bar
    shell.config = {}  # IPython in a terminal: not a notebook
    assert not progress.in_notebook()
    import tqdm.std
    assert progress._bar_class() is tqdm.std.tqdm
