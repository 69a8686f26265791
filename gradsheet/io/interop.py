"""PyTorch interop: state dicts from torch into gradsheet and back, names unchanged.

gradsheet's layers name their parameters and buffers as torch's do (``weight``, ``bias``,
``running_mean``, ``num_batches_tracked``, ``weight_ih_l0_reverse``, ...) and store them in
the same layouts, so a state dict moves across as it is: only the array type changes.

    model.load_state_dict(from_torch_state_dict(torch_model.state_dict()))
    torch_model.load_state_dict(to_torch_state_dict(model.state_dict()))

Files need no conversion at all: ``gradsheet.io.save`` writes safetensors, which
``safetensors.torch.load_file`` reads, and ``gradsheet.io.load`` reads the files
``safetensors.torch.save_file`` writes.
"""
from __future__ import annotations

import collections
from collections.abc import ItemsView
from typing import Any, Union

import numpy as np

from ..autograd.tensor import Tensor, as_tensor


def _items(state_dict: Any, who: str) -> ItemsView[str, Any]:
    if hasattr(state_dict, "state_dict"):
        raise TypeError(f"{who}: got a {type(state_dict).__name__}, expected a state dict; "
                        f"pass model.state_dict()")
    if not isinstance(state_dict, dict):
        raise TypeError(f"{who}: expected a dict of tensors, got {type(state_dict).__name__}")
    return state_dict.items()


def _from_torch(name: str, value: Any) -> Tensor:
    if hasattr(value, "detach"):  # a torch.Tensor: from any device, without its graph
        if str(value.dtype) == "torch.bfloat16":
            raise TypeError(f"from_torch_state_dict: {name!r} is bfloat16, which NumPy has no "
                            f"dtype for; convert it first (state_dict[{name!r}].float())")
        value = value.detach().cpu().numpy()
    if not isinstance(value, np.ndarray):
        raise TypeError(f"from_torch_state_dict: {name!r} is a {type(value).__name__}, "
                        f"expected a torch.Tensor or ndarray")
    return as_tensor(value.copy())


def from_torch_state_dict(state_dict: dict[str, Any]
                          ) -> collections.OrderedDict[str, Tensor]:
    """A torch state dict as gradsheet Tensors: same names, order, dtypes and shapes.

    The arrays are copies: the result shares no memory with the torch tensors.

    Example: ``gs_model.load_state_dict(from_torch_state_dict(torch_model.state_dict()))``.
    """
    return collections.OrderedDict((name, _from_torch(name, value))
                                   for name, value in _items(state_dict, "from_torch_state_dict"))


def to_torch_state_dict(state_dict: dict[str, Union[Tensor, np.ndarray]]
                        ) -> collections.OrderedDict[str, Any]:
    """A gradsheet state dict (Tensors or arrays) as torch tensors: same names and order.

    The tensors are copies. Needs PyTorch, imported only when this is called.

    Example: ``torch_model.load_state_dict(to_torch_state_dict(gs_model.state_dict()))``.
    """
    try:
        import torch
    except ImportError as err:
        raise ImportError("to_torch_state_dict needs PyTorch, which is not installed: "
                          "pip install torch") from err
    # torch.Tensor values: Any, so that type-checking gradsheet never reads torch's stubs
    result: collections.OrderedDict[str, Any] = collections.OrderedDict()
    for name, value in _items(state_dict, "to_torch_state_dict"):
        array = value.array if isinstance(value, Tensor) else value
        if not isinstance(array, np.ndarray):
            raise TypeError(f"to_torch_state_dict: {name!r} is a {type(value).__name__}, "
                            f"expected a Tensor or ndarray")
        result[name] = torch.from_numpy(np.array(array, order="C"))
    return result
