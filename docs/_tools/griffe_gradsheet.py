"""The griffe extension the API reference is built with (mkdocs.yml loads it).

gradsheet's docstrings are plain text written for ``help()``: formulas such as
``out[i][j] = input[index[i][j]][j]``, ``(*, in_features)`` or ``x * y`` are not Markdown,
and mkdocstrings renders docstrings as Markdown (``[i][j]`` would become a link, ``*`` an
emphasis). This extension, run when griffe has loaded the package, before anything is rendered:

- escapes the Markdown syntax in each docstring's prose (``* _ [ ] < #`` and the rest),
  leaving code alone: ``code spans``, indented and fenced blocks, and the names of the
  ``Args:``/``Attributes:`` items griffe matches against the signature; a run of ``>>>``
  lines becomes a ``pycon`` code block;
- takes each module's public names from the module's own ``__all__`` at run time (the
  top-level ``gradsheet.__all__`` is built by a comprehension griffe cannot evaluate);
- drops the undocumented ``forward``/``backward``/``compute``/``extra_repr`` overrides
  (a layer, an op, is documented on its class, as in PyTorch; ``Module.forward`` and
  ``Function.forward`` stay) and describes module-level aliases (``absolute = abs``, the
  dtypes) that have no docstring of their own;
- logs a warning, so that ``mkdocs build --strict`` fails, for each public function, class
  or method of a documented module without a docstring (mkdocstrings would silently leave it
  out of the page).
"""
from __future__ import annotations

import importlib
import inspect
import re

import griffe

logger = griffe.get_logger("griffe_gradsheet")

# the sections griffe's Google parser reads as "name (type): description" items
_ITEM_SECTIONS = {"args", "arguments", "params", "parameters", "keyword args", "keyword arguments",
                  "other args", "other arguments", "other params", "other parameters", "attributes",
                  "type args", "type arguments", "type params", "type parameters"}
_RAISES_SECTIONS = {"raises", "exceptions", "warns", "warnings"}
_RAISE = re.compile(r"^\s*[A-Za-z_][\w.]*:(\s|$)")
_SECTION = re.compile(r"^(\s*)([A-Za-z][A-Za-z ]*):\s*$")
_ITEM = re.compile(r"^(\s*)(\**\w+(?:\s*,\s*\**\w+)*(?:\s*\([^)]*\))?:)(\s.*|)$")
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.S)
_MARKDOWN = re.compile(r"[\\`*_\[\]<>#!]")
_RULE = re.compile(r"^(\s*)([-=])([-=\s]*)$")
_LIST = re.compile(r"^(\s*)(\d+[.)]|[-+])(\s)")
_UNDOCUMENTED_OVERRIDES = ("forward", "backward", "compute", "extra_repr")


def _escape_text(text):
    """``text`` with every Markdown character outside code spans backslash-escaped."""
    out, last = [], 0
    for match in _CODE_SPAN.finditer(text):
        out.append(_escape_plain(text[last:match.start()]))
        out.append(match.group(0))
        last = match.end()
    out.append(_escape_plain(text[last:]))
    return "".join(out)


def _escape_plain(text):
    return _MARKDOWN.sub(lambda m: "&lt;" if m.group(0) == "<" else "\\" + m.group(0), text)


def _indent(line):
    return len(line) - len(line.lstrip(" "))


def _readable_items(kind, block, indent):
    """Whether griffe can read the section ``kind`` whose lines follow as items: each line at
    the items' indent must be ``name (type): description`` (``Exception: description``)."""
    if kind not in _ITEM_SECTIONS and kind not in _RAISES_SECTIONS:
        return True
    body = []
    for line in block:
        if line.strip() and _indent(line) <= indent:
            break
        body.append(line)
    items = [line for line in body if line.strip()]
    if not items:
        return True
    item_indent = min(_indent(line) for line in items)
    pattern = _ITEM if kind in _ITEM_SECTIONS else _RAISE
    return all(pattern.match(line) for line in items if _indent(line) == item_indent)


