"""Printed page numbers from where LibreOffice laid the bookmarks of headings and captions out."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..errors import OutputError

PLACEHOLDER = "0"
"""The page that the laid-out draft shows in every TOC and 图表目录 entry, replaced in the same load."""


@dataclass
class Layout:
    """Page numbers as printed (the body section starts at 1)."""

    headings: list[int | None] = field(default_factory=list)
    captions: dict[int, int] = field(default_factory=dict)


def read_layout(anchors: dict[str, int], headings: Sequence[str], captions: Sequence[tuple[int, str]]) -> Layout:
    """Return the printed page of each TOC heading (by its bookmark, in order) and of each caption
    number (`(number, bookmark)` pairs), from the physical pages in `anchors`.

    Page numbers count from the page of the first heading, where the body section restarts its
    numbering, so the count does not depend on how long the cover and contents are.
    """
    physical = [anchors.get(name) for name in headings]
    start = next((p for p in physical if p is not None), 1)
    return Layout(
        headings=[None if p is None else p - start + 1 for p in physical],
        captions={n: anchors[name] - start + 1 for n, name in captions if name in anchors},
    )


def pdf_pages(pdf: bytes) -> int:
    """The number of pages of a PDF (the only use of pypdf).

    Not Writer's own page count: that includes the blank pages it inserts so that a section whose
    numbering restarts at 1 begins on a right-hand page, which the PDF export leaves out.
    """
    from pypdf import PdfReader

    try:
        return len(PdfReader(io.BytesIO(pdf)).pages)
    except Exception as exc:  # pypdf raises many types for a damaged file
        raise OutputError(f"cannot read the PDF that LibreOffice produced: {exc}", code="pdf_failed") from None
