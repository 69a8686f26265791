"""Containers: Sequential (a chain y = f_n(...f_2(f_1(x)))), ModuleList and ModuleDict.

Their children are named '0', '1', ... (ModuleDict: by key), so parameter
names read '0.weight', '2.bias' exactly as in PyTorch.

(To a type checker each child is a Module, as in torch's annotations: a None placeholder, from
``add_module(name, None)``, is handed back as it is, hence the casts.)
"""
from __future__ import annotations

import collections
import operator
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Optional, SupportsIndex, Union, cast, overload

from .module import Module, _addindent

if TYPE_CHECKING:
    from typing import Self  # (Python 3.11; gradsheet runs on 3.10: read by checkers only)


class _IndexedModules(Module):
    """What Sequential and ModuleList share: children named '0'..'n-1', list-like access."""

    def __init__(self, modules: Iterable[Module] = ()) -> None:
        super().__init__()
        for module in modules:
            self.append(module)

    def _key(self, idx: SupportsIndex) -> str:
        """The name of the child at position ``idx`` (negative counts from the end)."""
        try:
            position = operator.index(idx)
        except TypeError:
            raise TypeError(f"{type(self).__name__}: indices must be integers or slices, "
                            f"got {type(idx).__name__}") from None
        names = list(self._modules)
        if not -len(names) <= position < len(names):
            raise IndexError(f"{type(self).__name__}: index {position} is out of range for "
                             f"{len(names)} modules")
        return names[position]

    def _renumber(self, modules: Iterable[Optional[Module]]) -> None:
        """Replace every child by ``modules``, named '0', '1', ... again."""
        for name in list(self._modules):
            self._forget(name)
        for i, module in enumerate(modules):
            self.add_module(str(i), module)

    @overload
    def __getitem__(self, idx: slice) -> Self: ...

    @overload
    def __getitem__(self, idx: SupportsIndex) -> Module: ...

    def __getitem__(self, idx: Union[SupportsIndex, slice]) -> Union[Module, Self]:
        if isinstance(idx, slice):
            return type(self)(cast("list[Module]", list(self._modules.values())[idx]))
        return cast(Module, self._modules[self._key(idx)])

    def __setitem__(self, idx: SupportsIndex, module: Module) -> None:
        self.add_module(self._key(idx), module)

    def __delitem__(self, idx: Union[SupportsIndex, slice]) -> None:
        modules = list(self._modules.values())
        if isinstance(idx, slice):
            del modules[idx]
        else:
            self._key(idx)  # an IndexError naming the size when out of range
            del modules[idx]
        self._renumber(modules)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(cast("Iterable[Module]", self._modules.values()))

    def append(self, module: Module) -> Self:
        self.add_module(str(len(self._modules)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> Self:
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> None:
        modules = list(self._modules.values())
        modules.insert(index, module)
        self._renumber(modules)

    def pop(self, idx: SupportsIndex = -1) -> Module:
        module = self[idx]
        del self[idx]
        return module

    def __iadd__(self, modules: Iterable[Module]) -> Self:
        return self.extend(modules)

    def __dir__(self) -> list[str]:
        return [key for key in super().__dir__() if not key.isdigit()]


class Sequential(_IndexedModules):
    """Apply the modules in order: y = f_n(...f_2(f_1(x))).

    ``Sequential(m1, m2, ...)`` names them '0', '1', ...; ``Sequential(OrderedDict(...))``
    keeps the given names. Indexing gives a module, slicing a new Sequential.

    Example::

        model = Sequential(Linear(8, 64), Tanh(), Linear(64, 2))
    """

    @overload
    def __init__(self, *args: Module) -> None: ...

    @overload
    def __init__(self, arg: collections.OrderedDict[str, Module], /) -> None: ...

    def __init__(self, *args: Any) -> None:
        if len(args) == 1 and isinstance(args[0], collections.OrderedDict):
            super().__init__()
            for name, module in args[0].items():
                self.add_module(name, module)
        else:
            super().__init__(args)

    @overload  # (a slice is a Sequential, as in torch)
    def __getitem__(self, idx: slice) -> Sequential: ...

    @overload
    def __getitem__(self, idx: SupportsIndex) -> Module: ...

    def __getitem__(self, idx: Union[SupportsIndex, slice]) -> Union[Module, Sequential]:
        if isinstance(idx, slice):  # keep the children's names, as PyTorch does
            return Sequential(collections.OrderedDict(
                cast("list[tuple[str, Module]]", list(self._modules.items())[idx])))
        return cast(Module, self._modules[self._key(idx)])

    def forward(self, input: Any) -> Any:
        for module in cast("Iterable[Module]", self._modules.values()):
            input = module(input)
        return input


class ModuleList(_IndexedModules):
    """A list of modules whose parameters the parent registers; it has no forward.

    Example: ``self.layers = ModuleList(Linear(16, 16) for _ in range(3))``.
    """

    def __init__(self, modules: Optional[Iterable[Module]] = None) -> None:
        super().__init__(modules if modules is not None else ())

    def __add__(self, other: Iterable[Module]) -> ModuleList:
        return ModuleList(list(self) + list(other))

    def __repr__(self) -> str:
        """One line per run of equal children: '(0-2): 3 x Linear(...)', as in PyTorch."""
        reprs = [repr(module) for module in self]
        if not reprs:
            return self._get_name() + "()"
        runs: list[list[Any]] = []  # [first index, last index, repr]
        for i, text in enumerate(reprs):
            if runs and runs[-1][2] == text:
                runs[-1][1] = i
            else:
                runs.append([i, i, text])
        lines = []
        for first, last, text in runs:
            head = f"({first}): " if first == last else f"({first}-{last}): {last - first + 1} x "
            lines.append(_addindent(head + text, 2))
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"


class ModuleDict(Module):
    """An ordered dict of modules whose parameters the parent registers.

    Example: ``self.heads = ModuleDict({'policy': Linear(64, 4), 'value': Linear(64, 1)})``.
    """

    def __init__(self, modules: Optional[Union[Mapping[str, Module],
                                               Iterable[tuple[str, Module]]]] = None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return cast(Module, self._modules[key])

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        if key not in self._modules:
            raise KeyError(key)
        self._forget(key)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __contains__(self, key: object) -> bool:
        return key in self._modules

    def keys(self) -> Iterable[str]:
        """The keys, in insertion order."""
        return self._modules.keys()

    def items(self) -> Iterable[tuple[str, Module]]:
        """The (key, module) pairs, in insertion order."""
        return cast("Iterable[tuple[str, Module]]", self._modules.items())

    def values(self) -> Iterable[Module]:
        """The modules, in insertion order."""
        return cast("Iterable[Module]", self._modules.values())

    def pop(self, key: str) -> Module:
        """Remove the module under ``key`` and return it (KeyError when absent)."""
        module = self[key]
        del self[key]
        return module

    def clear(self) -> None:
        """Remove every module."""
        for key in list(self._modules):
            self._forget(key)

    def update(self, modules: Union[Mapping[str, Module], Iterable[tuple[str, Module]]]
               ) -> None:
        """Add (key, module) pairs from a mapping or an iterable of pairs."""
        items: Iterable[tuple[str, Module]] = \
            modules.items() if hasattr(modules, "items") else modules

        for key, module in items:
            self[key] = module
