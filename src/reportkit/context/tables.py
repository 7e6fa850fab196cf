"""Tables, series and records as the templates see them, with their metrics.

Every number handed out is a :class:`Num` that names its cells and the metric applied, so the
provenance sidecar can answer "where does 116.02% come from?".
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..data.citations import credit, source_with_citations
from ..data.tables import ASSUMPTION_LABEL, CellRef, Column, DateValue, RawRow, RawTable
from ..errors import DataError, Location, Problem, ProblemsFound
from .num import RATIO, Num, cell_range, is_count_unit


class LookupProblem(DataError):
    """A template asked for a table, row, column or year that the data does not have."""

    code = "undefined_name"


def _hint(name: object, choices: list[str]) -> str:
    close = difflib.get_close_matches(str(name), choices, n=1)
    if close:
        return f"; did you mean {close[0]!r}?"
    shown = ", ".join(choices[:12]) + (" ..." if len(choices) > 12 else "")
    return f"; available: {shown}" if choices else ""


@dataclass(frozen=True)
class Point:
    """A year and the value in it."""

    year: int
    value: Num


@dataclass(frozen=True)
class Share:
    """One category's value in a year, its share of the total (a fraction) and its rank."""

    label: str
    value: Num
    share: Num
    rank: int


class Series:
    """One data row of a series table: a value per year, actual or forecast."""

    def __init__(self, table: SeriesTable, label: str, values: dict[int, Num], label_ref: CellRef):
        self.table = table
        self.label = label
        self.unit = table.unit
        self._values = values
        self.label_ref = label_ref

    def __repr__(self) -> str:
        return f"<Series {self.table.id}[{self.label}]>"

    @property
    def years(self) -> list[int]:
        """Years that hold a value, ascending."""
        return sorted(self._values)

    def has(self, year: int) -> bool:
        return int(year) in self._values

    def points(self) -> list[Point]:
        """Every (year, value), ascending."""
        return [self._point(y) for y in self.years]

    def value(self, year: int) -> Num:
        """Return the value in `year`; raises :class:`LookupProblem` when there is none."""
        try:
            y = int(year)
        except (TypeError, ValueError):
            raise LookupProblem(f"{year!r} is not a year") from None
        if y not in self._values:
            raise LookupProblem(
                f"table {self.table.id} row {self.label!r} has no value for {y}; years with values: "
                f"{', '.join(str(v) for v in self.years)}",
                Location(self.table.file, self.table.sheet, self.label_ref.cell),
            )
        return self._values[y]

    __getitem__ = value

    def _point(self, year: int) -> Point:
        return Point(year, self._values[year])

    @property
    def first(self) -> Point:
        """The first year with a value."""
        return self._point(self.years[0])

    @property
    def last(self) -> Point:
        """The last year with a value (the end of the forecast horizon when there is one)."""
        return self._point(self.years[-1])

    @property
    def latest(self) -> Point:
        """The last actual (not forecast) year with a value."""
        actual = [y for y in self.years if not self.table.is_forecast(y)]
        if not actual:
            raise LookupProblem(
                f"table {self.table.id} row {self.label!r} has no actual year",
                Location(self.table.file, self.table.sheet, self.label_ref.cell),
            )
        return self._point(actual[-1])

    def yoy(self, year: int) -> Num:
        """Return growth over the year before as a fraction (0.52 = 52%)."""
        y = int(year)
        cur, prev = self.value(y), self.value(y - 1)
        if float(prev) == 0:
            raise LookupProblem(
                f"table {self.table.id} row {self.label!r}: growth {y} is undefined because {y - 1} is 0"
            )
        return Num(
            float(cur) / float(prev) - 1.0,
            RATIO,
            prev.refs + cur.refs,
            f"yoy({cell_range(prev.refs[-1:] + cur.refs[-1:])})",
        )

    def cagr(self, start: int, end: int) -> Num:
        """Return the compound annual growth rate from `start` to `end` as a fraction."""
        a, b = int(start), int(end)
        if b <= a:
            raise LookupProblem(f"cagr needs end > start, got {a} and {b}")
        va, vb = self.value(a), self.value(b)
        if float(va) <= 0 or float(vb) < 0:
            raise LookupProblem(f"table {self.table.id} row {self.label!r}: CAGR {a}-{b} needs positive values")
        rate = (float(vb) / float(va)) ** (1.0 / (b - a)) - 1.0
        return Num(
            rate, RATIO, va.refs[-1:] + vb.refs[-1:], f"cagr({va.refs[-1].cell}:{vb.refs[-1].cell}, {b - a} years)"
        )

    def change(self, start: int, end: int) -> Num:
        """Return value(end) - value(start)."""
        va, vb = self.value(start), self.value(end)
        return Num(
            float(vb) - float(va),
            self.unit,
            va.refs[-1:] + vb.refs[-1:],
            f"change({va.refs[-1].cell}:{vb.refs[-1].cell})",
        )

    def multiple(self, start: int, end: int) -> Num:
        """Return value(end) / value(start)."""
        va, vb = self.value(start), self.value(end)
        return Num(
            float(vb) / float(va), "倍", va.refs[-1:] + vb.refs[-1:], f"multiple({va.refs[-1].cell}:{vb.refs[-1].cell})"
        )

    def share(self, year: int) -> Num:
        """Return this row's share of the table total in `year`, as a fraction."""
        for s in self.table.shares(year):
            if s.label == self.label:
                return s.share
        raise LookupProblem(f"row {self.label!r} has no value for {year}")

    def rank(self, year: int) -> int:
        """Return this row's rank in `year` (1 = largest)."""
        return self.table.ranking(year).index(self.label) + 1


