"""Metrics: how good a batch of predictions is, as a plain float (no gradient).

accuracy(output, target) = mean over samples of [prediction == target], where
    prediction = argmax_c output[n, c]        for class scores (N, C, ...), C > 1
    prediction = output[n] > threshold        for one output per sample (N,) or (N, 1)
mae(output, target) = mean |output - target|
mse(output, target) = mean (output - target) ** 2
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Union

import numpy as np

from ..autograd.tensor import Tensor

if TYPE_CHECKING:
    from .._typing import TensorLike

    # a metric: fn(output, target) -> float, on Tensors or arrays
    MetricFn = Callable[[Any, Any], float]


def _array(x: TensorLike) -> np.ndarray:
    return x.array if isinstance(x, Tensor) else np.asarray(x)


def _same_size(name: str, output: np.ndarray, target: np.ndarray) -> np.ndarray:
    if output.size != target.size:
        raise ValueError(f"{name}: output of shape {output.shape} and target of shape "
                         f"{target.shape} hold different numbers of elements")
    return target.reshape(output.shape)


def accuracy(output: TensorLike, target: TensorLike, threshold: float = 0.0) -> float:
    """The fraction of samples whose predicted class is the target class.

    Args:
        output: class scores (N, C, ...) with C > 1 (logits or probabilities: the argmax
            is the same), or one score per sample (N,) or (N, 1) for a binary task.
        target: class indices (N, ...), or one-hot / probabilities shaped like ``output``;
            for a binary task 0/1 labels (N,) or (N, 1).
        threshold: the binary decision boundary: 0 for logits (BCEWithLogitsLoss), 0.5 for
            probabilities after a sigmoid (BCELoss). ``fit`` picks it from the loss.

    Example: ``accuracy(tensor([[2., 1.], [0., 3.]]), tensor([0, 0])) == 0.5``.
    """
    scores, labels = _array(output), _array(target)
    if scores.ndim >= 2 and scores.shape[1] > 1:  # class scores along dim 1, as cross_entropy
        predicted = scores.argmax(axis=1)
        if labels.shape == scores.shape:
            labels = labels.argmax(axis=1)
        if labels.shape != predicted.shape:
            raise ValueError(f"accuracy: class scores of shape {scores.shape} need class "
                             f"indices of shape {predicted.shape} or one-hot targets of shape "
                             f"{scores.shape}, got target of shape {labels.shape}")
    else:
        predicted = scores > threshold
        labels = _same_size("accuracy", predicted, labels > 0.5)
    return float(np.mean(predicted == labels))


def mae(output: TensorLike, target: TensorLike) -> float:
    """Mean absolute error, mean |output - target| (target reshaped to output's shape)."""
    scores = _array(output)
    return float(np.mean(np.abs(scores - _same_size("mae", scores, _array(target)))))


def mse(output: TensorLike, target: TensorLike) -> float:
    """Mean squared error, mean (output - target) ** 2 (target reshaped to output's shape)."""
    scores = _array(output)
    return float(np.mean((scores - _same_size("mse", scores, _array(target))) ** 2))


METRICS: dict[str, MetricFn] = {"accuracy": accuracy, "mae": mae, "mse": mse}


def get_metric(metric: Union[str, MetricFn]) -> tuple[str, MetricFn]:
    """``(name, fn)`` for a metric name in METRICS or a callable ``fn(output, target) -> float``."""
    if callable(metric):
        return getattr(metric, "__name__", type(metric).__name__), metric
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; expected one of {sorted(METRICS)} "
                         f"or a function (output, target) -> float")
    return metric, METRICS[metric]
