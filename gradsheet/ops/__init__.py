"""The differentiable operations: one Function subclass per op, grouped by kind.

Each Function's docstring gives the forward formula and its gradient; the
lower-case function beside it is what users and layers call.
"""
