"""``gradsheet train``, ``evaluate`` and ``predict``: supervised models from the command line.

Each ``train`` run writes to its own folder, ``--out/NAME/version_N`` (Lightning's layout; NAME
is ``--name``, by default MODEL-DATA; the folder is printed at the start): args.json (the
arguments), model.safetensors, checkpoints/, history.json and training_curve.png.
``--resume RUN_DIR`` continues that run in its folder from its last checkpoint, with its saved
arguments (options given again override them); ``--resume CHECKPOINT`` starts a new run
folder from a checkpoint file.

The model file's metadata keeps what evaluate and predict need to treat data as training did:
the classes of string labels (predict prints them back), the CSV layout (predict leaves the
label column out of the training CSV), ``--standardize``'s mean and std (applied to the
inputs), and the held-out split (seed, fraction, rows): ``evaluate`` on the training data
scores the held-out rows unless ``--all-rows``.

``gradsheet train --nproc N ...`` runs the same training data-parallel on N processes: it
launches ``mpiexec -n N python -m gradsheet.cli train ...`` (the mpiexec next to the running
python, else the one on PATH; the ``dist`` extra installs both mpi4py and MPICH's mpiexec) and
prints that command. Each process then finds itself under mpiexec (``PMI_SIZE`` or
``OMPI_COMM_WORLD_SIZE`` set), starts the process group and trains its share of every epoch
(``train.fit`` under a process group); rank 0 alone prints and writes the output folder. So
``mpiexec -n N gradsheet train ...`` (e.g. across a cluster with a hostfile) does the same.
"""
from __future__ import annotations

import argparse
import importlib.util
import re
import json
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any, NoReturn, Optional, Union

import numpy as np

from .. import backend, io, models, nn, optim, plotting
from ..data import random_split
from ..io.files import open_regular, remove_stale_temporaries, write_atomically
from ..train import evaluate, fit, predict
from .data_sources import load_inputs, load_source
from .runs import add_run_options, add_threads_option, load_args, next_version_dir, save_args

if TYPE_CHECKING:
    from ..data import Subset, TensorDataset
    from ..models import Spec
    from ..train.history import History
    from .data_sources import Source

MODELS = ("mlp", "cnn")  # built-in architectures; anything else names a JSON architecture file
OPTIMIZERS = {"sgd": optim.SGD, "adam": optim.Adam, "adamw": optim.AdamW,
              "rmsprop": optim.RMSprop, "adagrad": optim.Adagrad}


def _architecture(args: argparse.Namespace, sample: np.ndarray, num_classes: int) -> Spec:
    if args.model == "mlp":
        hidden = [int(h) for h in args.hidden.split(",")] if args.hidden else []
        return models.mlp_spec(int(np.prod(sample.shape)), hidden, num_classes, args.dropout)
    return models.cnn_spec(sample.shape[0], num_classes)


def _architecture_file(args: argparse.Namespace) -> Optional[Spec]:
    """The architecture of a ``--model ARCH.json`` file (None for mlp and cnn), its size
    checked before anything is built."""
    if args.model in MODELS:
        return None
    if not os.path.exists(args.model):
        raise ValueError(f"--model {args.model}: not a model name (choose from "
                         f"{', '.join(MODELS)}) nor an architecture file (a JSON list of layer "
                         f"specs): no such file")
    with open_regular(args.model, None, "architecture file") as f:
        data = f.read()
    try:
        spec = json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError) as err:
        raise ValueError(f"{args.model}: not a JSON architecture (a list of layer specs): "
                         f"{err}") from None
    models.check_size(spec, args.model)
    return spec


def _split(dataset: TensorDataset, fraction: float, seed: int, where: str
           ) -> tuple[Subset[Any], Subset[Any]]:
    n = len(dataset)
    train_set, val_set = random_split(dataset, [1 - fraction, fraction],
                                      generator=np.random.default_rng(seed))
    if len(train_set) == 0 or len(val_set) == 0:
        raise ValueError(f"{where}: {n} sample{'s' if n != 1 else ''} cannot be split into "
                         f"training and validation data (--val-fraction {fraction}); "
                         f"use more samples or another --val-fraction")
    return train_set, val_set


