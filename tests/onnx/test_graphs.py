"""Traced forwards: several inputs combined by tensor ops, several outputs, names, dynamic
axes (checked at two batch sizes), and the tensor ops between the layers."""
import numpy as np
import pytest

import gradsheet as gs
from gradsheet import nn
from gradsheet.nn import functional as F
from tests.onnx.ort_check import check, dims

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")


class Combine(nn.Module):
    """Two inputs through their own layers, joined by add, cat and matmul."""

    def __init__(self):
        super().__init__()
        self.fx = nn.Linear(4, 6)
        self.fy = nn.Sequential(nn.Linear(3, 6), nn.Tanh())
        self.head = nn.Linear(12, 2)

    def forward(self, x, y):
        a, b = self.fx(x), self.fy(y)
        s = F.relu(a + b)
        joined = gs.cat([s, a * b], dim=1)
        scores = gs.matmul(a, b.T)  # (B, B): both axes follow the batch
        return self.head(joined), scores.softmax(-1)


def test_two_inputs_two_outputs_dynamic_batch(tmp_path):
    gs.manual_seed(0)
    model = Combine()
    proto, _ = check(model, (gs.randn(3, 4), gs.randn(3, 3)), tmp_path / "m.onnx",
                     runs=[(gs.randn(5, 4), gs.randn(5, 3)), (gs.randn(1, 4), gs.randn(1, 3))],
                     input_names=["x", "y"], output_names=["logits", "scores"],
                     dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}})
    assert [i.name for i in proto.graph.input] == ["x", "y"]
    assert [o.name for o in proto.graph.output] == ["logits", "scores"]
    assert dims(proto.graph.input[0]) == ["batch", 4]
    assert dims(proto.graph.output[0]) == ["batch", 2]
    assert dims(proto.graph.output[1]) == ["batch", "batch"]
    names = {t.name for t in proto.graph.initializer}
    assert {"fx.weight", "fy.0.bias", "head.weight"} <= names


def test_default_names_come_from_forward(tmp_path):
    gs.manual_seed(1)
    proto, _ = check(Combine(), (gs.randn(2, 4), gs.randn(2, 3)), tmp_path / "m.onnx")
    assert [i.name for i in proto.graph.input] == ["x", "y"]
    assert [o.name for o in proto.graph.output] == ["output_0", "output_1"]
    assert dims(proto.graph.input[0]) == [2, 4]  # static without dynamic_axes


def test_dynamic_axes_list_form_and_output_axes(tmp_path):
    gs.manual_seed(2)
    proto, _ = check(Combine(), (gs.randn(3, 4), gs.randn(3, 3)), tmp_path / "m.onnx",
                     runs=[(gs.randn(6, 4), gs.randn(6, 3))], input_names=["x"],
                     dynamic_axes={"x": [0], "y": [0], "output_0": {0: "n"}})
    assert dims(proto.graph.input[0]) == ["x_dynamic_axes_1", 4]
    assert dims(proto.graph.input[1]) == ["y_dynamic_axes_1", 3]
    assert dims(proto.graph.output[0]) == ["n", 2]


