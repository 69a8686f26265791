"""Sequence tasks (adding problem, copy, recall) and CharDataset: structure, targets computed
independently from the inputs, determinism, batching, and bad input."""
import numpy as np
import pytest

import gradsheet as gs
from gradsheet.data import DataLoader
from gradsheet.data.datasets import (
    CharDataset,
    adding_problem,
    copy_task,
    load_sonnets,
    recall_task,
)


@pytest.mark.parametrize("T", [2, 7, 50])
def test_adding_problem_marks_one_step_in_each_half_and_sums_them(T):
    X, y = (t.array for t in adding_problem(200, T, seed=0).tensors)
    assert X.shape == (200, T, 2) and y.shape == (200, 1)
    assert X.dtype == y.dtype == np.float32
    values, marks = X[..., 0], X[..., 1]
    assert np.all((values >= 0) & (values < 1))
    assert set(np.unique(marks)) <= {0.0, 1.0}
    assert np.all(marks[:, :T // 2].sum(axis=1) == 1) and np.all(marks[:, T // 2:].sum(axis=1) == 1)
    np.testing.assert_allclose(y[:, 0], (values * marks).sum(axis=1), rtol=1e-6)


def test_adding_problem_baseline_is_one_sixth():
    """Predicting 1 has MSE Var(u + u') = 2/12; the mean of 20,000 squared errors (variance
    (E[d^4] - (1/6)^2) / n, E[d^4] = 1/15 for d = u + u' - 1) lies within 6 standard errors."""
    y = adding_problem(20_000, 10, seed=1).tensors[1].array.astype(np.float64)
    se = np.sqrt((1 / 15 - 1 / 36) / y.size)
    assert abs(np.mean((y - 1) ** 2) - 1 / 6) < 6 * se


def test_tasks_are_deterministic_per_seed_and_follow_manual_seed():
    for make in (adding_problem, copy_task, recall_task):
        a, b, c = (make(20, 12, seed=s).tensors[0].array for s in (3, 3, 4))
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(a, c)
        gs.manual_seed(5)
        d = make(20, 12).tensors[0].array
        gs.manual_seed(5)
        np.testing.assert_array_equal(d, make(20, 12).tensors[0].array)


@pytest.mark.parametrize("T, L", [(1, 1), (5, 3), (30, 10)])
def test_copy_task_layout(T, L):
    X, y = (t.array for t in copy_task(50, T, n_symbols=8, copy_length=L, seed=0).tensors)
    assert X.shape == y.shape == (50, T + 2 * L) and X.dtype == y.dtype == np.int64
    symbols = X[:, :L]
    assert np.all((symbols >= 1) & (symbols <= 8))
    assert np.all(X[:, T + L - 1] == 9)  # the delimiter, then blanks
    assert not np.any(np.delete(X[:, L:], T - 1, axis=1))
    np.testing.assert_array_equal(y[:, T + L:], symbols)
    assert not np.any(y[:, :T + L])


def test_recall_task_target_is_the_first_symbol():
    X, y = (t.array for t in recall_task(300, 9, n_symbols=3, seed=0).tensors)
    assert X.shape == (300, 9) and y.shape == (300,)
    np.testing.assert_array_equal(y, X[:, 0])
    assert set(np.unique(X)) == {0, 1, 2}


@pytest.mark.parametrize("call, match", [
    (lambda: adding_problem(0, 10), r"adding_problem: n_samples must be an integer >= 1, got 0"),
    (lambda: adding_problem(10, 1), r"adding_problem: T must be an integer >= 2, got 1"),
    (lambda: copy_task(10, 5, copy_length=0), r"copy_task: copy_length must be .* got 0"),
    (lambda: recall_task(10, 5, n_symbols=1), r"recall_task: n_symbols must be .*>= 2, got 1"),
    (lambda: CharDataset("abc", seq_len=3), r"3 characters has no window of seq_len \+ 1 = 4"),
    (lambda: CharDataset("abcd", seq_len=2, vocab="aab"), r"vocab holds a character twice"),
])
def test_bad_arguments_raise_with_the_values(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_char_dataset_windows_are_shifted_by_one():
    text = "to be or not to be"
    data = CharDataset(text, seq_len=5)
    assert data.vocab == sorted(set(text)) and data.vocab_size == len(set(text))
    assert len(data) == len(text) - 5
    for i in (0, 3, len(data) - 1, -1):
        x, y = data[i]
        start = i % len(data)
        assert data.decode(x) == text[start:start + 5]
        assert data.decode(y) == text[start + 1:start + 6]
        assert x.dtype == np.int64
    with pytest.raises(IndexError, match=r"index 13 is out of range for 13 windows"):
        data[13]


def test_char_dataset_get_batch_and_dataloader():
    data = CharDataset(seq_len=16)
    assert data.text == load_sonnets() and "Shall I compare thee" in data.text
    X, Y = data.get_batch(np.array([0, 10, 200]))
    for row, i in enumerate((0, 10, 200)):
        np.testing.assert_array_equal(X.array[row], data[i][0].array)
        np.testing.assert_array_equal(Y.array[row], data[i][1].array)
    x, y = next(iter(DataLoader(data, batch_size=8, shuffle=True)))
    assert x.shape == y.shape == (8, 16)
    np.testing.assert_array_equal(x.array[:, 1:], y.array[:, :-1])


def test_encode_decode_round_trip_and_errors():
    data = CharDataset("hello world", seq_len=2)
    assert data.decode(data.encode("low hello")) == "low hello"
    assert data.decode(gs.tensor(data.encode("old"))) == "old"
    with pytest.raises(ValueError, match=r"character 'z' is not in the vocabulary of 8"):
        data.encode("loz")
    with pytest.raises(IndexError, match=r"index 8 is out of range for a vocabulary of 8"):
        data.decode([0, 8])
    with pytest.raises(TypeError, match=r"text must be a str, got list"):
        CharDataset(["a", "b"])
