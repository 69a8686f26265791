"""Attack nn.functional: every public function, from a valid call, with one argument swapped for
a drawn bad value (a list, None, a string, a float where an int goes, an int/bool tensor, a
tensor of the wrong rank, NaN, a negative or zero size...). Each case must give a named error or
a result; where torch accepts the same call too, the result must equal torch's."""
import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gradsheet as gs
import gradsheet.nn.functional as F

from .attack import COUNTS, attempt

SUITE = "functional"
RANDOM = {"dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout",
          "feature_alpha_dropout", "rrelu", "rrelu_"}


def r(*shape, dtype=np.float64, low=-2.0, high=2.0, seed=0):
    rng = np.random.default_rng(seed + len(shape))
    if np.dtype(dtype).kind in "iu":
        return gs.tensor(rng.integers(0, 3, size=shape).astype(dtype))
    return gs.tensor(rng.uniform(low, high, size=shape).astype(dtype))


def idx(*shape, high=3):
    return gs.tensor(np.random.default_rng(1).integers(0, high, size=shape))


def baselines():
    """name -> (args, kwargs): a call each function accepts (torch too)."""
    x2, x4, x3 = r(4, 3), r(2, 3, 6, 6), r(2, 3, 8)
    p = gs.tensor(np.random.default_rng(2).uniform(0.05, 0.95, size=(4, 3)))
    b = {
        "adaptive_avg_pool1d": ((x3, 4), {}), "adaptive_avg_pool2d": ((x4, (3, 2)), {}),
        "avg_pool1d": ((x3, 2), {}), "avg_pool2d": ((x4, 2), {}),
        "max_pool1d": ((x3, 2), {}), "max_pool2d": ((x4, 2), {}),
        "batch_norm": ((x2, r(3), r(3, low=0.5)), {}),
        "group_norm": ((x4, 3), {}), "layer_norm": ((x2, (3,)), {}),
        "binary_cross_entropy": ((p, p), {}), "binary_cross_entropy_with_logits": ((x2, p), {}),
        "cosine_embedding_loss": ((x2, r(4, 3, seed=5), gs.tensor([1, -1, 1, -1])), {}),
        "cross_entropy": ((x2, idx(4)), {}), "nll_loss": ((x2, idx(4)), {}),
        "gaussian_nll_loss": ((x2, r(4, 3, seed=3), r(4, 3, low=0.5)), {}),
        "hinge_embedding_loss": ((x2, gs.tensor(np.sign(np.arange(12.0).reshape(4, 3) - 5.5))), {}),
        "huber_loss": ((x2, r(4, 3, seed=4)), {}), "kl_div": ((x2, p), {}),
        "l1_loss": ((x2, r(4, 3, seed=4)), {}), "mse_loss": ((x2, r(4, 3, seed=4)), {}),
        "smooth_l1_loss": ((x2, r(4, 3, seed=4)), {}), "soft_margin_loss": ((x2, x2.sign()), {}),
        "margin_ranking_loss": ((r(4), r(4, seed=6), gs.tensor([1.0, -1, 1, -1])), {}),
        "multi_margin_loss": ((x2, idx(4)), {}),
        "multilabel_margin_loss": ((x2, gs.tensor([[0, 1, -1], [2, -1, 0], [1, 0, 2], [-1, 0, 0]])), {}),
        "multilabel_soft_margin_loss": ((x2, (p > 0.5).double()), {}),
        "poisson_nll_loss": ((x2, p), {}),
        "triplet_margin_loss": ((x2, r(4, 3, seed=7), r(4, 3, seed=8)), {}),
        "triplet_margin_with_distance_loss": ((x2, r(4, 3, seed=7), r(4, 3, seed=8)), {}),
        "conv1d": ((x3, r(4, 3, 3)), {}), "conv2d": ((x4, r(4, 3, 3, 3)), {}),
        "conv_transpose1d": ((x3, r(3, 2, 3)), {}), "conv_transpose2d": ((x4, r(3, 2, 3, 3)), {}),
        "cosine_similarity": ((x2, r(4, 3, seed=9)), {}), "normalize": ((x2,), {}),
        "pairwise_distance": ((x2, r(4, 3, seed=9)), {}),
        "embedding": ((idx(2, 3, high=5), r(5, 4)), {}), "one_hot": ((idx(5),), {}),
        "fold": ((r(1, 12, 9), (4, 4), 2), {}), "unfold": ((x4, 2), {}),
        "interpolate": ((x4,), {"scale_factor": 2}), "pixel_shuffle": ((r(1, 8, 2, 2), 2), {}),
        "pixel_unshuffle": ((r(1, 2, 4, 4), 2), {}),
        "linear": ((x2, r(5, 3)), {}), "pad": ((x2, (1, 2)), {}),
        "max_unpool1d": (None, None), "max_unpool2d": (None, None),
        "prelu": ((x2, gs.tensor([0.25], dtype=gs.float64)), {}), "glu": ((r(4, 6),), {}),
        "threshold": ((x2, 0.5, 2.0), {}), "threshold_": ((x2.clone(), 0.5, 2.0), {}),
        "softmax": ((x2, 1), {}), "log_softmax": ((x2, 1), {}), "softmin": ((x2, 1), {}),
        "scaled_dot_product_attention": ((r(2, 4, 3), r(2, 5, 3), r(2, 5, 3)), {}),
        "multi_head_attention_forward": (None, None),
    }
    out, ind = F.max_pool1d(x3, 2, return_indices=True)
    b["max_unpool1d"] = ((out, ind, 2), {})
    out, ind = F.max_pool2d(x4, 2, return_indices=True)
    b["max_unpool2d"] = ((out, ind, 2), {})
    for name in F.__all__:  # the elementwise activations: one tensor
        if name not in b:
            b[name] = ((x2.clone() if name.endswith("_") else x2,), {})
    return b


