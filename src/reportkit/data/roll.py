"""Start next year's edition: copy the workbooks and roll their year columns forward.

Rules, per series sheet (years as columns):
- the first forecast year of the old edition becomes an actual year (``2024E`` -> ``2024``) and
  its data cells are emptied: the analyst enters the actual figures;
- a table whose last actual year was the year before the old edition gains the old edition
  year as a new, empty actual column when it had no forecast for it;
- a table whose forecast reached the old horizon end gains the new horizon end (``2031E``), with
  empty data cells and an empty growth assumption for the new year.
Record sheets are copied unchanged.  Every emptied or new cell is something the analyst must
fill; `reportkit check` lists each as `missing`.
"""

from __future__ import annotations

import copy
import shutil
import warnings
from pathlib import Path

from ..errors import DataError, Location
from .tables import YEAR_HEADER


def _header_row(ws) -> int | None:
    """Row number of the data block's header (first non-empty row after the metadata block)."""
    row = 1
    while row <= ws.max_row and all(c.value in (None, "") for c in ws[row]):
        row += 1
    while row <= ws.max_row and not all(c.value in (None, "") for c in ws[row]):
        row += 1
    while row <= ws.max_row and all(c.value in (None, "") for c in ws[row]):
        row += 1
    return row if row <= ws.max_row else None


def _years(ws, header: int) -> list[tuple[int, int, bool]]:
    """(column, year, forecast) of the header's year cells."""
    out = []
    for cell in ws[header][1:]:
        value = cell.value
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        m = YEAR_HEADER.match("" if value is None else str(value))
        if m:
            out.append((cell.column, int(m.group(1)), m.group(2) is not None))
    return out


def roll_sheet(ws, old_year: int, new_end: int) -> None:
    """Roll one worksheet forward in place (see the module docstring); record sheets are left alone."""
    header = _header_row(ws)
    if header is None:
        return
    years = _years(ws, header)
    if not years or len(years) != sum(1 for c in ws[header][1:] if c.value not in (None, "")):
        return  # -- a record table --
    rows = [r for r in range(header + 1, ws.max_row + 1) if ws.cell(r, 1).value not in (None, "")]
    forecast_cols = [(c, y) for c, y, f in years if f]
    actual = [y for _c, y, f in years if not f]
    if forecast_cols and forecast_cols[0][1] == old_year:
        col, year = forecast_cols[0]
        ws.cell(header, col).value = year
        for r in rows:
            ws.cell(r, col).value = None
    elif actual and actual[-1] == old_year - 1 and not forecast_cols:
        _add_column(ws, header, max(c for c, _y, _f in years), old_year, False, rows)
        return
    last_col, last_year, last_forecast = max(years)
    if last_forecast and last_year == new_end - 1:
        _add_column(ws, header, last_col, new_end, True, rows)


def _add_column(ws, header: int, after: int, year: int, forecast: bool, rows: list[int]) -> None:
    """Insert an empty year column after column `after`, formatted like it."""
    col = after + 1
    if any(ws.cell(r, col).value not in (None, "") for r in [header, *rows]):
        ws.insert_cols(col)
    ws.cell(header, col).value = f"{year}E" if forecast else year
    for r in [header, *rows]:
        src, dst = ws.cell(r, after), ws.cell(r, col)
        if src.has_style:
            dst._style = copy.copy(src._style)
        if r != header:
            dst.value = None
    letter = ws.cell(header, after).column_letter
    width = ws.column_dimensions[letter].width
    if width:
        ws.column_dimensions[ws.cell(header, col).column_letter].width = width


def new_edition(project: Path, year: int, from_year: int, horizon: int) -> list[Path]:
    """Create `datasets/<year>/` from `datasets/<from_year>/` and roll every series sheet forward.

    Returns the workbooks written.  Raises DataError when the source is missing or the target
    exists (an edition's data is never overwritten).
    """
    import openpyxl

    src = project / "datasets" / str(from_year)
    dst = project / "datasets" / str(year)
    if not src.is_dir():
        raise DataError(f"no datasets for {from_year} to start from (datasets/{from_year})",
                        Location(f"datasets/{from_year}"), code="missing")
    if dst.exists():
        raise DataError("this edition already exists; an edition's data is never overwritten",
                        Location(f"datasets/{year}"), code="exists")
    if year != from_year + 1:
        raise DataError(f"new-edition rolls one year at a time: --year {from_year + 1} --from {from_year}",
                        code="bad_argument")
    tmp = dst.with_name(f".{year}.part")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    written = []
    try:
        for path in sorted(src.glob("*.xlsx")):
            if path.name.startswith(("~$", ".")):
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                wb = openpyxl.load_workbook(path)
            for ws in wb.worksheets:
                if not ws.title.startswith(("_", "#")):
                    roll_sheet(ws, from_year, year + horizon)
            wb.save(tmp / path.name)
            written.append(dst / path.name)
        tmp.rename(dst)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return written
