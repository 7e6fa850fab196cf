"""The render pipeline: data -> context -> templates -> document model -> DOCX.

Each stage is a function of the one before; nothing flows backwards.  The library raises
:class:`~reportkit.errors.ReportkitError`; only the CLI prints.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as _dt
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import limits
from .atomic import commit, recover
from .config import Manifest, edition_year_problem, load_manifest, source_date
from .context import Data, build_data, collect_data
from .data import DateValue, load_edition, read_edition
from .data.edition import ignored_tables
from .errors import Location, OutputError, Problem, ProblemsFound, ReportkitError, StyleError
from .markup import read_markup
from .model import (
    Block,
    Cover,
    Document,
    Figure,
    Heading,
    ListBlock,
    ListOfFigures,
    Meta,
    PageBreak,
    Paragraph,
    SectionBreak,
    Table,
    TableOfContents,
    TocEntry,
)
from .numbering import caption_text, chapter_number, number_blocks, section_number
from .references import add_references
from .templating import Ledger, Registry, make_environment, render_template, template_functions
from .validation.asof import cn_date

if TYPE_CHECKING:
    from .pdf import Layout, Office
    from .validation import Findings


@dataclass(frozen=True)
class Edition:
    """What templates know about the edition as `edition.*`."""

    year: int
    start: int
    end: int
    horizon: int
    title: str
    publisher: str
    as_of: DateValue | None = None
    """The date the edition's data stands at (`as_of` in report.toml)."""


@dataclass
class Timings:
    """Seconds spent per stage."""

    stages: dict[str, float] = field(default_factory=dict)

    def add(self, name: str, seconds: float) -> None:
        self.stages[name] = self.stages.get(name, 0.0) + seconds


def as_manifest(project: Path | Manifest) -> Manifest:
    """The project's manifest: parsed from `project`'s report.toml, or `project` itself when the caller
    has parsed it already (a command parses it once and passes it down)."""
    return project if isinstance(project, Manifest) else load_manifest(project.resolve())


def edition_date(year: int) -> _dt.datetime:
    """Return the document date: SOURCE_DATE_EPOCH when set, else 1 January of the edition year."""
    return source_date() or _dt.datetime(year, 1, 1)


def load_data(project: Path, year: int, use_cache: bool = False) -> Data:
    """Stages 1-2: read the edition's workbooks and compute the context (no trust checks: `diff`
    compares editions as they are)."""
    cache = project / "build" / ".cache" / "data" if use_cache else None
    return build_data(load_edition(project, year, cache))


def inspect_data(manifest: Manifest, year: int, use_cache: bool = False) -> tuple[Data | None, Findings]:
    """Stages 1-2 and the trust checks, without raising: the edition's data (None when a workbook is
    malformed) and every problem found, with the 例外 exceptions applied.  The previous edition, when
    it exists, is read to find forecasts left stale by the new one."""
    from .validation import Findings, validate

    cache = manifest.root / "build" / ".cache" / "data" if use_cache else None
    try:
        raws, problems = read_edition(manifest.root, year, cache)
    except ReportkitError as exc:
        return None, Findings(exc.problems)
    warnings = [p for p in problems if p.warning]
    problems = [p for p in problems if not p.warning]
    data, more = collect_data(raws)
    # -- a malformed cell was read as empty: the context's "no value" for it would say it twice --
    reported = {(p.location.file, p.location.sheet, p.location.cell) for p in problems}
    problems += [p for p in more if (p.location.file, p.location.sheet, p.location.cell) not in reported]
    malformed = bool(problems)
    previous = None
    if (manifest.root / "datasets" / str(year - 1)).is_dir():
        try:
            previous, _old_problems = collect_data(load_edition(manifest.root, year - 1, cache))
        except ReportkitError:
            previous = None  # -- a broken old edition is its own business; nothing to compare with --
    if previous is not None:
        # -- a table the last edition had: say which workbook and sheet held it, not just "no table" --
        data.elsewhere.update(
            {
                t.id: f"the {year - 1} edition had it in {t.file} [{t.sheet}]: was the workbook or "
                "sheet deleted, renamed, or given another ID?"
                for t in previous.tables()
                if t.id not in data
            }
        )
    # -- a sheet skipped as scratch says so, whatever the last edition had --
    data.elsewhere.update(ignored_tables(warnings))
    findings = validate(data, manifest.checks, manifest.as_of(year), previous, year - 1)
    findings.problems[:0] = problems
    findings.warnings[:0] = warnings
    # -- templates cannot be tried on data with holes; the trust checks above still ran on the rest --
    return (None if malformed else data), findings


