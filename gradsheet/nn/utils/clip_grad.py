"""Gradient clipping, as ``torch.nn.utils.clip_grad``: the same functions as ``gradsheet.optim``'s
(one implementation, in ``gradsheet/optim/clip.py``).

    clip_grad_norm_:   g_i ← g_i · min(1, max_norm / (N + 1e-6)),  N = ‖(‖g_1‖_p, ...)‖_p
    clip_grad_value_:  g ← min(max(g, -c), c)
"""
from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import TYPE_CHECKING, Optional, Union

from ...optim.clip import clip_grad_norm_, clip_grad_value_, clip_grads_with_norm_, get_total_norm

if TYPE_CHECKING:
    from ..._typing import Tensor

__all__ = ["clip_grad_norm", "clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_",
           "get_total_norm"]


def clip_grad_norm(parameters: Union[Tensor, Iterable[Tensor]], max_norm: float,
                   norm_type: float = 2.0, error_if_nonfinite: bool = False,
                   foreach: Optional[bool] = None) -> Tensor:

    """g_i ← g_i · min(1, max_norm / (N + 1e-6)): the deprecated name of ``clip_grad_norm_`` (it
    warns with a FutureWarning, as torch)."""
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
                  "`torch.nn.utils.clip_grad_norm_`.", FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)
