"""Citation markers: how a table's source note says which of its 文献 each publisher stands for.

A marker is private-use characters around the table ID and the citation's index.  Markers travel
through the templates' text like the tags around figures, until the whole report is rendered and
:func:`reportkit.references.cite` writes each reference's number ([n]) in their place.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from .tables import Citation

CITE_OPEN, CITE_CLOSE = "\ue003", "\ue004"
"""OPEN table_id:index CLOSE.  Data text never carries them (the workbook reader removes them), so
a marker is always the pipeline's own."""
CITE = re.compile(f"{CITE_OPEN}([A-Za-z][A-Za-z0-9_]*):(\\d+){CITE_CLOSE}")
CITE_CHARS = re.compile(f"[{CITE_OPEN}{CITE_CLOSE}]")


def marker(table_id: str, index: int) -> str:
    return f"{CITE_OPEN}{table_id}:{index}{CITE_CLOSE}"


def source_with_citations(table_id: str, source: str, citations: Sequence[Citation]) -> str:
    """The text of a table's source note: each publisher with its marker and what the table takes
    from it (范围), then `source`, what the report adds itself (e.g. 2026年起为本报告测算)."""
    parts: list[str] = []
    for i, c in enumerate(citations):
        before = citations[i - 1] if i else None
        if before is not None and before.publisher == c.publisher and not before.scope and not c.scope:
            parts[-1] += marker(table_id, i)  # -- 百度[3][4], not 百度[3]；百度[4] --
        else:
            parts.append(f"{c.publisher}{marker(table_id, i)}" + (f"（{c.scope}）" if c.scope else ""))
    if source:
        parts.append(source)
    return "；".join(parts)


def credit(tables: Iterable[tuple[str, Sequence[Citation]]]) -> str:
    """Each publisher of the 文献 of `tables` (table ID, its citations) once, with the markers of all its
    citations: 中商产业研究院[1][2]、IDC[3].  For a note that credits several tables at once (a summary
    table, a chain map); publishers are joined with 、 so the note can still separate its parts with ；."""
    markers: dict[str, str] = {}
    for table_id, citations in tables:
        for i, c in enumerate(citations):
            markers[c.publisher] = markers.get(c.publisher, "") + marker(table_id, i)
    return "、".join(f"{publisher}{m}" for publisher, m in markers.items())


def plain_source(text: str) -> str:
    """`text` without its markers: the note as printed when the report has no reference list."""
    return CITE_CHARS.sub("", CITE.sub("", text))


__all__ = ["CITE", "CITE_CHARS", "marker", "plain_source", "credit", "source_with_citations"]
