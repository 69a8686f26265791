"""The fused classification losses against their line-by-line references."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gradsheet as gs
from gradsheet import reference
from gradsheet.nn import functional as F
from tests.reference.oracle import check_against_reference

options = dict(reduction=st.sampled_from(["mean", "sum", "none"]), weighted=st.booleans(),
               smoothing=st.sampled_from([0.0, 0.1, 0.5]), seed=st.integers(0, 2**16))


@settings(max_examples=25, deadline=None)
@given(N=st.integers(1, 5), C=st.integers(1, 5), spatial=st.sampled_from([(), (3,), (2, 2)]),
       ignore=st.booleans(), **options)
def test_cross_entropy_with_class_indices(N, C, spatial, ignore, reduction, weighted, smoothing,
                                          seed):
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((N, C) + spatial) * 2
    y = rng.integers(0, C, size=(N,) + spatial)
    if ignore:  # some targets ignored (at least one kept, so that 'mean' is finite)
        y.flat[rng.random(y.size) < 0.4] = -100
        y.flat[0] = 0
    weight = gs.tensor(rng.random(C) + 0.1) if weighted else None
    kwargs = dict(weight=weight, reduction=reduction, label_smoothing=smoothing)
    check_against_reference(lambda z: F.cross_entropy(z, gs.tensor(y), **kwargs),
                            lambda z: reference.cross_entropy(z, gs.tensor(y), **kwargs), [z])


@settings(max_examples=15, deadline=None)
@given(N=st.integers(1, 4), C=st.integers(1, 5), spatial=st.sampled_from([(), (3,)]), **options)
def test_cross_entropy_with_class_probabilities(N, C, spatial, reduction, weighted, smoothing,
                                                seed):
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((N, C) + spatial)
    t = rng.random((N, C) + spatial)
    t /= t.sum(axis=1, keepdims=True)
    weight = gs.tensor(rng.random(C) + 0.1) if weighted else None
    kwargs = dict(weight=weight, reduction=reduction, label_smoothing=smoothing)
    # both inputs differentiable: dL/dz and dL/dt
    check_against_reference(lambda z, t: F.cross_entropy(z, t, **kwargs),
                            lambda z, t: reference.cross_entropy(z, t, **kwargs), [z, t])


def test_cross_entropy_of_one_unbatched_sample_and_of_extreme_logits():
    for z, y in [(np.array([0.5, -1.0, 2.0]), 2), (np.array([1000.0, -1000.0, 0.0]), 1)]:
        check_against_reference(lambda z: F.cross_entropy(z, gs.tensor(y)),
                                lambda z: reference.cross_entropy(z, gs.tensor(y)), [z])


@settings(max_examples=20, deadline=None)
@given(shape=st.sampled_from([(), (4,), (3, 2), (2, 1, 3)]), weighted=st.booleans(),
       reduction=st.sampled_from(["mean", "sum", "none"]), seed=st.integers(0, 2**16))
def test_binary_cross_entropy(shape, weighted, reduction, seed):
    rng = np.random.default_rng(seed)
    z, y = rng.uniform(0.02, 0.98, shape), rng.random(shape)
    w = gs.tensor(rng.random(shape) + 0.1) if weighted else None
    check_against_reference(lambda z, y: F.binary_cross_entropy(z, y, w, reduction=reduction),
                            lambda z, y: reference.binary_cross_entropy(z, y, w, reduction),
                            [z, y])


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")
def test_binary_cross_entropy_clamps_its_logs_at_minus_100():
    z, y = np.array([0.0, 1.0, 0.5]), np.array([1.0, 0.0, 1.0])
    check_against_reference(lambda z: F.binary_cross_entropy(z, gs.tensor(y)),
                            lambda z: reference.binary_cross_entropy(z, gs.tensor(y)), [z],
                            grad=False)


@settings(max_examples=20, deadline=None)
@given(shape=st.sampled_from([(4,), (3, 2), (2, 2, 3)]), weighted=st.booleans(),
       positive=st.booleans(), reduction=st.sampled_from(["mean", "sum", "none"]),
       seed=st.integers(0, 2**16))
def test_binary_cross_entropy_with_logits(shape, weighted, positive, reduction, seed):
    rng = np.random.default_rng(seed)
    x, y = rng.standard_normal(shape) * 4, rng.random(shape)
    x.flat[0] = 0.0  # the kink of max(x, 0) in the stable form
    w = gs.tensor(rng.random(shape) + 0.1) if weighted else None
    p = gs.tensor(rng.random(shape[-1:]) * 3) if positive else None
    check_against_reference(
        lambda x, y: F.binary_cross_entropy_with_logits(x, y, w, reduction=reduction,
                                                        pos_weight=p),
        lambda x, y: reference.binary_cross_entropy_with_logits(x, y, w, reduction, p), [x, y])
