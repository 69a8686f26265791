"""DataLoader's options, datasets and gradsheet.utils.data against torch.utils.data
(no worker processes here: see test_workers.py)."""
import inspect
import warnings

import numpy as np
import pytest

import gradsheet as gs
from gradsheet.data import (BatchSampler, ChainDataset, ConcatDataset, DataLoader, Dataset,
                            IterableDataset, SequentialSampler, StackDataset, Subset,
                            TensorDataset, get_worker_info, random_split)
from tests.helpers import torch_or_skip


def test_gradsheet_utils_data_is_gradsheet_data():
    import gradsheet.utils.data as utils_data
    from gradsheet.utils.data import DataLoader as UtilsLoader, Dataset as UtilsDataset
    assert UtilsLoader is DataLoader and UtilsDataset is Dataset
    assert gs.utils.data is utils_data
    for name in gs.data.__all__:
        assert getattr(utils_data, name) is getattr(gs.data, name)
    assert "utils" in gs.__all__


@pytest.mark.parametrize("name", ["DataLoader", "RandomSampler", "WeightedRandomSampler",
                                  "BatchSampler", "Subset", "ConcatDataset", "ChainDataset",
                                  "StackDataset", "TensorDataset", "random_split",
                                  "default_collate", "default_convert", "get_worker_info"])
def test_signatures_match_torch(name):
    torch = torch_or_skip()
    ours = inspect.signature(getattr(gs.data, name)).parameters
    theirs = inspect.signature(getattr(torch.utils.data, name)).parameters
    assert list(ours) == list(theirs)
    for p in theirs.values():
        assert ours[p.name].kind == p.kind
        if name != "random_split":  # torch's default generator is its own default_generator
            assert ours[p.name].default == p.default, p.name


class Squares(Dataset):
    def __init__(self, n=10):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return i * i


class Stream(IterableDataset):
    def __iter__(self):
        return iter(range(5))


def _conflicts(tu, data, stream):
    return {
        "negative workers": lambda: tu.DataLoader(data, num_workers=-1),
        "negative timeout": lambda: tu.DataLoader(data, timeout=-1),
        "prefetch without workers": lambda: tu.DataLoader(data, prefetch_factor=2),
        "negative prefetch": lambda: tu.DataLoader(data, num_workers=1, prefetch_factor=-1),
        "persistent without workers": lambda: tu.DataLoader(data, persistent_workers=True),
        "sampler and shuffle": lambda: tu.DataLoader(data, sampler=range(3), shuffle=True),
        "batch_sampler and batch_size": lambda: tu.DataLoader(data, batch_sampler=[[0]],
                                                              batch_size=2),
        "batch_sampler and shuffle": lambda: tu.DataLoader(data, batch_sampler=[[0]],
                                                           shuffle=True),
        "batch_sampler and sampler": lambda: tu.DataLoader(data, batch_sampler=[[0]],
                                                           sampler=range(3)),
        "batch_sampler and drop_last": lambda: tu.DataLoader(data, batch_sampler=[[0]],
                                                             drop_last=True),
        "no batching and drop_last": lambda: tu.DataLoader(data, batch_size=None, drop_last=True),
        "context without workers": lambda: tu.DataLoader(data, multiprocessing_context="fork"),
        "bad context": lambda: tu.DataLoader(data, num_workers=1, multiprocessing_context="x"),
        "context type": lambda: tu.DataLoader(data, num_workers=1, multiprocessing_context=3),
        "stream and shuffle": lambda: tu.DataLoader(stream, shuffle=True),
        "stream and sampler": lambda: tu.DataLoader(stream, sampler=range(3)),
        "stream and batch_sampler": lambda: tu.DataLoader(stream, batch_sampler=[[0]]),
        "batch_size 0": lambda: tu.DataLoader(data, batch_size=0),
    }