def _check_resume(args: argparse.Namespace, path: str) -> None:
    """A clear error before training when ``--resume`` names a checkpoint of another run."""
    checkpoint = io.load_checkpoint(path)
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


def launched_world_size(environ: Optional[Mapping[str, str]] = None) -> Optional[int]:
    """The number of processes of the mpiexec job this process belongs to, or None when it was
    not started by mpiexec (from the launcher's PMI_SIZE / OMPI_COMM_WORLD_SIZE)."""
    environ = os.environ if environ is None else environ
    for name in _WORLD_SIZE_VARIABLES:
        value = environ.get(name, "")
        if value.strip().isdigit() and int(value) > 0:
            return int(value)
    return None


def find_mpiexec(executable: Optional[str] = None, path: Optional[str] = None) -> str:
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


def _child_arguments(args: argparse.Namespace) -> list[str]:
    """The ``gradsheet train`` options of ``args`` spelled out again, less --nproc."""
    words: list[str] = []
    for flag, dest, is_flag in args.train_options:
        value = getattr(args, dest)
        if is_flag:
            words += [flag] if value else []
        elif value is not None:
            words += [flag, str(value)]
    return words


def _resumed_arguments(args: argparse.Namespace) -> argparse.Namespace:
    """``--resume RUN_DIR``: the run's saved arguments, overridden by the options given on this
    command line (argparse keeps a namespace's values for options not given)."""
    saved = {name: value for name, value in load_args(args.resume, "--resume").items()
             if name not in ("resume", "out", "name")}
    words = args.argv[args.argv.index("train") + 1:]
    merged = args.parser.parse_args(words, namespace=argparse.Namespace(**saved))
    merged.argv = args.argv
    return merged


def _last_checkpoint(run_dir: str) -> str:
    """The newest epoch checkpoint of a run directory (a ValueError when it has none)."""
    folder = os.path.join(run_dir, "checkpoints")
    names = sorted(n for n in (os.listdir(folder) if os.path.isdir(folder) else [])
                   if re.fullmatch(r"epoch-\d+\.safetensors", n))
    if not names:
        raise ValueError(f"--resume {run_dir}: no checkpoint in {folder} to continue from")
    return os.path.join(folder, names[-1])


def _default_name(args: argparse.Namespace) -> str:
    """MODEL-DATA from --model and --data (file names without folders and extensions)."""
    def stem(text: str) -> str:
        return os.path.splitext(os.path.basename(text.rstrip("/")))[0] or text
    data = "idx" if args.data.startswith("idx:") else stem(args.data)
    return re.sub(r"[^\w.-]+", "-", f"{stem(args.model)}-{data}")


def _run_directory(args: argparse.Namespace, rank: Optional[int], resume_dir: Optional[str]) -> str:
    """The run's folder: ``resume_dir`` when continuing one, else a new version made by rank 0
    (or the only process) and sent to the other ranks."""
    if resume_dir is not None:
        return resume_dir
    run_dir: Optional[str] = None
    if rank is None or rank == 0:
        run_dir = next_version_dir(args.out, args.name or _default_name(args))
    if rank is not None:
        import gradsheet.distributed as dist
        shared = [run_dir]
        dist.broadcast_object_list(shared, src=0)
        run_dir = shared[0]
    assert run_dir is not None  # made by rank 0 (or the only process), sent to the others
    return run_dir


def launch(args: argparse.Namespace) -> int:
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


def _abort_job(dist: ModuleType, rank: int, error: BaseException) -> NoReturn:
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


def train(args: argparse.Namespace) -> int:
    """``gradsheet train``: fit the chosen model (mlp, cnn or a JSON architecture) with
    cross-entropy on ``args.data``, holding out ``args.val_fraction`` for validation; write
    model.safetensors, a checkpoint per epoch, history.json and training_curve.png to
    ``args.out``. Returns 0.

    With ``--nproc N`` it launches itself under ``mpiexec -n N`` (``launch``); under mpiexec
    it trains data-parallel, rank 0 printing and writing, and a failure on any rank ends the
    job with one line naming the rank.
    """
    if args.resume is not None and os.path.isdir(args.resume):
        args = _resumed_arguments(args)
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


