"""Module: the base class of every layer and model.

A Module owns Parameters (trained), buffers (state that is saved but not
trained, such as BatchNorm's running mean) and child Modules, all found by
attribute assignment:

    self.fc = Linear(8, 64)          # a child module, named 'fc'
    self.scale = Parameter(...)      # a parameter, named 'scale'

Each kind is kept in an ordered registry (``_parameters``, ``_buffers``,
``_modules``) AND in the instance ``__dict__``, so that reading ``self.fc`` in
``forward`` is a plain attribute lookup (PyTorch resolves it through a slow
``__getattr__`` fallback). ``module(x)`` calls ``forward`` directly: every
subclass that defines ``forward`` gets it as its ``__call__``, so a call costs
one Python frame, not two (a class whose instance gets a forward hook, or its own
``forward``, switches to a wrapper that runs the hooks: ``CALL_FORWARD_DIRECTLY``).
All writes go through ``__setattr__``, ``__delattr__`` and the ``register_*`` methods,
which keep the two views equal.
"""
from __future__ import annotations

import collections
import collections.abc
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Optional, cast

import numpy as np

from .. import backend
from .. import devices
from ..autograd import grad_mode
from ..autograd.function import Function
from ..autograd.hooks import RemovableHandle, add_hook
from ..autograd.tensor import Tensor
from .parameter import Parameter

if TYPE_CHECKING:
    from typing import Self  # (Python 3.11; gradsheet runs on 3.10: read by checkers only)

    from .._typing import DeviceLike, DType

# A gradient as the hooks' identity nodes pass it around (None: no gradient)
_Grads = list[Optional[np.ndarray]]

# The hook registries a module makes on first use (``Module.__getattr__``): OrderedDicts from a
# handle id to the hook, or, for the flag sets, to True.
_HOOK_REGISTRIES = frozenset((
    "_forward_hooks", "_forward_hooks_with_kwargs", "_forward_hooks_always_called",
    "_forward_pre_hooks", "_forward_pre_hooks_with_kwargs", "_backward_hooks",
    "_backward_pre_hooks", "_state_dict_hooks", "_state_dict_pre_hooks",
    "_load_state_dict_pre_hooks", "_load_state_dict_post_hooks"))


class _HookHandle(RemovableHandle):
    """A module hook's handle: removing it also drops the hook's flags (with_kwargs, always_call),
    as torch's ``RemovableHandle(..., extra_dict=...)``."""

    __slots__ = ("_extra",)

    def __init__(self, hooks: collections.OrderedDict[int, Any], hook_id: int,
                 extra: list[dict[int, bool]]) -> None:
        self._hooks, self.id, self._extra = hooks, hook_id, extra

    def remove(self) -> None:
        """Take the hook (and its flags) out; removing it twice is harmless."""
        self._hooks.pop(self.id, None)
        for flags in self._extra:
            flags.pop(self.id, None)


# ------------------------------------------------------------------ backward hooks
class _HookJoin(Function):
    """The identity on a module's tensors x_1..x_k, as one node (torch's BackwardHookFunction):
    token = join(x_1, ..., x_k) is a zero-size array and each y_i = fork(token, x_i) = x_i.
    Backward: every fork files dL/dy_i with the shared ``link`` and sends the token a zero-size
    gradient, so the join runs once, after all of them, and hands the link's callback all k
    gradients at once (the callback's result is what flows on to x_1..x_k)."""

    def forward(self, *arrays: np.ndarray, link: _Link) -> np.ndarray:
        self.link = link
        return np.zeros(0)

    def backward(self, g: np.ndarray) -> tuple[Optional[np.ndarray], ...]:
        return self.link.release()


class _HookFork(Function):
    """y = x (a view), joined to the module's other tensors through the token:
    dL/dx is recorded on the link (see ``_HookJoin``); the token gets a zero-size gradient."""

    def forward(self, token: np.ndarray, x: np.ndarray, link: _Link, slot: int) -> np.ndarray:
        self.link, self.slot = link, slot
        return x.view()

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, None]:
        self.link.file(self.slot, g)
        return np.zeros(0), None


class _Link:
    """The gradients of one group of tensors, gathered by their forks for the join's callback."""

    __slots__ = ("grads", "callback")
    grads: _Grads
    callback: Callable[[_Grads], Iterable[Optional[np.ndarray]]]

    def __init__(self, n: int, callback: Callable[[_Grads], Iterable[Optional[np.ndarray]]]
                 ) -> None:
        self.grads, self.callback = [None] * n, callback

    def file(self, slot: int, grad: np.ndarray) -> None:
        previous = self.grads[slot]
        self.grads[slot] = grad if previous is None else previous + grad

    def release(self) -> tuple[Optional[np.ndarray], ...]:
        grads, self.grads = self.grads, [None] * len(self.grads)
        return tuple(self.callback(grads))


