"""Unary math, elementwise: trigonometric and hyperbolic functions, the exp/log family,
rounding, special functions and tests (isnan, ...), each with its gradient.
"""

__all__ = []
