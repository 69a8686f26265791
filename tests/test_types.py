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


# Modules whose public API is annotated (every public function's arguments and return; the
# modules listed under disallow_untyped_defs in pyproject.toml are annotated throughout):
# the list grows as modules are annotated (docs/guides/typing.md has the plan)
PUBLIC_API_ANNOTATED = [
    "gradsheet.accelerator", "gradsheet.cuda", "gradsheet.devices",
    "gradsheet.distributed.collectives", "gradsheet.distributed.process_group",
    "gradsheet.distributions.bernoulli", "gradsheet.distributions.beta",
    "gradsheet.distributions.categorical", "gradsheet.distributions.distribution",
    "gradsheet.distributions.gamma", "gradsheet.distributions.independent",
    "gradsheet.distributions.kl", "gradsheet.distributions.multivariate_normal",
    "gradsheet.distributions.normal", "gradsheet.distributions.uniform",
    "gradsheet.distributions.utils", "gradsheet.factories", "gradsheet.io.checkpoint",
    "gradsheet.io.files", "gradsheet.io.interop", "gradsheet.io.serialization", "gradsheet.models",
    "gradsheet.nn.init", "gradsheet.nn.parallel.distributed", "gradsheet.ops.activation",
    "gradsheet.ops.attention", "gradsheet.ops.binary", "gradsheet.ops.comparison",
    "gradsheet.ops.conv", "gradsheet.ops.conversion", "gradsheet.ops.distance",
    "gradsheet.ops.dropout", "gradsheet.ops.elementwise", "gradsheet.ops.embedding",
    "gradsheet.ops.fill", "gradsheet.ops.fold", "gradsheet.ops.geometry", "gradsheet.ops.im2col",
    "gradsheet.ops.indexing", "gradsheet.ops.linalg", "gradsheet.ops.loss", "gradsheet.ops.norm",
    "gradsheet.ops.padding", "gradsheet.ops.pool", "gradsheet.ops.promotion",
    "gradsheet.ops.random", "gradsheet.ops.recurrent", "gradsheet.ops.reduce",
    "gradsheet.ops.resample", "gradsheet.ops.scan", "gradsheet.ops.shape", "gradsheet.ops.sort",
    "gradsheet.ops.sparse", "gradsheet.ops.subscript", "gradsheet.ops.unary",
    "gradsheet.ops.unpool", "gradsheet.plotting", "gradsheet.rl.envs.random_mdp",
    "gradsheet.rl.evaluation", "gradsheet.rl.mdp", "gradsheet.rl.model", "gradsheet.rl.planning",
    "gradsheet.rl.render",
    "gradsheet.rl.tabular", "gradsheet.summary", "gradsheet.threads", "gradsheet.train.callbacks",
    "gradsheet.train.curves", "gradsheet.train.history", "gradsheet.train.loggers",
    "gradsheet.train.loop", "gradsheet.train.metrics", "gradsheet.train.progress",
]


def _unannotated(function):
    """The parameters of ``function`` without an annotation, and 'return' if it has none."""
    import inspect
    signature = inspect.signature(function)
    missing = [name for name, p in signature.parameters.items()
               if p.annotation is inspect.Parameter.empty and name not in ("self", "cls")]
    if signature.return_annotation is inspect.Signature.empty:
        missing.append("return")
    return missing


def test_the_public_functions_of_the_annotated_modules_are_annotated():
    import importlib
    import inspect
    missing = {}
    for name in PUBLIC_API_ANNOTATED:
        module = importlib.import_module(name)
        for attr, obj in vars(module).items():
            if attr.startswith("_") or not inspect.isfunction(obj) or obj.__module__ != name:
                continue
            if _unannotated(obj):
                missing[f"{name}.{attr}"] = _unannotated(obj)
    assert not missing, f"public functions with unannotated arguments or return: {missing}"
