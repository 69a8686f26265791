import numpy as np
import pytest

import gradsheet as gs
from gradsheet.train.metrics import accuracy, get_metric, mae, mse
from tests.helpers import torch_or_skip


def test_multiclass_accuracy_by_hand():
    logits = gs.tensor([[2.0, 1.0, 0.0], [0.0, 3.0, 1.0], [0.5, 0.2, 0.9], [1.0, 0.0, 0.0]])
    assert accuracy(logits, gs.tensor([0, 1, 1, 2])) == 0.5
    one_hot = np.eye(3)[[0, 1, 2, 0]]
    assert accuracy(logits, one_hot) == 1.0


def test_accuracy_over_extra_dimensions():
    scores = np.zeros((2, 3, 4))
    scores[:, 1, :] = 1.0  # class 1 everywhere
    target = np.array([[1, 1, 0, 1], [2, 1, 1, 1]])
    assert accuracy(scores, target) == 6 / 8


@pytest.mark.parametrize("shape", [(4,), (4, 1)])
def test_binary_accuracy_thresholds(shape):
    scores = np.array([-0.2, 0.3, 0.7, 2.0]).reshape(shape)
    labels = np.array([0.0, 1.0, 1.0, 1.0])
    assert accuracy(scores, labels) == 1.0  # logits: > 0
    assert accuracy(scores, labels, threshold=0.5) == 0.75  # probabilities: > 0.5
    assert accuracy(scores, labels.reshape(shape).astype(np.int64)) == 1.0


def test_accuracy_shape_errors_name_the_shapes():
    with pytest.raises(ValueError, match=r"\(4, 3\).*\(4,\).*\(5,\)"):
        accuracy(np.zeros((4, 3)), np.zeros(5))
    with pytest.raises(ValueError, match=r"\(4,\).*\(3,\)"):
        accuracy(np.zeros(4), np.zeros(3))


@pytest.mark.parametrize("shapes", [((6,), (6,)), ((6, 1), (6,)), ((3, 2), (3, 2))])
def test_mae_mse_match_torch(shapes):
    torch = torch_or_skip()
    rng = np.random.default_rng(0)
    output, target = rng.standard_normal(shapes[0]), rng.standard_normal(shapes[1])
    t_out, t_target = torch.tensor(output), torch.tensor(target).reshape(shapes[0])
    assert mae(gs.tensor(output), gs.tensor(target)) == pytest.approx(
        torch.nn.functional.l1_loss(t_out, t_target).item())
    assert mse(output, target) == pytest.approx(
        torch.nn.functional.mse_loss(t_out, t_target).item())


def test_regression_metrics_reject_size_mismatch():
    with pytest.raises(ValueError, match=r"mse.*\(4, 1\).*\(3,\)"):
        mse(np.zeros((4, 1)), np.zeros(3))


def test_get_metric():
    assert get_metric("mae") == ("mae", mae)

    def f1(output, target):
        return 0.0

    assert get_metric(f1) == ("f1", f1)
    with pytest.raises(ValueError, match="'auc'.*accuracy"):
        get_metric("auc")
