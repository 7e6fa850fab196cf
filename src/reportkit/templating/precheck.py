"""What is wrong with a project's templates before any of them runs: syntax, names nobody provides,
outline headings.  `check` and `render` both ask it, so they say the same thing in the same words."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from ..errors import Location, Problem
from .environment import CONTEXT_NAMES, make_environment, provided_names, template_problems


def check_templates(template_dir: Path, names: Iterable[str]) -> list[Problem]:
    """Return the problems of the templates `names` (paths under `template_dir`), each with its line."""
    env = make_environment(template_dir)
    problems: list[Problem] = []
    known = provided_names(env, CONTEXT_NAMES)
    for name in names:
        shown = f"templates/{name}"
        try:
            source = (template_dir / name).read_text(encoding="utf-8")
        except UnicodeDecodeError:
            problems.append(Problem("syntax", "template is not UTF-8 text", Location(template=shown)))
            continue
        except OSError as exc:
            problems.append(Problem("missing", f"cannot read the template: {exc.strerror}", Location(template=shown)))
            continue
        problems.extend(template_problems(env, source, shown, known))
    return problems


__all__ = ["check_templates"]
