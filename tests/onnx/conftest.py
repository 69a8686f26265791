"""The round trip every ONNX test makes: export, check the file, run it in onnxruntime on the
example and on a batch of another size, and compare with gradsheet's own outputs (all of
them, flattened: a recurrent layer's output and final states)."""
import numpy as np
import pytest

import gradsheet as gs


@pytest.fixture
def roundtrip(tmp_path):
    onnx = pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    from gradsheet.onnx import export

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1  # the test machine's cores are shared
    options.inter_op_num_threads = 1

    def check(model, example, other=None, opset_version=17, atol=1e-5):
        """Export ``model`` (in eval mode) for ``example``; assert onnxruntime's outputs on
        ``example`` and ``other`` (another batch size: the batch axis is symbolic) match
        gradsheet's within ``atol``, every output. Returns the ModelProto."""
        model.eval()
        path = tmp_path / "model.onnx"
        proto = export(model, example, path, opset_version=opset_version)
        onnx.checker.check_model(str(path), full_check=True)
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        for x in (example, other):
            if x is None:
                continue
            x = x if isinstance(x, gs.Tensor) else gs.tensor(x)
            with gs.no_grad():
                expected = model(x)
            expected = list(_flat(expected))
            feed = x.array.astype(np.int64) if x.array.dtype.kind in "iu" else x.array
            outputs = session.run(None, {"input": feed})
            assert len(outputs) == len(expected)
            for got, want in zip(outputs, expected):
                assert got.dtype == want.array.dtype
                np.testing.assert_allclose(got, want.array, rtol=1e-5, atol=atol)
        return proto

    return check


def _flat(out):
    if isinstance(out, tuple):
        for o in out:
            yield from _flat(o)
    else:
        yield out