def _train(args: argparse.Namespace, rank: Optional[int]) -> int:
    """The training itself; ``rank`` is None in a single process, else this process's rank."""
    writer = rank is None or rank == 0
    backend.manual_seed(args.seed)
    resume_dir = args.resume if args.resume is not None and os.path.isdir(args.resume) else None
    resume_from = _last_checkpoint(resume_dir) if resume_dir else args.resume
    if resume_from is not None and writer:  # only rank 0 reads the checkpoint
        _check_resume(args, resume_from)
    spec = _architecture_file(args)
    vocabulary = models.token_vocabulary(spec) if spec is not None else None
    if args.standardize and vocabulary is not None:
        raise ValueError("--standardize scales features; the model's first layer is an "
                         "Embedding, whose inputs are token ids: leave --standardize out")
    source = load_source(args.data, image=args.model == "cnn", min_rows=2,
                         vocabulary=vocabulary, label_column=args.label_column)
    dataset, num_classes = source.dataset, source.num_classes
    train_set, val_set = _split(dataset, args.val_fraction, args.seed, args.data)
    scaling = _standardize(dataset, train_set.indices) if args.standardize else None
    spec = spec or _architecture(args, dataset.tensors[0].array[0], num_classes)
    model = models.build_model(spec)
    if rank:  # each rank its own dropout stream (the weights come from rank 0's model)
        # (backend.manual_seed is annotated int; it takes any NumPy seed, a list of ints too)
        backend.manual_seed([args.seed, rank])  # type: ignore[arg-type]
    optimizer = OPTIMIZERS[args.optimizer](model.parameters(), lr=args.lr)
    run_dir = _run_directory(args, rank, resume_dir)
    checkpoints = os.path.join(run_dir, "checkpoints")
    if writer:
        for folder in (run_dir, checkpoints):  # temporaries a killed run left behind
            remove_stale_temporaries(folder)
        save_args(run_dir, args, [dest for _, dest, _ in args.train_options])
        print(f"run directory: {run_dir}", flush=True)
    if rank == 0:
        import gradsheet.distributed as dist
        world = dist.get_world_size()
        print(f"training on {world} processes: {args.batch_size} samples per process per step "
              f"({world * args.batch_size} in all)", flush=True)
    # the divergence check: a loss 1e4 times its running minimum ends the run with an error
    history = fit(model, nn.CrossEntropyLoss(), optimizer, train_set, val_data=val_set,
                  epochs=args.epochs, batch_size=args.batch_size, verbose=args.verbose,
                  checkpoint_dir=checkpoints, resume_from=resume_from, on_divergence="raise")
    if not writer:
        return 0
    model_path = os.path.join(run_dir, "model.safetensors")
    models.save_model(model, spec, model_path,
                      metadata=_model_metadata(args, source, len(dataset), scaling))
    write_atomically(os.path.join(run_dir, "history.json"),
                     json.dumps(history.history, indent=2))
    _plot_history(history, os.path.join(run_dir, "training_curve.png"),
                  f"{args.model} on {os.path.basename(args.data)}: training curve")
    last = {name: values[-1] for name, values in history.history.items()}
    print(f"trained {args.model} for {args.epochs} epochs: " +
          ", ".join(f"{k} {v:.4g}" for k, v in last.items()))
    print(f"model: {model_path}")
    return 0


def _standardize(dataset: TensorDataset, rows: Union[Sequence[int], np.ndarray]
                 ) -> dict[str, list[float]]:
    """x <- (x - mean) / std in place, per feature, with the mean and std of the training
    ``rows`` (std 0 taken as 1); returns them as lists, for the model file."""
    features = dataset.tensors[0].array
    flat = features.reshape(len(features), -1)
    mean = flat[np.asarray(rows)].mean(axis=0)
    std = flat[np.asarray(rows)].std(axis=0)
    std[std == 0] = 1.0
    flat -= mean
    flat /= std
    return {"mean": mean.tolist(), "std": std.tolist()}


