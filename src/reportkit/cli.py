"""Command line: `reportkit render|check ...`.  The only place that prints and exits."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .errors import ReportkitError, printable, printable_json

if TYPE_CHECKING:
    from .config import Manifest

EPILOG = """\b
Examples:
  reportkit render --year 2024
  reportkit render --year 2025 --project ../my-report --output out/report.docx
"""


def say(text: str, err: bool = False) -> None:
    """Print `text`, each line shown as written: data cannot forge a line, move the cursor or reorder
    what the terminal shows (see :func:`reportkit.errors.printable`)."""
    click.echo("\n".join(printable(line) for line in str(text).split("\n")), err=err)


def say_json(value: Any, indent: int = 2) -> None:
    import json

    click.echo(printable_json(json.dumps(value, ensure_ascii=False, indent=indent)))


class _Guarded(click.Group):
    """The last line of defence: whatever escapes a command is one line, not a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (
            click.exceptions.ClickException,
            click.exceptions.Exit,
            click.exceptions.Abort,
            SystemExit,
            KeyboardInterrupt,
        ):
            raise
        except ReportkitError as exc:
            if (ctx.obj or {}).get("debug"):
                raise
            for line in str(exc).splitlines():
                say(f"error: {line}", err=True)
            ctx.exit(1)
        except (Exception, RecursionError, MemoryError) as exc:
            if (ctx.obj or {}).get("debug"):
                raise
            say(
                f"error: reportkit failed unexpectedly ({type(exc).__name__}: {' '.join(str(exc).split())[:300]}); "
                "run with --debug to see where",
                err=True,
            )
            ctx.exit(1)


@click.group(cls=_Guarded, epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show a traceback when something fails.")
@click.version_option(package_name="reportkit")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Render a Chinese industry research report as Word from Excel datasets and templates."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


def _render(
    manifest: Manifest,
    year: int,
    clients: list[str],
    output: Path | None,
    use_cache: bool,
    jobs: int | None,
    pdf: bool,
    watermark: str,
) -> list[Any]:
    """Render, first asking the light fingerprint module whether the last identical render still stands."""
    if use_cache:
        from .fingerprint import previous_render

        done = previous_render(manifest, year, clients, output, pdf, watermark)
        if done is not None:
            from types import SimpleNamespace

            return [
                SimpleNamespace(
                    path=Path(r["path"]),
                    pdf=Path(r["pdf"]) if r["pdf"] else None,
                    pages=r["pages"],
                    skipped=True,
                    charts_drawn=0,
                    timings=SimpleNamespace(stages={}),
                )
                for r in done
            ]
    import sys

    from .pipeline import render_many

    if not sys.stderr.isatty():
        return render_many(
            manifest, year, clients, output, use_cache=use_cache, jobs=jobs, pdf=pdf, watermark=watermark
        )
    from rich.console import Console

    # -- a spinner with the current stage, only for a person watching a terminal --
    with Console(stderr=True).status("rendering", spinner="dots") as status:
        return render_many(
            manifest,
            year,
            clients,
            output,
            use_cache=use_cache,
            jobs=jobs,
            pdf=pdf,
            watermark=watermark,
            progress=lambda stage: status.update(f"rendering: {stage}"),
        )


# -- the options every command shares, declared once --
project_option = click.option(
    "--project",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="The report project folder (holds report.toml).",
)
year_option = click.option("--year", type=int, required=True, help="Edition year: reads datasets/YEAR/.")


def _fail(ctx: click.Context, exc: ReportkitError) -> None:
    if ctx.obj.get("debug"):
        raise exc
    for line in str(exc).splitlines():
        say(f"error: {line}", err=True)
    ctx.exit(1)


@main.command(epilog=EPILOG)
@year_option
@project_option
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where to write the DOCX (default: build/YEAR/<title>.docx).",
)
@click.option("--pdf", is_flag=True, help="Also write the PDF (LibreOffice) and fill the TOC's page numbers.")
@click.option(
    "--client",
    "clients",
    multiple=True,
    metavar="NAME",
    help="A client edition: 专供 NAME on the cover, in the header and properties. Repeatable.",
)
@click.option("--all-clients", is_flag=True, help="One edition for every client listed in report.toml.")
@click.option("--watermark", default=None, metavar="TEXT", help="A diagonal watermark on every page.")
@click.option("--timings", is_flag=True, help="Print the time spent in each stage.")
@click.option("--no-cache", is_flag=True, help="Draw every chart again instead of reusing build/.cache.")
@click.option("--jobs", type=click.IntRange(1, 64), default=None, help="Processes for drawing charts (default: CPUs).")
@click.option("--watch", is_flag=True, help="Render again whenever a workbook, template or report.toml changes.")
@click.pass_context
def render(
    ctx: click.Context,
    year: int,
    project: Path,
    output: Path | None,
    pdf: bool,
    clients: tuple[str, ...],
    all_clients: bool,
    watermark: str | None,
    timings: bool,
    no_cache: bool,
    jobs: int | None,
    watch: bool,
) -> None:
    """Render the edition YEAR to DOCX; prints the path it wrote as its last line."""
    from .config import load_manifest

    if watch:
        from .watch import watch as watch_loop

        def once() -> list[Path]:
            # -- read again on every change: report.toml is one of the files being watched --
            manifest = load_manifest(project.resolve())
            results = _render(manifest, year, list(clients) or [""], output, not no_cache, jobs, pdf, watermark or "")
            return [p for r in results for p in (r.pdf, r.path) if p is not None]

        watch_loop(project, year, once, say)
        return
    try:
        manifest = load_manifest(project.resolve())
        names = list(clients)
        if all_clients:
            names += [c for c in manifest.clients if c not in names]
        mark = manifest.watermark if watermark is None else watermark
        results = _render(manifest, year, names or [""], output, not no_cache, jobs, pdf, mark or "")
    except ReportkitError as exc:
        _fail(ctx, exc)
        return
    # -- said on every render, not only by check: a warning is cheap to read and easy to miss --
    for p in getattr(results[0], "warnings", []):
        say(f"warning: {p}", err=True)
    if timings:
        if getattr(results[0], "skipped", False):
            say("nothing changed since the last render: kept its output", err=True)
        for stage, seconds in results[0].timings.stages.items():
            say(f"{stage:10s} {seconds:6.2f} s", err=True)
        say(f"charts drawn: {results[0].charts_drawn}", err=True)
    for r in results:
        if r.pdf is not None:
            say(f"{r.pdf}  ({r.pages} pages)")
        say(str(r.path))


