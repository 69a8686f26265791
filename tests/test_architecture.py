"""The import-direction rules of ARCHITECTURE.md (issue 15, item 3), checked on the source with
``ast`` (function-level imports too), and every path and dotted name ARCHITECTURE.md names."""
import ast
import importlib
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "gradsheet"

# ARCHITECTURE.md's layer table: the first component under gradsheet/ -> its layer
LAYERS = {
    **dict.fromkeys(["backend", "threads", "devices", "memory", "cuda", "accelerator",
                     "backends"], 0),
    **dict.fromkeys(["autograd", "_typing"], 1),
    **dict.fromkeys(["ops", "factories", "linalg", "sparse"], 2),
    **dict.fromkeys(["nn", "optim", "data", "distributed", "distributions", "summary"], 3),
    **dict.fromkeys(["train", "io", "models", "rl", "onnx", "reference", "plotting", "utils"], 4),
    **dict.fromkeys(["cli", "tour"], 5),
}
ROOT_IMPORTERS = 4  # the lowest layer that may import the package root (gradsheet/__init__.py)


def _module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return parts[:-1] if parts[-1] == "__init__" else parts


def _exists(parts):
    """gradsheet.a.b names a module or package of the source tree."""
    base = ROOT.joinpath(*parts)
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def _imports(path):
    """(line, imported module as parts, the name taken from it or None, the local name) for
    each gradsheet import; ``from package import submodule`` yields the submodule."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module[:-1]
    tree = ast.parse(path.read_text(), str(path))
    for_type_checkers = _type_checking_lines(tree)
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in for_type_checkers:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "gradsheet":
                    yield node.lineno, alias.name.split("."), None, alias.asname
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                target = base + (node.module.split(".") if node.module else [])
            elif node.module and node.module.split(".")[0] == "gradsheet":
                target = node.module.split(".")
            else:
                continue
            for alias in node.names:
                local = alias.asname or alias.name
                if _exists(target + [alias.name]):
                    yield node.lineno, target + [alias.name], None, local
                else:
                    yield node.lineno, target, alias.name, local


def _type_checking_lines(tree):
    """The line numbers inside ``if TYPE_CHECKING:`` blocks: imports a type checker reads and
    the program never runs (they add no dependency at run time)."""
    lines = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, child.end_lineno + 1))
    return lines


def _unit(parts):
    """The layer table's key of module gradsheet.<parts[1]>...; None for the package root."""
    return parts[1] if len(parts) > 1 else None


def _sources():
    return sorted(PACKAGE.rglob("*.py"))


def test_every_top_level_module_has_a_layer():
    units = {_unit(_module_name(path)) for path in _sources()} - {None}
    assert units <= set(LAYERS), f"not in ARCHITECTURE.md's layer table: {units - set(LAYERS)}"


def test_no_import_goes_to_a_higher_layer():
    upward = []
    for path in _sources():
        source = _unit(_module_name(path))
        if source is None:
            continue  # the package root gathers every layer's public names
        for line, target, _, _ in _imports(path):
            if not _exists(target):
                continue  # (an import of a missing module fails when it runs, not here)
            unit = _unit(target)
            where = f"{path.relative_to(ROOT)}:{line} imports {'.'.join(target)}"
            if unit is None:
                if LAYERS[source] < ROOT_IMPORTERS:
                    upward.append(f"{where} (the package root, from layer {LAYERS[source]})")
            elif LAYERS[unit] > LAYERS[source]:
                upward.append(f"{where} (layer {LAYERS[unit]} from layer {LAYERS[source]})")
    assert not upward, "imports going up a layer:\n" + "\n".join(upward)


def _imports_under(folder):
    for path in sorted((PACKAGE / folder).rglob("*.py")):
        for line, target, _, _ in _imports(path):
            yield f"{path.relative_to(ROOT)}:{line}", target


def test_autograd_imports_only_the_backend():
    wrong = [f"{where} imports {'.'.join(target)}" for where, target in _imports_under("autograd")
             if _unit(target) not in ("autograd", "backend")]
    assert not wrong, "\n".join(wrong)


def test_io_does_not_import_train():
    wrong = [f"{where} imports {'.'.join(target)}" for where, target in _imports_under("io")
             if _unit(target) == "train"]
    assert not wrong, "\n".join(wrong)


def _private_uses_of_ops(path):
    """Private names of gradsheet.ops taken by ``from ..ops.x import _y`` or read as
    ``x._y`` where x is an ops module imported under that name."""
    aliases = {}
    for line, target, name, local in _imports(path):
        if _unit(target) != "ops":
            continue
        if name is None:  # a module of gradsheet.ops, under the name ``local``
            aliases[local or target[-1]] = target
        elif name.startswith("_") and not name.startswith("__"):
            yield line, f"{'.'.join(target)}.{name}"
    for node in ast.walk(ast.parse(path.read_text())):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id in aliases and node.attr.startswith("_")
                and not node.attr.startswith("__")):
            yield node.lineno, f"{'.'.join(aliases[node.value.id])}.{node.attr}"


def test_nn_uses_only_public_names_of_ops():
    wrong = [f"{path.relative_to(ROOT)}:{line} uses {name}"
             for path in sorted((PACKAGE / "nn").rglob("*.py"))
             for line, name in _private_uses_of_ops(path)]
    assert not wrong, "\n".join(wrong)


def test_the_private_name_check_sees_a_private_use(tmp_path, monkeypatch):
    # the check above must be able to fail: a module reading pool._max_pool is caught
    fake = PACKAGE / "nn" / "pooling.py"
    text = "from ..ops import pool\nfrom ..ops.norm import _hidden\ny = pool._max_pool\n"
    monkeypatch.setattr(pathlib.Path, "read_text", lambda self, *a, **k: text)
    found = [name for _, name in _private_uses_of_ops(fake)]
    assert found == ["gradsheet.ops.norm._hidden", "gradsheet.ops.pool._max_pool"]


def _architecture_names():
    text = (ROOT / "ARCHITECTURE.md").read_text()
    return re.findall(r"`([^`\s]+)`", text)


def _resolve(dotted):
    """The object ``dotted`` (gradsheet.a.b.name) names: the longest importable module, then
    attributes."""
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for attr in parts[i:]:
            obj = getattr(obj, attr)
        return obj
    raise ImportError(dotted)


def test_every_path_and_name_in_architecture_md_exists():
    names = _architecture_names()
    paths = [n for n in names if "/" in n]
    dotted = [n for n in names if n.startswith("gradsheet.")]
    assert len(paths) > 20 and len(dotted) > 40  # the layer table and the formula table
    missing = [p for p in paths if not (ROOT / p).exists()]
    assert not missing, f"ARCHITECTURE.md names paths that do not exist: {missing}"
    unresolved = []
    for name in dotted:
        try:
            _resolve(name)
        except (ImportError, AttributeError):
            unresolved.append(name)
    assert not unresolved, f"ARCHITECTURE.md names what does not exist: {unresolved}"


def test_the_layer_table_of_architecture_md_is_the_tests():
    text = (ROOT / "ARCHITECTURE.md").read_text()
    for line in text.splitlines():
        match = re.match(r"\| (\d) [^|]+ \| ([^|]+) \|", line)
        if not match:
            continue
        layer = int(match.group(1))
        for path in re.findall(r"`gradsheet/([^`/.]+)", match.group(2)):
            assert LAYERS[path] == layer, (path, layer)
