"""Read an edition: the workbooks of `datasets/<year>/` into tables, with every problem found (and the
warnings: stray files, scratch sheets holding a table), reusing unchanged workbooks from the cache."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from .. import limits
from ..errors import DataError, Location, Problem, ProblemsFound, ReportkitError
from ..intake import read_file
from .excel import read_table
from .sheets import IGNORED_SHEET_RE, read_sheets, workbook_problems
from .tables import CellRef, Citation, Column, DataException, DateValue, RawRow, RawTable


def workbook_files(folder: Path) -> list[Path]:
    """The workbooks of an edition's folder, in name order (Excel's ~$ lock files and hidden files aside)."""
    return sorted(p for p in folder.glob("*.xlsx") if not p.name.startswith(("~$", ".")))


def whole_workbooks(folder: Path, project: Path) -> Iterator[tuple[Path, str, bytes, list[Problem]]]:
    """(path, project-relative name, bytes, problems) of each workbook of `folder`, for the writers that
    load a workbook whole (new-edition, recalc): the problems say what stops it from being read at all,
    and such a workbook must not be loaded."""
    for path in workbook_files(folder):
        rel = path.relative_to(project).as_posix()
        data = read_file(path, project, limits.WORKBOOK_BYTES, DataError, rel, what="workbook")
        yield path, rel, data, workbook_problems(data, rel)


def load_workbook_tables(data: bytes, rel: str, problems: list[Problem]) -> list[RawTable]:
    """Return the tables of one workbook (its bytes); problems are appended to `problems`."""
    tables = []
    for sheet in read_sheets(data, rel, problems):
        table = read_table(sheet, rel, problems)
        if table is not None:
            tables.append(table)
    return tables


_CACHED_TYPES = (RawTable, RawRow, Column, CellRef, Citation, DataException, DateValue, Problem, Location)


def _cached_tables(data: bytes, rel: str, cache_dir: Path | None) -> tuple[list[RawTable], list[Problem]]:
    """Read one workbook, reusing the result of an earlier read of identical bytes at the same path."""
    from .. import code_fingerprint
    from ..cache import Cache, digest

    problems: list[Problem] = []
    cache = Cache(cache_dir)
    if not cache.enabled:
        return load_workbook_tables(data, rel, problems), problems
    key = digest(data, rel, code_fingerprint())
    found = cache.get_json(key, _CACHED_TYPES)
    if isinstance(found, list) and len(found) == 2:
        return found[0], found[1]
    tables = load_workbook_tables(data, rel, problems)
    cache.put_json(key, [tables, problems])
    return tables, problems


STRAY_SUFFIXES = {".csv": "CSV", ".tsv": "TSV", ".xls": "Excel 97-2003", ".xlsm": "macro-enabled", ".ods": "ODS"}


def ignored_tables(problems: list[Problem]) -> dict[str, str]:
    """Table IDs held by sheets skipped as scratch (`_name`), with the warning that says so: a template
    asking for one is told where it is instead of only "no table"."""
    found = {}
    for p in problems:
        m = IGNORED_SHEET_RE.match(p.message) if p.code == "ignored_sheet" else None
        if m:
            found[m.group("id")] = f"{p.location}: {p.message}; {p.hint}"
    return found


def _stray_files(folder: Path, project: Path) -> list[Problem]:
    """Data files beside the workbooks that reportkit does not read: an analyst who drops a CSV there
    expects it to count, so say that it does not."""
    found = []
    for path in sorted(folder.iterdir()):
        kind = STRAY_SUFFIXES.get(path.suffix.lower())
        if kind is None or path.name.startswith(("~$", ".")) or not path.is_file():
            continue
        rel = path.relative_to(project).as_posix()
        found.append(
            Problem(
                "stray_file",
                f"this {kind} file is not read: an edition's data is the .xlsx workbooks in its folder",
                Location(rel),
                hint="save it as an Excel workbook (.xlsx) with the metadata block to use it, or move it out",
                warning=True,
            )
        )
    return found


def load_edition(project: Path, year: int, cache_dir: Path | None = None) -> list[RawTable]:
    """Return every table of `datasets/<year>/` in file and sheet order.

    With `cache_dir`, a workbook whose bytes did not change since the last read is not parsed again.
    Raises :class:`ProblemsFound` listing every problem in every workbook; warnings do not raise
    (:func:`read_edition` returns them).
    """
    tables, problems = read_edition(project, year, cache_dir)
    errors = [p for p in problems if not p.warning]
    if errors:
        raise ProblemsFound(errors)
    return tables


def read_edition(project: Path, year: int, cache_dir: Path | None = None) -> tuple[list[RawTable], list[Problem]]:
    """Return the tables of `datasets/<year>/` as far as they could be read (a malformed cell is left
    empty), and every problem found; raises DataError only when there is no edition to read."""
    folder = project / "datasets" / str(year)
    if not folder.is_dir():
        available = sorted(p.name for p in (project / "datasets").glob("*") if p.is_dir() and p.name.isdigit())
        hint = f"; editions with data: {', '.join(available)}" if available else ""
        raise DataError(
            f"no datasets for {year}: folder datasets/{year} does not exist{hint}",
            Location(f"datasets/{year}"),
            code="missing",
        )
    problems: list[Problem] = []
    tables: list[RawTable] = []
    files = workbook_files(folder)
    if not files:
        raise DataError(f"datasets/{year} holds no .xlsx workbook", Location(f"datasets/{year}"), code="missing")
    problems.extend(_stray_files(folder, project))
    for path in files:
        rel = path.relative_to(project).as_posix()
        try:
            data = read_file(path, project, limits.WORKBOOK_BYTES, DataError, rel, what="workbook")
        except ReportkitError as exc:
            problems.extend(exc.problems)
            continue
        found, errors = _cached_tables(data, rel, cache_dir)
        tables.extend(found)
        problems.extend(errors)
    if cache_dir is not None and files:
        from ..cache import Cache

        Cache(cache_dir).trim()
    seen: dict[str, RawTable] = {}
    unique = []
    for t in tables:
        if t.id and t.id in seen:
            other = seen[t.id]
            ref = t.meta_refs.get("ID")
            problems.append(
                Problem(
                    "duplicate",
                    f"ID {t.id} is also used by {other.file} [{other.sheet}]",
                    Location(t.file, t.sheet, ref.cell if ref else None),
                )
            )
            continue
        seen.setdefault(t.id, t)
        unique.append(t)
    return unique, problems
