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
one Python frame, not two (a class whose instance gets a forward hook switches
to a wrapper that runs the hooks). All writes go through ``__setattr__``,
``__delattr__`` and the ``register_*`` methods, which keep the two views equal.
"""
import collections

import numpy as np

from .. import backend
from .. import devices
from ..autograd.hooks import add_hook
from ..autograd.tensor import Tensor
from .parameter import Parameter


class _IncompatibleKeys(collections.namedtuple("IncompatibleKeys",
                                               ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict(strict=False)`` could not match, as in PyTorch."""

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


def _addindent(text, spaces):
    """Indent every line of ``text`` but the first (PyTorch's repr layout)."""
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    return lines[0] + "\n" + "\n".join(" " * spaces + line for line in lines[1:])


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

    def __init__(self):
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = {}
        d["_buffers"] = {}
        d["_non_persistent_buffers"] = set()
        d["_modules"] = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # module(x) runs forward with no wrapper frame in between (see the module docstring).
        if "forward" in cls.__dict__ and "__call__" not in cls.__dict__:
            cls.__call__ = cls.forward

    def forward(self, *args, **kwargs):
        """The module's computation: ``module(*args)`` calls it. Every subclass defines it (this base
        version raises NotImplementedError).
        """
        raise NotImplementedError(f"{type(self).__name__} has no forward(); define it in the "
                                  "subclass")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    # ------------------------------------------------------------ hooks
    def register_forward_pre_hook(self, hook):
        """Run ``hook(module, args)`` before every forward of this module (``args``: the
        positional inputs, a tuple); if it returns something other than None, that replaces
        the inputs (a tuple, or one value). Returns a handle: ``handle.remove()`` takes it out.
        """
        return self._add_forward_hook("_forward_pre_hooks", hook, "register_forward_pre_hook")

    def register_forward_hook(self, hook):
        """Run ``hook(module, args, output)`` after every forward of this module; if it returns
        something other than None, that replaces the output. Returns a handle, as
        ``register_forward_pre_hook``.
        """
        return self._add_forward_hook("_forward_hooks", hook, "register_forward_hook")

    def _add_forward_hook(self, key, hook, owner):
        """Add ``hook`` to this module's hooks under ``key``. Module classes call ``forward``
        directly (no wrapper frame); the class of a module that gets a hook switches, for all
        its instances, to ``_call_with_hooks``, which costs them a frame and two lookups."""
        handle = add_hook(self.__dict__.setdefault(key, {}), hook, owner)
        cls = type(self)
        if cls.__call__ is not Module._call_with_hooks:
            cls.__call__ = Module._call_with_hooks
        return handle

    def _call_with_hooks(self, *args, **kwargs):
        """module(*args, **kwargs) as forward between the module's forward pre-hooks and hooks
        (each in registration order)."""
        d = self.__dict__
        for hook in list(d.get("_forward_pre_hooks", {}).values()):
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        output = self.forward(*args, **kwargs)
        for hook in list(d.get("_forward_hooks", {}).values()):
            result = hook(self, args, output)
            if result is not None:
                output = result
        return output

    # ------------------------------------------------------------ registration
    def _registry(self, key, name, kind):
        registry = self.__dict__.get(key)
        if registry is None:
            raise AttributeError(f"cannot assign {kind} '{name}' before Module.__init__() call: "
                                 f"call super().__init__() first in {type(self).__name__}.__init__")
        return registry

    def _check_name(self, name, kind, registry):
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string, got {type(name).__name__}")
        if name == "" or "." in name:
            raise KeyError(f"{kind} name must be non-empty and contain no '.', got {name!r}")
        if hasattr(self, name) and name not in registry:
            raise KeyError(f"attribute '{name}' already exists on {type(self).__name__}; "
                           f"cannot register a {kind} under that name")

    def _forget(self, name, keep=None):
        """Drop ``name`` from ``__dict__`` and every registry but ``keep`` (whose entry is
        about to be overwritten in place, so the child keeps its position)."""
        d = self.__dict__
        d.pop(name, None)
        for key in ("_parameters", "_modules", "_buffers"):
            if key != keep:
                d[key].pop(name, None)
        if keep != "_buffers":
            d["_non_persistent_buffers"].discard(name)

    def register_parameter(self, name, param):
        """Add ``param`` (a Parameter, or None for an absent one such as ``bias=False``)."""
        parameters = self._registry("_parameters", name, "parameter")
        self._check_name(name, "parameter", parameters)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{type(param).__name__}' object to parameter "
                            f"'{name}' (gradsheet.nn.Parameter or None required)")
        parameters[name] = param
        self.__dict__[name] = param

    def register_buffer(self, name, tensor, persistent=True):
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

    def add_module(self, name, module):
        """Add a child module (or None, a placeholder) under ``name``."""
        modules = self._registry("_modules", name, "module")
        self._check_name(name, "module", modules)
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        modules[name] = module
        self.__dict__[name] = module

    register_module = add_module

    def __setattr__(self, name, value):
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
            object.__setattr__(self, name, value)

    def __delattr__(self, name):
        d = self.__dict__
        if any(name in d.get(key, ()) for key in ("_parameters", "_buffers", "_modules")):
            self._forget(name)
        else:
            object.__delattr__(self, name)

    # ------------------------------------------------------------ traversal
    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
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

    def modules(self):
        """Every module of the tree, this one first, depth first, each once."""
        for _, module in self.named_modules():
            yield module

    def named_children(self):
        """(name, module) for the direct children, each module once."""
        seen = set()
        for name, module in self._modules.items():
            if module is not None and module not in seen:
                seen.add(module)
                yield name, module

    def children(self):
        """The direct child modules, each once."""
        for _, module in self.named_children():
            yield module

    def _named_members(self, registry, prefix, recurse, remove_duplicate):
        modules = (self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
                   if recurse else [(prefix, self)])
        seen = set()
        for module_prefix, module in modules:
            for name, value in module.__dict__[registry].items():
                if value is None or (remove_duplicate and value in seen):
                    continue
                seen.add(value)
                yield module_prefix + ("." if module_prefix else "") + name, value

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """(dotted name, Parameter) in registration order, depth first; shared ones once."""
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse=True):
        """Every Parameter of this module (and of its descendants when ``recurse``), shared ones
        once: what an optimiser is given.
        """
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        """(dotted name, buffer) for every buffer, depth first, shared ones once (as
        ``named_parameters``).
        """
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse=True):
        """Every buffer (state saved but not trained, such as BatchNorm's running mean)."""
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    def get_submodule(self, target):
        """The descendant at dotted path ``target`` ('' is this module)."""
        module = self
        for part in target.split(".") if target else ():
            child = module._modules.get(part)
            if child is None:
                raise AttributeError(f"get_submodule: {type(module).__name__} has no submodule "
                                     f"'{part}' (in path '{target}')")
            module = child
        return module

    def apply(self, fn):
        """Call ``fn(m)`` on every descendant, children first, then on this module."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------ modes and gradients
    def train(self, mode=True):
        """Set training mode (Dropout drops, BatchNorm uses batch statistics) on the whole tree."""
        if not isinstance(mode, bool):  # torch raises ValueError here too
            raise ValueError(f"train: mode must be a bool, got {mode!r}")  # noqa: TRY004
        self.training = mode
        for module in self.children():
            module.train(mode)
        return self

    def eval(self):
        """Inference mode: ``train(False)``."""
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        """Turn gradient recording for every parameter on or off (e.g. to freeze a model)."""
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        """Reset every parameter's ``.grad``: to None (default) or to zeros in place."""
        for param in self.parameters():
            if set_to_none:
                param.grad = None
            elif param.grad is not None:
                param.grad.array[...] = 0

    # ------------------------------------------------------------ dtype
    def to(self, *args, device=None, dtype=None, non_blocking=False):
        """Convert every floating parameter and buffer (and gradient) to ``dtype`` in place, as
        PyTorch's ``Module.to``: ``to(dtype)``, ``to(device)``, ``to(device, dtype)``,
        ``to(tensor)``; returns self. The Parameter objects stay the same, so an optimiser
        built earlier keeps working. The CPU is gradsheet's only device (another raises).
        """
        device, dtype = devices.to_arguments(args, device, dtype)
        devices.check(device, f"{type(self).__name__}.to")
        if dtype is None:
            return self
        dtype = backend.as_dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"Module.to: expected a floating dtype, got {dtype}")
        for tensor in list(self.parameters()) + list(self.buffers()):
            if tensor.array.dtype.kind == "f":
                tensor.array = tensor.array.astype(dtype, copy=False)
                if tensor.grad is not None:
                    tensor.grad.array = tensor.grad.array.astype(dtype, copy=False)
        return self

    def cpu(self):
        """self: gradsheet's modules live on the CPU."""
        return self

    def cuda(self, device=None):
        """Raises: gradsheet has no CUDA device (``gs.cuda.is_available()`` is False)."""
        devices.check("cuda" if device is None else device, f"{type(self).__name__}.cuda")

    def type(self, dst_type):
        """Convert every floating parameter and buffer to ``dst_type`` (``to(dst_type)``)."""
        return self.to(dst_type)

    def half(self):
        """Convert every floating parameter and buffer to float16 in place; returns self."""
        return self.to(np.float16)

    def double(self):
        """Convert every floating parameter and buffer to float64 in place; returns self."""
        return self.to(np.float64)

    def float(self):
        """Convert every floating parameter and buffer to float32 in place; returns self."""
        return self.to(np.float32)

    # ------------------------------------------------------------ state dict
    def _state_items(self):
        """This module's own (name, tensor) entries of the state dict, parameters first."""
        for name, param in self._parameters.items():
            if param is not None:
                yield name, param
        skip = self._non_persistent_buffers
        for name, buffer in self._buffers.items():
            if buffer is not None and name not in skip:
                yield name, buffer

    def state_dict(self, destination=None, prefix="", keep_vars=False):
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

    def _state_targets(self):
        """Every (key, tensor) that ``state_dict`` holds, tensors themselves, not detached."""
        return {prefix + ("." if prefix else "") + name: tensor
                for prefix, module in self.named_modules(remove_duplicate=False)
                for name, tensor in module._state_items()}

    def load_state_dict(self, state_dict, strict=True):
        """Copy ``state_dict``'s values into the parameters and buffers, in place.

        Values may be Tensors, NumPy arrays or anything ``np.asarray`` takes (such as
        CPU torch tensors). Every key is checked before anything is copied, so a failed
        load changes nothing. Raises RuntimeError listing every missing key, unexpected key
        (only when ``strict``) and shape mismatch; with ``strict=False`` returns
        ``(missing_keys, unexpected_keys)``.
        """
        targets = self._state_targets()
        missing = [key for key in targets if key not in state_dict]
        unexpected = [key for key in state_dict if key not in targets]
        problems, arrays = [], {}
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
        for key, array in arrays.items():
            targets[key].array[...] = array
        return _IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------ printing
    def extra_repr(self):
        """The text inside this module's parentheses, e.g. 'in_features=8, out_features=64'."""
        return ""

    def _get_name(self):
        return type(self).__name__

    def __repr__(self):
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


def _as_array(value):
    """``value`` as an ndarray of numbers, or None when it is not array-like."""
    if not (isinstance(value, np.ndarray) or hasattr(value, "__array__")):
        return None
    array = np.asarray(value)
    return array if array.dtype.kind in "biuf" else None
