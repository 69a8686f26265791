"""Run by test_fit.py: ``train.fit`` under ``mpiexec -n 2`` (or, with ``--single``, in one plain
process), each rank pickling what it saw to OUT/<case>-rank<r>.pkl.

    fit_worker.py OUT metrics [--single]   the same global batches as 1 process x batch 64
    fit_worker.py OUT resume               interrupted after epoch 2 and resumed == uninterrupted
    fit_worker.py OUT nan                  a NaN loss on rank 1 stops both ranks at one step

Files: each rank gives fit its own checkpoint_dir and ModelCheckpoint path (OUT/.../rank<r>), so
that the test sees which ranks wrote; rank 1 resumes from a path that does not exist (only
rank 0 may read the checkpoint).
"""
import os
import pickle
import sys

import numpy as np

import gradsheet as gs
from gradsheet import backend, nn, optim, train
from gradsheet.data import TensorDataset
from gradsheet.utils.data import DataLoader

OUT, CASE = sys.argv[1], sys.argv[2]
SINGLE = "--single" in sys.argv
if not SINGLE:
    import gradsheet.distributed as dist
    dist.init_process_group("mpi")
    RANK, WORLD = dist.get_rank(), dist.get_world_size()
else:
    RANK, WORLD = 0, 1


def data(n, seed, dtype=np.float64):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 5)).astype(dtype)
    y = (x[:, 0] + 0.5 * x[:, 1] - x[:, 2] > 0).astype(np.int64) + (x[:, 3] > 1).astype(np.int64)
    return TensorDataset(gs.tensor(x), gs.tensor(y))


def mlp(seed, dropout=0.0, dtype=gs.float64):
    gs.manual_seed(seed)
    layers = [nn.Linear(5, 16), nn.Tanh()] + ([nn.Dropout(dropout)] if dropout else []) + \
        [nn.Linear(16, 3)]
    return nn.Sequential(*layers).to(dtype)


def margin(output, target):
    """A per-sample metric besides accuracy: the mean of max_c output - mean_c output."""
    return float(np.mean(output.max(axis=1) - output.mean(axis=1)))


def weights(model):
    return {name: t.array.copy() for name, t in model.state_dict().items()}


def save(case, **values):
    with open(os.path.join(OUT, f"{case}-rank{RANK}.pkl"), "wb") as f:
        pickle.dump(values, f)


def per_rank(name):
    return os.path.join(OUT, name, f"rank{RANK}")


if CASE == "metrics":
    train_set, val_set = data(250, 0), data(75, 1)  # 250 = 2 x 125: no padding, a short last batch
    model = mlp(3 + RANK)  # DDP copies rank 0's weights: same start as the single process's
    optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    os.makedirs(per_rank("best"), exist_ok=True)  # (ModelCheckpoint makes no folder) rank 1's stays empty
    callback = train.ModelCheckpoint(os.path.join(per_rank("best"), "epoch-{epoch}.safetensors"),
                                     monitor="val_loss")
    if SINGLE:  # one process, batch 64: the union of the two ranks' batches of 32, step by step
        history = train.fit(model, nn.CrossEntropyLoss(), optimizer,
                            DataLoader(train_set, batch_size=64), val_data=val_set,
                            batch_size=64, epochs=3, verbose=0, metrics=("accuracy", margin))
    else:
        history = train.fit(model, nn.CrossEntropyLoss(), optimizer, train_set, val_data=val_set,
                            batch_size=32, shuffle=False, epochs=3, verbose=2,
                            metrics=("accuracy", margin), callbacks=[callback],
                            checkpoint_dir=per_rank("checkpoints"))
    save("metrics-single" if SINGLE else "metrics", history=history.history,
         weights=weights(model))

elif CASE == "resume":
    train_set, val_set = data(200, 2, np.float32), data(41, 3, np.float32)  # 41: uneven shares

    def run(epochs, name, seed, resume_from=None):
        model = mlp(seed + RANK, dropout=0.3, dtype=gs.float32)  # dropout: each rank's own stream
        optimizer = optim.Adam(model.parameters(), lr=0.01)
        scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.7)
        stopper = train.EarlyStopping(monitor="val_loss", patience=100)
        history = train.fit(model, nn.CrossEntropyLoss(), optimizer, train_set, val_data=val_set,
                            batch_size=16, epochs=epochs, verbose=0, scheduler=scheduler,
                            callbacks=[stopper], checkpoint_dir=per_rank(name),
                            resume_from=resume_from)
        return {"history": history.history, "weights": weights(model),
                "optimizer": pickle.dumps(optimizer.state_dict()),
                "rng": backend.get_rng_state(), "wait": stopper.wait, "best": stopper.best}

    whole = run(4, "whole", 7)
    first = run(2, "first", 7)
    checkpoint = os.path.join(OUT, "first", "rank0", "epoch-0002.safetensors")
    if RANK != 0:  # rank 1 must not read it: rank 0 sends it
        checkpoint = os.path.join(OUT, "no-such-file.safetensors")
    resumed = run(4, "resumed", 99, resume_from=checkpoint)  # other seeds: all from the checkpoint
    save("resume", whole=whole, first=first, resumed=resumed)

elif CASE == "nan":
    train_set = data(128, 4)
    if RANK == 1:
        train_set.tensors[0].array[71] = np.nan  # rank 1's 36th sample (71 = 2 x 35 + 1): its 3rd batch
    model = mlp(5)
    try:
        train.fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), train_set,
                  batch_size=16, shuffle=False, epochs=1, verbose=0)
        error = None
    except FloatingPointError as caught:
        error = str(caught)
    save("nan", error=error)
