"""Module hooks against torch: full backward hooks and pre-hooks (call order, grad_input and
grad_output values, None/zeros where torch has them, replacement of gradients, removal, the
no-input-requires-grad case), forward hooks and pre-hooks (with_kwargs, prepend, always_call),
on a Sequential, a Linear and a module with two tensor inputs, float64."""
import warnings

import numpy as np
import pytest

import gradsheet as gs
from tests.helpers import torch_or_skip

torch = torch_or_skip()
LIBS = {"gs": gs, "torch": torch}


def _array(value):
    if value is None:
        return None
    return value.detach().numpy() if hasattr(value, "detach") and not isinstance(
        value, gs.Tensor) else np.asarray(value.array)


class Recorder:
    """Collects (module name, hook kind, arrays) in call order."""

    def __init__(self):
        self.log = []

    def backward_hook(self, name, replace=None):
        def hook(module, grad_input, grad_output):
            self.log.append((name, "backward", [_array(g) for g in grad_input],
                             [_array(g) for g in grad_output]))
            return replace(grad_input) if replace else None
        return hook

    def backward_pre_hook(self, name, replace=None):
        def hook(module, grad_output):
            self.log.append((name, "backward_pre", [_array(g) for g in grad_output]))
            return replace(grad_output) if replace else None
        return hook

    def forward_pre_hook(self, name):
        def hook(module, args):
            self.log.append((name, "forward_pre", [_array(a) if hasattr(a, "shape") else a
                                                   for a in args]))
        return hook

    def forward_hook(self, name):
        def hook(module, args, output):
            self.log.append((name, "forward", _array(output) if hasattr(output, "shape") else
                             [_array(o) for o in output]))
        return hook


def _same_logs(mine, ref):
    assert [entry[:2] for entry in mine] == [entry[:2] for entry in ref], "hook call order"
    for m, r in zip(mine, ref):
        for m_part, r_part in zip(m[2:], r[2:]):
            if isinstance(r_part, np.ndarray):
                np.testing.assert_allclose(m_part, r_part, rtol=1e-10, err_msg=str(m[:2]))
                continue
            assert len(m_part) == len(r_part), m[:2]
            for a, b in zip(m_part, r_part):
                if b is None or isinstance(b, (int, float)):
                    assert a == b, (m[:2], a, b)
                else:
                    np.testing.assert_allclose(a, b, rtol=1e-10, err_msg=str(m[:2]))


def _mlp(lib):
    nn = lib.nn
    torch.manual_seed(0)
    ref = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    if lib is torch:
        return ref.double()
    model.double().load_state_dict(ref.double().state_dict())
    return model


def _hook_all(model, recorder, full=True, pre=True, forward=False, replace=None):
    handles = []
    for name, module in model.named_modules():
        name = name or "root"
        if full:
            handles.append(module.register_full_backward_hook(
                recorder.backward_hook(name, replace if name == "1" else None)))
        if pre:
            handles.append(module.register_full_backward_pre_hook(recorder.backward_pre_hook(name)))
        if forward:
            handles.append(module.register_forward_pre_hook(recorder.forward_pre_hook(name)))
            handles.append(module.register_forward_hook(recorder.forward_hook(name)))
    return handles


def _run(lib, model, x, requires_grad=True, up=None):
    t = lib.tensor(x, requires_grad=requires_grad)
    out = model(t)
    out.backward(lib.tensor(up if up is not None else np.ones(out.shape)))
    return t


@pytest.mark.parametrize("requires_grad", [True, False])
def test_sequential_hooks_as_torch(requires_grad):
    x = np.random.default_rng(0).standard_normal((5, 3))
    up = np.random.default_rng(1).standard_normal((5, 2))
    logs = {}
    for key, lib in LIBS.items():
        model, recorder = _mlp(lib), Recorder()
        _hook_all(model, recorder, forward=True)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            _run(lib, model, x, requires_grad, up)
        logs[key] = recorder.log
        messages = [str(w.message) for w in caught]
        fired = any("Full backward hook is firing" in m for m in messages)
        assert fired == (not requires_grad), (key, messages)
    _same_logs(logs["gs"], logs["torch"])


def test_returned_grad_input_replaces_the_gradient_as_torch():
    x = np.random.default_rng(2).standard_normal((2, 3))
    grads, logs = {}, {}
    for key, lib in LIBS.items():
        model, recorder = _mlp(lib), Recorder()
        _hook_all(model, recorder, pre=True, replace=lambda gi: tuple(3.0 * g for g in gi))
        t = _run(lib, model, x)
        grads[key], logs[key] = _array(t.grad), recorder.log
        grads[key + "w"] = _array(model[0].weight.grad)
    _same_logs(logs["gs"], logs["torch"])
    np.testing.assert_allclose(grads["gs"], grads["torch"], rtol=1e-10)
    np.testing.assert_allclose(grads["gsw"], grads["torchw"], rtol=1e-10)


