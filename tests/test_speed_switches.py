"""The two speed mechanisms with global effects (issue 15, item 2), each behind a named switch,
checked where they must not apply: the engine taking a leaf's gradient array over
(``autograd.engine.OWN_UNSHARED_GRADIENTS``) and Module classes calling ``forward`` directly
(``nn.module.CALL_FORWARD_DIRECTLY``)."""
import weakref

import numpy as np
import pytest

import gradsheet as gs
from gradsheet import nn
from gradsheet.autograd import engine
from gradsheet.autograd.function import Function
from gradsheet.nn import module as module_mod

KEPT = []  # arrays a backward also holds elsewhere
MADE = []  # weak references to the arrays a backward returned


class _Double(Function):
    """y = 2x; its backward returns a fresh array (weakly recorded) or, with ``keep``, one it
    also keeps in KEPT."""

    def forward(self, x, keep=False):
        self.keep = keep
        return 2 * x

    def backward(self, g):
        grad = 2 * g
        if self.keep:
            KEPT.append(grad)
        MADE.append(weakref.ref(grad))
        return grad


@pytest.fixture(autouse=True)
def _clear():
    KEPT.clear()
    MADE.clear()


def _leaf():
    return gs.tensor(np.ones(3), requires_grad=True)


def test_a_gradient_held_elsewhere_is_copied_not_taken_over():
    x = _leaf()
    _Double.apply(x, keep=True).sum().backward()
    assert x.grad.array is not KEPT[0]
    x.grad.array *= 10  # clipping .grad in place must not reach the array the op kept
    np.testing.assert_array_equal(KEPT[0], [2.0, 2.0, 2.0])


@pytest.mark.skipif(not engine.OWN_UNSHARED_GRADIENTS, reason="the switch is off here")
def test_an_unshared_gradient_is_taken_over():
    x = _leaf()
    _Double.apply(x).sum().backward()
    assert MADE[0]() is not None and x.grad.array is MADE[0]()


def test_with_the_switch_off_every_leaf_gradient_is_a_copy(monkeypatch):
    monkeypatch.setattr(engine, "OWN_UNSHARED_GRADIENTS", False)
    x = _leaf()
    _Double.apply(x).sum().backward()
    assert x.grad.array is not MADE[0]()
    np.testing.assert_array_equal(x.grad.array, [2.0, 2.0, 2.0])


def _classes():
    class Base(nn.Module):
        def forward(self, x):
            return x + 1

    class Inherits(Base):
        pass

    class Overrides(Base):
        def forward(self, x):
            return x * 3
    return Base, Inherits, Overrides


def test_a_hook_on_one_instance_leaves_the_others_and_the_subclasses_unchanged():
    Base, Inherits, Overrides = _classes()
    x = gs.tensor([1.0, 2.0])
    plain, inherits, overrides = Base(), Inherits(), Overrides()
    before = [m(x).tolist() for m in (plain, inherits, overrides)]
    hooked = Base()
    calls = []
    hooked.register_forward_hook(lambda m, args, out: calls.append(m) or out * 100)
    assert Base.__call__ is nn.Module._call_with_hooks  # the whole class switched
    assert [m(x).tolist() for m in (plain, inherits, overrides)] == before
    assert hooked(x).tolist() == [200.0, 300.0] and calls == [hooked]  # the hook ran for it only


def test_an_instance_forward_is_called():
    Base, Inherits, _ = _classes()
    x = gs.tensor([1.0])
    patched, other = Base(), Base()
    patched.forward = lambda x: x * 10
    assert patched(x).tolist() == [10.0] and other(x).tolist() == [2.0]
    assert Inherits()(x).tolist() == [2.0]


def test_with_the_switch_off_classes_keep_module_call(monkeypatch):
    monkeypatch.setattr(module_mod, "CALL_FORWARD_DIRECTLY", False)
    Base, _, _ = _classes()
    assert "__call__" not in Base.__dict__ and Base.__call__ is nn.Module.__call__
    assert Base()(gs.tensor([1.0])).tolist() == [2.0]
    monkeypatch.setattr(module_mod, "CALL_FORWARD_DIRECTLY", True)
    Fast, _, _ = _classes()
    assert Fast.__dict__["__call__"] is Fast.__dict__["forward"]
