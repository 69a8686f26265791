"""Reference implementations: every fused op of gradsheet, written plainly, line by line.

gradsheet's heavy layers are single fused nodes with hand-written backward passes (fast, but
their formula is spread over buffers and in-place updates). Each function here is the same
computation written as the cheat sheet writes it, from primitive differentiable ops (Tensor
arithmetic, exp/log/tanh/sigmoid, matmul, sum/mean, indexing, F.unfold), in one screen, with
its formula in the docstring and the fused version it mirrors named there (and recorded by
``@mirrors``: ``function.fused``, ``function.faster``; ``registry.TWINS`` maps each fused op to
its reference). Autograd differentiates them, so the tests use them as the oracle for the
fused ops' values and gradients, and the tour shows them beside each formula.

Not on the fast path: nothing in training calls these (the tour shows their source).

    recurrent        lstm_cell, gru_cell, rnn_cell; lstm_layer, gru_layer, rnn_layer (over_time)
    loss             cross_entropy, binary_cross_entropy, binary_cross_entropy_with_logits
    fully_connected  linear
    conv             conv2d (unfold + matmul), max_pool2d, avg_pool2d (unfold)
    norm             batch_norm, layer_norm
    attention        scaled_dot_product_attention
    optim            adam_step, sgd_step
    planning         bellman_backup, value_iteration
    engine           backpropagate (the chain rule behind loss.backward())
"""
from .attention import scaled_dot_product_attention
from .conv import avg_pool2d, conv2d, max_pool2d
from .engine import backpropagate
from .fully_connected import linear
from .loss import binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy
from .norm import batch_norm, layer_norm
from .optim import adam_step, sgd_step
from .planning import bellman_backup, value_iteration
from .recurrent import gru_cell, gru_layer, lstm_cell, lstm_layer, over_time, rnn_cell, rnn_layer
from .registry import TWINS, fused_name, mirrors

__all__ = ["TWINS", "adam_step", "avg_pool2d", "backpropagate", "batch_norm", "bellman_backup",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "conv2d", "cross_entropy",
           "fused_name", "gru_cell", "gru_layer", "layer_norm", "linear", "lstm_cell",
           "lstm_layer", "max_pool2d", "mirrors", "over_time", "rnn_cell", "rnn_layer",
           "scaled_dot_product_attention", "sgd_step", "value_iteration"]