def test_backward_pre_hook_replaces_grad_output_as_torch():
    x = np.random.default_rng(3).standard_normal((2, 3))
    grads = {}
    for key in ("torch", "gs"):
        lib = LIBS[key]
        model = lib.nn.Linear(3, 2).double()
        if lib is gs:
            model.load_state_dict(grads["torch_state"])
        recorder = Recorder()
        model.register_full_backward_pre_hook(lambda m, go: (go[0] * -2.0,))
        model.register_full_backward_hook(recorder.backward_hook("linear"))
        t = _run(lib, model, x)
        grads[key] = (_array(t.grad), _array(model.weight.grad), _array(model.bias.grad),
                      recorder.log)
        if lib is torch:
            grads["torch_state"] = model.state_dict()
    for mine, ref in zip(grads["gs"][:3], grads["torch"][:3]):
        np.testing.assert_allclose(mine, ref, rtol=1e-10)
    _same_logs(grads["gs"][3], grads["torch"][3])


def _two_input_module(lib):
    class TwoInputs(lib.nn.Module):
        """out = (a * b * scale, a + 1, b.sum()); ``unused`` does not reach the outputs."""

        def forward(self, a, scale, b, unused=None):
            return a * b * scale, a + 1.0, b.sum()

    return TwoInputs()


@pytest.mark.parametrize("b_requires_grad", [True, False])
@pytest.mark.parametrize("use_second", [True, False])
def test_two_input_module_hooks_as_torch(b_requires_grad, use_second):
    rng = np.random.default_rng(4)
    a, b, u = rng.standard_normal((2, 3)), rng.standard_normal((2, 3)), rng.standard_normal(3)
    logs, grads = {}, {}
    for key, lib in LIBS.items():
        module, recorder = _two_input_module(lib), Recorder()
        module.register_full_backward_pre_hook(recorder.backward_pre_hook("m"))
        module.register_full_backward_hook(recorder.backward_hook("m"))
        ta = lib.tensor(a, requires_grad=True)
        tb = lib.tensor(b, requires_grad=b_requires_grad)
        tu = lib.tensor(u, requires_grad=True)
        first, second, third = module(ta, 2.5, tb, tu)
        loss = (first * lib.tensor(rng.standard_normal((2, 3)) * 0 + 1.5)).sum()
        if use_second:
            loss = loss + second.sum() * 0.5
        loss.backward()
        logs[key] = recorder.log
        grads[key] = [_array(ta.grad), _array(tb.grad), _array(tu.grad)]
    _same_logs(logs["gs"], logs["torch"])
    for mine, ref in zip(grads["gs"], grads["torch"]):
        if ref is None:
            assert mine is None
        else:
            np.testing.assert_allclose(mine, ref, rtol=1e-10)


def test_removed_hooks_do_not_run_and_order_follows_prepend():
    for lib in LIBS.values():
        calls = []
        linear = lib.nn.Linear(2, 2)
        first = linear.register_full_backward_hook(lambda m, gi, go: calls.append("first"))
        linear.register_full_backward_hook(lambda m, gi, go: calls.append("second"))
        linear.register_full_backward_hook(lambda m, gi, go: calls.append("prepended"),
                                           prepend=True)
        pre = linear.register_full_backward_pre_hook(lambda m, go: calls.append("pre"))
        linear(lib.ones(1, 2, requires_grad=True)).sum().backward()
        assert calls == ["pre", "prepended", "first", "second"]
        first.remove()
        pre.remove()
        first.remove()  # twice is harmless
        calls.clear()
        linear(lib.ones(1, 2, requires_grad=True)).sum().backward()
        assert calls == ["prepended", "second"]


def test_backward_hook_errors_as_torch():
    for lib in LIBS.values():
        linear = lib.nn.Linear(2, 1)
        linear.register_full_backward_hook(lambda m, gi, go: (gi[0], gi[0]))
        with pytest.raises(RuntimeError, match="Backward hook returned an invalid number of "
                                               "grad_input, got 2, but expected 1"):
            linear(lib.ones(1, 2, requires_grad=True)).sum().backward()
        linear = lib.nn.Linear(2, 1)
        linear.register_full_backward_pre_hook(lambda m, go: (go[0], go[0]))
        with pytest.raises(RuntimeError, match="Backward pre hook returned an invalid number of "
                                               "grad_output, got 2, but expected 1"):
            linear(lib.ones(1, 2, requires_grad=True)).sum().backward()
        linear = lib.nn.Linear(2, 1)
        linear.register_full_backward_hook(lambda m, gi, go: (lib.ones(1, 2),))
        with pytest.warns(UserWarning, match="Full backward hook is firing"), \
                pytest.raises(RuntimeError, match="no input requires gradient should always "
                                                  "return None"):
            linear(lib.ones(1, 2)).sum().backward()
        linear = lib.nn.Linear(2, 1)
        linear.register_backward_hook(lambda m, gi, go: None)
        with pytest.raises(RuntimeError, match="Cannot use both regular backward hooks and full"):
            linear.register_full_backward_hook(lambda m, gi, go: None)
    linear = gs.nn.Linear(2, 1)
    linear.register_full_backward_hook(lambda m, gi, go: (gs.ones(3),))
    with pytest.raises(RuntimeError, match=r"grad_input: a backward hook returned a gradient of "
                                           r"shape \(3,\) for a tensor of shape \(1, 2\)"):
        linear(gs.ones(1, 2, requires_grad=True)).sum().backward()
    with pytest.raises(TypeError, match="register_full_backward_hook: the hook must be callable"):
        linear.register_full_backward_hook(3)


