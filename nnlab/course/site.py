"""Build the course as a static web site that reads offline: `nnlab-site [OUT]`.

Every lesson (lessons/NN_*.ipynb, as committed: executed, with its figures) and every
exercise notebook becomes one HTML page, rendered by nbconvert's HTML exporter with
JupyterLab's look. An index page follows the lesson map (README.md's lesson table, in
lesson order; a lesson the table does not list yet still gets its row from its title),
and lessons/SOURCES.md becomes the sources page. Usage:

    nnlab-site                 # -> site/index.html
    nnlab-site /tmp/course     # any folder; open OUT/index.html in a browser

The pages need no network and no server:

* figures are embedded PNGs (data: URIs), CSS is inlined;
* nothing is loaded from a CDN: the exporter's MathJax, require.js, jupyter-widgets and
  mermaid script tags are left out, so formulas stay readable as their TeX source
  ($z = \\sum_i w_i x_i + b$) instead of being typeset;
* a widget cannot move without a kernel, so an interactive cell shows a note instead: the
  figure the lesson draws just above it, with the widget's default values, is the static view;
* links between notebooks (`01_neuron.ipynb`, `SOURCES.md`) point to their HTML pages.

Built on nbconvert (installed with JupyterLab); the HTML is nbconvert's, not ours.
"""
import argparse
import html
import re
import shutil
import sys
from pathlib import Path

import nbformat
from jinja2 import DictLoader
from nbconvert import HTMLExporter
from nbconvert.filters.markdown_mistune import markdown2html_mistune
from nbconvert.preprocessors import Preprocessor

MARKER = ".nnlab-site"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"

# nbconvert's JupyterLab template without the script tags that reach for a CDN.
TEMPLATE = r"""{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{% block jupyter_widgets %}{% endblock jupyter_widgets %}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block body_header -%}
{{ super() }}
<nav class="nnlab-nav" style="max-width:1100px;margin:0 auto;padding:8px 16px;font-family:sans-serif">
<a href="{{ resources.nnlab_home }}">nnlab course: all lessons</a>
{%- if resources.nnlab_sources %} · <a href="{{ resources.nnlab_sources }}">sources</a>{% endif %}
</nav>
{%- endblock body_header -%}
"""

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 900px; margin: 2em auto; padding: 0 1em;
       line-height: 1.5; color: #222; }}
