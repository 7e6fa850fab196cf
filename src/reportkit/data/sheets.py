"""Stream a workbook's cells, within the limits on cells, used range and text per cell: what every
reader of a workbook starts from (the table reader, new-edition and recalc before they load one whole).

openpyxl's read-only parser is driven one row at a time, and only the parts a sheet needs are read
(strings, styles, the list of sheets), so the cost follows the cells a sheet holds, not the size it
declares.
"""

from __future__ import annotations

import io
import re
from typing import Any

from .. import limits
from ..errors import DataError, Location, Problem
from ..intake import open_package

IGNORED_SHEET = "sheet {title} holds table {id} but is skipped: sheets whose name starts with _ or # are scratch"
IGNORED_SHEET_RE = re.compile(r"^sheet .+ holds table (?P<id>\S+) but is skipped")


def text_of(value: Any) -> str:
    """A cell's value as stripped text ("" for an empty cell)."""
    return "" if value is None else str(value).strip()


class Sheet:
    """One worksheet as the cells it holds (value, number format, formula by row and column): what
    reading it costs follows its cells, never the size it declares."""

    def __init__(self, title: str):
        self.title = title
        self.values: dict[tuple[int, int], Any] = {}
        self.formats: dict[tuple[int, int], str] = {}
        self.formulas: dict[tuple[int, int], str] = {}
        self.rows: dict[int, list[int]] = {}
        self.max_row = self.max_column = 0
        self.merged: list[str] = []
        """Merged ranges (A1:B2) as Excel declares them."""
        self.hidden_rows: set[int] = set()

    def add(self, row: int, col: int, value: Any, number_format: str, formula: str | None) -> None:
        self.values[row, col] = value
        self.formats[row, col] = number_format
        if formula is not None:
            self.formulas[row, col] = formula
        self.rows.setdefault(row, []).append(col)
        self.max_row, self.max_column = max(self.max_row, row), max(self.max_column, col)


WORKBOOK = "an .xlsx workbook (save it as Excel Workbook .xlsx)"


def _open_failure(exc: BaseException, rel: str) -> str:
    """Return one line saying why openpyxl could not open a workbook (it wraps the real cause)."""
    cause = exc.__cause__ or exc.__context__ or exc
    text = " ".join(str(cause).split()) or type(cause).__name__
    return f"cannot open workbook: {text}"


def _number_format(wb: Any, style_id: int) -> str:
    from openpyxl.styles.numbers import BUILTIN_FORMATS, BUILTIN_FORMATS_MAX_SIZE

    try:
        fmt_id = wb._cell_styles[style_id].numFmtId
        if fmt_id < BUILTIN_FORMATS_MAX_SIZE:
            return str(BUILTIN_FORMATS.get(fmt_id, "General"))
        return str(wb._number_formats[fmt_id - BUILTIN_FORMATS_MAX_SIZE])
    except (IndexError, AttributeError, TypeError):
        return "General"


