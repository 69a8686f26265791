"""Optimizer: the base of every update rule  θ ← θ - α · direction(∇L, state).

An optimizer holds ``param_groups`` (lists of parameters, each with its own
hyper-parameters, missing ones filled from ``defaults``) and ``state`` (per
parameter: moment estimates, step counts). ``step()`` updates every parameter
whose ``.grad`` is not None, in place on ``p.array``; ``zero_grad()`` clears the
gradients before the next backward. ``state_dict()`` / ``load_state_dict()``
use PyTorch's format: parameters are numbered in group order, ``state`` maps
those integers to per-parameter dicts, each group lists its ``params`` by
number. A state dict saved by ``torch.optim`` (tensors or numpy arrays) loads
into the matching gradsheet optimizer.

Speed: updates run as numpy ufuncs with ``out=`` into the parameter, its
state, or a scratch array from ``self._workspace(p, slot)`` (see ``_Workspace``), so a step
allocates nothing parameter-sized after the first one.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Optional, Union, overload

import numpy as np

from ..autograd.grad_mode import enable_grad
from ..autograd.tensor import Tensor

# What an optimizer takes as ``params`` (torch.optim.optimizer.ParamsT): Tensors, or dicts
# with a ``params`` entry and per-group hyper-parameters
ParamsT = Union[Iterable[Tensor], Iterable[dict[str, Any]]]

class _Workspace:
    """Scratch arrays shaped like the parameters, shared by all of an optimizer's parameters.

    An update such as θ ← θ - α g needs α g somewhere. Allocating it anew costs an allocation
    per parameter per step; a buffer per parameter doubles the memory of plain SGD. Steps touch
    one parameter at a time, so one flat buffer per (dtype, slot), as long as the largest
    parameter of that dtype, serves them all: each parameter gets a view of its first numel
    entries, made once and remade only if ``p.array`` is replaced.
    """

    SLOTS = 3  # g' = g + λθ and at most two more (Adadelta, NAdam); unused slots cost nothing

    def __init__(self, params: Sequence[Tensor]) -> None:
        self._params = params
        self._flat: dict[tuple[np.dtype, int], np.ndarray] = {}
        self._views: tuple[dict[int, tuple[np.ndarray, np.ndarray]], ...] = tuple(
            {} for _ in range(self.SLOTS))

    def __call__(self, p: Tensor, slot: int = 0) -> np.ndarray:
        entry = self._views[slot].get(id(p))
        if entry is None or entry[0] is not p.array:
            entry = self._make_view(p, slot)
        return entry[1]

    def _make_view(self, p: Tensor, slot: int) -> tuple[np.ndarray, np.ndarray]:
        data = p.array
        flat = self._flat.get((data.dtype, slot))
        if flat is None or flat.size < data.size:
            size = max([q.array.size for q in self._params if q.array.dtype == data.dtype]
                       + [data.size])
            flat = self._flat[(data.dtype, slot)] = np.empty(size, dtype=data.dtype)
            # views of the old buffer would keep it alive: let every parameter remake its view
            self._views[slot].clear()
        entry = self._views[slot][id(p)] = (data, flat[:data.size].reshape(data.shape))
        return entry


class Optimizer:
    """Base class: parameter groups, per-parameter state, zero_grad, state_dict.

    A subclass passes its hyper-parameters as ``defaults``, lists the rules they must satisfy
    in ``_rules`` (checked for the defaults and for every group), and implements ``step()``.

    Args:
        params: an iterable of Tensors, or of dicts with a ``params`` entry (one group each)
            and per-group hyper-parameters that override ``defaults``.
        defaults: the hyper-parameters every group starts from.
    """

    # (name, predicate(group), rule): a group whose predicate is false raises ValueError;
    # (name, predicate(group), message(group), rule): the same, with torch's own message
    _rules: tuple[tuple[Any, ...], ...] = ()
    # per-parameter state entries that are numbers (0-d), not arrays shaped like the parameter
    _scalar_state: tuple[str, ...] = ()

    def __init__(self, params: ParamsT, defaults: dict[str, Any]) -> None:
        if isinstance(params, Tensor):
            raise TypeError(f"{type(self).__name__}: params should be an iterable of Tensors or "
                            f"dicts, got a single Tensor of shape {params.shape}: wrap it in a "
                            "list")
        self.defaults = defaults
        self._check_rules(defaults)
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        self._workspace = _Workspace([])
        try:
            groups: list[Any] = list(params)
        except TypeError:
            raise TypeError(f"{type(self).__name__}: params should be an iterable of Tensors or "
                            f"dicts, got {type(params).__name__}") from None
        if not groups:
            raise ValueError(f"{type(self).__name__}: optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def __repr__(self) -> str:
        lines = [type(self).__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {key}: {group[key]}" for key in sorted(group) if key != "params"]
        return "\n".join(lines) + "\n)"

    # ------------------------------------------------------------ groups
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own hyper-parameters (e.g. to unfreeze layers)."""
        name = type(self).__name__
        if not isinstance(param_group, dict):
            raise TypeError(f"{name}: param_group must be a dict, got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError(f"{name}: a parameter group must have a 'params' entry, got keys "
                             f"{sorted(map(str, param_group))}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(f"{name}: parameters must be an ordered collection (a list), not a "
                            "set, whose order changes between runs")
        try:
            params = list(params)
        except TypeError:
            raise TypeError(f"{name}: a group's params must be an iterable of Tensors, got "
                            f"{type(params).__name__}") from None
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(f"{name}: can only optimize Tensors, but parameter {i} is a "
                                f"{type(p).__name__}")
            if not p.is_leaf:
                raise ValueError(f"{name}: can't optimize a non-leaf Tensor (parameter {i} of "
                                 f"shape {p.shape} was computed by {type(p.grad_fn).__name__})")
        group = {**self.defaults, **param_group, "params": params}
        self._check_rules(group)
        seen = {id(q): (g, j) for g, other in enumerate(self.param_groups)
                for j, q in enumerate(other["params"])}
        for i, p in enumerate(params):
            if id(p) in seen:
                where = "this group" if seen[id(p)][0] == len(self.param_groups) else \
                    f"group {seen[id(p)][0]}"
                raise ValueError(f"{name}: some parameters appear in more than one parameter "
                                 f"group: parameter {i} of shape {p.shape} is already parameter "
                                 f"{seen[id(p)][1]} of {where}")
            seen[id(p)] = (len(self.param_groups), i)
        self.param_groups.append(group)
        self._workspace = _Workspace([p for g in self.param_groups for p in g["params"]])

    def _check_rules(self, group: dict[str, Any]) -> None:
        for key, holds, *message, rule in self._rules:
            try:
                ok = bool(holds(group))
            except (TypeError, IndexError, ValueError, RuntimeError):  # a str, None, a 1-tuple...
                wanted = "a pair of numbers" if key == "betas" else "a number"
                raise TypeError(f"{type(self).__name__}: {key} must be {wanted}, got "
                                f"{type(group.get(key)).__name__} {group.get(key)!r}"[:200]) from None
            if not ok:
                if message:
                    raise ValueError(f"{type(self).__name__}: {message[0](group)} (expected "
                                     f"{rule})")
                raise ValueError(f"{type(self).__name__}: invalid {key}={group[key]!r}; "
                                 f"expected {rule}")

    # ------------------------------------------------------------ stepping
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's gradient: ``p.grad = None`` (default) or fill it with zeros."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    if set_to_none:
                        p.grad = None
                    else:
                        p.grad.array.fill(0)

    def step(self, closure: Optional[Callable[[], float]] = None) -> Optional[float]:
        """Update every parameter that has a gradient; returns ``closure()``'s loss if given."""
        raise NotImplementedError

    @overload
    @staticmethod
    def _evaluate(closure: None) -> None: ...
    @overload
    @staticmethod
    def _evaluate(closure: Callable[[], float]) -> float: ...
    @overload
    @staticmethod
    def _evaluate(closure: Optional[Callable[[], float]]) -> Optional[float]: ...

    @staticmethod
    def _evaluate(closure: Optional[Callable[[], float]]) -> Optional[float]:
        """The loss from ``closure`` (which re-runs forward and backward), or None."""
        if closure is None:
            return None
        with enable_grad():
            return closure()

    def _grad(self, p: Tensor, weight_decay: float, maximize: bool) -> np.ndarray:
        """The gradient the update uses: g = ±∇ + λ θ (L2 weight decay; sign flipped to maximize).

        Returns ``p.grad.array`` itself when there is nothing to add: it is never written to.
        """
        grad = p.grad
        assert grad is not None  # the steps skip the parameters without a gradient
        g = grad.array
        if not weight_decay and not maximize:
            return g
        out = self._workspace(p, 1)
        if not weight_decay:
            return np.negative(g, out)
        np.multiply(p.array, weight_decay, out)
        return (np.subtract if maximize else np.add)(out, g, out)

    # ------------------------------------------------------------ checkpoints
    def state_dict(self) -> dict[str, Any]:
        """``{'state': {index: {...}}, 'param_groups': [{..., 'params': [index, ...]}]}``.

        Parameters are numbered in group order. The arrays are the optimizer's live state (as in
        PyTorch): copy them (``copy.deepcopy``) to keep a snapshot while training goes on.
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        state = {index[id(p)]: dict(s) for p, s in self.state.items() if id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore hyper-parameters and state saved by ``state_dict()`` (gradsheet's or torch's).

        Arrays are copied (cast to the parameter's dtype, shape-checked); ``step`` counts may be
        numbers, 0-d arrays or tensors.
        """
        name = type(self).__name__
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"{name}.load_state_dict: the state dict has {len(saved_groups)} "
                             f"parameter groups, the optimizer has {len(self.param_groups)}")
        for i, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(f"{name}.load_state_dict: group {i} has {len(saved['params'])} "
                                 f"parameters in the state dict, {len(group['params'])} here")
        params = {k: p for saved, group in zip(saved_groups, self.param_groups)
                  for k, p in zip(saved["params"], group["params"])}
        state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        for k, values in state_dict["state"].items():
            if k in params:
                p = params[k]
                state[p] = {key: _state_value(name, key, v, p, key in self._scalar_state)
                            for key, v in values.items()}
        self.state = state
        self.param_groups = [{**self.defaults, **saved, "params": group["params"]}
                             for saved, group in zip(saved_groups, self.param_groups)]


def _state_value(name: str, key: str, value: Any, p: Tensor, scalar: bool = False) -> Any:
    """One loaded state entry: step counts become ints, arrays become copies shaped like ``p``,
    ``scalar`` entries (0-d tensors in torch) numpy scalars of their own dtype."""
    if key == "step":
        return int(float(value))
    if isinstance(value, Tensor):
        value = value.array
    if isinstance(value, (bool, int, float)) or value is None:
        return value
    if scalar:
        return np.asarray(value).reshape(())[()].copy()
    # asarray first: torch's __array__ predates numpy 2's copy= argument
    array = np.array(np.asarray(value), dtype=p.array.dtype if p.array.dtype.kind == "f" else None)
    if array.shape != p.array.shape:
        raise ValueError(f"{name}.load_state_dict: state {key!r} has shape {array.shape} but its "
                         f"parameter has shape {p.shape}")
    return array
