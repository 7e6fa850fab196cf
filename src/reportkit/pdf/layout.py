"""Where headings and captions landed in a PDF (the only module that imports pypdf)."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from typing import Any, Sequence

from pypdf import PdfReader

from ..errors import OutputError
from ..model import CAPTION_LABEL

_SPACE = re.compile(r"\s+")


def _norm(text: str) -> str:
    return _SPACE.sub("", text)


@dataclass
class Layout:
    """Page numbers as printed (the body section starts at 1) and the PDF's page count."""

    pages: int
    headings: list[int | None] = field(default_factory=list)
    captions: dict[int, int] = field(default_factory=dict)


def _outline(reader: PdfReader) -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []

    def walk(items: Sequence[Any]) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                out.append((_norm(item.title), reader.get_destination_page_number(item)))

    walk(reader.outline)
    return out


def read_layout(pdf: bytes, headings: Sequence[str], captions: Sequence[int]) -> Layout:
    """Return the printed page of each heading (in order) and of each caption number.

    Headings are found in the PDF outline (LibreOffice exports headings as bookmarks), captions
    (图表N：) in the page text after the first heading.  Page numbers count from the page of the
    first heading, where the body section restarts its numbering.
    """
    try:
        reader = PdfReader(io.BytesIO(pdf))
        outline = _outline(reader)
    except Exception as exc:  # pypdf raises many types for a damaged file
        raise OutputError(f"cannot read the PDF that LibreOffice produced: {exc}", code="pdf_failed") from None
    layout = Layout(pages=len(reader.pages))
    pos = 0
    physical: list[int | None] = []
    for text in headings:
        want = _norm(text)
        found = None
        for j in range(pos, len(outline)):
            if outline[j][0] == want:
                found, pos = outline[j][1], j + 1
                break
        physical.append(found)
    start = next((p for p in physical if p is not None), 0)
    layout.headings = [None if p is None else p - start + 1 for p in physical]
    wanted = {n: f"{CAPTION_LABEL}{n}：" for n in captions}
    for index in range(start, len(reader.pages)):
        text = _norm(reader.pages[index].extract_text() or "")
        for n, label in list(wanted.items()):
            if label in text:
                layout.captions[n] = index - start + 1
                del wanted[n]
        if not wanted:
            break
    return layout