@pytest.mark.parametrize("case", sorted(_conflicts(gs.data, None, None)))
def test_option_conflicts_raise_as_torch(case):
    torch = torch_or_skip()

    class TStream(torch.utils.data.IterableDataset):
        def __iter__(self):
            return iter(range(5))

    theirs = _conflicts(torch.utils.data, list(range(10)), TStream())[case]
    ours = _conflicts(gs.data, Squares(), Stream())[case]
    with pytest.raises(Exception) as expected:
        theirs()
    with pytest.raises(expected.type):
        ours()


def test_attributes_set_once_as_torch():
    loader = DataLoader(Squares(), batch_size=3)
    for name, value in [("batch_size", 4), ("sampler", None), ("dataset", Squares()),
                        ("drop_last", True), ("batch_sampler", None),
                        ("persistent_workers", True)]:
        with pytest.raises(ValueError, match=f"{name} attribute should not be set"):
            setattr(loader, name, value)
    loader.num_workers = 0  # others may change, as in torch
    assert isinstance(loader.sampler, SequentialSampler)
    assert isinstance(loader.batch_sampler, BatchSampler)
    assert loader.collate_fn is gs.data.default_collate and loader.prefetch_factor is None
    assert DataLoader(Squares(), num_workers=1).prefetch_factor == 2


def test_defaults_and_lengths_match_torch():
    torch = torch_or_skip()
    tu = torch.utils.data
    for kwargs in [{}, {"batch_size": 3}, {"batch_size": 3, "drop_last": True},
                   {"batch_size": None}, {"batch_sampler": [[0, 1], [2], [3, 4, 5]]},
                   {"sampler": [9, 1, 4], "batch_size": 2}]:
        ours = DataLoader(Squares(), **kwargs)
        theirs = tu.DataLoader(list(range(10)), **kwargs)
        assert len(ours) == len(theirs)
        assert ours.batch_size == theirs.batch_size and ours.drop_last == theirs.drop_last
        got = [b.array.tolist() if isinstance(b, gs.Tensor) else b for b in ours]
        want = [b.tolist() if hasattr(b, "tolist") else b for b in theirs]
        assert got == [np.square(w).tolist() for w in want]
    for kwargs in [{"batch_size": 2}, {"batch_size": 2, "drop_last": True}, {"batch_size": None}]:

        class SizedStream(tu.IterableDataset):
            def __iter__(self):
                return iter(range(5))

            def __len__(self):
                return 5

        class OurSized(Stream):
            def __len__(self):
                return 5

        assert len(DataLoader(OurSized(), **kwargs)) == len(tu.DataLoader(SizedStream(), **kwargs))
        assert ([np.asarray(getattr(b, "array", b)).tolist()
                 for b in DataLoader(OurSized(), **kwargs)]
                == [np.asarray(b).tolist() for b in tu.DataLoader(SizedStream(), **kwargs)])
    with pytest.raises(TypeError):  # a stream without __len__: len() is a TypeError, as torch
        len(DataLoader(Stream()))
    assert len(list(DataLoader(Stream(), batch_size=2))) == 3


def test_getitems_fetches_each_batch_in_one_call():
    calls = []

    class Batched(Squares):
        def __getitem__(self, i):
            raise AssertionError("fetched one sample at a time")

        def __getitems__(self, indices):
            calls.append(list(indices))
            return [i * i for i in indices]

    batches = [b.array.tolist() for b in DataLoader(Batched(7), batch_size=3)]
    assert batches == [[0, 1, 4], [9, 16, 25], [36]] and calls == [[0, 1, 2], [3, 4, 5], [6]]
    subset = Subset(Batched(7), [6, 5, 4])  # a Subset forwards __getitems__, as torch's
    assert [b.array.tolist() for b in DataLoader(subset, batch_size=2)] == [[36, 25], [16]]
    # a collate_fn given: the get_batch fast path steps aside, __getitems__ still serves
    data = TensorDataset(gs.arange(6))
    assert list(DataLoader(data, batch_size=4, collate_fn=len)) == [4, 2]


def test_pin_memory_is_accepted_and_warns_as_torch_on_the_cpu():
    torch = torch_or_skip()
    with pytest.warns(UserWarning, match="no accelerator is found") as ours:
        batches = list(DataLoader(Squares(4), batch_size=2, pin_memory=True))
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        list(torch.utils.data.DataLoader(list(range(4)), batch_size=2, pin_memory=True))
    assert [str(w.message) for w in ours] == [str(w.message) for w in theirs]
    assert [b.array.tolist() for b in batches] == [[0, 1], [4, 9]]


