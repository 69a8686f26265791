"""Devices, dtype names and grad modes as PyTorch's (gradsheet computes on the CPU only)."""
import numpy as np
import pytest

import gradsheet as gs
import gradsheet.nn as nn
from tests.helpers import torch_or_skip

torch = torch_or_skip()


@pytest.mark.parametrize("spec", ["cpu", "cpu:0", "cuda", "cuda:1", "mps", ("cuda", 2)])
def test_device_objects_match_torch(spec):
    ours = gs.device(*spec) if isinstance(spec, tuple) else gs.device(spec)
    theirs = torch.device(*spec) if isinstance(spec, tuple) else torch.device(spec)
    assert (ours.type, ours.index, str(ours), repr(ours)) == \
        (theirs.type, theirs.index, str(theirs), repr(theirs))
    assert ours == gs.device(str(ours)) and hash(ours) == hash(gs.device(str(ours)))


def test_bad_device_strings_raise():
    with pytest.raises(RuntimeError, match="expected one of cpu, cuda"):
        gs.device("tpu")
    with pytest.raises(RuntimeError):
        torch.device("tpu")


def test_tensors_live_on_the_cpu_and_move_there():
    x = gs.ones(2)
    assert x.device == gs.device("cpu") and x.device == "cpu"
    assert x.is_cuda is False and x.is_cpu is True
    assert x.to("cpu") is x and x.cpu() is x
    assert x.to(gs.device("cpu"), gs.float64).dtype == np.float64
    assert x.to(device="cpu", dtype=gs.float16).dtype == np.float16
    assert x.to(gs.zeros(1, dtype=gs.int64)).dtype == np.int64
    assert x.to("cpu", copy=True) is not x


def test_asking_for_cuda_says_there_is_none_and_how_to_check():
    for use in (lambda: gs.ones(2).to("cuda"), lambda: gs.ones(2).cuda(),
                lambda: nn.Linear(2, 3, device="cuda"), lambda: nn.Linear(2, 3).to("cuda:0"),
                lambda: nn.Linear(2, 3).cuda(), lambda: nn.Conv2d(1, 2, 3, device="cuda"),
                lambda: nn.LSTM(2, 3, device="mps"), lambda: nn.BatchNorm1d(3, device="cuda")):
        with pytest.raises(RuntimeError, match="gradsheet has no (CUDA|MPS) device here.*"
                                               "gs.cuda.is_available"):
            use()


def test_cuda_of_a_device_that_is_not_cuda_is_refused_as_torch():
    """x.cuda("cpu") raised nothing and returned None (mypy found the implicit return)."""
    with pytest.raises(RuntimeError, match="must be cuda device"):
        torch.zeros(2).cuda("cpu")
    with pytest.raises(RuntimeError, match=r"cuda: invalid device 'cpu', must be a cuda device"):
        gs.zeros(2).cuda("cpu")


def test_layers_accept_device_and_dtype_in_torchs_order():
    layer = nn.Linear(2, 3, True, "cpu", gs.float64)
    assert layer.weight.dtype == np.float64
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3)).to("cpu", gs.float64)
    assert all(p.dtype == np.float64 for p in model.parameters())
    assert model.cpu() is model and model.half().state_dict()["0.weight"].dtype == np.float16


def test_cuda_accelerator_and_backends_answer_truthfully():
    assert gs.cuda.is_available() is False and gs.cuda.device_count() == 0
    gs.cuda.manual_seed(0)
    gs.cuda.manual_seed_all(0)
    assert gs.accelerator.is_available() is False and gs.accelerator.current_accelerator() is None
    assert gs.backends.mps.is_available() is False
    import gradsheet.backends.cudnn as cudnn
    cudnn.benchmark, cudnn.deterministic = True, True
    assert gs.backends.cudnn.benchmark is True


@pytest.mark.parametrize("name", ["float", "double", "half", "float16", "float32", "float64",
                                  "int", "long", "short", "int8", "int16", "int32", "int64",
                                  "uint8", "bool", "cfloat", "cdouble"])
def test_dtype_names_match_torch(name):
    ours = np.dtype(getattr(gs, name))
    theirs = torch.zeros(1, dtype=getattr(torch, name)).numpy().dtype
    assert ours == theirs
    assert gs.zeros(2, dtype=name).dtype == theirs


def test_bfloat16_raises_clearly():
    with pytest.raises(TypeError, match="NumPy has no bfloat16 type"):
        gs.zeros(2, dtype=gs.bfloat16)
    with pytest.raises(TypeError, match="NumPy has no bfloat16 type"):
        gs.ones(2).to(gs.bfloat16)


def test_finfo_iinfo_and_default_dtype():
    assert gs.finfo(gs.float32).eps == torch.finfo(torch.float32).eps
    assert gs.iinfo(gs.int64).max == torch.iinfo(torch.int64).max
    assert gs.get_default_dtype() == np.float32


def test_inference_mode_and_set_grad_enabled_as_torch():
    w = gs.ones(2, requires_grad=True)
    with gs.inference_mode():
        assert not (w * 2).requires_grad

    @gs.inference_mode
    def bare():
        return gs.is_grad_enabled()

    @gs.inference_mode()
    def called():
        return gs.is_grad_enabled()
    assert bare() is False and called() is False and gs.is_grad_enabled()
    with gs.inference_mode(False):
        assert gs.is_grad_enabled()
    gs.set_grad_enabled(False)  # a statement, as in torch
    try:
        assert not (w * 2).requires_grad
    finally:
        gs.set_grad_enabled(True)
    assert (w * 2).requires_grad

    @gs.set_grad_enabled(False)
    def decorated():
        return gs.is_grad_enabled()
    assert gs.is_grad_enabled() and decorated() is False and gs.is_grad_enabled()


def test_module_cuda_of_a_device_that_is_not_cuda_is_refused_as_torch():
    """module.cuda("cpu") raised nothing and returned None (mypy found the implicit return)."""
    with pytest.raises(RuntimeError, match="must be cuda device"):
        torch.nn.Linear(2, 3).cuda("cpu")
    with pytest.raises(RuntimeError, match=r"Linear.cuda: invalid device 'cpu', must be a cuda"):
        nn.Linear(2, 3).cuda("cpu")
