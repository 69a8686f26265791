"""Sequence tasks with a known long-range dependency, and character-level text.

``adding_problem`` and ``copy_task`` put the information a model needs T steps before it is
asked for it, so a model that cannot carry it that far (a vanilla RNN whose gradient vanishes)
scores no better than a trivial baseline, which each docstring gives. Each returns a
TensorDataset, batch first, deterministic for a given ``seed`` (``seed=None`` draws from the
generator that ``gradsheet.manual_seed`` seeds).

``CharDataset`` cuts a text into (x, y) windows for next-character prediction; the package
ships eight of Shakespeare's sonnets (``load_sonnets``) to train on.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Optional, Union

import numpy as np

from ... import backend
from ...autograd.tensor import Tensor, as_tensor
from ..dataset import Dataset, TensorDataset
from .sonnets import SONNETS


def _rng(seed: Optional[int]) -> np.random.Generator:
    return backend.default_generator() if seed is None else np.random.default_rng(seed)


def _check_int(name: str, arg: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or int(value) != value or value < minimum:
        raise ValueError(f"{name}: {arg} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def adding_problem(n_samples: int = 1000, T: int = 50,
                   seed: Optional[int] = None) -> TensorDataset:
    """The adding problem (Hochreiter and Schmidhuber, 1997): add the two marked numbers.

    x_t = (u_t, m_t) with u_t ~ U[0, 1] and m_t = 1 at exactly two steps, one in each half
    of the sequence (0 elsewhere);  y = sum_t u_t m_t.
    Trivial baseline: always predicting E[y] = 1 gives MSE Var(u + u') = 1/6 ~ 0.167.

    Returns: TensorDataset of X (n_samples, T, 2) float32 and y (n_samples, 1) float32.
    """
    n = _check_int("adding_problem", "n_samples", n_samples, 1)
    T = _check_int("adding_problem", "T", T, 2)
    rng = _rng(seed)
    values = rng.uniform(0.0, 1.0, size=(n, T))
    first = rng.integers(0, T // 2, size=n)
    second = rng.integers(T // 2, T, size=n)
    marks = np.zeros((n, T))
    rows = np.arange(n)
    marks[rows, first] = 1.0
    marks[rows, second] = 1.0
    X = np.stack([values, marks], axis=2).astype(np.float32)
    y = (values[rows, first] + values[rows, second]).astype(np.float32)[:, None]
    return TensorDataset(X, y)


def copy_task(n_samples: int = 1000, T: int = 50, n_symbols: int = 8, copy_length: int = 10,
              seed: Optional[int] = None) -> TensorDataset:
    """The copy task (Arjovsky, Shah and Bengio, 2016): see L symbols, wait T steps, replay them.

    Tokens: 0 blank, 1 .. n_symbols data, n_symbols + 1 the delimiter ("replay now").
        x = [s_1 .. s_L, 0 (T - 1 times), delimiter, 0 (L times)]
        y = [0 (T + L times), s_1 .. s_L]                    (length T + 2L each)
    Trivial (memoryless) baseline: blanks, then a uniform guess for each of the L symbols:
    mean cross-entropy L log(n_symbols) / (T + 2L) per step, accuracy 1/n_symbols on them.

    Returns: TensorDataset of X and y, both (n_samples, T + 2 L) int64.
    """
    n = _check_int("copy_task", "n_samples", n_samples, 1)
    T = _check_int("copy_task", "T", T, 1)
    n_symbols = _check_int("copy_task", "n_symbols", n_symbols, 1)
    L = _check_int("copy_task", "copy_length", copy_length, 1)
    symbols = _rng(seed).integers(1, n_symbols + 1, size=(n, L))
    X = np.zeros((n, T + 2 * L), dtype=np.int64)
    y = np.zeros((n, T + 2 * L), dtype=np.int64)
    X[:, :L] = symbols
    X[:, T + L - 1] = n_symbols + 1
    y[:, T + L:] = symbols
    return TensorDataset(X, y)


def recall_task(n_samples: int = 1000, T: int = 50, n_symbols: int = 4,
                seed: Optional[int] = None) -> TensorDataset:
    """Remember the first symbol through T - 1 distractors: x = (s, d_2, .., d_T), y = s.

    Every x_t is drawn uniformly from the same n_symbols symbols, so only a state that keeps
    x_1 for T steps can answer. Trivial baseline: accuracy 1/n_symbols, cross-entropy
    log(n_symbols).

    Returns: TensorDataset of X (n_samples, T) int64 and y (n_samples,) int64.
    """
    n = _check_int("recall_task", "n_samples", n_samples, 1)
    T = _check_int("recall_task", "T", T, 1)
    n_symbols = _check_int("recall_task", "n_symbols", n_symbols, 2)
    X = _rng(seed).integers(0, n_symbols, size=(n, T))
    return TensorDataset(X, X[:, 0].copy())


def load_sonnets() -> str:
    """Eight of Shakespeare's sonnets (XVIII, XXIX, XXX, LV, LX, LXXIII, CXVI, CXXX), ~5 KB."""
    return SONNETS


class CharDataset(Dataset[tuple[Tensor, Tensor]]):
    """Next-character prediction windows over a text: sample i is (x, y) with

        x = ids[i : i + T],   y = ids[i + 1 : i + T + 1]      (ids = encode(text))

    Args:
        text: the text (default: ``load_sonnets()``).
        seq_len: T, the window length.
        vocab: the characters, in index order (default: the sorted characters of ``text``).

    Example: ``data = CharDataset(seq_len=32); data.decode(data.encode("love")) == "love"``.
    """

    def __init__(self, text: Optional[str] = None, seq_len: int = 64,
                 vocab: Optional[Iterable[str]] = None) -> None:
        text = load_sonnets() if text is None else text
        if not isinstance(text, str):
            raise TypeError(f"CharDataset: text must be a str, got {type(text).__name__}")
        self.seq_len = _check_int("CharDataset", "seq_len", seq_len, 1)
        if len(text) < self.seq_len + 1:
            raise ValueError(f"CharDataset: a text of {len(text)} characters has no window of "
                             f"seq_len + 1 = {self.seq_len + 1} characters")
        self.vocab = sorted(set(text)) if vocab is None else list(vocab)
        self.stoi = {ch: i for i, ch in enumerate(self.vocab)}
        if len(self.stoi) != len(self.vocab):
            raise ValueError("CharDataset: vocab holds a character twice")
        self.text = text
        self.ids = self.encode(text)

    @property
    def vocab_size(self) -> int:
        """The number of distinct characters, len(vocab)."""
        return len(self.vocab)

    def encode(self, text: str) -> np.ndarray:
        """The int64 indices of the characters of ``text``."""
        try:
            return np.array([self.stoi[ch] for ch in text], dtype=np.int64)
        except KeyError as error:
            raise ValueError(f"CharDataset.encode: character {error.args[0]!r} is not in the "
                             f"vocabulary of {self.vocab_size} characters") from None

    def decode(self, ids: Union[Tensor, np.ndarray, Sequence[int]]) -> str:
        """The text spelled by the indices ``ids`` (a sequence, an array or a Tensor)."""
        ids = np.asarray(ids.array if isinstance(ids, Tensor) else ids).reshape(-1)
        if ids.size and (ids.min() < 0 or ids.max() >= self.vocab_size):
            bad = ids.min() if ids.min() < 0 else ids.max()
            raise IndexError(f"CharDataset.decode: index {int(bad)} is out of range for a "
                             f"vocabulary of {self.vocab_size} characters")
        return "".join(self.vocab[i] for i in ids)

    def __len__(self) -> int:
        return len(self.ids) - self.seq_len

    def __getitem__(self, index: int) -> tuple[Tensor, Tensor]:
        if not -len(self) <= index < len(self):
            raise IndexError(f"CharDataset: index {index} is out of range for {len(self)} windows")
        index %= len(self)
        window = self.ids[index:index + self.seq_len + 1]
        return as_tensor(window[:-1]), as_tensor(window[1:])

    def get_batch(self, indices: Any) -> list[Tensor]:
        """X and Y (n, T) for an integer array of window starts: one gather, no Python loop."""
        rows = np.asarray(indices)[:, None] + np.arange(self.seq_len + 1)
        windows = self.ids[rows]
        return [as_tensor(windows[:, :-1]), as_tensor(windows[:, 1:])]