def escape_docstring(value):
    """The docstring ``value`` (griffe's cleaned text) as Markdown that renders as written."""
    out = []
    prose = []  # (prefix kept as written, text to escape) of the current paragraph

    def flush():
        if prose:
            escaped = _escape_text("\n".join(text for _, text in prose)).split("\n")
            out.extend(prefix + text for (prefix, _), text in zip(prose, escaped))
            prose.clear()

    section = None          # (name, indent of its title) while inside a Google section
    fence = None            # the fence of an open ``` block
    code_indent = None      # the indent of an indented code block
    doctest = None          # the indent of an open run of >>> lines
    previous_blank = True
    lines = value.split("\n")
    for number, line in enumerate(lines):
        following = lines[number + 1] if number + 1 < len(lines) else ""
        stripped = line.strip()
        indent = _indent(line)
        if fence is not None:
            out.append(line)
            if stripped.startswith(fence):
                fence = None
            continue
        if doctest is not None:
            if stripped and indent >= doctest:
                out.append(line)
                continue
            out.append(" " * doctest + "```")
            doctest = None
        if not stripped:
            flush()
            out.append(line)
            previous_blank = True
            continue
        if code_indent is not None:
            if indent >= code_indent:
                out.append(line)
                continue
            code_indent = None
        if section is not None and indent <= section[1]:
            section = None
        previous_blank, was_blank = False, previous_blank
        if stripped.startswith(("```", "~~~")):
            flush()
            fence = stripped[:3]
            out.append(line)
            continue
        base = section[1] + 4 if section is not None else 0
        if was_blank and indent >= base + 4:
            flush()
            code_indent = indent
            out.append(line)
            continue
        if stripped.startswith(">>>"):
            flush()
            out.extend(["", " " * indent + "```pycon", line])
            doctest = indent
            continue
        header = _SECTION.match(line)
        if header and was_blank and following.strip() and _indent(following) > indent:
            flush()
            kind = header.group(2).lower()
            if _readable_items(kind, lines[number + 1:], indent):
                out.append(line)
                section = (kind, indent)
            else:  # free prose under the title: a paragraph headed in bold, not a section
                out.append(f"{' ' * indent}**{header.group(2)}:**")
            continue
        if section is not None and section[0] in _ITEM_SECTIONS and indent <= section[1] + 4:
            item = _ITEM.match(line)
            if item:
                flush()
                prose.append((item.group(1) + item.group(2), item.group(3)))
                continue
        rule = _RULE.match(line)
        marker = _LIST.match(line)
        if rule:
            prose.append((rule.group(1) + f"&#{ord(rule.group(2))};", rule.group(3)))
        elif marker:
            prose.append((marker.group(0), line[marker.end():]))
        else:
            prose.append((" " * indent, line[indent:]))
    flush()
    if doctest is not None:
        out.append(" " * doctest + "```")
    return "\n".join(out)


def _walk(obj):
    """``obj`` and every object defined under it (aliases are skipped: their targets are
    walked where they are defined)."""
    yield obj
    for member in list(obj.members.values()):
        if not member.is_alias:
            yield from _walk(member)


def _attribute_doc(attribute):
    """A docstring for a module-level name without one: the docstring of the class or
    function it holds (``BoolTensor = _tensor_type(...)``, a namedtuple), else what it is."""
    value = None
    try:
        value = getattr(importlib.import_module(attribute.parent.path), attribute.name)
    except Exception:
        pass
    own = getattr(value, "__doc__", None) if (inspect.isclass(value) or inspect.isfunction(value)) else None
    if own and getattr(value, "__module__", "").startswith("gradsheet"):
        return inspect.cleandoc(own)
    expression = str(attribute.value) if attribute.value is not None else ""
    if re.fullmatch(r"[A-Za-z_][\w.]*", expression):
        return f"``{attribute.name}`` is ``{expression.replace('_np.', 'numpy.')}``, under PyTorch's name."
    if expression and len(expression) <= 80 and "\n" not in expression:
        return f"``{attribute.name} = {expression}``."
    return f"The module-level constant ``{attribute.name}``."


def _overrides_documented(cls, name):
    """``cls.name`` overrides a documented method of a base class (what ``help()`` shows)."""
    try:
        bases = cls.mro()
    except Exception:
        return False
    return any(name in base.members and base.members[name].docstring for base in bases)


