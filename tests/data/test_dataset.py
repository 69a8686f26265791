import numpy as np
import pytest

import gradsheet as gs
from gradsheet.data import Dataset, Subset, TensorDataset, random_split
from tests.helpers import torch_or_skip


def test_dataset_is_abstract():
    with pytest.raises(NotImplementedError, match="__getitem__"):
        Dataset()[0]
    with pytest.raises(NotImplementedError, match="__len__"):
        len(Dataset())


def test_tensor_dataset_pairs_samples_and_keeps_dtypes():
    X = np.arange(12, dtype=np.float64).reshape(4, 3)
    y = np.array([3, 1, 4, 1])
    data = TensorDataset(gs.tensor(X), y)
    assert len(data) == 4
    x2, y2 = data[2]
    np.testing.assert_array_equal(x2.array, X[2])
    assert x2.dtype == np.float64 and y2.dtype == np.int64
    assert y2.shape == () and y2.item() == 4


def test_tensor_dataset_size_mismatch_names_the_shapes():
    with pytest.raises(ValueError, match=r"\(4, 3\).*\(5,\)"):
        TensorDataset(gs.zeros(4, 3), gs.zeros(5))
    with pytest.raises(ValueError, match="at least one"):
        TensorDataset()


def test_tensor_dataset_get_batch_matches_samples():
    data = TensorDataset(gs.randn(6, 2), gs.arange(6))
    indices = np.array([5, 0, 3])
    xb, yb = data.get_batch(indices)
    np.testing.assert_array_equal(xb.array, np.stack([data[i][0].array for i in indices]))
    np.testing.assert_array_equal(yb.array, indices)


def test_subset_maps_indices_and_forwards_get_batch():
    data = TensorDataset(gs.arange(10) * 10)
    subset = Subset(data, [7, 2, 9])
    assert len(subset) == 3 and subset[1][0].item() == 20
    (batch,) = subset.get_batch(np.array([2, 0]))
    np.testing.assert_array_equal(batch.array, [90, 70])


def test_subset_of_a_plain_dataset_has_no_get_batch():
    class Squares(Dataset):
        def __getitem__(self, i):
            return i * i

        def __len__(self):
            return 5

    subset = Subset(Squares(), [4, 1])
    assert not hasattr(subset, "get_batch")
    assert subset[0] == 16


@pytest.mark.parametrize("n, lengths", [(10, [0.5, 0.5]), (11, [0.3, 0.3, 0.4]),
                                        (7, [0.1, 0.9]), (100, [0.25, 0.25, 0.25, 0.25]),
                                        (5, [2, 3]), (1797, [0.8, 0.2])])
def test_random_split_sizes_follow_torch(n, lengths):
    torch = torch_or_skip()
    expected = [len(s) for s in torch.utils.data.random_split(range(n), lengths)]
    splits = random_split(TensorDataset(gs.arange(n)), lengths, generator=np.random.default_rng(0))
    assert [len(s) for s in splits] == expected
    indices = np.concatenate([s.indices for s in splits])
    assert sorted(indices.tolist()) == list(range(n))  # disjoint and covering


def test_random_split_is_random_and_reproducible():
    data = TensorDataset(gs.arange(50))
    a = random_split(data, [25, 25], generator=np.random.default_rng(1))
    b = random_split(data, [25, 25], generator=np.random.default_rng(1))
    c = random_split(data, [25, 25], generator=np.random.default_rng(2))
    assert a[0].indices == b[0].indices
    assert a[0].indices != c[0].indices
    assert a[0].indices != list(range(25))
    gs.manual_seed(3)
    d = random_split(data, [25, 25])
    gs.manual_seed(3)
    assert random_split(data, [25, 25])[1].indices == d[1].indices


def test_random_split_bad_lengths_name_the_values():
    data = TensorDataset(gs.arange(10))
    with pytest.raises(ValueError, match=r"sum to 9.*length 10"):
        random_split(data, [4, 5])
    with pytest.raises(ValueError, match=r"index 0 is 1.5"):
        random_split(data, [1.5, -0.5])
    with pytest.raises(ValueError, match=r"\[2.5, 7.5\]"):
        random_split(data, [2.5, 7.5])


def test_torch_utils_data_submodule_paths_hold_the_same_objects():
    import gradsheet.data as data
    from gradsheet.utils.data.dataloader import DataLoader, default_collate
    from gradsheet.utils.data.dataset import Subset, TensorDataset
    from gradsheet.utils.data.distributed import DistributedSampler
    from gradsheet.utils.data.sampler import BatchSampler, RandomSampler
    assert (DataLoader, default_collate, Subset, TensorDataset, DistributedSampler,
            BatchSampler, RandomSampler) == (data.DataLoader, data.default_collate, data.Subset,
                                            data.TensorDataset, data.DistributedSampler,
                                            data.BatchSampler, data.RandomSampler)


@pytest.mark.parametrize("odd", [None, "abc", [1, "a"], {"a": 1}, object()])
def test_tensor_dataset_of_a_non_tensor_names_its_position(odd):
    """torch's TensorDataset says "'NoneType' object has no attribute 'size'" (an
    AttributeError, an accident of its implementation): here a TypeError names TensorDataset,
    the tensor's position and what it got."""
    with pytest.raises(TypeError, match=r"TensorDataset: tensor 1 must be a Tensor \(or an "
                                        rf"array of numbers\), got {type(odd).__name__} "):
        TensorDataset(gs.ones(3), odd)


@pytest.mark.parametrize("index", ["abc", 2.5, float("nan"), 10 ** 12, -4, {"a": 1}, object(),
                                   [1, "a"]])
def test_tensor_dataset_of_a_bad_index_is_an_index_error_naming_it(index):
    """torch raises IndexError too, with NumPy-like messages that do not say which dataset."""
    torch = torch_or_skip()
    with pytest.raises(IndexError, match=r"TensorDataset: index .* does not select samples of "
                                         r"the 3 \(integers in \[-3, 3\), slices or integer "
                                         r"arrays\): "):
        TensorDataset(gs.ones(3))[index]
    with pytest.raises(IndexError):
        torch.utils.data.TensorDataset(torch.ones(3))[index]


@pytest.mark.parametrize("indices", [[1, "a"], [0, 3], [2.5]])
def test_tensor_dataset_get_batch_of_bad_indices_names_them(indices):
    with pytest.raises(IndexError, match=r"TensorDataset: index .* does not select samples of "
                                         r"the 3"):
        TensorDataset(gs.ones(3)).get_batch(indices)
