"""Start next year's edition: copy the workbooks and roll their year columns forward.

Rules, per series sheet (years as columns), driven by the date the data stands at (the edition's
`as_of`, or the sheet's own 截至, which moves on by one year):
- a forecast year that the new date makes actual becomes an actual year (``2024E`` -> ``2024``)
  and its data cells are emptied: the analyst enters the actual figures;
- a table without forecasts whose last actual year was the old date's gains the new actual year
  as an empty column;
- a table whose forecast reached the old horizon end gains the new horizon end (``2031E``), with
  empty data cells and an empty growth assumption for the new year;
- a forecast value typed over a growth assumption was made on the old base: it is cleared, so the
  assumption computes it on the new actual (a value without an assumption stays, and `check`
  lists it as `stale_forecast` until the analyst revises it).
Formulas are kept.  In a year that turns actual, a formula reaching outside its own column (a
forecast chain such as ``=E9*1.18``) is cleared for the actual to be entered, while one within its
column (a total ``=SUM(F5:F8)``, a share) stays; a formula in a year that stays forecast stays (it
recomputes on the new base); a new year column takes the formulas of the column before it, moved
one column on (in a new actual year, only those within their column).  Every formula's value is then
computed and saved (see :mod:`.recalc`), and the workbook's charts are carried over whole, their
ranges extended to a year column appended right after them.
Record sheets are copied unchanged.  Every emptied or new cell is something the analyst must
fill; `reportkit check` lists each as `missing`.
"""

from __future__ import annotations

import copy
import io
import re
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import DataError, Location, ProblemsFound
from .tables import ASSUMPTION_LABEL, YEAR_HEADER, DateValue, last_actual_year, parse_date_text

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from openpyxl.worksheet.worksheet import Worksheet

    Shown = Callable[[str, int, int], Any]
    """(sheet, row, column) -> the value a formula cell shows."""


def _header_row(ws: Worksheet) -> int | None:
    """Row number of the data block's header (first non-empty row after the metadata block)."""
    row = 1
    while row <= ws.max_row and all(c.value in (None, "") for c in ws[row]):
        row += 1
    while row <= ws.max_row and not all(c.value in (None, "") for c in ws[row]):
        row += 1
    while row <= ws.max_row and all(c.value in (None, "") for c in ws[row]):
        row += 1
    return row if row <= ws.max_row else None


def _years(ws: Worksheet, header: int, shown: Shown | None = None) -> list[tuple[int, int, bool]]:
    """(column, year, forecast) of the header's year cells; a year written as a formula (``=B9+1``)
    by the value it shows."""
    out = []
    for cell in ws[header][1:]:
        value = cell.value
        if _is_formula(value) and shown is not None:
            value = shown(ws.title, cell.row, cell.column)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        m = YEAR_HEADER.match("" if value is None else str(value))
        if m:
            out.append((cell.column, int(m.group(1)), m.group(2) is not None))
    return out


def _as_of_cell(ws: Worksheet, header: int) -> Any:
    """The metadata cell holding the sheet's own 截至 date, if any."""
    for r in range(1, header):
        if str(ws.cell(r, 1).value or "").strip() == "截至":
            return ws.cell(r, 2)
    return None


def _date_of(value: Any) -> DateValue | None:
    if hasattr(value, "year") and hasattr(value, "month"):
        return DateValue(value.year, value.month, getattr(value, "day", None))
    date = parse_date_text(str(value or ""))
    return date if date is not None and date.day is not None else None


