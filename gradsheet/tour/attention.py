"""Tour section 5: attention and the Transformer, run.

Prints the attention formulas (scores, softmax weights, the context, the heads' concatenation
and the output projection, the causal mask, sinusoidal positions) beside the calls that
implement them, each checked live against a computation by hand; gradient-checks a
Transformer encoder layer (multi-head self-attention, residuals, LayerNorm, feed-forward) in
float64; then runs the claim that attention reaches any distance in one step: on the recall
task (answer the first of T symbols after T - 1 distractors) a one-layer Transformer encoder
and an LSTM of about the same parameter count are trained for the same number of steps at
T = 25, 50, 100, 200, and their test accuracies are compared; the trained readout's attention
on the first token is measured and drawn.
"""
from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Optional, Union

import numpy as np

import gradsheet as gs
import gradsheet.nn as nn
import gradsheet.nn.functional as F
from gradsheet import optim, reference
from gradsheet.data.datasets import recall_task
from gradsheet.nn.positional import sinusoidal_table
from gradsheet.plotting import curves
from gradsheet.reference import attention as reference_attention

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from gradsheet import Tensor
    from gradsheet.autograd.gradcheck import GradcheckResult

    from .report import FormulaRow, Report

N_SYMBOLS = 4
D_MODEL, N_HEADS, D_FF = 32, 2, 64
LSTM_EMBED, LSTM_HIDDEN = 8, 42
FORGET_BIAS = 3.0
LENGTHS = (25, 50, 100, 200)
QUICK_LENGTHS = (25, 50, 100)


def multi_head_by_hand(mha: nn.MultiheadAttention, query: Tensor, key: Tensor, value: Tensor,
                       attn_mask: Optional[Tensor] = None) -> Tensor:
    """MultiHead(Q, K, V) = Concat(head_1, ..., head_h) W_O + b_O,
    head_i = softmax(Q W_Q,i (K W_K,i)ᵀ / sqrt(d_k) + M) V W_V,i, written out for an
    ``nn.MultiheadAttention`` with batch_first=True (its packed in_proj_weight split in three,
    each projection split into h heads of d_k = E / h features).
    """
    E, h = mha.embed_dim, mha.num_heads
    d_k = E // h
    # the packed projection with biases: kdim = vdim = embed_dim and bias=True, the defaults
    assert mha.in_proj_weight is not None and mha.in_proj_bias is not None
    assert mha.out_proj.bias is not None
    W_Q, W_K, W_V = mha.in_proj_weight.chunk(3)
    b_Q, b_K, b_V = mha.in_proj_bias.chunk(3)
    heads = []
    for i in range(h):
        rows = slice(i * d_k, (i + 1) * d_k)
        q = query @ W_Q[rows].T + b_Q[rows]
        k = key @ W_K[rows].T + b_K[rows]
        v = value @ W_V[rows].T + b_V[rows]
        scores = q @ k.transpose(-2, -1) / math.sqrt(d_k)
        if attn_mask is not None:
            scores = scores + attn_mask
        heads.append(F.softmax(scores, dim=-1) @ v)
    return gs.cat(heads, dim=-1) @ mha.out_proj.weight.T + mha.out_proj.bias


class RecallTransformer(nn.Module):
    """Embedding + sinusoidal positions -> one pre-norm TransformerEncoderLayer -> Linear on the
    last position: the logits of the answer. ``attention(x)`` returns the layer's weights.

    Pre-norm (x <- x + MultiHead(LN(x)), x <- x + FF(LN(x))): with the post-norm default the
    readout finds the first token later (about 300 steps instead of 150 at T = 100).
    """

    def __init__(self, n_symbols: int = N_SYMBOLS, d_model: int = D_MODEL, nhead: int = N_HEADS,
                 dim_feedforward: int = D_FF, max_len: int = max(LENGTHS)) -> None:
        super().__init__()
        self.embed = nn.Embedding(n_symbols, d_model)
        self.register_buffer("positions", gs.tensor(sinusoidal_table(max_len, d_model),
                                                    dtype="float32"))
        layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout=0.0,
                                           batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers=1, enable_nested_tensor=False)
        self.head = nn.Linear(d_model, n_symbols)

    def _inputs(self, x: Tensor) -> Tensor:
        return self.embed(x) + self.positions[:x.shape[1]]

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.encoder(self._inputs(x))[:, -1])

    def attention(self, x: Tensor) -> Tensor:
        """α (N, h, T, T): the self-attention weights of the (pre-norm) layer, per head."""
        layer = self.encoder.layers[0]
        h = layer.norm1(self._inputs(x))
        return layer.self_attn(h, h, h, need_weights=True, average_attn_weights=False)[1]


