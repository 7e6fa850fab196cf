"""Plain data read from a workbook, before any metric is computed.

These classes know nothing about Excel or about report wording: a table is a header, rows of
values, and for every value the cell it came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

YEAR_HEADER = re.compile(r"^\s*(\d{4})\s*(E|F|e|f|预测|\(E\)|（E）|\(预测\)|（预测）)?\s*$")
UNIT_HEADER = re.compile(r"^(?P<base>.+?)\s*[（(](?P<unit>[^（）()]+)[）)]\s*$")
ASSUMPTION_LABEL = re.compile(r"^(?P<base>.+?)\s*[（(]预测增速[）)]\s*$")
DATE_TEXT_RE = re.compile(
    r"^\s*(\d{4})(?:(?P<sep>[-/.])(?P<m1>\d{1,2})(?:(?P=sep)(?P<d1>\d{1,2}))?"
    r"|年(?P<m2>\d{1,2})月(?:(?P<d2>\d{1,2})日)?)\s*$"
)
"""A date typed as text: 2023-07-13, 2023/7, 2023.07.13, 2023年7月13日 or 2023年7月 — one separator
throughout, so a span such as 2024年1-9月 is text, not 9 January."""


def parse_date_text(text: str) -> DateValue | None:
    """The date `text` spells (month or day precision), or None when it is not one."""
    m = DATE_TEXT_RE.match(text)
    if not m:
        return None
    month, day = m.group("m1") or m.group("m2"), m.group("d1") or m.group("d2")
    if not 1 <= int(month) <= 12 or (day is not None and not 1 <= int(day) <= 31):
        return None
    return DateValue(int(m.group(1)), int(month), int(day) if day else None)


@dataclass(frozen=True)
class CellRef:
    """A workbook cell: `file` is relative to the project, `cell` an A1 reference."""

    file: str
    sheet: str
    cell: str
    illustrative: bool = field(default=False, compare=False)
    """The cell belongs to a table flagged 示例: whatever is computed from it is illustrative too."""
    formula: str | None = field(default=None, compare=False)
    """The formula whose saved value the cell holds (``=E9*(1+E10/100)``), if any."""

    def __str__(self) -> str:
        return f"{self.file} [{self.sheet}] {self.cell}"


@dataclass(frozen=True)
class DateValue:
    """A calendar date that may be known only to the month (`day` is None) or the year.

    Dates order by year, month, day; an unknown part sorts before any known one.
    """

    year: int
    month: int | None = None
    day: int | None = None

    def key(self) -> tuple[int, int, int]:
        return (self.year, self.month or 0, self.day or 0)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, DateValue):
            return NotImplemented
        return self.key() < other.key()

    def __le__(self, other: object) -> bool:
        if not isinstance(other, DateValue):
            return NotImplemented
        return self.key() <= other.key()

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, DateValue):
            return NotImplemented
        return self.key() > other.key()

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, DateValue):
            return NotImplemented
        return self.key() >= other.key()

    def __str__(self) -> str:
        if self.month is None:
            return f"{self.year:04d}"
        if self.day is None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"


Scalar = float | str | DateValue | None


@dataclass(frozen=True)
class Column:
    """A header cell: a year (series tables) or a named column (record tables)."""

    name: str
    ref: CellRef
    year: int | None = None
    forecast: bool = False
    base: str = ""
    unit: str | None = None

    @property
    def label(self) -> str:
        """The header as printed: `2025E` for a forecast year."""
        if self.year is None:
            return self.name
        return f"{self.year}E" if self.forecast else str(self.year)


@dataclass(frozen=True)
class DataException:
    """An analyst's reasoned acceptance of one finding on one cell: metadata row `例外 | D9 implausible_jump | reason`.

    It silences that code on that cell only; `check` lists every exception it applied.
    """

    cell: str
    code: str
    reason: str
    ref: CellRef
    """Where the exception itself is written."""


CITATION_KINDS = {
    "R": "报告",
    "N": "报纸、新闻",
    "J": "期刊",
    "S": "标准",
    "EB": "电子公告（网页、公告、政策文件）",
    "C": "会议录",
    "Z": "其他",
}
"""GB/T 7714 document type codes a 文献 row may name (column F); R when it names none."""


@dataclass(frozen=True)
class Citation:
    """One published source of a table: metadata row `文献 | 发布机构 | 标题 | 日期 | URL | 类型 | 范围`.

    Two citations with the same publisher, title and date are the same reference (`key`), whatever
    part of it each table uses (`scope`).
    """

    publisher: str
    title: str
    date: DateValue
    url: str = ""
    kind: str = "R"
    scope: str = ""
    """What the table takes from it (e.g. 2020、2022年), printed beside its number in the source note."""
    ref: CellRef | None = field(default=None, compare=False)
    """Where the 文献 row is written."""

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.publisher, self.title, str(self.date))


@dataclass
class RawRow:
    """One data row: its label cell and one value (or None) per column."""

    label: str
    label_ref: CellRef
    values: list[Scalar]
    refs: list[CellRef]
    label_value: Scalar = None


@dataclass
class RawTable:
    """One sheet read under the convention in `datasets/README.md`."""

    id: str
    title: str
    unit: str
    source: str
    file: str
    sheet: str
    header_label: str
    columns: list[Column]
    rows: list[RawRow]
    illustrative: bool = False
    note: str = ""
    must_total: float | None = None
    meta_refs: dict[str, CellRef] = field(default_factory=dict)
    as_of: DateValue | None = None
    """The date this table's data stands at (metadata 截至), when it differs from the edition's."""
    exceptions: list[DataException] = field(default_factory=list)
    text_cells: list[tuple[str, CellRef]] = field(default_factory=list)
    """Every text the table prints besides its values (title, source) with its cell, for text checks."""
    citations: list[Citation] = field(default_factory=list)
    """The published sources (metadata rows 文献), in the order written; `source` is then what the
    table adds of its own (the years this report estimates), and may be empty."""

    @property
    def is_series(self) -> bool:
        return bool(self.columns) and all(c.year is not None for c in self.columns)


def last_actual_year(as_of: DateValue) -> int:
    """The last year whose whole data is in at `as_of`: its own year only when it is 31 December."""
    return as_of.year if (as_of.month, as_of.day) == (12, 31) else as_of.year - 1
