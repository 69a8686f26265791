"""Normalization: standardize over some axes, then scale and shift per feature.

    x_hat = (x - mu) / sqrt(sigma^2 + eps),   y = gamma * x_hat + beta

mu and sigma^2 are the mean and the biased variance over the normalized axes: the batch (and
spatial) axes per channel for batch norm, the trailing ``normalized_shape`` per sample for
layer norm, a group of channels (and space) per sample for group norm. Each is one fused node
whose backward is the closed form (M values per statistic, means over the same axes):

    dL/dx = (1 / sigma) (dx_hat - mean(dx_hat) - x_hat * mean(dx_hat * x_hat)),
    dx_hat = gamma * dL/dy,   dL/dgamma = sum of dL/dy * x_hat,   dL/dbeta = sum of dL/dy

References: Ioffe & Szegedy, "Batch Normalization", ICML 2015; Ba et al., "Layer
Normalization", 2016; Wu & He, "Group Normalization", ECCV 2018.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional

import numpy as np

from ._checks import int_arg, tensor_args
from ..autograd.function import Function
from ..autograd.tensor import Tensor

if TYPE_CHECKING:
    from .._typing import ShapeLike


def _standardize(x: np.ndarray, axes: tuple[int, ...], eps: float
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(x_hat, 1/sigma, mu, sigma^2) with the statistics over ``axes`` (kept as size-1 dims)."""
    mean = x.mean(axis=axes, keepdims=True)
    centred = x - mean
    var = np.square(centred).mean(axis=axes, keepdims=True)  # two passes: no cancellation
    invstd = 1.0 / np.sqrt(var + eps)
    return np.multiply(centred, invstd, out=centred), invstd, mean, var


def _standardize_backward(dxhat: np.ndarray, xhat: np.ndarray, invstd: np.ndarray,
                          axes: tuple[int, ...]) -> np.ndarray:
    """dL/dx = (1/sigma) (dx_hat - mean(dx_hat) - x_hat mean(dx_hat x_hat)), means over ``axes``."""
    dx = xhat * (dxhat * xhat).mean(axis=axes, keepdims=True)
    np.subtract(dxhat, dx, out=dx)
    dx -= dxhat.mean(axis=axes, keepdims=True)
    dx *= invstd
    return dx


def _affine(xhat: np.ndarray, weight: Optional[np.ndarray], bias: Optional[np.ndarray],
            view: tuple[int, ...]) -> np.ndarray:
    """y = gamma x_hat + beta with gamma, beta reshaped to ``view``; x_hat itself without them."""
    if weight is None and bias is None:
        return xhat
    y = xhat * weight.reshape(view) if weight is not None else xhat.copy()
    if bias is not None:
        y += bias.reshape(view)
    return y


def _affine_grads(node: Function, g: np.ndarray, xhat: np.ndarray, axes: tuple[int, ...],
                  shape: tuple[int, ...]) -> tuple[Optional[np.ndarray], Optional[np.ndarray]]:
    """dL/dgamma = sum of g * x_hat and dL/dbeta = sum of g over ``axes``, in ``shape``."""
    grad_w = (g * xhat).sum(axis=axes).reshape(shape) if node.needs_grad(1) else None
    grad_b = g.sum(axis=axes).reshape(shape) if node.needs_grad(2) else None
    return grad_w, grad_b