def _as_grad_array(value: Any, like: Tensor, what: str) -> Optional[np.ndarray]:
    """A hook's replacement gradient as an array shaped as ``like`` (None stays None)."""
    if value is None:
        return None
    array = value.array if isinstance(value, Tensor) else np.asarray(value)
    if array.shape != like.shape:
        raise RuntimeError(f"{what}: a backward hook returned a gradient of shape {array.shape} "
                           f"for a tensor of shape {tuple(like.shape)}")
    return array.astype(like.dtype, copy=False)


class _BackwardHook:
    """One forward's full backward hooks (torch's ``torch.utils.hooks.BackwardHook``): the
    module's positional tensor inputs and its outputs each pass through a join/fork identity
    group; the outputs' group records grad_output and runs the pre-hooks, the inputs' group
    runs the hooks with grad_input and grad_output."""

    input_index: Optional[list[int]]
    output_index: Optional[list[int]]
    inputs: Sequence[Tensor]
    outputs: Sequence[Tensor]

    def __init__(self, module: Module,
 hooks: list[Callable[..., Any]],
                 pre_hooks: list[Callable[..., Any]]) -> None:
        self.module, self.hooks, self.pre_hooks = module, hooks, pre_hooks
        self.grad_outputs: Optional[tuple[Any, ...]] = None
        self.n_inputs, self.input_index, self.inputs = -1, None, ()
        self.n_outputs, self.output_index, self.outputs = -1, None, ()

    @staticmethod
    def _wrap(values: tuple[Any, ...],
              callback: Callable[[_Grads, list[Tensor], list[int]], _Grads]
              ) -> tuple[tuple[Any, ...], Optional[list[int]], Sequence[Tensor]]:
        """(values with their tensors passed through one identity group, the tensors' indices and
        the tensors) or (values, None, ()) when none requires grad or recording is off."""
        index = [i for i, v in enumerate(values) if isinstance(v, Tensor)]
        tensors = [values[i] for i in index]
        if not (grad_mode.state.enabled and any(t.requires_grad for t in tensors)):
            return values, None, ()
        link = _Link(len(tensors), lambda grads: callback(grads, tensors, link_parents))
        link_parents = [k for k, t in enumerate(tensors) if t.requires_grad]
        token = _HookJoin.apply(*(tensors[k] for k in link_parents), link=link)
        new = list(values)
        for k in link_parents:
            new[index[k]] = _HookFork.apply(token, tensors[k].array, link=link, slot=k)
        # a named tuple is rebuilt field by field
        out = tuple(new) if type(values) is tuple else cast(Any, type(values))(*new)
        return out, index, tensors

    def setup_input_hook(self, args: tuple[Any, ...]) -> tuple[Any, ...]:
        """args with their tensors wrapped; the hooks run when their gradients are known."""
        out, self.input_index, self.inputs = self._wrap(args, self._on_input_grads)
        self.n_inputs = len(args)
        return out

    def setup_output_hook(self, result: Any) -> Any:
        """result (a Tensor or a tuple) with its tensors wrapped: their gradients are grad_output."""
        single = not isinstance(result, tuple)
        values = (result,) if single else result
        out, self.output_index, self.outputs = self._wrap(values, self._on_output_grads)
        self.n_outputs = len(values)
        return out[0] if single else out

    def _on_output_grads(self, grads: _Grads, tensors: list[Tensor], parents: list[int]
                         ) -> _Grads:
        assert self.output_index is not None  # set when the outputs were wrapped
        packed: list[Optional[Tensor]] = [None] * self.n_outputs
        for k, i in enumerate(self.output_index):
            grad = grads[k]
            if grad is not None:
                packed[i] = Tensor._wrap(grad)
        self.grad_outputs = tuple(packed)
        for hook in self.pre_hooks:
            out = hook(self.module, self.grad_outputs)
            if out is None:
                continue
            if len(out) != len(self.grad_outputs):
                raise RuntimeError("Backward pre hook returned an invalid number of grad_output, "
                                   f"got {len(out)}, but expected {len(self.grad_outputs)}")
            self.grad_outputs = tuple(out)
        local = self.grad_outputs
        output_index = self.output_index
        if self.input_index is None:
            warnings.warn("Full backward hook is firing when gradients are computed with respect "
                          "to module outputs since no inputs require gradients. See "
                          "https://docs.pytorch.org/docs/main/generated/torch.nn.Module.html"
                          "#torch.nn.Module.register_full_backward_hook for more details.",
                          stacklevel=2)
            grad_inputs = (None,) * self.n_inputs
            for hook in self.hooks:
                out = hook(self.module, grad_inputs, self.grad_outputs)
                if out is not None and not (isinstance(out, tuple)
                                            and all(g is None for g in out)):
                    raise RuntimeError("Backward hook for Modules where no input requires "
                                       "gradient should always return None or None for all "
                                       "gradients.")
            self.grad_outputs = None
        return [_as_grad_array(local[output_index[k]], tensors[k], "grad_output")
                for k in parents]

    def _on_input_grads(self, grads: _Grads, tensors: list[Tensor], parents: list[int]
                        ) -> _Grads:
        if self.grad_outputs is None:  # the gradient reached the inputs without the outputs
            return [grads[k] for k in parents]
        assert self.input_index is not None  # set when the inputs were wrapped
        input_index = self.input_index
        packed: list[Optional[Tensor]] = [None] * self.n_inputs
        for k, i in enumerate(input_index):  # a missing gradient is zeros, as in torch
            grad = grads[k]
            packed[i] = Tensor._wrap(grad if grad is not None else np.zeros_like(tensors[k].array))

        result = tuple(packed)
        for hook in self.hooks:
            out = hook(self.module, result, self.grad_outputs)
            if out is None:
                continue
            if len(out) != len(result):
                raise RuntimeError("Backward hook returned an invalid number of grad_input, "
                                   f"got {len(out)}, but expected {len(result)}")
            result = tuple(out)
        self.grad_outputs = None
        return [_as_grad_array(result[input_index[k]], tensors[k], "grad_input")
                for k in parents]


