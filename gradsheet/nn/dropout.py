"""Dropout: during training each unit is dropped with probability p and the survivors are
scaled by 1 / (1 - p) (inverted dropout), so E[output] = input and evaluation is the identity.

The mask is drawn in ``gradsheet.ops.dropout`` from the seeded generator.
"""
from ..ops.dropout import dropout
from .module import Module


class Dropout(Module):
    """y = x * m / (1 - p), m_i ~ Bernoulli(1 - p), in training mode; y = x in eval mode.

    Args:
        p: probability of dropping a unit, in [0, 1] (default 0.5).
        inplace: accepted for PyTorch compatibility; the result is always a new tensor.

    Reference: Srivastava et al., "Dropout: A Simple Way to Prevent Neural Networks from
    Overfitting", JMLR 2014.
    """

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p <= 1:
            raise ValueError(f"Dropout: probability p has to be between 0 and 1, but got {p!r}")
        self.p = p
        self.inplace = inplace

    def forward(self, input):
        return dropout(input, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"
