"""``gradsheet.nn.functional`` (imported as F): the stateless ops, under PyTorch's names.

Nothing is defined here: every name is the function from ``gradsheet.ops``, where its
formula and gradient are written down.

    import gradsheet.nn.functional as F
    loss = F.cross_entropy(F.linear(F.relu(x), w, b), target)
"""
from ..ops.activation import (
    celu,
    celu_,
    elu,
    elu_,
    gelu,
    glu,
    hardshrink,
    hardsigmoid,
    hardswish,
    hardtanh,
    hardtanh_,
    leaky_relu,
    leaky_relu_,
    log_softmax,
    logsigmoid,
    mish,
    prelu,
    relu,
    relu6,
    relu_,
    rrelu,
    rrelu_,
    selu,
    selu_,
    sigmoid,
    silu,
    softmax,
    softmin,
    softplus,
    softshrink,
    softsign,
    tanh,
    tanhshrink,
    threshold,
    threshold_,
)
from ..ops.attention import multi_head_attention_forward, scaled_dot_product_attention
from ..ops.conv import conv1d, conv2d, conv_transpose2d
from ..ops.conv import conv_transpose1d
from ..ops.dropout import (
    alpha_dropout,
    dropout,
    dropout1d,
    dropout2d,
    dropout3d,
    feature_alpha_dropout,
)
from ..ops.distance import (
    cosine_similarity,
    normalize,
    pairwise_distance,
)
from ..ops.embedding import embedding
from ..ops.embedding import (
    one_hot,
)
from ..ops.fold import (
    fold,
    unfold,
)
from ..ops.linalg import linear
from ..ops.loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cosine_embedding_loss,
    cross_entropy,
    gaussian_nll_loss,
    hinge_embedding_loss,
    huber_loss,
    kl_div,
    l1_loss,
    margin_ranking_loss,
    mse_loss,
    multi_margin_loss,
    multilabel_margin_loss,
    multilabel_soft_margin_loss,
    nll_loss,
    poisson_nll_loss,
    smooth_l1_loss,
    soft_margin_loss,
    triplet_margin_loss,
    triplet_margin_with_distance_loss,
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
from ..ops.padding import (
    pad,
)
from ..ops.unpool import max_unpool1d, max_unpool2d
from ..ops.resample import (
    interpolate,
    pixel_shuffle,
    pixel_unshuffle,
)

__all__ = sorted(name for name in dir() if not name.startswith("_"))