def _apply_standardization(inputs: np.ndarray, metadata: Mapping[str, str], where: str
                           ) -> np.ndarray:
    """The inputs scaled by the model's saved mean and std (unchanged without them)."""
    if "standardize" not in metadata:
        return inputs
    scaling = json.loads(metadata["standardize"])
    flat = inputs.reshape(len(inputs), -1)
    if flat.shape[1] != len(scaling["mean"]):
        raise ValueError(f"{where}: {flat.shape[1]} values per row, but the model was trained "
                         f"(--standardize) on {len(scaling['mean'])}")
    scaled = (flat - np.asarray(scaling["mean"])) / np.asarray(scaling["std"])
    return scaled.astype(inputs.dtype).reshape(inputs.shape)


def _data_reference(data: str) -> str:
    """--data as the model file keeps it: files by absolute path (evaluate finds them again)."""
    if data == "digits":
        return data
    if data.startswith("idx:"):
        return "idx:" + ",".join(os.path.abspath(p) for p in data[4:].split(","))
    return os.path.abspath(data)


def _model_metadata(args: argparse.Namespace, source: Source, rows: int,
                    scaling: Optional[dict[str, list[float]]]) -> dict[str, str]:
    """The model file's metadata: classes, data, split, and the CSV and scaling details."""
    metadata = {"num_classes": str(source.num_classes), "data": _data_reference(args.data),
                "split": json.dumps({"seed": args.seed, "val_fraction": args.val_fraction,
                                     "rows": rows})}
    if source.classes is not None:
        metadata["classes"] = json.dumps(source.classes)
    if source.layout is not None:
        metadata["csv_layout"] = json.dumps(source.layout)
    if scaling is not None:
        metadata["standardize"] = json.dumps(scaling)
    return metadata


def _plot_history(history: History, path: str, title: str) -> None:
    """The training-curve PNG: a panel per logged metric (loss, accuracy, ...; the learning
    rate left out), training and validation, on integer epochs (gradsheet.plotting)."""
    metrics = [name for name in history.history if not name.startswith("val_") and name != "lr"]
    try:
        plotting.pyplot("Agg")  # files only
        figure = plotting.history_figure(history.history, title, metrics=metrics,
                                         ylabels={"loss": "cross-entropy loss"},
                                         labels=("train", "validation"))
    except ImportError:
        print("(no training-curve plot: pip install gradsheet[viz])")
        return
    plotting.save(figure, path)


def evaluate_command(args: argparse.Namespace) -> int:
    """``gradsheet evaluate``: print the loss and accuracy of a saved model on ``args.data``
    (default: the data it was trained on, and then only its held-out validation rows unless
    ``--all-rows``), with its training's label encoding and standardization. Returns 0.
    """
    model, spec, metadata = models.load_model(args.model)
    image = any(layer.get("type", "").startswith("Conv") for layer in spec)
    data = args.data or metadata.get("data")
    if data is None:
        raise ValueError(f"--model {args.model}: the file does not say what data it was trained "
                         f"on; give --data")
    trained_on = _data_reference(data) == metadata.get("data")
    layout = json.loads(metadata.get("csv_layout", "null"))
    label = layout["label_index"] if layout and trained_on and data.endswith(".csv") else None
    source = load_source(data, image=image, num_classes=_num_classes(metadata, spec),
                         vocabulary=models.token_vocabulary(spec), label_column=label,
                         classes=json.loads(metadata.get("classes", "null")))
    dataset = source.dataset
    features = dataset.tensors[0]
    features.array[...] = _apply_standardization(features.array, metadata, data)
    rows = f"all {len(dataset)} rows of {data}"
    if trained_on and not args.all_rows and "split" in metadata:
        split = json.loads(metadata["split"])
        if split["rows"] != len(dataset):
            raise ValueError(f"{data} has {len(dataset)} rows, the model was trained on "
                             f"{split['rows']}: the held-out split no longer applies (the file "
                             f"changed); give --all-rows to score every row")
        _, dataset = _split(dataset, split["val_fraction"], split["seed"], data)
        rows = f"the {len(dataset)} held-out validation rows of {data} (--all-rows: every row)"
    print(f"scoring {rows}")
    scores = evaluate(model, nn.CrossEntropyLoss(), dataset, batch_size=args.batch_size)
    print(", ".join(f"{name} {value:.4f}" for name, value in scores.items()))
    return 0


