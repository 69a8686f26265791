"""The loss layers of issue 11 (KLDivLoss ... SoftMarginLoss) against torch's: values and
input gradients in float64 for every reduction, options, weights as buffers in the state
dict, reprs, the deprecated size_average/reduce, errors."""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gradsheet as gs
from gradsheet import nn
from tests.helpers import torch_or_skip
from tests.nn.layer_compare import compare_layers

torch = torch_or_skip()
pytestmark = pytest.mark.filterwarnings("ignore:reduction")  # kl_div's 'mean' warning (both)
REDUCTIONS = ["none", "mean", "sum"]


def _signs(rng, shape):
    return np.where(rng.random(shape) < 0.5, -1.0, 1.0)


def _log_probs(rng, shape):
    z = rng.standard_normal(shape)
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


def _inputs(name, rng, n, c):
    """Inputs for each loss: (arrays, indices of the targets, which get no gradient)."""
    if name == "KLDivLoss":
        return [_log_probs(rng, (n, c)), np.exp(_log_probs(rng, (n, c)))], (1,)
    if name == "KLDivLoss-log":
        return [_log_probs(rng, (n, c)), _log_probs(rng, (n, c))], (1,)
    if name == "PoissonNLLLoss":
        return [rng.standard_normal((n, c)), rng.poisson(2.0, (n, c)).astype(float)], (1,)
    if name == "PoissonNLLLoss-rates":
        return [rng.uniform(0.1, 3, (n, c)), rng.poisson(2.0, (n, c)).astype(float)], (1,)
    if name == "GaussianNLLLoss":
        return [rng.standard_normal((n, c)), rng.standard_normal((n, c)),
                rng.uniform(0.2, 2, (n, c))], (1,)
    if name == "GaussianNLLLoss-shared":
        return [rng.standard_normal((n, c)), rng.standard_normal((n, c)),
                rng.uniform(0.2, 2, (n, 1))], (1,)
    if name == "MarginRankingLoss":
        return [rng.standard_normal(n), rng.standard_normal(n), _signs(rng, n)], (2,)
    if name == "HingeEmbeddingLoss":
        return [rng.uniform(-1, 2, (n, c)), _signs(rng, (n, c))], (1,)
    if name == "CosineEmbeddingLoss":
        return [rng.standard_normal((n, c)), rng.standard_normal((n, c)), _signs(rng, n)], (2,)
    if name.startswith("TripletMargin"):
        return [rng.standard_normal((n, c)) for _ in range(3)], ()
    if name == "MultiLabelSoftMarginLoss":
        return [rng.standard_normal((n, c)), (rng.random((n, c)) < 0.4).astype(float)], (1,)
    if name == "MultiMarginLoss":
        return [rng.standard_normal((n, c)), rng.integers(0, c, n)], ()
    if name == "MultiLabelMarginLoss":
        target = np.full((n, c), -1)
        for i in range(n):
            labels = rng.permutation(c)[:rng.integers(0, c + 1)]
            target[i, :len(labels)] = labels
        return [rng.standard_normal((n, c)), target], ()
    if name == "SoftMarginLoss":
        return [rng.standard_normal((n, c)), _signs(rng, (n, c))], (1,)
    raise KeyError(name)


