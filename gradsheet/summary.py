"""``gradsheet.summary(model, input_shape)``: each layer's output shape, parameter count and,
for convolutions and pools, the cheat sheet's size formula N = (W - F + 2P)/S + 1 with the
layer's values; then the totals and the model's float32 size. Like torchinfo's summary.

It runs one forward pass on zeros under no_grad and in eval mode (so BatchNorm's running
statistics are not touched and a batch of one is fine), restoring every module's mode after.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Callable, Literal, NamedTuple, Optional, Union

import numpy as np

from . import backend
from .autograd.grad_mode import no_grad
from .autograd.tensor import Tensor, as_tensor
from .ops.geometry import ints

if TYPE_CHECKING:
    from ._typing import DType
    from .nn.module import Module

class _SummaryRowFields(NamedTuple):
    name: str
    layer_type: str
    output_shape: Any
    num_params: Union[int, str]
    trainable: int
    formula: Optional[str]


class SummaryRow(_SummaryRowFields):
    """One layer call of a ``summary``: its name, type, output shape (a tuple, or a list of
    them for several outputs), parameter count ('(recursive)' for a module called again),
    trainable count and window formula (None for a layer without one)."""

    __slots__ = ()


class ModelSummary:
    """The result of ``summary``: ``rows`` (one SummaryRow per layer call, in call order),
    ``total_params``, ``trainable_params``, ``non_trainable_params``, ``size_mb`` (float32
    bytes of the parameters and floating buffers / 1e6) and ``input_shape``. ``str()`` gives
    the table."""

    def __init__(self, rows: list[SummaryRow], input_shapes: list[tuple[int, ...]],
                 total_params: int, trainable_params: int, size_mb: float) -> None:
        self.rows = rows
        self.input_shape = input_shapes[0] if len(input_shapes) == 1 else input_shapes
        self.total_params = total_params
        self.trainable_params = trainable_params
        self.non_trainable_params = total_params - trainable_params
        self.size_mb = size_mb

    def __str__(self) -> str:
        header = ("Layer (type)", "Output Shape", "Param #", "N = (W - F + 2P)/S + 1")
        cells = [(f"{row.name} ({row.layer_type})", _shape_text(row.output_shape),
                  f"{row.num_params:,}" if isinstance(row.num_params, int) else row.num_params,
                  row.formula or "") for row in self.rows]
        widths = [max(len(line[i]) for line in [header] + cells) for i in range(4)]

        def line(values: Sequence[str]) -> str:
            return "  ".join([values[0].ljust(widths[0]), values[1].ljust(widths[1]),
                              values[2].rjust(widths[2]), values[3]]).rstrip()
        rule = "=" * (sum(widths) + 6)
        return "\n".join(
            [rule, line(header), rule] + [line(c) for c in cells] + [
                rule,
                f"Total params: {self.total_params:,}",
                f"Trainable params: {self.trainable_params:,}",
                f"Non-trainable params: {self.non_trainable_params:,}",
                f"Input shape: {_shape_text(self.input_shape)}",
                f"Model size (float32 parameters and buffers): {self.size_mb:.2f} MB",
                rule])

    __repr__ = __str__


def _shape_text(shape: Any) -> str:
    if shape is None:
        return "--"
    if shape and isinstance(shape[0], (tuple, list)) or shape == []:
        return "[" + ", ".join(_shape_text(s) for s in shape) + "]"
    return "[" + ", ".join(str(d) for d in shape) + "]"


def _shapes(output: Any) -> Any:
    """The shape of a Tensor, or a list of shapes for a tuple of outputs (e.g. an LSTM's)."""
    if isinstance(output, Tensor):
        return tuple(output.shape)
    if isinstance(output, (tuple, list)):
        return [_shapes(o) for o in output]
    return None


def _joined(values: Sequence[Any]) -> str:
    """'5' for (5, 5), '3x5' for (3, 5)."""
    return str(values[0]) if len(set(values)) == 1 else "x".join(map(str, values))


def _formula(module: Module, inputs: tuple[Any, ...], output: Any) -> Optional[str]:
    """'W=28 F=5 P=2 S=1 -> N=28' for a layer with kernel_size, stride and padding (conv and
    pool layers); None for others. Per spatial axis, joined by 'x' when they differ; the
    values are read as the layer's op reads them (``ops.geometry.ints``)."""
    kernel = getattr(module, "kernel_size", None)
    if kernel is None or not hasattr(module, "stride") or not inputs:
        return None
    out = output[0] if isinstance(output, (tuple, list)) else output
    if not isinstance(inputs[0], Tensor) or not isinstance(out, Tensor):
        return None
    n = getattr(module, "_spatial", None) or (len(kernel) if isinstance(kernel, (tuple, list))
                                              else 1)  # 2 for MaxPool2d(2)
    padding = getattr(module, "padding", 0)
    try:
        F, S = ints("summary", "kernel_size", kernel, n), ints("summary", "stride", module.stride, n)
        D = ints("summary", "dilation", getattr(module, "dilation", 1), n)
        P = padding if isinstance(padding, str) else _joined(ints("summary", "padding", padding, n))
    except (TypeError, ValueError):  # not a window layer's arguments
        return None
    W, N = tuple(inputs[0].shape[-n:]), tuple(out.shape[-n:])
    text = f"W={_joined(W)} F={_joined(F)} P={P} S={_joined(S)}"
    if any(d != 1 for d in D):
        text += f" D={_joined(D)}"
    return f"{text} -> N={_joined(N)}"


def _recorded_modules(model: Module) -> dict[int, tuple[str, Module]]:
    """name -> module for every module whose call gets a row: leaves, and containers that
    hold parameters of their own (so every parameter is counted in some row)."""
    recorded: dict[int, tuple[str, Module]] = {}
    for name, module in model.named_modules():
        has_children = next(module.children(), None) is not None
        has_own = next(module.parameters(recurse=False), None) is not None
        if not has_children or has_own:
            recorded[id(module)] = (name or type(module).__name__, module)
    return recorded


class _CallRecorder:
    """Wraps ``__call__`` of the recorded modules' classes for the duration of a ``with``.

    Module binds each class's ``__call__`` to its ``forward`` (no wrapper frame on the hot
    path), so calls are intercepted by swapping that class attribute and restoring it after;
    the originals are all resolved before any swap so a subclass never wraps a wrapper.
    """

    def __init__(self, recorded: dict[int, tuple[str, Module]]) -> None:
        self.recorded = recorded
        self.calls: list[Any] = []  # (module, args, output) per call, None while it runs
        self.classes = {type(module) for _, module in recorded.values()}

    def __enter__(self) -> _CallRecorder:
        self.saved = {cls: cls.__dict__.get("__call__") for cls in self.classes}
        originals = {cls: cls.__call__ for cls in self.classes}
        for cls, original in originals.items():
            setattr(cls, "__call__", self._wrap(original))  # (mypy refuses assigning a method)
        return self

    def _wrap(self, original: Callable[..., Any]) -> Callable[..., Any]:
        recorded, calls = self.recorded, self.calls

        def call(module: Module, *args: Any, **kwargs: Any) -> Any:
            if id(module) not in recorded:
                return original(module, *args, **kwargs)
            slot = len(calls)  # rows in call order: a container before the layers inside it
            calls.append(None)
            output = original(module, *args, **kwargs)
            calls[slot] = (module, args, output)
            return output
        return call

    def __exit__(self, *exc: object) -> Literal[False]:
        for cls, own in self.saved.items():
            if own is None:
                del cls.__call__
            else:
                setattr(cls, "__call__", own)
        return False


def summary(model: Module, input_shape: Sequence[Any], dtype: Optional[DType] = None,
            verbose: int = 1) -> ModelSummary:
    """Run ``model`` once on zeros of ``input_shape`` and tabulate its layers.

    Args:
        model: a Module.
        input_shape: the input's shape, batch dimension included, e.g. (64, 1, 28, 28); or a
            list of shapes for a model taking several inputs.
        dtype: of the zeros (default: the dtype of the model's first parameter, else the
            default dtype).
        verbose: 1 prints the table, 0 only returns it.

    Returns:
        ModelSummary: rows (name, layer_type, output_shape, num_params, trainable, formula),
        total_params, trainable_params, non_trainable_params, size_mb; ``str()`` is the table.

    Example: ``summary(nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU()), (1, 1, 8, 8))`` has a
    Conv2d row with output shape (1, 8, 6, 6), 80 parameters and 'W=8 F=3 P=0 S=1 -> N=6'.
    """
    shapes = [tuple(s) for s in input_shape] if input_shape and isinstance(
        input_shape[0], (tuple, list)) else [tuple(input_shape)]
    for shape in shapes:
        if not all(isinstance(d, (int, np.integer)) and d >= 0 for d in shape):
            raise ValueError(f"summary: input_shape must hold non-negative ints (batch "
                             f"dimension included), got {input_shape!r}")
    first = next(model.parameters(), None)
    dtype = backend.as_dtype(dtype) if dtype is not None else (
        first.dtype if first is not None else backend.get_default_dtype())
    inputs = [as_tensor(np.zeros(shape, dtype)) for shape in shapes]

    recorded = _recorded_modules(model)
    modes = [(module, module.training) for module in model.modules()]
    model.eval()
    try:
        with no_grad(), _CallRecorder(recorded) as recorder:
            model(*inputs)
    finally:
        for module, training in modes:
            module.training = training

    rows, seen = [], set()
    for module, args, output in recorder.calls:
        name = recorded[id(module)][0]
        own = list(module.parameters(recurse=False)) if next(module.children(), None) \
            else list(module.parameters())
        count = sum(p.array.size for p in own)
        trainable = sum(p.array.size for p in own if p.requires_grad)
        if id(module) in seen:
            count, trainable = "(recursive)", 0
        seen.add(id(module))
        rows.append(SummaryRow(name, type(module).__name__, _shapes(output), count, trainable,
                               _formula(module, args, output)))

    params = list(model.parameters())
    total = sum(p.array.size for p in params)
    trainable = sum(p.array.size for p in params if p.requires_grad)
    float_buffers = sum(b.array.size for b in model.buffers() if b.array.dtype.kind == "f")
    result = ModelSummary(rows, shapes, total, trainable, 4 * (total + float_buffers) / 1e6)
    if verbose:
        print(result)
    return result


__all__ = ["ModelSummary", "SummaryRow", "summary"]
