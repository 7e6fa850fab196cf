"""The document model: plain dataclasses between the templates and the writers.

Everything upstream produces a :class:`Document`; writers consume only this.  Nodes carry a
:class:`Pos` (template and line) so a writer problem can still point at its source.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field

CAPTION_LABEL = "图表"
"""The label of every figure and table caption (图表1, 图表2 ...), also the SEQ field's name."""


@dataclass(frozen=True)
class Pos:
    """Where a node came from: a template name and a 1-based line (None when unknown)."""

    template: str = ""
    line: int | None = None


@dataclass(frozen=True)
class Provenance:
    """Where a printed number came from: the text as printed, the value, the metric and the cells.

    `cells` are (file, sheet, A1 cell) triples; `metric` says how they were combined, e.g.
    ``cagr(B9:D9, 2 years)``, or is just the cell for a value shown as it is.
    """

    printed: str
    value: float
    metric: str
    cells: tuple[tuple[str, str, str], ...]
    illustrative: bool = False
    template: str = ""
    """The template that printed it (`templates/...`), for a number printed in the text."""
    line: int | None = None
    formulas: tuple[str | None, ...] = ()
    """Per cell of `cells`, the formula that computed its value in the workbook (None for a typed value)."""


@dataclass(frozen=True)
class Run:
    """A piece of inline text with its emphasis; `change` marks a tracked insertion or deletion
    ("ins"/"del") in a redline document."""

    text: str
    bold: bool = False
    italic: bool = False
    change: str = ""


@dataclass(frozen=True)
class Heading:
    """A heading; `level` 1 = chapter, 2 = section, 3-4 inside a section; `number` is its label."""

    level: int
    text: str
    number: str = ""
    toc: bool = True
    pos: Pos = field(default_factory=Pos)
    new_page: bool = False
    """Starts a page (chapters and front pages): set on the heading itself, so no break paragraph
    can land alone at the foot of a full page and leave a blank one."""

    @property
    def full_text(self) -> str:
        if not self.number:
            return self.text
        sep = " " if self.number.endswith("章") else ""
        return f"{self.number}{sep}{self.text}"


REFERENCE_ROLE = "reference"
"""The role of a paragraph of the reference list (参考资料): an entry with a hanging indent."""


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of runs; `role` names its style role (body, or reference for an entry of 参考资料)."""

    runs: tuple[Run, ...]
    role: str = "body"
    pos: Pos = field(default_factory=Pos)
    sources: tuple[Provenance, ...] = ()

    @property
    def text(self) -> str:
        return "".join(r.text for r in self.runs)


@dataclass(frozen=True)
class ListBlock:
    """A bullet (`ordered=False`) or numbered list; each item is a tuple of runs."""

    items: tuple[tuple[Run, ...], ...]
    ordered: bool = False
    pos: Pos = field(default_factory=Pos)
    sources: tuple[Provenance, ...] = ()


CHART_ENGINES = ("native", "image")
"""How a chart is written: a Word chart part that editors can restyle and whose data they can edit, or a picture."""


@dataclass(frozen=True)
class ChartSeries:
    """One plotted series: a name, one value per category, and how to draw it."""

    name: str
    values: tuple[float | None, ...]
    axis: str = "left"
    as_line: bool = False


@dataclass(frozen=True)
class ChartSpec:
    """Everything that determines a chart's picture, and nothing else."""

    kind: str
    categories: tuple[str, ...]
    series: tuple[ChartSeries, ...]
    forecast: tuple[bool, ...] = ()
    unit: str = ""
    unit2: str = ""
    title: str = ""


@dataclass(frozen=True)
class Figure:
    """A chart with its caption and source note; `image` is the rendered PNG of an `image` chart."""

    title: str
    source: str
    chart: ChartSpec
    number: int = 0
    image: bytes | None = None
    pos: Pos = field(default_factory=Pos)
    sources: tuple[tuple[str, str, Provenance], ...] = ()
    """(series, category, provenance) of every plotted value."""
    engine: str = ""
    """`native` (a Word chart part) or `image` (a picture); empty until the project's default is applied."""


@dataclass(frozen=True)
class TableCell:
    """One table cell; numeric cells are right-aligned."""

    text: str
    numeric: bool = False
    source: Provenance | None = None


@dataclass(frozen=True)
class Table:
    """A data table with its caption, header row(s) and source note."""

    title: str
    source: str
    header: tuple[TableCell, ...]
    rows: tuple[tuple[TableCell, ...], ...]
    number: int = 0
    unit_note: str = ""
    widths: tuple[float, ...] = ()
    pos: Pos = field(default_factory=Pos)


@dataclass(frozen=True)
class ChainGroup:
    """One box of an industry-chain map: a segment of a layer and its players, in order."""

    name: str
    players: tuple[str, ...]


@dataclass(frozen=True)
class ChainLayer:
    """One layer of an industry-chain map (上游, 中游, 下游 ...), its boxes from top to bottom."""

    name: str
    groups: tuple[ChainGroup, ...]


@dataclass(frozen=True)
class ChainMap(Table):
    """An industry-chain map (产业链图谱): its layers side by side from upstream to downstream, with
    arrows between.  It is numbered, captioned and sourced like every table, and `header`/`rows` hold
    the same content as a plain table (layer, segment, players) for whatever reads tables."""

    layers: tuple[ChainLayer, ...] = ()


@dataclass(frozen=True)
class PageBreak:
    """Start a new page."""

    pos: Pos = field(default_factory=Pos)


@dataclass(frozen=True)
class TocEntry:
    """One line of a table of contents: its level, its text and the printed page ("" if unknown)."""

    level: int
    text: str
    page: str = ""


@dataclass(frozen=True)
class TableOfContents:
    """The table of contents: an updatable field whose current result lists `entries`."""

    title: str = "目录"
    levels: int = 2
    entries: tuple[TocEntry, ...] = ()


@dataclass(frozen=True)
class ListOfFigures:
    """图表目录: every caption with its page, as the result of a TOC field over the caption label."""

    title: str = "图表目录"
    label: str = "图表"
    entries: tuple[TocEntry, ...] = ()


@dataclass(frozen=True)
class SectionBreak:
    """End the front matter: the next section starts a new page and numbers pages from 1."""

    restart_numbering: bool = True


@dataclass(frozen=True)
class Cover:
    """The cover page."""

    title: str
    publisher: str
    date_text: str
    client: str = ""
    as_of_text: str = ""
    """The line under the date that says when the data stands (数据截至…)."""


Block = (
    Heading
    | Paragraph
    | ListBlock
    | Figure
    | Table
    | PageBreak
    | TableOfContents
    | ListOfFigures
    | SectionBreak
    | Cover
)


@dataclass(frozen=True)
class Meta:
    """Document properties."""

    title: str
    subject: str = ""
    author: str = ""
    keywords: str = ""
    created: _dt.datetime = _dt.datetime(2000, 1, 1)
    header_text: str = ""
    client: str = ""
    watermark: str = ""


@dataclass
class Document:
    """A whole report: metadata and a flat list of blocks."""

    meta: Meta
    blocks: list[Block] = field(default_factory=list)

    def headings(self) -> list[Heading]:
        return [b for b in self.blocks if isinstance(b, Heading)]

    def figures(self) -> list[Figure]:
        return [b for b in self.blocks if isinstance(b, Figure)]

    def tables(self) -> list[Table]:
        return [b for b in self.blocks if isinstance(b, Table)]
