"""Every public function, class and method of gradsheet has a docstring (issue 6, item 6)."""
import importlib
import inspect
import pkgutil

import gradsheet
from gradsheet.autograd.function import Function
from gradsheet.nn.module import Module


def _modules():
    """Every module of the package; ``__main__`` modules run a program when imported."""
    yield gradsheet
    for info in pkgutil.walk_packages(gradsheet.__path__, prefix="gradsheet."):
        if info.name.rsplit(".", 1)[-1] == "__main__":
            continue
        yield importlib.import_module(info.name)


def _public_definitions():
    """(qualified name, object, owning class or None) for each public definition, once each."""
    for module in _modules():
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
                continue
            if inspect.isfunction(obj):
                yield f"{module.__name__}.{name}", obj, None
            elif inspect.isclass(obj):
                yield f"{module.__name__}.{name}", obj, None
                for attr, member in vars(obj).items():
                    if attr.startswith("_"):
                        continue
                    if isinstance(member, (staticmethod, classmethod)):
                        member = member.__func__
                    if inspect.isfunction(member) or isinstance(member, property):
                        yield f"{module.__name__}.{name}.{attr}", getattr(obj, attr), obj


def _doc(obj):
    """The docstring a reader sees. A method may inherit its base's (an override keeps the
    contract); a class may not, since inspect.getdoc would hand a layer Module's docstring."""
    if inspect.isclass(obj):
        return inspect.cleandoc(obj.__doc__) if isinstance(obj.__doc__, str) else None
    return inspect.getdoc(obj.fget if isinstance(obj, property) else obj)


def _exempt(attr, owner):
    """Methods whose documentation lives on their class, as in PyTorch."""
    if owner is None:
        return False
    # An op's class docstring carries its formula and gradient; forward/backward (and the
    # binary ops' compute) only implement it. The Function base class documents the protocol.
    if issubclass(owner, Function) and owner is not Function:
        return attr in ("forward", "backward", "compute")
    # PyTorch documents a layer on its class; Module.forward itself documents the contract.
    if issubclass(owner, Module) and owner is not Module:
        return attr == "forward" and bool(_doc(owner))
    return False


def _missing():
    missing = []
    for qualname, obj, owner in _public_definitions():
        if _exempt(qualname.rsplit(".", 1)[-1], owner):
            continue
        doc = _doc(obj)
        if not (doc and doc.strip()):
            missing.append(qualname)
    return sorted(set(missing))


def test_every_public_definition_has_a_docstring():
    missing = _missing()
    assert not missing, f"{len(missing)} public definitions lack a docstring:\n" + "\n".join(missing)


def test_op_wrappers_are_walked_and_documented():
    # the lower-case function wrapping each Function (relu, sigmoid, add, reshape, ...) is a
    # public function of its gradsheet.ops module: the walk above must reach every one of them
    import gradsheet.ops
    walked = {qualname for qualname, _, _ in _public_definitions()}
    wrappers = {}
    for info in pkgutil.iter_modules(gradsheet.ops.__path__, prefix="gradsheet.ops."):
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if (inspect.isfunction(obj) and name.islower() and not name.startswith("_")
                    and obj.__module__ == module.__name__):
                wrappers[f"{module.__name__}.{name}"] = obj
    for expected in ("activation.relu", "activation.sigmoid", "elementwise.add", "shape.reshape"):
        assert f"gradsheet.ops.{expected}" in wrappers
    assert set(wrappers) <= walked, sorted(set(wrappers) - walked)
    undocumented = sorted(name for name, fn in wrappers.items() if not inspect.getdoc(fn))
    assert not undocumented, f"op functions without a docstring: {undocumented}"
