"""The documentation site builds in strict mode, as CI builds it (issue 16, item 1).

``mkdocs build --strict`` fails on any warning: a broken cross-reference, a docstring griffe
cannot read, a README section a guide includes that is gone, or a public function, class or
method of a documented module without a docstring (docs/_tools/griffe_gradsheet.py). The
dev extra installs the docs extra, so a missing mkdocs fails here rather than skipping.
The built pages are then checked: every public name of every documented module has its
entry on its page, the formulas render as written, every local link and anchor resolves,
and the index and an API page load in headless Chromium without a console message.
"""
import html
import importlib
import os
import pathlib
import re
import subprocess
import sys
import types

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "docs" / "_tools"))

import griffe_gradsheet  # noqa: E402
import hooks  # noqa: E402

# API page -> the module it documents
PAGES = {
    "gradsheet": "gradsheet", "nn": "gradsheet.nn", "nn.functional": "gradsheet.nn.functional",
    "nn.init": "gradsheet.nn.init", "nn.utils": "gradsheet.nn.utils", "optim": "gradsheet.optim",
    "optim.lr_scheduler": "gradsheet.optim.lr_scheduler", "data": "gradsheet.data",
    "distributions": "gradsheet.distributions", "linalg": "gradsheet.linalg",
    "sparse": "gradsheet.sparse", "io": "gradsheet.io", "onnx": "gradsheet.onnx",
    "train": "gradsheet.train", "rl": "gradsheet.rl", "autograd": "gradsheet.autograd",
    "distributed": "gradsheet.distributed", "summary": "gradsheet.summary",
    "models": "gradsheet.models",
}
# top-level names documented where a module of the same name defines them
ELSEWHERE = {"gradsheet.Tensor": "tensor", "gradsheet.summary": "summary",
             "gradsheet.gradcheck": "autograd", "gradsheet.autograd.gradcheck": "autograd"}
ELSEWHERE_ID = {"gradsheet.Tensor": "gradsheet.Tensor", "gradsheet.summary": "gradsheet.summary.summary",
                "gradsheet.gradcheck": "gradsheet.autograd.gradcheck.gradcheck",
                "gradsheet.autograd.gradcheck": "gradsheet.autograd.gradcheck.gradcheck"}


