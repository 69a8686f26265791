"""Matrix products: batched ``matmul`` and the fused affine map ``linear``."""
import numpy as np

from ..autograd.function import Function
from ..autograd.methods import tensor_method
from .elementwise import _operands


def _matmul_error(a, b):
    ka = a.shape[-1] if a.ndim else None
    kb = b.shape[-2] if b.ndim >= 2 else (b.shape[0] if b.ndim else None)
    if a.ndim == 0 or b.ndim == 0:
        return ValueError(f"matmul: both operands need at least 1 dimension, got shapes "
                          f"{a.shape} and {b.shape}")
    if ka != kb:
        return ValueError(f"matmul: shapes {a.shape} and {b.shape} are not aligned: the last "
                          f"dimension of the first ({ka}) must equal the second-to-last of the "
                          f"second ({kb})")
    return ValueError(f"matmul: the batch dimensions of shapes {a.shape} and {b.shape} "
                      "do not broadcast")


class MatMul(Function):
    """y = a @ b (batched over leading dimensions, NumPy's matmul rules).

    dL/da = dL/dy @ b^T,  dL/db = a^T @ dL/dy  (vectors are treated as a row / a column).
    """

    def forward(self, a, b):
        a, b = np.asarray(a), np.asarray(b)
        self.a, self.b = a, b
        try:
            return np.matmul(a, b)
        except ValueError:
            raise _matmul_error(a, b) from None

    def backward(self, g):
        a, b = self.a, self.b
        if a.ndim == 1 and b.ndim == 1:
            return g * b, g * a
        # Lift vectors to matrices so one formula covers every case, then drop the axis again.
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = g
        if a.ndim == 1:
            g2 = g2[..., None, :]
        if b.ndim == 1:
            g2 = g2[..., None]
        grad_a = grad_b = None
        if self.needs_grad(0):
            grad_a = np.matmul(g2, np.swapaxes(b2, -1, -2))
            if a.ndim == 1:
                grad_a = grad_a[..., 0, :]
        if self.needs_grad(1):
            grad_b = np.matmul(np.swapaxes(a2, -1, -2), g2)
            if b.ndim == 1:
                grad_b = grad_b[..., 0]
        return grad_a, grad_b


class Linear(Function):
    """y = x @ W^T + b, one node for the whole affine map.

    Shapes: x (*, in), W (out, in), b (out,), y (*, out).
    dL/dx = dL/dy @ W,  dL/dW = dL/dy^T @ x,  dL/db = sum over rows of dL/dy.
    """

    def forward(self, x, weight, bias):
        if x.ndim == 0 or x.shape[-1] != weight.shape[1]:
            raise ValueError(f"linear: input of shape {x.shape} has "
                             f"{x.shape[-1] if x.ndim else 'no'} features, but weight of shape "
                             f"{weight.shape} expects in_features={weight.shape[1]}")
        self.x, self.weight = x, weight
        y = np.matmul(x, weight.T)
        if bias is not None:
            y += bias
        return y

    def backward(self, g):
        x, weight = self.x, self.weight
        grad_x = np.matmul(g, weight) if self.needs_grad(0) else None
        g2 = g.reshape(-1, g.shape[-1]) if g.ndim != 2 else g
        grad_w = np.matmul(g2.T, x.reshape(-1, x.shape[-1])) if self.needs_grad(1) else None
        grad_b = g2.sum(axis=0) if self.needs_grad(2) else None
        return grad_x, grad_w, grad_b


@tensor_method("matmul", "__matmul__", reflected="__rmatmul__")
def matmul(a, b):
    """y = a @ b with NumPy's (and torch.matmul's) rules: 1-d operands are a row / a column
    vector, leading dimensions broadcast as batches. Gradients dL/da = dL/dy @ b^T and
    dL/db = a^T @ dL/dy. Raises ValueError naming both shapes when they do not align.
    """
    return MatMul.apply(*_operands(a, b))


def linear(input, weight, bias=None):
    """The affine map of ``nn.Linear``: input @ weight^T + bias."""
    return Linear.apply(input, weight, bias)


# gradsheet.* (torch.*) names defined here; gradsheet/__init__.py imports them with *
__all__ = [
    "matmul",
]
