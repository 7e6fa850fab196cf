"""The render pipeline: data -> context -> templates -> document model -> DOCX.

Each stage is a function of the one before; nothing flows backwards.  The library raises
:class:`~reportkit.errors.ReportkitError`; only the CLI prints.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import Manifest, load_manifest
from .context import Data, build_data
from .data import load_edition
from .errors import OutputError, Problem, ProblemsFound, ReportkitError
from .markup import read_markup
from .model import Block, Cover, Document, Figure, Heading, Meta, TableOfContents
from .numbering import chapter_number, number_blocks, section_number
from .templating import Registry, make_environment, render_template, template_functions


@dataclass(frozen=True)
class Edition:
    """What templates know about the edition as `edition.*`."""

    year: int
    start: int
    end: int
    horizon: int
    title: str
    publisher: str


@dataclass
class Timings:
    """Seconds spent per stage."""

    stages: dict[str, float] = field(default_factory=dict)

    def add(self, name: str, seconds: float) -> None:
        self.stages[name] = self.stages.get(name, 0.0) + seconds


def edition_date(year: int) -> _dt.datetime:
    """Return the document date: SOURCE_DATE_EPOCH when set, else 1 January of the edition year."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return _dt.datetime.fromtimestamp(int(epoch), _dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    return _dt.datetime(year, 1, 1)


def load_data(project: Path, year: int) -> Data:
    """Stages 1-2: read the edition's workbooks and compute the context."""
    return build_data(load_edition(project, year))


def render_text(manifest: Manifest, data: Data, edition: Edition) -> list[Block]:
    """Stage 3-4: render every template and read it into blocks, with outline headings.

    All template problems are collected and raised together.
    """
    env = make_environment(manifest.root / "templates")
    registry = Registry()
    context: dict[str, Any] = {"edition": edition, "data": data, **template_functions(data, registry)}
    problems: list[Problem] = []
    blocks: list[Block] = []

    def part(template: str) -> list[Block]:
        try:
            text = render_template(env, template, context)
            return read_markup(text, f"templates/{template}", registry)
        except ReportkitError as exc:
            problems.extend(exc.problems)
            return []

    for fp in manifest.front:
        blocks.append(Heading(1, fp.title))
        blocks.extend(part(fp.template))
    for ci, chapter in enumerate(manifest.chapters, start=1):
        blocks.append(Heading(1, chapter.title, chapter_number(ci)))
        for si, section in enumerate(chapter.sections, start=1):
            blocks.append(Heading(2, section.title, section_number(si)))
            blocks.extend(part(section.template))
    if problems:
        raise ProblemsFound(problems)
    return number_blocks(blocks)


def draw_figures(blocks: list[Block], width_in: float, cache_dir: Path | None = None,
                 jobs: int | None = None) -> tuple[list[Block], int]:
    """Stage 5: return `blocks` with every figure's PNG drawn, and how many had to be drawn."""
    from .charts.batch import draw_all

    figures = [b for b in blocks if isinstance(b, Figure)]
    images, drawn = draw_all([f.chart for f in figures], width_in, cache_dir, jobs)
    it = iter(images)
    return [dataclasses.replace(b, image=next(it)) if isinstance(b, Figure) else b for b in blocks], drawn


def build_document(manifest: Manifest, data: Data, year: int, client: str = "",
                   timings: Timings | None = None) -> Document:
    """Return the document model of edition `year` (figures not yet drawn)."""
    timings = timings or Timings()
    title = manifest.title(year)
    edition = Edition(year, year, year + manifest.horizon, manifest.horizon, title, manifest.publisher)
    t0 = time.perf_counter()
    body = render_text(manifest, data, edition)
    timings.add("templates", time.perf_counter() - t0)
    entries = tuple((b.level, b.full_text) for b in body if isinstance(b, Heading) and b.toc and b.level <= 2)
    created = edition_date(year)
    meta = Meta(title=title, subject=manifest.subject or title, author=manifest.publisher,
                keywords=manifest.keywords, created=created, header_text=title, client=client)
    cover = Cover(title=title, publisher=manifest.publisher, date_text=f"{year}年", client=client)
    return Document(meta, [cover, TableOfContents(entries=entries), *body])


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file in the same folder and an atomic rename.

    A failure at any point leaves an existing `path` untouched.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.stem[:40]}.", suffix=".part", dir=path.parent)
    except OSError as exc:
        raise OutputError(f"cannot write to {path.parent}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise OutputError(f"cannot write {path}: {exc.strerror}") from None
        raise


def output_path(manifest: Manifest, year: int, client: str = "") -> Path:
    """Return where the edition's DOCX goes by default."""
    title = manifest.title(year)
    name = manifest.output.format(year=year, title=title, client=client or "")
    return (manifest.root / name).resolve()


@dataclass
class RenderResult:
    path: Path
    document: Document
    timings: Timings
    charts_drawn: int = 0


def render(project: Path, year: int, output: Path | None = None, client: str = "",
           use_cache: bool = True, jobs: int | None = None) -> RenderResult:
    """Render edition `year` of the project at `project` to DOCX and return where it went.

    Charts are cached under `build/.cache/charts` (`use_cache=False` draws every one); misses are
    drawn by `jobs` processes (default: one per CPU).
    """
    from .docx import packaged_reference, text_width_inches, write_docx

    timings = Timings()
    project = project.resolve()
    t0 = time.perf_counter()
    manifest = load_manifest(project)
    data = load_data(project, year)
    timings.add("load", time.perf_counter() - t0)
    document = build_document(manifest, data, year, client, timings)
    reference = manifest.reference_docx or packaged_reference()
    t0 = time.perf_counter()
    width = text_width_inches(reference)
    cache_dir = project / "build" / ".cache" / "charts" if use_cache else None
    document.blocks, drawn = draw_figures(document.blocks, width, cache_dir, jobs)
    timings.add("charts", time.perf_counter() - t0)
    t0 = time.perf_counter()
    blob = write_docx(document, reference)
    target = output or output_path(manifest, year, client)
    write_atomic(target, blob)
    timings.add("write", time.perf_counter() - t0)
    return RenderResult(target, document, timings, drawn)
