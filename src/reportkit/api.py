"""A small Python API for notebooks: open a project, load an edition, look at its tables and
metrics as pandas DataFrames, run `check` and `render`.

    >>> from reportkit.api import open_project
    >>> project = open_project("path/to/report")
    >>> ed = project.edition(2024)
    >>> ed.frame("market_size")          # rows x years, forecast years end in E
    >>> ed.metrics("market_size")        # latest, YoY, CAGR, share per row
    >>> ed.check().problems               # what `reportkit check` would print
    >>> ed.render("build/draft.docx").path

pandas is an optional extra (``pip install 'reportkit[pandas]'``): only :meth:`Edition.frame` and
:meth:`Edition.metrics` import it, so rendering never does.  The library raises
:class:`~reportkit.errors.ReportkitError`; a notebook shows its message.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .data.citations import plain_source
from .errors import ProblemsFound, ReportkitError

if TYPE_CHECKING:
    import pandas as pd

    from .config import Manifest
    from .context import Data
    from .pipeline import RenderResult
    from .validation import Findings


def _pandas() -> Any:
    try:
        import pandas
    except ImportError:
        raise ReportkitError(
            "pandas is not installed; install the extra: pip install 'reportkit[pandas]'", code="missing"
        ) from None
    return pandas


@dataclass
class Project:
    """A report project folder (the one holding report.toml)."""

    root: Path
    manifest: Manifest

    @property
    def editions(self) -> list[int]:
        """The edition years that have data (datasets/<year>/)."""
        folder = self.root / "datasets"
        return (
            sorted(int(p.name) for p in folder.iterdir() if p.is_dir() and p.name.isdigit()) if folder.is_dir() else []
        )

    def edition(self, year: int) -> Edition:
        """Load edition `year`: its workbooks, metrics and trust findings (never raises for findings:
        look at `Edition.findings`; a workbook that cannot be read at all raises)."""
        from .pipeline import inspect_data

        data, findings = inspect_data(self.manifest, year)
        if data is None:
            raise ProblemsFound(findings.problems)
        return Edition(self, year, data, findings)


@dataclass
class Edition:
    """One edition's data, as the templates see it."""

    project: Project
    year: int
    data: Data
    findings: Findings

    @property
    def tables(self) -> list[str]:
        """The table IDs (what `data.<id>` names in a template)."""
        return list(self.data)

    def table(self, table_id: str) -> Any:
        """The table object templates use (series: rows, years, metrics; records: columns)."""
        return self.data[table_id]

    def frame(self, table_id: str) -> pd.DataFrame:
        """The table as a DataFrame: a series table with its rows as the index and its years as
        columns (``2024E`` for a forecast year, computed forecasts included); a record table with one
        row per record.  `attrs` carries the unit, the source, the 示例 flag and the as-of date."""
        pandas = _pandas()
        from .context import SeriesTable

        table = self.data[table_id]
        if isinstance(table, SeriesTable):
            columns = [f"{y}E" if table.is_forecast(y) else str(y) for y in table.years]
            rows = {s.label: [float(s[y]) if s.has(y) else None for y in table.years] for s in table.rows}
            frame = pandas.DataFrame.from_dict(rows, orient="index", columns=columns)
            frame.index.name = table.raw.header_label or "指标"
        else:
            frame = pandas.DataFrame(
                [{c: _plain(r[c]) for c in table.columns} for r in table.records], columns=table.columns
            )
        frame.attrs.update(
            {
                "id": table.id,
                "title": table.title,
                "unit": table.unit,
                "source": plain_source(table.source),
                "illustrative": table.illustrative,
                "file": table.file,
                "sheet": table.sheet,
                "as_of": str(table.raw.as_of) if table.raw.as_of else None,
            }
        )
        result: pd.DataFrame = frame
        return result

    def metrics(self, table_id: str) -> pd.DataFrame:
        """Per row of a series table: first and latest actual year and value, year-on-year growth and
        CAGR to the latest year (fractions), share of the table total in that year, and the last
        (horizon) value with its CAGR from the latest actual year."""
        pandas = _pandas()
        from .context import SeriesTable

        table = self.data[table_id]
        if not isinstance(table, SeriesTable):
            raise ReportkitError(
                f"table {table_id} is a record table; metrics are computed for series tables", code="bad_argument"
            )
        out = []
        for s in table.rows:
            first, latest, last = s.first, s.latest, s.last
            prev = latest.year - 1
            out.append(
                {
                    "row": s.label,
                    "first_year": first.year,
                    "first": float(first.value),
                    "latest_year": latest.year,
                    "latest": float(latest.value),
                    "yoy": float(s.yoy(latest.year)) if s.has(prev) and float(s[prev]) else None,
                    "cagr": float(s.cagr(first.year, latest.year))
                    if latest.year > first.year and float(first.value) > 0
                    else None,
                    "share": float(s.share(latest.year)) if float(table.total(latest.year)) else None,
                    "last_year": last.year,
                    "last": float(last.value),
                    "cagr_to_last": float(s.cagr(latest.year, last.year))
                    if last.year > latest.year and float(latest.value) > 0
                    else None,
                }
            )
        result: pd.DataFrame = pandas.DataFrame(out).set_index("row")
        return result

    def check(self) -> Findings:
        """Everything `reportkit check --year` reports for this edition (templates included)."""
        from .checks import check_project

        return check_project(self.project.manifest, self.year)

    def render(self, output: str | Path | None = None, client: str = "", pdf: bool = False) -> RenderResult:
        """Render the edition, as `reportkit render --year` does; returns what was written."""
        from .pipeline import render

        return render(self.project.manifest, self.year, Path(output) if output is not None else None, client, pdf=pdf)


def _plain(value: Any) -> Any:
    """Cell values as a DataFrame holds them: numbers as floats, dates as text (YYYY-MM-DD)."""
    from .data.tables import DateValue

    if isinstance(value, DateValue):
        return str(value)
    if isinstance(value, float):
        return float(value)
    return value


def open_project(path: str | Path = ".") -> Project:
    """Open the report project at `path`; raises a ReportkitError if its report.toml is wrong."""
    from .config import load_manifest

    root = Path(path).resolve()
    return Project(root, load_manifest(root))


__all__ = ["Edition", "Project", "open_project"]
