"""Client-ready delivery of the default edition: PDF, TOC and 图表目录 with the PDF's page numbers,
SEQ captions, and client editions."""

from __future__ import annotations

import os
import re
import shutil
import zipfile
from pathlib import Path

import docx
import pytest
from pypdf import PdfReader

from conftest import ROOT, docx_findings, make_project, run_cli, soffice

pytestmark = pytest.mark.slow
CLIENTS = ("甲集团", "乙公司")


def need_soffice() -> None:
    if soffice() is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice is required in CI (.ci/run installs it)")
        pytest.skip("LibreOffice not installed")


@pytest.fixture(scope="module")
def delivered(tmp_path_factory) -> dict[str, tuple[Path, Path, int]]:
    need_soffice()
    proj = tmp_path_factory.mktemp("deliver") / "proj"
    shutil.copytree(ROOT, proj, ignore=shutil.ignore_patterns(".venv", "build", ".git", "*.egg-info", "__pycache__",
                                                               ".pytest_cache", ".hypothesis"))
    args = ["render", "--year", "2024", "--project", str(proj), "--pdf", "--watermark", "内部资料"]
    for c in CLIENTS:
        args += ["--client", c]
    res = run_cli(*args)
    assert res.returncode == 0, res.stderr
    out: dict[str, tuple[Path, Path, int]] = {}
    lines = res.stdout.strip().splitlines()
    for c in CLIENTS:
        d = [Path(ln) for ln in lines if ln.endswith(f"（{c}）.docx")]
        p = [ln for ln in lines if f"（{c}）.pdf" in ln]
        assert d and p, res.stdout
        pages = int(re.search(r"\((\d+) pages\)", p[0]).group(1))
        out[c] = (d[0], Path(p[0].split("  (")[0]), pages)
    return out


def pdf_pages(path: Path) -> list[str]:
    return ["".join((pg.extract_text() or "").split()) for pg in PdfReader(str(path)).pages]


def first_body_page(texts: list[str]) -> int:
    """The page where 摘要 starts: the first page after the cover that mentions 摘要 but is no contents page."""
    return next(i for i, t in enumerate(texts) if i > 0 and "摘要" in t and "目录" not in t)


def entries(d: docx.Document, styles: tuple[str, ...]) -> list[tuple[str, str]]:
    out = []
    for p in d.paragraphs:
        if p.style.name in styles:
            text, _tab, page = p.text.rpartition("\t")
            out.append((text, page))
    return out


def test_files_follow_the_client_pattern_and_validate(delivered) -> None:
    for client, (docx_path, pdf_path, pages) in delivered.items():
        assert docx_path.name == f"2024-2030年中国工业大模型产业研发规模与未来建设现状调研报告（{client}）.docx"
        assert pdf_path.is_file() and len(PdfReader(str(pdf_path)).pages) == pages
        assert 20 <= pages <= 60
        assert docx_findings(docx_path) == []


def test_toc_pages_agree_with_the_pdf(delivered) -> None:
    docx_path, pdf_path, _pages = delivered[CLIENTS[0]]
    toc = entries(docx.Document(str(docx_path)), ("toc 1", "toc 2"))
    assert len(toc) == 34 and all(page.isdigit() for _t, page in toc)
    texts = pdf_pages(pdf_path)
    body_start = first_body_page(texts)
    for heading, page in toc:
        physical = body_start + int(page) - 1
        assert "".join(heading.split()) in texts[physical], (heading, page)
        assert texts[physical].endswith(page), "the footer prints the same number"
    pages = [int(p) for _t, p in toc]
    assert pages == sorted(pages)


def test_list_of_figures_and_seq_captions(delivered) -> None:
    docx_path, pdf_path, _pages = delivered[CLIENTS[0]]
    xml = zipfile.ZipFile(docx_path).read("word/document.xml").decode()
    seq = re.findall(r"> SEQ 图表 \\\* ARABIC </w:instrText>", xml)
    assert len(seq) >= 20
    d = docx.Document(str(docx_path))
    lof = entries(d, ("table of figures",))
    captions = [p.text for p in d.paragraphs if p.style.name == "Caption"]
    assert [t for t, _p in lof] == captions and len(captions) == len(seq)
    texts = pdf_pages(pdf_path)
    body_start = first_body_page(texts)
    for text, page in lof:
        label = text.split("：")[0] + "："
        assert label in texts[body_start + int(page) - 1], (text, page)
    assert "图表目录" in texts[1] + texts[2]


def test_client_name_on_cover_header_and_properties(delivered) -> None:
    for client, (docx_path, pdf_path, _pages) in delivered.items():
        d = docx.Document(str(docx_path))
        assert f"专供：{client}" in [p.text for p in d.paragraphs[:20]]
        assert d.sections[0].header.paragraphs[0].text.endswith(f"专供：{client}")
        assert client in d.core_properties.keywords and client in d.core_properties.comments
        other = [c for c in CLIENTS if c != client][0]
        assert other not in zipfile.ZipFile(docx_path).read("word/document.xml").decode()
        texts = pdf_pages(pdf_path)
        assert f"专供：{client}" in texts[0]
        headers = "".join(zipfile.ZipFile(docx_path).read(n).decode()
                          for n in zipfile.ZipFile(docx_path).namelist() if n.startswith("word/header"))
        assert 'string="内部资料"' in headers


def test_missing_libreoffice_is_explained(tmp_path: Path) -> None:
    proj = make_project(tmp_path / "p")
    res = run_cli("render", "--year", "2024", "--project", str(proj), "--pdf",
                  env={"REPORTKIT_SOFFICE": str(tmp_path / "no-soffice")})
    assert res.returncode == 1 and "Traceback" not in res.stderr
    assert "apt-get install libreoffice-writer-nogui" in res.stderr
    assert not (proj / "build").exists(), "nothing is written"
