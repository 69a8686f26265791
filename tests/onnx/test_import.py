"""export without the onnx package: a clear ImportError naming the extra (runs without onnx)."""
import sys

import pytest

import gradsheet as gs
from gradsheet import nn
from gradsheet.onnx import export


def test_missing_onnx_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ImportError, match=r"pip install gradsheet\[onnx\]"):
        export(nn.ReLU(), gs.randn(2, 4), tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()
