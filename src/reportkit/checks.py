"""`reportkit check`: run every validation a render needs, without writing anything.

Returns all problems at once: manifest, workbooks, templates (syntax, names the data does not
provide — found by Jinja's meta analysis before rendering — and outline headings, then a trial
render) and the reference .docx.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from .config import Manifest, load_manifest
from .errors import Location, Problem, ReportkitError
from .templating import make_environment
from .templating.environment import CONTEXT_NAMES, provided_names, template_problems



def undeclared_names(manifest: Manifest) -> list[Problem]:
    """Return the problems found in every template before it runs: syntax errors, names that
    reportkit does not provide, and outline headings (the same checks `render` makes first)."""
    env = make_environment(manifest.root / "templates")
    problems: list[Problem] = []
    known = provided_names(env, CONTEXT_NAMES)
    for part in manifest.parts():
        shown = f"templates/{part.template}"
        try:
            source = (manifest.root / "templates" / part.template).read_text(encoding="utf-8")
        except UnicodeDecodeError:
            problems.append(Problem("syntax", "template is not UTF-8 text", Location(template=shown)))
            continue
        except OSError as exc:
            problems.append(Problem("missing", f"cannot read the template: {exc.strerror}", Location(template=shown)))
            continue
        problems.extend(template_problems(env, source, shown, known))
    return problems


def _relative(problem: Problem, project: Path) -> Problem:
    """Name a file inside the project relative to it (the JSON promises project-relative paths)."""
    file = problem.location.file
    if file is None or not Path(file).is_absolute():
        return problem
    try:
        rel = Path(file).resolve().relative_to(project).as_posix()
    except ValueError:
        return problem
    return dataclasses.replace(problem, location=dataclasses.replace(problem.location, file=rel))


def check_project(project: Path, year: int) -> list[Problem]:
    """Return every problem that would stop `render --year year` (empty when clean)."""
    from .docx.writer import DocxWriter
    from .pipeline import build_document, load_data

    project = project.resolve()
    try:
        manifest = load_manifest(project)
    except ReportkitError as exc:
        return [_relative(p, project) for p in exc.problems]
    from .lint import lint_templates

    problems = undeclared_names(manifest) + lint_templates(manifest)
    reference = manifest.reference
    try:
        DocxWriter(reference)
    except ReportkitError as exc:
        problems.extend(exc.problems)
    try:
        data = load_data(project, year)
    except ReportkitError as exc:
        problems.extend(exc.problems)
    else:
        try:
            build_document(manifest, data, year)
        except ReportkitError as exc:
            # -- templates with problems found before running report them again here: once is enough --
            seen = {(p.code, p.message, p.location) for p in problems}
            problems.extend(p for p in exc.problems if (p.code, p.message, p.location) not in seen)
    return [_relative(p, project) for p in problems]
