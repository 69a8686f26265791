"""``gradsheet train``, ``evaluate`` and ``predict``: supervised models from the command line.

``gradsheet train --nproc N ...`` runs the same training data-parallel on N processes: it
launches ``mpiexec -n N python -m gradsheet.cli train ...`` (the mpiexec next to the running
python, else the one on PATH; the ``dist`` extra installs both mpi4py and MPICH's mpiexec) and
prints that command. Each process then finds itself under mpiexec (``PMI_SIZE`` or
``OMPI_COMM_WORLD_SIZE`` set), starts the process group and trains its share of every epoch
(``train.fit`` under a process group); rank 0 alone prints and writes the output folder. So
``mpiexec -n N gradsheet train ...`` (e.g. across a cluster with a hostfile) does the same.
"""
import argparse
import importlib.util
import json
import os
import shlex
import shutil
import subprocess
import sys

import numpy as np

from .. import backend, io, models, nn, optim
from ..data import random_split
from ..io.files import atomic_file, open_regular, remove_stale_temporaries, write_atomically
from ..train import evaluate, fit, predict
from .data_sources import load_inputs, load_source

OPTIMIZERS = {"sgd": optim.SGD, "adam": optim.Adam, "adamw": optim.AdamW,
              "rmsprop": optim.RMSprop, "adagrad": optim.Adagrad}


def _architecture(args, sample, num_classes):
    if args.model == "mlp":
        hidden = [int(h) for h in args.hidden.split(",")] if args.hidden else []
        return models.mlp_spec(int(np.prod(sample.shape)), hidden, num_classes, args.dropout)
    return models.cnn_spec(sample.shape[0], num_classes)


def _architecture_file(args):
    """The architecture of a ``--model ARCH.json`` file (None for mlp and cnn), its size
    checked before anything is built."""
    if args.model in ("mlp", "cnn"):
        return None
    with open_regular(args.model, None, "architecture file") as f:
        data = f.read()
    try:
        spec = json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError) as err:
        raise ValueError(f"{args.model}: not a JSON architecture (a list of layer specs): "
                         f"{err}") from None
    models.check_size(spec, args.model)
    return spec


def _split(dataset, fraction, seed, where):
    n = len(dataset)
    train_set, val_set = random_split(dataset, [1 - fraction, fraction],
                                      generator=np.random.default_rng(seed))
    if len(train_set) == 0 or len(val_set) == 0:
        raise ValueError(f"{where}: {n} sample{'s' if n != 1 else ''} cannot be split into "
                         f"training and validation data (--val-fraction {fraction}); "
                         f"use more samples or another --val-fraction")
    return train_set, val_set


def _check_resume(args):
    """A clear error before training when ``--resume`` names a checkpoint of another run."""
    checkpoint = io.load_checkpoint(args.resume)
    saved = checkpoint.get("optimizer_class")
    chosen = OPTIMIZERS[args.optimizer].__name__
    if saved is not None and saved != chosen:
        names = {cls.__name__: name for name, cls in OPTIMIZERS.items()}
        raise ValueError(f"--resume {args.resume}: the checkpoint was written with the "
                         f"{saved} optimizer (--optimizer {names.get(saved, saved)}), not "
                         f"--optimizer {args.optimizer}")
    if checkpoint["epoch"] > args.epochs:
        raise ValueError(f"--resume {args.resume}: the checkpoint is at epoch "
                         f"{checkpoint['epoch']}, beyond --epochs {args.epochs}")


DIST_EXTRA = 'pip install "gradsheet[dist]"'
# set by the launchers: MPICH / Intel MPI (Hydra's PMI), Open MPI
_WORLD_SIZE_VARIABLES = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE")
_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def launched_world_size(environ=None):
    """The number of processes of the mpiexec job this process belongs to, or None when it was
    not started by mpiexec (from the launcher's PMI_SIZE / OMPI_COMM_WORLD_SIZE)."""
    environ = os.environ if environ is None else environ
    for name in _WORLD_SIZE_VARIABLES:
        value = environ.get(name, "")
        if value.strip().isdigit() and int(value) > 0:
            return int(value)
    return None


