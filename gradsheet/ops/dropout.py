"""Dropout: while training, each unit is dropped (set to 0) with probability p and kept with
probability 1 - p, which keeps units from co-adapting and so prevents overfitting the training
data. Kept units are scaled by 1 / (1 - p) ("inverted dropout"), so E[y] = x and evaluation
is the identity, with no rescaling.

Reference: Srivastava et al., "Dropout: A Simple Way to Prevent Neural Networks from
Overfitting", JMLR 2014.
"""
from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from ._checks import tensor_args
from .. import backend
from ..autograd import inplace as _inplace
from ..autograd.function import Function

if TYPE_CHECKING:
    from ..autograd.tensor import Tensor


class Dropout(Function):
    """y = x * m / (1 - p),  m_i ~ Bernoulli(1 - p) independently (1 keeps unit i);
    dy/dx = m / (1 - p), the same scaled mask.

    The mask comes from gradsheet's generator (gs.manual_seed makes it reproducible), drawn
    as u ~ U[0, 1) in the input's dtype (float32 for float16) and kept where u >= p.
    """

    def forward(self, x: np.ndarray, p: float) -> np.ndarray:
        draw_dtype = x.dtype if x.dtype in (np.float32, np.float64) else np.dtype(np.float32)
        mask = backend.default_generator().random(x.shape, dtype=draw_dtype)
        keep = mask >= p  # P(u >= p) = 1 - p
        scale = 1.0 / (1.0 - p) if p < 1 else 0.0  # p = 1 keeps nothing: the mask is all 0
        np.multiply(keep, scale, out=mask, dtype=draw_dtype)  # reuse u's buffer for the mask
        self.mask = mask.astype(x.dtype, copy=False)
        return x * self.mask

    def backward(self, g: np.ndarray) -> np.ndarray:
        return g * self.mask


def _check_p(op: str, p: float) -> None:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{op}: probability p must lie in [0, 1] (a unit is dropped with "
                         f"probability p), got p={p}")


@tensor_args("input")
def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Inverted dropout: zero each element with probability p, scale the rest by 1 / (1 - p).

    The identity (``input`` itself) when ``training`` is False or p == 0; all zeros at p == 1.
    ``inplace=True`` writes the result into ``input``.
    Example: with p = 0.5 every element of dropout(ones(4)) is 0 or 2.
    """
    _check_p("dropout", p)
    if not training or p == 0:
        return input
    if inplace:
        return _inplace.assign(input, "dropout_", dropout, (p, training), {})
    return Dropout.apply(input, p=float(p))


def _draw_keep(shape: tuple[int, ...], dtype: np.dtype, p: float) -> np.ndarray:
    """A boolean mask of ``shape``, each entry True (kept) with probability 1 - p."""
    draw_dtype = dtype if dtype in (np.float32, np.float64) else np.dtype(np.float32)
    return backend.default_generator().random(shape, dtype=draw_dtype) >= p


class FeatureDropout(Function):
    """y = x * m / (1 - p), one m ~ Bernoulli(1 - p) per (sample, channel), shared by all its
    positions (the mask has shape (N, C, 1, ..., 1)): whole channels are zeroed;
    dy/dx = m / (1 - p), the same scaled mask."""

    def forward(self, x: np.ndarray, p: float, mask_shape: tuple[int, ...]) -> np.ndarray:
        keep = _draw_keep(mask_shape, x.dtype, p)
        scale = 1.0 / (1.0 - p) if p < 1 else 0.0
        self.mask = (keep * scale).astype(x.dtype, copy=False)
        return x * self.mask

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, None, None]:
        return g * self.mask, None, None


# SELU's negative saturation value -scale alpha: alpha dropout sets dropped units to it
ALPHA_PRIME = -1.7580993408473766


class AlphaDropout(Function):
    """Alpha dropout, which keeps SELU's mean and variance (Klambauer et al., 2017): with
    m ~ Bernoulli(1 - p) (elementwise, or per channel) and alpha' = -1.7581 (SELU's saturation),
        y = a (x m + alpha' (1 - m)) + b,  a = ((1 - p)(1 + p alpha'**2))**-1/2,  b = -a alpha' p;
    dy/dx = a m, the same scaled mask. p = 1 gives zeros (and a zero gradient), as torch.
    """

    def forward(self, x: np.ndarray, p: float, mask_shape: tuple[int, ...]) -> np.ndarray:
        keep = _draw_keep(mask_shape, x.dtype, p)
        if p < 1:
            a = 1.0 / math.sqrt((1.0 - p) * (1.0 + p * ALPHA_PRIME ** 2))
            b = -a * ALPHA_PRIME * p
            self.mask = (keep * a).astype(x.dtype, copy=False)
            shift = np.where(keep, b, a * ALPHA_PRIME + b).astype(x.dtype, copy=False)
        else:
            self.mask = np.zeros(mask_shape, dtype=x.dtype)
            shift = self.mask
        return x * self.mask + shift

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, None, None]:
        return g * self.mask, None, None


def _channel_mask_shape(op: str, shape: tuple[int, ...], batched: bool) -> tuple[int, ...]:
    """(N, C, 1, ..., 1) for a batched input of ``shape``, (C, 1, ..., 1) for an unbatched one."""
    lead = 2 if batched else 1
    if len(shape) < lead:
        raise RuntimeError(f"{op}: Feature dropout requires at least 2 dimensions in the input, "
                           f"got shape {tuple(shape)}")
    return tuple(shape[:lead]) + (1,) * (len(shape) - lead)


def _channel_dropout(op: str, input: Tensor, p: float, training: bool, inplace: bool,
                     batched: bool, fn: Callable[..., Tensor], alpha: bool = False) -> Tensor:
    """The shared path of the channel dropouts: identity, zeros at p = 1, else ``function``."""
    if not training or p == 0 or input.array.size == 0:
        return input
    if inplace:
        return _inplace.assign(input, op + "_", fn, (p, training), {})
    kind = AlphaDropout if alpha else FeatureDropout
    if p == 1:  # torch: zeros before the rank check
        return kind.apply(input, 1.0, input.shape)
    return kind.apply(input, float(p), _channel_mask_shape(op, input.shape, batched))


@tensor_args("input")
def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Channel dropout for (N, C, L) or unbatched (C, L) inputs: y[n, c, :] = x[n, c, :] m / (1 - p),
    m ~ Bernoulli(1 - p) per channel; gradient the same scaled mask.

    RuntimeError for other ranks, as torch; the identity in eval mode or at p = 0.
    """
    _check_p("dropout1d", p)
    if input.ndim not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D input (shape "
            f"{tuple(input.shape)}). Note that dropout1d exists to provide channel-wise dropout "
            "on inputs with 1 spatial dimension, a channel dimension, and an optional batch "
            "dimension (i.e. 2D or 3D inputs).")
    return _channel_dropout("dropout1d", input, p, training, inplace,
                            input.ndim == 3, dropout1d)


