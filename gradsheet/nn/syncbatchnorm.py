"""SyncBatchNorm: batch normalization whose batch statistics span every rank's batch.

With N ranks each holding a slice of the batch, the per-channel statistics are those of the
whole (concatenated) batch: each rank sums its values and their squares, one Allreduce adds
them up,

    M = sum_r M_r,   mu = (sum_r sum x) / M,   sigma^2 = (sum_r sum x^2) / M - mu^2,

and the backward adds up the two sums it needs the same way. So the outputs, the input
gradients and the running statistics equal BatchNorm's on the concatenated batch; the weight
and bias gradients are each rank's share (DistributedDataParallel averages them, as for any
parameter). Outside a process group of 2 or more ranks it is plain BatchNorm.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional

import numpy as np

from ..autograd.function import Function
from ..ops.norm import move_towards, batch_norm
from .module import Module
from .normalization import _BatchNorm
from .parallel import _comm

if TYPE_CHECKING:
    from .._typing import DeviceLike, DType, Tensor
    from ..distributed.process_group import ProcessGroup

__all__ = ["SyncBatchNorm"]


class _SyncBatchNormFunction(Function):
    """Per channel over the batch and spatial axes of every rank (M values in all):

        x_hat = (x - mu) / sqrt(sigma^2 + eps),   y = gamma x_hat + beta,
        mu = S1 / M,   sigma^2 = S2 / M - mu^2   (S1, S2: sums of x, x^2 allreduced)

    Backward, with g = dL/dy and the allreduced sums D1 = sum g, D2 = sum g x_hat:

        dL/dx = (gamma / sigma) (g - D1 / M - x_hat D2 / M),
        dL/dgamma = sum g x_hat,   dL/dbeta = sum g   (this rank's values only)
    """

    def forward(self, x: np.ndarray, weight: Optional[np.ndarray], bias: Optional[np.ndarray],
                running_mean: Optional[np.ndarray], running_var: Optional[np.ndarray],
                momentum: float, eps: float, group: Optional[ProcessGroup]) -> np.ndarray:
        axes = (0,) + tuple(range(2, x.ndim))
        channels = x.shape[1]
        view = (channels,) + (1,) * (x.ndim - 2)
        wide = x.astype(np.float64, copy=False)
        stats = np.empty(2 * channels + 1)
        stats[:channels] = wide.sum(axis=axes)
        stats[channels:2 * channels] = np.square(wide).sum(axis=axes)
        stats[-1] = x.size // channels
        _comm.all_reduce_sum(stats, group)
        count = stats[-1]
        if count <= 1:
            raise ValueError(f"SyncBatchNorm: expected more than 1 value per channel when "
                             f"training over all ranks, got {int(count)} (input of shape "
                             f"{x.shape} on this rank)")
        mean = stats[:channels] / count
        var = np.maximum(stats[channels:2 * channels] / count - np.square(mean), 0.0)
        invstd = 1.0 / np.sqrt(var + eps)
        if running_mean is not None and running_var is not None:  # (both or neither)
            move_towards(running_mean, mean, momentum)
            move_towards(running_var, var * (count / (count - 1)), momentum)
        xhat = x - mean.astype(x.dtype).reshape(view)
        xhat *= invstd.astype(x.dtype).reshape(view)
        self.xhat, self.invstd, self.weight, self.count = xhat, invstd, weight, count
        self.axes, self.view, self.group = axes, view, group
        y = xhat * weight.reshape(view) if weight is not None else xhat.copy()
        if bias is not None:
            y += bias.reshape(view)
        return y

    def backward(self, g: np.ndarray
                 ) -> tuple[Optional[np.ndarray], Optional[np.ndarray], Optional[np.ndarray]]:
        xhat, axes, view = self.xhat, self.axes, self.view
        channels = xhat.shape[1]
        sums = np.empty(2 * channels)
        sums[:channels] = g.sum(axis=axes, dtype=np.float64)
        sums[channels:] = (g * xhat).sum(axis=axes, dtype=np.float64)
        grad_w = sums[channels:].astype(g.dtype) if self.needs_grad(1) else None
        grad_b = sums[:channels].astype(g.dtype) if self.needs_grad(2) else None
        grad_x = None
        if self.needs_grad(0):
            _comm.all_reduce_sum(sums, self.group)
            scale = self.invstd if self.weight is None else self.invstd * self.weight
            mean_dy = (sums[:channels] / self.count).astype(g.dtype).reshape(view)
            mean_dy_xhat = (sums[channels:] / self.count).astype(g.dtype).reshape(view)
            grad_x = xhat * mean_dy_xhat
            grad_x += mean_dy
            np.subtract(g, grad_x, out=grad_x)
            grad_x *= scale.astype(g.dtype).reshape(view)
        return grad_x, grad_w, grad_b


class SyncBatchNorm(_BatchNorm):
    """x_hat = (x - mu_B) / sqrt(sigma_B^2 + eps), y = gamma x_hat + beta, with mu_B and
    sigma_B^2 over the batches of every rank of ``process_group`` (as ``torch.nn.
    SyncBatchNorm``, over MPI; on the CPU, which PyTorch's refuses).

    In training, within an initialised process group of two or more ranks, each channel's sum,
    sum of squares and count are allreduced (one Allreduce per forward, one of the two gradient
    sums per backward), so values, input gradients and running statistics equal BatchNorm's
    on the concatenated batch. Otherwise (evaluation, one process) it is BatchNorm. Input
    (N, C, *) of any number of dimensions >= 2; the other arguments as BatchNorm1d's.

    Args:
        num_features: C.
        eps, momentum, affine, track_running_stats, device, dtype, bias: as BatchNorm1d.
        process_group: the ranks whose batches are normalized together (default: all).
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: Optional[float] = 0.1,
                 affine: bool = True, track_running_stats: bool = True,
                 process_group: Optional[ProcessGroup] = None,
                 device: Optional[DeviceLike] = None, dtype: Optional[DType] = None, *,
                 bias: bool = True) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device,
                         dtype, bias=bias)
        self.process_group = process_group

    def _check_input_dim(self, input: Tensor) -> None:
        if input.ndim < 2:
            raise ValueError(f"SyncBatchNorm: expected at least 2D input (got {input.ndim}D "
                             f"input of shape {tuple(input.shape)})")

    def forward(self, input: Tensor) -> Tensor:
        self._check_input_dim(input)
        if input.shape[1] == 0:
            raise ValueError("SyncBatchNorm: number of input channels should be non-zero")
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.array += 1
            if self.momentum is None:
                factor = 1.0 / int(self.num_batches_tracked.array)
        bn_training = self.training or (self.running_mean is None and self.running_var is None)
        running_mean = self.running_mean if not self.training or self.track_running_stats \
            else None
        running_var = self.running_var if not self.training or self.track_running_stats else None
        need_sync = bn_training and self.training and _comm.is_initialized() and \
            _comm.world_size(self.process_group) > 1
        if not need_sync:
            return batch_norm(input, running_mean, running_var, self.weight, self.bias,
                              bn_training, factor, self.eps)
        return _SyncBatchNormFunction.apply(
            input, self.weight, self.bias,
            running_mean=None if running_mean is None else running_mean.array,
            running_var=None if running_var is None else running_var.array,
            momentum=float(factor), eps=float(self.eps), group=self.process_group)

    @classmethod
    def convert_sync_batchnorm(cls, module: Module, process_group: Optional[ProcessGroup] = None
                               ) -> Module:

        """Every BatchNorm*d layer in ``module`` replaced by a SyncBatchNorm sharing its
        parameters, buffers and training mode (the module itself when it is a BatchNorm);
        returns the converted module, as ``torch.nn.SyncBatchNorm.convert_sync_batchnorm``."""
        output = module
        if isinstance(module, _BatchNorm):
            output = SyncBatchNorm(module.num_features, module.eps, module.momentum,
                                   module.affine, module.track_running_stats, process_group,
                                   bias=module.bias is not None)
            if module.affine:
                output.weight = module.weight
                output.bias = module.bias
            output.running_mean = module.running_mean
            output.running_var = module.running_var
            output.num_batches_tracked = module.num_batches_tracked
            output.training = module.training
            if hasattr(module, "qconfig"):
                output.qconfig = module.qconfig
        for name, child in module.named_children():
            output.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        return output