def _num_classes(metadata: Mapping[str, str], spec: Spec) -> Optional[int]:
    """The model's number of classes: its metadata's, else its last Linear's out_features."""
    try:
        return int(metadata["num_classes"])
    except (KeyError, ValueError):
        pass
    for layer in reversed(spec):
        if layer.get("type") == "Linear":
            return int(layer.get("kwargs", {}).get("out_features", 0)) or None
    return None


def predict_command(args: argparse.Namespace) -> int:
    """``gradsheet predict``: print (or write to ``args.out``) the predicted class of each row of
    ``args.input`` (its original label for a model trained on string labels), or with
    ``--proba`` a CSV of class probabilities (softmax of the logits; a header of the classes).
    The training CSV's label column is left out (see ``load_inputs``), the training's
    standardization applied; flat rows are reshaped to square images for a convolutional
    model. Returns 0.
    """
    model, spec, metadata = models.load_model(args.model)
    vocabulary = models.token_vocabulary(spec)
    layout = json.loads(metadata.get("csv_layout", "null"))
    with np.errstate(all="ignore"):
        inputs = load_inputs(args.input, vocabulary, layout)
        if vocabulary is None:
            inputs = _apply_standardization(inputs.astype(backend.get_default_dtype()),
                                            metadata, args.input)
    if any(layer.get("type", "").startswith("Conv") for layer in spec) and inputs.ndim == 2:
        side = int(round(np.sqrt(inputs.shape[1])))
        if side * side != inputs.shape[1]:
            raise ValueError(f"{args.input}: a convolutional model needs square images; "
                             f"{inputs.shape[1]} values per row are not a square number")
        inputs = inputs.reshape(-1, 1, side, side)
    logits = predict(model, inputs, batch_size=args.batch_size).array
    names = json.loads(metadata.get("classes", "null")) or list(range(logits.shape[1]))
    if args.proba:
        shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
        probabilities = shifted / shifted.sum(axis=1, keepdims=True)
        lines = [",".join(map(str, names))]
        lines += [",".join(f"{p:.6g}" for p in row) for row in probabilities]
    else:
        lines = [str(names[c]) for c in logits.argmax(axis=1)]
    if args.out:
        write_atomically(args.out, "".join(f"{line}\n" for line in lines))
        print(f"{len(logits)} predictions written to {args.out}")
    else:
        print("\n".join(lines))
    return 0


