"""MkDocs hooks of the documentation site (mkdocs.yml loads this file). They fill in, when
the site is built, the parts of pages that must follow the code and the README:

- ``<!-- gradsheet:tensor-methods -->``: the table of the Tensor methods that the op table
  (``gradsheet.autograd.methods.TABLE``) binds, each linked to the function whose docstring
  it shares;
- ``<!-- gradsheet:readme TITLE -->``: the body of the README.md section ``## TITLE`` (so a
  guide repeats the README and cannot contradict it);
- ``<!-- gradsheet:cli-help -->``: a section per command of the ``gradsheet`` program (and per
  subcommand), each with its ``--help`` text.

A placeholder that cannot be filled (a README section renamed) is logged as a warning, which
fails ``mkdocs build --strict``.
"""
import argparse
import importlib
import logging
import os
import pathlib
import re

log = logging.getLogger("mkdocs.hooks.gradsheet")

# where a bound function is documented, searched in this order (the API pages render these)
_NAMESPACES = ("gradsheet", "gradsheet.nn.functional", "gradsheet.linalg", "gradsheet.sparse")
_PLACEHOLDER = re.compile(r"<!-- gradsheet:(?P<kind>[a-z-]+)(?: (?P<arg>[^>]*?))? -->")
_HELP_WIDTH = "88"


def _documented_path(function):
    """The public path of ``function`` in the API reference, or None."""
    for namespace in _NAMESPACES:
        module = importlib.import_module(namespace)
        for name in getattr(module, "__all__", ()):
            if getattr(module, name, None) is function:
                return f"{namespace}.{name}"
    return None


def _html(text):
    """``text`` as inline HTML that Markdown leaves as it is."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return "".join(f"&#{ord(c)};" if c in "|[]*_`\\#!" else c for c in text)


def tensor_methods_table():
    """A Markdown table: the method, the function it is (linked), its docstring's first line."""
    from gradsheet.autograd.methods import TABLE

    rows = ["| method | function | its first line |", "|---|---|---|"]
    for name in sorted(TABLE):
        function = TABLE[name]
        path = _documented_path(function)
        where = f"[`{path}`][{path}]" if path else f"`{function.__module__}.{function.__name__}`"
        first = (function.__doc__ or "").strip().split("\n")[0].replace("`", "")
        rows.append(f"| `Tensor.{name}` | {where} | <code>{_html(first)}</code> |")
    return "\n".join(rows)


def readme_section(config, title):
    """The body of README.md's ``## title`` section (None when there is none)."""
    readme = pathlib.Path(config["config_file_path"]).parent / "README.md"
    text = readme.read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(title)}[ \t]*\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    return None if match is None else match.group(1).strip() + "\n"


def _subcommands(parser):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def cli_help(level=2):
    """A section per command and subcommand of ``gradsheet``, each its ``--help`` text."""
    from gradsheet.cli import build_parser

    previous = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = _HELP_WIDTH  # argparse wraps to the terminal's width
    try:
        sections = []

        def add(parser, name, depth):
            sections.append(f"{'#' * depth} {name}\n\n```text\n{parser.format_help().rstrip()}\n```\n")
            for sub, subparser in _subcommands(parser).items():
                add(subparser, f"{name} {sub}", min(depth + 1, 6))

        add(build_parser(), "gradsheet", level)
        return "\n".join(sections)
    finally:
        if previous is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = previous


def on_page_markdown(markdown, page, config, files, **kwargs):
    """Fill in the placeholders of ``page``."""
    def fill(match):
        kind, arg = match.group("kind"), (match.group("arg") or "").strip()
        if kind == "tensor-methods":
            return tensor_methods_table()
        if kind == "readme":
            body = readme_section(config, arg)
            if body is not None:
                return body
            log.warning(f"{page.file.src_path}: README.md has no section '## {arg}'")
            return match.group(0)
        if kind == "cli-help":
            return cli_help()
        log.warning(f"{page.file.src_path}: unknown placeholder {match.group(0)}")
        return match.group(0)

    return _PLACEHOLDER.sub(fill, markdown)
