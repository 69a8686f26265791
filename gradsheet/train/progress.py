"""What ``fit`` shows while it trains: a progress bar per epoch, and one line per epoch.

The epoch line always holds every logged value and the epoch's time::

    Epoch 3/10 - 20/20 - 410ms - loss: 0.3121 - accuracy: 0.9102 - val_loss: 0.3309 - lr: 0.001

The bar (tqdm; ``tqdm.auto``'s widget in a Jupyter notebook) shows the running training loss
and metrics before the bar itself, so that a narrow terminal cuts the bar, not the numbers;
when the epoch ends it gives way to the epoch line (wrapped at the terminal's width), which
adds the validation values. Where output is not interactive (piped, a CI log) only the epoch
lines are printed.

``fit(verbose=...)`` picks the display, as Keras: ``1`` the bar, which (as Keras' progress bar)
is drawn only where output is interactive, leaving the epoch lines alone elsewhere; ``"auto"``
(the default) is 1, as in Keras; ``2`` the epoch lines only; ``0`` nothing. A ``ProgressBar`` in
``fit``'s callbacks replaces it, with its own options (``interactive_only=False`` draws the bar
through a pipe too, e.g. into ``tee``).
"""
from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Iterable, Mapping
from typing import IO, TYPE_CHECKING, Any, Optional, Union

from .callbacks import Callback, is_writer

if TYPE_CHECKING:
    from .callbacks import Logs

# the running values come before the bar: when the line is too long, tqdm cuts its end
BAR_FORMAT = "{desc} {n_fmt}/{total_fmt} [{elapsed}<{remaining}{postfix}] {bar}"
VERBOSE = (0, 1, 2, "auto")


def in_notebook() -> bool:
    """Whether this process is a Jupyter kernel (IPython's ``IPKernelApp``), where
    ``tqdm.auto`` draws a widget."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


def interactive(stream: Any) -> bool:
    """Whether ``stream`` redraws a bar: a terminal, or the output of a notebook."""
    isatty = getattr(stream, "isatty", None)
    return bool(isatty is not None and isatty()) or in_notebook()


def format_value(value: Any) -> str:
    """A logged value as the epoch line prints it: 4 significant digits for numbers."""
    try:
        return f"{value:.4g}"
    except (TypeError, ValueError):
        return str(value)


def duration(seconds: float) -> str:
    """An epoch's time as the epoch line shows it: ``"850ms"``, ``"12.3s"``, ``"2m05s"``."""
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, seconds = divmod(round(seconds), 60)
    return f"{minutes}m{seconds:02d}s"


def epoch_line(epoch: int, epochs: int, steps: int, seconds: float, logs: Mapping[str, Any],
               width: Optional[int] = None) -> str:
    """``"Epoch E/EPOCHS - S/S - 1.2s - name: value - ..."``: the steps, the time (see
    ``duration``) and every value in ``logs``;
    with ``width``, wrapped at the `` - `` separators so that no line is longer than ``width``
    (a part longer than that keeps a line of its own), the next lines indented by 4."""
    parts = [f"Epoch {epoch + 1}/{epochs}", f"{steps}/{steps}", duration(seconds)]
    parts += [f"{name}: {format_value(value)}" for name, value in logs.items()]
    if width is None:
        return " - ".join(parts)
    lines: list[str] = []
    line = parts[0]
    for part in parts[1:]:
        if len(line) + 3 + len(part) <= width:
            line += " - " + part
        else:
            lines.append(line)
            line = "    " + part
    return "\n".join(lines + [line])


def running_values(logs: Mapping[str, float]) -> str:
    """The bar's compact text of the running means: ``"loss=0.312 accuracy=0.91"``."""
    return " ".join(f"{name}={value:.3g}" for name, value in logs.items())


def _bar_class() -> Any:
    """tqdm's notebook widget in a notebook (through ``tqdm.auto``), its text bar elsewhere."""
    if in_notebook():
        from tqdm.auto import tqdm
    else:
        from tqdm.std import tqdm
    return tqdm