def _text(page_html):
    """The visible text of a page: tags dropped, entities decoded, whitespace collapsed."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page_html)))


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("docs") / "site"
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file",
                           str(ROOT / "mkdocs.yml"), "--site-dir", str(out)],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=600)
    log = done.stdout + done.stderr
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{log[-6000:]}"
    assert "WARNING" not in log, log
    return out


def test_the_site_is_a_folder_with_every_page(site):
    assert (site / "index.html").is_file()
    for page in [*PAGES, "tensor"]:
        assert (site / "api" / f"{page}.html").is_file(), page
    for guide in ["install", "data", "model-files", "cheat-sheet", "pytorch", "cli", "rl",
                  "scaling-out", "about-docs"]:
        assert (site / "guides" / f"{guide}.html").is_file(), guide
    index = (site / "index.html").read_text()
    assert 'href="api/nn.html"' in index and 'href="guides/install.html"' in index  # file names


def test_the_search_index_holds_the_api(site):
    assert (site / "search" / "search_index.js").is_file()      # the offline plugin's, for file://
    index = (site / "search" / "search_index.json").read_text()
    for location in ["api/nn.html#gradsheet.nn.Linear", "api/gradsheet.html#gradsheet.gather",
                     "api/optim.html#gradsheet.optim.Adam", "guides/data.html"]:
        assert f'"location":"{location}' in index.replace(" ", ""), location


def test_every_public_name_has_its_entry(site):
    missing = []
    for page, module_name in PAGES.items():
        ids = set(re.findall(r'id="([\w.]+)"', (site / "api" / f"{page}.html").read_text()))
        module = importlib.import_module(module_name)
        names = getattr(module, "__all__", None)
        if names is None:  # no __all__: what the module defines
            names = [n for n, v in vars(module).items() if not n.startswith("_")
                     and n != "TYPE_CHECKING"  # typing's flag, imported for annotations
                     and getattr(v, "__module__", module_name) == module_name
                     and not isinstance(v, types.ModuleType)]
        for name in names:
            path = f"{module_name}.{name}"
            if isinstance(getattr(module, name, None), types.ModuleType) and path not in ELSEWHERE:
                continue  # a subpackage: its own page
            if path in ELSEWHERE:
                other = (site / "api" / f"{ELSEWHERE[path]}.html").read_text()
                if f'id="{ELSEWHERE_ID[path]}"' not in other:
                    missing.append(path)
            elif path not in ids:
                missing.append(path)
    assert not missing, f"{len(missing)} public names without an entry: {missing}"


def test_formulas_and_shapes_render_as_written(site):
    top = _text((site / "api" / "gradsheet.html").read_text())
    assert "y[i][j] = input[index[i][j]][j] (dim 0)" in top           # not a Markdown link
    nn_page = _text((site / "api" / "nn.html").read_text())
    assert "Shapes: input (*, in_features) -> output (*, out_features)." in nn_page  # no emphasis
    assert "z = x W^T + b: for each output unit j, z_j = w_j^T x + b_j" in nn_page
    assert "Linear(8, 64)(gs.randn(32, 8)).shape == (32, 64)" in nn_page             # the example
    tensor = (site / "api" / "tensor.html").read_text()
    assert "Tensor.exp_" in tensor and 'href="gradsheet.html#gradsheet.exp"' in tensor


def test_the_generated_parts_follow_the_readme_and_the_program(site):
    readme = (ROOT / "README.md").read_text()
    pytorch = _text((site / "guides" / "pytorch.html").read_text())
    differences = re.search(r"^## Differences from PyTorch\n\n(.+?)\n", readme, re.M).group(1)
    assert _text(differences.replace("`", "")) in pytorch
    cli = _text((site / "guides" / "cli.html").read_text())
    for command in ["tour", "train", "evaluate", "predict", "rl"]:
        assert f"usage: gradsheet {command}" in cli, command


def _local_links(site):
    for page in site.rglob("*.html"):
        if page.name == "404.html":  # served at the root by a web server, never opened from disk
            continue
        for target in re.findall(r'(?:href|src)="([^"]+)"', page.read_text()):
            if re.match(r"^(https?:|mailto:|data:|javascript:|#)", target):
                continue
            yield page, target


def test_every_local_link_and_anchor_resolves(site):
    ids = {}
    broken = []
    for page, target in _local_links(site):
        path, _, anchor = target.partition("#")
        assert not path.startswith("/"), f"{page.name}: absolute link {target} breaks from disk"
        file = (page.parent / path).resolve() if path else page
        if not file.exists():
            broken.append(f"{page.relative_to(site)} -> {target}")
            continue
        if anchor and file.suffix == ".html":
            if file not in ids:
                ids[file] = set(re.findall(r'id="([^"]+)"', file.read_text()))
            if anchor not in ids[file]:
                broken.append(f"{page.relative_to(site)} -> {target}")
    assert not broken, "\n".join(sorted(set(broken))[:40])


def test_the_pages_load_in_chromium_without_console_messages(site, tmp_path):
    from tests.tour.test_html import load_in_chromium

    for page in [site / "index.html", site / "api" / "nn.html", site / "guides" / "data.html"]:
        dom, console = load_in_chromium(page, tmp_path / "profile")
        assert console == [], f"{page.name}: {console}"
        assert "md-search__input" in dom and "gradsheet" in dom   # Material rendered the page


# --- the parts of the build, without building --------------------------------------------------

@pytest.mark.parametrize("docstring, rendered", [
    ("y[i][j] = x * y", "y\\[i\\]\\[j\\] = x \\* y"),
    ("kept: ``a[i] * b`` and `c_d`", "kept: ``a[i] * b`` and `c_d`"),
    ("a <b> #c", "a &lt;b\\> \\#c"),
    ("Args:\n    *args: shapes (*, C)\n    in_features (int): n_in\n        more [i]",
     "Args:\n    *args: shapes (\\*, C)\n    in_features (int): n\\_in\n        more \\[i\\]"),
    ("Text.\n\n    code = a * b\n    more[i]\n\nafter *",
     "Text.\n\n    code = a * b\n    more[i]\n\nafter \\*"),
    ("Title\n-----", "Title\n&#45;----"),
    ("x\n>>> f(a * b)\n[1]\n\ny", "x\n\n```pycon\n>>> f(a * b)\n[1]\n```\n\ny"),
    ("Raises:\n    ValueError when it fails,\n    naming it.",
     "**Raises:**\n    ValueError when it fails,\n    naming it."),
    ("Raises:\n    ValueError: when [it] fails.", "Raises:\n    ValueError: when \\[it\\] fails."),
])
def test_docstrings_are_escaped_for_markdown(docstring, rendered):
    assert griffe_gradsheet.escape_docstring(docstring) == rendered


def test_a_public_function_without_a_docstring_is_a_warning(tmp_path, caplog):
    import griffe

    package = tmp_path / "fakepkg"
    package.mkdir()
    (package / "__init__.py").write_text('"""A package."""\n__all__ = ["documented", "bare", "Layer"]\n'
                                         'from .impl import documented, bare, Layer\n')
    (package / "impl.py").write_text(
        '"""Impl."""\ndef documented():\n    """y = x."""\n\ndef bare():\n    pass\n\n'
        'class Layer:\n    """A layer."""\n    def step(self):\n        pass\n')
    sys.path.insert(0, str(tmp_path))
    try:
        extension = griffe_gradsheet.GradsheetDocs(check=["fakepkg"], package="fakepkg")
        loader = griffe.GriffeLoader(search_paths=[str(tmp_path)],
                                     extensions=griffe.load_extensions(extension))
        with caplog.at_level("WARNING"):
            loader.load("fakepkg")
    finally:
        sys.path.remove(str(tmp_path))
        for name in ("fakepkg", "fakepkg.impl"):
            sys.modules.pop(name, None)
    warnings = [record.getMessage() for record in caplog.records]
    assert any("fakepkg.bare: public function without a docstring" in w for w in warnings), warnings
    assert any("fakepkg.Layer.step: public method without a docstring" in w for w in warnings)
    assert not any("documented" in w for w in warnings)


def test_a_missing_readme_section_is_a_warning(caplog):
    class Page:
        class file:
            src_path = "guides/x.md"

    config = {"config_file_path": str(ROOT / "mkdocs.yml")}
    with caplog.at_level("WARNING"):
        out = hooks.on_page_markdown("<!-- gradsheet:readme No Such Section -->", Page, config, None)
    assert "No Such Section" in out
    assert any("README.md has no section '## No Such Section'" in r.getMessage() for r in caplog.records)
    assert hooks.readme_section(config, "Differences from PyTorch").startswith("Each is tested")
