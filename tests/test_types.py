"""The type check (issue 16, item 2): mypy over gradsheet/ at the strictness pyproject.toml's
[tool.mypy] states (docs/guides/typing.md) finds no error. mypy comes with the dev extra: a
missing mypy fails this test, it does not skip it."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_mypy_finds_no_error_in_gradsheet():
    result = subprocess.run([sys.executable, "-m", "mypy", "gradsheet"], cwd=ROOT,
                            capture_output=True, text=True, timeout=1200)
    report = result.stdout + result.stderr
    assert "No module named mypy" not in report, "mypy is missing: pip install -e '.[dev]'"
    assert result.returncode == 0, f"mypy found errors (python -m mypy gradsheet):\n{report}"
    assert "Success: no issues found" in report, report


def test_the_typing_modules_are_not_imported_at_run_time():
    """Annotations read gradsheet._typing and autograd._bound under TYPE_CHECKING only:
    importing gradsheet costs nothing for them."""
    code = ("import sys, gradsheet, gradsheet.nn.functional, gradsheet.distributions; "
            "print(sorted(m for m in sys.modules if m in "
            "('gradsheet._typing', 'gradsheet.autograd._bound', 'typing_extensions')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]", out


# Methods checked besides the public ones: those a user calls through syntax or a protocol
_PROTOCOL_METHODS = {"__init__", "__call__", "__getitem__", "__setitem__", "__len__", "__iter__",
                     "__next__", "__contains__", "__enter__", "__exit__", "__getstate__",
                     "__setstate__", "__new__"}


def _unannotated(function):
    """The parameters of ``function`` without an annotation, and 'return' if it has none
    (``__init__`` returns None: its return may go unannotated, as mypy allows)."""
    import inspect
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):  # a builtin or a C function: nothing of ours to annotate
        return []
    missing = [name for name, p in signature.parameters.items()
               if p.annotation is inspect.Parameter.empty and name not in ("self", "cls")]
    if signature.return_annotation is inspect.Signature.empty and function.__name__ != "__init__":
        missing.append("return")
    return missing


def _gradsheet_modules():
    import importlib
    import pkgutil

    import gradsheet
    names = ["gradsheet"] + [info.name for info in pkgutil.walk_packages(gradsheet.__path__,
                                                                          "gradsheet.")]
    return {name: importlib.import_module(name) for name in names
            if not name.endswith("__main__")}


def _public_callables(module):
    """(qualified name, function) for each public function defined in ``module`` and each public
    or protocol method (properties' getters too) of its public classes. Autograd graph nodes
    (Function subclasses) are reached through the op functions, which are checked instead."""
    import inspect

    from gradsheet.autograd.function import Function
    for attr, obj in vars(module).items():
        if attr.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
            continue
        if inspect.isfunction(obj):
            yield f"{module.__name__}.{attr}", obj
        elif inspect.isclass(obj) and not issubclass(obj, Function):
            for method_name, member in vars(obj).items():
                if method_name.startswith("_") and method_name not in _PROTOCOL_METHODS:
                    continue
                if isinstance(member, (staticmethod, classmethod)):
                    member = member.__func__
                elif isinstance(member, property):
                    member = member.fget
                # (defined here: not one Python put in the class dict, as Enum's __new__)
                if inspect.isfunction(member) and member.__module__ == module.__name__:
                    yield f"{module.__name__}.{attr}.{method_name}", member


def _unannotated_public_api():
    """{module: {callable: its unannotated parts}} over all of gradsheet."""
    missing = {}
    for name, module in _gradsheet_modules().items():
        for qualified, function in _public_callables(module):
            parts = _unannotated(function)
            if parts:
                missing.setdefault(name, {})[qualified] = parts
    return missing


def test_every_public_function_and_method_is_annotated():
    """As imported (what a user's checker and ``inspect.signature`` see, functions made at run
    time included): every public function and public method of gradsheet is annotated."""
    missing = _unannotated_public_api()
    assert not missing, f"public functions and methods with unannotated arguments or return: " \
                        f"{missing}"


def test_every_bound_tensor_method_is_declared_in_bound_methods():
    """Each Tensor method the ops bind (autograd.methods.TABLE) has its declaration in
    autograd._bound.BoundMethods (no __getattr__ fallback: an undeclared one would be an
    error to a type checker), and the declarations are those the ops' annotations give now
    (regenerate them with `python -m tests.bound_declarations`)."""
    from tests import bound_declarations
    _gradsheet_modules()  # every op module imported: every method bound
    from gradsheet.autograd._bound import BoundMethods
    from gradsheet.autograd.methods import TABLE
    undeclared = sorted(name for name in TABLE if name not in vars(BoundMethods))
    assert not undeclared, f"bound Tensor methods not declared in autograd/_bound.py: " \
                           f"{undeclared}; run python -m tests.bound_declarations"
    assert "__getattr__" not in vars(BoundMethods)
    assert bound_declarations.BOUND.read_text() == bound_declarations.render(), \
        "autograd/_bound.py is out of date with the ops' annotations: " \
        "run python -m tests.bound_declarations"


def test_the_stated_strictness_holds_for_the_whole_package():
    """pyproject.toml's [tool.mypy] is the strictness docs/guides/typing.md states, for every
    module: no override relaxes it (the only overrides are third-party imports without types)."""
    import tomllib
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    for setting in ("disallow_untyped_defs", "disallow_incomplete_defs", "check_untyped_defs",
                    "no_implicit_optional", "strict_equality", "warn_unused_ignores"):
        assert config.get(setting) is True, setting
    for override in config.get("overrides", []):
        assert set(override) == {"module", "ignore_missing_imports"}, override
        assert not any(name.startswith("gradsheet") for name in override["module"]), override