class BatchNorm(Function):
    """Per channel c, over the batch and spatial axes (M values):

        x_hat = (x - mu_B) / sqrt(sigma_B^2 + eps),   y = gamma x_hat + beta

    Training: mu_B, sigma_B^2 are the batch mean and biased variance, and the running estimates
    move towards the batch's: r <- (1 - momentum) r + momentum * stat, with the unbiased
    variance sigma_B^2 M / (M - 1) (as PyTorch keeps it). Evaluation: the running estimates
    are used and are constants, so the backward is dL/dx = gamma / sigma * dL/dy.

    Training backward, with dbeta = sum g and dgamma = sum g x_hat over the M values:
        dL/dx = (gamma / sigma) (g - dbeta / M - x_hat dgamma / M)

    Shapes: x (N, C, *), gamma, beta, running_mean, running_var (C,).
    """

    def forward(self, x: np.ndarray, weight: Optional[np.ndarray], bias: Optional[np.ndarray],
                running_mean: Optional[np.ndarray], running_var: Optional[np.ndarray],
                training: bool, momentum: float, eps: float) -> np.ndarray:
        axes = (0,) + tuple(range(2, x.ndim))
        view = (x.shape[1],) + (1,) * (x.ndim - 2)
        if training:
            xhat, invstd, mean, var = _standardize(x, axes, eps)
            if running_mean is not None:
                m = x.size // x.shape[1]
                move_towards(running_mean, mean.reshape(-1), momentum)
                # batch_norm gives both running statistics or neither
                move_towards(running_var, var.reshape(-1) * (m / (m - 1)),  # type: ignore[arg-type]
                             momentum)
        else:
            # batch_norm passes the running statistics whenever training is False
            invstd = (1.0 / np.sqrt(running_var + eps)  # type: ignore[operator]  # (above)
                      ).astype(x.dtype, copy=False).reshape(view)
            xhat = x - running_mean.reshape(view  # type: ignore[union-attr]  # (above)
                                            ).astype(x.dtype, copy=False)
            xhat *= invstd
        self.xhat, self.invstd, self.weight = xhat, invstd, weight
        self.axes, self.view, self.training = axes, view, training
        return _affine(xhat, weight, bias, view)

    def backward(self, g: np.ndarray
                 ) -> tuple[Optional[np.ndarray], Optional[np.ndarray], Optional[np.ndarray]]:
        xhat, axes = self.xhat, self.axes
        grad_w, grad_b = _affine_grads(self, g, xhat, axes, (xhat.shape[1],))
        grad_x = None
        if self.needs_grad(0):
            scale = self.invstd.reshape(self.view)
            if self.weight is not None:
                scale = scale * self.weight.reshape(self.view)
            if self.training:
                m = xhat.size // xhat.shape[1]
                dgamma = grad_w if grad_w is not None else (g * xhat).sum(axis=axes)
                dbeta = grad_b if grad_b is not None else g.sum(axis=axes)
                grad_x = xhat * (dgamma.reshape(self.view) * (1.0 / m))
                grad_x += dbeta.reshape(self.view) * (1.0 / m)
                np.subtract(g, grad_x, out=grad_x)
                grad_x *= scale
            else:
                grad_x = g * scale
        return grad_x, grad_w, grad_b


def move_towards(running: np.ndarray, stat: np.ndarray, momentum: float) -> None:
    """running <- (1 - momentum) running + momentum stat, in place."""
    running *= 1.0 - momentum
    running += momentum * stat.astype(running.dtype, copy=False)


class LayerNorm(Function):
    """Per sample, over the trailing ``normalized_shape`` axes:
    y = gamma x_hat + beta with x_hat = (x - mu) / sqrt(sigma^2 + eps); gamma, beta have
    ``normalized_shape``. Backward: the module docstring's closed form with dx_hat = gamma g.
    """

    def forward(self, x: np.ndarray, weight: Optional[np.ndarray], bias: Optional[np.ndarray],
                n_axes: int, eps: float) -> np.ndarray:
        self.axes = tuple(range(x.ndim - n_axes, x.ndim))
        self.xhat, self.invstd, _, _ = _standardize(x, self.axes, eps)
        self.weight = weight
        return _affine(self.xhat, weight, bias, self.xhat.shape[x.ndim - n_axes:])

    def backward(self, g: np.ndarray
                 ) -> tuple[Optional[np.ndarray], Optional[np.ndarray], Optional[np.ndarray]]:
        xhat, weight = self.xhat, self.weight
        batch_axes = tuple(range(xhat.ndim - len(self.axes)))
        grad_w, grad_b = _affine_grads(self, g, xhat, batch_axes, xhat.shape[len(batch_axes):])
        grad_x = None
        if self.needs_grad(0):
            dxhat = g * weight if weight is not None else g
            grad_x = _standardize_backward(dxhat, xhat, self.invstd, self.axes)
        return grad_x, grad_w, grad_b