def _inherits_runtime_doc(cls, name):
    """``help()`` shows a docstring for ``cls.name``: inherited from a base outside gradsheet
    (``gymnasium.Env.render``) that griffe does not load."""
    try:
        runtime = getattr(importlib.import_module(cls.module.path), cls.name)
        return bool(inspect.getdoc(getattr(runtime, name)))
    except Exception:
        return False


def _module(pkg, path):
    """The griffe module at the dotted ``path`` (None if there is none)."""
    try:
        module = pkg.modules_collection.get_member(path)
    except (KeyError, griffe.AliasResolutionError):
        return None
    return module if module.is_module else None


class GradsheetDocs(griffe.Extension):
    """Prepare gradsheet's docstrings for mkdocstrings (see the module's docstring).

    Options: ``check`` (list): the modules whose public names must each have a docstring;
    ``package``: the package to prepare (gradsheet; another one in the tests).
    """

    def __init__(self, check=(), package="gradsheet"):
        super().__init__()
        self.check = tuple(check)
        self.package = package

    def on_package(self, *, pkg, loader, **kwargs):
        if pkg.path != self.package:
            return
        for path in self.check:
            module = _module(pkg, path)
            if module is not None:
                self._public_names(module)
        for obj in _walk(pkg):
            if obj.is_class:
                for name in _UNDOCUMENTED_OVERRIDES:
                    member = obj.members.get(name)
                    if (member is not None and not member.is_alias and not member.docstring
                            and _overrides_documented(obj, name)):
                        del obj.members[name]
            elif (obj.is_attribute and obj.parent.is_module and not obj.docstring
                  and not obj.name.startswith("_")):
                obj.docstring = griffe.Docstring(_attribute_doc(obj), parent=obj)
        for obj in _walk(pkg):
            if obj.docstring is not None:
                obj.docstring.value = escape_docstring(obj.docstring.value)
        for path in self.check:
            self._check(pkg, path)

    def _public_names(self, module):
        """The module's public names are its ``__all__`` at run time; a name griffe does not
        see as a member (``a, b = f, g``, a star import, a lazy ``__getattr__``) becomes an
        alias of the function or class it is."""
        try:
            runtime = importlib.import_module(module.path)
        except Exception as error:
            logger.warning(f"{module.path}: cannot be imported ({error})")
            return
        names = getattr(runtime, "__all__", None)
        if names is None:
            return
        module.exports = [str(name) for name in names]
        for name in module.exports:
            if name in module.members:
                continue
            try:
                value = getattr(runtime, name)
            except AttributeError:
                logger.warning(f"{module.path}.__all__ names {name!r}, which the module lacks")
                continue
            origin = getattr(value, "__module__", None)
            qualname = getattr(value, "__qualname__", None)
            if (inspect.isfunction(value) or inspect.isclass(value)) and origin and qualname \
                    and origin.split(".")[0] == "gradsheet" and "<" not in qualname:
                module.set_member(name, griffe.Alias(name, f"{origin}.{qualname}", parent=module))

    def _check(self, pkg, path):
        module = _module(pkg, path)
        if module is None:
            logger.warning(f"{path}: no such module to document")
            return
        for name, member in module.members.items():
            if not member.is_public or member.is_module:
                continue
            try:
                target = member.final_target if member.is_alias else member
            except griffe.AliasResolutionError:
                continue  # defined outside gradsheet (a NumPy type under PyTorch's name)
            if not (target.is_function or target.is_class):
                continue
            if not target.docstring:
                logger.warning(f"{path}.{name}: public {target.kind.value} without a docstring "
                               f"({target.filepath}:{target.lineno})")
            if target.is_class:
                for attr, method in target.members.items():
                    if attr.startswith("_") or method.is_alias or not method.is_function:
                        continue
                    if (not method.docstring and not _overrides_documented(target, attr)
                            and not _inherits_runtime_doc(target, attr)):
                        logger.warning(f"{path}.{name}.{attr}: public method without a docstring "
                                       f"({method.filepath}:{method.lineno})")