class RecallLSTM(nn.Module):
    """Embedding -> LSTM -> Linear on the last hidden state. The forget gates' biases start at
    ``forget_bias`` (the usual remedy for long memories, Jozefowicz et al. 2015): with
    PyTorch's default (zero) the LSTM stays at chance even at T = 25 in this budget."""

    def __init__(self, n_symbols: int = N_SYMBOLS, embedding_dim: int = LSTM_EMBED,
                 hidden_size: int = LSTM_HIDDEN, forget_bias: float = FORGET_BIAS) -> None:
        super().__init__()
        self.embed = nn.Embedding(n_symbols, embedding_dim)
        self.lstm = nn.LSTM(embedding_dim, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, n_symbols)
        with gs.no_grad():  # PyTorch's gate order i, f, g, o: the f block is the second
            self.lstm.bias_ih_l0[hidden_size:2 * hidden_size].fill_(forget_bias)

    def forward(self, x: Tensor) -> Tensor:
        output, _ = self.lstm(self.embed(x))
        return self.head(output[:, -1])


def count_parameters(model: nn.Module) -> int:
    """The number of trained scalars, Σ over parameters of numel."""
    return sum(p.numel() for p in model.parameters())


# ------------------------------------------------------------------ the formulas, live
def formulas() -> list[FormulaRow]:
    """(formula, gradsheet call, live example, implementation) for the attention part.

    Random Q, K, V in float64; each step of softmax(Q Kᵀ / sqrt(d) + M) V is computed in NumPy
    and compared with the gradsheet call. The code shown beside the attention rows is the
    line-by-line reference (``gradsheet.reference.scaled_dot_product_attention``).
    """
    rng = np.random.default_rng(0)
    q, k, v = (rng.standard_normal(s) for s in [(2, 4, 8), (2, 6, 8), (2, 6, 3)])
    Q, K, V = (gs.tensor(a, dtype="float64") for a in (q, k, v))
    scores = Q @ K.transpose(-2, -1) / math.sqrt(8)
    s_hand = np.einsum("bld,bsd->bls", q, k) / np.sqrt(8)
    alpha = F.softmax(scores, dim=-1)
    e = np.exp(s_hand - s_hand.max(-1, keepdims=True))
    a_hand = e / e.sum(-1, keepdims=True)
    context = F.scaled_dot_product_attention(Q, K, V)
    c_hand = np.einsum("bls,bsd->bld", a_hand, v)

    mask = nn.Transformer.generate_square_subsequent_mask(4, dtype=gs.float64)
    x = gs.tensor(rng.standard_normal((2, 4, 8)), dtype="float64")
    causal = F.scaled_dot_product_attention(x, x, x, is_causal=True)
    masked = F.scaled_dot_product_attention(x, x, x, attn_mask=mask)
    first_row = F.softmax(x[0] @ x[0].T / math.sqrt(8) + mask, dim=-1)[0].array

    gs.manual_seed(0)
    mha = nn.MultiheadAttention(8, 2, batch_first=True, dtype="float64")
    with gs.no_grad():
        out, _ = mha(x, x, x, attn_mask=mask)
        hand = multi_head_by_hand(mha, x, x, x, attn_mask=mask)

    gs.manual_seed(0)
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True, dtype="float64")
    with gs.no_grad():
        y = layer(x)
        h1 = layer.norm1(x + multi_head_by_hand(layer.self_attn, x, x, x))
        y_hand = layer.norm2(h1 + layer.linear2(F.relu(layer.linear1(h1))))

    pe = sinusoidal_table(64, 16, dtype="float64")
    dots = (pe[3] @ pe[8], pe[40] @ pe[45])

    def err(a: ArrayLike, b: ArrayLike) -> str:
        return f"{np.abs(np.asarray(a) - np.asarray(b)).max():.1e}"
    return [
        ("S = Q Kᵀ / √d_k   (score of query i on key j)", "Q @ K.transpose(-2, -1) / math.sqrt(d)",
         f"max |S - by hand| = {err(scores.array, s_hand)}", reference.scaled_dot_product_attention),
        ("α_ij = exp(S_ij) / Σ_k exp(S_ik)", "F.softmax(S, dim=-1)",
         f"max |α - by hand| = {err(alpha.array, a_hand)}; rows sum to 1 within "
         f"{err(alpha.array.sum(-1), 1.0)}", reference_attention.softmax),
        ("c_i = Σ_j α_ij v_j   (context: Attention(Q, K, V) = α V)",
         "F.scaled_dot_product_attention(Q, K, V)", f"max |c - by hand| = {err(context.array, c_hand)}",
         reference.scaled_dot_product_attention),
        ("M_ij = −∞ for j > i  (causal: query i sees keys j ≤ i)",
         "nn.Transformer.generate_square_subsequent_mask(T)",
         f"α row 0 = {np.array2string(first_row, precision=2)}; max |is_causal - mask| = "
         f"{err(causal.array, masked.array)}", nn.Transformer.generate_square_subsequent_mask),
        ("head_i = Attention(Q W_Q,i, K W_K,i, V W_V,i),  d_k = E / h",
         "nn.MultiheadAttention(E, h)", f"E=8, h=2: d_k = {mha.head_dim}", multi_head_by_hand),
        ("MultiHead = Concat(head_1, ..., head_h) W_O + b_O", "mha(x, x, x, attn_mask=M)[0]",
         f"max |out - concat by hand| = {err(out.array, hand.array)}", multi_head_by_hand),
        ("x <- LN(x + MultiHead(x));  x <- LN(x + W_2 relu(W_1 x + b_1) + b_2)",
         "nn.TransformerEncoderLayer(E, h, d_ff)", f"max |y - by hand| = {err(y.array, y_hand.array)}",
         nn.TransformerEncoderLayer.forward),
        ("PE(p, 2i) = sin(p ω_i), PE(p, 2i+1) = cos(p ω_i), ω_i = 10000^(−2i/d)",
         "nn.PositionalEncoding(d) (its table: sinusoidal_table(T, d))",
         f"PE(3)·PE(8) = {dots[0]:.4f} = PE(40)·PE(45) = {dots[1]:.4f} (offset 5 both)",
         sinusoidal_table),
    ]


