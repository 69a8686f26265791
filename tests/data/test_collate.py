import collections

import numpy as np
import pytest

import gradsheet as gs
from gradsheet.data import default_collate
from tests.helpers import torch_or_skip

Point = collections.namedtuple("Point", "x y")


def _to_numpy(batch):
    """A collated batch (gradsheet or torch) as nested plain containers of numpy arrays."""
    if hasattr(batch, "detach"):
        return batch.detach().numpy()
    if isinstance(batch, gs.Tensor):
        return batch.array
    if isinstance(batch, dict):
        return {k: _to_numpy(v) for k, v in batch.items()}
    if isinstance(batch, tuple) and hasattr(batch, "_fields"):
        return type(batch).__name__, [_to_numpy(v) for v in batch]
    if isinstance(batch, (list, tuple)):
        return type(batch).__name__, [_to_numpy(v) for v in batch]
    return batch


def _assert_same(a, b):
    if isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            _assert_same(a[k], b[k])
    elif isinstance(a, tuple):
        assert a[0] == b[0] and len(a[1]) == len(b[1])
        for x, y in zip(a[1], b[1]):
            _assert_same(x, y)
    else:
        assert a == b


SAMPLES = {
    "tuples of arrays and ints": [(np.full(3, i, dtype=np.float32), i) for i in range(4)],
    "lists of floats": [[0.5 * i, -1.0] for i in range(3)],
    "dicts": [{"image": np.ones((2, 2)) * i, "label": i, "name": f"s{i}"} for i in range(3)],
    "numpy scalars": [np.float32(i) for i in range(5)],
    "bools": [True, False, True],
    "namedtuples": [Point(np.arange(2) + i, float(i)) for i in range(3)],
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_default_collate_matches_torch(name):
    torch = torch_or_skip()
    samples = SAMPLES[name]
    ours = _to_numpy(default_collate(samples))
    theirs = _to_numpy(torch.utils.data.default_collate(samples))
    _assert_same(ours, theirs)


def test_default_collate_stacks_tensors():
    batch = default_collate([(gs.tensor([1.0, 2.0]), gs.tensor(0)), (gs.tensor([3.0, 4.0]),
                                                                    gs.tensor(1))])
    assert isinstance(batch, list)
    np.testing.assert_array_equal(batch[0].array, [[1, 2], [3, 4]])
    assert batch[0].dtype == np.float32 and batch[1].dtype == np.int64


def test_default_collate_errors_name_the_problem():
    # RuntimeError, as torch's collate (torch.stack; "each element ... of equal size")
    with pytest.raises(RuntimeError, match=r"\(2,\).*\(3,\)"):
        default_collate([np.zeros(2), np.zeros(3)])
    with pytest.raises(RuntimeError, match=r"equal size.*\[1, 2\]"):
        default_collate([(1,), (1, 2)])
    with pytest.raises(TypeError, match="NoneType"):
        default_collate([None, None])
    with pytest.raises(TypeError, match="<U1"):
        default_collate([np.array("a"), np.array("b")])


ODD_BATCHES = [
    ([], IndexError, r"default_collate: the batch is empty"),
    ([1, "a"], TypeError, r"default_collate: sample 1 of the batch is str 'a', not a number"),
    ([1.0, "a"], TypeError, r"sample 1 of the batch is str 'a', not a number like sample 0"),
    ([1.0, None], TypeError, r"sample 1 of the batch is NoneType None, not a number"),
    ([{"x": 1}, {"y": 2}], KeyError,
     r"default_collate: sample 1 of the batch lacks the key 'x' that sample 0 has \(its keys: "
     r"\['y'\]\)"),
    ([{"x": 1}, 3], TypeError, r"sample 1 of the batch is int 3, not a mapping like sample 0"),
    ([gs.ones(2), 1.0], TypeError, r"sample 1 of the batch is float 1.0, not a Tensor"),
]


@pytest.mark.parametrize("batch, error, match", ODD_BATCHES)
def test_odd_batches_are_named_with_torchs_exception_type(batch, error, match):
    """torch raises the same type with a bare message ("list index out of range",
    KeyError 'x', "must be real number, not str", "expected Tensor as element 1 ...")."""
    torch = torch_or_skip()
    with pytest.raises(error, match=match):
        default_collate(batch)
    as_torch = [torch.ones(2) if isinstance(x, gs.Tensor) else x for x in batch]
    with pytest.raises(error):
        torch.utils.data.default_collate(as_torch)
