import numpy as np

import gradsheet as gs
from tests.helpers import check_against_torch, check_gradients


def test_linear_tanh_chain_matches_torch():
    torch = __import__("pytest").importorskip("torch")
    from gradsheet.ops.linalg import linear
    check_against_torch(lambda x, w, b: linear(x, w, b).tanh(),
                        lambda x, w, b: torch.nn.functional.linear(x, w, b).tanh(),
                        [np.ones((4, 3)), np.full((5, 3), 0.1), np.zeros(5)])


def test_gradcheck_composite():
    check_gradients(lambda x: (x.softmax(1) * x).logsumexp(0), [np.random.randn(3, 4)])