def gradcheck_encoder_layer() -> GradcheckResult:
    """gradcheck of a TransformerEncoderLayer (E = 8, 2 heads, causal mask, float64) with
    respect to its input and its attention's projection weights."""
    gs.manual_seed(0)
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True, dtype="float64")
    x = gs.tensor(np.random.default_rng(1).standard_normal((2, 5, 8)), dtype="float64",
                  requires_grad=True)
    mask = nn.Transformer.generate_square_subsequent_mask(5, dtype=gs.float64)
    attention = layer.self_attn
    return gs.gradcheck(lambda x, w_in, w_out: layer(x, src_mask=mask),
                        [x, attention.in_proj_weight, attention.out_proj.weight])


# ------------------------------------------------------------------ the recall experiment
def make_model(kind: str) -> Union[RecallTransformer, RecallLSTM]:
    """A fresh "transformer" (RecallTransformer) or "lstm" (RecallLSTM)."""
    if kind == "transformer":
        return RecallTransformer()
    if kind == "lstm":
        return RecallLSTM()
    raise ValueError(f"make_model: kind must be 'transformer' or 'lstm', got {kind!r}")


LEARNING_RATES = {"transformer": 3e-3, "lstm": 1e-2}


def train_recall(kind: str, T: int, steps: int, seed: int, batch: int = 32, n_test: int = 512
                 ) -> tuple[Union[RecallTransformer, RecallLSTM], float, float, Tensor]:
    """Train ``make_model(kind)`` on ``steps`` fresh batches of the recall task at length T
    with Adam and clip_grad_norm_(1.0); returns (model, test accuracy, seconds, test X)."""
    gs.manual_seed(seed)
    model = make_model(kind)
    X, y = recall_task(steps * batch, T, N_SYMBOLS, seed=seed + T).tensors
    X_test, y_test = recall_task(n_test, T, N_SYMBOLS, seed=seed + T + 1).tensors
    params = list(model.parameters())
    optimizer = optim.Adam(params, lr=LEARNING_RATES[kind])
    start = time.perf_counter()
    for step in range(steps):
        rows = slice(step * batch, (step + 1) * batch)
        optimizer.zero_grad()
        F.cross_entropy(model(X[rows]), y[rows]).backward()
        optim.clip_grad_norm_(params, 1.0)
        optimizer.step()
    seconds = time.perf_counter() - start
    with gs.no_grad():
        accuracy = float((model(X_test).array.argmax(1) == y_test.array).mean())
    return model, accuracy, seconds, X_test


