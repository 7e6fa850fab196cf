"""The DOCX checks: each package or body rule is caught when broken, and a render leaves Word
nothing to repair (openxml-audit, strict)."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import docx
import pytest
from conftest import docx_findings
from test_writer import sample

from reportkit.docx import packaged_reference, verify_docx, write_docx
from reportkit.docx.reference import build_reference
from reportkit.docx.verify import docx_problems
from reportkit.errors import OutputError

DOC = "word/document.xml"
SWE_PART = "word/stylesWithEffects.xml"
SWE_TYPE = "application/vnd.ms-word.stylesWithEffects+xml"
SWE_REL = "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects"


@pytest.fixture(scope="module")
def blob() -> bytes:
    return write_docx(sample(), packaged_reference())


def rezip(data: bytes, edit: Callable[[dict[str, bytes]], None]) -> bytes:
    """`data` with its parts passed through `edit` (a dict of entry name -> bytes, edited in place)."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    edit(parts)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in parts.items():
            zf.writestr(name, content)
    return out.getvalue()


def sub(part: str, pattern: str, repl: str) -> Callable[[dict[str, bytes]], None]:
    """An edit replacing the first match of `pattern` in `part`; the pattern must match."""

    def edit(parts: dict[str, bytes]) -> None:
        text, n = re.subn(pattern, repl, parts[part].decode("utf-8"), count=1, flags=re.S)
        assert n == 1, pattern
        parts[part] = text.encode("utf-8")

    return edit


def with_stale_styles_with_effects(data: bytes) -> bytes:
    """`data` plus the stylesWithEffects.xml of python-docx's default template, wired in as Word 2010
    wires it: a copy of styles.xml that lacks every style reportkit added, as in a reference whose
    styles.xml was edited by a tool that leaves the copy alone."""
    template = Path(docx.__file__).parent / "templates" / "default.docx"
    with zipfile.ZipFile(template) as zf:
        stale = zf.read(SWE_PART)

    def edit(parts: dict[str, bytes]) -> None:
        parts[SWE_PART] = stale
        sub("[Content_Types].xml", "</Types>", f'<Override PartName="/{SWE_PART}" ContentType="{SWE_TYPE}"/></Types>')(
            parts
        )
        sub(
            "word/_rels/document.xml.rels",
            "</Relationships>",
            f'<Relationship Id="rIdStale" Type="{SWE_REL}" Target="stylesWithEffects.xml"/></Relationships>',
        )(parts)

    return rezip(data, edit)


# ------------------------------------------------------------------------------------------
# Word's repair trigger: a stylesWithEffects.xml out of step with styles.xml
# ------------------------------------------------------------------------------------------
def test_the_audit_finds_a_stale_styles_with_effects(blob: bytes, tmp_path: Path) -> None:
    broken = tmp_path / "stale.docx"
    broken.write_bytes(with_stale_styles_with_effects(blob))
    findings = docx_findings(broken)
    assert any(SWE_PART in f and "not in stylesWithEffects" in f for f in findings), findings
    assert any("docDefaults differ" in f for f in findings), findings


def test_a_reference_with_a_stale_styles_with_effects_renders_clean(tmp_path: Path) -> None:
    ref = tmp_path / "ref.docx"
    ref.write_bytes(with_stale_styles_with_effects(packaged_reference().read_bytes()))
    assert docx_findings(ref) != []  # -- the user's reference itself is one Word would repair --
    out = tmp_path / "out.docx"
    out.write_bytes(write_docx(sample(), ref))
    with zipfile.ZipFile(out) as zf:
        assert SWE_PART not in zf.namelist()
        assert b"stylesWithEffects" not in zf.read("[Content_Types].xml")
        assert b"stylesWithEffects" not in zf.read("word/_rels/document.xml.rels")
    assert docx_findings(out) == []