def test_non_tensor_output_warns_and_skips_backward_hooks_as_torch():
    for lib in LIBS.values():
        class Listed(lib.nn.Module):
            def forward(self, x):
                return [x * 2.0]

        calls = []
        module = Listed()
        module.register_full_backward_hook(lambda m, gi, go: calls.append(1))
        with pytest.warns(UserWarning, match="module output should be a Tensor or a tuple"):
            out = module(lib.ones(2, requires_grad=True))
        out[0].sum().backward()
        assert calls == []


def test_no_grad_forward_skips_backward_hooks():
    calls = []
    linear = gs.nn.Linear(2, 1)
    linear.register_full_backward_hook(lambda m, gi, go: calls.append(1))
    with gs.no_grad():
        out = linear(gs.ones(1, 2, requires_grad=True))
    assert not out.requires_grad and calls == []


def test_retain_graph_runs_hooks_each_backward():
    for lib in LIBS.values():
        calls = []
        linear = lib.nn.Linear(2, 1)
        linear.register_full_backward_hook(lambda m, gi, go: calls.append(_array(gi[0]).copy()))
        x = lib.ones(1, 2, requires_grad=True)
        out = linear(x).sum()
        out.backward(retain_graph=True)
        out.backward()
        assert len(calls) == 2
        np.testing.assert_allclose(calls[0], calls[1])


# ------------------------------------------------------------------ forward hooks
def test_forward_hooks_with_kwargs_and_prepend_as_torch():
    for lib in LIBS.values():
        class Scaled(lib.nn.Module):
            def forward(self, x, scale=1.0):
                return x * scale

        calls = []
        module = Scaled()

        def pre_kwargs(m, args, kwargs):
            calls.append(("pre_kwargs", dict(kwargs)))
            return (args[0] + 1.0,), {"scale": kwargs.get("scale", 1.0) * 10}

        module.register_forward_pre_hook(lambda m, args: calls.append(("pre", len(args))))
        module.register_forward_pre_hook(pre_kwargs, with_kwargs=True, prepend=True)
        module.register_forward_hook(
            lambda m, args, kwargs, out: calls.append(("hook_kwargs", dict(kwargs))) or out * 2.0,
            with_kwargs=True)
        module.register_forward_hook(lambda m, args, out: calls.append(("hook", args[0].shape)))
        out = module(lib.ones(2), scale=3.0)
        np.testing.assert_array_equal(_array(out), [120.0, 120.0])
        assert calls == [("pre_kwargs", {"scale": 3.0}), ("pre", 1),
                         ("hook_kwargs", {"scale": 30.0}), ("hook", calls[3][1])]
        module.register_forward_pre_hook(lambda m, a, k: 5, with_kwargs=True)
        with pytest.raises(RuntimeError, match="forward pre-hook must return None or a tuple of "
                                               r"\(new_args, new_kwargs\), but got 5"):
            module(lib.ones(2))


def test_forward_hook_always_call_as_torch():
    for lib in LIBS.values():
        class Failing(lib.nn.Module):
            def forward(self, x):
                raise ValueError("boom")

        calls = []
        module = Failing()
        module.register_forward_hook(lambda m, args, out: calls.append(("always", out)),
                                     always_call=True)
        module.register_forward_hook(lambda m, args, out: calls.append(("normal", out)))
        module.register_forward_hook(lambda m, args, out: 1 / 0, always_call=True)
        with pytest.raises(ValueError, match="boom"), \
                pytest.warns(UserWarning, match="always_call=True`` raised an exception"):
            module(lib.ones(1))
        assert calls == [("always", None)]


def test_forward_hook_handles_remove_their_flags():
    module = gs.nn.Linear(2, 2)
    handle = module.register_forward_hook(lambda m, a, k, o: None, with_kwargs=True,
                                          always_call=True)
    assert handle.id in module._forward_hooks_with_kwargs
    assert handle.id in module._forward_hooks_always_called
    with handle:
        pass
    assert not module._forward_hooks and not module._forward_hooks_with_kwargs
    assert not module._forward_hooks_always_called
    assert isinstance(torch.nn.Linear(1, 1)._forward_hooks, type(module._forward_hooks))
