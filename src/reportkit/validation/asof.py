"""As-of discipline: an edition's data stands at one date.  Years up to it are actuals, later years
forecasts (E); nothing is dated after it; no text calls an actual year a forecast.

A table whose figures stand earlier (annual statistics lag) says so with its own 截至 date, which
its source note prints.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..context import Data, SeriesTable
from ..data.tables import CellRef, DateValue, RawTable, last_actual_year
from ..errors import Location, Problem

_DATED = re.compile(r"截至\s*(\d{4})\s*年\s*(?:(\d{1,2})\s*月\s*(?:(\d{1,2})\s*日)?|(年底|年末|底|末))?")
_FORECAST_MARK = re.compile(r"(?<![\d.])(\d{4})\s*[EF](?![A-Za-z])")
_FORECAST_WORD = re.compile(
    r"(?<![\d.])(\d{4})\s*年?(?:\s*[-—至到~～]\s*\d{4}\s*年?)?(?:起|以后|及以后)?"
    r"[^，。；;,、\d]{0,12}?(预计|预测|估计)"
)
ESTIMATE_WORDS = ("测算", "估算", "推算", "插值")


def cn_date(d: DateValue) -> str:
    """`2024年12月31日`, as messages quote a date (the templates' `date` filter prints it the same way)."""
    return f"{d.year}年{d.month}月{d.day}日" if d.day else f"{d.year}年{d.month}月" if d.month else f"{d.year}年"


def table_as_of(raw: RawTable, edition: DateValue) -> DateValue:
    return raw.as_of if raw.as_of is not None and raw.as_of < edition else edition


def dates_claimed(text: str) -> Iterator[DateValue]:
    """Every "截至…" date in `text`; a month-only date counts from the month's first day."""
    for m in _DATED.finditer(text):
        year, month, day, end = m.groups()
        if end:
            yield DateValue(int(year), 12, 31)
        elif month and 1 <= int(month) <= 12:
            yield DateValue(int(year), int(month), int(day) if day and 1 <= int(day) <= 31 else 1)
        else:
            yield DateValue(int(year), 1, 1)


def forecast_years_named(text: str) -> list[int]:
    """Years that `text` calls a forecast: `2024E`, `2024年预计…`, `2024-2027年为预测值`."""
    return sorted({int(m.group(1)) for rx in (_FORECAST_MARK, _FORECAST_WORD) for m in rx.finditer(text)})


def _loc(ref: CellRef) -> Location:
    return Location(ref.file, ref.sheet, ref.cell)


def _text_problems(text: str, ref: CellRef, as_of: DateValue, what: str) -> Iterator[Problem]:
    for d in dates_claimed(text):
        if d > as_of:
            yield Problem(
                "after_as_of",
                f"{what} says 截至{cn_date(d)}, after the date the data stands at ({cn_date(as_of)})",
                _loc(ref),
                hint="correct the date, or move the edition's as_of (report.toml) or the sheet's 截至",
            )
    last = last_actual_year(as_of)
    for y in forecast_years_named(text):
        if y <= last:
            yield Problem(
                "stale_text",
                f"{what} calls {y} a forecast, but {y} is an actual year (data as of {cn_date(as_of)})",
                _loc(ref),
                hint=f"reword it for the actual {y} figures, or declare 截至 if the sheet's data stands earlier",
            )


def _series_problems(table: SeriesTable, as_of: DateValue) -> Iterator[Problem]:
    raw = table.raw
    last = last_actual_year(as_of)
    own = raw.as_of is not None
    where = f"the sheet's 截至 {cn_date(as_of)}" if own else f"the edition's as_of {cn_date(as_of)}"
    for col in raw.columns:
        if col.year is None:
            continue
        if col.forecast and col.year <= last:
            yield Problem(
                "asof_forecast",
                f"{col.label} is marked as a forecast, but by {where} {col.year} is an actual year",
                _loc(col.ref),
                hint=f"enter the actual and write the header as {col.year}, or give the sheet a 截至 "
                f"date before {col.year}-12-31 if its figures stand earlier",
            )
        elif not col.forecast and col.year > last:
            yield Problem(
                "asof_actual",
                f"{col.label} is an actual year after {where}",
                _loc(col.ref),
                hint=f"mark it as a forecast ({col.year}E), or move the as-of date",
            )


def _record_problems(raw: RawTable, as_of: DateValue) -> Iterator[Problem]:
    for row in raw.rows:
        cells = [(row.label_value, row.label_ref)] + list(zip(row.values, row.refs))
        for value, ref in cells:
            if isinstance(value, DateValue) and DateValue(value.year, value.month or 1, value.day or 1) > as_of:
                yield Problem(
                    "after_as_of",
                    f"{row.label!s} is dated {value}, after the date the data stands at ({cn_date(as_of)})",
                    _loc(ref),
                    hint="drop the record from this edition, or move the as-of date",
                )
            elif isinstance(value, str):
                yield from _text_problems(value, ref, as_of, "the text")


def asof_problems(data: Data, edition: DateValue) -> list[Problem]:
    """Return every contradiction of the as-of dates in the edition's tables."""
    out: list[Problem] = []
    for table in data.tables():
        raw = table.raw
        if raw.as_of is not None and raw.as_of > edition:
            out.append(
                Problem(
                    "after_as_of",
                    f"截至 {raw.as_of} is after the edition's as_of {edition}",
                    _loc(raw.meta_refs["截至"]),
                    hint="a sheet's data cannot stand later than the edition",
                )
            )
        as_of = table_as_of(raw, edition)
        for text, ref in raw.text_cells:
            out.extend(
                _text_problems(
                    text, ref, as_of, "the sheet's " + ("title" if ref == raw.meta_refs.get("标题") else "source note")
                )
            )
        if isinstance(table, SeriesTable):
            out.extend(_series_problems(table, as_of))
        else:
            out.extend(_record_problems(raw, as_of))
    return out
