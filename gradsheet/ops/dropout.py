"""Dropout: while training, each unit is dropped (set to 0) with probability p and kept with
probability 1 - p, which keeps units from co-adapting and so prevents overfitting the training
data. Kept units are scaled by 1 / (1 - p) ("inverted dropout"), so E[y] = x and evaluation
is the identity, with no rescaling.

Reference: Srivastava et al., "Dropout: A Simple Way to Prevent Neural Networks from
Overfitting", JMLR 2014.
"""
import numpy as np

from .. import backend
from ..autograd.function import Function


class Dropout(Function):
    """y = x * m / (1 - p),  m_i ~ Bernoulli(1 - p) independently (1 keeps unit i);
    dy/dx = m / (1 - p), the same scaled mask.

    The mask comes from gradsheet's generator (gs.manual_seed makes it reproducible), drawn
    as u ~ U[0, 1) in the input's dtype (float32 for float16) and kept where u >= p.
    """

    def forward(self, x, p):
        draw_dtype = x.dtype if x.dtype in (np.float32, np.float64) else np.dtype(np.float32)
        mask = backend.default_generator().random(x.shape, dtype=draw_dtype)
        keep = mask >= p  # P(u >= p) = 1 - p
        scale = 1.0 / (1.0 - p) if p < 1 else 0.0  # p = 1 keeps nothing: the mask is all 0
        np.multiply(keep, scale, out=mask, dtype=draw_dtype)  # reuse u's buffer for the mask
        self.mask = mask.astype(x.dtype, copy=False)
        return x * self.mask

    def backward(self, g):
        return g * self.mask


def dropout(input, p=0.5, training=True):
    """Inverted dropout: zero each element with probability p, scale the rest by 1 / (1 - p).

    The identity (``input`` itself) when ``training`` is False or p == 0; all zeros at p == 1.
    Example: with p = 0.5 every element of dropout(ones(4)) is 0 or 2.
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: probability p must lie in [0, 1] (a unit is dropped with "
                         f"probability p), got p={p}")
    if not training or p == 0:
        return input
    return Dropout.apply(input, p=float(p))
