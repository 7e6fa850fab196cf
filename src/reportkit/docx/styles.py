"""Roles the writer uses and the Word style that plays each role.

The reference .docx owns every font, size and spacing; the writer only names roles.  Every
style a render needs is checked to exist before anything is written.
"""

from __future__ import annotations

from typing import Any

from ..errors import Location, StyleError

STYLE_MAP: dict[str, tuple[str, str]] = {
    # role: (style name, type)
    "body": ("Normal", "paragraph"),
    "heading_1": ("Heading 1", "paragraph"),
    "heading_2": ("Heading 2", "paragraph"),
    "heading_3": ("Heading 3", "paragraph"),
    "heading_4": ("Heading 4", "paragraph"),
    "front_heading": ("TOC Heading", "paragraph"),
    "caption": ("Caption", "paragraph"),
    "source": ("Source Note", "paragraph"),
    "figure": ("Figure", "paragraph"),
    "table": ("Report Table", "table"),
    "table_text": ("Table Text", "paragraph"),
    "table_number": ("Table Number", "paragraph"),
    "table_heading": ("Table Heading", "paragraph"),
    "list_bullet": ("List Bullet", "paragraph"),
    "list_number": ("List Number Plain", "paragraph"),
    "cover_title": ("Title", "paragraph"),
    "cover_subtitle": ("Subtitle", "paragraph"),
    "cover_meta": ("Cover Meta", "paragraph"),
    "toc_1": ("toc 1", "paragraph"),
    "toc_2": ("toc 2", "paragraph"),
    "toc_figures": ("table of figures", "paragraph"),
    "header": ("Header", "paragraph"),
    "footer": ("Footer", "paragraph"),
}


def check_styles(document: Any, reference_name: str) -> dict[str, Any]:
    """Return role -> style object; raises StyleError naming every style the reference lacks."""
    by_name = {s.name.lower(): s for s in document.styles}
    found: dict[str, Any] = {}
    missing = []
    for role, (name, _kind) in STYLE_MAP.items():
        style = by_name.get(name.lower())
        if style is None:
            missing.append(name)
        else:
            found[role] = style
    if missing:
        raise StyleError(
            f"the reference document lacks the styles {', '.join(repr(m) for m in missing)}; "
            "add them in Word (Styles pane) or start from `reportkit reference`",
            Location(reference_name),
            code="missing_style",
        )
    return found
