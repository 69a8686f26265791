"""Tour section 2: the cheat sheet's "Convolutional neural networks" part, run.

Prints the conv size formula N = (W - F + 2P)/S + 1 on examples beside the calls that
implement it, pooling and batch normalization with live examples, a summary of the digits CNN
(every layer's W, F, P, S -> N), trains that CNN with batch norm on the 8x8 digits, and runs
the two batch-norm claims as experiments: "allows higher learning rates" (the same CNN with
and without batch norm under plain SGD at a moderate and at a high learning rate) and
"reduces the dependence on initialization" (conv weights scaled by 0.1, 1 and 10).
"""
from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Optional

import numpy as np

import gradsheet as gs
import gradsheet.nn as nn
import gradsheet.nn.functional as F
from gradsheet import optim, reference
from gradsheet.data import random_split
from gradsheet.data.datasets import load_digits
from gradsheet.ops import conv
from gradsheet.summary import summary
from gradsheet.train import evaluate, fit
from gradsheet.train.callbacks import Callback

from gradsheet.plotting import curves, history_figure, median_band, paired

if TYPE_CHECKING:
    from gradsheet.data import Dataset
    from gradsheet.train.history import History

    from .report import FormulaRow, Report

# one setting of a batch-norm experiment: (label, learning rate, init scale, seeds)
Setting = tuple[str, float, float, Sequence[int]]

# The learning-rate experiment: a rate where both nets train, and a high one. Found by a
# sweep over 0.1, 0.3, 0.5, 0.7, 1.0 (seeds 0-2, 6 epochs): without batch norm the CNN trains
# up to 0.5 and is stuck at chance (loss ln 10 = 2.30) from 0.7 on for every seed; with it,
# 0.7 trains for every seed, and 1.0 fails for some seeds too.
LEARNING_RATES = (0.1, 0.7)
INIT_SCALES = (0.1, 1.0, 10.0)
# Epochs of the two experiments (quick, full). Checked over seeds 0-4: at 4 epochs the median
# over any three consecutive seeds holds at lr=0.7 (at 3 epochs seeds 2-4 are marginal: 0.69 with
# batch norm, 2.28 without), and the init experiment holds for every seed at 3 epochs.
LR_EPOCHS = (4, 6)
INIT_EPOCHS = (3, 4)
CHANCE_LOSS = math.log(10)


def digits_cnn(batch_norm: bool, width: int = 16) -> nn.Sequential:
    """Three 3x3 conv blocks (conv, [BatchNorm2d], ReLU) of width, 2 width, 4 width channels,
    2x2 max pools after the second and third, and a linear classifier: 8x8 -> 10 classes.
    With batch norm the convs have no bias (BatchNorm's beta is one)."""
    def block(c_in: int, c_out: int) -> list[nn.Module]:
        layers: list[nn.Module] = [nn.Conv2d(c_in, c_out, 3, padding=1, bias=not batch_norm)]
        return layers + ([nn.BatchNorm2d(c_out)] if batch_norm else []) + [nn.ReLU()]
    return nn.Sequential(*block(1, width), *block(width, 2 * width), nn.MaxPool2d(2),
                         *block(2 * width, 4 * width), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(4 * width * 2 * 2, 10))


