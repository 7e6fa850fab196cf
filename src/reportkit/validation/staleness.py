"""Stale figures after a new edition: what the previous edition forecast on a base that has since
become an actual year.

A forecast value carried over unchanged from the previous edition is stale when the year it was
built on is now actual with another value (or still empty); a source note that still calls that
year estimated (测算/推算/估算) is stale too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..context import Data, SeriesTable
from ..context.tables import LookupProblem
from ..errors import Location, Problem
from .asof import ESTIMATE_WORDS

BASE_TOLERANCE = 0.005
_ESTIMATED = re.compile(
    r"(?<![\d.])(\d{4})\s*年?(?:\s*[-—至到~～]\s*\d{4}\s*年?)?(?:起|以后|及以后)?"
    r"[^，。；;,、\d]{0,12}?(" + "|".join(ESTIMATE_WORDS) + ")"
)


def _fmt(v: float) -> str:
    return f"{v:,.2f}".rstrip("0").rstrip(".")


def _series(current: SeriesTable, previous: SeriesTable, old_year: int) -> Iterator[Problem]:
    turned = [y for y in current.actual_years if previous.is_forecast(y)]
    if not turned:
        return
    base_year = max(turned)
    for series in current.rows:
        try:
            old = previous.row(series.label)
        except LookupProblem:
            continue
        old_base = old[base_year] if old.has(base_year) else None
        new_base = series[base_year] if series.has(base_year) else None
        if (
            old_base is not None
            and new_base is not None
            and abs(float(new_base) - float(old_base)) <= BASE_TOLERANCE * abs(float(old_base))
        ):
            continue
        stale = []
        for year in current.forecast_years:
            if year <= base_year or not series.has(year) or not old.has(year):
                continue
            value = series[year]
            if value.expr.startswith("forecast(") or abs(float(value) - float(old[year])) > 1e-9 * max(
                1.0, abs(float(value))
            ):
                continue  # -- computed on the new base, or revised by the analyst --
            stale.append((year, value))
        if not stale:
            continue
        now = f"is now {_fmt(float(new_base))}" if new_base is not None else "is still to be entered"
        refs = [v.refs[-1] for _y, v in stale]
        years = current.column(stale[0][0]).label + (f"-{current.column(stale[-1][0]).label}" if len(stale) > 1 else "")
        shown = ", ".join(_fmt(float(v)) for _y, v in stale[:4]) + (" …" if len(stale) > 4 else "")
        # -- one finding per row: the whole carried-over trajectory is one decision for the analyst --
        yield Problem(
            "stale_forecast",
            f"{years} of {series.label!r} ({shown}) {'are' if len(stale) > 1 else 'is'} "
            f"the {old_year} edition's forecast{'s' if len(stale) > 1 else ''}, "
            f"made on {previous.column(base_year).label} = "
            f"{_fmt(float(old_base)) if old_base is not None else '—'}; the actual {base_year} {now}",
            Location(refs[0].file, refs[0].sheet, refs[0].cell),
            hint=f"revise {'them' if len(stale) > 1 else 'it'} on the new base, or clear "
            f"{'them' if len(stale) > 1 else 'it'} and give the years growth assumptions in "
            f"{series.label}（预测增速） so they are computed on the new actual",
            related=tuple(Location(r.file, r.sheet, r.cell) for r in refs[1:]),
        )
    for text, ref in current.raw.text_cells:
        for m in _ESTIMATED.finditer(text):
            year = int(m.group(1))
            if year in turned:
                yield Problem(
                    "stale_text",
                    f"the source note still calls {year} estimated ({m.group(2)}), but "
                    f"{year} is an actual year in this edition",
                    Location(ref.file, ref.sheet, ref.cell),
                    hint=f"say where the {year} actual comes from",
                )


def stale_problems(current: Data, previous: Data, previous_year: int) -> list[Problem]:
    """Return the forecasts and notes of `current` left stale since edition `previous_year`."""
    out: list[Problem] = []
    for table in current.tables():
        if isinstance(table, SeriesTable) and table.id in previous:
            old = previous[table.id]
            if isinstance(old, SeriesTable):
                out.extend(_series(table, old, previous_year))
    return out