def test_timeout_needs_workers():
    with pytest.raises(ValueError, match="timeout"):
        iter(DataLoader(Squares(), timeout=1))


def test_get_worker_info_is_none_in_the_main_process():
    assert get_worker_info() is None


def test_concat_chain_and_stack_datasets_match_torch():
    torch = torch_or_skip()
    tu = torch.utils.data
    parts = [list(range(3)), list(range(10, 15)), [], list(range(20, 22))]

    class OurList(Dataset):
        def __init__(self, items):
            self.items = items

        def __len__(self):
            return len(self.items)

        def __getitem__(self, i):
            return self.items[i]

    ours = ConcatDataset([OurList(p) for p in parts])
    theirs = tu.ConcatDataset(parts)
    assert len(ours) == len(theirs) and ours.cumulative_sizes == theirs.cumulative_sizes
    assert [ours[i] for i in range(-len(ours), len(ours))] == \
        [theirs[i] for i in range(-len(theirs), len(theirs))]
    with pytest.raises(ValueError, match="absolute value of index"):
        ours[-11]
    with pytest.raises(IndexError):
        ours[10]
    summed = OurList([1]) + OurList([2, 3])
    assert isinstance(summed, ConcatDataset) and [summed[i] for i in range(3)] == [1, 2, 3]
    chain = Stream() + Stream()
    assert isinstance(chain, ChainDataset) and list(chain) == list(range(5)) * 2
    with pytest.raises(TypeError):
        ConcatDataset([Stream()])
    with pytest.raises(TypeError):
        list(ChainDataset([OurList([1])]))
    stacked = StackDataset(OurList([1, 2]), OurList(["a", "b"]))
    named = StackDataset(x=OurList([1, 2]), y=OurList(["a", "b"]))
    t_stacked = tu.StackDataset([1, 2], ["a", "b"])
    t_named = tu.StackDataset(x=[1, 2], y=["a", "b"])
    assert [stacked[i] for i in range(2)] == [t_stacked[i] for i in range(2)]
    assert [named[i] for i in range(2)] == [t_named[i] for i in range(2)]
    assert stacked.__getitems__([1, 0]) == t_stacked.__getitems__([1, 0])
    assert named.__getitems__([1, 0]) == t_named.__getitems__([1, 0])
    with pytest.raises(ValueError, match="size mismatch"):
        StackDataset(OurList([1]), OurList([1, 2]))


def test_subset_list_index_and_subclass_rule_as_torch():
    data = TensorDataset(gs.arange(10) * 10)
    subset = Subset(data, [7, 2, 9])
    (picked,) = subset[[0, 2]]
    assert picked.array.tolist() == [70, 90]

    class Doubled(Subset):
        def __getitem__(self, i):
            return 2 * super().__getitem__(i)[0]

    with pytest.raises(NotImplementedError, match="__getitems__"):
        Doubled(data, [1])


def test_random_split_warns_on_an_empty_split_as_torch():
    torch = torch_or_skip()
    with pytest.warns(UserWarning, match="index 1 is 0") as ours:
        splits = random_split(TensorDataset(gs.arange(3)), [0.9, 0.1],
                              generator=np.random.default_rng(0))
    with pytest.warns(UserWarning) as theirs:
        torch.utils.data.random_split(range(3), [0.9, 0.1])
    assert [len(s) for s in splits] == [3, 0]
    assert [str(w.message) for w in ours] == [str(w.message) for w in theirs]


def _torch_loader_error(torch, kwargs):
    """The exception type torch.utils.data raises for the same DataLoader call (None: none)."""
    kwargs = dict(kwargs)
    if isinstance(kwargs.get("dataset"), TensorDataset):
        kwargs["dataset"] = torch.utils.data.TensorDataset(torch.arange(10.0).reshape(5, 2),
                                                           torch.arange(5))
    if isinstance(kwargs.get("shuffle"), gs.Tensor):
        kwargs["shuffle"] = torch.tensor(kwargs["shuffle"].array)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # (torch's own, e.g. about 2.5 workers)
            list(torch.utils.data.DataLoader(**kwargs))
    except Exception as error:  # noqa: BLE001 (its type is what is compared)
        return type(error)
    return None