def test_the_packaged_reference_is_clean_and_rebuilt_byte_for_byte(tmp_path: Path) -> None:
    assert docx_findings(packaged_reference()) == []
    a, b = tmp_path / "a.docx", tmp_path / "b.docx"
    build_reference(a)
    build_reference(b)
    assert a.read_bytes() == b.read_bytes()
    with zipfile.ZipFile(a) as zf:
        assert SWE_PART not in zf.namelist()
    assert docx_findings(a) == []


# ------------------------------------------------------------------------------------------
# reportkit's own package and body rules, each broken on purpose
# ------------------------------------------------------------------------------------------
def test_a_sound_document_breaks_no_rule(blob: bytes) -> None:
    assert docx_problems(blob) == []
    verify_docx(blob)


def _drop(name: str) -> Callable[[dict[str, bytes]], None]:
    def edit(parts: dict[str, bytes]) -> None:
        del parts[name]

    return edit


def _put(name: str, content: bytes) -> Callable[[dict[str, bytes]], None]:
    def edit(parts: dict[str, bytes]) -> None:
        parts[name] = content

    return edit


BROKEN = {
    "missing target": (
        _drop("word/media/image1.png"),
        "word/_rels/document.xml.rels: rId4 points to media/image1.png, which the package does not hold",
    ),
    "no content type": (
        sub("[Content_Types].xml", r'<Default Extension="png"[^>]*/>', ""),
        "word/media/image1.png: no content type in [Content_Types].xml",
    ),
    "wrong content type": (
        sub("[Content_Types].xml", r'<Override PartName="/word/header1.xml"[^>]*/>', ""),
        "word/_rels/document.xml.rels: rId9 is a header relationship to word/header1.xml, "
        "whose content type is application/xml",
    ),
    "override without part": (
        sub(
            "[Content_Types].xml",
            "</Types>",
            '<Override PartName="/word/gone.xml" ContentType="application/xml"/></Types>',
        ),
        "[Content_Types].xml: override for /word/gone.xml, which the package does not hold",
    ),
    "unknown r:id": (
        sub(DOC, r'r:embed="rId4"', 'r:embed="rId99"'),
        'word/document.xml: r:embed="rId99" names no relationship of this part',
    ),
    "field never ended": (
        sub(DOC, r'<w:r><w:fldChar w:fldCharType="end"/></w:r>', ""),
        "word/document.xml: 1 field(s) begun and never ended",
    ),
    "stray separator": (
        sub(
            DOC,
            r'<w:r><w:fldChar w:fldCharType="separate"/></w:r>',
            '<w:r><w:fldChar w:fldCharType="separate"/></w:r>' * 2,
        ),
        "word/document.xml: a field separator out of place",
    ),
    "duplicate drawing id": (sub(DOC, r"(<w:drawing>.*?</w:drawing>)", r"\1\1"), "drawing id 1 is used 2 times"),
    "unpaired bookmark": (
        sub(DOC, r'<w:bookmarkEnd w:id="1"/>', ""),
        "word/document.xml: bookmark id 1 starts 1 and ends 0 time(s)",
    ),
    "duplicate bookmark": (
        sub(DOC, r'w:name="_Toc000002"', 'w:name="_Toc000001"'),
        "bookmark _Toc000001 is defined 2 times",
    ),
    "cell without paragraph": (
        sub(DOC, r"(<w:tc><w:tcPr>.*?</w:tcPr>)<w:p>.*?</w:p>(</w:tc>)", r"\1\2"),
        "word/document.xml: a table cell that does not end with a paragraph",
    ),
    "image does not decode": (
        _put("word/media/image1.png", b"not a picture"),
        "word/media/image1.png: not a readable image",
    ),
    "not well-formed": (sub(DOC, r"</w:body>", "</w:bod>"), "word/document.xml: not well-formed XML"),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_each_broken_rule_is_found_and_refused(blob: bytes, case: str) -> None:
    edit, expected = BROKEN[case]
    broken = rezip(blob, edit)
    problems = docx_problems(broken)
    assert any(p.startswith(expected) for p in problems), problems
    with pytest.raises(OutputError) as info:
        verify_docx(broken)
    assert info.value.code == "bad_output" and "\n" not in str(info.value)