class _TableBase:
    """What series and record tables share: metadata and provenance."""

    def __init__(self, raw: RawTable):
        self.raw = raw
        self.id = raw.id
        self.title = raw.title
        self.unit = raw.unit
        self.source = source_with_citations(raw.id, raw.source, raw.citations)
        """The source note: each publisher of a 文献 row with its citation marker, then 来源."""
        self.citations = tuple(raw.citations)
        self.cited = credit([(raw.id, raw.citations)])
        """Each publisher of the table's 文献 once, with its citation markers (empty without 文献): for a
        note that credits several tables, e.g. ``source="市场规模：" ~ ms.cited``."""
        self.illustrative = raw.illustrative
        self.file = raw.file
        self.sheet = raw.sheet

    def location(self) -> Location:
        return Location(self.file, self.sheet)


class SeriesTable(_TableBase):
    """A table with years as columns; forecasts already filled in."""

    kind = "series"

    def __init__(self, raw: RawTable, rows: list[Series] | None = None):
        super().__init__(raw)
        self._columns = {c.year: c for c in raw.columns if c.year is not None}
        self.rows: list[Series] = rows or []

    def __repr__(self) -> str:
        return f"<SeriesTable {self.id}>"

    @property
    def labels(self) -> list[str]:
        return [r.label for r in self.rows]

    @property
    def count(self) -> int:
        return len(self.rows)

    @property
    def years(self) -> list[int]:
        return sorted(y for y in self._columns if y is not None)

    @property
    def actual_years(self) -> list[int]:
        return [y for y in self.years if not self._columns[y].forecast]

    @property
    def forecast_years(self) -> list[int]:
        return [y for y in self.years if self._columns[y].forecast]

    @property
    def first_year(self) -> int:
        return self.years[0]

    @property
    def last_year(self) -> int:
        return self.years[-1]

    @property
    def last_actual_year(self) -> int:
        actual = self.actual_years
        if not actual:
            raise LookupProblem(f"table {self.id} has no actual year", self.location())
        return actual[-1]

    @property
    def first_forecast_year(self) -> int:
        f = self.forecast_years
        if not f:
            raise LookupProblem(f"table {self.id} has no forecast year", self.location())
        return f[0]

    def is_forecast(self, year: int) -> bool:
        col = self._columns.get(int(year))
        return bool(col and col.forecast)

    def column(self, year: int) -> Column:
        return self._columns[int(year)]

    def row(self, label: str) -> Series:
        """Return the series labelled `label`."""
        for r in self.rows:
            if r.label == label:
                return r
        raise LookupProblem(f"table {self.id} has no row {label!r}{_hint(label, self.labels)}", self.location())

    def __getitem__(self, label: str) -> Series:
        return self.row(label)

    def __iter__(self) -> Iterator[Series]:
        return iter(self.rows)

    def total(self, year: int) -> Num:
        """Return the sum of the data rows in `year`."""
        vals = [r.value(year) for r in self.rows if r.has(year)]
        refs = tuple(ref for v in vals for ref in v.refs[-1:])
        return Num(sum(float(v) for v in vals), self.unit, refs, f"sum({cell_range(refs)})")

    def shares(self, year: int) -> list[Share]:
        """Return each row's value and share in `year`, largest first (ties keep sheet order)."""
        total = self.total(year)
        present = [r for r in self.rows if r.has(year)]
        ordered = sorted(present, key=lambda r: -float(r.value(year)))
        out = []
        for rank, r in enumerate(ordered, start=1):
            v = r.value(year)
            frac = float(v) / float(total) if float(total) else 0.0
            out.append(
                Share(
                    r.label,
                    v,
                    Num(frac, RATIO, v.refs[-1:] + total.refs, f"share({v.refs[-1].cell} / {total.expr})"),
                    rank,
                )
            )
        return out

    def ranking(self, year: int) -> list[str]:
        """Return the labels ordered by value in `year`, largest first."""
        return [s.label for s in self.shares(year)]

    def top(self, year: int) -> Share:
        """Return the largest category in `year`."""
        return self.shares(year)[0]