class ProgressBar(Callback):
    """The progress display of ``fit``: a tqdm bar per epoch with the running loss and metrics,
    then the epoch line with every logged value (train and validation) and the epoch's time.

    Put it in ``fit(callbacks=[...])`` to choose its options (it then replaces the display that
    ``verbose`` would pick); last in the list, its line also shows what the other callbacks
    added to the logs (e.g. ``LearningRateMonitor``'s values).

    Args:
        refresh_rate: redraw the bar every ``refresh_rate`` batches (and at the last one), as
            Lightning's ``TQDMProgressBar``; 0: no bar, the epoch lines only (``fit(verbose=2)``).
        leave: keep each epoch's finished bar above its epoch line (else the line replaces it).
        file: the stream written to (default: ``sys.stdout`` when training starts).
        interactive_only: draw the bar only where the stream is interactive (a terminal, a
            notebook), printing the epoch lines alone elsewhere; False draws it everywhere.

    Under a process group only rank 0 displays anything. Raises ValueError for a negative
    ``refresh_rate``.
    """

    def __init__(self, refresh_rate: int = 1, leave: bool = False, file: Optional[IO[str]] = None,
                 interactive_only: bool = True) -> None:
        if not isinstance(refresh_rate, int) or refresh_rate < 0:
            raise ValueError(f"ProgressBar: refresh_rate must be an int >= 0, got "
                             f"{refresh_rate!r}")
        self.refresh_rate, self.leave, self.file = refresh_rate, leave, file
        self.interactive_only = interactive_only
        self._stream: Optional[IO[str]] = None
        self._bar: Any = None  # the epoch's tqdm bar, while one is drawn
        self._shown = self._draws = False
        self._started = 0.0

    def on_train_begin(self, logs: Logs = None) -> None:
        """Pick the stream, and whether to show anything and draw bars on it."""
        self._stream = self.file if self.file is not None else sys.stdout
        self._shown = is_writer()
        self._draws = self._shown and self.refresh_rate > 0 and (
            not self.interactive_only or interactive(self._stream))

    def _width(self) -> Optional[int]:
        """The terminal's width when the stream is one (COLUMNS, else the terminal's size),
        else None (a notebook, a file: no wrapping)."""
        isatty = getattr(self._stream, "isatty", None)
        return shutil.get_terminal_size().columns if isatty is not None and isatty() else None

    def on_epoch_begin(self, epoch: int, logs: Logs = None) -> None:
        """Start the epoch's clock and, when drawing, its bar."""
        self._started = time.perf_counter()
        if not self._draws:
            return
        width, params = self._width(), self._fit_params()
        self._bar = _bar_class()(
            total=params["steps"], desc=f"Epoch {epoch + 1}/{params['epochs']}",
            unit="batch", file=self._stream, leave=self.leave, bar_format=BAR_FORMAT,
            ncols=None if width is None else width - 1)

    def on_batch_end(self, batch: int, logs: Logs = None) -> None:
        """Every ``refresh_rate`` batches (and at the last), move the bar and show the running
        means."""
        if self._bar is None:
            return
        if (batch + 1) % self.refresh_rate == 0 or batch + 1 == self._bar.total:
            self._bar.set_postfix_str(running_values(logs or {}), refresh=False)
            self._bar.n = batch + 1  # as Lightning's bar: redrawn now, whatever the time
            self._bar.refresh()

    def on_epoch_end(self, epoch: int, logs: Logs = None) -> None:
        """Close the bar and print the epoch line."""
        self._close()
        if self._shown:
            seconds = time.perf_counter() - self._started
            params = self._fit_params()
            print(epoch_line(epoch, params["epochs"], params["steps"], seconds,
                             logs or {}, self._width()), file=self._stream, flush=True)

    def on_train_end(self, logs: Logs = None) -> None:
        """Close a bar left open (training stopped inside an epoch)."""
        self._close()

    def _close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def display(verbose: Union[int, str], callbacks: Iterable[Callback]) -> list[Callback]:
    """The callbacks ``fit`` adds to show progress for ``verbose`` (see the module docstring):
    none when ``verbose`` is 0 or ``callbacks`` holds a ProgressBar.

    Raises ValueError naming ``fit`` and the value when ``verbose`` is not 0, 1, 2 or "auto".
    """
    if verbose not in VERBOSE or isinstance(verbose, bool):
        raise ValueError(f"fit: verbose must be one of {VERBOSE}, got {verbose!r}")
    if verbose == 0 or any(isinstance(callback, ProgressBar) for callback in callbacks):
        return []
    if verbose == 2:
        return [ProgressBar(refresh_rate=0)]
    return [ProgressBar()]
