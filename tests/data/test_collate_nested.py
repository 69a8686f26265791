"""default_collate and default_convert against torch's on nested structures."""
import collections

import numpy as np
import pytest

import gradsheet as gs
from gradsheet.data import default_collate, default_convert
from tests.helpers import torch_or_skip

Pair = collections.namedtuple("Pair", "image label")


def _plain(value):
    """A collated value (gradsheet or torch) as comparable nested plain data: each tensor as
    ("tensor", dtype name, shape, values), containers tagged with their type's name."""
    if isinstance(value, gs.Tensor):
        return "tensor", str(value.dtype), tuple(value.shape), value.array.tolist()
    if hasattr(value, "detach"):  # a torch tensor
        array = value.detach().numpy()
        return "tensor", str(array.dtype), tuple(array.shape), array.tolist()
    if isinstance(value, np.ndarray):
        return "ndarray", str(value.dtype), value.tolist()
    if isinstance(value, dict):
        return type(value).__name__, {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value).__name__, [_plain(v) for v in value]
    return type(value).__name__, value


def _samples():
    rng = np.random.default_rng(0)
    return {
        "ints": [1, 2, 3],
        "floats": [0.5, -1.0, 2.0],
        "bools": [True, False],
        "ints then a float": [1, 2.5],
        "numpy scalars": [np.int32(3), np.int32(-1)],
        "numpy float64 scalars": [np.float64(0.5), np.float64(1.5)],
        "numpy bools": [np.bool_(True), np.bool_(False)],
        "0-d arrays": [np.array(1.5), np.array(2.5)],
        "uint8 images": [rng.integers(0, 255, (2, 3), dtype=np.uint8) for _ in range(3)],
        "strings": ["a", "bc"],
        "bytes": [b"x", b"y"],
        "tuples with strings": [("a", 1, 0.5), ("b", 2, 1.5)],
        "nested dicts": [{"x": {"a": np.ones(2) * i, "b": [i, i + 1]}, "name": f"n{i}",
                          "meta": (i, float(i))} for i in range(3)],
        "namedtuples": [Pair(rng.standard_normal((2, 2)).astype(np.float32), i)
                        for i in range(4)],
        "lists of namedtuples": [[Pair(np.zeros(1), i), Pair(np.ones(1), -i)] for i in range(2)],
        "ordered dicts": [collections.OrderedDict(b=i, a=2 * i) for i in range(3)],
        "defaultdicts": [collections.defaultdict(int, k=i) for i in range(2)],
        "deep lists": [[[1, 2], [3.0, 4.0]], [[5, 6], [7.0, 8.0]]],
    }


SAMPLES = _samples()


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_default_collate_matches_torch(name):
    torch = torch_or_skip()
    samples = SAMPLES[name]
    assert _plain(default_collate(samples)) == _plain(torch.utils.data.default_collate(samples))


def test_collate_tensors_as_torch_stacks_them():
    torch = torch_or_skip()
    arrays = [np.arange(6, dtype=np.float64).reshape(2, 3) + i for i in range(3)]
    ours = default_collate([{"t": gs.tensor(a), "y": gs.tensor(i)} for i, a in enumerate(arrays)])
    theirs = torch.utils.data.default_collate(
        [{"t": torch.tensor(a), "y": torch.tensor(i)} for i, a in enumerate(arrays)])
    assert _plain(ours) == _plain(theirs)
    # a sample that requires grad is stacked differentiably, as torch.stack
    w = gs.tensor([1.0, 2.0], requires_grad=True)
    batch = default_collate([w, w * 3])
    batch.sum().backward()
    np.testing.assert_array_equal(w.grad.array, [4.0, 4.0])


@pytest.mark.parametrize("name", ["ints", "numpy scalars", "0-d arrays", "uint8 images",
                                  "tuples with strings", "nested dicts", "namedtuples",
                                  "ordered dicts", "strings"])
def test_default_convert_matches_torch(name):
    torch = torch_or_skip()
    for sample in SAMPLES[name]:
        assert _plain(default_convert(sample)) == _plain(torch.utils.data.default_convert(sample))
    strings = np.array(["a", "b"])
    assert default_convert(strings) is strings  # arrays of strings stay arrays, as torch
    t = gs.tensor([1.0])
    assert default_convert(t) is t


def test_collate_errors_are_torchs():
    torch = torch_or_skip()
    for bad, kind in [([np.zeros(2), np.zeros(3)], RuntimeError),
                      ([[1, 2], [1]], RuntimeError), ([None, None], TypeError),
                      ([object(), object()], TypeError), ([np.array(["a"]), np.array(["b"])],
                                                          TypeError)]:
        with pytest.raises(kind):
            torch.utils.data.default_collate(bad)
        with pytest.raises(kind, match="^default_collate"):
            default_collate(bad)