def attention_on_first(model: RecallTransformer, X: Tensor) -> list[float]:
    """Per head, the mean over sequences of α_{T,1}: the weight the readout (last) query puts
    on the first token, the one the answer is."""
    with gs.no_grad():
        return model.attention(X).array[:, :, -1, 0].mean(axis=0).tolist()


def _recall_experiment(report: Report, quick: bool, seed: int) -> None:
    lengths = QUICK_LENGTHS if quick else LENGTHS
    steps = 150 if quick else 300
    sizes = {kind: count_parameters(make_model(kind)) for kind in ("transformer", "lstm")}
    report.text(f"\nThe recall task: x = (s_1, ..., s_T) uniform over {N_SYMBOLS} symbols, the "
                f"answer y = s_1, read out at t = T (chance {1 / N_SYMBOLS:.0%}).")
    report.text(f"Transformer: Embedding {D_MODEL} + sinusoidal PE -> 1 TransformerEncoderLayer "
                f"({N_HEADS} heads, d_ff {D_FF}, pre-norm) -> Linear on the last position, "
                f"{sizes['transformer']} parameters, Adam(lr={LEARNING_RATES['transformer']}).")
    report.text(f"LSTM: Embedding {LSTM_EMBED} -> LSTM {LSTM_HIDDEN} (forget-gate bias "
                f"{FORGET_BIAS:g}) -> Linear on h_T, {sizes['lstm']} parameters, "
                f"Adam(lr={LEARNING_RATES['lstm']}).")
    report.text(f"Both: {steps} steps of 32 fresh sequences, clip_grad_norm_(1.0); test accuracy "
                "on 512 held-out sequences.")
    report.record("parameters", sizes)
    accuracy: dict[str, dict[int, float]] = {"transformer": {}, "lstm": {}}
    seconds: dict[str, dict[int, float]] = {"transformer": {}, "lstm": {}}
    focus: dict[int, float] = {}
    heads: dict[int, list[float]] = {}
    maps: dict[int, tuple[np.ndarray, int]] = {}
    report.text(f"  {'T':>4}  {'Transformer':>11}  {'LSTM':>6}  {'α on s_1':>8}  {'seconds':>13}")
    for T in lengths:
        for kind in ("transformer", "lstm"):
            model, acc, sec, X_test = train_recall(kind, T, steps, seed)
            accuracy[kind][T], seconds[kind][T] = acc, round(sec, 2)
            if kind == "transformer":
                assert isinstance(model, RecallTransformer)
                heads[T] = attention_on_first(model, X_test)
                focus[T] = max(heads[T])
                if T in (lengths[0], lengths[-1]):  # one test sequence's map, every head
                    with gs.no_grad():
                        maps[T] = (model.attention(X_test[:1]).array[0], int(np.argmax(heads[T])))
        report.text(f"  {T:>4}  {accuracy['transformer'][T]:>11.1%}  {accuracy['lstm'][T]:>6.1%}"
                    f"  {focus[T]:>8.3f}  {seconds['transformer'][T]:>6.1f} / {seconds['lstm'][T]:<5.1f}")
    report.text("  (α on s_1: the mean weight the last query puts on the first token, in the "
                "head that looks there most; uniform attention would give 1/T. seconds: "
                "Transformer / LSTM training)")
    report.record("lengths", list(lengths))
    report.record("recall_accuracy", {kind: {str(T): a for T, a in accs.items()}
                                      for kind, accs in accuracy.items()})
    report.record("train_seconds", {kind: {str(T): s for T, s in secs.items()}
                                    for kind, secs in seconds.items()})
    report.record("attention_on_first_token", {str(T): a for T, a in focus.items()})
    report.record("attention_on_first_token_per_head", {str(T): a for T, a in heads.items()})
    title = "recall task: test accuracy against T"
    report.plot("attention_recall_accuracy", title,
                lambda plt: _accuracy_plot(lengths, accuracy, title))
    title = f"trained attention weights at T = {lengths[0]} and T = {lengths[-1]}"
    report.plot("attention_map", title, lambda plt: _attention_plot(plt, maps, title))

    first, last = lengths[0], lengths[-1]
    tf, lstm = accuracy["transformer"], accuracy["lstm"]
    # "near-perfect": 95% at every T; "degrades": the LSTM loses 20 points from the shortest
    # to the longest T and ends 20 points below the Transformer there
    holds = (min(tf.values()) >= 0.95 and lstm[last] <= lstm[first] - 0.2
             and lstm[last] <= tf[last] - 0.2)
    report.claim("attention_claim", "attention reaches any distance in one step: a Transformer "
                 "keeps near-perfect accuracy as T grows while an LSTM of about the same size "
                 "degrades", holds,
                 f"recall task, {steps} steps: Transformer accuracy "
                 + ", ".join(f"{tf[T]:.0%}" for T in lengths) + " at T = "
                 + ", ".join(map(str, lengths)) + "; LSTM "
                 + ", ".join(f"{lstm[T]:.0%}" for T in lengths)
                 + f"; the readout's weight on s_1 (focused head) is {focus[last]:.2f} at "
                 f"T = {last} (uniform: {1 / last:.3f})")


