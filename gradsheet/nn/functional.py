"""``gradsheet.nn.functional`` (imported as F): the stateless ops, under PyTorch's names.

Nothing is defined here: every name is the function from ``gradsheet.ops``, where its
formula and gradient are written down.

    import gradsheet.nn.functional as F
    loss = F.cross_entropy(F.linear(F.relu(x), w, b), target)
"""
from ..ops.activation import (
    elu,
    gelu,
    leaky_relu,
    log_softmax,
    relu,
    sigmoid,
    silu,
    softmax,
    softplus,
    tanh,
)
from ..ops.conv import conv1d, conv2d, conv_transpose2d
from ..ops.dropout import dropout
from ..ops.embedding import embedding
from ..ops.linalg import linear
from ..ops.loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    huber_loss,
    l1_loss,
    mse_loss,
    nll_loss,
    smooth_l1_loss,
)
from ..ops.norm import batch_norm, group_norm, layer_norm
from ..ops.pool import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    avg_pool1d,
    avg_pool2d,
    max_pool1d,
    max_pool2d,
)

__all__ = sorted(name for name in dir() if not name.startswith("_"))