@tensor_args("input")
def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Channel dropout for (N, C, H, W) inputs: y[n, c] = x[n, c] m / (1 - p), m ~ Bernoulli(1 - p)
    per channel; gradient the same scaled mask.

    As torch: a 3-D input is taken as (N, C, L) (with a warning); other ranks than 3 and 4 warn
    (deprecated) and are treated as (N, C, ...); fewer than 2 dimensions raise RuntimeError.
    """
    _check_p("dropout2d", p)
    if input.ndim not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {input.ndim}-D input to dropout2d, which is deprecated "
            "and will result in an error in a future release. To retain the behavior "
            "and silence this warning, please use dropout instead. Note that dropout2d "
            "exists to provide channel-wise dropout on inputs with 2 spatial dimensions, "
            "a channel dimension, and an optional batch dimension (i.e. 3D or 4D inputs).",
            stacklevel=2)
    if input.ndim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise "
            "1D dropout behavior is desired - input is interpreted as shape (N, C, L), where C "
            "is the channel dim. This behavior will change in a future release to interpret the "
            "input as one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D "
            "channel-wise dropout behavior, please switch to using dropout1d instead.",
            stacklevel=2)
    return _channel_dropout("dropout2d", input, p, training, inplace, True,
                            _quiet(dropout2d))


@tensor_args("input")
def dropout3d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Channel dropout for (N, C, D, H, W) or unbatched (C, D, H, W) inputs: y[n, c] = x[n, c] m /
    (1 - p), m ~ Bernoulli(1 - p) per channel; gradient the same scaled mask.

    As torch: other ranks than 4 and 5 warn (deprecated); any rank but 5 is taken as unbatched.
    """
    _check_p("dropout3d", p)
    if input.ndim not in (4, 5):
        warnings.warn(
            f"dropout3d: Received a {input.ndim}-D input to dropout3d, which is deprecated "
            "and will result in an error in a future release. To retain the behavior "
            "and silence this warning, please use dropout instead. Note that dropout3d "
            "exists to provide channel-wise dropout on inputs with 3 spatial dimensions, "
            "a channel dimension, and an optional batch dimension (i.e. 4D or 5D inputs).",
            stacklevel=2)
    return _channel_dropout("dropout3d", input, p, training, inplace,
                            input.ndim == 5, _quiet(dropout3d))


def _quiet(function: Callable[..., Tensor]) -> Callable[..., Tensor]:
    """``function`` with its rank warnings silenced (the in-place path calls it a second time)."""
    def call(*args: Any, **kwargs: Any) -> Tensor:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return function(*args, **kwargs)
    return call


@tensor_args("input")
def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:
    """Alpha dropout: y = a (x m + alpha' (1 - m)) + b, m ~ Bernoulli(1 - p) per element,
    alpha' = -1.7581, a = ((1 - p)(1 + p alpha'**2))**-1/2, b = -a alpha' p: keeps zero mean and
    unit variance (SELU networks); gradient a m.

    Note torch's default ``training=False``: the identity unless training is asked for.
    """
    _check_p("alpha_dropout", p)
    if not training or p == 0 or input.array.size == 0:
        return input
    if inplace:
        return _inplace.assign(input, "alpha_dropout_", alpha_dropout, (p, training), {})
    return AlphaDropout.apply(input, float(p), input.shape)


@tensor_args("input")
def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                          inplace: bool = False) -> Tensor:
    """Alpha dropout of whole channels: y[n, c] = a (x[n, c] m + alpha' (1 - m)) + b with one
    m ~ Bernoulli(1 - p) per (sample, channel) (see alpha_dropout); gradient a m.

    Inputs need at least 2 dimensions (N, C, ...) (RuntimeError); ``training`` defaults to False.
    """
    _check_p("feature_alpha_dropout", p)
    return _channel_dropout("feature_alpha_dropout", input, p, training, inplace,
                            True, feature_alpha_dropout, alpha=True)
