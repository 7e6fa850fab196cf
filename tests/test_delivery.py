"""Client-ready delivery of the default edition: PDF, TOC and 图表目录 with the PDF's page numbers,
SEQ captions, client editions, and the one LibreOffice that serves a batch."""

from __future__ import annotations

import functools
import os
import re
import shutil
import stat
import subprocess
import sys
import threading
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import docx
import pytest
from conftest import ROOT, docx_findings, make_project, render_ok, run_cli, soffice
from pypdf import PdfReader

from reportkit.pdf import read_layout
from reportkit.pdf.office import uno_pythons

pytestmark = pytest.mark.slow
CLIENTS = ("甲集团", "乙公司")


@functools.cache
def bridge_python() -> str | None:
    """A Python that can import LibreOffice's uno (what `render --pdf` drives LibreOffice with)."""
    exe = soffice()
    for python in uno_pythons(exe) if exe else []:
        if subprocess.run([python, "-c", "import uno"], capture_output=True, timeout=60).returncode == 0:
            return python
    return None


def need_libreoffice() -> None:
    missing = (
        "LibreOffice not installed"
        if soffice() is None
        else "no Python can import uno (python3-uno not installed)"
        if bridge_python() is None
        else ""
    )
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"{missing}: CI needs it (.ci/run installs it)")
        pytest.skip(missing)