NAMES = sorted(n for n in F.__all__ if n != "multi_head_attention_forward")
BASE = baselines()


def test_every_baseline_is_accepted_and_equals_torch():
    for name in NAMES:
        args, kwargs = BASE[name]
        targs, tkwargs = _torch(args), _torch(kwargs)  # before an in-place op changes args
        kind, value = attempt(SUITE, name, lambda: getattr(F, name)(*args, **kwargs),
                              lambda: f"F.{name} baseline")
        assert kind == "result", (name, value)
        if name not in RANDOM:
            _same(name, value, getattr(torch.nn.functional, name)(*targs, **tkwargs))


BAD_SCALARS = [None, "abc", b"x", 2.5, -1, 0, True, 10 ** 12, float("nan"), float("inf"),
               [1.0, 2.0], [[1, 2], [3]], (), {"a": 1}, object(), 1 + 2j]


def bad_values():
    tensors = st.sampled_from([
        ("int64 tensor", lambda: gs.tensor([[1, 2, 3], [4, 5, 6]])),
        ("bool tensor", lambda: gs.tensor([True, False])),
        ("0-d tensor", lambda: gs.tensor(1.5)),
        ("1-d tensor", lambda: r(3)),
        ("5-d tensor", lambda: r(1, 2, 1, 2, 3)),
        ("empty tensor", lambda: r(0, 3)),
        ("NaN tensor", lambda: gs.full((4, 3), float("nan"), dtype=gs.float64)),
        ("float32 tensor", lambda: r(4, 3, dtype=np.float32)),
        ("float64 5x7", lambda: r(5, 7)),
        ("NumPy array", lambda: np.ones((4, 3))),
    ])
    scalars = st.sampled_from(list(range(len(BAD_SCALARS)))).map(
        lambda i: (repr(BAD_SCALARS[i])[:30], lambda i=i: BAD_SCALARS[i]))
    return st.one_of(tensors, scalars)


def _torch(value):
    if isinstance(value, gs.Tensor):
        return torch.from_numpy(value.array.copy())
    if isinstance(value, np.ndarray):
        return value  # torch refuses arrays: gradsheet accepts them (documented difference)
    if isinstance(value, tuple):
        return tuple(_torch(v) for v in value)
    if isinstance(value, list):
        return [_torch(v) for v in value]
    if isinstance(value, dict):
        return {k: _torch(v) for k, v in value.items()}
    return value


def _same(name, ours, theirs):
    if isinstance(theirs, (tuple, list)):
        assert isinstance(ours, (tuple, list)) and len(ours) == len(theirs), name
        for a, b in zip(ours, theirs):
            _same(name, a, b)
        return
    ours = ours.array if isinstance(ours, gs.Tensor) else np.asarray(ours)
    theirs = theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else np.asarray(theirs)
    assert ours.shape == theirs.shape, f"F.{name}: shape {ours.shape} vs torch {theirs.shape}"
    if name not in RANDOM and ours.dtype.kind in "fc" and theirs.dtype.kind in "fc":
        np.testing.assert_allclose(ours, theirs.astype(ours.dtype), rtol=1e-5, atol=1e-6,
                                   equal_nan=True, err_msg=f"F.{name}")


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(NAMES), st.data(), bad_values())
def test_one_bad_argument(name, data, bad):
    _one_bad_argument(name, data, bad)


def _one_bad_argument(name, data, bad):
    args, kwargs = BASE[name]
    args, kwargs = list(args), dict(kwargs)
    slots = [("arg", i) for i in range(len(args))] + [("kw", k) for k in kwargs]
    slot = data.draw(st.sampled_from(slots))
    label, make = bad
    value = make()
    if slot[0] == "arg":
        args[slot[1]] = value
    else:
        kwargs[slot[1]] = value
    describe = lambda: f"F.{name} with {slot[0]} {slot[1]} = {label}"  # noqa: E731
    targs, tkwargs = _torch(tuple(args)), _torch(kwargs)
    kind, ours = attempt(SUITE, name, lambda: getattr(F, name)(*args, **kwargs), describe)
    if kind != "result" or isinstance(value, np.ndarray):
        return
    try:
        theirs = getattr(torch.nn.functional, name)(*targs, **tkwargs)
    except Exception:  # noqa: BLE001
        COUNTS[SUITE]["accepted where torch refuses"] += 1
        return
    COUNTS[SUITE]["torch-compared"] += 1
    _same(name, ours, theirs)


@pytest.mark.slow
@settings(max_examples=4000, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(NAMES), st.data(), bad_values())
def test_one_bad_argument_large(name, data, bad):
    _one_bad_argument(name, data, bad)
