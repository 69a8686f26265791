"""Train an MLP with dropout and Adam on the 8x8 digits, the cheat sheet's four steps by hand.

Usage: python examples/digits_mlp.py [--epochs 30] [--seed 0]
Needs: pip install gradsheet[data]   (scikit-learn ships the digits)
"""
import argparse

import gradsheet as gs
import gradsheet.nn as nn
from gradsheet import optim
from gradsheet.data import DataLoader, random_split
from gradsheet.data.datasets import load_digits
from gradsheet.train import evaluate


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    gs.manual_seed(args.seed)
    train_set, test_set = random_split(load_digits(), [0.8, 0.2])
    model = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Dropout(0.2), nn.Linear(256, 10))
    loss_fn = nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.parameters(), lr=1e-3)

    for epoch in range(args.epochs):
        model.train()
        for x, y in DataLoader(train_set, batch_size=32, shuffle=True):  # 1. a batch
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)                                   # 2. forward
            loss.backward()                                               # 3. backpropagate
            optimizer.step()                                              # 4. update
        scores = evaluate(model, loss_fn, test_set)
        print(f"epoch {epoch + 1}: test loss {scores['loss']:.4f}, "
              f"test accuracy {scores['accuracy']:.2%}")


if __name__ == "__main__":
    main()