def _is_formula(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("=")


def _within_column(formula: str, sheet: str, col: int) -> bool:
    """True when every reference of `formula` is a cell or range of column `col` of this sheet."""
    from openpyxl.formula.tokenizer import Token, Tokenizer
    from openpyxl.utils.cell import range_boundaries

    try:
        tokens = Tokenizer(formula).items
    except Exception:  # the tokenizer raises plain errors on a malformed formula
        return False
    for token in tokens:
        if token.type != Token.OPERAND or token.subtype != Token.RANGE:
            continue
        where, _sep, ref = token.value.rpartition("!")
        if where and where.strip("'").replace("''", "'") != sheet:
            return False
        try:
            min_col, _r0, max_col, _r1 = range_boundaries(ref.replace("$", ""))
        except ValueError:
            return False  # -- a defined name: where it points is not known here --
        if min_col != col or max_col != col:
            return False
    return True


def roll_sheet(
    ws: Worksheet, old_as_of: DateValue, new_as_of: DateValue, new_end: int, shown: Shown | None = None
) -> tuple[int, int, bool] | None:
    """Roll one worksheet forward in place (see the module docstring); record sheets are left alone.
    `shown` gives the value a formula cell shows (its saved or computed value).

    Returns (last year column before, column appended, whether the columns right of it moved on)
    when a year column was appended after the others, for the charts that draw the years."""
    header = _header_row(ws)
    if header is None:
        return None
    years = _years(ws, header, shown)
    if not years or len(years) != sum(1 for c in ws[header][1:] if c.value not in (None, "")):
        return None  # -- a record table --
    own = _as_of_cell(ws, header)
    own_date = _date_of(own.value) if own is not None else None
    if own_date is not None:
        old_as_of = own_date
        new_as_of = DateValue(own_date.year + 1, own_date.month, own_date.day)
        own.value = str(new_as_of)
    old_last, new_last = last_actual_year(old_as_of), last_actual_year(new_as_of)
    rows = [r for r in range(header + 1, ws.max_row + 1) if ws.cell(r, 1).value not in (None, "")]
    forecast_cols = [(c, y) for c, y, f in years if f]
    actual = [y for _c, y, f in years if not f]
    turned = [(c, y) for c, y in forecast_cols if old_last < y <= new_last]
    for col, year in turned:
        ws.cell(header, col).value = year
        for r in rows:
            cell = ws.cell(r, col)
            if not (_is_formula(cell.value) and _within_column(cell.value, ws.title, col)):
                cell.value = None
    if not forecast_cols and actual and actual[-1] == old_last and new_last > old_last:
        return _add_column(ws, header, max(c for c, _y, _f in years), new_last, False, rows)
    if turned:
        _recompute_on_new_base(ws, rows, [(c, y) for c, y in forecast_cols if y > new_last])
    last_col, last_year, last_forecast = max(years)
    if last_forecast and last_year == new_end - 1:
        return _add_column(ws, header, last_col, new_end, True, rows)
    return None


def _recompute_on_new_base(ws: Worksheet, rows: list[int], forecasts: list[tuple[int, int]]) -> None:
    """Clear forecast values that have a growth assumption for their year: they were computed or
    typed on the old base, and the assumption recomputes them on the new actual."""
    labels = {str(ws.cell(r, 1).value).strip(): r for r in rows}
    for label, r in labels.items():
        m = ASSUMPTION_LABEL.match(label)
        data_row = labels.get(m.group("base")) if m else None
        if data_row is None:
            continue
        for col, _year in forecasts:
            # -- a formula over the assumption recomputes on the new base by itself --
            if ws.cell(r, col).value not in (None, "") and not _is_formula(ws.cell(data_row, col).value):
                ws.cell(data_row, col).value = None


_CELL_PART = re.compile(r"^(\$?)([A-Za-z]{1,3})(\$?\d*)$")


def _shift_reference(ref: str, col: int) -> str:
    """`ref` (B5, $D$3:F9, E:E) with every column from `col` on moved one column right."""
    from openpyxl.utils import column_index_from_string, get_column_letter

    parts = []
    for part in ref.split(":"):
        m = _CELL_PART.match(part)
        # -- a part without a row is a column only in a range (E:E); alone it is a defined name --
        if m and (m.group(3).strip("$") or ":" in ref) and column_index_from_string(m.group(2).upper()) >= col:
            part = f"{m.group(1)}{get_column_letter(column_index_from_string(m.group(2).upper()) + 1)}{m.group(3)}"
        parts.append(part)
    return ":".join(parts)


def _insert_column(ws: Worksheet, col: int) -> None:
    """Insert an empty column at `col`; what stood there and right of it moves one column on, and so
    do the references to it in every formula of the workbook (openpyxl moves the cells only)."""
    from openpyxl.formula.tokenizer import Token, Tokenizer

    ws.insert_cols(col)
    for sheet in ws.parent.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if not _is_formula(cell.value):
                    continue
                try:
                    tokenizer = Tokenizer(cell.value)
                except Exception:  # the tokenizer raises plain errors on a malformed formula
                    continue
                for token in tokenizer.items:
                    if token.type != Token.OPERAND or token.subtype != Token.RANGE:
                        continue
                    where, sep, ref = token.value.rpartition("!")
                    target = where.strip("'").replace("''", "'") if sep else sheet.title
                    if target == ws.title:
                        token.value = f"{where}{sep}{_shift_reference(ref, col)}"
                cell.value = tokenizer.render()


def _add_column(
    ws: Worksheet, header: int, after: int, year: int, forecast: bool, rows: list[int]
) -> tuple[int, int, bool]:
    """Insert a year column after column `after`, formatted like it; return `after`, the new column and
    whether columns right of it had to move on (see :func:`_insert_column`).  Its cells
    are empty but for the formulas of column `after` moved one column on: all of them in a forecast
    year but a growth assumption's (the analyst's to enter), only those within their column in an
    actual year (totals, shares)."""
    from openpyxl.formula.translate import Translator

    col = after + 1
    inserted = any(ws.cell(r, col).value not in (None, "") for r in [header, *rows])
    if inserted:
        _insert_column(ws, col)
    ws.cell(header, col).value = f"{year}E" if forecast else year
    for r in [header, *rows]:
        src, dst = ws.cell(r, after), ws.cell(r, col)
        if src.has_style:
            dst._style = copy.copy(src._style)
        if r == header:
            continue
        dst.value = None
        if _is_formula(src.value) and (
            (forecast and not ASSUMPTION_LABEL.match(str(ws.cell(r, 1).value).strip()))
            or _within_column(src.value, ws.title, after)
        ):
            dst.value = Translator(src.value, origin=src.coordinate).translate_formula(dst.coordinate)
    letter = ws.cell(header, after).column_letter
    width = ws.column_dimensions[letter].width
    if width:
        ws.column_dimensions[ws.cell(header, col).column_letter].width = width
    return after, col, inserted


def new_edition(
    project: Path, year: int, from_year: int, horizon: int, old_as_of: DateValue, new_as_of: DateValue
) -> list[Path]:
    """Create `datasets/<year>/` from `datasets/<from_year>/` and roll every series sheet forward from
    the date the old edition's data stood at to the new edition's.

    Returns the workbooks written.  Raises DataError when the source is missing or the target
    exists (an edition's data is never overwritten).
    """
    import openpyxl

    from ..atomic import publish_folder
    from ..intake import resolved_inside
    from .edition import whole_workbooks
    from .recalc import recalculate
    from .workbook_charts import Extension, carry_charts, refresh_caches

    if resolved_inside(project / "datasets", project) is None:
        raise DataError(
            "refused: datasets/ resolves outside the project (a symbolic link?); a new edition is "
            "written only inside the project",
            Location("datasets"),
            code="path_escape",
        )
    src = project / "datasets" / str(from_year)
    dst = project / "datasets" / str(year)
    if not src.is_dir():
        raise DataError(
            f"no datasets for {from_year} to start from (datasets/{from_year})",
            Location(f"datasets/{from_year}"),
            code="missing",
        )
    if dst.exists():
        raise DataError(
            "this edition already exists; an edition's data is never overwritten",
            Location(f"datasets/{year}"),
            code="exists",
        )
    if year != from_year + 1:
        raise DataError(
            f"new-edition rolls one year at a time: --year {from_year + 1} --from {from_year}", code="bad_argument"
        )
    books: dict[str, bytes] = {}
    for path, rel, data, problems in whole_workbooks(src, project):
        if problems:
            raise ProblemsFound(problems)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = openpyxl.load_workbook(io.BytesIO(data))
        shown = (
            _shown_values(data, rel) if any(c.data_type == "f" for ws in wb.worksheets for c in _headers(ws)) else None
        )
        extension: Extension = {}
        for ws in wb.worksheets:
            if not ws.title.startswith(("_", "#")):
                added = roll_sheet(ws, old_as_of, new_as_of, year + horizon, shown)
                if added is not None:
                    extension.setdefault(ws.title, []).append(added)
        out = io.BytesIO()
        wb.save(out)
        new_rel = f"datasets/{year}/{path.name}"
        rolled = carry_charts(data, out.getvalue(), new_rel, extension)
        # -- openpyxl saves formulas without their values: compute them all, as Excel would on opening --
        rolled, _count = recalculate(rolled, new_rel, everything=True, partial=True)
        books[path.name] = refresh_caches(rolled, _cell_values(rolled, new_rel))
    publish_folder(dst, books)
    return [dst / name for name in books]


def _cell_values(data: bytes, rel: str) -> Any:
    """(sheet, row, column) -> the value the workbook `data` holds or saved for that cell; the
    workbook is read on the first call only (most have no chart to ask)."""
    from .recalc import read_workbook

    values: dict[tuple[str, int, int], Any] = {}

    def lookup(sheet: str, row: int, col: int) -> Any:
        if not values:
            book = read_workbook(data, rel)
            values.update(book.values)
            values.update(book.cached)
        return values.get((sheet, row, col))

    return lookup


def _headers(ws: Worksheet) -> Iterator[Any]:
    """The cells of the sheet's header row, if it has one."""
    header = _header_row(ws)
    return iter(ws[header] if header is not None else ())


def _shown_values(data: bytes, rel: str) -> Shown:
    """What each formula of the workbook `data` shows: its saved value, or the value computed now."""
    from .recalc import evaluate, read_workbook

    book = read_workbook(data, rel)
    values = {**book.values, **book.cached, **evaluate(book, partial=True)}
    return lambda sheet, row, col: values.get((sheet, row, col))