def formulas() -> list[FormulaRow]:
    """(formula, gradsheet call, live example, implementation) for the cheat sheet's CNN part."""
    size = nn.conv_output_size
    try:
        size(32, 4, P=0, S=3, strict=True)
        strict = "no error"
    except ValueError:
        strict = "ValueError (not an integer)"
    layer = nn.Conv2d(1, 16, 5, padding=2)
    conv_out = layer(gs.zeros(1, 1, 28, 28)).shape
    pooled = F.max_pool2d(gs.tensor([[[[1.0, 2.0], [3.0, 4.0]]]]), 2)
    assert isinstance(pooled, gs.Tensor)  # no return_indices: one tensor
    batch = gs.tensor([[1.0], [2.0], [3.0], [4.0]])
    normalized = F.batch_norm(batch, None, None, training=True, eps=0.0)
    return [
        ("N = (W - F + 2P)/S + 1", "nn.conv_output_size(W, F, P, S)",
         f"W=28, F=5, P=2, S=1 -> {size(28, 5, P=2)}; W=32, F=3, P=1, S=2 -> "
         f"{size(32, 3, P=1, S=2)}", conv.conv_output_size),
        ("N must be a positive integer", "conv_output_size(..., strict=True)",
         f"W=32, F=4, P=0, S=3: (32 - 4)/3 + 1 = {(32 - 4) / 3 + 1:.2f} -> {strict}",
         conv.conv_output_size),
        ("conv layer: N x N outputs per filter", "nn.Conv2d(1, 16, 5, padding=2)",
         f"input 1x28x28 -> {'x'.join(map(str, conv_out[1:]))}", reference.conv2d),
        ("pooling: max of each F x F window", "nn.MaxPool2d(2) / F.max_pool2d",
         f"[[1, 2], [3, 4]] -> {pooled.item():g}; W=28, F=2, S=2 -> N={size(28, 2, S=2)}",
         reference.max_pool2d),
        ("x_i <- gamma (x_i - mu_B)/sqrt(sigma_B^2 + eps) + beta", "nn.BatchNorm2d(C)",
         f"batch [1, 2, 3, 4], gamma=1, beta=0 -> "
         f"{np.array2string(normalized.array.ravel(), precision=3, separator=', ')}",
         reference.batch_norm),
    ]


class _EpochLosses(Callback):
    """Keeps each finished epoch's mean training loss (also when a later epoch diverges)."""

    def __init__(self) -> None:
        self.losses: list[float] = []

    def on_epoch_end(self, epoch: int, logs: Optional[dict[str, Any]] = None) -> None:
        assert logs is not None  # fit passes the epoch's logs
        self.losses.append(float(logs["loss"]))


def _train(model: nn.Module, optimizer: optim.Optimizer, data: Dataset[Any], epochs: int,
           verbose: int) -> tuple[list[float], bool]:
    """Per-epoch losses and whether training diverged (fit raises on a NaN or inf loss)."""
    recorder = _EpochLosses()
    try:
        fit(model, nn.CrossEntropyLoss(), optimizer, data, epochs=epochs, batch_size=32,
            callbacks=[recorder], verbose=verbose)
    except FloatingPointError:
        return recorder.losses, True
    return recorder.losses, False


def train_digits_cnn(model: nn.Module, train_set: Dataset[Any], test_set: Dataset[Any],
                     epochs: int, verbose: int = 0) -> tuple[History, float, float]:
    """Adam(lr=2e-3), batch 32: returns the History, the held-out accuracy and the seconds."""
    start = time.perf_counter()
    history = fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=2e-3),
                  train_set, val_data=test_set, epochs=epochs, batch_size=32, verbose=verbose)
    seconds = time.perf_counter() - start
    accuracy = evaluate(model, nn.CrossEntropyLoss(), test_set, metrics=("accuracy",))
    return history, accuracy["accuracy"], seconds


