"""Find figures typed into templates that should come from the data.

Template prose (Jinja's `data` tokens) is scanned for numbers, years and percentages; template
expressions for integer literals that look like years (``s[2022]``).  A literal that is a genuine
constant (a product name such as ``5G``) is allowed by listing it in report.toml:

    [lint]
    allow = ["5G", "B2B"]
"""

from __future__ import annotations

import re
from pathlib import Path

from jinja2 import TemplateNotFound, lexer

from .config import Manifest
from .errors import Location, Problem, ReportkitError
from .templating import make_environment
from .templating.sandbox import read_template

NUMBER = re.compile(r"(?<![A-Za-z_])\d+(?:[.,]\d+)*(?:\s*(?:%|％|年|亿|万|元|个|家|件|倍|项|条|人|台|月|日))?")
YEAR_LITERAL = re.compile(r"^(19|20|21)\d\d$")


def _allowed(line: str, span: tuple[int, int], allow: tuple[str, ...]) -> bool:
    """True when the literal at `span` lies inside an occurrence of an allowed string."""
    for a in allow:
        for m in re.finditer(re.escape(a), line):
            if m.start() <= span[0] and span[1] <= m.end():
                return True
    return False


def lint_source(source: str, shown: str, allow: tuple[str, ...] = ()) -> list[Problem]:
    """Return a problem for each hard-coded figure in one template's `source`."""
    env = make_environment(Path("."))
    problems: list[Problem] = []
    try:
        tokens = list(env.lex(source))
    except Exception:  # a syntax error is reported by `check`, not here
        return problems
    for lineno, kind, value in tokens:
        if kind == lexer.TOKEN_DATA:
            for offset, line in enumerate(value.split("\n")):
                for m in NUMBER.finditer(line):
                    if _allowed(line, m.span(), allow):
                        continue
                    kind_ = "hardcoded_year" if YEAR_LITERAL.match(m.group(0).rstrip("年")) else "hardcoded_number"
                    problems.append(
                        Problem(
                            kind_,
                            f"literal {m.group(0)!r} in the text; take it from the data "
                            "(or allow it under [lint] in report.toml)",
                            Location(template=shown, line=lineno + offset),
                        )
                    )
        elif kind == lexer.TOKEN_INTEGER and YEAR_LITERAL.match(str(value)):
            if str(value) in allow:
                continue
            problems.append(
                Problem(
                    "hardcoded_year",
                    f"year {value} written in an expression; use a year from the "
                    "data (t.last_actual_year, s.latest.year, edition.year ...)",
                    Location(template=shown, line=lineno),
                )
            )
    return problems


def lint_templates(manifest: Manifest) -> list[Problem]:
    """Return the hard-coded figures in every template of the outline."""
    allow = manifest.lint_allow
    problems: list[Problem] = []
    for part in manifest.parts():
        try:
            source, _path = read_template(manifest.root / "templates", part.template)
        except (ReportkitError, TemplateNotFound, UnicodeDecodeError):
            continue  # -- `check` reports the template itself --
        problems.extend(lint_source(source, f"templates/{part.template}", allow))
    return problems