def load_checked(manifest: Manifest, year: int, use_cache: bool = False) -> Data:
    """Stages 1-2 with the trust checks; raises :class:`ProblemsFound` listing every problem."""
    data, findings = inspect_data(manifest, year, use_cache)
    if findings.problems or data is None:
        raise ProblemsFound(findings.problems)
    return data


def render_text(
    manifest: Manifest, data: Data, edition: Edition, use_cache: bool = False, warnings: list[Problem] | None = None
) -> list[Block]:
    """Stage 3-4: render every template and read it into blocks, with outline headings.

    All template problems are collected and raised together; warnings are added to `warnings`.
    """
    ledger = Ledger()
    cache = manifest.root / "build" / ".cache" / "jinja" if use_cache else None
    env = make_environment(manifest.root / "templates", ledger, cache)
    registry = Registry(ledger)
    context: dict[str, Any] = {"edition": edition, "data": data, **template_functions(data, registry)}
    problems: list[Problem] = []
    blocks: list[Block] = []
    written = 0  # -- paragraphs, headings, lists, figures and table rows so far: what the writer will cost --

    def part(template: str) -> list[Block]:
        nonlocal written
        try:
            text = render_template(env, template, context)
            found = read_markup(text, f"templates/{template}", registry, ledger, warnings)
        except ReportkitError as exc:
            problems.extend(exc.problems)
            return []
        before, written = written, written + sum(1 + len(b.rows) if isinstance(b, Table) else 1 for b in found)
        if written > limits.DOCUMENT_BLOCKS:
            if before <= limits.DOCUMENT_BLOCKS:
                problems.append(
                    Problem(
                        "too_large",
                        f"the report grows past {limits.DOCUMENT_BLOCKS:,} paragraphs, "
                        "figures and table rows here, the limit; a loop over more than the data?",
                        Location(template=f"templates/{template}"),
                    )
                )
            return []
        if edition.as_of is not None:
            problems.extend(_dated_after(found, edition.as_of, f"templates/{template}"))
        return found

    def new_page(heading: Heading) -> Heading:
        # -- every front page and chapter starts a page; the first follows the contents' section
        # break already, and a template's own page_break() just before is folded into the heading --
        while blocks and isinstance(blocks[-1], PageBreak):
            blocks.pop()
        return dataclasses.replace(heading, new_page=bool(blocks))

    front, chapters = manifest.outline(edition.year)
    for fp in front:
        blocks.append(new_page(Heading(1, fp.title)))
        blocks.extend(part(fp.template))
    for ci, chapter in enumerate(chapters, start=1):
        blocks.append(new_page(Heading(1, chapter.title, chapter_number(ci))))
        for si, section in enumerate(chapter.sections, start=1):
            blocks.append(Heading(2, section.title, section_number(si)))
            blocks.extend(part(section.template))
    if problems:
        raise ProblemsFound(problems)
    return number_blocks(blocks)


def _dated_after(blocks: list[Block], as_of: DateValue, template: str) -> list[Problem]:
    """Prose that says 截至 a date after the edition's data (a literal, or a record's date)."""
    from .validation.asof import dates_claimed

    out: list[Problem] = []
    for b in blocks:
        if isinstance(b, (Paragraph, ListBlock)):
            text = b.text if isinstance(b, Paragraph) else "".join(r.text for item in b.items for r in item)
            out.extend(
                Problem(
                    "after_as_of",
                    f"the text says 截至{cn_date(d)}, after the date the data stands at ({cn_date(as_of)})",
                    Location(template=template, line=b.pos.line),
                    hint="correct the date the text quotes, or move the edition's as_of in report.toml",
                )
                for d in dates_claimed(text)
                if d > as_of
            )
    return out


