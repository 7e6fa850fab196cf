"""Derived columns and series for `table()` and `chart()`: shares, year-on-year growth, CAGR,
change, rank and differences, computed by the context's metrics so every value keeps the cells it
came from (and with them the 示例 mark of an illustrative source).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..context.num import RATIO, Num
from ..context.tables import RecordTable, Series, SeriesTable
from ..errors import TemplateError
from . import filters

PER_YEAR = ("yoy", "share")
"""One value per series and year: a row under each series, or a column beside it when transposed."""
SUMMARY = ("cagr", "change", "rank")
"""One value per series over the years shown: a column at the end, or a row at the bottom when transposed."""
SERIES_KINDS = PER_YEAR + SUMMARY
RECORD_KINDS = ("share", "rank", "difference")
CHART_KINDS = PER_YEAR


def _fail(message: str) -> TemplateError:
    return TemplateError(message, code="bad_argument")


def series_derivations(derive: Any, growth: bool) -> list[str]:
    """The derivations asked of a series table, in a stable order; `growth=true` is `yoy`."""
    asked = [derive] if isinstance(derive, str) else list(derive or [])
    for d in asked:
        if d not in SERIES_KINDS:
            raise _fail(f"unknown derived column {d!r} for a series table; use {', '.join(SERIES_KINDS)}")
    if growth and "yoy" not in asked:
        asked.insert(0, "yoy")
    return [d for d in SERIES_KINDS if d in asked]


def per_year(kind: str, s: Series, y: int) -> Num | None:
    if kind == "yoy":
        return s.yoy(y) if s.has(y) and s.has(y - 1) and float(s.value(y - 1)) != 0 else None
    return s.share(y) if s.has(y) and float(s.table.total(y)) != 0 else None


def per_year_label(kind: str, s: Series, alone: bool) -> str:
    if kind == "yoy":
        return "同比增速" if alone else f"{s.label}增速"
    return "占比" if alone else f"{s.label}占比"


def summary(kind: str, s: Series, years: Sequence[int]) -> Num | None:
    have = [y for y in years if s.has(y)]
    if len(have) < (1 if kind == "rank" else 2):
        return None
    first, last = have[0], have[-1]
    if kind == "cagr":
        return s.cagr(first, last) if float(s.value(first)) > 0 and float(s.value(last)) >= 0 else None
    if kind == "change":
        return s.change(first, last)
    shares = s.table.shares(last)
    mine = next(x for x in shares if x.label == s.label)
    refs = tuple(r for x in shares for r in x.value.refs[-1:])
    return Num(float(mine.rank), "", refs, f"rank({mine.value.refs[-1].cell} among {len(shares)} in {last})")


def summary_label(kind: str, table: SeriesTable, years: Sequence[int]) -> str:
    y0, y1 = years[0], years[-1]
    if kind == "cagr":
        return f"{y0}-{y1}年均增速"
    if kind == "change":
        return f"{y0}-{y1}变化"
    return f"{y1}年排名"


def text_of(kind: str, value: Num, digits: int) -> str:
    """How a derived value is printed in a table cell."""
    if kind in ("yoy", "share", "cagr"):
        return filters.pct(value, 1)
    if kind == "rank":
        return str(int(value))
    return ("+" if float(value) > 0 else "") + filters.num(value, digits)


def record_columns(table: RecordTable, derive: Any) -> list[tuple[str, str, list[Num | None]]]:
    """(header, kind, one value per record) for each derivation asked of a record table:
    ``{"share": "营收"}``, ``{"rank": "营收"}``, ``{"difference": ["2022年", "2023年"]}`` (second - first)."""
    items = [derive] if isinstance(derive, dict) else list(derive or [])
    out: list[tuple[str, str, list[Num | None]]] = []
    for item in items:
        if not isinstance(item, dict) or len(item) != 1:
            raise _fail(
                'derived columns of a record table are written {"share": "列"}, {"rank": "列"} or '
                '{"difference": ["列A", "列B"]}'
            )
        ((kind, arg),) = item.items()
        if kind not in RECORD_KINDS:
            raise _fail(f"unknown derived column {kind!r} for a record table; use {', '.join(RECORD_KINDS)}")
        if kind == "difference":
            if not isinstance(arg, (list, tuple)) or len(arg) != 2:
                raise _fail('difference takes two columns: {"difference": ["列A", "列B"]} is 列B - 列A')
            a, b = (_numbers(table, c) for c in arg)
            values = [y - x if x is not None and y is not None else None for x, y in zip(a, b)]
            points = "（百分点）" if table.unit_of(arg[1]) == "%" else ""
            out.append((f"{table.short_name(arg[1])}较{table.short_name(arg[0])}变化{points}", "change", values))
            continue
        nums = _numbers(table, arg)
        present = [v for v in nums if v is not None]
        if kind == "share":
            total = sum(present[1:], present[0]) if present else None
            values = [None if v is None or not total else _ratio(v / total) for v in nums]
        else:
            order = sorted(present, key=lambda v: -float(v))
            refs = tuple(r for v in present for r in v.refs)
            values = [
                None
                if v is None
                else Num(float(order.index(v) + 1), "", refs, f"rank({v.refs[-1].cell} among {len(present)})")
                for v in nums
            ]
        out.append((f"{table.short_name(arg)}{'占比' if kind == 'share' else '排名'}", kind, values))
    return out


def _ratio(value: Num) -> Num:
    return Num(float(value), RATIO, value.refs, value.expr)


def _numbers(table: RecordTable, column: Any) -> list[Num | None]:
    if not isinstance(column, str):
        raise _fail(f"a derived column names a column of {table.id}, got {column!r}")
    values = table.column(column)
    bad = [v for v in values if v is not None and not isinstance(v, Num)]
    if bad:
        raise _fail(f"column {column!r} of table {table.id} is not numeric ({bad[0]!r})")
    return values


def chart_values(
    kind: str, table: SeriesTable, labels: Sequence[str], years: Sequence[int]
) -> dict[str, list[Num | None]]:
    """The derived series a chart plots instead of the values: shares or growth rates, per row."""
    if kind not in CHART_KINDS:
        raise _fail(f"a chart can plot the derived series {', '.join(CHART_KINDS)}, not {kind!r}")
    return {lb: [per_year(kind, table.row(lb), y) for y in years] for lb in labels}


__all__ = [
    "CHART_KINDS",
    "SERIES_KINDS",
    "chart_values",
    "per_year",
    "record_columns",
    "series_derivations",
    "summary",
    "text_of",
]
