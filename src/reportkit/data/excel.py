"""Read one worksheet's cells into a table: the metadata block, the header, the rows, each value
checked and traced to its cell.

Every sheet becomes a :class:`RawTable`; every problem found is collected with its file, sheet and
cell, so that one run reports all of them.  The cells come from :mod:`.sheets`; the edition's folder
is read by :mod:`.edition`.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as _dt
import difflib
import re
from typing import Any

from ..errors import Location, Problem
from .sheets import Sheet
from .sheets import text_of as _text
from .tables import (
    ASSUMPTION_LABEL,
    CITATION_KINDS,
    UNIT_HEADER,
    YEAR_HEADER,
    CellRef,
    Citation,
    Column,
    DataException,
    DateValue,
    RawRow,
    RawTable,
    Scalar,
    parse_date_text,
)

META_KEYS = {
    "ID": "id",
    "标题": "title",
    "单位": "unit",
    "来源": "source",
    "示例": "illustrative",
    "说明": "note",
    "必须合计": "must_total",
    "截至": "as_of",
    "例外": "exception",
    "文献": "citation",
}
REPEATABLE_META = ("例外", "文献")
CITATION_FIELDS = ("发布机构", "标题", "日期", "URL", "类型", "范围")
"""The cells of a 文献 row after its key, from column B; URL, 类型 and 范围 may be left empty."""
URL_RE = re.compile(r"^https?://[^\s<>\"]+$")
YEAR_TEXT = re.compile(r"^\s*(\d{4})\s*年?\s*$")
EXCEPTION_TARGET = re.compile(r"^\s*([A-Za-z]{1,3}[1-9][0-9]*)\s+([a-z_]+)\s*$")
REQUIRED_META = ("ID", "标题", "单位", "来源")
MAX_ABS_VALUE = 1e15  # -- larger is a typo or a wrong unit, and no chart can draw it --
ID_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_XLSX_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
# -- and U+E000-E004, the pipeline's own tags around printed figures and citation markers: data must
# not forge one --
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff\ue000-\ue004]")
YES = {"是", "yes", "y", "true", "1", "示例"}
NO = {"否", "no", "n", "false", "0", ""}
# -- what Excel saves as the value of a formula that failed --
_EXCEL_ERRORS = frozenset({"#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#NULL!", "#SPILL!", "#CALC!"})


def _clean_string(text: str) -> str:
    """Return cell text with Excel's `_xHHHH_` escapes decoded and the characters XML cannot hold
    (control characters Excel stores that way) removed: they are invisible and would break the DOCX."""
    if "_x" in text:
        text = _XLSX_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
    return _XML_FORBIDDEN.sub("", text)


def _quoted(text: str, limit: int = 60) -> str:
    """Return cell text to quote in a one-line message: line breaks and other invisible characters
    escaped (\\n, \\u3000), long text cut."""
    shown = "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


_NUMERIC_TEXT = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$")


def _numeric_text(text: str) -> float | None:
    """The number a text cell spells plainly (166.78, 1,234, -5), or None: anything else (约166,
    42%, 1.2万) is not a number reportkit may guess."""
    return float(text.replace(",", "")) if _NUMERIC_TEXT.match(text) else None


def scales_percent(number_format: str | None) -> bool:
    """True when Excel shows the cell's number multiplied by 100 with a % sign (`0%`, `0.0%`).

    A % inside quotes or escaped (`0.0"%"`, `0.0\\%`) only prints the sign and does not scale.
    """
    return "%" in re.sub(r'"[^"]*"|\\.', "", number_format or "")


class _SheetReader:
    """Reads one worksheet; problems go to `problems`."""

    def __init__(self, sheet: Sheet, rel_file: str, problems: list[Problem]):
        self.cells = sheet
        self.file = rel_file
        self.sheet = sheet.title
        self.problems = problems
        self.uncached: set[tuple[int, int]] = set()
        self.header_row: int | None = None
        """Set once the header is found: formula cells below it that read empty data cells wait for them."""
        self._waits: dict[tuple[int, int], tuple[tuple[int, int], ...]] = {}
        self._labelled: list[int] | None = None
        self._budget = 2_000_000  # -- cells looked at to find what formulas wait for, per sheet --

    def ref(self, row: int, col: int) -> CellRef:
        from openpyxl.utils import get_column_letter

        formula = self.cells.formulas.get((row, col))
        return CellRef(self.file, self.sheet, f"{get_column_letter(col)}{row}", formula=formula)

    def problem(self, code: str, message: str, row: int | None = None, col: int | None = None) -> None:
        cell = self.ref(row, col).cell if row is not None and col is not None else None
        self.problems.append(Problem(code, message, Location(self.file, self.sheet, cell)))

    def warn(self, code: str, message: str, row: int, col: int, hint: str = "") -> None:
        where = Location(self.file, self.sheet, self.ref(row, col).cell)
        self.problems.append(Problem(code, message, where, hint=hint, warning=True))

    def value(self, row: int, col: int) -> Any:
        """The cell's value; a formula's saved value, or None (reported once) when it has none, shows
        an error (#DIV/0!) or is computed from data cells still empty."""
        v = self.cells.values.get((row, col))
        if isinstance(v, str):
            v = _clean_string(v)
        f = self.cells.formulas.get((row, col))
        if f is None:
            return v
        waits = self._waiting_for(row, col)
        first = (row, col) not in self.uncached
        self.uncached.add((row, col))
        if waits:
            if first:
                from openpyxl.utils import get_column_letter

                names = [f"{get_column_letter(c)}{r}" for r, c in waits]
                shown = ", ".join(names[:6]) + (" …" if len(names) > 6 else "")
                self.problems.append(
                    Problem(
                        "missing",
                        f"formula {f} reads {shown}, still empty: its value follows once "
                        f"{'they are' if len(names) > 1 else 'it is'} filled",
                        Location(self.file, self.sheet, self.ref(row, col).cell),
                        hint=f"fill {shown}, then run reportkit recalc{self._year_option()} (or save the "
                        "workbook in Excel or LibreOffice)",
                    )
                )
            return None
        if v is None:
            if first:
                self.problem(
                    "formula_not_cached",
                    f"formula {f} has no saved value; run reportkit recalc{self._year_option()} (computes it "
                    "without Excel), or open and save the workbook in Excel or LibreOffice",
                    row,
                    col,
                )
            return None
        if isinstance(v, str) and v in _EXCEL_ERRORS:
            if first:
                self.problem(
                    "formula_error", f"formula {f} gives the error {v}; correct the formula or what it reads", row, col
                )
            return None
        return v

    def _year_option(self) -> str:
        parts = self.file.split("/")
        return f" --year {parts[1]}" if len(parts) > 2 and parts[0] == "datasets" and parts[1].isdigit() else ""

    def _waiting_for(self, row: int, col: int) -> tuple[tuple[int, int], ...]:
        """The empty data cells (row, column) that the formula at (row, col) reads, directly or through
        formulas of this sheet; () above the header or for a formula that reads no empty data cell."""
        if self.header_row is None or row <= self.header_row:
            return ()
        # -- depth-first without recursion (a chain of formulas across a thousand columns is fine);
        # a formula met again on its own path is a cycle, which waits for nothing more --
        stack = [(row, col)]
        read: dict[tuple[int, int], list[tuple[int, int]]] = {}
        while stack:
            cell = stack[-1]
            if cell in self._waits:
                stack.pop()
                continue
            if cell not in read:
                read[cell] = self._reads(self.cells.formulas[cell])
            reads = read[cell]
            todo = [c for c in reads if c in self.cells.formulas and c not in self._waits and c not in stack]
            if todo:
                stack.extend(todo)
                continue
            stack.pop()
            found = {c for c in reads if c not in self.cells.formulas}
            for c in reads:
                found.update(self._waits.get(c, ()) if c in self.cells.formulas else ())
            self._waits[cell] = tuple(sorted(found))
        return self._waits[row, col]

    def _reads(self, formula: str) -> list[tuple[int, int]]:
        """The data cells of this sheet that `formula` reads: formula cells, and empty cells of
        labelled rows below the header.  The work is bounded: past it, formulas wait for nothing."""
        from openpyxl.formula.tokenizer import Token, Tokenizer
        from openpyxl.utils.cell import range_boundaries

        try:
            tokens = Tokenizer(formula).items
        except Exception:  # the tokenizer raises plain errors on a malformed formula
            return []
        assert self.header_row is not None
        if self._labelled is None:
            self._labelled = sorted(
                r for r in self.cells.rows if r > self.header_row and _text(self.cells.values.get((r, 1))) != ""
            )
        out: list[tuple[int, int]] = []
        for token in tokens:
            if token.type != Token.OPERAND or token.subtype != Token.RANGE:
                continue
            where, _sep, ref = token.value.rpartition("!")
            if where and where.strip("'").replace("''", "'") != self.sheet:
                continue
            try:
                c0, r0, c1, r1 = range_boundaries(ref.replace("$", ""))
            except ValueError:
                continue
            rows = self._labelled[
                bisect.bisect_left(self._labelled, r0 or 1) : bisect.bisect_right(
                    self._labelled, r1 or self.cells.max_row
                )
            ]
            cols = range(max(c0 or 1, 2), min(c1 or self.cells.max_column, self.cells.max_column) + 1)
            self._budget -= len(rows) * len(cols)
            if self._budget < 0:
                return []
            for r in rows:
                for c in cols:
                    if (r, c) in self.cells.formulas or _text(self.cells.values.get((r, c))) == "":
                        out.append((r, c))
        return out

    def row_empty(self, row: int, _max_col: int = 0) -> bool:
        return all(_text(self.value(row, c)) == "" for c in self.cells.rows.get(row, ()))

    def read(self) -> RawTable | None:
        max_row, max_col = self.cells.max_row, self.cells.max_column
        meta: dict[str, Any] = {}
        meta_refs: dict[str, CellRef] = {}
        exceptions: list[DataException] = []
        citations: list[Citation] = []
        row = 1
        while row <= max_row and self.row_empty(row, max_col):
            row += 1
        while row <= max_row and not self.row_empty(row, max_col):
            key = _text(self.value(row, 1))
            if key not in META_KEYS:
                hint = difflib.get_close_matches(key, list(META_KEYS), n=1, cutoff=0.5)
                extra = f"; did you mean {hint[0]}?" if hint else f"; expected one of {', '.join(META_KEYS)}"
                self.problem("unknown_key", f"unknown metadata key {key!r}{extra}", row, 1)
            elif key == "文献":
                self._citation(row, citations)
            elif key in REPEATABLE_META:
                self._exception(row, exceptions)
            elif key in meta:
                self.problem("duplicate", f"metadata key {key} given twice", row, 1)
            else:
                meta[key] = self.value(row, 2)
                meta_refs[key] = self.ref(row, 2)
            row += 1
        if not meta and not citations:
            if not self.cells.values:
                # -- an empty "Sheet1" left by Excel: say what to do, not only what is missing --
                self.problems.append(
                    Problem(
                        "missing",
                        "the sheet is empty",
                        Location(self.file, self.sheet, "A1"),
                        hint="delete it, or start its name with _ to keep it as scratch (reportkit skips those)",
                    )
                )
                return None
            self.problem("missing", "no metadata block (ID, 标题, 单位, 来源) at the top of the sheet", 1, 1)
            return None
        for key in REQUIRED_META:
            # -- with 文献 rows, 来源 only says what the report adds itself, and may be left out --
            if key == "来源" and citations:
                continue
            if _text(meta.get(key)) == "":
                if key in meta_refs:
                    r = meta_refs[key]
                    self.problems.append(
                        Problem("missing", f"metadata {key} is empty", Location(self.file, self.sheet, r.cell))
                    )
                else:
                    self.problem("missing", f"metadata key {key} is missing", 1, 1)
        table_id = _text(meta.get("ID"))
        if table_id and not ID_RE.match(table_id):
            r = meta_refs["ID"]
            self.problems.append(
                Problem(
                    "bad_id",
                    f"ID {table_id!r} must be ASCII letters, digits and _",
                    Location(self.file, self.sheet, r.cell),
                )
            )
        illustrative = False
        flag = _text(meta.get("示例")).lower()
        if flag in YES:
            illustrative = True
        elif flag not in NO:
            r = meta_refs["示例"]
            self.problems.append(
                Problem("bad_value", f"示例 must be 是 or 否, found {flag!r}", Location(self.file, self.sheet, r.cell))
            )
        must_total = None
        if _text(meta.get("必须合计")):
            raw = meta["必须合计"]
            if isinstance(raw, (int, float)) and not isinstance(raw, bool):
                must_total = float(raw)
            else:
                r = meta_refs["必须合计"]
                self.problems.append(
                    Problem(
                        "not_a_number",
                        f"必须合计 must be a number, found {raw!r}",
                        Location(self.file, self.sheet, r.cell),
                    )
                )
        as_of = self._as_of(meta.get("截至"), meta_refs.get("截至"))
        while row <= max_row and self.row_empty(row, max_col):
            row += 1
        if row > max_row:
            self.problem("missing", "no header row after the metadata block", row, 1)
            return None
        header_row = self.header_row = row
        columns = self._header(header_row, max_col)
        unit = _text(meta.get("单位"))
        table = RawTable(
            id=table_id,
            title=_text(meta.get("标题")),
            unit="" if unit == "-" else unit,
            source=_text(meta.get("来源")),
            file=self.file,
            sheet=self.sheet,
            header_label=_text(self.value(header_row, 1)),
            columns=columns,
            rows=[],
            illustrative=illustrative,
            note=_text(meta.get("说明")),
            must_total=must_total,
            meta_refs=meta_refs,
            as_of=as_of,
            exceptions=exceptions,
            text_cells=[(_text(meta.get(k)), meta_refs[k]) for k in ("标题", "来源") if k in meta_refs]
            + [(t, c.ref) for c in citations if c.ref is not None for t in (c.publisher, c.title, c.scope) if t],
            citations=citations,
        )
        self._merged_and_hidden(header_row, max_row, max_col)
        self._rows(table, header_row + 1, max_row)
        self._check_total(table)
        return table

    def _merged_and_hidden(self, header_row: int, max_row: int, max_col: int) -> None:
        """Refuse merged cells in the header and data rows (only a merge's first cell holds its value,
        so the rest would read as empty); warn about hidden rows whose values the report uses."""
        from openpyxl.utils.cell import range_boundaries

        for ref in self.cells.merged:
            try:
                min_col, min_row, end_col, end_row = range_boundaries(ref)
            except ValueError:
                continue
            if end_row is None or end_row < header_row or min_row is None or min_row > max_row:
                continue
            self.problem(
                "merged_cells",
                f"cells {ref} are merged inside the table: only {ref.split(':')[0]} holds a value and the "
                "others would read as empty; unmerge them and type the value in every cell",
                max(min_row, header_row),
                min_col or 1,
            )
        for row in sorted(r for r in self.cells.hidden_rows if header_row < r <= max_row):
            used = [c for c in self.cells.rows.get(row, ()) if c <= max_col and _text(self.value(row, c))]
            if used:
                self.warn(
                    "hidden_row",
                    f"row {row} is hidden in Excel, but its values are read into the report",
                    row,
                    1,
                    hint="unhide it if it belongs, or delete the row (or move it to a sheet named _…) if not",
                )

    def _exception(self, row: int, out: list[DataException]) -> None:
        """Read `例外 | <cell> <code> | <reason>` (the reason is required: an exception is a decision)."""
        target, reason = _text(self.value(row, 2)), _text(self.value(row, 3))
        m = EXCEPTION_TARGET.match(target)
        if not m:
            self.problem(
                "bad_value",
                f"例外 names {_quoted(target)!r}; write the cell and the finding's code, "
                "e.g. D9 implausible_jump, with the reason in column C",
                row,
                2,
            )
            return
        if not reason:
            self.problem("missing", f"例外 {target} gives no reason; write why the value is right in column C", row, 3)
            return
        out.append(DataException(m.group(1).upper(), m.group(2), reason, self.ref(row, 2)))

    def _citation(self, row: int, out: list[Citation]) -> None:
        """Read `文献 | 发布机构 | 标题 | 日期 | URL | 类型 | 范围` (publisher, title and date required)."""
        cells = {name: self.value(row, col) for col, name in enumerate(CITATION_FIELDS, start=2)}
        text = {name: _text(v) for name, v in cells.items()}
        layout = "write 文献 | 发布机构 | 标题 | 日期 | URL | 类型 | 范围 from column A"
        found = len(self.problems)
        extra = [c for c in self.cells.rows.get(row, ()) if c > len(CITATION_FIELDS) + 1]
        if any(_text(self.value(row, c)) for c in extra):
            col = min(c for c in extra if _text(self.value(row, c)))
            self.problem("bad_value", f"文献 has a cell beyond 范围 (column G); {layout}", row, col)
        for col, name in enumerate(("发布机构", "标题", "日期"), start=2):
            if not text[name]:
                self.problem("missing", f"文献 gives no {name} (column {'BCD'[col - 2]}); {layout}", row, col)
        date = self._citation_date(cells["日期"], row) if text["日期"] else None
        url = text["URL"]
        if url and not URL_RE.match(url):
            self.problem(
                "bad_value", f"文献 URL {_quoted(url)!r} is not a web address (http:// or https://, no spaces)", row, 5
            )
        kind = text["类型"].upper() or "R"
        if kind not in CITATION_KINDS:
            codes = "、".join(f"{k} {v}" for k, v in CITATION_KINDS.items())
            self.problem("bad_value", f"文献 类型 {_quoted(text['类型'])!r} is not one of {codes}", row, 6)
        if len(self.problems) > found or date is None:
            return
        title = text["标题"]
        if title.startswith("《") and title.endswith("》"):
            title = title[1:-1]  # -- the reference list prints titles as GB/T 7714 does, without 《》 --
        out.append(Citation(text["发布机构"], title, date, url, kind, text["范围"], self.ref(row, 2)))

    def _citation_date(self, raw: Any, row: int) -> DateValue | None:
        """A 文献 date: a date cell, a year (2023), or text such as 2023-12, 2023-12-20 or 2023年12月."""
        if isinstance(raw, (_dt.datetime, _dt.date)):
            return DateValue(raw.year, raw.month, raw.day)
        if isinstance(raw, (int, float)) and not isinstance(raw, bool) and float(raw).is_integer():
            raw = str(int(raw))
        text = _text(raw)
        year = YEAR_TEXT.match(text)
        date = DateValue(int(year.group(1))) if year else parse_date_text(text)
        if date is None or not 1900 <= date.year <= 2100:
            self.problem(
                "bad_value",
                f"文献 日期 must be a year, month or day such as 2023, 2023-12 or 2023-12-20, found {_quoted(text)!r}",
                row,
                4,
            )
            return None
        return date

    def _as_of(self, raw: Any, ref: CellRef | None) -> DateValue | None:
        """Read 截至 (the date the table's data stands at): a date cell or text YYYY-MM-DD."""
        if ref is None or _text(raw) == "":
            return None
        if isinstance(raw, (_dt.datetime, _dt.date)):
            return DateValue(raw.year, raw.month, raw.day)
        date = parse_date_text(_text(raw))
        if date is not None and date.day is not None:
            return date
        self.problems.append(
            Problem(
                "bad_value",
                f"截至 must be a date such as 2023-12-31, found {_quoted(_text(raw))!r}",
                Location(self.file, self.sheet, ref.cell),
            )
        )
        return None

    def _header(self, row: int, max_col: int) -> list[Column]:
        last = max_col
        while last > 1 and _text(self.value(row, last)) == "":
            last -= 1
        columns: list[Column] = []
        seen: dict[str, int] = {}
        for col in range(2, last + 1):
            raw = self.value(row, col)
            ref = self.ref(row, col)
            if isinstance(raw, float) and raw.is_integer():
                raw = int(raw)
            text = _text(raw)
            if text == "":
                self.problem("missing", "empty header cell between columns", row, col)
                continue
            m = YEAR_HEADER.match(text)
            if m:
                year = int(m.group(1))
                column = Column(name=text, ref=ref, year=year, forecast=m.group(2) is not None, base=str(year))
                key = str(year)
            else:
                um = UNIT_HEADER.match(text)
                base, unit = (um.group("base"), um.group("unit")) if um else (text, None)
                column = Column(name=text, ref=ref, base=base, unit=unit)
                key = text
            if key in seen:
                self.problem("duplicate", f"column {key} appears twice in the header", row, col)
                continue
            seen[key] = col
            columns.append(column)
        years = [c for c in columns if c.year is not None]
        if years and len(years) != len(columns):
            # -- point at the odd one out: the first named column among years, or the first year among names --
            named = [c for c in columns if c.year is None]
            odd = named[0] if len(years) >= len(named) else years[0]
            self.problem(
                "mixed_header",
                f"a header mixes years and named columns ({_quoted(odd.name)!r} among "
                f"{'years' if odd.year is None else 'named columns'}); use one kind per sheet",
                row,
                self._col_of(odd),
            )
        if years:
            for before, c in zip(years, years[1:]):
                if c.year < before.year:  # type: ignore[operator]
                    self.problem(
                        "bad_order",
                        f"year {c.label} comes after {before.label}; years in the header "
                        "must increase from left to right",
                        row,
                        self._col_of(c),
                    )
                    break
            seen_forecast = False
            for c in years:
                if c.forecast:
                    seen_forecast = True
                elif seen_forecast:
                    col = self._col_of(c)
                    self.problem("bad_order", f"actual year {c.year} comes after a forecast year", row, col)
        return columns

    @staticmethod
    def _col_of(column: Column) -> int:
        from openpyxl.utils import column_index_from_string

        letters = "".join(ch for ch in column.ref.cell if ch.isalpha())
        index: int = column_index_from_string(letters)
        return index

    def _rows(self, table: RawTable, first: int, max_row: int) -> None:
        labels: set[str] = set()
        is_series = table.is_series
        cols = [self._col_of(c) for c in table.columns]
        for row in sorted(r for r in self.cells.rows if first <= r <= max_row):
            label = _text(self.value(row, 1))
            if label == "" and all(_text(self.value(row, c)) == "" for c in cols):
                continue
            if label == "":
                self.problem("missing", "row has values but no label in column A", row, 1)
                continue
            if label in labels and is_series:
                # -- records may share a first column (several policies of one region) --
                self.problem("duplicate", f"row label {label!r} appears twice", row, 1)
                continue
            labels.add(label)
            values: list[Scalar] = []
            refs: list[CellRef] = []
            assumption = bool(ASSUMPTION_LABEL.match(label))
            for column, col in zip(table.columns, cols):
                raw = self.value(row, col)
                ref = self.ref(row, col)
                refs.append(dataclasses.replace(ref, illustrative=True) if table.illustrative else ref)
                numeric = is_series or column.unit is not None
                values.append(self._scalar(raw, numeric, row, col, assumption))
            first = self.value(row, 1)
            # -- a label column is text unless the cell is a real date cell --
            label_value = (
                DateValue(first.year, first.month, first.day)
                if (not is_series and isinstance(first, (_dt.datetime, _dt.date)))
                else None
            )
            table.rows.append(
                RawRow(
                    label if not isinstance(label_value, DateValue) else str(label_value),
                    self.ref(row, 1),
                    values,
                    refs,
                    label_value,
                )
            )

    def _scalar(self, raw: Any, numeric: bool, row: int, col: int, assumption: bool) -> Scalar:
        if raw is None or (isinstance(raw, str) and raw.strip() == ""):
            return None
        if isinstance(raw, bool):
            if numeric:
                self.problem("not_a_number", f"expected a number, found {raw!r}", row, col)
            else:
                self.problem(
                    "bad_value",
                    f"expected text, a number or a date, found the logical value {str(raw).upper()}; type it as text",
                    row,
                    col,
                )
            return None
        if isinstance(raw, (int, float)):
            value = float(raw)
            if value != value or value in (float("inf"), float("-inf")):
                self.problem("not_a_number", "expected a finite number", row, col)
                return None
            if abs(value) >= MAX_ABS_VALUE:
                self.problem(
                    "out_of_range",
                    f"{value:g} is too large for a report figure (the limit is "
                    f"{MAX_ABS_VALUE:g}); check the unit, or a typo",
                    row,
                    col,
                )
                return None
            if value != 0 and scales_percent(self.cells.formats.get((row, col))):
                # -- a value's meaning never depends on its display: 42% is stored as 0.42, and pasting
                # values or clearing the format would silently turn it into 0.42% --
                self.problems.append(
                    Problem(
                        "percent_format",
                        f"the cell is formatted as a percentage: it shows {value * 100:g}% but "
                        f"stores {value:g}, and reportkit reads the stored number",
                        Location(self.file, self.sheet, self.ref(row, col).cell),
                        hint=f'type the percentage itself ({value * 100:g}) and format the cell as 0.0"%" '
                        "(shows a % sign without dividing by 100) or as a plain number",
                    )
                )
                return None
            # -- growth assumptions are percentages (35 means 35%); the context works with fractions --
            return value / 100.0 if assumption else value
        if isinstance(raw, (_dt.datetime, _dt.date)):
            if numeric:
                self.problem("not_a_number", f"expected a number, found the date {raw:%Y-%m-%d}", row, col)
                return None
            return DateValue(raw.year, raw.month, raw.day)
        text = str(raw).strip()
        if numeric:
            number = _numeric_text(text)
            if number is not None:
                # -- Excel's green triangle: a figure pasted or imported as text; its meaning is clear --
                self.warn(
                    "number_as_text",
                    f'"{_quoted(text)}" is a number stored as text; read as {number:g}',
                    row,
                    col,
                    hint="convert it to a number in Excel (the green triangle: 转换为数字)",
                )
                return self._scalar(number, numeric, row, col, assumption)
            self.problem("not_a_number", f'expected a number, found "{_quoted(text)}"', row, col)
            return None
        date = parse_date_text(text)
        return date if date is not None else text

    def _check_total(self, table: RawTable) -> None:
        if table.must_total is None or not table.is_series:
            return
        for i, column in enumerate(table.columns):
            vals = [r.values[i] for r in table.rows if not ASSUMPTION_LABEL.match(r.label)]
            nums = [v for v in vals if isinstance(v, float)]
            if not nums or len(nums) != len(vals):
                continue
            total = sum(nums)
            if abs(total - table.must_total) > 0.5:
                self.problems.append(
                    Problem(
                        "bad_total",
                        f"values for {column.label} add up to {total:g}, not {table.must_total:g}",
                        Location(self.file, self.sheet, column.ref.cell),
                    )
                )


def read_table(sheet: Sheet, rel: str, problems: list[Problem]) -> RawTable | None:
    """The table of one worksheet's cells (None for a sheet with no table); problems are appended to
    `problems`."""
    return _SheetReader(sheet, rel, problems).read()