def draw_figures(
    blocks: list[Block], width_in: float, cache_dir: Path | None = None, jobs: int | None = None, engine: str = "native"
) -> tuple[list[Block], int]:
    """Stage 5: give every figure its engine (`engine` where the template chose none) and draw the
    pictures of the `image` ones; return the blocks and how many pictures had to be drawn.  Native
    charts are written by the DOCX writer as chart parts: nothing to draw, matplotlib never loads."""
    blocks = [dataclasses.replace(b, engine=b.engine or engine) if isinstance(b, Figure) else b for b in blocks]
    pictures = [b for b in blocks if isinstance(b, Figure) and b.engine == "image"]
    if not pictures:
        return blocks, 0
    from .charts.batch import draw_all

    images, drawn = draw_all([f.chart for f in pictures], width_in, cache_dir, jobs)
    it = iter(images)
    return [
        dataclasses.replace(b, image=next(it)) if isinstance(b, Figure) and b.engine == "image" else b for b in blocks
    ], drawn


def build_document(
    manifest: Manifest,
    data: Data,
    year: int,
    client: str = "",
    timings: Timings | None = None,
    watermark: str = "",
    use_cache: bool = False,
    warnings: list[Problem] | None = None,
) -> Document:
    """Return the document model of edition `year` (figures not yet drawn, pages not yet known);
    what the templates' text deserves a warning for is added to `warnings`."""
    timings = timings or Timings()
    title = manifest.title(year)
    edition = Edition(
        year, year, year + manifest.horizon, manifest.horizon, title, manifest.publisher, manifest.as_of(year)
    )
    t0 = time.perf_counter()
    body = add_references(render_text(manifest, data, edition, use_cache, warnings), data, manifest.references)
    timings.add("templates", time.perf_counter() - t0)
    toc = TableOfContents(
        entries=tuple(TocEntry(b.level, b.full_text) for b in body if isinstance(b, Heading) and b.toc and b.level <= 2)
    )
    lof = ListOfFigures(
        entries=tuple(
            TocEntry(1, caption_text(b.number, b.title, getattr(b, "unit_note", "")))
            for b in body
            if isinstance(b, (Figure, Table))
        )
    )
    created = edition_date(year)
    meta = Meta(
        title=title,
        subject=manifest.subject or title,
        author=manifest.publisher,
        keywords=manifest.keywords,
        created=created,
        header_text=title,
    )
    as_of = edition.as_of
    cover = Cover(
        title=title,
        publisher=manifest.publisher,
        date_text=f"{year}年",
        as_of_text=f"数据截至{cn_date(as_of)}" if as_of else "",
    )
    document = Document(meta, [cover, toc, lof, SectionBreak(), *body])
    return for_client(document, client, watermark)


def for_client(document: Document, client: str, watermark: str = "") -> Document:
    """Return `document` addressed to `client` (cover, header, properties) with an optional watermark."""
    if not client and not watermark:
        return document
    blocks = [dataclasses.replace(b, client=client) if isinstance(b, Cover) else b for b in document.blocks]
    return Document(dataclasses.replace(document.meta, client=client, watermark=watermark), blocks)


def paginate(document: Document, layout: Layout | None) -> Document:
    """Return `document` with the printed page of every TOC and 图表目录 entry from `layout`; with
    None, every entry shows the placeholder page of the draft that LibreOffice lays out."""
    from .pdf import PLACEHOLDER

    def page(number: int | None) -> str:
        return PLACEHOLDER if layout is None else str(number) if number else ""

    blocks: list[Block] = []
    for b in document.blocks:
        if isinstance(b, TableOfContents):
            pages = layout.headings if layout else []
            b = dataclasses.replace(
                b,
                entries=tuple(
                    dataclasses.replace(e, page=page(pages[i] if i < len(pages) else None))
                    for i, e in enumerate(b.entries)
                ),
            )
        elif isinstance(b, ListOfFigures):
            b = dataclasses.replace(
                b,
                entries=tuple(
                    dataclasses.replace(e, page=page(layout.captions.get(i + 1) if layout else None))
                    for i, e in enumerate(b.entries)
                ),
            )
        blocks.append(b)
    return Document(document.meta, blocks)