class Shapes(nn.Module):
    """Sizes read in Python that follow the batch: view(x.size(0), -1), unsqueeze, expand_as,
    indexing, reductions."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 3, 3, padding=1)
        self.fc = nn.Linear(3 * 4 * 5, 4)

    def forward(self, x, bias):
        h = self.conv(x)
        flat = h.view(h.size(0), -1)
        y = self.fc(flat)
        y = y + bias.unsqueeze(0).expand_as(y)
        first, rest = y[:, 0], y[:, 1:]
        pooled = h.mean(dim=(2, 3)).sum(-1, keepdim=True)
        return gs.stack([first, rest.amax(1), pooled[:, 0]], dim=1), y.reshape(-1, 2, 2)[..., 1]


@pytest.mark.parametrize("opset", [17, 18, 20])
def test_python_sizes_follow_the_dynamic_axis(tmp_path, opset):
    gs.manual_seed(3)
    model = Shapes()
    bias = gs.randn(4)
    proto, _ = check(model, (gs.randn(2, 2, 4, 5), bias), tmp_path / "m.onnx",
                     runs=[(gs.randn(7, 2, 4, 5), bias)], input_names=["image", "bias"],
                     dynamic_axes={"image": {0: "batch"}}, opset_version=opset)
    assert dims(proto.graph.output[0]) == ["batch", 3]
    assert dims(proto.graph.output[1]) == ["batch", 2]


class Elementwise(nn.Module):
    def forward(self, x, y):
        a = (x - y) / (y.abs() + 1) ** 2 * 3 - x.neg().exp().log1p() + gs.sqrt(y * y + 1)
        b = gs.where(x > 0, x, 0.1 * x) + gs.clamp(y, -0.5, 0.5) + gs.maximum(x, y).sin()
        c = F.gelu(x) + F.silu(y) + F.leaky_relu(x, 0.2) + F.elu(y) + F.softplus(x, beta=2.0)
        d = gs.tanh(x).cos() + gs.sigmoid(y).rsqrt() + F.hardtanh(x) + x.floor() + y.sign()
        mask = (x >= y) | ~(y < 0)
        e = mask.float() + (x == x).to(gs.float32) * 2 + (x != y).float()
        f = F.log_softmax(x, dim=1) + x.clone().t().t() + gs.minimum(x, 0.0).expm1()
        return a + b + c + d + e + f, x.max(), y.sum()


def test_elementwise_ops_and_comparisons(tmp_path):
    gs.manual_seed(4)
    x, y = gs.randn(3, 5), gs.randn(3, 5)
    x.array[0, 0] = y.array[0, 0]  # a tie for == and >=
    check(Elementwise(), (x, y), tmp_path / "m.onnx", runs=[(gs.randn(6, 5), gs.randn(6, 5))],
          dynamic_axes={"x": {0: "b"}, "y": {0: "b"}})


class Indexing(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(10, 4)

    def forward(self, tokens, idx):
        e = self.emb(tokens)  # (B, T, 4)
        picked = e[:, idx]  # an index tensor: Gather
        parts = e.chunk(2, dim=-1)
        return (picked.sum(), e[:, -1, None, ::2], e[..., 1:3].permute(2, 0, 1),
                parts[1] * parts[0], e.flatten(1).unsqueeze(-1).squeeze(-1), e[0, 1])


def test_indexing_and_integer_inputs(tmp_path):
    gs.manual_seed(5)
    tokens = gs.tensor(np.random.default_rng(0).integers(0, 10, (3, 6)))
    idx = gs.tensor([0, 2, 2, 5])
    other = gs.tensor(np.random.default_rng(1).integers(0, 10, (5, 6)))
    proto, _ = check(Indexing(), (tokens, idx), tmp_path / "m.onnx", runs=[(other, idx)],
                     dynamic_axes={"tokens": {0: "batch"}})
    assert proto.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.INT64


class Residual(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.scale = nn.Parameter(gs.tensor([0.5, 1.0, 2.0, -1.0]))

    def forward(self, x):
        h = self.fc(x)
        h += x  # in place on a fresh value
        h.mul_(self.scale)
        return F.linear(h, self.fc.weight) @ self.fc.weight


def test_in_place_ops_parameters_and_functional_linear(tmp_path):
    gs.manual_seed(6)
    check(nn.Sequential(Residual(), nn.ReLU()), gs.randn(2, 4), tmp_path / "m.onnx",
          runs=[gs.randn(9, 4)], dynamic_axes={"input": {0: "batch"}})


def test_legacy_single_input_form_still_declares_a_batch(tmp_path):
    gs.manual_seed(7)
    proto, _ = check(Residual(), gs.randn(2, 4), tmp_path / "m.onnx", runs=[gs.randn(3, 4)])
    assert dims(proto.graph.input[0]) == ["batch", 4]
    assert dims(proto.graph.output[0]) == ["batch", 4]


def test_kwargs_tensor_becomes_an_input(tmp_path):
    class Scaled(nn.Module):
        def forward(self, x, *, scale):
            return x * scale

    x, s = gs.randn(2, 3), gs.randn(3)
    from gradsheet.onnx import export
    proto = export(Scaled(), (x,), tmp_path / "m.onnx", kwargs={"scale": s})
    assert [i.name for i in proto.graph.input] == ["x", "scale"]
    (got,) = ort.InferenceSession(str(tmp_path / "m.onnx")).run(None, {"x": x.array,
                                                                       "scale": s.array})
    np.testing.assert_allclose(got, (x * s).array, rtol=1e-6)


def test_float64_graph(tmp_path):
    gs.manual_seed(8)
    model = Combine().double()
    check(model, (gs.randn(2, 4, dtype=gs.float64), gs.randn(2, 3, dtype=gs.float64)),
          tmp_path / "m.onnx", atol=1e-12)


def test_model_returning_an_input_and_a_constant(tmp_path):
    class Passthrough(nn.Module):
        def forward(self, x):
            return x, gs.ones(2), x + 1

    check(Passthrough(), gs.randn(3, 2), tmp_path / "m.onnx", runs=[gs.randn(5, 2)])


def test_dynamic_spatial_axes(tmp_path):
    gs.manual_seed(9)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.AdaptiveAvgPool2d(1), nn.Flatten())
    proto, _ = check(model, gs.randn(2, 1, 8, 6), tmp_path / "m.onnx",
                     runs=[gs.randn(3, 1, 12, 10)],
                     dynamic_axes={"input": {0: "batch", 2: "height", 3: "width"}})
    assert dims(proto.graph.input[0]) == ["batch", 1, "height", "width"]
    assert dims(proto.graph.output[0]) == ["batch", 4]


def test_layer_whose_nodes_follow_a_dynamic_size_is_refused(tmp_path):
    from gradsheet.onnx import export
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.AdaptiveAvgPool2d(2))
    with pytest.raises(NotImplementedError, match=r"AdaptiveAvgPool2d at '1' would be exported "
                                                  r"differently for input shape \(1, 2, 6, 6\)"):
        export(model, gs.randn(1, 1, 8, 8), tmp_path / "m.onnx",
               dynamic_axes={"input": {2: "h", 3: "w"}})


class Attention(nn.Module):
    def __init__(self, d=8):
        super().__init__()
        self.q, self.k, self.v = nn.Linear(d, d), nn.Linear(d, d), nn.Linear(d, d)
        self.norm = nn.LayerNorm(d)

    def forward(self, x, mask):
        q, k, v = self.q(x), self.k(x), self.v(x)
        s = q @ k.transpose(-2, -1) / q.shape[-1] ** 0.5
        s = s.masked_fill(mask == 0, -1e9)
        return self.norm(F.dropout(s.softmax(-1), 0.1, self.training) @ v + x)


def test_attention_with_a_mask_and_a_hook(tmp_path):
    gs.manual_seed(10)
    rng = np.random.default_rng(0)
    model, calls = Attention(), []
    model.q.register_forward_hook(lambda m, i, o: calls.append(o.shape))

    def inputs(b, t):
        return gs.randn(b, t, 8), gs.tensor((rng.random((b, t, t)) > 0.3).astype(np.float32))

    check(model, inputs(2, 5), tmp_path / "m.onnx", runs=[inputs(3, 7), inputs(1, 2)],
          dynamic_axes={"x": {0: "b", 1: "t"}, "mask": {0: "b", 1: "t", 2: "t"}})
    assert calls[:2] == [(2, 5, 8), (3, 7, 8)]  # the hook ran in both traces (b + 1, t + 2)
