"""Citations: the 文献 rows of the workbooks, numbered in order of first citation, and the 参考资料 list.

A table's source note names each of its publishers followed by a marker (:mod:`.data.citations`);
once the whole report is rendered, :func:`cite` numbers the markers in the order the notes are read,
one number per distinct reference (same publisher, title and date), and writes the numbers in their
place.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Sequence

from .context import Data
from .data.citations import CITE, CITE_CHARS, CITE_CLOSE, CITE_OPEN
from .data.tables import Citation
from .model import REFERENCE_ROLE, Block, Figure, Heading, ListBlock, Paragraph, Provenance, Run, Table

LIST_NOTE = (
    "本报告图表和正文所用数据的公开出处如下，按各图表“数据来源”中首次引用的先后编号，"
    "数据来源中的[n]即对应本表第n条；仅在正文中引用数据的出处列于其后。"
)

_RUN = re.compile(r"(?:\[\d+\]){2,}")
_NUMBER = re.compile(r"\[(\d+)\]")

Lookup = Callable[[str, int], Citation | None]
"""The citation `index` of table `table_id`, or None when there is none."""


def entry_text(c: Citation) -> str:
    """One entry of the list, GB/T 7714 style: 发布机构. 标题[R/OL]. 2023-12-20. URL."""
    kind = c.kind + ("/OL" if c.url else "")
    text = f"{c.publisher}. {c.title}[{kind}]. {c.date}."
    return f"{text} {c.url}" if c.url else text


class _Numbering:
    """Numbers distinct references in the order they are first met."""

    def __init__(self, lookup: Lookup):
        self.lookup = lookup
        self.numbers: dict[tuple[str, str, str], int] = {}
        self.entries: list[Citation] = []

    def number(self, citation: Citation) -> int:
        n = self.numbers.get(citation.key)
        if n is None:
            self.entries.append(citation)
            n = self.numbers[citation.key] = len(self.entries)
        return n

    def text(self, text: str, numbered: bool) -> str:
        if CITE_OPEN not in text and CITE_CLOSE not in text:
            return text

        def replace(m: re.Match[str]) -> str:
            found = self.lookup(m.group(1), int(m.group(2)))
            return f"[{self.number(found)}]" if found is not None and numbered else ""

        done = CITE_CHARS.sub("", CITE.sub(replace, text))
        # -- adjacent numbers in order and once each: [3][9], not [9][3][9] --
        return _RUN.sub(lambda m: "".join(f"[{n}]" for n in sorted(set(map(int, _NUMBER.findall(m.group(0)))))), done)

    def note(self, text: str, numbered: bool) -> str:
        """A source note: its parts (between ；) once each, as two tables citing one reference read alike."""
        done = self.text(text, numbered)
        return "；".join(dict.fromkeys(done.split("；"))) if done != text else done

    def runs(self, runs: tuple[Run, ...], numbered: bool) -> tuple[Run, ...]:
        return tuple(dataclasses.replace(r, text=self.text(r.text, numbered)) for r in runs)


def cite(
    blocks: Sequence[Block], lookup: Lookup, used_by: Callable[[str, str], Sequence[Citation]], numbered: bool = True
) -> tuple[list[Block], list[Citation]]:
    """Return `blocks` with every citation marker replaced by its number ([n]) and the references in
    number order: first those the source notes (and any text) cite, in the order they are read; then
    those of tables whose figures the report quotes without an exhibit, in order of first use.

    `used_by(file, sheet)` gives the citations of the table a printed figure came from.  With
    `numbered` false the markers are only removed (a report without a reference list).
    """
    numbering = _Numbering(lookup)
    out: list[Block] = []
    quoted: list[tuple[str, str]] = []
    for b in blocks:
        if isinstance(b, Table):
            b = dataclasses.replace(
                b,
                title=numbering.text(b.title, False),
                source=numbering.note(b.source, numbered),
                header=tuple(dataclasses.replace(c, text=numbering.text(c.text, numbered)) for c in b.header),
                rows=tuple(
                    tuple(dataclasses.replace(c, text=numbering.text(c.text, numbered)) for c in row) for row in b.rows
                ),
            )
            quoted += _cells(c.source for row in b.rows for c in row)
        elif isinstance(b, Figure):
            b = dataclasses.replace(b, title=numbering.text(b.title, False), source=numbering.note(b.source, numbered))
            quoted += _cells(p for _series, _category, p in b.sources)
        elif isinstance(b, Paragraph):
            b = dataclasses.replace(b, runs=numbering.runs(b.runs, numbered))
            quoted += _cells(b.sources)
        elif isinstance(b, ListBlock):
            b = dataclasses.replace(b, items=tuple(numbering.runs(item, numbered) for item in b.items))
            quoted += _cells(b.sources)
        elif isinstance(b, Heading):
            b = dataclasses.replace(b, text=numbering.text(b.text, False))
        out.append(b)
    if numbered:
        for file, sheet in dict.fromkeys(quoted):
            for c in used_by(file, sheet):
                numbering.number(c)
    return out, numbering.entries if numbered else []


def _cells(sources: Iterable[Provenance | None]) -> list[tuple[str, str]]:
    return [(f, s) for p in sources if p is not None for f, s, _c in p.cells]


def reference_blocks(title: str, entries: Sequence[Citation]) -> list[Block]:
    """The reference list: a chapter-level heading, a note on the numbering, one paragraph per entry."""
    blocks: list[Block] = [Heading(1, title, new_page=True), Paragraph((Run(LIST_NOTE),))]
    blocks += [Paragraph((Run(f"[{n}] {entry_text(c)}"),), role=REFERENCE_ROLE) for n, c in enumerate(entries, 1)]
    return blocks


def add_references(blocks: Sequence[Block], data: Data, title: str) -> list[Block]:
    """Return `blocks` with their citations numbered and, when the manifest names the list (`title`)
    and anything was cited, the reference list after the last chapter; without a title the notes
    name their publishers without numbers."""
    by_sheet = {(t.file, t.sheet): t.citations for t in data.tables()}

    def lookup(table_id: str, index: int) -> Citation | None:
        found = data[table_id].citations if table_id in data else ()
        return found[index] if index < len(found) else None

    out, entries = cite(blocks, lookup, lambda f, s: by_sheet.get((f, s), ()), numbered=bool(title))
    return out + reference_blocks(title, entries) if entries else out


__all__ = ["add_references", "cite", "entry_text", "reference_blocks"]