class Record:
    """One row of a record table; columns by full header or by the name before the unit."""

    def __init__(self, table: RecordTable, values: dict[str, Any], row: RawRow):
        self._table = table
        self._values = values
        self._row = row

    def __repr__(self) -> str:
        return f"<Record {self._table.id}[{self.label}]>"

    @property
    def label(self) -> Any:
        return self._values[self._table.columns[0]]

    def keys(self) -> list[str]:
        return list(self._values)

    def get(self, name: str, default: Any = None) -> Any:
        try:
            return self[name]
        except LookupProblem:
            return default

    def __getitem__(self, name: str) -> Any:
        key = self._table.resolve(name)
        return self._values[key]

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return self[name]

    def __contains__(self, name: object) -> bool:
        try:
            self._table.resolve(str(name))
            return True
        except LookupProblem:
            return False


class RecordTable(_TableBase):
    """A table of records with named columns (policies, companies, milestones ...)."""

    kind = "records"

    def __init__(self, raw: RawTable):
        super().__init__(raw)
        self.columns: list[str] = [raw.header_label or "名称"] + [c.name for c in raw.columns]
        self._bases = {c.base: c.name for c in raw.columns if c.base and c.base != c.name}
        self._units = {c.name: (c.unit if c.unit is not None else raw.unit) for c in raw.columns}
        self.records: list[Record] = []
        for row in raw.rows:
            first = row.label_value if isinstance(row.label_value, DateValue) else row.label
            values: dict[str, Any] = {self.columns[0]: first}
            for col, v, ref in zip(raw.columns, row.values, row.refs):
                if isinstance(v, float):
                    v = Num(v, self._units[col.name], (ref,), ref.cell)
                values[col.name] = v
            self.records.append(Record(self, values, row))

    def __repr__(self) -> str:
        return f"<RecordTable {self.id}>"

    @property
    def count(self) -> int:
        return len(self.records)

    def resolve(self, name: str) -> str:
        """Return the full column name for `name` (full header or its base before the unit)."""
        if name in self.columns:
            return name
        if name in self._bases:
            return self._bases[name]
        raise LookupProblem(f"table {self.id} has no column {name!r}{_hint(name, self.columns)}", self.location())

    def short_name(self, name: str) -> str:
        """The column's name without its unit: `营收` for `营收（亿元）`."""
        full = self.resolve(name)
        return next((b for b, f in self._bases.items() if f == full), full)

    def unit_of(self, name: str) -> str:
        return self._units.get(self.resolve(name), "")

    def column(self, name: str) -> list[Any]:
        key = self.resolve(name)
        return [r[key] for r in self.records]

    def find(self, label: str) -> Record:
        for r in self.records:
            if r.label == label or str(r.label) == label:
                return r
        labels = [str(r.label) for r in self.records]
        raise LookupProblem(f"table {self.id} has no record {label!r}{_hint(label, labels)}", self.location())

    def __iter__(self) -> Iterator[Record]:
        return iter(self.records)


class Data:
    """All tables of an edition, by ID: `data.market_size` in a template."""

    def __init__(self, tables: dict[str, SeriesTable | RecordTable]):
        self._tables = tables
        self.elsewhere: dict[str, str] = {}
        """Where a table missing here was found before (the previous edition, a sheet that is
        ignored): named in the message when a template asks for it."""

    def __getattr__(self, name: str) -> SeriesTable | RecordTable:
        if name.startswith("_"):
            raise AttributeError(name)
        return self[name]

    def __getitem__(self, name: str) -> SeriesTable | RecordTable:
        try:
            return self._tables[name]
        except KeyError:
            if name in self.elsewhere:
                raise LookupProblem(f"no table with ID {name!r} in this edition; {self.elsewhere[name]}") from None
            raise LookupProblem(f"no table with ID {name!r}{_hint(name, sorted(self._tables))}") from None

    def __contains__(self, name: object) -> bool:
        return name in self._tables

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._tables))

    def tables(self) -> list[SeriesTable | RecordTable]:
        return list(self._tables.values())


