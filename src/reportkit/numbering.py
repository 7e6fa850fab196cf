"""Heading and caption numbers: computed from the outline and the order of objects."""

from __future__ import annotations

import dataclasses

from .model import CAPTION_LABEL, Block, Figure, Heading, Table
from .templating.filters import cn


def caption_text(number: int, title: str, unit_note: str = "") -> str:
    """Return ``图表3：title（单位：亿元）``, a caption as printed."""
    suffix = f"（{unit_note}）" if unit_note else ""
    return f"{CAPTION_LABEL}{number}：{title}{suffix}"


def chapter_number(index: int) -> str:
    """Return 第一章 for index 1."""
    return f"第{cn(index)}章"


def section_number(index: int) -> str:
    """Return 一、 for index 1."""
    return f"{cn(index)}、"


def subsection_number(index: int) -> str:
    """Return （一） for index 1."""
    return f"（{cn(index)}）"


def number_blocks(blocks: list[Block]) -> list[Block]:
    """Return `blocks` with level-3 headings numbered per section and captions numbered in order."""
    out: list[Block] = []
    sub = 0
    caption = 0
    for b in blocks:
        if isinstance(b, Heading):
            if b.level <= 2:
                sub = 0
            elif b.level == 3 and not b.number:
                sub += 1
                b = dataclasses.replace(b, number=subsection_number(sub))
        elif isinstance(b, (Figure, Table)):
            caption += 1
            b = dataclasses.replace(b, number=caption)
        out.append(b)
    return out
