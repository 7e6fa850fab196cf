"""`reportkit check`: run every validation a render needs, without writing anything.

Returns all problems at once: manifest, workbooks, templates (syntax, names the data does not
provide — found by Jinja's meta analysis before rendering — and outline headings, then a trial
render) and the reference .docx.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

from .config import Manifest, edition_year_problem, load_manifest
from .errors import Problem, ReportkitError
from .templating.precheck import check_templates

if TYPE_CHECKING:
    from .validation import Findings


def undeclared_names(manifest: Manifest) -> list[Problem]:
    """Return the problems found in every template of every edition before it runs: syntax errors,
    names that reportkit does not provide, and outline headings (the same checks `render` makes first)."""
    return check_templates(manifest.root / "templates", [part.template for part in manifest.parts()])


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


def check_project(project: Path | Manifest, year: int) -> Findings:
    """Return every problem that would stop `render --year year` (none when clean), and the findings
    that 例外 rows in the data accepted.  `project` is the project folder, or its manifest when the
    caller has parsed it already."""
    from .docx.writer import DocxWriter
    from .pipeline import build_document, inspect_data
    from .validation import Findings

    if isinstance(project, Manifest):
        manifest = project
        project = manifest.root
    else:
        project = project.resolve()
        try:
            manifest = load_manifest(project)
        except ReportkitError as exc:
            return Findings([_relative(p, project) for p in exc.problems])
    from .lint import lint_templates

    wrong_year = edition_year_problem(year, manifest.horizon)
    if wrong_year is not None:
        return Findings([wrong_year])
    problems = undeclared_names(manifest) + lint_templates(manifest)
    # -- where render would write: the edition, and each client edition the manifest lists --
    for client in ("", *manifest.clients):
        try:
            manifest.output_for(year, client)
        except ReportkitError as exc:
            problems.extend(p for p in exc.problems if p not in problems)
    reference = manifest.reference
    try:
        DocxWriter(reference)
    except ReportkitError as exc:
        problems.extend(exc.problems)
    try:
        data, findings = inspect_data(manifest, year)
    except ReportkitError as exc:
        data, findings = None, Findings(exc.problems)
    problems.extend(findings.problems)
    warnings = list(findings.warnings)
    if data is not None:
        try:
            build_document(manifest, data, year, warnings=warnings)
        except ReportkitError as exc:
            # -- templates with problems found before running report them again here: once is enough --
            seen = {(p.code, p.message, p.location) for p in problems}
            problems.extend(p for p in exc.problems if (p.code, p.message, p.location) not in seen)
    return Findings(
        [_relative(p, project) for p in problems], findings.accepted, [_relative(p, project) for p in warnings]
    )