def sidecar_path(docx_path: Path) -> Path:
    """Return where the provenance sidecar of `docx_path` goes: ``<name>.sources.json``."""
    return docx_path.with_name(docx_path.stem + ".sources.json")


@dataclass
class RenderResult:
    """What a render wrote."""

    path: Path
    document: Document
    timings: Timings
    charts_drawn: int = 0
    pdf: Path | None = None
    pages: int = 0
    warnings: list[Problem] = field(default_factory=list)


@dataclass
class Prepared:
    """Everything clients share: the manifest, the drawn document, and the reference."""

    manifest: Manifest
    year: int
    document: Document
    reference: Path
    timings: Timings
    charts_drawn: int
    warnings: list[Problem] = field(default_factory=list)
    """Noticed while loading and rendering, not stopping the render (the CLI prints them)."""


Progress = Callable[[str], None]


def _quiet(_stage: str) -> None:
    return None


def prepare(
    project: Path | Manifest, year: int, use_cache: bool = True, jobs: int | None = None, progress: Progress = _quiet
) -> Prepared:
    """Load, render the templates and draw the charts once (stages 1-5); `progress` hears each stage."""
    from .docx import text_width_inches

    timings = Timings()
    progress("loading workbooks")
    t0 = time.perf_counter()
    manifest = as_manifest(project)
    wrong_year = edition_year_problem(year, manifest.horizon)
    if wrong_year is not None:
        raise ProblemsFound([wrong_year])
    try:
        data, findings = inspect_data(manifest, year, use_cache)
        if findings.problems or data is None:
            raise ProblemsFound(findings.problems)
    except ReportkitError as exc:
        # -- report the templates' own problems with the data's, as `check` does: all at once --
        from .templating.precheck import check_templates

        templates = check_templates(manifest.root / "templates", [p.template for p in manifest.parts()])
        raise ProblemsFound(exc.problems + templates) from None
    timings.add("load", time.perf_counter() - t0)
    progress("rendering templates")
    warnings = list(findings.warnings)
    document = build_document(manifest, data, year, timings=timings, use_cache=use_cache, warnings=warnings)
    progress(f"drawing charts ({len(document.figures())})")
    reference = manifest.reference
    t0 = time.perf_counter()
    width = text_width_inches(reference, _shown(manifest.root, reference))
    cache_dir = manifest.root / "build" / ".cache" / "charts" if use_cache else None
    document.blocks, drawn = draw_figures(document.blocks, width, cache_dir, jobs, manifest.charts)
    timings.add("charts", time.perf_counter() - t0)
    return Prepared(manifest, year, document, reference, timings, drawn, warnings)


