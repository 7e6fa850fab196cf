"""Values that are well-formed but cannot be right: jumps, sign flips, negative sizes, fractional
counts, growth assumptions out of range, fractions typed where percentages belong.

Every finding names the cell to fix: the value cell for an entered value, the growth-assumption
cell for a forecast computed from one.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterator

from ..context import Data, RecordTable, SeriesTable
from ..context.num import Num, is_count_unit
from ..context.tables import LookupProblem
from ..data.tables import ASSUMPTION_LABEL, CellRef
from ..errors import Location, Problem
from .settings import Bounds, CheckSettings

PERCENT = "%"


def _loc(ref: CellRef) -> Location:
    return Location(ref.file, ref.sheet, ref.cell)


def _cell(value: Num) -> CellRef:
    """The cell to fix for `value`: its own, or the growth assumption it was computed with."""
    return value.refs[-1]


def _entered(value: Num) -> bool:
    return not value.expr.startswith("forecast(")


def _fmt(v: float) -> str:
    return f"{v:,.2f}".rstrip("0").rstrip(".")


def _series_problems(table: SeriesTable, settings: CheckSettings) -> Iterator[Problem]:
    percent = table.unit == PERCENT
    for series in table.rows:
        b = settings.bounds(table.id, series.label)
        points = series.points()
        where = f"{series.label!r}"
        for p in points:
            v = float(p.value)
            if v < 0 and not b.allow_negative:
                yield Problem(
                    "negative",
                    f"{where} is {_fmt(v)} in {p.year}; a {table.unit or 'value'} figure cannot be negative",
                    _loc(_cell(p.value)),
                    hint="check the sign; if it can be negative, set allow_negative for this table "
                    "under [[checks.bounds]] in report.toml",
                )
            if is_count_unit(table.unit) and _entered(p.value) and abs(v - round(v)) > 1e-9:
                yield Problem(
                    "not_integer",
                    f"{where} counts {table.unit} but holds {_fmt(v)} in {p.year}",
                    _loc(_cell(p.value)),
                    hint=f"enter a whole number of {table.unit}",
                )
        for a, c in zip(points, points[1:]):
            va, vc, gap = float(a.value), float(c.value), c.year - a.year
            cell = _cell(c.value)
            if percent:
                if abs(vc - va) > b.max_pp_change * gap:
                    yield Problem(
                        "implausible_jump",
                        f"{where} moves from {_fmt(va)}% in {a.year} to {_fmt(vc)}% "
                        f"in {c.year}, more than {b.max_pp_change:g} percentage points a year",
                        _loc(cell),
                        hint="check for a typo or a fraction typed as a percentage",
                    )
                continue
            if va * vc < 0 and b.allow_negative:
                yield Problem(
                    "sign_change",
                    f"{where} changes sign from {_fmt(va)} in {a.year} to {_fmt(vc)} in {c.year}",
                    _loc(cell),
                    hint="check the sign, or accept it with a 例外 row",
                )
            if va > 0 and vc > 0:
                growth = ((vc / va) ** (1.0 / gap) - 1.0) * 100.0
                if not b.min_growth <= growth <= b.max_growth:
                    yield Problem(
                        "implausible_jump",
                        f"{where} goes from {_fmt(va)} in {a.year} to {_fmt(vc)} in "
                        f"{c.year} ({growth:+.1f}% a year; bounds {b.min_growth:g}% to "
                        f"{b.max_growth:+g}%)",
                        _loc(cell),
                        hint="check for a typo or a wrong unit; a genuine jump is accepted with a "
                        "例外 row naming this cell and the reason",
                    )
        if percent:
            yield from _fractions_among_percents(series.label, [(p.year, p.value) for p in points])


def _fractions_among_percents(label: str, values: list[tuple[int, Num]]) -> Iterator[Problem]:
    """A value below 1 in a row of percentages around 10 or more is a fraction typed by mistake (0.42 for 42)."""
    for i, (year, v) in enumerate(values):
        others = [abs(float(o)) for j, (_y, o) in enumerate(values) if j != i]
        if 0 < abs(float(v)) < 1 and others and statistics.median(others) >= 10:
            yield Problem(
                "likely_fraction",
                f"{label!r} is {_fmt(float(v))}% in {year} while the rest of the row is "
                f"around {_fmt(statistics.median(others))}%: a fraction typed where a percentage belongs?",
                _loc(_cell(v)),
                hint=f"in a % table 42 means 42%: type {_fmt(float(v) * 100)} if that is what you meant",
            )


def _assumption_problems(table: SeriesTable, settings: CheckSettings) -> Iterator[Problem]:
    for row in table.raw.rows:
        m = ASSUMPTION_LABEL.match(row.label)
        if not m:
            continue
        base = m.group("base")
        b: Bounds = settings.bounds(table.id, base)
        low, high = b.assumption_range
        entered = [(v * 100.0, ref) for v, ref in zip(row.values, row.refs) if isinstance(v, float)]
        for pct, ref in entered:
            if not low <= pct <= high:
                yield Problem(
                    "growth_out_of_range",
                    f"growth assumption {pct:g}% for {base!r} is outside {low:g}% to {high:g}%",
                    _loc(ref),
                    hint="growth assumptions are percentages: 35 means 35%; widen assumption_range "
                    "for this row under [[checks.bounds]] if the value is meant",
                )
        history = _last_growth(table, base)
        for pct, ref in entered:
            if pct == 0 or abs(pct) >= 1:
                continue
            others = [abs(p) for p, r in entered if r != ref]
            typical = statistics.median(others) if others else history
            if typical is not None and typical >= 5:
                yield Problem(
                    "likely_fraction",
                    f"growth assumption {pct:g}% for {base!r} is far below the "
                    f"{typical:.0f}% around it: a fraction typed where a percentage belongs?",
                    _loc(ref),
                    hint=f"growth assumptions are percentages: type {pct * 100:g} for {pct * 100:g}%",
                )


def _last_growth(table: SeriesTable, label: str) -> float | None:
    """The row's last actual year-on-year growth in percent, when it has two actual years."""
    try:
        series = table.row(label)
    except LookupProblem:  # -- a missing row is reported by the context stage --
        return None
    actual = [y for y in series.years if not table.is_forecast(y)]
    if len(actual) < 2 or float(series[actual[-2]]) <= 0:
        return None
    return abs(float(series[actual[-1]]) / float(series[actual[-2]]) - 1.0) * 100.0