def add_commands(commands: argparse._SubParsersAction[Any]) -> None:
    """Add the ``train``, ``evaluate`` and ``predict`` subcommands to ``commands``, an argparse
    subparsers object.
    """
    train_parser = commands.add_parser("train", help="train a model on digits, IDX, CSV or NPZ data")
    train_parser.add_argument("--model", default="mlp",
                              help=f"{', '.join(MODELS)}, or a JSON architecture file (a list "
                                   f"of layer specs)")
    train_parser.add_argument("--data", default="digits",
                              help="digits | idx:IMAGES,LABELS | FILE.csv | FILE.npz")
    train_parser.add_argument("--label-column", default=None,
                              help="a CSV file's label column: a header name or an index "
                                   "(default: the last column)")
    train_parser.add_argument("--standardize", action="store_true",
                              help="scale each feature to mean 0 and std 1 over the training "
                                   "rows (the statistics are saved; evaluate/predict apply them)")
    train_parser.add_argument("--epochs", type=_positive_int, default=10,
                              help="passes over the training data")
    train_parser.add_argument("--batch-size", type=_positive_int, default=32,
                              help="samples per step (per process under --nproc)")
    train_parser.add_argument("--optimizer", choices=sorted(OPTIMIZERS), default="adam",
                              help="the optimizer (gradsheet.optim)")
    train_parser.add_argument("--lr", type=_positive_float, default=1e-3,
                              help="the optimizer's learning rate")
    train_parser.add_argument("--hidden", default="256,128", help="mlp hidden sizes, e.g. 256,128")
    train_parser.add_argument("--dropout", type=float, default=0.2, help="mlp dropout")
    train_parser.add_argument("--val-fraction", type=_fraction, default=0.2,
                              help="fraction of the rows held out for validation (the split "
                                   "is saved: evaluate scores these rows)")
    train_parser.add_argument("--seed", type=int, default=0,
                              help="seed of the weights, the split and the shuffling")
    train_parser.add_argument("--resume",
                              help="a run directory (its last checkpoint and saved arguments; "
                                   "the run goes on there) or a checkpoint file (a new run)")
    add_run_options(train_parser, "args.json, the model, checkpoints, history.json and "
                                  "training_curve.png")
    train_parser.add_argument("--verbose", type=_verbosity, default="auto",
                              choices=("auto", 0, 1, 2),
                              help="as fit's: auto (a progress bar in a terminal, one line per "
                                   "epoch when piped), 0 silent, 1 as auto, 2 one line per epoch")
    add_threads_option(train_parser)
    train_parser.add_argument("--nproc", type=_process_count, default=None,
                              help="train data-parallel on N processes: runs this command under "
                                   "mpiexec -n N (needs the dist extra)")
    options = [(action.option_strings[-1], action.dest,
                isinstance(action, argparse._StoreTrueAction))
               for action in train_parser._actions
               if action.option_strings and action.dest not in ("help", "nproc")]
    train_parser.set_defaults(run=train, train_options=options, parser=train_parser)

    evaluate_parser = commands.add_parser("evaluate", help="loss and accuracy of a saved model")
    evaluate_parser.add_argument("--model", required=True, help="a model.safetensors file")
    evaluate_parser.add_argument("--data", default=None,
                                 help="digits | idx:IMAGES,LABELS | FILE.csv | FILE.npz "
                                      "(default: the data the model was trained on)")
    evaluate_parser.add_argument("--all-rows", action="store_true",
                                 help="on the training data, score every row, not only the "
                                      "held-out validation split")
    evaluate_parser.add_argument("--batch-size", type=_positive_int, default=256,
                                 help="samples per forward pass")
    add_threads_option(evaluate_parser)
    evaluate_parser.set_defaults(run=evaluate_command)

    predict_parser = commands.add_parser("predict", help="class predictions of a saved model")
    predict_parser.add_argument("--model", required=True, help="a model.safetensors file")
    predict_parser.add_argument("--input", required=True,
                                help="FILE.csv or FILE.npz (array X); the training CSV's label "
                                     "column is left out")
    predict_parser.add_argument("--proba", action="store_true",
                                help="class probabilities (a CSV with the classes as header) "
                                     "instead of the predicted classes")
    predict_parser.add_argument("--out", help="write one prediction per line here (else stdout)")
    predict_parser.add_argument("--batch-size", type=_positive_int, default=256,
                                help="samples per forward pass")
    add_threads_option(predict_parser)
    predict_parser.set_defaults(run=predict_command)


def _verbosity(text: str) -> Union[str, int]:
    """--verbose: "auto" or one of the ints 0, 1, 2 (fit's verbose)."""
    return text if text == "auto" else int(text)


_verbosity.__name__ = "verbosity"  # argparse names the converter in its messages


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise ValueError(f"expected a positive integer, got {text}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise ValueError(f"expected a positive number, got {text}")
    return value


def _process_count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"expected a number of processes, got {text}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of processes "
                                         f"(mpiexec -n N), got {text}")
    return value


def _fraction(text: str) -> float:
    value = float(text)
    if not 0 < value < 1:
        raise ValueError(f"expected a fraction in (0, 1), got {text}")
    return value


# argparse names the converter in its messages ("invalid positive integer value: 'x'")
_positive_int.__name__ = "positive integer"
_positive_float.__name__ = "positive number"
_fraction.__name__ = "fraction in (0, 1)"
_process_count.__name__ = "number of processes"