def deliver(
    prepared: Prepared,
    output: Path | None = None,
    client: str = "",
    watermark: str = "",
    pdf: bool = False,
    progress: Progress = _quiet,
    office: Office | None = None,
    last: bool = True,
) -> RenderResult:
    """Write one edition (optionally for a client): DOCX, and with `pdf` a PDF whose pages fill the TOC.

    With `pdf`, LibreOffice (`office`, which a batch shares; one is started when None) loads a draft
    once: it reports where every heading and caption landed, shows those pages in the TOC and
    图表目录 of its copy, and exports the PDF; reportkit writes its own DOCX with the same pages.
    `last`: no edition follows, so LibreOffice may stop as soon as this PDF is out.
    Both files are checked, then moved into place; nothing is written when any step fails.
    """
    from .docx import verify_docx

    timings = Timings()
    progress(f"writing {'the DOCX' if not client else client}")
    document = for_client(prepared.document, client, watermark)
    target = output or prepared.manifest.output_for(prepared.year, client)
    t0 = time.perf_counter()
    blob = _write(prepared, paginate(document, None) if pdf else document)
    timings.add("write", time.perf_counter() - t0)
    pdf_blob = None
    pages = 0
    if pdf:
        from .docx.writer import deferrable
        from .pdf import FIT_PASSES, Office, charts_to_fit, headings_to_break, pdf_pages

        progress(f"PDF of {client or 'the edition'} (LibreOffice)")
        t0 = time.perf_counter()
        with contextlib.ExitStack() as own:
            lo = office or own.enter_context(Office())
            fit: dict[int, float] = {}
            charts = {b.number for b in document.blocks if isinstance(b, Figure)}
            tables = {b.number for b in document.blocks if isinstance(b, Table)}
            written = 0.0
            for attempt in range(FIT_PASSES):
                paged = _lay_out(lo, document, blob)
                t1 = time.perf_counter()
                # -- reportkit's own DOCX, with the pages LibreOffice reported, is written and checked
                #    while it exports --
                blob = _write(prepared, paged, fit)
                verify_docx(blob)
                written += time.perf_counter() - t1
                final = attempt == FIT_PASSES - 1
                exported = lo.pdf(last=last and final)
                # -- a chart that left the foot of the page before it empty is drawn shorter to fit there;
                #    a section heading left alone at the foot of a page starts the next one --
                shorter = {} if final else charts_to_fit(exported, charts, fit, tables, deferrable(document.blocks))
                stranded = set() if final else headings_to_break(exported, _section_headings(document))
                if not shorter and not stranded:
                    break
                fit.update(shorter)
                document = _break_before(document, stranded)
                blob = _write(prepared, paginate(document, None), fit)
            document = paged
        pdf_blob = exported
        pages = pdf_pages(pdf_blob)
        timings.add("write", written)
        timings.add("pdf", time.perf_counter() - t0 - written)
    else:
        verify_docx(blob)
    from .provenance import sources_json

    sidecar = sources_json(document, target.name, prepared.year)
    # -- the DOCX, its sidecar and its PDF replace the earlier ones together, or not at all --
    files = [(target, blob), (sidecar_path(target), sidecar)]
    pdf_path = None
    if pdf_blob is not None:
        pdf_path = target.with_suffix(".pdf")
        files.append((pdf_path, pdf_blob))
    commit(files)
    return RenderResult(target, document, timings, 0, pdf_path, pages)


def _section_headings(document: Document) -> list[str]:
    return [b.full_text for b in document.blocks if isinstance(b, Heading) and b.level >= 2 and not b.new_page]


def _break_before(document: Document, texts: set[str]) -> Document:
    """`document` with each section heading whose text (spaces aside) is in `texts` starting a page."""
    if not texts:
        return document
    blocks = [
        dataclasses.replace(b, new_page=True)
        if isinstance(b, Heading) and b.level >= 2 and "".join(b.full_text.split()) in texts
        else b
        for b in document.blocks
    ]
    return dataclasses.replace(document, blocks=blocks)


def _write(prepared: Prepared, document: Document, fit: dict[int, float] | None = None) -> bytes:
    from .docx import write_docx

    try:
        return write_docx(document, prepared.reference, fit)
    except StyleError as exc:
        raise StyleError(
            exc.message, Location(_shown(prepared.manifest.root, prepared.reference)), code=exc.code
        ) from None


def _lay_out(office: Office, document: Document, draft: bytes) -> Document:
    """Have LibreOffice load `draft` and return `document` paginated as laid out there; the export of
    the PDF, with the same page texts in its TOC and 图表目录, is under way when this returns."""
    from .docx.writer import caption_anchor, heading_anchor
    from .pdf import PLACEHOLDER, read_layout

    headings = [
        heading_anchor(i) for b in document.blocks if isinstance(b, TableOfContents) for i in range(len(b.entries))
    ]
    captions = [(b.number, caption_anchor(b.number - 1)) for b in document.blocks if isinstance(b, (Figure, Table))]
    placed = office.lay_out(draft, headings + [name for _n, name in captions])
    document = paginate(document, read_layout(placed, headings, captions))
    fill: dict[str, str] = {}
    for b in document.blocks:
        if isinstance(b, TableOfContents):
            fill.update((heading_anchor(i), e.page) for i, e in enumerate(b.entries))
        elif isinstance(b, ListOfFigures):
            fill.update((caption_anchor(i), e.page) for i, e in enumerate(b.entries))
    office.start_export(fill, PLACEHOLDER)
    return document


def _shown(root: Path, path: Path) -> str:
    """`path` relative to the project when it is inside it (how every message names files)."""
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _deliver_job(args: tuple[Prepared, Path | None, str, str, bool]) -> RenderResult:
    return deliver(*args)


