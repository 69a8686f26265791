"""The differentiable operations: one Function subclass per op, grouped by kind.

Each Function's docstring gives the forward formula and its gradient; the
lower-case function beside it is what users and layers call.
"""

# The modules that bind Tensor methods (autograd.methods) load with the package, so that every
# tensor has them.
from . import (activation, binary, comparison, conversion, elementwise, fill,  # noqa: F401
               indexing, linalg, random, reduce, scan, shape, sort, subscript, unary)
