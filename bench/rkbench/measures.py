"""What is timed: each measure is a function of a fresh project copy and a number of runs."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .proc import Run, Series, reportkit, run
from .project import ROOT, YEAR, clear, first_number, set_cell

CLIENTS = ["A", "B", "C", "D", "E"]
# -- where the "one cell changed" measure edits one number: a series that feeds one table's charts --
CELL_FILE, CELL_SHEET = "研发投入.xlsx", "研发投入规模"
SCALES = (1, 4, 16)
RENDER = ["render", "--year", str(YEAR), "--timings"]
FONTS = ROOT / "src" / "reportkit" / "resources" / "fonts.conf"


@dataclass(frozen=True)
class Measure:
    label: str
    target: float | None = None
    """Absolute target in `unit`; relative targets are in RELATIVE."""
    unit: str = "s"
    per_engine: bool = True
    """Timed once per chart engine (False: no charts involved, timed once)."""
    needs_office: bool = False


MEASURES: dict[str, Measure] = {
    "cold": Measure("cold render, DOCX (empty cache)", 1.5),
    "warm": Measure("re-render, nothing changed (render skipped)", 0.8),
    "cell": Measure("re-render after one cell changed", 0.8),
    "output": Measure("re-render, nothing changed, output forced (--output)", 0.6),
    "batch": Measure("5 client editions, DOCX (warm charts)"),
    "pdf": Measure("render --pdf (output forced)", needs_office=True),
    "soffice": Measure("plain soffice --convert-to pdf of the same DOCX", needs_office=True),
    "batch_pdf": Measure("5 client editions with PDF", needs_office=True),
    "help": Measure("reportkit --help", 0.3, per_engine=False),
    "check": Measure("reportkit check --year 2024", per_engine=False),
    "memory": Measure("peak memory", 250.0, "MB"),
    "scale": Measure("scaling x1 / x4 / x16", 16.0, "x"),
}
ORDER = list(MEASURES)
RELATIVE = {"pdf": ("soffice", 1.3), "batch_pdf": ("pdf", 2.0)}
"""measure -> (the measure its target is a multiple of, the factor)."""
NEEDS = {
    "memory": {"cold", "batch"},
    "scale": {"cold"},
    "pdf": {"soffice"},
    "batch_pdf": {"pdf", "soffice"},
    "soffice": {"pdf"},
}
"""What else a measure needs: the runs it is read from, or the baseline of its target."""


def soffice() -> str | None:
    explicit = os.environ.get("REPORTKIT_SOFFICE")
    return explicit or shutil.which("soffice") or shutil.which("libreoffice")


def repeat(n: int, step: Callable[[int], Run], progress: str) -> Series:
    series = Series()
    for i in range(n):
        r = step(i)
        series.runs.append(r)
        print(f"  {progress} {i + 1}/{n}: {r.seconds:.2f} s", file=sys.stderr, flush=True)
    return series


def measure_cold(proj: Path, n: int) -> Series:
    def step(_i: int) -> Run:
        clear(proj / "build" / ".cache")
        return reportkit(RENDER, proj, sample_tree=True)

    return repeat(n, step, "cold")


def measure_warm(proj: Path, n: int) -> Series:
    reportkit(RENDER, proj)  # -- makes sure the render record matches the current inputs and code --
    return repeat(n, lambda _i: reportkit(RENDER, proj), "warm")


def measure_cell(proj: Path, n: int) -> Series:
    book = proj / "datasets" / str(YEAR) / CELL_FILE
    original = book.read_bytes()
    found = first_number(book, CELL_SHEET)
    if found is None:
        raise SystemExit(
            f"bench: {CELL_FILE} [{CELL_SHEET}] has no number under its year header; "
            "update CELL_* in bench/rkbench/measures.py"
        )
    cell, base = found
    # -- save once through openpyxl unchanged and render, so the timed runs differ from the last render
    #    by the one value only, not by how openpyxl writes a workbook --
    set_cell(book, CELL_SHEET, cell, base)
    reportkit(RENDER, proj)

    def step(i: int) -> Run:
        # -- a value never used before in this project, so neither the chart nor the data cache has it --
        set_cell(book, CELL_SHEET, cell, round(base + 0.01 * (i + 1), 4))
        return reportkit(RENDER, proj)

    try:
        return repeat(n, step, "one cell")
    finally:
        book.write_bytes(original)


def _forced(proj: Path, n: int, extra: list[str], progress: str, sample_tree: bool = False) -> Series:
    """Renders with a new --output path each run: the skip is defeated, every cache is warm."""
    reportkit(RENDER, proj)
    stamp = time.strftime("%H%M%S")
    return repeat(
        n,
        lambda i: reportkit(
            RENDER + extra + ["--output", f"build/bench/{progress}-{stamp}-{i}.docx"], proj, sample_tree
        ),
        progress,
    )


def measure_output(proj: Path, n: int) -> Series:
    return _forced(proj, n, [], "output")


def measure_pdf(proj: Path, n: int) -> Series:
    reportkit(RENDER + ["--pdf", "--output", "build/bench/pdf-warmup.docx"], proj)  # -- LibreOffice off the disk --
    return _forced(proj, n, ["--pdf"], "pdf", sample_tree=True)


def measure_soffice(proj: Path, n: int, docx: Path) -> Series:
    """The baseline: one plain conversion of the DOCX that `render --pdf` wrote, as `--convert-to` does it,
    with a fresh profile each run and reportkit's font mapping, like reportkit's own LibreOffice."""
    exe = soffice()
    assert exe is not None

    def step(i: int) -> Run:
        with tempfile.TemporaryDirectory(prefix="bench-soffice-") as tmp:
            profile = (Path(tmp) / "profile").as_uri()
            cmd = [
                exe,
                f"-env:UserInstallation={profile}",
                "--headless",
                "--norestore",
                "--convert-to",
                "pdf",
                "--outdir",
                tmp,
                str(docx),
            ]
            r = run(cmd, proj, env={"FONTCONFIG_FILE": str(FONTS), "HOME": tmp})
            if not (Path(tmp) / docx.with_suffix(".pdf").name).is_file():
                raise SystemExit(f"bench: soffice wrote no PDF of {docx}: {r.stderr.strip()[-300:]}")
            return r

    return repeat(n, step, "soffice")


def _batch(proj: Path, n: int, extra: list[str], progress: str) -> Series:
    reportkit(RENDER, proj)  # -- charts warm --
    args = RENDER + extra + [x for c in CLIENTS for x in ("--client", c)]

    def step(_i: int) -> Run:
        clear(proj / "build" / ".cache" / "renders")  # -- defeat the render skip, keep every other cache --
        return reportkit(args, proj, sample_tree=True)

    return repeat(n, step, progress)


def measure_batch(proj: Path, n: int) -> Series:
    return _batch(proj, n, [], "batch")


def measure_batch_pdf(proj: Path, n: int) -> Series:
    # -- the slowest measure: at most 3 runs --
    return _batch(proj, min(3, n), ["--pdf"], "batch --pdf")


def measure_help(proj: Path, n: int) -> Series:
    return repeat(n, lambda _i: reportkit(["--help"], proj), "--help")


def measure_check(proj: Path, n: int) -> Series:
    return repeat(n, lambda _i: reportkit(["check", "--year", str(YEAR)], proj), "check")


def measure_scale(projects: dict[int, Path], n: int, x1: Series, engine: str) -> dict[int, Series]:
    """Cold renders of the outline repeated k times; x1 is the cold measure itself (the same project)."""
    out: dict[int, Series] = {1: x1}
    for k in SCALES[1:]:
        proj = projects[k]

        def step(_i: int, proj: Path = proj) -> Run:
            clear(proj / "build" / ".cache")
            return reportkit(RENDER, proj, sample_tree=True)

        out[k] = repeat(min(3, n) if k >= 16 else n, step, f"cold x{k} ({engine})")
    return out


PLAN: list[tuple[str, Callable[[Path, int], Series]]] = [
    ("cold", measure_cold),
    ("warm", measure_warm),
    ("output", measure_output),
    ("cell", measure_cell),
    ("batch", measure_batch),
    ("pdf", measure_pdf),
    ("batch_pdf", measure_batch_pdf),
    ("help", measure_help),
    ("check", measure_check),
]