# (input kind, layer name, constructor kwargs)
CASES = [
    ("KLDivLoss", "KLDivLoss", {}), ("KLDivLoss-log", "KLDivLoss", {"log_target": True}),
    ("PoissonNLLLoss", "PoissonNLLLoss", {}),
    ("PoissonNLLLoss", "PoissonNLLLoss", {"full": True}),
    ("PoissonNLLLoss-rates", "PoissonNLLLoss", {"log_input": False, "eps": 1e-3}),
    ("GaussianNLLLoss", "GaussianNLLLoss", {}),
    ("GaussianNLLLoss-shared", "GaussianNLLLoss", {"full": True, "eps": 0.5}),
    ("MarginRankingLoss", "MarginRankingLoss", {}),
    ("MarginRankingLoss", "MarginRankingLoss", {"margin": 0.5}),
    ("HingeEmbeddingLoss", "HingeEmbeddingLoss", {}),
    ("HingeEmbeddingLoss", "HingeEmbeddingLoss", {"margin": 0.3}),
    ("CosineEmbeddingLoss", "CosineEmbeddingLoss", {}),
    ("CosineEmbeddingLoss", "CosineEmbeddingLoss", {"margin": 0.2}),
    ("TripletMarginLoss", "TripletMarginLoss", {}),
    ("TripletMarginLoss", "TripletMarginLoss", {"margin": 2.0, "p": 1.0, "swap": True}),
    ("TripletMarginLoss", "TripletMarginLoss", {"eps": 0.1, "p": 3.0}),
    ("TripletMarginWithDistanceLoss", "TripletMarginWithDistanceLoss", {}),
    ("TripletMarginWithDistanceLoss", "TripletMarginWithDistanceLoss",
     {"margin": 0.5, "swap": True}),
    ("MultiLabelSoftMarginLoss", "MultiLabelSoftMarginLoss", {}),
    ("MultiMarginLoss", "MultiMarginLoss", {}),
    ("MultiMarginLoss", "MultiMarginLoss", {"p": 2, "margin": 0.5}),
    ("MultiLabelMarginLoss", "MultiLabelMarginLoss", {}),
    ("SoftMarginLoss", "SoftMarginLoss", {}),
]


