"""The tour's page: one self-contained HTML file (inline CSS, PNGs as data URIs, no script,
no network), a section per part of the cheat sheet, under a header saying what produced it.

It fits any screen from a phone's 390 px up: the viewport tag, images that shrink to the
column, and tables and code that scroll inside their own box, never the page."""
from __future__ import annotations

import base64
import html
import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 70em; margin: 2em auto; padding: 0 1em;
       color: #222; line-height: 1.45; overflow-wrap: anywhere; }
h1 { border-bottom: 3px solid #333; font-size: clamp(1.5em, 6vw, 2em); }
h2 { border-bottom: 1px solid #999; margin-top: 2.5em; }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; margin: 1em 0; width: 100%; overflow-wrap: normal; }
td, th { border: 1px solid #ccc; padding: .3em .5em; vertical-align: top; text-align: left; }
th { background: #f0f0f0; } code, pre { font-family: ui-monospace, monospace; font-size: .9em; }
pre { background: #f7f7f7; padding: .6em; overflow-x: auto; }
.holds { color: #176117; font-weight: bold; } .fails { color: #a31515; font-weight: bold; }
pre { overflow-wrap: normal; }
figure { display: inline-block; vertical-align: top; margin: .5em; max-width: min(100%, 40em); }
figure img { display: block; max-width: 100%; height: auto; }
nav { display: flex; flex-wrap: wrap; gap: .3em 1em; }
dl.run { display: grid; grid-template-columns: max-content 1fr; gap: .1em 1em; }
dl.run dt { font-weight: bold; } dl.run dd { margin: 0; }
"""


def _e(text: object) -> str:
    return html.escape(str(text))


def _image(out_dir: str, name: str) -> str:
    with open(os.path.join(out_dir, name), "rb") as f:
        return "data:image/png;base64," + base64.b64encode(f.read()).decode("ascii")


def _anchor(name: str) -> str:
    """The page id of a fused op's source: ``fused-gradsheet-ops-recurrent-LSTM``."""
    return "fused-" + name.replace(".", "-")


def _fused_note(row: Mapping[str, Any]) -> str:
    """The pointer from a reference function to the fused op it mirrors, and how that differs."""
    return (f"<p>Reference code (<code>{_e(row['reference'])}</code>). Fused version: "
            f"<a href='#{_anchor(row['fused'])}'><code>{_e(row['fused'])}</code></a> "
            f"({_e(row['fused_where'])}): {_e(row['faster'])}.</p>")


def _formulas(rows: Sequence[Mapping[str, Any]]) -> str:
    if not rows:
        return ""
    body = []
    for row in rows:
        note = _fused_note(row) if row.get("fused") else ""
        summary = "reference code" if note else "code"
        code = (f"<details><summary>{summary}</summary><pre><code>{_e(row['code'])}</code></pre>"
                f"{note}</details>") if row["code"] else ""
        body.append(f"<tr><td><code>{_e(row['formula'])}</code></td><td><code>{_e(row['call'])}"
                    f"</code>{code}</td><td>{_e(row['example'])}</td></tr>")
    return ("<div class='scroll'><table><tr><th>formula</th><th>gradsheet</th>"
            "<th>measured here</th></tr>" + "".join(body) + "</table></div>")


def _fused_sources(sections: Sequence[Mapping[str, Any]]) -> str:
    """Each fused op that a reference function in the tables mirrors, its source once, at the
    anchor the tables link to."""
    seen: dict[str, Mapping[str, Any]] = {}
    for s in sections:
        for row in s["formulas"]:
            if row.get("fused") and row["fused"] not in seen:
                seen[row["fused"]] = row
    if not seen:
        return ""
    items = [f"<details id='{_anchor(name)}'><summary><code>{_e(name)}</code> "
             f"({_e(row['fused_where'])})</summary><pre><code>{_e(row['fused_code'])}</code>"
             "</pre></details>" for name, row in seen.items()]
    return ("<section id='fused'><h2>The fused versions</h2><p>The tables above show each "
            "formula's reference code (<code>gradsheet.reference</code>), written line by line "
            "from primitive ops; the library runs these fused nodes, tested against them.</p>"
            + "".join(items) + "</section>")


def _claims(claims: Sequence[Mapping[str, Any]]) -> str:
    items = []
    for claim in claims:
        css, verdict = ("holds", "holds") if claim["holds"] else ("fails", "does not hold here")
        items.append(f"<li>{_e(claim['claim'])}: <span class='{css}'>{verdict}</span> "
                     f"({_e(claim['evidence'])})</li>")
    return f"<h3>Claims, run as experiments</h3><ul>{''.join(items)}</ul>" if items else ""


def _plots(plots: Sequence[Mapping[str, Any]], out_dir: str) -> str:
    return "".join(f"<figure><img src='{_image(out_dir, p['file'])}' alt='{_e(p['title'])}'>"
                   f"<figcaption>{_e(p['title'])}</figcaption></figure>" for p in plots)


def _run(run: Mapping[str, Any]) -> str:
    """The header: what produced the page (``results["run"]``, see ``report.run_info``)."""
    from .report import describe_machine
    rows = [("gradsheet", run["gradsheet"]), ("date", run["date"]), ("mode", run["mode"]),
            ("seed", run["seed"]), ("machine", describe_machine(run["machine"]))]
    return ("<dl class='run'>" + "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in rows)
            + "</dl>")


def render(sections: Sequence[Mapping[str, Any]], results: Mapping[str, Any], out_dir: str) -> str:
    """The page for the recorded ``sections`` and the ``results`` dict."""
    nav = "".join(f"<a href='#{_e(s['key'])}'>{_e(s['title'].split(':')[0])}</a>"
                  for s in sections)
    parts = []
    for s in sections:
        figures = json.dumps({k: v for k, v in results.get(s["key"], {}).items()
                              if k not in ("formulas", "plots")}, indent=1, default=float)
        parts.append(
            f"<section id='{_e(s['key'])}'><h2>{_e(s['title'])}</h2>"
            f"{_formulas(s['formulas'])}{_claims(s['claims'])}{_plots(s['plots'], out_dir)}"
            f"<h3>Output</h3><pre>{_e(chr(10).join(s['lines']))}</pre>"
            f"<details><summary>every figure (results.json)</summary><pre>{_e(figures)}</pre>"
            "</details></section>")
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            "<title>gradsheet tour</title>"
            f"<style>{_STYLE}</style></head><body><h1>gradsheet tour: the deep-learning cheat "
            f"sheet, run</h1>{_run(results['run'])}<nav>{nav}</nav>{''.join(parts)}{_fused_sources(sections)}"
            f"<p>Total time: {_e(results.get('elapsed_seconds', '?'))} s.</p></body></html>")
