"""Ready-made datasets: scikit-learn's 8x8 digits, MNIST-format IDX files, synthetic 2-D tasks,
long-range sequence tasks and character-level text."""
from .digits import load_digits
from .idx import MNIST, load_idx_dataset, read_idx
from .sequences import CharDataset, adding_problem, copy_task, load_sonnets, recall_task
from .synthetic import make_moons, make_spirals, make_xor

__all__ = ["MNIST", "CharDataset", "adding_problem", "copy_task", "load_digits", "load_idx_dataset",
           "load_sonnets", "make_moons", "make_spirals", "make_xor", "read_idx", "recall_task"]
