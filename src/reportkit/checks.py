"""`reportkit check`: run every validation a render needs, without writing anything.

Returns all problems at once: manifest, workbooks, templates (names the data does not provide,
found by Jinja's meta analysis before rendering, then a trial render) and the reference .docx.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import meta, nodes

from .config import Manifest, load_manifest
from .errors import Location, Problem, ReportkitError
from .templating import make_environment

CONTEXT_NAMES = {"edition", "data", "chart", "table", "table_rows", "page_break", "yrange", "year"}


def undeclared_names(manifest: Manifest) -> list[Problem]:
    """Return a problem for every name a template uses that reportkit does not provide."""
    env = make_environment(manifest.root / "templates")
    problems: list[Problem] = []
    known = CONTEXT_NAMES | set(env.globals)
    for part in manifest.parts():
        shown = f"templates/{part.template}"
        try:
            source = (manifest.root / "templates" / part.template).read_text(encoding="utf-8")
            ast = env.parse(source, name=part.template)
        except UnicodeDecodeError:
            problems.append(Problem("syntax", "template is not UTF-8 text", Location(template=shown)))
            continue
        except Exception as exc:  # jinja2.TemplateSyntaxError and friends
            line = getattr(exc, "lineno", None)
            problems.append(Problem("syntax", f"syntax error: {getattr(exc, 'message', exc)}",
                                    Location(template=shown, line=line)))
            continue
        for name in sorted(meta.find_undeclared_variables(ast) - known):
            line = next((n.lineno for n in ast.find_all(nodes.Name) if n.name == name), None)
            problems.append(Problem("undefined_name", f"{name!r} is not defined; templates can use "
                                    + ", ".join(sorted(CONTEXT_NAMES)), Location(template=shown, line=line)))
    return problems


def check_project(project: Path, year: int) -> list[Problem]:
    """Return every problem that would stop `render --year year` (empty when clean)."""
    from .docx import packaged_reference
    from .docx.writer import DocxWriter
    from .pipeline import build_document, load_data

    project = project.resolve()
    try:
        manifest = load_manifest(project)
    except ReportkitError as exc:
        return exc.problems
    from .lint import lint_templates

    problems = undeclared_names(manifest) + lint_templates(manifest)
    reference = manifest.reference_docx or packaged_reference()
    try:
        DocxWriter(reference)
    except ReportkitError as exc:
        problems.extend(exc.problems)
    try:
        data = load_data(project, year)
    except ReportkitError as exc:
        return problems + exc.problems
    if any(p.code in ("syntax", "undefined_name") for p in problems):
        return problems
    try:
        build_document(manifest, data, year)
    except ReportkitError as exc:
        problems.extend(exc.problems)
    return problems
