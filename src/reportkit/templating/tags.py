"""Tags around printed figures: how a figure's provenance travels from the filter that formats it to
the run that prints it, through Jinja's text and the Markdown reader, without searching the text."""

from __future__ import annotations

import re

TAG_OPEN, TAG_SEP, TAG_CLOSE = "\ue000", "\ue001", "\ue002"
"""Private-use characters around a printed figure: OPEN index SEP text CLOSE.  Data text never
carries them (they are removed where data is printed), so a tag is always the pipeline's own."""
TAG = re.compile(f"{TAG_OPEN}(\\d+){TAG_SEP}(.*?){TAG_CLOSE}", re.S)
TAG_CHARS = re.compile(f"[{TAG_OPEN}{TAG_SEP}{TAG_CLOSE}]")


def tag(index: int, printed: str) -> str:
    return f"{TAG_OPEN}{index}{TAG_SEP}{printed}{TAG_CLOSE}"


def untag(text: str) -> tuple[str, list[int]]:
    """`text` without tags, and the ledger indices of the figures it prints, in order."""
    indices = [int(m.group(1)) for m in TAG.finditer(text)]
    plain = TAG.sub(lambda m: m.group(2), text)
    return TAG_CHARS.sub("", plain), indices


__all__ = ["TAG", "TAG_CHARS", "tag", "untag"]