def office_processes(marker: str) -> dict[int, tuple[int, str]]:
    """Live LibreOffice processes whose profile lies under `marker` (a test's own TMPDIR):
    pid -> (process group, profile)."""
    out = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            args = [a.decode("utf-8", "replace") for a in Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0") if a]
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        profile = next((a for a in args if a.startswith("-env:UserInstallation=")), "")
        if args and Path(args[0]).name in ("soffice.bin", "soffice") and marker in profile and fields[0] != "Z":
            out[int(entry)] = (int(fields[2]), profile)
    return out


def leftovers(tmpdir: Path) -> list[str]:
    """What a render left behind: live LibreOffice processes and reportkit's temporary folders."""
    return [f"soffice pid {pid}" for pid in office_processes(str(tmpdir))] + [
        p.name for p in tmpdir.glob("reportkit-lo-*")
    ]


@dataclass
class Delivery:
    editions: dict[str, tuple[Path, Path, int]]
    offices: dict[int, tuple[int, str]] = field(default_factory=dict)
    """Every LibreOffice process seen while the batch ran: pid -> (process group, profile)."""
    left: list[str] = field(default_factory=list)


def run_watched(args: list[str], tmpdir: Path) -> tuple[subprocess.CompletedProcess[str], dict[int, tuple[int, str]]]:
    """Run the CLI with TMPDIR=`tmpdir`, noting every LibreOffice process it starts while it runs."""
    seen: dict[int, tuple[int, str]] = {}
    env = {**os.environ, "TMPDIR": str(tmpdir)}
    with subprocess.Popen(
        [sys.executable, "-m", "reportkit", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    ) as proc:
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                seen.update(office_processes(str(tmpdir)))
                done.wait(0.05)

        sampler = threading.Thread(target=sample)
        sampler.start()
        try:
            out, err = proc.communicate(timeout=600)
        finally:
            done.set()
            sampler.join()
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err), seen


@pytest.fixture(scope="module")
def delivered(tmp_path_factory) -> Delivery:
    need_libreoffice()
    base = tmp_path_factory.mktemp("deliver")
    proj, tmpdir = base / "proj", base / "tmp"
    tmpdir.mkdir()
    shutil.copytree(
        ROOT,
        proj,
        ignore=shutil.ignore_patterns(
            ".venv", "build", ".git", "*.egg-info", "__pycache__", ".pytest_cache", ".hypothesis"
        ),
    )
    args = ["render", "--year", "2024", "--project", str(proj), "--pdf", "--watermark", "内部资料"]
    for c in CLIENTS:
        args += ["--client", c]
    res, seen = run_watched(args, tmpdir)
    assert res.returncode == 0, res.stderr
    out: dict[str, tuple[Path, Path, int]] = {}
    lines = res.stdout.strip().splitlines()
    for c in CLIENTS:
        d = [Path(ln) for ln in lines if ln.endswith(f"（{c}）.docx")]
        p = [ln for ln in lines if f"（{c}）.pdf" in ln]
        assert d and p, res.stdout
        pages = int(re.search(r"\((\d+) pages\)", p[0]).group(1))
        out[c] = (d[0], Path(p[0].split("  (")[0]), pages)
    return Delivery(out, seen, leftovers(tmpdir))


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
    for client, (docx_path, pdf_path, pages) in delivered.editions.items():
        assert docx_path.name == f"2024-2030年中国工业大模型产业研发规模与未来建设现状调研报告（{client}）.docx"
        assert pdf_path.is_file() and len(PdfReader(str(pdf_path)).pages) == pages
        assert 20 <= pages <= 60
        assert docx_findings(docx_path) == []


@pytest.mark.parametrize("client", CLIENTS)
def test_toc_pages_agree_with_the_pdf(delivered, client) -> None:
    docx_path, pdf_path, _pages = delivered.editions[client]
    d = docx.Document(str(docx_path))
    toc = entries(d, ("toc 1", "toc 2"))
    assert [t for t, _p in toc] == [p.text for p in d.paragraphs if p.style.name in ("Heading 1", "Heading 2")]
    assert len(toc) >= 30 and all(page.isdigit() for _t, page in toc)
    texts = pdf_pages(pdf_path)
    body_start = first_body_page(texts)
    for heading, page in toc:
        physical = body_start + int(page) - 1
        assert "".join(heading.split()) in texts[physical], (heading, page)
        assert texts[physical].endswith(page), "the footer prints the same number"
    pages = [int(p) for _t, p in toc]
    assert pages == sorted(pages)


@pytest.mark.parametrize("client", CLIENTS)
def test_list_of_figures_and_seq_captions(delivered, client) -> None:
    docx_path, pdf_path, _pages = delivered.editions[client]
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
    for client, (docx_path, pdf_path, _pages) in delivered.editions.items():
        d = docx.Document(str(docx_path))
        assert f"专供：{client}" in [p.text for p in d.paragraphs[:20]]
        assert d.sections[0].header.paragraphs[0].text.endswith(f"专供：{client}")
        assert client in d.core_properties.keywords and client in d.core_properties.comments
        other = [c for c in CLIENTS if c != client][0]
        assert other not in zipfile.ZipFile(docx_path).read("word/document.xml").decode()
        texts = pdf_pages(pdf_path)
        assert f"专供：{client}" in texts[0]
        headers = "".join(
            zipfile.ZipFile(docx_path).read(n).decode()
            for n in zipfile.ZipFile(docx_path).namelist()
            if n.startswith("word/header")
        )
        assert 'string="内部资料"' in headers


def test_one_libreoffice_served_the_batch_and_left_nothing(delivered) -> None:
    # -- each launch is its own process group (soffice.bin restarting itself after it created the
    #    profile stays in it), so one group and one profile mean one LibreOffice for both editions --
    groups = {group for group, _profile in delivered.offices.values()}
    profiles = {profile for _group, profile in delivered.offices.values()}
    assert len(groups) == 1 and len(profiles) == 1, delivered.offices
    assert delivered.left == [], "LibreOffice stopped and its temporary profile removed"


def test_docx_is_reportkits_own_with_the_pages_in_its_fields(delivered) -> None:
    for docx_path, _pdf, _pages in delivered.editions.values():
        package = zipfile.ZipFile(docx_path)
        assert "LibreOffice" not in package.read("docProps/app.xml").decode(), "not a LibreOffice re-save"
        xml = package.read("word/document.xml").decode()
        assert re.search(r"PAGEREF _Toc000001 \\h </w:instrText>.*?<w:t>1</w:t>", xml), "摘要 is on page 1"


def test_printed_pages_count_from_the_first_heading() -> None:
    # -- Writer's page 4 is the blank page it inserts before the body restarts its numbering at 1 --
    anchors = {"_Toc000001": 5, "_Toc000002": 5, "_Toc000003": 9, "_Fig000001": 6, "_Fig000002": 12}
    layout = read_layout(
        anchors,
        ["_Toc000001", "_Toc000002", "_Toc000003", "_Toc000004"],
        [(1, "_Fig000001"), (2, "_Fig000002"), (3, "_Fig000003")],
    )
    assert layout.headings == [1, 1, 5, None]
    assert layout.captions == {1: 2, 2: 8}


def test_missing_libreoffice_is_explained(tmp_path: Path) -> None:
    proj = make_project(tmp_path / "p")
    res = run_cli(
        "render",
        "--year",
        "2024",
        "--project",
        str(proj),
        "--pdf",
        env={"REPORTKIT_SOFFICE": str(tmp_path / "no-soffice")},
    )
    assert res.returncode == 1 and "Traceback" not in res.stderr
    assert "apt-get install libreoffice-writer-nogui" in res.stderr
    assert not (proj / "build" / "2024").exists(), "no output is written"


def executable(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_missing_python_bridge_is_explained(tmp_path: Path) -> None:
    proj = make_project(tmp_path / "p")
    # -- without site-packages, no Python finds uno; LibreOffice itself is never reached --
    no_uno = executable(tmp_path / "python", f'#!/bin/sh\nexec "{sys.executable}" -S "$@"\n')
    res = run_cli(
        "render",
        "--year",
        "2024",
        "--project",
        str(proj),
        "--pdf",
        env={"REPORTKIT_SOFFICE": str(no_uno), "REPORTKIT_UNO_PYTHON": str(no_uno)},
    )
    assert res.returncode == 1 and "Traceback" not in res.stderr
    assert res.stderr.count("\n") == 1 and "apt-get install python3-uno" in res.stderr
    assert not (proj / "build" / "2024").exists(), "no output is written"


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_hung_libreoffice_stops_the_render_cleanly(tmp_path: Path) -> None:
    need_libreoffice()
    proj = make_project(tmp_path / "p")
    docx_path = render_ok("--year", "2024", "--project", str(proj))
    pdf_path = docx_path.with_suffix(".pdf")
    pdf_path.write_bytes(b"%PDF-1.7 an earlier good PDF")
    earlier = {p: p.read_bytes() for p in docx_path.parent.iterdir()}
    # -- a LibreOffice that never answers --
    pid_file = tmp_path / "soffice.pid"
    hung = executable(tmp_path / "soffice", f'#!/bin/sh\necho $$ > "{pid_file}"\nexec sleep 300\n')
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    res = run_cli(
        "render",
        "--year",
        "2024",
        "--project",
        str(proj),
        "--pdf",
        env={"REPORTKIT_SOFFICE": str(hung), "REPORTKIT_PDF_TIMEOUT": "3", "TMPDIR": str(tmpdir)},
    )
    assert res.returncode == 1 and "Traceback" not in res.stderr
    assert res.stderr.strip().splitlines() == [
        "error: LibreOffice did not start within 3 s (REPORTKIT_PDF_TIMEOUT sets the limit)"
    ]
    assert {p: p.read_bytes() for p in docx_path.parent.iterdir()} == earlier, "earlier outputs untouched"
    assert not alive(int(pid_file.read_text())), "the hung process was killed"
    assert list(tmpdir.iterdir()) == [], "its temporary profile removed"


def test_libreoffice_dies_with_reportkit(tmp_path: Path) -> None:
    need_libreoffice()
    proj = make_project(tmp_path / "p")
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    env = {**os.environ, "TMPDIR": str(tmpdir)}
    with subprocess.Popen(
        [sys.executable, "-m", "reportkit", "render", "--year", "2024", "--project", str(proj), "--pdf"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    ) as proc:
        try:
            until = time.monotonic() + 120
            while not office_processes(str(tmpdir)) and proc.poll() is None and time.monotonic() < until:
                time.sleep(0.02)
            assert office_processes(str(tmpdir)), "LibreOffice was started"
        finally:
            proc.kill()  # -- as SIGKILL: reportkit gets no chance to clean up --
    until = time.monotonic() + 30
    while leftovers(tmpdir) and time.monotonic() < until:
        time.sleep(0.1)
    assert leftovers(tmpdir) == []
