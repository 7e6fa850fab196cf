"""Compute the saved values of a workbook's formulas without Excel, and write them into the workbook.

openpyxl keeps a formula but saves no value for it, and the reader takes the value Excel or
LibreOffice saved beside it.  Here every formula is evaluated (the `formulas` engine, one formula at
a time, in dependency order across sheets) and its result written as the cell's saved value, next to
the formula in the sheet's XML.  Everything else in the package stays as it was, byte for byte.

Only what the engine cannot compute the way Excel does is refused, all at once, each with its file,
sheet, cell and formula: a function it does not know, a volatile one (TODAY, RAND: a report must come
out the same tomorrow), a reference it cannot follow (another workbook, a defined name), a cycle.
"""

from __future__ import annotations

import datetime as _dt
import io
import re
import warnings
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import limits
from ..errors import DataError, Location, Problem, ProblemsFound

Cell = tuple[str, int, int]
"""(sheet title, row, column)"""

_VOLATILE = re.compile(r"\b(TODAY|NOW|RAND|RANDBETWEEN|RANDARRAY|OFFSET|INDIRECT|CELL|INFO)\s*\(", re.IGNORECASE)
_FUTURE_PREFIX = re.compile(r"_xl(?:fn|ws)\.", re.IGNORECASE)
_FUNCTION = re.compile(r"(?<![\w.!'\"])([A-Za-z][A-Za-z0-9._]*)\s*\(")
_TEXT = re.compile(r'"(?:[^"]|"")*"')
_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_OFFICE_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_SIGNIFICANT = 15
"""Excel keeps 15 significant digits of a result: 100-90.2 is saved as 9.8, not 9.799999999999997."""


@dataclass
class _Formula:
    cell: Cell
    text: str
    inputs: list[tuple[str, int, int, int, int]] = field(default_factory=list)
    """(sheet, min_row, min_col, max_row, max_col) per input of the compiled function, in its order."""
    function: Callable[..., Any] | None = None


@dataclass
class Workbook:
    """A workbook's cells as the engine sees them: typed values, saved formula values, formulas."""

    rel: str
    sheets: list[str]
    values: dict[Cell, Any]
    formulas: dict[Cell, str]
    cached: dict[Cell, Any]
    extent: dict[str, tuple[int, int]]
    """(max_row, max_column) per sheet, for whole-column and whole-row references."""


def read_workbook(data: bytes, rel: str) -> Workbook:
    """Load every cell of the workbook `data` (shown as `rel`): formulas as written (a shared formula
    is spelled out for each of its cells) and the values Excel or LibreOffice saved for them."""
    import openpyxl
    from openpyxl.worksheet.formula import ArrayFormula

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            wb = openpyxl.load_workbook(io.BytesIO(data))
            saved = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
        except Exception as exc:  # openpyxl raises many types for broken files
            raise DataError(f"cannot open workbook: {' '.join(str(exc).split())[:200]}", Location(rel)) from None
    values: dict[Cell, Any] = {}
    formulas: dict[Cell, str] = {}
    cached: dict[Cell, Any] = {}
    extent: dict[str, tuple[int, int]] = {}
    for ws in wb.worksheets:
        extent[ws.title] = (ws.max_row, ws.max_column)
        saved_ws = saved[ws.title]
        for row in ws.iter_rows():
            for c in row:
                v = c.value
                if isinstance(v, ArrayFormula):
                    v = v.text
                key = (ws.title, c.row, c.column)
                if isinstance(v, str) and v.startswith("=") and c.data_type == "f":
                    formulas[key] = v
                    value = saved_ws.cell(c.row, c.column).value
                    if value is not None:
                        cached[key] = value
                elif v is not None:
                    values[key] = v
    return Workbook(rel, [ws.title for ws in wb.worksheets], values, formulas, cached, extent)


def _where(book: Workbook, cell: Cell) -> Location:
    from openpyxl.utils import get_column_letter

    return Location(book.rel, cell[0], f"{get_column_letter(cell[2])}{cell[1]}")


def _bounds(book: Workbook, name: str, home: str) -> tuple[str, int, int, int, int] | None:
    """The sheet and bounds an input of a compiled formula names; None when it is not a range of this
    workbook (another workbook, a defined name)."""
    from openpyxl.utils.cell import range_boundaries

    sheet, _sep, ref = name.rpartition("!")
    if sheet.startswith("["):
        return None
    title = home
    if sheet:
        wanted = sheet[1:-1].replace("''", "'") if sheet.startswith("'") and sheet.endswith("'") else sheet
        found = [s for s in book.sheets if s.upper() == wanted.upper()]
        if not found:
            return None
        title = found[0]
    try:
        min_col, min_row, max_col, max_row = range_boundaries(ref.replace("$", ""))
    except ValueError:
        return None
    rows, cols = book.extent.get(title, (1, 1))
    return (title, min_row or 1, min_col or 1, max_row or max(rows, 1), max_col or max(cols, 1))


