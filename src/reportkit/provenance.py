"""The provenance sidecar: every number the report prints, where it is and where it came from.

Written next to the DOCX as ``<name>.sources.json`` so an analyst asked "where does 116.02% come
from?" finds the workbook, sheet, cells and metric.
"""

from __future__ import annotations

import json
from typing import Any

from .model import Document, Figure, Heading, ListBlock, Paragraph, Provenance, Table
from .numbering import caption_text

SCHEMA = "reportkit-sources/1"


def _entry(where: dict[str, Any], p: Provenance) -> dict[str, Any]:
    entry = {
        "where": where,
        "printed": p.printed,
        "value": p.value,
        "metric": p.metric,
        "cells": [
            # -- a value computed in the workbook names its formula: "where does 294.16 come from?" --
            {"file": f, "sheet": s, "cell": c, **({"formula": formula} if formula else {})}
            for (f, s, c), formula in zip(p.cells, p.formulas or [None] * len(p.cells))
        ],
    }
    if p.illustrative:
        entry["illustrative"] = True
    if p.template:
        entry["template"] = {"file": p.template, "line": p.line}
    return entry


def sources_json(document: Document, docx_name: str, year: int) -> bytes:
    """Return the sidecar for `document` as UTF-8 JSON bytes (stable order, no timestamps)."""
    numbers: list[dict[str, Any]] = []
    chapter = section = ""
    paragraph_index = 0
    for block in document.blocks:
        if isinstance(block, Heading):
            if block.level == 1:
                chapter, section = block.full_text, ""
            elif block.level == 2:
                section = block.full_text
        elif isinstance(block, (Paragraph, ListBlock)):
            paragraph_index += 1
            for p in block.sources:
                numbers.append(
                    _entry(
                        {
                            "kind": "paragraph",
                            "chapter": chapter,
                            "section": section,
                            "paragraph": paragraph_index,
                            "template": block.pos.template,
                            "template_line": block.pos.line,
                        },
                        p,
                    )
                )
        elif isinstance(block, Table):
            caption = caption_text(block.number, block.title, block.unit_note)
            for r, row in enumerate(block.rows, start=1):
                for c, cell in enumerate(row, start=1):
                    if cell.source is not None:
                        numbers.append(
                            _entry(
                                {
                                    "kind": "table",
                                    "caption": caption,
                                    "template": block.pos.template,
                                    "template_line": block.pos.line,
                                    "row": r,
                                    "column": c,
                                    "row_label": row[0].text,
                                    "column_label": block.header[c - 1].text,
                                },
                                cell.source,
                            )
                        )
        elif isinstance(block, Figure):
            caption = caption_text(block.number, block.title)
            for series, category, p in block.sources:
                numbers.append(
                    _entry(
                        {
                            "kind": "chart",
                            "caption": caption,
                            "template": block.pos.template,
                            "template_line": block.pos.line,
                            "series": series,
                            "category": category,
                        },
                        p,
                    )
                )
    doc = {"schema": SCHEMA, "document": docx_name, "edition": year, "title": document.meta.title, "numbers": numbers}
    return (json.dumps(doc, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