def run(report: Report, quick: bool = False, seed: int = 0, verbose: int = 1) -> None:
    """Section 2, convolutional networks: the size formula N = (W - F + 2P)/S + 1 on examples,
    the layer table, the digits CNN trained with batch norm, and the two batch-norm experiments
    (higher learning rates, less dependence on initialization).

    Every figure is printed and recorded in ``report``. ``quick`` shrinks the experiments to
    fit the tour's --quick budget; ``seed`` fixes every random draw; ``verbose`` (0 or 1)
    shows training progress.
    """
    report.section("convolutional", "2. Convolutional neural networks: the size formula, "
                   "pooling, batch normalization")
    report.formula_table(formulas())
    try:
        nn.Conv2d(1, 8, 5)(gs.zeros(1, 1, 3, 3))
    except ValueError as error:
        report.text(f"\na layer whose input is too small says why:\n  {error}")

    gs.manual_seed(seed)
    digits = load_digits(image=True)
    train_set, test_set = random_split(digits, [0.8, 0.2], generator=np.random.default_rng(seed))
    width, epochs = (8, 6) if quick else (16, 15)
    model = digits_cnn(True, width)
    report.text(f"\nthe digits CNN (width {width}), as gradsheet.summary prints it:")
    table = summary(model, (32, 1, 8, 8), verbose=0)
    for line in str(table).splitlines():
        report.text("  " + line)
    report.record("cnn_total_params", table.total_params)
    report.record("cnn_size_formulas", [row.formula for row in table.rows if row.formula])

    report.text(f"\ntraining it: Adam(lr=2e-3), batch 32, {epochs} epochs on digits as 1x8x8 "
                f"images ({len(train_set)} train / {len(test_set)} held-out)")
    history, accuracy, seconds = train_digits_cnn(model, train_set, test_set, epochs, verbose)
    report.figure("cnn_train_seconds", round(seconds, 2), "training time (s)", "{:.2f}")
    report.figure("cnn_final_train_loss", float(history.history["loss"][-1]),
                  "final train loss", "{:.4f}")
    report.figure("cnn_test_accuracy", accuracy, "test accuracy", "{:.2%}")
    title = "digits CNN with batch norm: loss per epoch"
    report.plot("cnn_digits_training", title,
                lambda plt: history_figure(history.history, title, metrics=["loss"],
                                           ylabels={"loss": "cross-entropy loss"}, log=True))

    _learning_rate_experiment(report, train_set, quick, seed, verbose)
    _initialization_experiment(report, train_set, quick, seed, verbose)


def _median_final(runs: Sequence[Mapping[str, Any]]) -> float:
    """The median final loss over seeds, a diverged run counting as infinite."""
    return float(np.median([math.inf if r["diverged"] else r["losses"][-1] for r in runs]))


def _compare(report: Report, train_set: Dataset[Any], settings: Sequence[Setting], epochs: int,
             verbose: int) -> dict[str, dict[str, dict[str, Any]]]:
    """Train the width-8 CNN without and with batch norm for each (label, lr, init scale,
    seeds), printing every per-epoch loss; returns {label: {"plain"/"bn": {"runs": [...],
    "median_final_loss": ...}}}."""
    outcome: dict[str, dict[str, dict[str, Any]]] = {}
    for label, lr, scale, seeds in settings:
        outcome[label] = {}
        for batch_norm in (False, True):
            name, runs = ("bn" if batch_norm else "plain"), []
            for seed in seeds:
                gs.manual_seed(seed)
                model = digits_cnn(batch_norm, width=8)
                for layer in model:
                    if isinstance(layer, nn.Conv2d):
                        layer.weight.array *= scale
                losses, diverged = _train(model, optim.SGD(model.parameters(), lr=lr),
                                          train_set, epochs, verbose)
                runs.append({"seed": seed, "losses": losses, "diverged": diverged})
                end = (f"DIVERGED (NaN/inf loss) after {len(losses)} full epochs" if diverged
                       else f"final {losses[-1]:.4f}")
                report.text(f"  {label}, {'with' if batch_norm else 'without'} batch norm, "
                            f"seed {seed}: losses per epoch {np.round(losses, 4).tolist()} "
                            f"-> {end}")
            outcome[label][name] = {"runs": runs, "median_final_loss": _median_final(runs)}
    return outcome


def batchnorm_curves(outcome: Mapping[str, Mapping[str, Mapping[str, Any]]], title: str) -> Any:
    """The training loss per epoch of each setting of ``_compare``'s outcome, in the setting's
    colour, with batch norm solid and without dashed: the median over the seeds (the quoted
    median final loss is its last point) in a band from the lowest to the highest seed; a
    dotted line at chance (ln 10). Returns the Axes."""
    # median_band's arrays (plotting.curves plots any sequence of numbers; NumPy arrays are
    # not a typing Sequence)
    series: dict[str, Any] = {}
    styles: dict[str, dict[str, str]] = {}
    bands: dict[str, Any] = {}
    for i, (label, pair) in enumerate(outcome.items()):
        for name, with_ in (("plain", False), ("bn", True)):
            runs = [run["losses"] for run in pair[name]["runs"]]
            median, low, high = median_band(runs)
            key = (f"{label}, {'with' if with_ else 'without'} BN"
                   + (f", median of {len(runs)} seeds" if len(runs) > 1 else ""))
            series[key], styles[key] = median, paired(f"C{i}", with_)
            if len(runs) > 1:
                bands[key] = (low, high)
    return curves(series, title=title, ylabel="training loss", log=True, styles=styles,
                  bands=bands, references=[(CHANCE_LOSS, "chance (ln 10)")])