def _compile(book: Workbook, cell: Cell, text: str, problems: list[Problem]) -> _Formula | None:
    import formulas

    formula = _Formula(cell, text)
    shown = text if len(text) <= 80 else text[:79] + "…"
    volatile = _VOLATILE.search(text)
    if volatile:
        problems.append(
            Problem(
                "formula_unsupported",
                f"formula {shown} uses {volatile.group(1).upper()}, whose value is not fixed; a report must "
                "come out the same every time",
                _where(book, cell),
                hint="type the value, or compute it from cells",
            )
        )
        return None
    known = formulas.get_functions()
    unknown = sorted({n.upper() for n in _FUNCTION.findall(_TEXT.sub('""', _FUTURE_PREFIX.sub("", text)))} - set(known))
    if unknown:
        problems.append(
            Problem(
                "formula_unsupported",
                f"formula {shown} uses {', '.join(unknown)}, which reportkit cannot compute without Excel",
                _where(book, cell),
                hint="open and save the workbook in Excel or LibreOffice, which saves its values, or use a "
                "common function (SUM, ROUND, IF, AVERAGE …)",
            )
        )
        return None
    try:
        compiled = formulas.Parser().ast(_FUTURE_PREFIX.sub("", text))[1].compile()
    except Exception as exc:  # the parser raises its own and the engine's errors
        problems.append(
            Problem(
                "formula_unsupported",
                f"formula {shown} cannot be computed without Excel: {' '.join(str(exc).split())[:120]}",
                _where(book, cell),
                hint="open and save the workbook in Excel or LibreOffice, which saves its values",
            )
        )
        return None
    for name in compiled.inputs:
        bounds = _bounds(book, name, cell[0])
        if bounds is not None and (bounds[3] - bounds[1] + 1) * (bounds[4] - bounds[2] + 1) > limits.CELLS:
            problems.append(
                Problem(
                    "formula_unsupported",
                    f"formula {shown} reads {name}, more than the {limits.CELLS:,} cells a workbook may hold",
                    _where(book, cell),
                    hint="refer to the cells that hold the data",
                )
            )
            return None
        if bounds is None:
            problems.append(
                Problem(
                    "formula_unsupported",
                    f"formula {shown} refers to {name}, which is not a range of this workbook (another "
                    "workbook or a defined name)",
                    _where(book, cell),
                    hint="refer to cells of this workbook, e.g. Sheet!B7",
                )
            )
            return None
        formula.inputs.append(bounds)
    formula.function = compiled
    return formula


class _Cycle(Exception):
    def __init__(self, cells: list[Cell]):
        super().__init__()
        self.cells = cells


def _reads(by_sheet: dict[str, set[Cell]], f: _Formula) -> Iterator[Cell]:
    """The formula cells among `by_sheet` that `f` reads (looking at the smaller of the range and the
    sheet's formulas)."""
    for sheet, r0, c0, r1, c1 in f.inputs:
        cells = by_sheet.get(sheet, set())
        if (r1 - r0 + 1) * (c1 - c0 + 1) < len(cells):
            yield from (c for r in range(r0, r1 + 1) for col in range(c0, c1 + 1) if (c := (sheet, r, col)) in cells)
        else:
            yield from sorted(c for c in cells if r0 <= c[1] <= r1 and c0 <= c[2] <= c1)


def _order(todo: dict[Cell, _Formula]) -> list[_Formula]:
    """The formulas in `todo` so that each comes after those it reads; raises _Cycle naming a loop."""
    by_sheet: dict[str, set[Cell]] = {}
    for cell in todo:
        by_sheet.setdefault(cell[0], set()).add(cell)
    done: set[Cell] = set()
    out: list[_Formula] = []
    for start in sorted(todo):
        if start in done:
            continue
        # -- depth-first without recursion: a long chain of formulas must not exhaust the stack --
        trail: list[Cell] = [start]
        on_trail = {start}
        pending: list[Iterator[Cell]] = [_reads(by_sheet, todo[start])]
        while pending:
            nxt = next(pending[-1], None)
            if nxt is None:
                pending.pop()
                finished = trail.pop()
                on_trail.discard(finished)
                done.add(finished)
                out.append(todo[finished])
                continue
            if nxt in on_trail:
                raise _Cycle(trail[trail.index(nxt) :] + [nxt])
            if nxt not in done:
                trail.append(nxt)
                on_trail.add(nxt)
                pending.append(_reads(by_sheet, todo[nxt]))
    return out


