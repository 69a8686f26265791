"""gradsheet.summary: rows agree with a real forward pass and with p.numel(); the conv formula
values; nested names; the model is left as it was."""
import numpy as np
import pytest

import gradsheet as gs
import gradsheet.nn as nn
from gradsheet.summary import ModelSummary, summary


class Block(nn.Module):
    """A container with a parameter of its own, called twice (shared) inside a model."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(np.ones(1, np.float32))
        self.conv = nn.Conv2d(8, 8, 3, padding=1)

    def forward(self, x):
        return self.conv(x) * self.scale


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 8, 3, stride=2, padding=(1, 0)),
                                      nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2, ceil_mode=True))
        self.block = Block()
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(8 * 4 * 3, 10))

    def forward(self, x):
        return self.head(self.block(self.block(self.features(x))))


def _leaf_shapes_by_hand(model, x):
    """Each leaf call's output shape, running the model's layers one by one."""
    shapes = []
    for layer in model.features:
        x = layer(x)
        shapes.append(x.shape)
    for _ in range(2):
        x = model.block(x)
        shapes.append(x.shape)  # block.conv's output has the block's shape
    for layer in model.head:
        x = layer(x)
        shapes.append(x.shape)
    return shapes


def test_rows_match_a_forward_pass_and_parameter_counts():
    gs.manual_seed(0)
    model = Net()
    result = summary(model, (2, 1, 15, 14), verbose=0)
    assert isinstance(result, ModelSummary)
    names = [row.name for row in result.rows]
    assert names == ["features.0", "features.1", "features.2", "features.3", "block",
                     "block.conv", "block", "block.conv", "head.0", "head.1"]
    # output shapes: what each module gives in an ordinary forward pass
    expected = _leaf_shapes_by_hand(model.eval(), gs.zeros(2, 1, 15, 14))
    leaf_rows = [row for row in result.rows if row.name != "block"]
    assert [row.output_shape for row in leaf_rows] == expected
    assert result.total_params == sum(p.array.size for p in model.parameters())
    assert result.trainable_params == result.total_params
    counted = sum(row.num_params for row in result.rows if isinstance(row.num_params, int))
    assert counted == result.total_params  # every parameter in exactly one row
    assert result.rows[6].num_params == "(recursive)"  # the shared block's second call
    floats = result.total_params + 16  # BatchNorm2d(8): running_mean and running_var
    assert result.size_mb == pytest.approx(4 * floats / 1e6)


def test_conv_and_pool_rows_show_the_size_formula():
    result = summary(Net(), (2, 1, 15, 14), verbose=0)
    conv, pool = result.rows[0], result.rows[3]
    # height: (15 - 3 + 2*1)/2 + 1 = 8; width: (14 - 3 + 0)/2 + 1 = 6
    assert conv.formula == "W=15x14 F=3 P=1x0 S=2 -> N=8x6"
    # ceil((8 - 2)/2) + 1 = 4 and (6 - 2)/2 + 1 = 3
    assert pool.formula == "W=8x6 F=2 P=0 S=2 -> N=4x3"
    assert result.rows[1].formula is None  # BatchNorm has no window


def test_table_text_and_printing(capsys):
    result = summary(nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU()), (1, 1, 8, 8))
    printed = capsys.readouterr().out
    assert printed.strip() == str(result).strip()
    assert "0 (Conv2d)" in printed and "[1, 4, 6, 6]" in printed and "40" in printed
    assert "W=8 F=3 P=0 S=1 -> N=6" in printed
    assert "Total params: 40" in printed and "Trainable params: 40" in printed
    assert repr(result) == str(result)


def test_frozen_parameters_are_not_trainable():
    model = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2))
    model[0].requires_grad_(False)
    result = summary(model, (5, 4), verbose=0)
    assert result.trainable_params == 8 and result.non_trainable_params == 15
    assert [row.trainable for row in result.rows] == [0, 8]


def test_model_is_left_unchanged():
    model = Net()
    model.features[1].momentum = 1.0
    before = {k: v.array.copy() for k, v in model.state_dict().items()}
    calls = {cls: cls.__dict__.get("__call__") for cls in (nn.Conv2d, nn.Sequential, Block)}
    model.block.eval()
    summary(model, (1, 1, 15, 14), verbose=0)  # a batch of one is fine: eval mode
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value.array, before[key], err_msg=key)
    assert model.training and model.features[1].training and not model.block.training
    assert {cls: cls.__dict__.get("__call__") for cls in calls} == calls
    assert not gs.zeros(1).requires_grad


def test_float64_model_and_several_inputs():
    class Pair(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(3, 2)

        def forward(self, a, b):
            return self.fc(a) + b
    model = Pair().double()
    result = summary(model, [(4, 3), (4, 2)], verbose=0)
    assert result.rows[0].output_shape == (4, 2)
    assert result.input_shape == [(4, 3), (4, 2)]


def test_bad_input_shape_is_named():
    with pytest.raises(ValueError, match=r"input_shape must hold non-negative ints .* got "
                                         r"\(2, -1\)"):
        summary(nn.Linear(3, 2), (2, -1), verbose=0)