class _IncompatibleKeys(collections.namedtuple("IncompatibleKeys",
                                               ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict(strict=False)`` could not match, as in PyTorch."""

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


def _addindent(text: str, spaces: int) -> str:
    """Indent every line of ``text`` but the first (PyTorch's repr layout)."""
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    return lines[0] + "\n" + "\n".join(" " * spaces + line for line in lines[1:])


# A speed mechanism with a global effect. With CALL_FORWARD_DIRECTLY, every Module subclass
# that defines ``forward`` gets that function as its ``__call__`` when the class is made, so
# module(x) is one Python frame, not two (a small MLP's step is dominated by such frames).
# It must not apply to a class whose instances need the wrapper: the first forward hook (or
# backward hook) on any instance, or an instance's own ``forward`` attribute, switches the
# whole class to ``Module._call_with_hooks`` (``_call_through_wrapper``), which looks up
# ``self.forward`` and returns straight after it for instances without hooks: the other
# instances and the subclasses that inherit the class's __call__ then give the same results,
# a frame slower. Not seen: a ``forward`` replaced on the class after it was made (set it
# before, or turn the switch off before the class is defined: classes made while it is False
# keep ``Module.__call__``, which calls ``self.forward``).
CALL_FORWARD_DIRECTLY = True


def _call_through_wrapper(cls: type[Module]) -> None:
    """Make ``cls(...)`` instances' calls go through ``Module._call_with_hooks`` (for all of them
    and for the subclasses that inherit cls's ``__call__``)."""
    if cls.__call__ is not Module._call_with_hooks:
        setattr(cls, "__call__", Module._call_with_hooks)  # a method replaced on the class



class Module:
    """Base class for layers and models: subclass it, assign layers in ``__init__``,
    write ``forward``. Semantics and method names follow ``torch.nn.Module``.

    Example::

        class MLP(Module):
            def __init__(self):
                super().__init__()
                self.hidden = Linear(8, 64)
                self.out = Linear(64, 2)

            def forward(self, x):
                return self.out(F.relu(self.hidden(x)))
    """

    # (each instance's, set in __init__; declared here for type checkers only)
    training: bool
    _parameters: dict[str, Optional[Parameter]]
    _buffers: dict[str, Optional[Tensor]]
    _non_persistent_buffers: set[str]
    _modules: dict[str, Optional[Module]]

    def __init__(self) -> None:
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = {}
        d["_buffers"] = {}
        d["_non_persistent_buffers"] = set()
        d["_modules"] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # module(x) runs forward with no wrapper frame in between (CALL_FORWARD_DIRECTLY).
        if CALL_FORWARD_DIRECTLY and "forward" in cls.__dict__ and "__call__" not in cls.__dict__:
            setattr(cls, "__call__", cls.forward)  # a method replaced on the class

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The module's computation: ``module(*args)`` calls it. Every subclass defines it (this base
        version raises NotImplementedError).
        """
        raise NotImplementedError(f"{type(self).__name__} has no forward(); define it in the "
                                  "subclass")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # ------------------------------------------------------------ hooks
    def register_forward_pre_hook(self, hook: Callable[..., Any], *, prepend: bool = False,
                                  with_kwargs: bool = False) -> RemovableHandle:
        """Run ``hook(module, args)`` before every forward of this module (``args``: the
        positional inputs, a tuple); if it returns something other than None, that replaces
        the inputs (a tuple, or one value). With ``with_kwargs``: ``hook(module, args, kwargs)``,
        returning None or a pair (new_args, new_kwargs). ``prepend`` runs it before the hooks
        already registered. Returns a handle: ``handle.remove()`` takes it out.
        """
        return self._add_hook("_forward_pre_hooks", hook, "register_forward_pre_hook", prepend,
                              {"_forward_pre_hooks_with_kwargs": with_kwargs})

    def register_forward_hook(self, hook: Callable[..., Any], *, prepend: bool = False,
                              with_kwargs: bool = False, always_call: bool = False
                              ) -> RemovableHandle:
        """Run ``hook(module, args, output)`` after every forward of this module; if it returns
        something other than None, that replaces the output. With ``with_kwargs``:
        ``hook(module, args, kwargs, output)``. With ``always_call`` it runs even when forward
        raises (its own exception is then turned into a warning). ``prepend`` as
        ``register_forward_pre_hook``; returns a removable handle.
        """
        return self._add_hook("_forward_hooks", hook, "register_forward_hook", prepend,
                              {"_forward_hooks_with_kwargs": with_kwargs,
                               "_forward_hooks_always_called": always_call})

    def register_full_backward_pre_hook(self, hook: Callable[..., Any], prepend: bool = False
                                        ) -> RemovableHandle:
        """Run ``hook(module, grad_output)`` when the gradients of this module's outputs are known,
        before its inputs' gradients are computed: ``grad_output`` holds dL/d(output) for each
        output (None for a non-Tensor output or one without a gradient); a returned tuple of the
        same length replaces it. Returns a removable handle.
        """
        return self._add_hook("_backward_pre_hooks", hook, "register_full_backward_pre_hook",
                              prepend, {})

    def register_full_backward_hook(self, hook: Callable[..., Any], prepend: bool = False
                                    ) -> RemovableHandle:
        """Run ``hook(module, grad_input, grad_output)`` once the gradients of this module's
        positional inputs are known: grad_input[i] = dL/d(args[i]) (None for a non-Tensor
        argument; zeros for a Tensor the output does not depend on), grad_output as in
        ``register_full_backward_pre_hook``. A returned tuple of the same length replaces
        grad_input (what flows on to the inputs). If no input requires grad, the hook runs with
        grad_input all None when the outputs' gradients are known (with torch's warning).
        The inputs and outputs pass through identity nodes, so an in-place change of an output
        inside the graph is not detected. Returns a removable handle.
        """
        if self.__dict__.get("_is_full_backward_hook") is False:
            raise RuntimeError("Cannot use both regular backward hooks and full backward hooks "
                               "on a single Module. Please use only one of them.")
        self.__dict__["_is_full_backward_hook"] = True
        return self._add_hook("_backward_hooks", hook, "register_full_backward_hook", prepend,
                              {})

    def register_backward_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """Deprecated in torch in favour of ``register_full_backward_hook``; gradsheet runs
        ``hook(module, grad_input, grad_output)`` with the full hook's arguments (torch's old
        hook sees the inputs of the module's last autograd node instead).
        """
        if self.__dict__.get("_is_full_backward_hook") is True:
            raise RuntimeError("Cannot use both regular backward hooks and full backward hooks "
                               "on a single Module. Please use only one of them.")
        self.__dict__["_is_full_backward_hook"] = False
        return self._add_hook("_backward_hooks", hook, "register_backward_hook", False, {})

    def _add_hook(self, key: str, hook: Callable[..., Any], owner: str, prepend: bool,
                  flags: dict[str, bool]) -> RemovableHandle:
        """Add ``hook`` to this module's hooks under ``key`` (an OrderedDict, first run first) and
        its id to each flag set in ``flags`` that is true. Module classes call ``forward``
        directly (no wrapper frame); the class of a module that gets a hook switches, for all
        its instances, to ``_call_with_hooks``, which costs them a frame and two lookups."""
        hooks = getattr(self, key)
        extra = [getattr(self, flag) for flag in flags]
        handle = _HookHandle(hooks, add_hook(hooks, hook, owner).id, extra)
        for flag_dict, on in zip(extra, flags.values()):
            if on:
                flag_dict[handle.id] = True
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        _call_through_wrapper(type(self))
        return handle

    def __getattr__(self, name: str) -> Any:
        # only reached when normal lookup fails: the hook registries are made on first use
        if name in _HOOK_REGISTRIES and "_parameters" in self.__dict__:
            registry = self.__dict__[name] = collections.OrderedDict()
            return registry
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def _call_with_hooks(self, *args: Any, **kwargs: Any) -> Any:
        """module(*args, **kwargs) as torch's ``Module._call_impl``: forward pre-hooks, the
        backward hooks' identity nodes on the inputs, forward, forward hooks, the identity nodes
        on the outputs (each kind in registration order)."""
        d = self.__dict__
        pre_hooks, hooks = d.get("_forward_pre_hooks"), d.get("_forward_hooks")
        backward_hooks, backward_pre_hooks = d.get("_backward_hooks"), d.get("_backward_pre_hooks")
        if not (pre_hooks or hooks or backward_hooks or backward_pre_hooks):
            return self.forward(*args, **kwargs)
        result = None
        called: set[int] = set()
        try:
            if pre_hooks:
                with_kwargs = d.get("_forward_pre_hooks_with_kwargs", {})
                for hook_id, hook in list(pre_hooks.items()):
                    if hook_id in with_kwargs:
                        out = hook(self, args, kwargs)
                        if out is not None:
                            if not (isinstance(out, tuple) and len(out) == 2):
                                raise RuntimeError("forward pre-hook must return None or a tuple "
                                                   f"of (new_args, new_kwargs), but got {out}.")
                            args, kwargs = out
                    else:
                        out = hook(self, args)
                        if out is not None:
                            args = out if isinstance(out, tuple) else (out,)
            backward: Optional[_BackwardHook] = None
            if backward_hooks or backward_pre_hooks:
                backward = _BackwardHook(self, list((backward_hooks or {}).values()),
                                         list((backward_pre_hooks or {}).values()))
                args = backward.setup_input_hook(args)
            result = self.forward(*args, **kwargs)
            if hooks:
                with_kwargs = d.get("_forward_hooks_with_kwargs", {})
                always = d.get("_forward_hooks_always_called", {})
                for hook_id, hook in list(hooks.items()):
                    if hook_id in always:
                        called.add(hook_id)
                    out = (hook(self, args, kwargs, result) if hook_id in with_kwargs
                           else hook(self, args, result))
                    if out is not None:
                        result = out
            if backward is not None:
                if not isinstance(result, (Tensor, tuple)):
                    warnings.warn("For backward hooks to be called, module output should be a "
                                  "Tensor or a tuple of Tensors but received "
                                  f"{type(result)}", stacklevel=2)
                result = backward.setup_output_hook(result)
            return result
        except Exception:
            always = d.get("_forward_hooks_always_called", {})
            with_kwargs = d.get("_forward_hooks_with_kwargs", {})
            for hook_id, hook in list((hooks or {}).items()):
                if hook_id not in always or hook_id in called:
                    continue
                try:
                    out = (hook(self, args, kwargs, result) if hook_id in with_kwargs
                           else hook(self, args, result))
                    if out is not None:
                        result = out
                except Exception as error:  # noqa: BLE001 (torch silences it too)
                    warnings.warn("module forward hook with ``always_call=True`` raised an "
                                  "exception that was silenced as another error was raised in "
                                  f"forward: {error}", stacklevel=2)
            raise

    # ------------------------------------------------------------ registration
    def _registry(self, key: str, name: str, kind: str) -> dict[str, Any]:
        registry = self.__dict__.get(key)
        if registry is None:
            raise AttributeError(f"cannot assign {kind} '{name}' before Module.__init__() call: "
                                 f"call super().__init__() first in {type(self).__name__}.__init__")
        return registry

    def _check_name(self, name: str, kind: str, registry: Mapping[str, Any]) -> None:
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string, got {type(name).__name__}")
        if name == "" or "." in name:
            raise KeyError(f"{kind} name must be non-empty and contain no '.', got {name!r}")
        if hasattr(self, name) and name not in registry:
            raise KeyError(f"attribute '{name}' already exists on {type(self).__name__}; "
                           f"cannot register a {kind} under that name")

    def _forget(self, name: str, keep: Optional[str] = None) -> None:
        """Drop ``name`` from ``__dict__`` and every registry but ``keep`` (whose entry is
        about to be overwritten in place, so the child keeps its position)."""
        d = self.__dict__
        d.pop(name, None)
        for key in ("_parameters", "_modules", "_buffers"):
            if key != keep:
                d[key].pop(name, None)
        if keep != "_buffers":
            d["_non_persistent_buffers"].discard(name)

    def register_parameter(self, name: str, param: Optional[Parameter]) -> None:
        """Add ``param`` (a Parameter, or None for an absent one such as ``bias=False``)."""
        parameters = self._registry("_parameters", name, "parameter")
        self._check_name(name, "parameter", parameters)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{type(param).__name__}' object to parameter "
                            f"'{name}' (gradsheet.nn.Parameter or None required)")
        parameters[name] = param
        self.__dict__[name] = param

    def register_buffer(self, name: str, tensor: Optional[Tensor], persistent: bool = True
                        ) -> None:
        """Add a buffer: a Tensor saved in ``state_dict`` (if ``persistent``) but not trained."""
        buffers = self._registry("_buffers", name, "buffer")
        self._check_name(name, "buffer", buffers)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' "
                            "(gradsheet.Tensor or None required)")
        buffers[name] = tensor
        if persistent:
            self.__dict__["_non_persistent_buffers"].discard(name)
        else:
            self.__dict__["_non_persistent_buffers"].add(name)
        self.__dict__[name] = tensor

    def add_module(self, name: str, module: Optional[Module]) -> None:
        """Add a child module (or None, a placeholder) under ``name``."""
        modules = self._registry("_modules", name, "module")
        self._check_name(name, "module", modules)
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        modules[name] = module
        self.__dict__[name] = module

    register_module = add_module

    def __setattr__(self, name: str, value: Any) -> None:
        d = self.__dict__
        if isinstance(value, Parameter):
            self._registry("_parameters", name, "parameter")
            self._forget(name, keep="_parameters")
            self.register_parameter(name, value)
        elif isinstance(value, Module):
            self._registry("_modules", name, "module")
            self._forget(name, keep="_modules")
            self.add_module(name, value)
        elif name in d.get("_parameters", ()):
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                                "(gradsheet.nn.Parameter or None expected)")
            self.register_parameter(name, None)
        elif name in d.get("_modules", ()):
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as child module "
                                f"'{name}' (gradsheet.nn.Module or None expected)")
            self.add_module(name, None)
        elif name in d.get("_buffers", ()):
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{type(value).__name__}' as buffer '{name}' "
                                "(gradsheet.Tensor or None expected)")
            d["_buffers"][name] = value
            d[name] = value
        else:
            if name == "forward":  # an instance's own forward: module(x) must look it up
                _call_through_wrapper(type(self))
            object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        d = self.__dict__
        if any(name in d.get(key, ()) for key in ("_parameters", "_buffers", "_modules")):
            self._forget(name)
        else:
            object.__delattr__(self, name)

    # ------------------------------------------------------------ traversal
    def named_modules(self, memo: Optional[set[Module]] = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Module]]:
        """(name, module) for this module and every descendant, depth first, each once."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if self in memo:
                return
            memo.add(self)
        yield prefix, self
        for name, module in self._modules.items():
            if module is not None:
                child_prefix = prefix + ("." if prefix else "") + name
                yield from module.named_modules(memo, child_prefix, remove_duplicate)

    def modules(self) -> Iterator[Module]:
        """Every module of the tree, this one first, depth first, each once."""
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """(name, module) for the direct children, each module once."""
        seen: set[Module] = set()
        for name, module in self._modules.items():
            if module is not None and module not in seen:
                seen.add(module)
                yield name, module

    def children(self) -> Iterator[Module]:
        """The direct child modules, each once."""
        for _, module in self.named_children():
            yield module

    def _named_members(self, registry: str, prefix: str, recurse: bool, remove_duplicate: bool
                       ) -> Iterator[tuple[str, Any]]:
        modules: Iterable[tuple[str, Module]] = (
            self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
            if recurse else [(prefix, self)])
        seen: set[Any] = set()
        for module_prefix, module in modules:
            for name, value in module.__dict__[registry].items():
                if value is None or (remove_duplicate and value in seen):
                    continue
                seen.add(value)
                yield module_prefix + ("." if module_prefix else "") + name, value

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, Parameter) in registration order, depth first; shared ones once."""
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Every Parameter of this module (and of its descendants when ``recurse``), shared ones
        once: what an optimiser is given.
        """
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        """(dotted name, buffer) for every buffer, depth first, shared ones once (as
        ``named_parameters``).
        """
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """Every buffer (state saved but not trained, such as BatchNorm's running mean)."""
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    def get_submodule(self, target: str) -> Module:
        """The descendant at dotted path ``target`` ('' is this module)."""
        module = self
        for part in target.split(".") if target else ():
            child = module._modules.get(part)
            if child is None:
                raise AttributeError(f"get_submodule: {type(module).__name__} has no submodule "
                                     f"'{part}' (in path '{target}')")
            module = child
        return module

    def get_parameter(self, target: str) -> Parameter:
        """The Parameter at dotted path ``target`` ('0.weight'), as torch: AttributeError if the
        module has no such attribute or it is not a Parameter."""
        module_path, _, name = target.rpartition(".")
        module = self.get_submodule(module_path)
        if not hasattr(module, name):
            raise AttributeError(f"get_parameter: {module._get_name()} has no attribute `{name}` "
                                 f"(in path '{target}')")
        param = module._parameters.get(name)
        if param is None:
            raise AttributeError(f"get_parameter: `{name}` is not an nn.Parameter (in path "
                                 f"'{target}')")
        return param

    def get_buffer(self, target: str) -> Tensor:
        """The buffer at dotted path ``target`` ('1.running_mean'), as torch: AttributeError if the
        module has no such attribute or it is not a buffer."""
        module_path, _, name = target.rpartition(".")
        module = self.get_submodule(module_path)
        if not hasattr(module, name):
            raise AttributeError(f"get_buffer: {module._get_name()} has no attribute `{name}` "
                                 f"(in path '{target}')")
        if name not in module._buffers:
            raise AttributeError(f"get_buffer: `{name}` is not a buffer (in path '{target}')")
        # (None for a buffer registered as None, as torch's get_buffer, typed Tensor there too)
        return cast(Tensor, module._buffers[name])

    def __dir__(self) -> list[str]:
        # torch's: the class's and instance's attributes and the registered names, without those
        # that are not identifiers ('0', '1' of a Sequential)
        keys = set(dir(type(self))) | set(self.__dict__)
        for key in ("_parameters", "_modules", "_buffers"):
            keys |= set(self.__dict__.get(key, ()))
        return sorted(key for key in keys if not key[:1].isdigit())

    def apply(self, fn: Callable[[Module], None]) -> Self:
        """Call ``fn(m)`` on every descendant, children first, then on this module."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------ modes and gradients
    def train(self, mode: bool = True) -> Self:
        """Set training mode (Dropout drops, BatchNorm uses batch statistics) on the whole tree."""
        if not isinstance(mode, bool):  # torch raises ValueError here too
            raise ValueError(f"train: mode must be a bool, got {mode!r} (training "  # noqa: TRY004
                             "mode is expected to be boolean)")
        self.training = mode
        for module in self.children():
            module.train(mode)
        return self

    def eval(self) -> Self:
        """Inference mode: ``train(False)``."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Self:
        """Turn gradient recording for every parameter on or off (e.g. to freeze a model)."""
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset every parameter's ``.grad``: to None (default) or to zeros in place."""
        for param in self.parameters():
            if set_to_none:
                param.grad = None
            elif param.grad is not None:
                param.grad.array[...] = 0

    # ------------------------------------------------------------ dtype
    def to(self, *args: Any, device: Optional[DeviceLike] = None, dtype: Optional[DType] = None,
           non_blocking: bool = False) -> Self:
        """Convert every floating parameter and buffer (and gradient) to ``dtype`` in place, as
        PyTorch's ``Module.to``: ``to(dtype)``, ``to(device)``, ``to(device, dtype)``,
        ``to(tensor)``; returns self. The Parameter objects stay the same, so an optimiser
        built earlier keeps working. The CPU is gradsheet's only device (another raises).
        """
        device, dtype = devices.to_arguments(args, device, dtype)
        devices.check(device, f"{type(self).__name__}.to")
        if dtype is None:
            return self
        target = backend.as_dtype(dtype)
        if target.kind != "f":
            raise TypeError(f"Module.to: expected a floating dtype, got {target}")
        for tensor in list(self.parameters()) + list(self.buffers()):
            if tensor.array.dtype.kind == "f":
                tensor.array = tensor.array.astype(target, copy=False)
                if tensor.grad is not None:
                    tensor.grad.array = tensor.grad.array.astype(target, copy=False)
        return self

    def cpu(self) -> Self:
        """self: gradsheet's modules live on the CPU."""
        return self

    def cuda(self, device: Optional[DeviceLike] = None) -> Self:
        """Raises: gradsheet has no CUDA device (``gs.cuda.is_available()`` is False); a device
        that is not a CUDA one (``module.cuda("cpu")``) is refused, as torch refuses it for a
        module with parameters (it returned None)."""
        wanted = devices.device("cuda" if device is None else device)
        if wanted.type != "cuda":
            raise RuntimeError(f"{type(self).__name__}.cuda: invalid device {str(wanted)!r}, "
                               "must be a cuda device (as torch's module.cuda)")
        devices.unavailable(wanted, f"{type(self).__name__}.cuda")


    def type(self, dst_type: DType) -> Self:
        """Convert every parameter and buffer (integer ones too, as torch) to ``dst_type``, in
        place: a dtype or a type name such as 'torch.DoubleTensor'; returns self."""
        from ..ops.conversion import TYPE_NAMES
        if isinstance(dst_type, str) and dst_type.startswith("torch."):
            names = {name: dtype for dtype, name in TYPE_NAMES.items()}
            if dst_type not in names:
                raise TypeError(f"Module.type: unknown type name {dst_type!r}; expected one of "
                                f"{sorted(names)} or a dtype")
            dst_type = names[dst_type]
        dtype = backend.as_dtype(dst_type)
        for tensor in list(self.parameters()) + list(self.buffers()):
            tensor.array = tensor.array.astype(dtype, copy=False)
            if tensor.grad is not None:
                tensor.grad.array = tensor.grad.array.astype(dtype, copy=False)
        return self

    def bfloat16(self) -> Self:
        """Raises TypeError: NumPy, and so gradsheet, has no bfloat16 dtype (use half() or
        float())."""
        raise TypeError(f"{type(self).__name__}.bfloat16: NumPy has no bfloat16 type, so "
                        "gradsheet cannot hold bfloat16 parameters; use .float() (or .half() to "
                        "save memory)")

    def share_memory(self) -> Self:
        """self: gradsheet's arrays are ordinary process memory (torch moves them to shared
        memory for multiprocessing)."""
        return self

    def half(self) -> Self:
        """Convert every floating parameter and buffer to float16 in place; returns self."""
        return self.to(np.float16)

    def double(self) -> Self:
        """Convert every floating parameter and buffer to float64 in place; returns self."""
        return self.to(np.float64)

    def float(self) -> Self:
        """Convert every floating parameter and buffer to float32 in place; returns self."""
        return self.to(np.float32)

    # ------------------------------------------------------------ state dict
    def _state_items(self) -> Iterator[tuple[str, Tensor]]:
        """This module's own (name, tensor) entries of the state dict, parameters first."""
        for name, param in self._parameters.items():
            if param is not None:
                yield name, param
        skip = self._non_persistent_buffers
        for name, buffer in self._buffers.items():
            if buffer is not None and name not in skip:
                yield name, buffer

    def state_dict(self, destination: Optional[dict[str, Any]] = None, prefix: str = "",
                   keep_vars: bool = False) -> dict[str, Any]:
        """An ordered dict from dotted names ('0.weight', 'encoder.bias') to Tensors.

        Order as in PyTorch: a module's parameters, then its persistent buffers, then each
        child's entries. Values share memory with the model (detached) unless ``keep_vars``.
        """
        if destination is None:
            destination = collections.OrderedDict()
        for name, tensor in self._state_items():
            destination[prefix + name] = tensor if keep_vars else tensor.detach()
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination, prefix + name + ".", keep_vars)
        return destination

    def _state_targets(self) -> dict[str, Tensor]:
        """Every (key, tensor) that ``state_dict`` holds, tensors themselves, not detached."""
        return {prefix + ("." if prefix else "") + name: tensor
                for prefix, module in self.named_modules(remove_duplicate=False)
                for name, tensor in module._state_items()}

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True,
                        assign: bool = False) -> _IncompatibleKeys:
        """Copy ``state_dict``'s values into the parameters and buffers, in place.

        Values may be Tensors, NumPy arrays or anything ``np.asarray`` takes (such as
        CPU torch tensors). Every key is checked before anything is copied, so a failed
        load changes nothing. Raises RuntimeError listing every missing key, unexpected key
        (only when ``strict``) and shape mismatch. Returns the namedtuple
        ``_IncompatibleKeys(missing_keys, unexpected_keys)`` (both empty after a strict load).
        With ``assign`` the state dict's tensors themselves (their arrays, dtype kept) become
        the parameters and buffers instead of being copied into them; a parameter stays a
        Parameter with its requires_grad, as in torch.
        """
        if not isinstance(state_dict, collections.abc.Mapping):
            raise TypeError(f"load_state_dict: Expected state_dict to be dict-like, got "
                            f"{type(state_dict)}.")
        targets = self._state_targets()
        missing = [key for key in targets if key not in state_dict]
        unexpected = [key for key in state_dict if key not in targets]
        problems: list[str] = []
        arrays: dict[str, np.ndarray] = {}
        for key, tensor in targets.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            array = value.array if isinstance(value, Tensor) else _as_array(value)
            if array is None:
                problems.append(f"while copying '{key}': expected a Tensor or array, got "
                                f"{type(value).__name__}")
            elif array.shape != tensor.array.shape:
                problems.append(f"size mismatch for {key}: expected shape "
                                f"{tuple(tensor.array.shape)} (the model's), got "
                                f"{tuple(array.shape)} from the state_dict")
            else:
                arrays[key] = array
        if strict:
            if unexpected:
                problems.insert(0, "Unexpected key(s) in state_dict: "
                                + ", ".join(f'"{k}"' for k in unexpected) + ".")
            if missing:
                problems.insert(0, "Missing key(s) in state_dict: "
                                + ", ".join(f'"{k}"' for k in missing) + ".")
        if problems:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__} "
                               "(nothing was copied):\n\t" + "\n\t".join(problems))
        if assign:
            self._assign_state(arrays, state_dict)
        else:
            for key, array in arrays.items():
                targets[key].array[...] = array
        return _IncompatibleKeys(missing, unexpected)

    def _assign_state(self, arrays: dict[str, np.ndarray], state_dict: Mapping[str, Any]
                      ) -> None:
        """load_state_dict(assign=True): each matched entry replaces the module's tensor."""
        for prefix, module in self.named_modules(remove_duplicate=False):
            for name, tensor in list(module._state_items()):
                key = prefix + ("." if prefix else "") + name
                if key not in arrays:
                    continue
                value = state_dict[key]
                if isinstance(tensor, Parameter):
                    if not isinstance(value, Parameter):
                        value = Parameter(arrays[key], requires_grad=tensor.requires_grad)
                    else:
                        value.requires_grad_(tensor.requires_grad)
                    module.register_parameter(name, value)
                else:
                    if not isinstance(value, Tensor):
                        value = Tensor._wrap(arrays[key])
                    module._buffers[name] = value
                    module.__dict__[name] = value

    # ------------------------------------------------------------ printing
    def extra_repr(self) -> str:
        """The text inside this module's parentheses, e.g. 'in_features=8, out_features=64'."""
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({name}): " + _addindent(repr(module), 2)
                       for name, module in self._modules.items()]
        lines = extra_lines + child_lines
        body = ""
        if len(extra_lines) == 1 and not child_lines:
            body = extra_lines[0]
        elif lines:
            body = "\n  " + "\n  ".join(lines) + "\n"
        return self._get_name() + "(" + body + ")"


def _as_array(value: Any) -> Optional[np.ndarray]:

    """``value`` as an ndarray of numbers, or None when it is not array-like."""
    if not (isinstance(value, np.ndarray) or hasattr(value, "__array__")):
        return None
    array = np.asarray(value)
    return array if array.dtype.kind in "biuf" else None
