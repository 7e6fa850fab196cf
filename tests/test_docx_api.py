"""The python-docx internals the writer relies on, pinned below the next major version in
pyproject.toml: a release that moves them fails here, by name, not somewhere deep in a render."""

from __future__ import annotations

import importlib.metadata

import docx
from docx.oxml.shape import CT_Inline
from docx.parts.story import StoryPart


def test_the_pinned_major_version() -> None:
    major = int(importlib.metadata.version("python-docx").split(".")[0])
    assert major == 1, "python-docx>=1.1,<2 in pyproject.toml: re-check the internals below before widening it"


def test_the_proxies_expose_their_elements() -> None:
    d = docx.Document()
    p = d.add_paragraph("x")
    assert p._p.tag.endswith("}p") and p.runs[0]._r.tag.endswith("}r")
    assert d._body._body.tag.endswith("}body")  # -- paragraphs are inserted before the body's sectPr --
    assert d.sections[0]._sectPr.tag.endswith("}sectPr")
    assert d.element.body.sectPr is not None


def test_the_picture_and_part_helpers_exist() -> None:
    assert callable(CT_Inline.new_pic_inline) and callable(StoryPart.get_or_add_image)
    from docx.opc.part import Part

    assert isinstance(Part.blob, property), "chart parts override Part.blob"
