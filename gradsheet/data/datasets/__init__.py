"""Ready-made datasets: scikit-learn's 8x8 digits, MNIST-format IDX files, synthetic 2-D tasks."""
from .digits import load_digits
from .idx import MNIST, load_idx_dataset, read_idx
from .synthetic import make_moons, make_spirals, make_xor

__all__ = ["MNIST", "load_digits", "load_idx_dataset", "make_moons", "make_spirals", "make_xor",
           "read_idx"]
