"""Train a small CNN with batch norm on the 8x8 digits with gradsheet.train.fit, after checking
its layer sizes with the cheat sheet's N = (W - F + 2P)/S + 1, and look inside it with a forward
hook (what fraction of each ReLU's outputs is zero).

Usage: python examples/digits_cnn.py [--epochs 10] [--seed 0]
Needs: pip install gradsheet[data]   (scikit-learn ships the digits)
"""
import argparse

import gradsheet as gs
import gradsheet.nn as nn
from gradsheet import optim
from gradsheet.data import random_split
from gradsheet.data.datasets import load_digits
from gradsheet.train import evaluate, fit


def cnn(width=16):
    """(conv 3x3 pad 1, BN, ReLU, maxpool 2) twice, then a linear head: 8x8 -> 4x4 -> 2x2."""
    return nn.Sequential(
        nn.Conv2d(1, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(width, 2 * width, 3, padding=1), nn.BatchNorm2d(2 * width), nn.ReLU(),
        nn.MaxPool2d(2), nn.Flatten(), nn.Linear(2 * width * 2 * 2, 10))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    # the size formula: a 3x3 conv with P=1, S=1 keeps 8; a 2x2 pool with S=2 halves it
    print("conv: N =", nn.conv_output_size(8, 3, P=1, S=1, strict=True),
          "; pool: N =", nn.conv_output_size(8, 2, P=0, S=2, strict=True))
    gs.manual_seed(args.seed)
    train_set, test_set = random_split(load_digits(image=True), [0.8, 0.2])
    model = cnn()
    gs.summary(model, (32, 1, 8, 8))

    history = fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=2e-3),
                  train_set, val_data=test_set, epochs=args.epochs, batch_size=32, verbose=2)

    zeros = {}  # ReLU layer name -> [zero outputs, outputs] over the test batches

    def count_zeros(layer, args, out, name):
        counts = zeros.setdefault(name, [0, 0])
        counts[0] += int((out.array == 0).sum())
        counts[1] += out.array.size

    for name, layer in model.named_children():
        if isinstance(layer, nn.ReLU):
            layer.register_forward_hook(lambda m, args, out, name=name: count_zeros(m, args, out,
                                                                                    name))
    scores = evaluate(model, nn.CrossEntropyLoss(), test_set)
    print("fraction of zeros after each ReLU on the test set:",
          ", ".join(f"layer {name}: {z / n:.2f}" for name, (z, n) in zeros.items()))
    print(f"final train loss {history.history['loss'][-1]:.4f}, "
          f"test accuracy {scores['accuracy']:.2%}")


if __name__ == "__main__":
    main()