@pytest.mark.parametrize("kind, name, kwargs", CASES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@settings(max_examples=3, deadline=None)
@given(n=st.integers(1, 5), c=st.integers(1, 4), seed=st.integers(0, 2**16))
def test_loss_layer_matches_torch(kind, name, kwargs, reduction, n, c, seed):
    inputs, constants = _inputs(kind, np.random.default_rng(seed), n, c)
    ours = getattr(nn, name)(reduction=reduction, **kwargs)
    theirs = getattr(torch.nn, name)(reduction=reduction, **kwargs)
    compare_layers(ours, theirs, inputs, constants=constants)


def test_kl_div_batchmean_matches_torch():
    inputs, constants = _inputs("KLDivLoss", np.random.default_rng(0), 4, 3)
    compare_layers(nn.KLDivLoss(reduction="batchmean"), torch.nn.KLDivLoss(reduction="batchmean"),
                   inputs, constants=constants)


def test_gaussian_nll_loss_takes_a_number_as_variance():
    rng = np.random.default_rng(1)
    x, t = rng.standard_normal((3, 2)), rng.standard_normal((3, 2))
    ours = nn.GaussianNLLLoss()(gs.tensor(x), gs.tensor(t), 0.7)
    theirs = torch.nn.GaussianNLLLoss()(torch.tensor(x), torch.tensor(t), 0.7)
    np.testing.assert_allclose(ours.array, theirs.numpy(), rtol=1e-9)


@pytest.mark.parametrize("name, kwargs", [("MultiLabelSoftMarginLoss", {}),
                                          ("MultiMarginLoss", {}), ("MultiMarginLoss", {"p": 2})])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_weighted_losses_keep_weight_as_a_buffer(name, kwargs, reduction):
    kind = name
    inputs, constants = _inputs(kind, np.random.default_rng(2), 5, 4)
    weight = np.array([0.5, 2.0, 1.0, 0.25])
    ours = getattr(nn, name)(weight=gs.tensor(weight), reduction=reduction, **kwargs)
    theirs = getattr(torch.nn, name)(weight=torch.tensor(weight), reduction=reduction, **kwargs)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight"]
    assert [n for n, _ in ours.named_buffers()] == ["weight"]
    assert list(ours.parameters()) == []
    compare_layers(ours, theirs, inputs, constants=constants)


def test_triplet_margin_with_distance_loss_takes_any_distance_function():
    rng = np.random.default_rng(3)
    inputs = [rng.standard_normal((4, 3)) for _ in range(3)]
    for ours_fn, torch_fn in [
            (nn.CosineSimilarity(), torch.nn.CosineSimilarity()),
            (lambda a, b: 1.0 - gs.nn.functional.cosine_similarity(a, b),
             lambda a, b: 1.0 - torch.nn.functional.cosine_similarity(a, b)),
            (nn.PairwiseDistance(p=1.0), torch.nn.PairwiseDistance(p=1.0))]:
        ours = nn.TripletMarginWithDistanceLoss(distance_function=ours_fn, margin=0.7)
        theirs = torch.nn.TripletMarginWithDistanceLoss(distance_function=torch_fn, margin=0.7)
        compare_layers(ours, theirs, inputs, check_repr=isinstance(ours_fn, nn.Module))


def test_triplet_margin_with_distance_loss_default_is_a_pairwise_distance_child():
    ours, theirs = nn.TripletMarginWithDistanceLoss(), torch.nn.TripletMarginWithDistanceLoss()
    assert isinstance(ours.distance_function, nn.PairwiseDistance)
    assert [name for name, _ in ours.named_children()] == ["distance_function"]
    assert repr(ours) == repr(theirs)


REPRS = ["KLDivLoss()", "KLDivLoss(reduction='batchmean', log_target=True)", "PoissonNLLLoss()",
         "PoissonNLLLoss(False, True, eps=0.1)", "GaussianNLLLoss(full=True)",
         "MarginRankingLoss(0.5)", "HingeEmbeddingLoss()", "CosineEmbeddingLoss(0.1)",
         "TripletMarginLoss()", "TripletMarginLoss(2.0, 1.0, 0.1, True)",
         "TripletMarginWithDistanceLoss(margin=0.3)", "MultiLabelSoftMarginLoss()",
         "MultiMarginLoss(2, 0.5)", "MultiLabelMarginLoss()", "SoftMarginLoss(reduction='sum')"]


@pytest.mark.parametrize("expression", REPRS)
def test_repr_and_attributes_match_torch(expression):
    ours, theirs = eval("nn." + expression), eval("torch.nn." + expression)
    assert repr(ours) == repr(theirs)
    for key, value in vars(theirs).items():
        if not key.startswith("_") and key != "training":
            assert getattr(ours, key) == value, key


@pytest.mark.parametrize("size_average, reduce", [(None, False), (False, None), (True, True),
                                                  (False, True), (True, False)])
def test_deprecated_size_average_and_reduce_pick_torchs_reduction(size_average, reduce):
    for name in ("KLDivLoss", "MarginRankingLoss", "SoftMarginLoss", "MultiMarginLoss",
                 "TripletMarginLoss", "PoissonNLLLoss", "MultiLabelSoftMarginLoss"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ours = getattr(nn, name)(size_average=size_average, reduce=reduce)
            theirs = getattr(torch.nn, name)(size_average=size_average, reduce=reduce)
        assert ours.reduction == theirs.reduction, name


@pytest.mark.parametrize("make, error, match", [
    (lambda: nn.TripletMarginLoss(margin=0.0), ValueError,
     "TripletMarginLoss: expected margin to be greater than 0, got 0.0 instead"),
    (lambda: nn.TripletMarginWithDistanceLoss(margin=-1.0), ValueError,
     "TripletMarginWithDistanceLoss: expected margin to be greater than 0, got -1.0"),
    (lambda: nn.MultiMarginLoss(p=3), ValueError, "MultiMarginLoss: only p == 1 and p == 2"),
    (lambda: nn.MultiMarginLoss(weight=gs.ones(2, 2)), ValueError,
     "MultiMarginLoss: expected weight to be None or 1D tensor, got 2D instead"),
    (lambda: nn.KLDivLoss(reduction="average"), ValueError, "KLDivLoss: reduction must be one of"),
    (lambda: nn.SoftMarginLoss(reduction="batchmean"), ValueError,
     "SoftMarginLoss: reduction must be one of"),
])
def test_bad_arguments_raise(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_errors_of_the_functional_loss_reach_the_layer():
    with pytest.raises(ValueError, match="margin_ranking_loss"):
        nn.MarginRankingLoss()(gs.zeros(3), gs.zeros(3), gs.zeros(2, 2))