def find_mpiexec(executable=None, path=None):
    """The mpiexec next to ``executable`` (default: the running python; the MPICH wheel puts it
    in the virtual environment's bin/), else the one on ``path`` (default PATH); FileNotFoundError
    naming the dist extra when there is none."""
    executable = executable or sys.executable
    here = os.path.join(os.path.dirname(os.path.abspath(executable)), "mpiexec")
    if os.path.isfile(here) and os.access(here, os.X_OK):
        return here
    found = shutil.which("mpiexec", path=path)
    if found is None:
        raise FileNotFoundError(f"--nproc runs the training under mpiexec, which was found "
                                f"neither next to {executable} nor on PATH: {DIST_EXTRA} "
                                f"(mpi4py and MPICH, whose mpiexec launches the processes)")
    return found


def _child_arguments(args):
    """The ``gradsheet train`` options of ``args`` spelled out again, less --nproc."""
    words = []
    for flag, dest in args.train_options:
        value = getattr(args, dest)
        if value is not None:
            words += [flag, str(value)]
    return words


def launch(args):
    """``gradsheet train --nproc N``: run the same command under ``mpiexec -n N`` (printing it);
    returns mpiexec's exit status. Each process gets cores / N BLAS threads unless
    OMP_NUM_THREADS / OPENBLAS_NUM_THREADS / MKL_NUM_THREADS are set."""
    mpiexec = find_mpiexec()
    if importlib.util.find_spec("mpi4py") is None:
        raise ImportError(f"--nproc {args.nproc} trains over MPI and needs mpi4py: {DIST_EXTRA}")
    command = [mpiexec, "-n", str(args.nproc), sys.executable, "-m", "gradsheet.cli", "train",
               *_child_arguments(args)]
    env = dict(os.environ)
    threads = str(max(1, (os.cpu_count() or 1) // args.nproc))
    if not any(name in env for name in _THREAD_VARIABLES):  # processes x threads <= cores
        env.update({name: threads for name in _THREAD_VARIABLES})
    print(f"gradsheet train: running {shlex.join(command)}", flush=True)
    status = subprocess.call(command, env=env)
    return 128 - status if status < 0 else status  # killed by signal s: 128 + s, as a shell


def _abort_job(dist, rank, error):
    """One line naming this rank (only from the first rank to fail), then MPI_Abort: mpiexec
    ends every rank, so none waits for the failed one in a collective."""
    from ..distributed import faults
    from . import one_line
    first = faults._claim() if faults._Hook.claim else True
    faults._goodbye("claimed" if first else "ok")
    if first:
        print(f"gradsheet train: error: rank {rank}: {one_line(error)}", file=sys.stderr,
              flush=True)
    sys.stdout.flush()
    faults._Hook.MPI.COMM_WORLD.Abort(1)
    os._exit(1)  # (MPICH's MPI_Abort may return once it told mpiexec)


def train(args):
    """``gradsheet train``: fit the chosen model (mlp, cnn or a JSON architecture) with
    cross-entropy on ``args.data``, holding out ``args.val_fraction`` for validation; write
    model.safetensors, a checkpoint per epoch, history.json and training_curve.png to
    ``args.out``. Returns 0.

    With ``--nproc N`` it launches itself under ``mpiexec -n N`` (``launch``); under mpiexec
    it trains data-parallel, rank 0 printing and writing, and a failure on any rank ends the
    job with one line naming the rank.
    """
    world = launched_world_size()
    if world is None:
        if args.nproc is not None:
            return launch(args)
        return _train(args, None)
    if args.nproc is not None:
        raise ValueError(f"--nproc {args.nproc} launches mpiexec itself; this process already "
                         f"runs under mpiexec ({world} processes): leave --nproc out")
    import gradsheet.distributed as dist
    if not dist.is_initialized():
        dist.init_process_group("mpi")
    rank = dist.get_rank()
    try:
        return _train(args, rank)
    except Exception as error:
        if dist.get_world_size() == 1:
            raise
        _abort_job(dist, rank, error)
        raise


def _train(args, rank):
    """The training itself; ``rank`` is None in a single process, else this process's rank."""
    writer = rank is None or rank == 0
    backend.manual_seed(args.seed)
    if args.resume is not None and writer:  # only rank 0 reads the checkpoint
        _check_resume(args)
    spec = _architecture_file(args)
    dataset, num_classes = load_source(args.data, image=args.model == "cnn", min_rows=2,
                                       vocabulary=models.token_vocabulary(spec))
    train_set, val_set = _split(dataset, args.val_fraction, args.seed, args.data)
    spec = spec or _architecture(args, dataset.tensors[0].array[0], num_classes)
    model = models.build_model(spec)
    if rank:  # each rank its own dropout stream (the weights come from rank 0's model)
        backend.manual_seed([args.seed, rank])
    optimizer = OPTIMIZERS[args.optimizer](model.parameters(), lr=args.lr)
    checkpoints = os.path.join(args.out, "checkpoints")
    if writer:
        os.makedirs(args.out, exist_ok=True)
        for folder in (args.out, checkpoints):  # temporaries a killed run left behind
            remove_stale_temporaries(folder)
    if rank == 0:
        import gradsheet.distributed as dist
        world = dist.get_world_size()
        print(f"training on {world} processes: {args.batch_size} samples per process per step "
              f"({world * args.batch_size} in all)", flush=True)
    # the divergence check: a loss 1e4 times its running minimum ends the run with an error
    history = fit(model, nn.CrossEntropyLoss(), optimizer, train_set, val_data=val_set,
                  epochs=args.epochs, batch_size=args.batch_size, verbose=args.verbose,
                  checkpoint_dir=checkpoints, resume_from=args.resume, on_divergence="raise")
    if not writer:
        return 0
    model_path = os.path.join(args.out, "model.safetensors")
    models.save_model(model, spec, model_path,
                      metadata={"num_classes": str(num_classes), "data": args.data})
    write_atomically(os.path.join(args.out, "history.json"),
                     json.dumps(history.history, indent=2))
    _plot_history(history, os.path.join(args.out, "training_curve.png"))
    last = {name: values[-1] for name, values in history.history.items()}
    print(f"trained {args.model} for {args.epochs} epochs: " +
          ", ".join(f"{k} {v:.4g}" for k, v in last.items()))
    print(f"model: {model_path}")
    return 0


def _plot_history(history, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(no training-curve plot: pip install gradsheet[viz])")
        return
    figure, ax = plt.subplots(figsize=(6, 3.5))
    for name in ("loss", "val_loss"):
        if name in history.history:
            ax.plot(range(1, len(history) + 1), history.history[name], label=name)
    ax.set_xlabel("epoch")
    ax.set_ylabel("cross-entropy loss")
    ax.legend()
    with atomic_file(path) as f:
        figure.savefig(f, format="png", dpi=90, bbox_inches="tight")
    plt.close(figure)


def evaluate_command(args):
    """``gradsheet evaluate``: print the loss and accuracy of a saved model on ``args.data``.
    Returns 0.
    """
    model, spec, metadata = models.load_model(args.model)
    image = any(layer.get("type", "").startswith("Conv") for layer in spec)
    num_classes = _num_classes(metadata, spec)
    dataset, _ = load_source(args.data, image=image, num_classes=num_classes,
                             vocabulary=models.token_vocabulary(spec))
    scores = evaluate(model, nn.CrossEntropyLoss(), dataset, batch_size=args.batch_size)
    print(", ".join(f"{name} {value:.4f}" for name, value in scores.items()))
    return 0


def _num_classes(metadata, spec):
    """The model's number of classes: its metadata's, else its last Linear's out_features."""
    try:
        return int(metadata["num_classes"])
    except (KeyError, ValueError):
        pass
    for layer in reversed(spec):
        if layer.get("type") == "Linear":
            return int(layer.get("kwargs", {}).get("out_features", 0)) or None
    return None


def predict_command(args):
    """``gradsheet predict``: print (or write to ``args.out``) the predicted class of each row of
    ``args.input``; flat rows are reshaped to square images for a convolutional model.
    Returns 0.
    """
    model, spec, _ = models.load_model(args.model)
    vocabulary = models.token_vocabulary(spec)
    with np.errstate(all="ignore"):
        inputs = load_inputs(args.input, vocabulary)
        if vocabulary is None:
            inputs = inputs.astype(backend.get_default_dtype())
    if any(layer.get("type", "").startswith("Conv") for layer in spec) and inputs.ndim == 2:
        side = int(round(np.sqrt(inputs.shape[1])))
        if side * side != inputs.shape[1]:
            raise ValueError(f"{args.input}: a convolutional model needs square images; "
                             f"{inputs.shape[1]} values per row are not a square number")
        inputs = inputs.reshape(-1, 1, side, side)
    logits = predict(model, inputs, batch_size=args.batch_size).array
    classes = logits.argmax(axis=1)
    if args.out:
        write_atomically(args.out, "".join(f"{c}\n" for c in classes))
        print(f"{len(classes)} predictions written to {args.out}")
    else:
        print("\n".join(str(c) for c in classes))
    return 0


def add_commands(commands):
    """Add the ``train``, ``evaluate`` and ``predict`` subcommands to ``commands``, an argparse
    subparsers object.
    """
    train_parser = commands.add_parser("train", help="train a model on digits, IDX, CSV or NPZ data")
    train_parser.add_argument("--model", default="mlp",
                              help="mlp, cnn, or a JSON architecture file (a list of layer specs)")
    train_parser.add_argument("--data", default="digits",
                              help="digits | idx:IMAGES,LABELS | FILE.csv | FILE.npz")
    train_parser.add_argument("--epochs", type=_positive_int, default=10)
    train_parser.add_argument("--batch-size", type=_positive_int, default=32,
                              help="samples per step (per process under --nproc)")
    train_parser.add_argument("--optimizer", choices=sorted(OPTIMIZERS), default="adam")
    train_parser.add_argument("--lr", type=_positive_float, default=1e-3)
    train_parser.add_argument("--hidden", default="256,128", help="mlp hidden sizes, e.g. 256,128")
    train_parser.add_argument("--dropout", type=float, default=0.2, help="mlp dropout")
    train_parser.add_argument("--val-fraction", type=_fraction, default=0.2)
    train_parser.add_argument("--seed", type=int, default=0)
    train_parser.add_argument("--resume", help="a checkpoint to continue from")
    train_parser.add_argument("--out", default="run", help="folder for the model, checkpoints, "
                              "history.json and training_curve.png")
    train_parser.add_argument("--verbose", type=int, default=2, choices=(0, 1, 2))
    train_parser.add_argument("--nproc", type=_process_count, default=None,
                              help="train data-parallel on N processes: runs this command under "
                                   "mpiexec -n N (needs the dist extra)")
    options = [(action.option_strings[-1], action.dest) for action in train_parser._actions
               if action.option_strings and action.dest not in ("help", "nproc")]
    train_parser.set_defaults(run=train, train_options=options)

    evaluate_parser = commands.add_parser("evaluate", help="loss and accuracy of a saved model")
    evaluate_parser.add_argument("--model", required=True, help="a model.safetensors file")
    evaluate_parser.add_argument("--data", default="digits")
    evaluate_parser.add_argument("--batch-size", type=_positive_int, default=256)
    evaluate_parser.set_defaults(run=evaluate_command)

    predict_parser = commands.add_parser("predict", help="class predictions of a saved model")
    predict_parser.add_argument("--model", required=True, help="a model.safetensors file")
    predict_parser.add_argument("--input", required=True, help="FILE.csv or FILE.npz (array X)")
    predict_parser.add_argument("--out", help="write one class per line here (else stdout)")
    predict_parser.add_argument("--batch-size", type=_positive_int, default=256)
    predict_parser.set_defaults(run=predict_command)


def _positive_int(text):
    value = int(text)
    if value <= 0:
        raise ValueError(f"expected a positive integer, got {text}")
    return value


def _positive_float(text):
    value = float(text)
    if not value > 0:
        raise ValueError(f"expected a positive number, got {text}")
    return value


def _process_count(text):
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"expected a number of processes, got {text}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of processes "
                                         f"(mpiexec -n N), got {text}")
    return value


def _fraction(text):
    value = float(text)
    if not 0 < value < 1:
        raise ValueError(f"expected a fraction in (0, 1), got {text}")
    return value


# argparse names the converter in its messages ("invalid positive integer value: 'x'")
_positive_int.__name__ = "positive integer"
_positive_float.__name__ = "positive number"
_fraction.__name__ = "fraction in (0, 1)"
_process_count.__name__ = "number of processes"
