"""PixelShuffle/PixelUnshuffle, Upsample (+ UpsamplingNearest2d/Bilinear2d), Unflatten,
CosineSimilarity and PairwiseDistance against torch's layers: values and input gradients in
float64, reprs and attributes, errors."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gradsheet as gs
from gradsheet import nn
from tests.helpers import torch_or_skip
from tests.nn.layer_compare import compare_layers

torch = torch_or_skip()


@settings(max_examples=15, deadline=None)
@given(r=st.integers(1, 3), c=st.integers(0, 2), h=st.integers(1, 3), w=st.integers(1, 3),
       lead=st.sampled_from([(), (2,), (2, 1)]), seed=st.integers(0, 99))
def test_pixel_shuffle_and_unshuffle_match_torch(r, c, h, w, lead, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(lead + (c * r * r, h, w))
    # empty: torch's backward fails (its pixel_unshuffle shortcut below), so values only
    compare_layers(nn.PixelShuffle(r), torch.nn.PixelShuffle(r), [x], grad=x.size > 0)
    if x.size == 0:
        xt = gs.tensor(x, requires_grad=True)
        nn.PixelShuffle(r)(xt).sum().backward()
        assert xt.grad.shape == x.shape
    # torch's pixel_unshuffle hands an empty input back in its own shape, (0, H*r, W*r) not
    # (0, H, W) (a shortcut of its kernel); gradsheet gives the formula's shape: not compared
    compare_layers(nn.PixelUnshuffle(r), torch.nn.PixelUnshuffle(r),
                   [rng.standard_normal(lead + (max(c, 1), h * r, w * r))])


def test_pixel_shuffle_round_trip_and_errors():
    x = gs.randn(2, 8, 3, 3)
    np.testing.assert_array_equal(nn.PixelUnshuffle(2)(nn.PixelShuffle(2)(x)).array, x.array)
    with pytest.raises(ValueError, match="pixel_shuffle: expects its input's 'channel' dimension "
                                         "to be divisible by the square of upscale_factor"):
        nn.PixelShuffle(3)(x)
    with pytest.raises(ValueError, match="pixel_unshuffle: expects height to be divisible"):
        nn.PixelUnshuffle(2)(x)


UPSAMPLE = [
    ((2, 3, 5), {"scale_factor": 2}), ((2, 3, 5), {"size": 7, "mode": "nearest-exact"}),
    ((2, 3, 5), {"scale_factor": 1.7, "mode": "linear"}),
    ((2, 3, 5), {"size": 9, "mode": "linear", "align_corners": True}),
    ((1, 2, 3, 4), {"scale_factor": (2, 3)}), ((1, 2, 3, 4), {"size": (5, 2), "mode": "bilinear"}),
    ((1, 2, 3, 4), {"scale_factor": 2.5, "mode": "bilinear", "align_corners": True}),
    ((1, 2, 3, 4), {"scale_factor": 1.5, "mode": "bilinear", "recompute_scale_factor": True}),
    ((1, 2, 4, 4), {"scale_factor": 2, "mode": "bicubic"}),
    ((1, 2, 4, 3), {"size": (6, 7), "mode": "bicubic", "align_corners": True}),
    ((1, 1, 2, 3, 2), {"scale_factor": 2, "mode": "trilinear"}),
    ((1, 1, 2, 3, 2), {"size": (3, 4, 5), "mode": "nearest"}),
    ((0, 2, 3, 3), {"scale_factor": 2, "mode": "bilinear"}),
]


@pytest.mark.parametrize("shape, kwargs", UPSAMPLE)
def test_upsample_matches_torch(shape, kwargs):
    x = np.random.default_rng(1).standard_normal(shape)
    compare_layers(nn.Upsample(**kwargs), torch.nn.Upsample(**kwargs), [x])


@pytest.mark.parametrize("name", ["UpsamplingNearest2d", "UpsamplingBilinear2d"])
@pytest.mark.parametrize("kwargs", [{"scale_factor": 2}, {"size": (5, 3)}, {"size": 4},
                                    {"scale_factor": (1.5, 2.0)}])
def test_upsampling_2d_layers_match_torch(name, kwargs):
    x = np.random.default_rng(2).standard_normal((2, 3, 3, 2))
    compare_layers(getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs), [x])


@pytest.mark.parametrize("expression", [
    "Upsample(scale_factor=2)", "Upsample(scale_factor=2.5, mode='bilinear', align_corners=True)",
    "Upsample(size=(3, 4), mode='bicubic')", "Upsample(size=4)", "Upsample(scale_factor=(2, 3))",
    "Upsample(scale_factor=1.5, mode='linear', recompute_scale_factor=True)",
    "UpsamplingNearest2d(scale_factor=2)", "UpsamplingBilinear2d(size=4)",
    "UpsamplingBilinear2d(scale_factor=(2, 3))", "PixelShuffle(3)", "PixelUnshuffle(2)",
    "Unflatten(1, (2, 3))", "Unflatten(-1, [2, -1])", "CosineSimilarity()",
    "CosineSimilarity(0, 1e-3)", "PairwiseDistance()", "PairwiseDistance(1.0, 0.1, True)"])
def test_repr_and_attributes_match_torch(expression):
    ours, theirs = eval("nn." + expression), eval("torch.nn." + expression)
    assert repr(ours) == repr(theirs)
    for key, value in vars(theirs).items():
        if not key.startswith("_") and key != "training":
            assert getattr(ours, key) == value, key
            assert type(getattr(ours, key)) is type(value), key
    assert list(ours.state_dict()) == []


def test_upsample_errors_come_from_interpolate():
    with pytest.raises(ValueError, match="interpolate: either size or scale_factor should be "
                                         "defined"):
        nn.Upsample()(gs.zeros(1, 1, 2, 2))
    with pytest.raises(ValueError, match="interpolate: align_corners option can only be set"):
        nn.Upsample(scale_factor=2, align_corners=True)(gs.zeros(1, 1, 2, 2))


@pytest.mark.parametrize("shape, dim, sizes", [
    ((2, 6), 1, (2, 3)), ((2, 6), -1, [3, 2]), ((2, 6, 4), 1, (6,)), ((12,), 0, (2, -1, 3)),
    ((2, 0), 1, (0, 5)), ((4, 3), 0, (2, 2, 1)), ((2, 6), 1, (2, 3))])
def test_unflatten_matches_torch(shape, dim, sizes):
    x = np.random.default_rng(3).standard_normal(shape)
    compare_layers(nn.Unflatten(dim, sizes), torch.nn.Unflatten(dim, sizes), [x])


def test_unflatten_inverts_flatten_and_checks_its_sizes():
    x = gs.randn(2, 3, 4, 5)
    model = nn.Sequential(nn.Flatten(), nn.Unflatten(1, (3, 4, 5)))
    np.testing.assert_array_equal(model(x).array, x.array)
    with pytest.raises(TypeError, match="Unflatten: unflattened_size must be a tuple of ints, "
                                        "but found type int"):
        nn.Unflatten(1, 6)
    with pytest.raises(TypeError, match="Unflatten: unflattened_size must be tuple of ints, but "
                                        "found element of type float at pos 1"):
        nn.Unflatten(1, (2, 3.0))
    with pytest.raises(TypeError):
        torch.nn.Unflatten(1, (2, 3.0))
    with pytest.raises(ValueError, match="unflatten: sizes \\[4, 2\\] don.t multiply up"):
        nn.Unflatten(1, (4, 2))(gs.zeros(2, 6))


@pytest.mark.parametrize("shapes, kwargs", [
    (((4, 3), (4, 3)), {}), (((4, 3), (1, 3)), {}), (((2, 3, 4), (2, 3, 4)), {"dim": 2}),
    (((5,), (5,)), {"dim": 0}), (((3, 4), (3, 4)), {"dim": 0, "eps": 0.5}),
    (((0, 3), (0, 3)), {})])
def test_cosine_similarity_matches_torch(shapes, kwargs):
    rng = np.random.default_rng(4)
    inputs = [rng.standard_normal(s) for s in shapes]
    compare_layers(nn.CosineSimilarity(**kwargs), torch.nn.CosineSimilarity(**kwargs), inputs)


@pytest.mark.parametrize("shapes, kwargs", [
    (((4, 3), (4, 3)), {}), (((4, 3), (1, 3)), {"p": 1.0}), (((4, 3), (4, 3)), {"p": 3.0}),
    (((3,), (3,)), {"keepdim": True}), (((2, 5), (2, 5)), {"eps": 0.1, "keepdim": True}),
    (((4, 3), (4, 3)), {"p": float("inf")}), (((0, 3), (0, 3)), {})])
def test_pairwise_distance_matches_torch(shapes, kwargs):
    rng = np.random.default_rng(5)
    inputs = [rng.standard_normal(s) for s in shapes]
    compare_layers(nn.PairwiseDistance(**kwargs), torch.nn.PairwiseDistance(**kwargs), inputs)


def test_distance_layers_errors_name_the_op():
    with pytest.raises((ValueError, RuntimeError), match="cosine_similarity"):
        nn.CosineSimilarity()(gs.zeros(2, 3), gs.zeros(2, 4))
    with pytest.raises((ValueError, RuntimeError), match="pairwise_distance"):
        nn.PairwiseDistance()(gs.zeros(2, 3), gs.zeros(3, 3))


@pytest.mark.parametrize("factor", ["abc", {"a": 1}, object(), 1 + 2j, gs.tensor([1.0, 2.0]),
                                    (2, "x")])
def test_upsample_of_a_non_number_scale_factor_names_it(factor):
    """torch leaks float()'s message ("could not convert string to float"); here a TypeError
    names Upsample, scale_factor and the value's type."""
    with pytest.raises(TypeError, match=rf"Upsample: scale_factor must be a number or a tuple "
                                        rf"of numbers, got .*\({type(factor).__name__}\)"):
        nn.Upsample(scale_factor=factor)


@pytest.mark.parametrize("factor", [2, 1.5, True, 0, None, (2, 3), (1.5, 2.0)])
def test_upsample_keeps_number_scale_factors_as_torch(factor):
    ours, theirs = nn.Upsample(scale_factor=factor), torch.nn.Upsample(scale_factor=factor)
    assert ours.scale_factor == theirs.scale_factor
    assert type(ours.scale_factor) is type(theirs.scale_factor)


def test_upsample_takes_a_list_of_factors_as_a_tuple():
    """A documented extension: torch's Upsample refuses a list (float([2, 3])); F.interpolate
    takes one, so the layer keeps it as the tuple (2.0, 3.0)."""
    assert nn.Upsample(scale_factor=[2, 3]).scale_factor == (2.0, 3.0)