ODD_LOADERS = [
    ({"dataset": None}, TypeError, r"DataLoader: dataset must be a map-style dataset .* got "
                                   r"NoneType None"),
    ({"dataset": 2.5}, TypeError, r"dataset must be a map-style dataset .* got float 2.5"),
    ({"dataset": object()}, TypeError, r"dataset must be a map-style .* got object <object"),
    ({"dataset": {"a": 1}}, KeyError, r"DataLoader: dataset\[0\] raised KeyError 0"),
    ({"dataset": [1, "a"], "batch_size": 2}, TypeError,
     r"default_collate: sample 1 of the batch is str 'a', not a number like sample 0"),
    ({"sampler": 2.5}, TypeError, r"DataLoader: sampler must be an iterable of indices .* got "
                                  r"float 2.5"),
    ({"sampler": "abc"}, TypeError, r"sampler must be an iterable of indices .* got str 'abc'"),
    ({"sampler": object()}, TypeError, r"sampler must be an iterable of indices"),
    ({"batch_sampler": 3, "batch_size": 1}, TypeError,
     r"DataLoader: batch_sampler must be an iterable of indices .* got int 3"),
    ({"num_workers": None}, TypeError,
     r"DataLoader: num_workers must be a non-negative integer, got NoneType None"),
    ({"num_workers": "abc"}, TypeError, r"num_workers must be a non-negative integer, got str"),
    ({"num_workers": 2.5}, TypeError, r"num_workers must be a non-negative integer, got float"),
    ({"num_workers": float("nan")}, TypeError, r"num_workers must be a non-negative integer"),
    ({"num_workers": [1]}, TypeError, r"num_workers must be a non-negative integer, got list"),
    ({"collate_fn": "abc"}, TypeError, r"DataLoader: collate_fn must be callable, got str 'abc'"),
    ({"collate_fn": 3}, TypeError, r"DataLoader: collate_fn must be callable, got int 3"),
    ({"timeout": "abc"}, TypeError, r"DataLoader: timeout must be a number, got str 'abc'"),
    ({"shuffle": gs.tensor([1.0, 2.0])}, RuntimeError,
     r"DataLoader: shuffle must be a bool, got Tensor tensor\(\[1., 2.\]\): .*ambiguous"),
]


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # torch's __del__
@pytest.mark.parametrize("kwargs, error, match", ODD_LOADERS)
def test_odd_arguments_are_named_with_torchs_exception_type(kwargs, error, match):
    """Each odd argument raises the exception type torch.utils.data raises for the same call
    (where torch's message is a bare "'float' object is not iterable", "KeyError: 0",
    "'<' not supported ..."), the message naming DataLoader (or default_collate), the
    argument and what it got."""
    torch = torch_or_skip()
    kwargs = {"dataset": TensorDataset(gs.arange(10.0).reshape(5, 2), gs.arange(5)),
              "batch_size": 2, **kwargs}
    with pytest.raises(error, match=match):
        list(DataLoader(**kwargs))
    assert _torch_loader_error(torch, kwargs) is error


def test_a_non_callable_worker_init_fn_is_left_alone_without_workers_as_torch():
    assert len(list(DataLoader(TensorDataset(gs.arange(4.0)), batch_size=2,
                               worker_init_fn=3))) == 2


def test_a_dataset_without_len_is_named_for_the_default_sampler():
    class NoLen:
        def __getitem__(self, i):
            return i

    with pytest.raises(TypeError, match=r"DataLoader: a map-style dataset needs __len__ for "
                                        r"the default sampler \(or pass sampler=\), got NoLen"):
        DataLoader(NoLen())
    assert [b.tolist() for b in DataLoader(NoLen(), sampler=[2, 0], batch_size=2)] == [[2, 0]]
