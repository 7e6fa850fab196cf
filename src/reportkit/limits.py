"""How much work a project folder can make reportkit do, and which names it may put on disk.

A project can come from anyone: a partner's workbooks, templates, report.toml and reference .docx.
Every input is bounded here, in one place, so that no file can make a check or a render hang, eat
the machine's memory or write under a name it chose.  The limits are reportkit's own: nothing in a
project can raise them.  Reaching one is reported as one line naming the input.
"""

from __future__ import annotations

import re

from .errors import UNPRINTABLE

KB = 1024
MB = 1024 * KB

# -- files read from the project --
MANIFEST_BYTES = 1 * MB
TEMPLATE_BYTES = 1 * MB
REFERENCE_BYTES = 50 * MB
WORKBOOK_BYTES = 20 * MB
UNPACKED_BYTES = 200 * MB
"""A package (.xlsx, .docx) unpacked, all parts together."""
PART_BYTES = 16 * MB
"""One part of a package that is parsed whole (everything but a worksheet, which is streamed)."""
PACKAGE_PARTS = 10_000

# -- workbooks: what is read follows the cells a sheet holds, never the size it declares --
CELLS = 200_000
"""Cells in one workbook, empty formatted cells included."""
ROWS = 100_000
COLUMNS = 1_000
"""The used range: the last row and column that hold a value."""
CELL_TEXT = 32_767
"""Characters in one cell: Excel's own limit."""

# -- templates --
TEMPLATE_STEPS = 2_000_000
"""Loop iterations, calls, filters and operators while rendering one document's templates."""
TEMPLATE_OUTPUT = 500_000
"""Characters one template (or one macro or block inside it) may produce."""
TEMPLATE_VALUE = 1_000_000
"""Characters or items in one value a template builds (a string, a list)."""
TEMPLATE_DEPTH = 50
"""Macro calls nested inside each other."""
NUMBER_DIGITS = 1_000
"""Digits of a whole number a template computes."""
DECIMALS = 12
"""Digits after the point that a filter or a table may print."""
FORMAT_WIDTH = 100
"""Width or precision in a format (`{start:4}`, `"%5.1f"`)."""
DOCUMENT_BLOCKS = 20_000
"""Paragraphs, headings, lists, figures and tables in one document."""

# -- names and texts that reach the output --
FILE_NAME_BYTES = 255
NAME_CHARS = 100
"""A client name, a watermark."""
PROPERTY_CHARS = 255
"""A Word document property (title, subject, keywords, author)."""
FIRST_YEAR, LAST_YEAR = 1000, 9999
"""Edition years (and their horizon) must stay within what a date can hold."""

# -- build/.cache --
CACHE_BYTES = 256 * MB
"""Per kind of cache (workbooks, templates, charts, renders); the least recently used go first."""
CACHE_ENTRY_BYTES = 64 * MB


def size_text(n: int) -> str:
    """`n` bytes as people say it: 20 MB, 512 KB."""
    value, unit = (n / MB, "MB") if n >= MB else (n / KB, "KB")
    return f"{value:.1f}".rstrip("0").rstrip(".") + f" {unit}"


def invisible_character(text: str) -> str | None:
    """Return the first control, format (bidi) or undecodable character of `text` as U+XXXX, or None."""
    m = UNPRINTABLE.search(text)
    return f"U+{ord(m.group()):04X}" if m else None


def text_problem(text: str, limit: int = NAME_CHARS) -> str | None:
    """Why `text` (a client name, a watermark) cannot go into a document, or None when it can."""
    if not text.strip():
        return "is empty"
    bad = invisible_character(text)
    if bad:
        return f"contains the character {bad} (a control, bidi or undecodable character)"
    if len(text) > limit:
        return f"is {len(text)} characters long; the limit is {limit}"
    return None


def file_name_problem(name: str) -> str | None:
    """Why `name` cannot be one file name (one path component), or None when it can."""
    if name in ("", ".", ".."):
        return f"{name!r} is not a file name"
    if "/" in name or "\\" in name:
        return "contains a path separator (/ or \\)"
    bad = invisible_character(name)
    if bad:
        return f"contains the character {bad} (a control, bidi or undecodable character)"
    size = len(name.encode("utf-8"))
    if size > FILE_NAME_BYTES:
        return f"makes a file name of {size} bytes; the limit is {FILE_NAME_BYTES}"
    return None


def format_spec_problem(spec: str) -> str | None:
    """Why a `{field:spec}` or `%spec` format would build an oversized string, or None."""
    for digits in re.findall(r"\d+", spec):
        if int(digits) > FORMAT_WIDTH:
            return f"a width or precision of {int(digits):,} (the limit is {FORMAT_WIDTH})"
    return None