MODEL_COLORS = {"transformer": "C4", "lstm": "C2"}  # the LSTM as in the recurrent section


def _accuracy_plot(lengths: Sequence[int], accuracy: Mapping[str, Mapping[int, float]],
                   title: str) -> Any:
    """Test accuracy against T, the Transformer's and the LSTM's, chance dotted; the Axes."""
    names = {"transformer": "Transformer encoder", "lstm": "LSTM"}
    ax = curves({names[kind]: [accuracy[kind][T] for T in lengths] for kind in names},
                x=lengths, title=title, xlabel="sequence length T", ylabel="test accuracy",
                styles={names[k]: {"color": MODEL_COLORS[k], "marker": "o"} for k in names},
                references=[(1 / N_SYMBOLS, "chance")])
    ax.set_xscale("log")
    ax.minorticks_off()
    ax.set_xticks(lengths)
    ax.set_xticklabels([str(T) for T in lengths])
    ax.set_ylim(0, 1.05)
    return ax


def _attention_plot(plt: Any, maps: Mapping[int, tuple[np.ndarray, int]], title: str) -> Any:
    """Left: α_ij at the shortest T in the head that finds s_1 (one test sequence); right: the
    readout row α_Tj of each head at the longest T, uniform attention (1/T) dotted."""
    ordered = sorted(maps.items())
    (short, (weights, head)), (long, (long_weights, long_head)) = ordered[0], ordered[-1]
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4), width_ratios=(1, 1.3))
    image = left.imshow(weights[head], cmap="viridis", aspect="auto", vmin=0, vmax=1,
                        extent=(0.5, short + 0.5, short + 0.5, 0.5))
    left.set_xlabel("key position j")
    left.set_ylabel("query position i")
    left.set_title(f"T = {short}: α_ij, head {head + 1}, one test sequence")
    figure.colorbar(image, ax=left)
    series = {f"head {h + 1}": long_weights[h, -1] for h in range(long_weights.shape[0])}
    focused = {"marker": "o", "markersize": 3, "linestyle": "-"}
    styles = {f"head {h + 1}": focused if h == long_head else {**focused, "marker": ".",
                                                               "linestyle": ":"}
              for h in range(len(series))}
    curves(series, x=range(1, long + 1), styles=styles, ax=right, xlabel="key position j",
           ylabel="α_Tj", title=f"T = {long}: the readout query's weights, i = T",
           references=[(1 / long, "uniform (1/T)")])
    right.annotate("s_1 (the answer)", (1, long_weights[long_head, -1, 0]),
                   xytext=(long * 0.2, 0.8), arrowprops={"arrowstyle": "->"})
    right.set_ylim(0, 1.05)
    figure.suptitle(title)
    return figure


def run(report: Report, quick: bool = False, seed: int = 0, verbose: int = 1) -> None:
    """Section 5, attention: the formulas (checked live), a gradient check of a Transformer
    encoder layer and the recall experiment (Transformer vs LSTM against T, the attention map).

    Every figure is printed and recorded in ``report``. ``quick`` shrinks the experiment
    (T = 25, 50, 100 and fewer steps) to fit the tour's --quick budget; ``seed`` fixes every
    random draw; ``verbose`` is taken for the sections' common signature (no progress bars).
    """
    report.section("attention", "5. Attention and the Transformer: scores, softmax weights, "
                   "heads, masks, positions")
    report.formula_table(formulas(), "attention, each step checked live against NumPy by hand "
                                      "(float64):")
    result = gradcheck_encoder_layer()
    report.text("\ngradcheck: a TransformerEncoderLayer (multi-head self-attention with a causal "
                "mask, residuals, LayerNorm, feed-forward) vs central differences, float64, with "
                "respect to its input and its attention's in/out projection weights")
    report.figure("gradcheck_max_relative_error", result.relative_error,
                  f"{'passed' if result.passed else 'FAILED'}, worst relative error", "{:.2e}")
    _recall_experiment(report, quick, seed)
