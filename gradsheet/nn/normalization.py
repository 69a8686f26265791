"""Normalization layers: x_hat = (x - mu) / sqrt(sigma^2 + eps), y = gamma x_hat + beta.

BatchNorm1d/2d normalize each channel over the batch (the cheat sheet's batch normalization,
usually after a fully connected or convolutional layer and before the non-linearity); LayerNorm
each sample over its trailing axes; GroupNorm each sample over groups of channels. The math is
in ``gradsheet.ops.norm``; names, parameters and buffers are PyTorch's, so state_dicts load
unchanged in either direction.
"""
from __future__ import annotations

import numbers
from collections.abc import Iterable
from typing import TYPE_CHECKING, Optional

import numpy as np

from .. import backend
from .. import devices
from ..autograd.tensor import as_tensor
from ..ops._checks import as_tensor_arg
from ..ops.norm import batch_norm, group_norm, layer_norm
from . import init
from .module import Module
from .parameter import allocate

if TYPE_CHECKING:
    from .._typing import DeviceLike, DType, ShapeLike, Tensor


def _positive_int(layer: str, name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{layer}: {name} must be a positive integer, got {value!r}")
    return int(value)


def _add_affine(module: Module, enabled: bool, bias: bool, shape: ShapeLike,
                device: Optional[DeviceLike], dtype: Optional[DType]) -> None:
    """Register gamma ('weight', ones) and beta ('bias', zeros) of ``shape``, or None."""
    devices.check(device, type(module).__name__)
    dtype = backend.as_dtype(dtype)
    module.register_parameter("weight", allocate(type(module).__name__, shape, dtype, np.ones) if enabled
                              else None)
    module.register_parameter("bias", allocate(type(module).__name__, shape, dtype, np.zeros)
                              if enabled and bias else None)


def _reset_affine(module: Module) -> None:
    if module.weight is not None:
        init.ones_(module.weight)
    if module.bias is not None:
        init.zeros_(module.bias)


class _BatchNorm(Module):
    """x_hat = (x - mu_B) / sqrt(sigma_B^2 + eps), y = gamma x_hat + beta, per channel.

    Training mode normalizes with the batch's mean mu_B and biased variance sigma_B^2 and
    updates the running estimates: r <- (1 - momentum) r + momentum * stat, the variance's
    stat unbiased (times M / (M - 1), M values per channel), as PyTorch does; momentum=None
    makes r the cumulative average over the ``num_batches_tracked`` batches seen. Eval mode
    normalizes with the running estimates (with the batch's when track_running_stats=False).

    Args:
        num_features: C, the number of channels.
        eps: added to the variance for stability (default 1e-5).
        momentum: weight of the new batch in the running estimates (default 0.1), or None.
        affine: learn gamma (init 1) and beta (init 0) (default True).
        track_running_stats: keep running_mean (init 0), running_var (init 1) and
            num_batches_tracked (default True).
        dtype: of the parameters and running estimates (default: the default dtype).
        bias: learn beta (keyword-only, default True; needs affine).

    Reference: Ioffe & Szegedy, "Batch Normalization: Accelerating Deep Network Training by
    Reducing Internal Covariate Shift", ICML 2015.
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: Optional[float] = 0.1,
                 affine: bool = True, track_running_stats: bool = True,
                 device: Optional[DeviceLike] = None, dtype: Optional[DType] = None, *,
                 bias: bool = True) -> None:
        super().__init__()
        name = type(self).__name__
        self.num_features = _positive_int(name, "num_features", num_features)
        if momentum is not None and not 0 <= momentum <= 1:
            raise ValueError(f"{name}: momentum must lie in [0, 1] or be None, got {momentum!r}")
        if eps < 0:
            raise ValueError(f"{name}: eps must be non-negative, got {eps!r}")
        self.eps, self.momentum = eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        _add_affine(self, affine, bias, num_features, device, dtype)
        dtype = backend.as_dtype(dtype)
        if track_running_stats:
            self.register_buffer("running_mean", as_tensor(np.zeros(num_features, dtype=dtype)))
            self.register_buffer("running_var", as_tensor(np.ones(num_features, dtype=dtype)))
            self.register_buffer("num_batches_tracked", as_tensor(np.array(0, dtype=np.int64)))
        else:
            for buffer in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(buffer, None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean.array[...] = 0
            self.running_var.array[...] = 1
            self.num_batches_tracked.array[...] = 0

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        _reset_affine(self)

    def _check_input_dim(self, input: Tensor) -> None:
        raise NotImplementedError

    def forward(self, input: Tensor) -> Tensor:
        as_tensor_arg(type(self).__name__, "input", input)
        self._check_input_dim(input)
        factor = 0.0 if self.momentum is None else self.momentum
        update = self.training and self.track_running_stats
        if update:
            if input.array.size // max(input.shape[1], 1) <= 1:
                batch_norm(input, None, None, training=True)  # raises, before counting a batch
            self.num_batches_tracked.array += 1
            if self.momentum is None:  # cumulative average: the n-th batch weighs 1/n
                factor = 1.0 / int(self.num_batches_tracked.array)
        use_batch_stats = self.training or self.running_mean is None
        return batch_norm(input,
                          self.running_mean if update or not self.training else None,
                          self.running_var if update or not self.training else None,
                          self.weight, self.bias, use_batch_stats, factor, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalization of (N, C) or (N, C, L) input, per channel over N (and L).
    See _BatchNorm for the formula and arguments.

    Example: ``BatchNorm1d(512)`` after ``Linear(784, 512)``, before the ReLU.
    """

    def _check_input_dim(self, input: Tensor) -> None:
        if input.ndim not in (2, 3):
            raise ValueError(f"BatchNorm1d: expected 2D or 3D input (N, C) or (N, C, L), got "
                             f"{input.ndim}D input of shape {tuple(input.shape)}")


class BatchNorm2d(_BatchNorm):
    """Batch normalization of (N, C, H, W) input, per channel over N, H and W.
    See _BatchNorm for the formula and arguments.

    Example: ``BatchNorm2d(16)`` after ``Conv2d(1, 16, 3)``, before the ReLU.
    """

    def _check_input_dim(self, input: Tensor) -> None:
        if input.ndim != 4:
            raise ValueError(f"BatchNorm2d: expected 4D input (N, C, H, W), got {input.ndim}D "
                             f"input of shape {tuple(input.shape)}")


class LayerNorm(Module):
    """y = gamma (x - mu) / sqrt(sigma^2 + eps) + beta, mu and sigma^2 over the trailing
    ``normalized_shape`` axes of each sample (the same in training and evaluation).

    Args:
        normalized_shape: an int or a shape, the trailing axes normalized together.
        eps: added to the variance (default 1e-5).
        elementwise_affine: learn gamma (init 1) and beta (init 0) of ``normalized_shape``.
        bias: learn beta (default True).

    Reference: Ba, Kiros & Hinton, "Layer Normalization", 2016.
    """

    def __init__(self, normalized_shape: ShapeLike, eps: float = 1e-5,
                 elementwise_affine: bool = True, bias: bool = True,
                 device: Optional[DeviceLike] = None, dtype: Optional[DType] = None) -> None:
        super().__init__()
        shape: object = ((normalized_shape,) if isinstance(normalized_shape, numbers.Integral)
                         else normalized_shape)
        if isinstance(shape, (str, bytes)) or not isinstance(shape, Iterable):
            raise TypeError(f"LayerNorm: normalized_shape must be an int or a sequence of ints, "
                            f"got {normalized_shape!r} ({type(normalized_shape).__name__})")
        self.normalized_shape = tuple(_positive_int("LayerNorm", "normalized_shape", n)
                                      for n in shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        _add_affine(self, elementwise_affine, bias, self.normalized_shape, device, dtype)

    def reset_parameters(self) -> None:
        """gamma (weight) = 1 and beta (bias) = 0: the layer starts as the plain normalisation."""
        _reset_affine(self)

    def forward(self, input: Tensor) -> Tensor:
        as_tensor_arg(type(self).__name__, "input", input)
        return layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


class GroupNorm(Module):
    """The C channels split into ``num_groups`` groups; each sample's group is normalized over
    its channels and spatial positions, then y = gamma x_hat + beta per channel.

    Args:
        num_groups: G, dividing num_channels.
        num_channels: C.
        eps: added to the variance (default 1e-5).
        affine: learn per-channel gamma (init 1) and beta (init 0) (default True).
        bias: learn beta (keyword-only, default True).

    Reference: Wu & He, "Group Normalization", ECCV 2018.
    """

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5, affine: bool = True,
                 device: Optional[DeviceLike] = None, dtype: Optional[DType] = None, *,
                 bias: bool = True) -> None:
        super().__init__()
        num_groups = _positive_int("GroupNorm", "num_groups", num_groups)
        num_channels = _positive_int("GroupNorm", "num_channels", num_channels)
        if num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_channels={num_channels} must be divisible by "
                             f"num_groups={num_groups}")
        self.num_groups, self.num_channels = num_groups, num_channels
        self.eps, self.affine = eps, affine
        _add_affine(self, affine, bias, num_channels, device, dtype)

    def reset_parameters(self) -> None:
        """gamma (weight) = 1 and beta (bias) = 0: the layer starts as the plain normalisation."""
        _reset_affine(self)

    def forward(self, input: Tensor) -> Tensor:
        as_tensor_arg(type(self).__name__, "input", input)
        return group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")


__all__ = ["BatchNorm1d", "BatchNorm2d", "GroupNorm", "LayerNorm"]