def _engine_value(value: Any) -> Any:
    """A cell's value as the engine takes it: dates as Excel serial numbers, blanks as its EMPTY."""
    import schedula

    if value is None:
        return schedula.EMPTY
    if isinstance(value, (_dt.datetime, _dt.date)):
        from openpyxl.utils.datetime import to_excel

        return to_excel(value)
    if isinstance(value, _dt.time):
        return (value.hour * 3600 + value.minute * 60 + value.second) / 86400.0
    return value


def _argument(values: dict[Cell, Any], bounds: tuple[str, int, int, int, int]) -> Any:
    import numpy as np

    sheet, r0, c0, r1, c1 = bounds
    if (r0, c0) == (r1, c1):
        return _engine_value(values.get((sheet, r0, c0)))
    grid = np.empty((r1 - r0 + 1, c1 - c0 + 1), dtype=object)
    for r in range(r0, r1 + 1):
        for c in range(c0, c1 + 1):
            grid[r - r0, c - c0] = _engine_value(values.get((sheet, r, c)))
    return grid


def _result(raw: Any) -> Any:
    """The engine's result as a cell value: a number, text, a logical value or an error text (#DIV/0!)."""
    import numpy as np
    import schedula
    from formulas.tokens.operand import XlError

    while isinstance(raw, np.ndarray):
        # -- a formula in one cell shows the first value of a range it returns --
        raw = raw.item() if raw.shape == () else (raw.flat[0] if raw.size else schedula.EMPTY)
    if raw is schedula.EMPTY or raw is None:
        return 0.0
    if isinstance(raw, XlError):
        return XlValue(str(raw))
    if isinstance(raw, (bool, np.bool_)):
        return bool(raw)
    if isinstance(raw, (int, float, np.integer, np.floating)):
        number = float(raw)
        if number != number or number in (float("inf"), float("-inf")):
            return XlValue("#NUM!")
        return float(f"{number:.{_SIGNIFICANT}g}")
    return str(raw)


class XlValue(str):
    """An Excel error value (#DIV/0!, #VALUE!) as a formula's result."""


def evaluate(book: Workbook, everything: bool = False, partial: bool = False) -> dict[Cell, Any]:
    """Return the computed value of every formula that has no saved value (with `everything`, of every
    formula).  Saved values of other formulas are used as they are.

    Raises ProblemsFound listing every formula that cannot be computed, or DataError naming the cells
    of a cycle.  With `partial`, those formulas and the ones that read them are left out instead.
    """
    problems: list[Problem] = []
    wanted = {c: f for c, f in book.formulas.items() if everything or c not in book.cached}
    values = dict(book.values)
    if not everything:
        values.update(book.cached)
    compiled: dict[Cell, _Formula] = {}
    for cell in sorted(wanted):
        formula = _compile(book, cell, wanted[cell], problems)
        if formula is not None:
            compiled[cell] = formula
    if problems and not partial:
        raise ProblemsFound(problems)
    failed: dict[str, set[Cell]] = {}
    for cell in set(wanted) - set(compiled):
        failed.setdefault(cell[0], set()).add(cell)
    while True:
        try:
            ordered = _order(compiled)
            break
        except _Cycle as cycle:
            if not partial:
                names = " -> ".join(f"[{c[0]}] {_where(book, c).cell}" for c in cycle.cells)
                raise DataError(
                    f"formulas refer to each other in a circle: {names}; no value can be computed",
                    _where(book, cycle.cells[0]),
                    code="formula_cycle",
                ) from None
            for cell in cycle.cells:
                compiled.pop(cell, None)
                failed.setdefault(cell[0], set()).add(cell)
    results: dict[Cell, Any] = {}
    for formula in ordered:
        assert formula.function is not None
        if next(_reads(failed, formula), None) is not None:
            failed.setdefault(formula.cell[0], set()).add(formula.cell)
            continue
        try:
            raw = formula.function(*(_argument(values, b) for b in formula.inputs))
        except Exception as exc:  # the engine wraps a function it lacks in its own errors
            failed.setdefault(formula.cell[0], set()).add(formula.cell)
            reason = " ".join(str(exc.args[-1] if exc.args else exc).split())
            problems.append(
                Problem(
                    "formula_unsupported",
                    f"formula {formula.text} cannot be computed without Excel ({reason[:100] or type(exc).__name__})",
                    _where(book, formula.cell),
                    hint="open and save the workbook in Excel or LibreOffice, which saves its values, or "
                    "use a common function (SUM, ROUND, IF, AVERAGE …)",
                )
            )
            continue
        value = _result(raw)
        values[formula.cell] = value
        results[formula.cell] = value
    if problems and not partial:
        raise ProblemsFound(problems)
    return results


def _parser() -> Any:
    from lxml import etree

    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_blank_text=False)


def sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet title -> the zip member holding its XML."""
    from lxml import etree

    book = etree.fromstring(archive.read("xl/workbook.xml"), _parser())
    rels = etree.fromstring(archive.read("xl/_rels/workbook.xml.rels"), _parser())
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{{{_REL_NS}}}Relationship")}
    out = {}
    for sheet in book.iter(f"{{{_NS}}}sheet"):
        target = targets.get(sheet.get(f"{{{_OFFICE_REL}}}id"), "")
        out[sheet.get("name", "")] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return out


def serialize(root: Any, original: bytes) -> bytes:
    """`root` as XML bytes, under the XML declaration of `original` as it was written (lxml would quote
    it its own way, and a part changed only where its values changed is easier to trust)."""
    import re as _re

    from lxml import etree

    m = _re.match(rb"<\?xml[^>]*\?>\s*", original)
    head = m.group(0) if m else b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    return head + bytes(etree.tostring(root, encoding="UTF-8", xml_declaration=False))


def _number(value: float) -> str:
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def _set_value(c: Any, value: Any) -> None:
    """Write `value` as the saved value of the formula cell element `c`, right after its formula."""
    from lxml import etree

    for old in c.findall(f"{{{_NS}}}v") + c.findall(f"{{{_NS}}}is"):
        c.remove(old)
    v = etree.Element(f"{{{_NS}}}v")
    if isinstance(value, XlValue):
        c.set("t", "e")
        v.text = str(value)
    elif isinstance(value, bool):
        c.set("t", "b")
        v.text = "1" if value else "0"
    elif isinstance(value, float):
        c.attrib.pop("t", None)
        v.text = _number(value)
    else:
        c.set("t", "str")
        v.text = str(value)
    f = c.find(f"{{{_NS}}}f")
    if f is not None:
        f.addnext(v)
        # -- lxml moves the formula's tail (indentation) onto the new element: keep the text as it was --
        v.tail, f.tail = f.tail, None
    else:
        c.append(v)


def write_values(data: bytes, results: dict[Cell, Any]) -> bytes:
    """Return the package `data` with `results` saved as the values of their formula cells; every
    other part is copied unchanged."""
    from lxml import etree
    from openpyxl.utils import get_column_letter

    by_sheet: dict[str, dict[str, Any]] = {}
    for (sheet, row, col), value in results.items():
        by_sheet.setdefault(sheet, {})[f"{get_column_letter(col)}{row}"] = value
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        parts = sheet_parts(archive)
        changed: dict[str, bytes] = {}
        for sheet, cells in by_sheet.items():
            part = parts[sheet]
            root = etree.fromstring(archive.read(part), _parser())
            for c in root.iter(f"{{{_NS}}}c"):
                ref = c.get("r")
                if ref in cells:
                    _set_value(c, cells[ref])
            changed[part] = serialize(root, archive.read(part))
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as target:
            for info in archive.infolist():
                target.writestr(info, changed.get(info.filename) or archive.read(info.filename))
    return out.getvalue()


def recalculate(data: bytes, rel: str, everything: bool = False, partial: bool = False) -> tuple[bytes, int]:
    """Return the workbook `data` with the values of its formulas that had none (with `everything`:
    of all its formulas) computed and saved, and how many values were written.  With `partial`, a
    formula that cannot be computed is left without a value (`check` lists it) instead of refused."""
    book = read_workbook(data, rel)
    results = evaluate(book, everything, partial)
    if not results:
        return data, 0
    return write_values(data, results), len(results)


def recalc_edition(project: Path, year: int, everything: bool = False) -> list[tuple[str, int]]:
    """Compute and save the missing formula values (every one with `everything`) of the workbooks of
    `datasets/<year>/`; returns (workbook, values written) per workbook.

    All workbooks are computed before any is written, and they are written together: a formula that
    cannot be computed (every one is listed) leaves every workbook as it was.
    """
    from ..atomic import commit
    from .edition import whole_workbooks

    folder = project / "datasets" / str(year)
    if not folder.is_dir():
        raise DataError(f"no datasets for {year} (datasets/{year})", Location(f"datasets/{year}"), code="missing")
    problems: list[Problem] = []
    done: list[tuple[str, int]] = []
    writes: list[tuple[Path, bytes]] = []
    for path, rel, data, found in whole_workbooks(folder, project):
        if found:
            problems.extend(found)
            continue
        try:
            new, count = recalculate(data, rel, everything)
        except (DataError, ProblemsFound) as exc:
            problems.extend(exc.problems)
            continue
        done.append((rel, count))
        if count:
            writes.append((path, new))
    if problems:
        raise ProblemsFound(problems)
    if writes:
        commit(writes)
    return done