def read_sheets(data: bytes, rel: str, problems: list[Problem]) -> list[Sheet]:
    """Stream the cells of every worksheet of the workbook `data` (openpyxl's read-only parser, one
    row at a time), within the limits on cells, used range and text per cell."""
    import warnings

    from openpyxl.reader.excel import ExcelReader
    from openpyxl.styles.stylesheet import apply_stylesheet
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet._reader import FORMULA_TAG, WorkSheetParser

    class Parser(WorkSheetParser):  # type: ignore[misc]
        """Cached values (data_only) and, beside them, whether the cell holds a formula."""

        def parse_cell(self, element: Any) -> dict[str, Any]:
            cell: dict[str, Any] = super().parse_cell(element)
            formula = element.find(FORMULA_TAG)
            cell["formula"] = None if formula is None else "=" + (formula.text or "")
            return cell

    try:
        open_package(data, DataError, rel, WORKBOOK, "bad_workbook", streamed=("xl/worksheets/",)).close()
    except DataError as exc:
        problems.extend(exc.problems)
        return []
    sheets: list[Sheet] = []
    count = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # -- openpyxl's reader, step by step: what the sheets need (strings, styles, the list of sheets),
        # and no read-only worksheet, which scans a whole sheet for its size before a cell is read --
        try:
            reader = ExcelReader(io.BytesIO(data), read_only=True, data_only=True)
            reader.read_manifest()
            reader.read_strings()
            reader.read_workbook()
            apply_stylesheet(reader.archive, reader.wb)
            sheet_parts = [
                (s.name, r.target)
                for s, r in reader.parser.find_sheets()
                if r.target in reader.valid_files and "chartsheet" not in r.Type
            ]
        except Exception as exc:  # openpyxl raises many types for broken files
            problems.append(Problem("bad_workbook", _open_failure(exc, rel), Location(rel)))
            return []
        wb = reader.wb
        try:
            for title, target in sheet_parts:
                if title.startswith(("_", "#")):
                    with reader.archive.open(target) as source:
                        first: tuple[int, list[dict[str, Any]]] = next(
                            Parser(source, reader.shared_strings, data_only=True).parse(), (1, [])
                        )
                    a1_b1 = {c["column"]: text_of(c["value"]) for c in first[1] if c["column"] <= 2}
                    if first[0] == 1 and a1_b1.get(1) == "ID":
                        # -- a table renamed to _name disappears from the report: say why --
                        problems.append(
                            Problem(
                                "ignored_sheet",
                                IGNORED_SHEET.format(title=title, id=a1_b1.get(2) or "?"),
                                Location(rel, title, "A1"),
                                hint=f"rename it to {title.lstrip('_#')} to include it in the report",
                                warning=True,
                            )
                        )
                    continue
                sheet = Sheet(title)
                beyond = False
                where = Location(rel, title)
                with reader.archive.open(target) as source:
                    parser = Parser(
                        source,
                        reader.shared_strings,
                        data_only=True,
                        epoch=wb.epoch,
                        date_formats=wb._date_formats,
                        timedelta_formats=wb._timedelta_formats,
                    )
                    for _row, cells in parser.parse():
                        count += len(cells)
                        if count > limits.CELLS:
                            problems.append(
                                Problem(
                                    "too_large",
                                    f"the workbook holds more than {limits.CELLS:,} "
                                    "cells, the limit; delete unused sheets, rows and columns",
                                    where,
                                )
                            )
                            return []
                        for c in cells:
                            value, row, col = c["value"], c["row"], c["column"]
                            if value is None and c["formula"] is None:
                                continue
                            ref = Location(rel, title, f"{get_column_letter(min(col, 18278))}{row}")
                            if row > limits.ROWS or col > limits.COLUMNS:
                                problems.append(
                                    Problem(
                                        "too_large",
                                        f"a value beyond the range reportkit reads ({limits.COLUMNS:,} "
                                        f"columns, {limits.ROWS:,} rows); delete it or move the table",
                                        ref,
                                    )
                                )
                                beyond = True
                                break
                            if isinstance(value, str) and len(value) > limits.CELL_TEXT:
                                problems.append(
                                    Problem(
                                        "too_large",
                                        f"the cell holds {len(value):,} characters; the "
                                        f"limit is {limits.CELL_TEXT:,} (Excel's own)",
                                        ref,
                                    )
                                )
                                value = None
                            sheet.add(row, col, value, _number_format(wb, c["style_id"]), c["formula"])
                        if beyond:
                            break
                    if parser.merged_cells is not None:
                        sheet.merged = [str(m.ref) for m in parser.merged_cells.mergeCell]
                    sheet.hidden_rows = {
                        int(r) for r, attrs in parser.row_dimensions.items() if attrs.get("hidden") in ("1", "true")
                    }
                if not beyond:
                    sheets.append(sheet)
        except Exception as exc:  # openpyxl raises many types for broken files
            problems.append(Problem("bad_workbook", _open_failure(exc, rel), Location(rel)))
            return []
        finally:
            reader.archive.close()
    return sheets


def workbook_problems(data: bytes, rel: str) -> list[Problem]:
    """What stops the workbook `data` from being read at all (package, size, cells, used range, text
    per cell), for writers that load it whole."""
    problems: list[Problem] = []
    read_sheets(data, rel, problems)
    return problems
