"""Every ```python block of the guides runs (issue 16): no example in docs/ rots.

Each block runs in a fresh namespace with ``gradsheet`` imported (as ``gradsheet`` and
``gs``), in an empty temporary folder (a block may write the files it then reads), with
matplotlib's non-interactive backend. A block whose first line is the comment
``# docs: skip`` is not run (it needs a program started by ``mpiexec``, a download or
minutes); the convention is documented in docs/guides/about-docs.md and used sparingly:
``test_skipped_blocks_are_few`` keeps count.
"""
import os
import pathlib
import re

import pytest

DOCS = pathlib.Path(__file__).resolve().parents[2] / "docs"
SKIP = "# docs: skip"
_BLOCK = re.compile(r"^(?P<indent>[ ]*)```python[^\n]*\n(?P<body>.*?)^(?P=indent)```[ ]*$", re.M | re.S)


def code_blocks(text):
    """(line number, source) of each ```python block of a Markdown text."""
    blocks = []
    for match in _BLOCK.finditer(text):
        indent = len(match.group("indent"))
        body = "\n".join(line[indent:] for line in match.group("body").split("\n"))
        blocks.append((text.count("\n", 0, match.start()) + 2, body))
    return blocks


def _all_blocks():
    for page in sorted(DOCS.rglob("*.md")):
        for line, source in code_blocks(page.read_text(encoding="utf-8")):
            yield pytest.param(page, line, source, id=f"{page.relative_to(DOCS)}:{line}")


BLOCKS = list(_all_blocks())


def test_the_guides_have_code_blocks():
    assert len(BLOCKS) >= 15
    pages = {param.values[0].name for param in BLOCKS}
    assert {"install.md", "data.md", "model-files.md", "pytorch.md", "rl.md"} <= pages


def test_skipped_blocks_are_few():
    skipped = [param.id for param in BLOCKS if param.values[2].lstrip().startswith(SKIP)]
    assert len(skipped) <= 4, skipped


def test_the_extractor_finds_blocks_and_their_lines():
    text = ("# t\n\n```python\nx = 1\n```\n\ntext\n\n- item\n\n    ```python\n    y = 2\n    ```\n\n"
            "```sh\nls\n```\n")
    assert code_blocks(text) == [(4, "x = 1\n"), (12, "y = 2\n")]


@pytest.mark.parametrize("page, line, source", BLOCKS)
def test_code_block_runs(page, line, source, tmp_path, monkeypatch):
    if source.lstrip().startswith(SKIP):
        pytest.skip(f"{page.name}:{line} is marked '{SKIP}'")
    import matplotlib

    matplotlib.use("Agg")
    import gradsheet

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    namespace = {"__name__": "__main__", "gradsheet": gradsheet, "gs": gradsheet}
    gradsheet.manual_seed(0)
    code = compile("\n" * (line - 1) + source, str(page), "exec")
    try:
        exec(code, namespace)
    finally:
        import matplotlib.pyplot as plt

        plt.close("all")
    assert os.getcwd() == str(tmp_path)