@main.command(
    epilog="""\b
Examples:
  reportkit check --year 2024
  reportkit check --year 2025 --json > problems.json
"""
)
@year_option
@project_option
@click.option("--json", "as_json", is_flag=True, help="Print the problems as a JSON list.")
@click.pass_context
def check(ctx: click.Context, year: int, project: Path, as_json: bool) -> None:
    """Validate everything a render of YEAR needs without writing output.

    Exit status: 0 clean, 1 problems found, 2 usage error.
    """

    from .checks import check_project

    report = check_project(project, year)
    problems = report.problems
    if as_json:
        entries = [{**p.as_dict(), "level": "error"} for p in problems]
        entries += [
            {
                **p.as_dict(),
                "level": "accepted",
                "reason": e.reason,
                "exception": {"file": e.ref.file, "sheet": e.ref.sheet, "cell": e.ref.cell},
            }
            for p, e in report.accepted
        ]
        entries += [{**p.as_dict(), "level": "warning"} for p in report.warnings]
        say_json(entries)
    else:
        for p in problems:
            say(str(p))
        for p in report.warnings:
            say(f"warning: {p}")
        for p, e in report.accepted:
            say(f"accepted by 例外 at {e.ref.cell}: {p.location}: {p.code}: {p.message} — {e.reason}")
        say(
            (f"{len(problems)} problem{'s' if len(problems) != 1 else ''}" if problems else "ok: no problems")
            + (
                f", {len(report.warnings)} warning{'s' if len(report.warnings) != 1 else ''}" if report.warnings else ""
            ),
            err=bool(problems),
        )
    ctx.exit(1 if problems else 0)


TODO_CODES = frozenset(
    {
        "missing",
        "stale_forecast",
        "stale_text",
        "asof_forecast",
        "asof_actual",
        "after_as_of",
        "formula_not_cached",
        "formula_error",
    }
)
"""What a new edition leaves for the analyst: cells to fill and figures or notes to revise."""


