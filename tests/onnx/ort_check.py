"""Export with torch.onnx.export's arguments, check the file with onnx.checker, run it in
onnxruntime on several input sets and compare every output with gradsheet's."""
import numpy as np

import gradsheet as gs


def flat(out):
    """The tensors of a (nested) tuple output, in order."""
    if isinstance(out, (tuple, list)):
        for o in out:
            yield from flat(o)
    elif out is not None:
        yield out


def session(path):
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1  # the test machine's cores are shared
    options.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def check(model, args, path, runs=(), atol=1e-5, **export_kwargs):
    """Export ``model`` for ``args``; for ``args`` and each tuple of inputs in ``runs`` assert
    that onnxruntime's outputs match gradsheet's model(*inputs) within ``atol`` (and their
    dtypes). Returns (proto, session)."""
    import onnx
    from gradsheet.onnx import export

    model.eval()
    proto = export(model, args, path, **export_kwargs)
    onnx.checker.check_model(str(path), full_check=True)
    sess = session(path)
    names = [i.name for i in proto.graph.input]
    for inputs in (args,) + tuple(runs):
        inputs = inputs if isinstance(inputs, tuple) else (inputs,)
        with gs.no_grad():
            expected = list(flat(model(*inputs)))
        feed = dict(zip(names, [t.array for t in flat(inputs)]))
        got = sess.run(None, feed)
        assert len(got) == len(expected)
        for g, e in zip(got, expected):
            assert g.dtype == e.array.dtype and g.shape == e.shape
            np.testing.assert_allclose(g, e.array, rtol=1e-5, atol=atol)
    return proto, sess


def dims(value_info):
    """A graph input's or output's dims: ints, or the names of symbolic dims."""
    return [d.dim_param or d.dim_value for d in value_info.type.tensor_type.shape.dim]