def render(
    project: Path | Manifest,
    year: int,
    output: Path | None = None,
    client: str = "",
    use_cache: bool = True,
    jobs: int | None = None,
    pdf: bool = False,
    watermark: str = "",
) -> RenderResult:
    """Render edition `year` of the project at `project` and return what was written.

    Charts are cached under `build/.cache/charts` (`use_cache=False` draws every one); misses are
    drawn by `jobs` processes (default: one per CPU).
    """
    return render_many(project, year, [client], output, use_cache, jobs, pdf, watermark)[0]


def _check_request(
    manifest: Manifest, year: int, clients: list[str], output: Path | None, watermark: str
) -> list[Path]:
    """Refuse, before any work, what the command line asks for that cannot be written: a client name
    or watermark a document or a file name cannot hold, an output outside its folder or onto an input.
    Return where the DOCX files will go."""
    wrong_year = edition_year_problem(year, manifest.horizon)
    if wrong_year is not None:
        raise ProblemsFound([wrong_year])
    for option, value in [("--client", c) for c in clients if c] + [("--watermark", watermark)] * bool(watermark):
        problem = limits.text_problem(value)
        if problem:
            shown = value if len(value) <= 40 else value[:39] + "…"
            raise OutputError(f"{option} {shown!r} {problem}", code="bad_name")
    if output is not None:
        return [manifest.check_output(output)]
    return [manifest.output_for(year, client) for client in clients]


def render_many(
    project: Path | Manifest,
    year: int,
    clients: list[str],
    output: Path | None = None,
    use_cache: bool = True,
    jobs: int | None = None,
    pdf: bool = False,
    watermark: str = "",
    progress: Progress = _quiet,
) -> list[RenderResult]:
    """Render one edition for several clients: data and charts are prepared once, the client
    editions are written in parallel processes.  With `use_cache`, the render is recorded so that
    the command line can skip an identical one (see :mod:`reportkit.fingerprint`)."""
    from .workers import worker_pool

    if output is not None and len(clients) > 1:
        raise OutputError(
            "--output names one file; with several clients use the manifest's client_output pattern",
            code="bad_argument",
        )
    manifest = as_manifest(project)
    targets = _check_request(manifest, year, clients, output, watermark)
    for folder in {target.parent for target in targets}:
        # -- a render killed while committing its files is finished first, whatever this one does --
        if folder.is_dir():
            recover(folder)
    office = None
    if pdf:
        from .pdf import Office

        # -- started now, LibreOffice boots while the data and templates are prepared; it then lays
        #    out and exports every edition of the batch, one after the other --
        office = Office()
    try:
        prepared = prepare(manifest, year, use_cache, jobs, progress)
        work = [(prepared, output, c, watermark, pdf) for c in clients]
        workers = min(len(work), jobs or (os.cpu_count() or 1))
        if office is not None:
            results = [
                deliver(*w, progress=progress, office=office, last=i == len(work) - 1) for i, w in enumerate(work)
            ]
        elif workers > 1:
            progress(f"writing {len(work)} editions in {workers} processes")
            with worker_pool(workers) as pool:
                results = list(pool.map(_deliver_job, work))
        else:
            results = [deliver(*w, progress=progress) for w in work]
    finally:
        if office is not None:
            office.close()
    for r in results:
        for stage, seconds in prepared.timings.stages.items():
            r.timings.stages.setdefault(stage, seconds)
        r.timings.stages = {
            k: r.timings.stages[k] for k in ("load", "templates", "charts", "write", "pdf") if k in r.timings.stages
        }
        r.charts_drawn = prepared.charts_drawn
        r.warnings = prepared.warnings
    if use_cache:
        from .fingerprint import remember_render

        written = [p for r in results for p in (r.path, sidecar_path(r.path), r.pdf) if p is not None]
        remember_render(
            manifest,
            year,
            clients,
            output,
            pdf,
            watermark,
            written,
            [{"path": str(r.path), "pdf": str(r.pdf) if r.pdf else None, "pages": r.pages} for r in results],
        )
    return results