@main.command(
    "new-edition",
    epilog="""\b
Examples:
  reportkit new-edition --year 2025
  reportkit new-edition --year 2025 --from 2024 --project ../my-report
""",
)
@click.option("--year", type=int, required=True, help="The new edition's year.")
@click.option("--from", "from_year", type=int, default=None, help="The edition to start from (default: YEAR-1).")
@project_option
@click.pass_context
def new_edition(ctx: click.Context, year: int, from_year: int | None, project: Path) -> None:
    """Create datasets/YEAR from the previous edition's workbooks and list the cells to fill."""
    from .checks import check_project
    from .config import load_manifest
    from .data.roll import new_edition as roll

    try:
        manifest = load_manifest(project.resolve())
        start = from_year if from_year is not None else year - 1
        written = roll(manifest.root, year, start, manifest.horizon, manifest.as_of(start), manifest.as_of(year))
    except ReportkitError as exc:
        _fail(ctx, exc)
        return
    say(f"created datasets/{year} ({len(written)} workbooks) from datasets/{from_year or year - 1}")
    todo = [p for p in check_project(manifest, year).problems if p.code in TODO_CODES]
    if todo:
        say(f"cells to fill before `reportkit render --year {year}` ({len(todo)}):")
        for p in todo:
            say(f"  {p}")
    say(f"then run: reportkit check --year {year}")


@main.command(
    epilog="""\b
Examples:
  reportkit recalc --year 2025
  reportkit recalc --year 2025 --all
""",
)
@year_option
@project_option
@click.option("--all", "everything", is_flag=True, help="Compute every formula again, not only those without a value.")
@click.pass_context
def recalc(ctx: click.Context, year: int, project: Path, everything: bool) -> None:
    """Compute and save the values of formulas in the workbooks of YEAR, without Excel.

    Only formulas without a saved value, unless --all.  All workbooks are written together, or none
    is: a formula that cannot be computed (each one is listed) leaves them as they were.
    """
    from .data.recalc import recalc_edition

    try:
        done = recalc_edition(project.resolve(), year, everything)
    except ReportkitError as exc:
        _fail(ctx, exc)
        return
    for rel, count in done:
        if count:
            say(f"{rel}: {count} value{'s' if count != 1 else ''} computed")
    total = sum(count for _rel, count in done)
    say(f"{total} formula value{'s' if total != 1 else ''} saved in datasets/{year}" if total else "nothing to compute")


@main.command(
    epilog="""\b
Examples:
  reportkit diff --from 2024 --to 2025
  reportkit diff --from 2024 --to 2025 --json > changes.json
"""
)
@click.option("--from", "old", type=int, required=True, help="The earlier edition.")
@click.option("--to", "new", type=int, required=True, help="The later edition.")
@project_option
@click.option("--json", "as_json", is_flag=True, help="Print the differences as JSON.")
@click.option(
    "--redline",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the new edition as a DOCX with the rewording as tracked changes.",
)
@click.pass_context
def diff(ctx: click.Context, old: int, new: int, project: Path, as_json: bool, redline: Path | None) -> None:
    """Show what changed between two editions: figures, rows and years, reworded paragraphs."""

    from .config import load_manifest
    from .diff import diff_editions, format_diff, write_redline

    try:
        manifest = load_manifest(project.resolve())
        result = diff_editions(manifest, old, new)
        if redline is not None:
            write_redline(manifest, old, new, redline)
    except ReportkitError as exc:
        _fail(ctx, exc)
        return
    if as_json:
        say_json(result.as_dict(), indent=1)
    else:
        for line in format_diff(result):
            say(line)
    if redline is not None:
        say(str(redline), err=as_json)


@main.command(
    epilog="""\b
Examples:
  reportkit lint
  reportkit lint --project ../my-report --json
"""
)
@project_option
@click.option("--json", "as_json", is_flag=True, help="Print the findings as a JSON list.")
@click.pass_context
def lint(ctx: click.Context, project: Path, as_json: bool) -> None:
    """Flag numbers, years and percentages typed into templates instead of taken from data."""

    from .config import load_manifest
    from .lint import lint_templates

    try:
        problems = lint_templates(load_manifest(project.resolve()))
    except ReportkitError as exc:
        problems = exc.problems
    if as_json:
        say_json([p.as_dict() for p in problems])
    else:
        for p in problems:
            say(str(p))
        say(f"{len(problems)} finding(s)" if problems else "ok: no hard-coded figures", err=bool(problems))
    ctx.exit(1 if problems else 0)


@main.command(
    epilog="""\b
Examples:
  reportkit reference my-reference.docx
"""
)
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def reference(ctx: click.Context, target: Path) -> None:
    """Copy the packaged reference .docx to TARGET, to restyle in Word."""
    from .atomic import write_file
    from .docx import packaged_reference
    from .errors import OutputError

    if os.path.lexists(target):
        _fail(ctx, OutputError(f"{target} exists; choose another name or delete it first"))
        return
    try:
        write_file(target, packaged_reference().read_bytes())
    except ReportkitError as exc:
        _fail(ctx, exc)
        return
    say(str(target))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