def _series_rows(raw: RawTable, table: SeriesTable, problems: list[Problem]) -> list[Series]:
    assumptions: dict[str, RawRow] = {}
    data_rows: list[RawRow] = []
    for row in raw.rows:
        m = ASSUMPTION_LABEL.match(row.label)
        if m:
            assumptions[m.group("base")] = row
        else:
            data_rows.append(row)
    labels = {r.label for r in data_rows}
    for base, row in assumptions.items():
        if base not in labels:
            problems.append(
                Problem(
                    "unknown_row",
                    f"assumption row {row.label!r} names no data row{_hint(base, sorted(labels))}",
                    Location(raw.file, raw.sheet, row.label_ref.cell),
                )
            )
    out = []
    whole = is_count_unit(raw.unit)
    for row in data_rows:
        values: dict[int, Num] = {}
        started = False
        assumption = assumptions.get(row.label)
        for i, col in enumerate(raw.columns):
            year = col.year
            assert year is not None
            v, ref = row.values[i], row.refs[i]
            if isinstance(v, float):
                started = True
                # -- a value computed in the workbook says so: "analyst forecast" would hide the formula --
                made = f"formula {ref.formula}" if ref.formula else "analyst forecast" if col.forecast else ""
                expr = f"{ref.cell} ({made})" if made else ref.cell
                values[year] = Num(v, raw.unit, (ref,), expr)
                continue
            if col.forecast:
                g = assumption.values[i] if assumption else None
                prev = values.get(year - 1)
                if isinstance(g, float) and prev is not None:
                    gref = assumption.refs[i]  # type: ignore[union-attr]
                    if not math.isfinite(float(prev) * (1.0 + g)) or abs(float(prev) * (1.0 + g)) >= 1e15:
                        problems.append(
                            Problem(
                                "out_of_range",
                                f"the growth assumption makes forecast {col.label} of {row.label!r} too large to print",
                                Location(raw.file, raw.sheet, gref.cell),
                            )
                        )
                        continue
                    # -- a count grows by whole things: 20.4个 parks would be printed otherwise --
                    grown = float(round(float(prev) * (1.0 + g))) if whole else float(prev) * (1.0 + g)
                    values[year] = Num(
                        grown,
                        raw.unit,
                        prev.refs + (gref,),
                        f"forecast({prev.refs[-1].cell if not prev.expr.startswith('forecast') else prev.expr}"
                        f" × (1+{gref.cell}))",
                    )
                    continue
                if started and assumption is not None and not isinstance(g, float):
                    gref = assumption.refs[i]
                    problems.append(
                        Problem(
                            "missing",
                            f"growth assumption {col.label} of {row.label!r} is empty; enter "
                            f"it here or a forecast value in {ref.cell}",
                            Location(raw.file, raw.sheet, gref.cell),
                        )
                    )
                elif started and assumption is None:
                    problems.append(
                        Problem(
                            "missing",
                            f"forecast {col.label} of {row.label!r} is empty and there is no "
                            f"growth assumption for it; enter a value or a {row.label}（预测增速） row",
                            Location(raw.file, raw.sheet, ref.cell),
                        )
                    )
                continue
            if started:
                problems.append(
                    Problem("missing", f"no value for {row.label!r} in {year}", Location(raw.file, raw.sheet, ref.cell))
                )
        if not values:
            problems.append(
                Problem(
                    "missing", f"row {row.label!r} has no values", Location(raw.file, raw.sheet, row.label_ref.cell)
                )
            )
            continue
        out.append(Series(table, row.label, values, row.label_ref))
    return out


def build_data(raws: list[RawTable]) -> Data:
    """Return the edition's :class:`Data`, computing forecasts; raises :class:`ProblemsFound`."""
    data, problems = collect_data(raws)
    if problems:
        raise ProblemsFound(problems)
    return data


def collect_data(raws: list[RawTable]) -> tuple[Data, list[Problem]]:
    """Return the edition's :class:`Data` as far as it can be computed, and the problems found
    (a row with an empty cell keeps its other years), so later checks can still run on the rest."""
    problems: list[Problem] = []
    tables: dict[str, SeriesTable | RecordTable] = {}
    for raw in raws:
        if raw.is_series:
            st = SeriesTable(raw)
            st.rows = _series_rows(raw, st, problems)
            tables[raw.id] = st
        else:
            tables[raw.id] = RecordTable(raw)
    return Data(tables), problems


__all__ = [
    "Data",
    "DateValue",
    "collect_data",
    "Point",
    "Record",
    "RecordTable",
    "Series",
    "SeriesTable",
    "Share",
    "build_data",
]
