"""The machinery of ``gradsheet.nn.modules.*``: each file there names the classes of torch's file of
the same name and re-exports gradsheet.nn's objects for them (the same class objects, so that
``isinstance(m, nn.modules.conv.Conv2d)`` holds for ``nn.Conv2d``). Names gradsheet.nn gains later
are found on first access (a module ``__getattr__``); names it lacks raise AttributeError (an
ImportError in ``from ... import``) saying so.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Optional


def _resolve(name: str, private: Mapping[str, Sequence[str]]) -> Any:
    """gradsheet.nn's object for torch's ``name``, or None."""
    nn = importlib.import_module("gradsheet.nn")
    for candidate in private.get(name, ()):
        module_name, _, attr = candidate.partition(":")
        try:
            module = importlib.import_module(f"gradsheet.nn.{module_name}")
        except ImportError:
            continue
        if hasattr(module, attr):
            return getattr(module, attr)
    if name in private:
        return None
    return nn.__dict__.get(name)


def reexport(namespace: dict[str, Any], names: Iterable[str],
             private: Optional[Mapping[str, Sequence[str]]] = None
             ) -> tuple[Callable[[str], Any], list[str]]:
    """Put into ``namespace`` (a module's globals) gradsheet.nn's object for each torch name
    (public ``names``; ``private``: torch name -> candidates 'file:attr' under gradsheet.nn).
    Returns the module's ``__getattr__`` (later lookups) and ``__all__`` (the public names
    found now)."""
    private = dict(private or {})
    wanted = list(names) + list(private)
    for name in wanted:
        obj = _resolve(name, private)
        if obj is not None:
            namespace[name] = obj
    module_name = namespace["__name__"]

    def __getattr__(name: str) -> Any:

        if name in wanted:
            obj = _resolve(name, private)
            if obj is not None:
                namespace[name] = obj
                return obj
            torch_name = module_name.replace("gradsheet.", "torch.", 1)
            raise AttributeError(f"module '{module_name}' has no attribute '{name}': gradsheet "
                                 f"does not implement {torch_name}.{name} yet")
        raise AttributeError(f"module '{module_name}' has no attribute '{name}'")

    return __getattr__, [name for name in names if name in namespace]