class GroupNorm(Function):
    """Per sample and group of C/G channels, over those channels and the spatial axes:
    x_hat = (x - mu) / sqrt(sigma^2 + eps), y = gamma x_hat + beta with per-channel gamma, beta.
    Backward: the module docstring's closed form over each group, dx_hat = gamma g.

    Shapes: x (N, C, *), gamma, beta (C,).
    """

    def forward(self, x: np.ndarray, weight: Optional[np.ndarray], bias: Optional[np.ndarray],
                num_groups: int, eps: float) -> np.ndarray:
        grouped = x.reshape(x.shape[0], num_groups, int(np.prod(x.shape[1:])) // num_groups)
        xhat, self.invstd, _, _ = _standardize(grouped, (2,), eps)
        self.xhat: np.ndarray = xhat.reshape(x.shape)  # (NumPy's stubs: reshape(tuple) is 0-d)
        self.weight = weight
        self.view = (x.shape[1],) + (1,) * (x.ndim - 2)
        return _affine(self.xhat, weight, bias, self.view)

    def backward(self, g: np.ndarray
                 ) -> tuple[Optional[np.ndarray], Optional[np.ndarray], Optional[np.ndarray]]:
        xhat, weight = self.xhat, self.weight
        axes = (0,) + tuple(range(2, xhat.ndim))
        grad_w, grad_b = _affine_grads(self, g, xhat, axes, (xhat.shape[1],))
        grad_x = None
        if self.needs_grad(0):
            dxhat = g * weight.reshape(self.view) if weight is not None else g
            groups = self.invstd.shape[1]
            grouped = (xhat.shape[0], groups, int(np.prod(xhat.shape[1:])) // groups)
            grad_x = _standardize_backward(dxhat.reshape(grouped), xhat.reshape(grouped),
                                           self.invstd, (2,)).reshape(xhat.shape)
        return grad_x, grad_w, grad_b


def _shape(t: Optional[Tensor]) -> Optional[tuple[int, ...]]:
    return None if t is None else tuple(t.shape)


def _check_per_channel(op: str, input: Tensor, **tensors: Optional[Tensor]) -> None:
    """Each given tensor must hold one value per channel: shape (C,) with C = input.shape[1]."""
    channels = input.shape[1]
    for name, t in tensors.items():
        if t is not None and tuple(t.shape) != (channels,):
            raise ValueError(f"{op}: {name} of shape {_shape(t)} does not match the "
                             f"{channels} channels of input of shape {tuple(input.shape)} "
                             f"(expected ({channels},))")


def _check_input(op: str, input: Tensor, min_dims: int) -> None:
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(input).__name__}")
    if input.ndim < min_dims:
        raise ValueError(f"{op}: expected an input with at least {min_dims} dimensions "
                         f"(N, C, ...), got shape {tuple(input.shape)}")


@tensor_args("input", "running_mean?", "running_var?", "weight", "bias")
def batch_norm(input: Tensor, running_mean: Optional[Tensor], running_var: Optional[Tensor],
               weight: Optional[Tensor] = None, bias: Optional[Tensor] = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-05) -> Tensor:
    """Batch normalization of (N, C, *) input per channel (see BatchNorm).

    In training the batch statistics normalize and, when ``running_mean`` and ``running_var``
    are given, those buffers are updated in place with ``momentum``. In evaluation the running
    statistics normalize (and must be given).
    """
    _check_input("batch_norm", input, 2)
    _check_per_channel("batch_norm", input, running_mean=running_mean, running_var=running_var,
                       weight=weight, bias=bias)
    if (running_mean is None) != (running_var is None):
        raise ValueError("batch_norm: give both running_mean and running_var or neither")
    if training:
        per_channel = input.array.size // input.shape[1] if input.shape[1] else 0
        if per_channel <= 1:
            raise ValueError(f"batch_norm: expected more than 1 value per channel when "
                             f"training, got input of shape {tuple(input.shape)} "
                             f"(sigma_B^2 of one value is 0 and its unbiased estimate 0/0)")
    elif running_mean is None:
        raise ValueError("batch_norm: running_mean and running_var must be given in evaluation "
                         "mode (training=False)")
    return BatchNorm.apply(input, weight, bias, running_mean, running_var, training=training,
                           momentum=float(momentum), eps=float(eps))


@tensor_args("input", "weight", "bias")
def layer_norm(input: Tensor, normalized_shape: ShapeLike, weight: Optional[Tensor] = None,
               bias: Optional[Tensor] = None, eps: float = 1e-05) -> Tensor:
    """Layer normalization over the trailing ``normalized_shape`` axes of each sample."""
    if isinstance(normalized_shape, (list, tuple)):
        normalized_shape = tuple(int_arg("layer_norm", "normalized_shape", n) for n in normalized_shape)
    else:
        normalized_shape = (int_arg("layer_norm", "normalized_shape", normalized_shape),)
    if not isinstance(input, Tensor):
        raise TypeError(f"layer_norm: expected a Tensor, got {type(input).__name__}")
    k = len(normalized_shape)
    if k == 0 or input.ndim < k or tuple(input.shape[input.ndim - k:]) != normalized_shape:
        raise ValueError(f"layer_norm: normalized_shape={normalized_shape} expects input of "
                         f"shape (*, {', '.join(map(str, normalized_shape))}), got shape "
                         f"{tuple(input.shape)}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != normalized_shape:
            raise ValueError(f"layer_norm: {name} of shape {_shape(t)} must have "
                             f"normalized_shape {normalized_shape}")
    return LayerNorm.apply(input, weight, bias, n_axes=k, eps=float(eps))


@tensor_args("input", "weight", "bias")
def group_norm(input: Tensor, num_groups: int, weight: Optional[Tensor] = None,
               bias: Optional[Tensor] = None, eps: float = 1e-05) -> Tensor:
    """Group normalization: channels split into ``num_groups`` groups, each normalized per
    sample over its channels and the spatial axes."""
    _check_input("group_norm", input, 2)
    channels = input.shape[1]
    num_groups = int_arg("group_norm", "num_groups", num_groups)
    if num_groups < 1 or channels % num_groups:
        raise ValueError(f"group_norm: num_groups={num_groups} must divide the number of "
                         f"channels C={channels} of input of shape {tuple(input.shape)}")
    _check_per_channel("group_norm", input, weight=weight, bias=bias)
    return GroupNorm.apply(input, weight, bias, num_groups=int(num_groups), eps=float(eps))


__all__ = ["batch_norm", "group_norm", "layer_norm"]
