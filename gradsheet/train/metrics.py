"""Metrics: how good a batch of predictions is, as a plain float (no gradient).

accuracy(output, target) = mean over samples of [prediction == target], where
    prediction = argmax_c output[n, c]        for class scores (N, C, ...), C > 1
    prediction = output[n] > threshold        for one output per sample (N,) or (N, 1)
mae(output, target) = mean |output - target|
mse(output, target) = mean (output - target) ** 2
"""
import numpy as np

from ..autograd.tensor import Tensor


def _array(x):
    return x.array if isinstance(x, Tensor) else np.asarray(x)


def _same_size(name, output, target):
    if output.size != target.size:
        raise ValueError(f"{name}: output of shape {output.shape} and target of shape "
                         f"{target.shape} hold different numbers of elements")
    return target.reshape(output.shape)


def accuracy(output, target, threshold=0.0):
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
    output, target = _array(output), _array(target)
    if output.ndim >= 2 and output.shape[1] > 1:  # class scores along dim 1, as cross_entropy
        predicted = output.argmax(axis=1)
        if target.shape == output.shape:
            target = target.argmax(axis=1)
        if target.shape != predicted.shape:
            raise ValueError(f"accuracy: class scores of shape {output.shape} need class "
                             f"indices of shape {predicted.shape} or one-hot targets of shape "
                             f"{output.shape}, got target of shape {target.shape}")
    else:
        predicted = output > threshold
        target = _same_size("accuracy", predicted, target > 0.5)
    return float(np.mean(predicted == target))


def mae(output, target):
    """Mean absolute error, mean |output - target| (target reshaped to output's shape)."""
    output = _array(output)
    return float(np.mean(np.abs(output - _same_size("mae", output, _array(target)))))


def mse(output, target):
    """Mean squared error, mean (output - target) ** 2 (target reshaped to output's shape)."""
    output = _array(output)
    return float(np.mean((output - _same_size("mse", output, _array(target))) ** 2))


METRICS = {"accuracy": accuracy, "mae": mae, "mse": mse}


def get_metric(metric):
    """``(name, fn)`` for a metric name in METRICS or a callable ``fn(output, target) -> float``."""
    if callable(metric):
        return getattr(metric, "__name__", type(metric).__name__), metric
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; expected one of {sorted(METRICS)} "
                         f"or a function (output, target) -> float")
    return metric, METRICS[metric]