table {{ border-collapse: collapse; }} td, th {{ border: 1px solid #ccc; padding: 4px 8px;
       vertical-align: top; }} code {{ background: #f3f3f3; padding: 0 3px; }}
</style>
</head>
<body>
{nav}
{body}
</body>
</html>
"""


class WidgetNote(Preprocessor):
    """Replace a widget's view (it needs a kernel) with a short note saying so."""

    def preprocess_cell(self, cell, resources, index):
        for output in cell.get("outputs", []):
            if WIDGET_VIEW in output.get("data", {}):
                output["data"] = {
                    "text/html": '<div class="nnlab-widget-note" style="border:1px dashed #999;'
                                 'padding:6px 10px;color:#444;font-family:sans-serif">'
                                 "Interactive widget: its controls move in JupyterLab "
                                 "(<code>jupyter lab lessons/</code>). The figure above "
                                 "shows it at its default values.</div>",
                    "text/plain": "[interactive widget: open the notebook in JupyterLab]"}
        return cell, resources


def _title(nb, fallback):
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            match = re.search(r"^#\s+(.+)$", cell.source, re.M)
            if match:
                return match.group(1).strip()
    return fallback


def _lesson_map(root):
    """{slug: description} from README.md's lesson table (markdown, may be empty)."""
    readme = root / "README.md"
    rows = {}
    if readme.exists():
        for line in readme.read_text(encoding="utf-8").splitlines():
            match = re.match(r"\|\s*\d+\s*\|\s*\[[^\]]*\]\(lessons/([^)]+)\.ipynb\)\s*:?\s*"
                             r"([^|]*)\|", line)
            if match:
                rows[match.group(1)] = match.group(2).strip()
    return rows


def _fix_links(text, here, out, missing):
    """Point relative links to .ipynb/.md files at their .html pages in the site."""

    def repl(match):
        target, fragment = match.group(2), match.group(3) or ""
        if re.match(r"[a-z][a-z0-9+.-]*:|#|/", target):
            return match.group(0)
        page = (here.parent / re.sub(r"\.(ipynb|md)$", ".html", target)).resolve()
        if page.suffix == ".html" and not page.exists():
            missing.append(f"{here.relative_to(out)} -> {target}")
            return f'{match.group(1)}"#"'
        new = re.sub(r"\.(ipynb|md)$", ".html", target)
        return f'{match.group(1)}"{new}{fragment}"'

    return re.sub(r'(href=)"([^"#]*)(#[^"]*)?"', repl, text)


def build(out="site", root=".", stream=None):
    """Write the site into `out`; return the list of pages written (paths)."""
    stream = stream or sys.stdout
    root, out = Path(root).resolve(), Path(out).resolve()
    lessons = sorted((root / "lessons").glob("[0-9][0-9]_*.ipynb"))
    if not lessons:
        raise SystemExit(f"nnlab-site: no lessons/NN_*.ipynb under {root}")
    if out.exists():
        if not (out / MARKER).exists() and any(out.iterdir()):
            raise SystemExit(f"nnlab-site: {out} exists and is not a site built by nnlab-site; "
                             "give an empty or new folder")
        shutil.rmtree(out)
    (out / "lessons").mkdir(parents=True)
    (out / MARKER).write_text("built by nnlab-site; this folder is replaced on every build\n")

    exporter = HTMLExporter(extra_loaders=[DictLoader({"nnlab_site.html.j2": TEMPLATE})],
                            template_file="nnlab_site.html.j2")
    exporter.register_preprocessor(WidgetNote(), enabled=True)
    sources = root / "lessons" / "SOURCES.md"
    pages, missing, rows = [], [], []
    jobs = [(nb, out / "lessons" / f"{nb.stem}.html") for nb in lessons]
    exercises = sorted((root / "exercises").glob("[0-9][0-9]_*.ipynb"))
    if exercises:
        (out / "exercises").mkdir()
        jobs += [(nb, out / "exercises" / f"{nb.stem}.html") for nb in exercises]
    for path, target in jobs:
        nb = nbformat.read(path, as_version=4)
        depth = "../"
        resources = {"metadata": {"name": _title(nb, path.stem)},
                     "nnlab_home": f"{depth}index.html",
                     "nnlab_sources": f"{depth}lessons/SOURCES.html" if sources.exists() else ""}
        body, _ = exporter.from_notebook_node(nb, resources=resources)
        target.write_text(body, encoding="utf-8")
        pages.append(target)
        if path.parent.name == "lessons":
            rows.append((path, target, _title(nb, path.stem)))

    nav = '<nav><a href="{home}">nnlab course: all lessons</a></nav>'
    if sources.exists():
        body = markdown2html_mistune(sources.read_text(encoding="utf-8"))
        target = out / "lessons" / "SOURCES.html"
        target.write_text(PAGE.format(title="nnlab: the five source documents",
                                      nav=nav.format(home="../index.html"), body=body),
                          encoding="utf-8")
        pages.append(target)

    described = _lesson_map(root)
    items = []
    for path, target, title in rows:
        desc = described.get(path.stem, "")
        desc_html = markdown2html_mistune(desc).strip() if desc else ""
        desc_html = re.sub(r"^<p>|</p>$", "", desc_html)
        exercise = out / "exercises" / f"{path.stem}.html"
        items.append(
            f'<tr><td><a href="lessons/{target.name}">{html.escape(title)}</a></td>'
            f"<td>{desc_html}</td><td>"
            + (f'<a href="exercises/{exercise.name}">exercises</a>' if exercise.exists() else "")
            + "</td></tr>")
    body = (
        "<h1>nnlab — how neural networks work, from one neuron to a trained CNN</h1>\n"
        "<p>The course's lessons as static pages: the text, the code and the figures as "
        "committed. To run the code and move the sliders, clone the repository and open the "
        "notebooks in JupyterLab (<code>jupyter lab lessons/</code>).</p>\n"
        "<table><thead><tr><th>lesson</th><th>what it covers</th><th>exercises</th></tr>"
        "</thead><tbody>\n" + "\n".join(items) + "\n</tbody></table>\n"
        + ('<p><a href="lessons/SOURCES.html">The five source documents</a> the lessons '
           "quote.</p>\n" if sources.exists() else ""))
    index = out / "index.html"
    index.write_text(PAGE.format(title="nnlab course", nav="", body=body), encoding="utf-8")
    pages.insert(0, index)

    for page in pages:
        page.write_text(_fix_links(page.read_text(encoding="utf-8"), page, out, missing),
                        encoding="utf-8")
    for link in missing:
        print(f"nnlab-site: link to a page that does not exist (left unlinked): {link}",
              file=stream)
    print(f"nnlab-site: {len(rows)} lessons, {len(exercises)} exercise notebooks"
          f"{', sources' if sources.exists() else ''}"
          f" -> {index}", file=stream)
    return pages


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="nnlab-site", description="Build the course as a static HTML site that reads "
        "offline (lessons, exercises, an index and the sources page).")
    parser.add_argument("out", nargs="?", default="site",
                        help="output folder, replaced on each build (default: %(default)s)")
    parser.add_argument("--root", default=".",
                        help="the repository checkout holding lessons/ (default: current folder)")
    args = parser.parse_args(argv)
    build(args.out, args.root)
    return 0


if __name__ == "__main__":
    sys.exit(main())
