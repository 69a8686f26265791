"""``gradsheet train``, ``evaluate`` and ``predict``: supervised models from the command line."""
import json
import os

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
    if args.model == "cnn":
        return models.cnn_spec(sample.shape[0], num_classes)
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


def train(args):
    """``gradsheet train``: fit the chosen model (mlp, cnn or a JSON architecture) with
    cross-entropy on ``args.data``, holding out ``args.val_fraction`` for validation; write
    model.safetensors, a checkpoint per epoch, history.json and training_curve.png to
    ``args.out``. Returns 0.
    """
    backend.manual_seed(args.seed)
    if args.resume is not None:
        _check_resume(args)
    dataset, num_classes = load_source(args.data, image=args.model == "cnn", min_rows=2)
    train_set, val_set = _split(dataset, args.val_fraction, args.seed, args.data)
    spec = _architecture(args, dataset.tensors[0].array[0], num_classes)
    model = models.build_model(spec)
    optimizer = OPTIMIZERS[args.optimizer](model.parameters(), lr=args.lr)
    os.makedirs(args.out, exist_ok=True)
    checkpoints = os.path.join(args.out, "checkpoints")
    for folder in (args.out, checkpoints):  # temporaries a killed run left behind
        remove_stale_temporaries(folder)
    # the divergence check: a loss 1e4 times its running minimum ends the run with an error
    history = fit(model, nn.CrossEntropyLoss(), optimizer, train_set, val_data=val_set,
                  epochs=args.epochs, batch_size=args.batch_size, verbose=args.verbose,
                  checkpoint_dir=checkpoints, resume_from=args.resume, on_divergence="raise")
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
    dataset, _ = load_source(args.data, image=image, num_classes=num_classes)
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
    with np.errstate(all="ignore"):
        inputs = load_inputs(args.input).astype(backend.get_default_dtype())
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
    train_parser.add_argument("--batch-size", type=_positive_int, default=32)
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
    train_parser.set_defaults(run=train)

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


def _fraction(text):
    value = float(text)
    if not 0 < value < 1:
        raise ValueError(f"expected a fraction in (0, 1), got {text}")
    return value


# argparse names the converter in its messages ("invalid positive integer value: 'x'")
_positive_int.__name__ = "positive integer"
_positive_float.__name__ = "positive number"
_fraction.__name__ = "fraction in (0, 1)"
