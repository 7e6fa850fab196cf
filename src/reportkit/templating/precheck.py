"""What is wrong with a project's templates before any of them runs: syntax, names nobody provides,
outline headings.  `check` and `render` both ask it, so they say the same thing in the same words."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from jinja2 import TemplateNotFound

from ..errors import Location, Problem, ReportkitError
from .environment import CONTEXT_NAMES, make_environment, provided_names, template_problems
from .sandbox import read_template


def check_templates(template_dir: Path, names: Iterable[str]) -> list[Problem]:
    """Return the problems of the templates `names` (paths under `template_dir`), each with its line."""
    env = make_environment(template_dir)
    problems: list[Problem] = []
    known = provided_names(env, CONTEXT_NAMES)
    for name in names:
        shown = f"templates/{name}"
        try:
            source, _path = read_template(template_dir, name)
        except UnicodeDecodeError:
            problems.append(Problem("syntax", "template is not UTF-8 text", Location(template=shown)))
            continue
        except TemplateNotFound:
            problems.append(
                Problem("missing", "template file not found (looked in templates/)", Location(template=shown))
            )
            continue
        except ReportkitError as exc:
            problems.extend(exc.problems)
            continue
        problems.extend(template_problems(env, source, shown, known))
    return problems


__all__ = ["check_templates"]