def _learning_rate_experiment(report: Report, train_set: Dataset[Any], quick: bool, seed: int,
                              verbose: int) -> None:
    epochs, seeds = LR_EPOCHS[0] if quick else LR_EPOCHS[1], [seed, seed + 1, seed + 2]
    moderate, high = LEARNING_RATES
    report.text(f"\nBatch-norm experiment 1, higher learning rates: the width-8 CNN with and "
                f"without batch norm, plain SGD, batch 32, {epochs} epochs, at lr={moderate} "
                f"(seed {seed}) and at the high lr={high} (seeds {seeds}; at this rate the "
                "plain net's fate varies with the seed)")
    settings = [(f"lr={moderate}", moderate, 1.0, seeds[:1]), (f"lr={high}", high, 1.0, seeds)]
    outcome = _compare(report, train_set, settings, epochs, verbose)
    report.record("learning_rate_experiment", outcome)
    title = "with and without batch norm, plain SGD"
    report.plot("cnn_batchnorm_learning_rate", title,
                lambda plt: batchnorm_curves(outcome, title))
    bn = outcome[f"lr={high}"]["bn"]["median_final_loss"]
    plain = outcome[f"lr={high}"]["plain"]["median_final_loss"]
    report.figure("high_lr_median_final_loss_bn", bn, f"lr={high}, median final loss with "
                  "batch norm", "{:.4f}")
    report.figure("high_lr_median_final_loss_plain", plain, f"lr={high}, median final loss "
                  "without batch norm (inf: diverged)", "{:.4f}")
    # BN "trains": its loss ends well below chance (ln 10); the plain net is "markedly worse"
    # when it ends with over 3 times BN's loss (or diverges: infinite).
    holds = bn < CHANCE_LOSS / 2 and plain > 3 * bn
    report.claim("batchnorm_learning_rate_claim", "batch normalization allows higher learning "
                 "rates", holds,
                 f"at lr={high}, median final training loss over seeds {seeds}: {bn:.4f} with "
                 f"batch norm, {plain:.4f} without (chance is ln 10 = {CHANCE_LOSS:.4f})")


def _initialization_experiment(report: Report, train_set: Dataset[Any], quick: bool, seed: int,
                               verbose: int) -> None:
    epochs, lr = INIT_EPOCHS[0] if quick else INIT_EPOCHS[1], LEARNING_RATES[0]
    report.text(f"\nBatch-norm experiment 2, dependence on initialization: every conv weight "
                f"scaled by {', '.join(f'{s:g}' for s in INIT_SCALES)} after the default "
                f"init, SGD(lr={lr}), {epochs} epochs, seed {seed}")
    settings = [(f"init x{scale:g}", lr, scale, [seed]) for scale in INIT_SCALES]
    outcome = _compare(report, train_set, settings, epochs, verbose)
    report.record("initialization_experiment", outcome)
    title = "with and without batch norm, scaled inits"
    report.plot("cnn_batchnorm_initialization", title,
                lambda plt: batchnorm_curves(outcome, title))
    worst_bn = max(outcome[label]["bn"]["median_final_loss"] for label, *_ in settings)
    worst_plain = max(outcome[label]["plain"]["median_final_loss"] for label, *_ in settings)
    report.figure("init_worst_final_loss_bn", worst_bn, "worst final loss over the scales "
                  "with batch norm", "{:.4f}")
    report.figure("init_worst_final_loss_plain", worst_plain, "worst final loss over the "
                  "scales without batch norm (inf: diverged)", "{:.4f}")
    holds = worst_bn < CHANCE_LOSS / 2 and worst_plain > 3 * worst_bn
    report.claim("batchnorm_initialization_claim", "batch normalization reduces the dependence "
                 "on initialization", holds,
                 f"worst final loss over the init scales {worst_bn:.4f} with batch norm, "
                 f"{worst_plain:.4f} without")
