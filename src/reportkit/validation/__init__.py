"""Trust stage: what the data says must be plausible, consistent, as of one date, current, and honest
about illustrative values.  Runs on the context (after forecasts are computed), before templates.

Each finding can be accepted for one cell by a reasoned exception written in the data
(`例外 | D9 implausible_jump | reason` in the sheet's metadata block); `check` lists every one applied.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..context import Data
from ..data.tables import DataException, DateValue
from ..errors import Location, Problem
from .asof import asof_problems
from .consistency import rule_problems
from .illustrative import illustrative_problems
from .plausibility import plausibility_problems
from .settings import CheckSettings
from .staleness import stale_problems

EXCEPTABLE = frozenset(
    {
        "negative",
        "not_integer",
        "implausible_jump",
        "sign_change",
        "growth_out_of_range",
        "likely_fraction",
        "rule_violated",
        "asof_forecast",
        "asof_actual",
        "after_as_of",
        "stale_text",
        "stale_forecast",
    }
)
"""Findings a 例外 row may accept: judgements on values, never a malformed cell or a missing one."""


@dataclass
class Findings:
    problems: list[Problem] = field(default_factory=list)
    accepted: list[tuple[Problem, DataException]] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    """Noticed, not stopping: a number stored as text, a hidden row, a stray CSV ..."""


def _matches(problem: Problem, exc: DataException) -> bool:
    if problem.code != exc.code:
        return False
    return any(
        loc.file == exc.ref.file and loc.sheet == exc.ref.sheet and loc.cell == exc.cell
        for loc in (problem.location, *problem.related)
    )


def apply_exceptions(problems: list[Problem], data: Data) -> Findings:
    """Split `problems` into those still standing and those accepted by a 例外 row; an exception that
    names an unknown code or matches nothing is a problem itself (it would hide the next real one)."""
    exceptions = [e for t in data.tables() for e in t.raw.exceptions]
    findings = Findings()
    used: set[DataException] = set()
    for p in problems:
        exc = next((e for e in exceptions if e.code in EXCEPTABLE and _matches(p, e)), None)
        if exc is None:
            findings.problems.append(p)
        else:
            used.add(exc)
            findings.accepted.append((p, exc))
    for e in exceptions:
        loc = Location(e.ref.file, e.ref.sheet, e.ref.cell)
        if e.code not in EXCEPTABLE:
            findings.problems.append(
                Problem(
                    "bad_value",
                    f"例外 cannot accept {e.code!r}",
                    loc,
                    hint=f"an exception accepts one of: {', '.join(sorted(EXCEPTABLE))}",
                )
            )
        elif e not in used:
            findings.problems.append(
                Problem(
                    "unused_exception",
                    f"例外 {e.cell} {e.code} matches no finding",
                    loc,
                    hint="remove the row: the value it accepted has changed or moved",
                )
            )
    return findings


def validate(
    data: Data,
    settings: CheckSettings,
    as_of: DateValue,
    previous: Data | None = None,
    previous_year: int | None = None,
) -> Findings:
    """Return every finding on the edition's data, with the exceptions applied."""
    problems = (
        plausibility_problems(data, settings)
        + rule_problems(data, settings.rules)
        + asof_problems(data, as_of)
        + illustrative_problems(data)
    )
    if previous is not None and previous_year is not None:
        problems += stale_problems(data, previous, previous_year)
    # -- two checks may see the same fault in the same cell (a note that calls an actual year both
    # forecast and estimated): say it once --
    seen: set[tuple[str, Location]] = set()
    unique = []
    for p in problems:
        if (p.code, p.location) not in seen:
            seen.add((p.code, p.location))
            unique.append(p)
    return apply_exceptions(unique, data)


__all__ = ["CheckSettings", "Findings", "validate"]