def _record_problems(table: RecordTable, settings: CheckSettings) -> Iterator[Problem]:
    b = settings.bounds(table.id)
    for record in table.records:
        for name in table.columns[1:]:
            v = record.get(name)
            if not isinstance(v, Num):
                continue
            unit = table.unit_of(name)
            if float(v) < 0 and unit != PERCENT and not b.allow_negative:
                yield Problem(
                    "negative",
                    f"{name} of {record.label!s} is {_fmt(float(v))}; a {unit or 'value'} figure cannot be negative",
                    _loc(v.refs[-1]),
                    hint="check the sign; if it can be negative, set allow_negative for this table "
                    "under [[checks.bounds]] in report.toml",
                )
            if is_count_unit(unit) and abs(float(v) - round(float(v))) > 1e-9:
                yield Problem(
                    "not_integer",
                    f"{name} of {record.label!s} counts {unit} but holds {_fmt(float(v))}",
                    _loc(v.refs[-1]),
                    hint=f"enter a whole number of {unit}",
                )


def plausibility_problems(data: Data, settings: CheckSettings) -> list[Problem]:
    """Return every implausible value of the edition."""
    out: list[Problem] = []
    for table in data.tables():
        if isinstance(table, SeriesTable):
            out.extend(_series_problems(table, settings))
            out.extend(_assumption_problems(table, settings))
        else:
            out.extend(_record_problems(table, settings))
    return out
