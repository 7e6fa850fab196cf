"""Charts and tables requested by templates, built from context tables into model nodes.

Pure data work: no drawing and no Word here.  The chart picture is made later from the
:class:`~reportkit.model.ChartSpec`; the table cells are formatted text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from ..context.num import Num
from ..context.tables import RecordTable, SeriesTable
from ..data.tables import DateValue
from ..errors import TemplateError
from ..model import CHART_ENGINES, ChartSeries, ChartSpec, Figure, Provenance, Table, TableCell
from . import derived, filters

_NUMERIC = re.compile(r"^[-+]?[\d,]+(\.\d+)?\s*(%|E|亿元|万元|亿|万|个|家|件|倍)?$")
CHART_KINDS = ("bar", "line", "bar_line", "stacked_bar", "pie", "donut", "barh")
SERIES_KINDS = ("bar", "line", "bar_line", "stacked_bar")
CATEGORY_KINDS = ("pie", "donut", "barh")


def _fail(message: str, code: str = "bad_argument") -> TemplateError:
    return TemplateError(message, code=code)


def provenance(value: Any, printed: str) -> Provenance | None:
    """Return the provenance of a number printed as `printed`, or None for a plain number."""
    refs = getattr(value, "refs", None)
    if not refs:
        return None
    return Provenance(
        printed,
        float(value),
        getattr(value, "expr", "") or refs[-1].cell,
        tuple((r.file, r.sheet, r.cell) for r in refs),
        any(r.illustrative for r in refs),
        formulas=tuple(r.formula for r in refs),
    )


def source_note(table: SeriesTable | RecordTable, override: str | None = None) -> str:
    """Return the text after 数据来源： for an object made from `table`."""
    text = override if override else table.source
    notes = []
    as_of = table.raw.as_of
    if as_of is not None and "截至" not in text:
        # -- a sheet whose figures stand before the edition's date says so wherever it is shown --
        notes.append(f"数据截至{filters.date(as_of)}")
    if table.illustrative and "示例" not in text:
        notes.append("含示例数据")
    if not notes:
        return text
    if text.endswith("）"):
        # -- one bracket, not two in a row: 艾媒咨询[28]（2023年估算值；数据截至2023年12月31日） --
        return f"{text[:-1]}；{'；'.join(notes)}）"
    return f"{text}（{'；'.join(notes)}）"


def _years(table: SeriesTable, start: Any, end: Any) -> list[int]:
    years = table.years
    lo = years[0] if start is None else int(start)
    hi = years[-1] if end is None else int(end)
    chosen = [y for y in years if lo <= y <= hi]
    if not chosen:
        raise _fail(f"table {table.id} has no year between {lo} and {hi}; it covers {years[0]}-{years[-1]}")
    return chosen


def _rows(table: SeriesTable, rows: Sequence[str] | str | None) -> list[str]:
    if rows is None:
        return table.labels
    if isinstance(rows, str):
        rows = [rows]
    for label in rows:
        table.row(label)  # raises with a did-you-mean hint
    return list(rows)


def _year_label(table: SeriesTable, y: int) -> str:
    return f"{y}E" if table.is_forecast(y) else str(y)


def build_chart(
    table: SeriesTable | RecordTable,
    kind: str,
    title: str,
    *,
    rows: Any = None,
    start: Any = None,
    end: Any = None,
    year: Any = None,
    label: str | None = None,
    value: str | None = None,
    line: str | None = None,
    source: str | None = None,
    unit: str | None = None,
    engine: str | None = None,
    derive: str | None = None,
) -> Figure:
    """Return a :class:`Figure` (not yet drawn) for `table`; raises TemplateError on bad arguments."""
    if kind not in CHART_KINDS:
        raise _fail(f"unknown chart kind {kind!r}; use one of {', '.join(CHART_KINDS)}", "unknown_kind")
    if engine not in (None, *CHART_ENGINES):
        raise _fail(f"unknown chart engine {engine!r}; use one of {', '.join(CHART_ENGINES)}")
    if not isinstance(title, str) or not title.strip():
        raise _fail("chart needs a title")
    if derive is not None and isinstance(table, RecordTable):
        raise _fail(f"a derived series needs a series table (years as columns); {table.id} is a record table")
    if isinstance(table, RecordTable):
        spec, sources = _record_chart(table, kind, label, value, unit)
    elif derive is not None:
        spec, sources = _derived_chart(table, kind, derive, rows, start, end)
    elif kind in CATEGORY_KINDS:
        labels = _rows(table, rows)
        y = table.last_actual_year if year is None else int(year)
        nums = [table.row(r).value(y) for r in labels]
        spec = ChartSpec(
            kind,
            tuple(labels),
            (ChartSeries(_year_label(table, y), tuple(float(v) for v in nums)),),
            (False,) * len(labels),
            unit if unit is not None else table.unit,
        )
        sources = _sources(_year_label(table, y), labels, nums)
    else:
        spec, sources = _series_chart(table, kind, rows, start, end, line, unit)
    return Figure(
        title=title.strip(), source=source_note(table, source), chart=spec, sources=sources, engine=engine or ""
    )


Sources = tuple[tuple[str, str, Provenance], ...]


def _sources(series: str, categories: Sequence[str], values: Sequence[Any], fmt: Any = None) -> Sources:
    """(series, category, provenance) of each plotted value that came from the data."""
    fmt = fmt or filters.num
    return tuple(
        (series, cat, p)
        for cat, v in zip(categories, values)
        if v is not None and (p := provenance(v, fmt(v))) is not None
    )


def _series_chart(
    table: SeriesTable, kind: str, rows: Any, start: Any, end: Any, line: str | None, unit: str | None
) -> tuple[ChartSpec, Sources]:
    years = _years(table, start, end)
    labels = _rows(table, rows)
    cats = tuple(_year_label(table, y) for y in years)
    forecast = tuple(table.is_forecast(y) for y in years)
    u = unit if unit is not None else table.unit

    def nums(label: str) -> list[Any]:
        s = table.row(label)
        return [s.value(y) if s.has(y) else None for y in years]

    def plotted(name: str, values: list[Any], **kw: Any) -> ChartSeries:
        return ChartSeries(name, tuple(None if v is None else float(v) for v in values), **kw)

    if kind != "bar_line":
        series = {lb: nums(lb) for lb in labels}
        spec = ChartSpec(kind, cats, tuple(plotted(lb, v) for lb, v in series.items()), forecast, u)
        return spec, tuple(x for lb, v in series.items() for x in _sources(lb, cats, v))
    bars = labels[0]
    bar_values = nums(bars)
    fmt: Callable[[Any], str]
    if line is not None:
        table.row(line)
        line_values = nums(line)
        second = plotted(line, line_values, axis="right", as_line=True)
        unit2, fmt = table.unit, _num
    else:
        s = table.row(bars)
        line_values = [s.yoy(y) if s.has(y) and s.has(y - 1) else None for y in years]
        second = ChartSeries(
            "同比增速", tuple(None if g is None else float(g) * 100 for g in line_values), axis="right", as_line=True
        )
        unit2, fmt = "%", _pct1
    spec = ChartSpec(kind, cats, (plotted(bars, bar_values), second), forecast, u, unit2)
    return spec, _sources(bars, cats, bar_values) + _sources(second.name, cats, line_values, fmt)


def _pct1(value: Any) -> str:
    return filters.pct(value, 1)


def _num(value: Any) -> str:
    return filters.num(value)


def _derived_chart(
    table: SeriesTable, kind: str, derive: str, rows: Any, start: Any, end: Any
) -> tuple[ChartSpec, Sources]:
    """A chart of a derived series (each row's share of the total, or its growth), in %."""
    if kind in ("bar_line", "pie", "donut", "barh"):
        raise _fail(f"chart kind {kind} cannot plot a derived series; use bar, line or stacked_bar")
    years = _years(table, start, end)
    labels = _rows(table, rows)
    cats = tuple(_year_label(table, y) for y in years)
    series = derived.chart_values(derive, table, labels, years)
    plotted = tuple(
        ChartSeries(lb, tuple(None if v is None else float(v) * 100 for v in vals)) for lb, vals in series.items()
    )
    spec = ChartSpec(kind, cats, plotted, tuple(table.is_forecast(y) for y in years), "%")
    return spec, tuple(x for lb, vals in series.items() for x in _sources(lb, cats, vals, _pct1))


def _record_chart(
    table: RecordTable, kind: str, label: str | None, value: str | None, unit: str | None
) -> tuple[ChartSpec, Sources]:
    if kind in ("bar_line", "stacked_bar"):
        raise _fail(f"chart kind {kind} needs a series table (years as columns); {table.id} is a record table")
    if not label or not value:
        raise _fail(
            f"a chart of record table {table.id} needs label= and value= columns; columns: {', '.join(table.columns)}"
        )
    names = table.column(label)
    nums = table.column(value)
    for i, v in enumerate(nums):
        if not isinstance(v, float):
            raise _fail(f"column {value!r} of table {table.id} is not numeric in record {names[i]!r}")
    cats = tuple(str(n) for n in names)
    name = table.resolve(value)
    spec = ChartSpec(
        kind,
        cats,
        (ChartSeries(name, tuple(float(v) for v in nums)),),
        (False,) * len(cats),
        unit if unit is not None else table.unit_of(value),
    )
    return spec, _sources(name, cats, nums)


def _decimals(values: Sequence[float], cap: int = 2) -> int:
    need = 0
    for v in values:
        text = f"{v:.{cap}f}".rstrip("0")
        if "." in text:
            need = max(need, len(text.split(".")[1]))
    return need


def _cell(value: Any, digits: int) -> TableCell:
    if value is None or value == "":
        return TableCell("—", numeric=True)
    if isinstance(value, float):
        text = filters.num(value, digits)
        return TableCell(text, numeric=True, source=provenance(value, text))
    if isinstance(value, DateValue):
        return TableCell(filters.date(value))
    return TableCell(str(value))


def _derived_cell(kind: str, value: Num | None, digits: int) -> TableCell:
    if value is None:
        return TableCell("—", numeric=True)
    text = derived.text_of(kind, value, digits)
    return TableCell(text, numeric=True, source=provenance(value, text))


def _record_derived_cell(kind: str, value: Num | None) -> TableCell:
    return _derived_cell(kind, value, _decimals([float(value)]) if value is not None else 0)


def build_table(
    table: SeriesTable | RecordTable,
    title: str,
    *,
    rows: Any = None,
    start: Any = None,
    end: Any = None,
    columns: Sequence[str] | None = None,
    growth: bool = False,
    transpose: bool | None = None,
    source: str | None = None,
    digits: int | None = None,
    derive: Any = None,
) -> Table:
    """Return a :class:`Table` node made from `table`; raises TemplateError on bad arguments.

    `derive` adds computed columns (see :mod:`.derived`): shares, growth, CAGR, change and rank of
    a series table; shares, ranks and differences of a record table's numeric columns.
    """
    if not isinstance(title, str) or not title.strip():
        raise _fail("table needs a title")
    if digits is not None:
        digits = filters.decimals(digits)
    unit_note = f"单位：{table.unit}" if table.unit else ""
    if isinstance(table, RecordTable):
        cols = [table.resolve(c) for c in (columns or table.columns)]
        extra = derived.record_columns(table, derive)

        # -- the caption states the table's unit once: a column in that unit shows its bare name --
        units = {c.name: c.unit for c in table.raw.columns}
        names = [table.short_name(c) if table.unit and units.get(c) == table.unit else c for c in cols]
        # -- records are different things (firms, policies): each number keeps its own precision --
        header = tuple(TableCell(n) for n in names) + tuple(TableCell(h, numeric=True) for h, _k, _v in extra)
        body = tuple(
            tuple(
                _cell(
                    r[c],
                    _decimals([r[c]])
                    if digits is None and isinstance(r[c], float)
                    else (int(digits) if digits is not None else 0),
                )
                for c in cols
            )
            + tuple(_record_derived_cell(k, v[i]) for _h, k, v in extra)
            for i, r in enumerate(table.records)
        )
        if table.unit == "":
            unit_note = ""
        return Table(title.strip(), source_note(table, source), header, body, unit_note=unit_note)
    years = _years(table, start, end)
    labels = _rows(table, rows)
    series = [table.row(lb) for lb in labels]
    kinds = derived.series_derivations(derive, growth)
    yearly = [k for k in kinds if k in derived.PER_YEAR]
    summaries = [k for k in kinds if k in derived.SUMMARY]
    # -- decimals are chosen per series, so one precise row does not pad every other --
    dec = {
        s.label: (_decimals([float(s.value(y)) for y in years if s.has(y)]) if digits is None else int(digits))
        for s in series
    }
    alone = len(series) == 1

    if transpose is None:
        transpose = len(years) > 8
    if transpose:
        head = ["年份"]
        for s in series:
            head.append(s.label)
            head += [derived.per_year_label(k, s, alone) for k in yearly]
        body_rows = []
        for y in years:
            cells = [TableCell(_year_label(table, y))]
            for s in series:
                cells.append(_cell(s.value(y) if s.has(y) else None, dec[s.label]))
                cells += [_derived_cell(k, derived.per_year(k, s, y), 1) for k in yearly]
            body_rows.append(tuple(cells))
        for k in summaries:
            cells = [TableCell(derived.summary_label(k, table, years))]
            for s in series:
                cells.append(_derived_cell(k, derived.summary(k, s, years), dec[s.label]))
                cells += [TableCell("—", numeric=True) for _k in yearly]
            body_rows.append(tuple(cells))
        header = tuple(TableCell(h) for h in head)
    else:
        header = tuple(
            [TableCell(table.raw.header_label or "指标")]
            + [TableCell(_year_label(table, y), numeric=True) for y in years]
            + [TableCell(derived.summary_label(k, table, years), numeric=True) for k in summaries]
        )
        body_rows = []
        dash = [TableCell("—", numeric=True) for _k in summaries]
        for s in series:
            body_rows.append(
                tuple(
                    [TableCell(s.label)]
                    + [_cell(s.value(y) if s.has(y) else None, dec[s.label]) for y in years]
                    + [_derived_cell(k, derived.summary(k, s, years), dec[s.label]) for k in summaries]
                )
            )
            for k in yearly:
                body_rows.append(
                    tuple(
                        [TableCell(derived.per_year_label(k, s, alone))]
                        + [_derived_cell(k, derived.per_year(k, s, y), 1) for y in years]
                        + dash
                    )
                )
    # -- a caption's unit covers every column: rates beside 亿元 values say they are %, a change of
    # percentages is in percentage points, a rank is a place --
    rates = [n for k, n in (("yoy", "增速"), ("cagr", "年均增速"), ("share", "占比")) if k in kinds]
    if rates and table.unit and table.unit != "%":
        unit_note = f"{unit_note}；{'、'.join(rates)}：%"
    if "change" in kinds and table.unit == "%":
        unit_note = f"{unit_note}；变化：百分点"
    if "rank" in kinds and unit_note:
        unit_note = f"{unit_note}；排名：位"
    return Table(title.strip(), source_note(table, source), header, tuple(body_rows), unit_note=unit_note)


def build_composed_table(title: str, header: Sequence[Any], rows: Sequence[Sequence[Any]], source: str) -> Table:
    """Return a table whose cells a template composed itself (already formatted text).

    For tables that combine several data tables, e.g. a summary of key indicators.  Cells that
    read as numbers (digits, separators, %, a trailing E) are right-aligned.
    """
    if not isinstance(title, str) or not title.strip():
        raise _fail("table_rows needs a title")
    if not isinstance(source, str) or not source.strip():
        raise _fail("table_rows needs a source")
    if not header or not rows:
        raise _fail("table_rows needs a header and at least one row")
    width = len(header)
    for i, row in enumerate(rows, start=1):
        if isinstance(row, str) or len(row) != width:
            raise _fail(
                f"row {i} of table_rows has {len(row) if not isinstance(row, str) else 1} cells; the header has {width}"
            )

    def cell(v: Any) -> TableCell:
        if isinstance(v, float):
            raise _fail(
                "a number in table_rows must be formatted with a filter (num, amount, pct ...)", "unformatted_number"
            )
        text = str(v)
        return TableCell(text, numeric=bool(_NUMERIC.match(text)))

    return Table(
        title.strip(),
        source.strip(),
        tuple(TableCell(str(h)) for h in header),
        tuple(tuple(cell(v) for v in row) for row in rows),
    )


__all__ = ["CHART_ENGINES", "CHART_KINDS", "Num", "build_chart", "build_composed_table", "build_table", "source_note"]
