"""The check every reference test is built from: a fused op against its reference twin.

``check_against_reference`` runs the fused op and the reference on float64 copies of the same
arrays, compares their outputs (a Tensor or a tuple of Tensors), then backpropagates one random
upstream gradient per output through both and compares every input gradient. The reference is
the oracle: it is composed of primitive ops whose gradients are tested against torch.
"""
import numpy as np

import gradsheet as gs


def _outputs(out):
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)


def check_against_reference(fused, reference, arrays, rtol=1e-7, atol=1e-10, seed=1,
                            grad=True):
    """fused(*tensors) and reference(*tensors) on float64 copies of ``arrays``: same outputs and
    the same gradient for every input. Returns the fused outputs."""
    twins = []
    for fn in (fused, reference):
        inputs = [gs.tensor(np.array(a, dtype=np.float64), requires_grad=grad) for a in arrays]
        twins.append((inputs, _outputs(fn(*inputs))))
    (fused_in, fused_out), (ref_in, ref_out) = twins
    assert len(fused_out) == len(ref_out), "the two return different numbers of outputs"
    for k, (f, r) in enumerate(zip(fused_out, ref_out)):
        assert tuple(f.shape) == tuple(r.shape), f"output {k}: shape {f.shape} vs {r.shape}"
        np.testing.assert_allclose(f.array, r.array, rtol=rtol, atol=atol,
                                   err_msg=f"output {k}: fused value differs from the reference")
    if not grad:
        return fused_out
    rng = np.random.default_rng(seed)
    upstream = [rng.standard_normal(f.shape) for f in fused_out]
    for inputs, outputs in twins:
        total = sum(((o * gs.tensor(u)).sum() for o, u in zip(outputs, upstream)
                     if o.requires_grad), gs.tensor(0.0, dtype="float64"))
        if total.requires_grad:
            total.backward()
    for i, (f, r) in enumerate(zip(fused_in, ref_in)):
        if r.grad is None:
            assert f.grad is None or not np.any(f.grad.array), f"input {i}: the reference has none"
            continue
        assert f.grad is not None, f"input {i}: the fused op computed no gradient"
        np.testing.assert_allclose(f.grad.array, r.grad.array, rtol=rtol, atol=atol,
                                   err_msg=f"input {i}: fused gradient differs from the reference")
    return fused_out
