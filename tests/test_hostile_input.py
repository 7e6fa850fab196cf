"""A project folder from someone else cannot run code, reach outside the project, hang, crash or cost
an earlier output.

Table-driven like the bad-input suite (`CASES`), by the class of attack or breakage:

 1  code from the cache         4  external and active content   7  no traceback, ever
 2  writing outside the project 5  markup injection              8  bounded time and memory
 3  reading outside the project 6  entity declarations           9  text printed as written
                                                                10  nothing lost, nothing half-written

Every case builds a small project in `<case>/in/proj` beside a folder `<case>/out` that stands for the
rest of the machine (a secret file, a place links point to), puts a known-good DOCX and sidecar
where `render` writes, breaks one thing, and runs real `reportkit` processes.  Each command must exit
as expected, say what is wrong in one line (naming the input), show no traceback, touch nothing
outside the project, leave the earlier outputs byte-identical when it fails, and stay under 1 GB of
memory.  The tool's own limits end every case; the timeout here is only a safety net against a hang.
The cases run a few at a time in threads, one process each.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from conftest import MINI_TEMPLATES, make_project
from openpyxl import load_workbook

YEAR = "2024"
TITLE = "2024-2030年中国工业大模型测试报告"
MARKET = "datasets/2024/市场.xlsx"
POLICY = "datasets/2024/政策.xlsx"
SECRET = "TOPSECRET-0x5eed"
SAFETY_NET = 120  # -- seconds; the tool's own limits must end every case long before --
MAX_RSS_MB = 1024

# -- the mini project's templates without literal years or numbers, so that `check` is clean --
TEMPLATES = dict(MINI_TEMPLATES)
TEMPLATES["market.md.j2"] = (
    MINI_TEMPLATES["market.md.j2"]
    .replace('{% set s = t["市场规模"] %}\n', '{% set s = t["市场规模"] %}\n{% set y2 = t.actual_years[-2] %}\n')
    .replace("2022", "y2")
)

P = len(TEMPLATES["policy.md.j2"].splitlines()) + 2  # -- the first line `append("policy.md.j2", "\n...")` adds --

# -- runs reportkit in a child and reports the child's peak memory on its last line of stderr --
_MEASURED = (
    "import resource, subprocess, sys\n"
    "code = subprocess.run(sys.argv[1:]).returncode\n"
    "sys.stderr.write('\\nreportkit-test-maxrss=%d\\n' % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    "sys.exit(code)\n"
)


# ------------------------------------------------------------------------------------------
# the case table
# ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Run:
    """One command of a case and what it must do."""

    args: tuple[Any, ...]  # after `reportkit`; `--project` is added; bytes pass undecoded
    exit: int = 1
    says: str = ""  # the one line that names the problem contains this
    env: dict[str, str] = field(default_factory=dict)


def check(says: str = "", exit: int = 1, **env: str) -> Run:
    return Run(("check", "--year", YEAR), exit, says, env)


def render(*extra: Any, says: str = "", exit: int = 1, **env: str) -> Run:
    return Run(("render", "--year", YEAR, "--jobs", "1", *extra), exit, says, env)


@dataclass(frozen=True)
class Case:
    cls: int
    name: str
    setup: Callable[[Path, Path], None]  # (project, outside) -> None
    runs: tuple[Run, ...]
    verify: Callable[[Path, Path], None] | None = None  # after the runs: (project, outside)


@dataclass
class Outcome:
    results: list[tuple[Run, int, str, str, int]] = field(default_factory=list)  # run, exit, out, err, MB
    outside_before: dict[str, Any] = field(default_factory=dict)
    outside_after: dict[str, Any] = field(default_factory=dict)
    earlier: dict[str, bytes] = field(default_factory=dict)
    build_after: dict[str, bytes] = field(default_factory=dict)
    error: BaseException | None = None


# ------------------------------------------------------------------------------------------
# building blocks of the setups
# ------------------------------------------------------------------------------------------
def cells(rel: str, sheet: str, **values: Any) -> Callable[[Path, Path], None]:
    def setup(project: Path, _outside: Path) -> None:
        wb = load_workbook(project / rel)
        for ref, value in values.items():
            wb[sheet][ref] = value
        wb.save(project / rel)

    return setup


def append(template: str, text: str) -> Callable[[Path, Path], None]:
    def setup(project: Path, _outside: Path) -> None:
        path = project / "templates" / template
        path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")

    return setup


def manifest_line(line: str) -> Callable[[Path, Path], None]:
    def setup(project: Path, _outside: Path) -> None:
        path = project / "report.toml"
        text = path.read_text(encoding="utf-8")
        path.write_text(
            text.replace('publisher = "测试研究院"\n', f'publisher = "测试研究院"\n{line}\n', 1), encoding="utf-8"
        )

    return setup


def manifest_replace(old: str, new: str) -> Callable[[Path, Path], None]:
    def setup(project: Path, _outside: Path) -> None:
        path = project / "report.toml"
        text = path.read_text(encoding="utf-8")
        assert old in text, old
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return setup


def both(*setups: Callable[[Path, Path], None]) -> Callable[[Path, Path], None]:
    def setup(project: Path, outside: Path) -> None:
        for s in setups:
            s(project, outside)

    return setup


def image_charts(project: Path, outside: Path) -> None:
    manifest_replace("[report]\n", '[report]\ncharts = "image"\n')(project, outside)


def rezip(path: Path, edit: Callable[[dict[str, bytes]], None], compress: int = zipfile.ZIP_DEFLATED) -> None:
    with zipfile.ZipFile(path) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    edit(parts)
    with zipfile.ZipFile(path, "w", compress) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)


def part_edit(rel: str, part: str, old: bytes, new: bytes) -> Callable[[Path, Path], None]:
    def setup(project: Path, _outside: Path) -> None:
        def edit(parts: dict[str, bytes]) -> None:
            assert old in parts[part], (part, old)
            parts[part] = parts[part].replace(old, new, 1)

        rezip(project / rel, edit)

    return setup


def with_dtd(rel: str, part: str, entity_in: bytes = b"") -> Callable[[Path, Path], None]:
    """A DTD declaring an entity in `part`; with `entity_in`, that text of the part uses the entity."""

    def setup(project: Path, _outside: Path) -> None:
        def edit(parts: dict[str, bytes]) -> None:
            data = parts[part]
            root = re.search(rb"<([A-Za-z][\w:]*)", data.split(b"?>", 1)[-1]).group(1)  # type: ignore[union-attr]
            dtd = b"<!DOCTYPE " + root + b' [<!ENTITY e "ENTITYEXPANDED">]>'
            head, sep, body = data.partition(b"?>")
            data = head + sep + dtd + body if sep else dtd + data
            if entity_in:
                assert entity_in in data
                data = data.replace(entity_in, b"&e;", 1)
            parts[part] = data

        rezip(project / rel, edit)

    return setup


def big_sheet(rel: str, rows: int, columns: int = 1) -> Callable[[Path, Path], None]:
    """A workbook whose one sheet holds `rows` x `columns` numbers, its XML streamed straight into the
    package.  Rows and cells leave out their optional `r` references (readers count them), so one
    block of rows is written over and over and the test itself stays quick and small."""

    def setup(project: Path, _outside: Path) -> None:
        path = project / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        block = ("<row>" + "<c><v>7</v></c>" * columns + "</row>").encode() * 10_000
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
            zf.writestr("[Content_Types].xml", CONTENT_TYPES)
            zf.writestr("_rels/.rels", ROOT_RELS)
            zf.writestr("xl/workbook.xml", WORKBOOK_XML)
            zf.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
            with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
                fh.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
                for _ in range(rows // 10_000):
                    fh.write(block)
                fh.write(b"</sheetData></worksheet>")
        assert sum(i.file_size for i in zipfile.ZipFile(path).infolist()) > rows * columns * 15

    return setup


CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
    'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK_XML = (
    '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
    'main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
    '<sheet name="大" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
    'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
)


def planted_text(rel: str, sheet: str, ref: str, text: bytes) -> Callable[[Path, Path], None]:
    """Put `text` into a cell through the raw XML (openpyxl itself would cut or refuse it)."""

    def setup(project: Path, outside: Path) -> None:
        cells(rel, sheet, **{ref: "PLANTEDTEXT"})(project, outside)

        def edit(parts: dict[str, bytes]) -> None:
            for name in parts:
                if b"PLANTEDTEXT" in parts[name]:
                    parts[name] = parts[name].replace(b"PLANTEDTEXT", text)

        rezip(project / rel, edit)

    return setup


def symlink(rel: str, target: Callable[[Path, Path], Path]) -> Callable[[Path, Path], None]:
    def setup(project: Path, outside: Path) -> None:
        path = project / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() or path.is_symlink():
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
        path.symlink_to(target(project, outside))

    return setup


def fifo(rel: str) -> Callable[[Path, Path], None]:
    def setup(project: Path, _outside: Path) -> None:
        (project / rel).parent.mkdir(parents=True, exist_ok=True)
        os.mkfifo(project / rel)

    return setup


def folder(rel: str) -> Callable[[Path, Path], None]:
    def setup(project: Path, _outside: Path) -> None:
        (project / rel).mkdir(parents=True)

    return setup


def secret(_project: Path, outside: Path) -> Path:
    return outside / "secret.txt"


# -- a reference .docx that someone else made --------------------------------------------------
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def reference(edit: Callable[[dict[str, bytes]], None], name: str = "ref.docx") -> Callable[[Path, Path], None]:
    def setup(project: Path, outside: Path) -> None:
        from reportkit.docx import packaged_reference

        shutil.copy(packaged_reference(), project / name)
        rezip(project / name, edit)
        manifest_line(f'reference_docx = "{name}"')(project, outside)

    return setup


def add_rel(parts: dict[str, bytes], rels: str, rid: str, kind: str, target: str, external: bool = False) -> None:
    mode = ' TargetMode="External"' if external else ""
    xml = parts.get(
        rels,
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships '
        b'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"></Relationships>',
    )
    parts[rels] = xml.replace(
        b"</Relationships>",
        f'<Relationship Id="{rid}" Type="{kind}" Target="{target}"{mode}/></Relationships>'.encode(),
    )


def add_type(parts: dict[str, bytes], part: str, ctype: str) -> None:
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>", f'<Override PartName="/{part}" ContentType="{ctype}"/></Types>'.encode()
    )


def tracking(parts: dict[str, bytes]) -> None:
    """An attachedTemplate on a web server and a header with a tracking hyperlink."""
    add_rel(
        parts,
        "word/_rels/settings.xml.rels",
        "rIdT",
        f"{_REL_NS}/attachedTemplate",
        "https://tracker.example.com/t.dotm",
        external=True,
    )
    settings = parts["word/settings.xml"]
    if b'xmlns:r="' not in settings:
        settings = settings.replace(b"<w:settings ", b'<w:settings xmlns:r="' + _REL_NS.encode() + b'" ', 1)
    attached = rb'\1<w:attachedTemplate r:id="rIdT"/>'
    parts["word/settings.xml"] = re.sub(rb"(<w:settings[^>]*>)", attached, settings, count=1)
    parts["word/header9.xml"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:hdr xmlns:w="http://schemas.openxmlformats.org/'
        f'wordprocessingml/2006/main" xmlns:r="{_REL_NS}"><w:p><w:hyperlink r:id="rIdH"><w:r><w:t>来自</w:t></w:r>'
        "</w:hyperlink></w:p></w:hdr>"
    ).encode()
    add_type(parts, "word/header9.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml")
    add_rel(
        parts,
        "word/_rels/header9.xml.rels",
        "rIdH",
        f"{_REL_NS}/hyperlink",
        "https://tracker.example.com/px",
        external=True,
    )
    add_rel(parts, "word/_rels/document.xml.rels", "rIdHd", f"{_REL_NS}/header", "header9.xml")
    doc = parts["word/document.xml"]
    doc = re.sub(
        rb"(<w:sectPr[^>]*>)",
        rb'\1<w:headerReference xmlns:r="' + _REL_NS.encode() + rb'" w:type="default" r:id="rIdHd"/>',
        doc,
        count=1,
    )
    parts["word/document.xml"] = doc


def comments(parts: dict[str, bytes]) -> None:
    parts["word/comments.xml"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:comments xmlns:w="http://schemas.openxmlformats.'
        'org/wordprocessingml/2006/main"><w:comment w:id="0" w:author="审稿人"><w:p><w:r><w:t>内部意见</w:t></w:r>'
        "</w:p></w:comment></w:comments>"
    ).encode()
    add_type(parts, "word/comments.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.comments+xml")
    add_rel(parts, "word/_rels/document.xml.rels", "rIdC", f"{_REL_NS}/comments", "comments.xml")


def vba(parts: dict[str, bytes]) -> None:
    parts["word/vbaProject.bin"] = b"\xd0\xcf\x11\xe0" + bytes(508)
    add_rel(
        parts,
        "word/_rels/document.xml.rels",
        "rIdV",
        "http://schemas.microsoft.com/office/2006/relationships/vbaProject",
        "vbaProject.bin",
    )
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>", b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>'
    )


def activex(parts: dict[str, bytes]) -> None:
    parts["word/activeX/activeX1.xml"] = (
        b'<?xml version="1.0"?><ax:ocx xmlns:ax="http://schemas.microsoft.com/'
        b'office/2006/activeX" ax:classid="{8BD21D40-EC42-11CE-9E0D-00AA006002F3}"/>'
    )
    add_type(parts, "word/activeX/activeX1.xml", "application/vnd.ms-office.activeX+xml")
    add_rel(parts, "word/_rels/document.xml.rels", "rIdX", f"{_REL_NS}/control", "activeX/activeX1.xml")


def macro_enabled(parts: dict[str, bytes]) -> None:
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
        b"application/vnd.ms-word.document.macroEnabled.main+xml",
    )


def dde_field(parts: dict[str, bytes]) -> None:
    parts["word/footer9.xml"] = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:ftr xmlns:w="http://schemas.openxmlformats.org/'
        b'wordprocessingml/2006/main"><w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> DDEAUTO '
        b'c:\\\\windows\\\\system32\\\\cmd.exe "/k calc"</w:instrText></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>'
        b"</w:p></w:ftr>"
    )
    add_type(parts, "word/footer9.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml")
    add_rel(parts, "word/_rels/document.xml.rels", "rIdF", f"{_REL_NS}/footer", "footer9.xml")
    parts["word/document.xml"] = re.sub(
        rb"(<w:sectPr[^>]*>)",
        rb'\1<w:footerReference xmlns:r="' + _REL_NS.encode() + rb'" w:type="default" r:id="rIdF"/>',
        parts["word/document.xml"],
        count=1,
    )


def no_sectpr(parts: dict[str, bytes]) -> None:
    parts["word/document.xml"] = re.sub(rb"<w:sectPr.*</w:sectPr>", b"", parts["word/document.xml"], flags=re.S)


def wide_margins(parts: dict[str, bytes]) -> None:
    doc = parts["word/document.xml"]
    parts["word/document.xml"] = re.sub(rb'w:(left|right)="\d+"', rb'w:\1="9000"', doc)


def truncated_reference(project: Path, outside: Path) -> None:
    from reportkit.docx import packaged_reference

    data = packaged_reference().read_bytes()
    (project / "ref.docx").write_bytes(data[: len(data) // 2])
    manifest_line('reference_docx = "ref.docx"')(project, outside)


# -- planted cache entries ---------------------------------------------------------------------
class _Payload:
    """Unpickling this makes a folder: the proof that a cache entry ran code."""

    def __init__(self, path: Path):
        self.path = path

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.mkdir, (str(self.path),))


def workbook_cache_keys(project: Path) -> list[tuple[str, str]]:
    """(old-style pickle key, new key) of every workbook of the edition."""
    from reportkit import code_fingerprint
    from reportkit.cache import digest

    out = []
    for path in sorted((project / "datasets" / YEAR).glob("*.xlsx")):
        rel = path.relative_to(project).as_posix()
        data = path.read_bytes()
        out.append(
            (
                hashlib.sha256(data + rel.encode() + code_fingerprint().encode()).hexdigest(),
                digest(data, rel, code_fingerprint()),
            )
        )
    return out


def planted_pickles(project: Path, outside: Path) -> None:
    """A pickle that runs code, at every name a workbook cache entry could have, old and new."""
    bomb = pickle.dumps(_Payload(outside / "PWNED"))
    for old, new in workbook_cache_keys(project):
        (project / "build" / ".cache" / "data").mkdir(parents=True, exist_ok=True)
        (project / "build" / ".cache" / "data" / f"{old}.pickle").write_bytes(bomb)
        entry = project / "build" / ".cache" / "data" / new[:2] / new
        entry.parent.mkdir(parents=True, exist_ok=True)
        entry.write_bytes(b"RKC1" + bytes(32) + bomb)


def planted_bytecode(project: Path, outside: Path) -> None:
    """Jinja's bytecode cache files (which Jinja unpickles) for every template."""
    import jinja2

    folder = project / "build" / ".cache" / "jinja"
    folder.mkdir(parents=True, exist_ok=True)
    cache = jinja2.FileSystemBytecodeCache(str(folder))
    for path in (project / "templates").glob("*.j2"):
        key = cache.get_cache_key(path.name, str(path))
        (folder / f"__jinja2_{key}.cache").write_bytes(
            jinja2.bccache.bc_magic + pickle.dumps(_Payload(outside / "PWNED"), 2)
        )


def planted_charts(project: Path, outside: Path) -> None:
    """A picture planted at the cache entry of every chart, signed with a key that is not ours."""
    import hmac

    from reportkit.cache import MAGIC, Cache
    from reportkit.charts.batch import chart_key
    from reportkit.config import load_manifest
    from reportkit.docx import text_width_inches
    from reportkit.pipeline import build_document, load_data

    image_charts(project, outside)
    manifest = load_manifest(project)
    document = build_document(manifest, load_data(project, int(YEAR)), int(YEAR))
    width = text_width_inches(manifest.reference)
    cache = Cache(project / "build" / ".cache" / "charts")
    for block in document.blocks:
        spec = getattr(block, "chart", None)
        if spec is None:
            continue
        key = chart_key(spec, width)
        entry = cache.entry(key)
        assert entry is not None
        entry.parent.mkdir(parents=True, exist_ok=True)
        sig = hmac.new(b"not the user's key", b"charts\0" + key.encode() + b"\0" + PLANTED_PNG, "sha256").digest()
        entry.write_bytes(MAGIC + sig + PLANTED_PNG)


def _png() -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\0" + b"\xff\x00\x00" * 8 for _ in range(8))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


PLANTED_PNG = _png()


def odd_cache_entries(kind: str) -> Callable[[Path, Path], None]:
    """After a first render: every cache entry replaced by a folder, a FIFO, or a link to /dev/zero."""

    def setup(project: Path, _outside: Path) -> None:
        first = run_reportkit(("render", "--year", YEAR, "--jobs", "1", "--project", str(project)))
        assert first[0] == 0, first
        for entry in [p for p in (project / "build" / ".cache").rglob("*") if p.is_file()]:
            entry.unlink()
            if kind == "folder":
                entry.mkdir()
            elif kind == "fifo":
                os.mkfifo(entry)
            else:
                entry.symlink_to("/dev/zero")
        for output in (project / "build" / YEAR).iterdir():
            output.unlink()

    return setup


def cache_elsewhere(project: Path, outside: Path) -> None:
    (outside / "cache").mkdir()
    (project / "build").mkdir(exist_ok=True)
    (project / "build" / ".cache").symlink_to(outside / "cache")


# -- what a successful run must have produced ----------------------------------------------------
def docx_parts(project: Path) -> dict[str, bytes]:
    out = project / "build" / YEAR / f"{TITLE}.docx"
    with zipfile.ZipFile(out) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def sound(project: Path, _outside: Path) -> None:
    from reportkit.docx.verify import docx_problems

    out = project / "build" / YEAR / f"{TITLE}.docx"
    assert docx_problems(out.read_bytes()) == []


def no_planted_picture(project: Path, outside: Path) -> None:
    sound(project, outside)
    pictures = [data for name, data in docx_parts(project).items() if name.endswith(".png")]
    assert pictures and PLANTED_PNG not in pictures


def nothing_external(project: Path, outside: Path) -> None:
    sound(project, outside)
    parts = docx_parts(project)
    rels = b"".join(data for name, data in parts.items() if name.endswith(".rels"))
    assert b"External" not in rels and b"tracker.example.com" not in b"".join(parts.values())
    assert not any("comments" in name for name in parts)


def watermark_is(text: str) -> Callable[[Path, Path], None]:
    def verify(project: Path, outside: Path) -> None:
        from lxml import etree

        sound(project, outside)
        headers = [
            etree.fromstring(data)
            for name, data in docx_parts(project).items()
            if name.startswith("word/header") and name.endswith(".xml")
        ]
        paths = [
            tp
            for h in headers
            for tp in h.iter("{urn:schemas-microsoft-com:vml}textpath")
            if tp.get("string") is not None
        ]
        assert [tp.get("string") for tp in paths] == [text]
        assert all(tp.get("on") is None for tp in paths)  # -- no attribute smuggled in --

    return verify


def cover_says(text: str) -> Callable[[Path, Path], None]:
    def verify(project: Path, _outside: Path) -> None:
        import docx

        from reportkit.docx.verify import docx_problems

        out = project / "build" / YEAR / f"{TITLE}（{text}）.docx"
        assert docx_problems(out.read_bytes()) == []
        assert any(p.text == f"专供：{text}" for p in docx.Document(str(out)).paragraphs)

    return verify


def json_keeps(text: str) -> Callable[[Path, Path], None]:
    """`check --json` escapes the character on the terminal and still carries it in the value."""

    def verify(project: Path, _outside: Path) -> None:
        code, out, _err, _mb = run_reportkit(("check", "--year", YEAR, "--json", "--project", str(project)))
        assert code == 1 and text not in out
        assert any(text in (p["sheet"] or "") + (p["file"] or "") for p in json.loads(out))

    return verify


def stale_temporaries(project: Path, outside: Path) -> None:
    """What a killed render leaves: temporary files, a backup, and a journal that tries to reach out."""
    folder = project / "build" / YEAR
    folder.mkdir(parents=True, exist_ok=True)
    (folder / ".rk-0123456789abcdef.part").write_bytes(b"half a DOCX")
    (folder / ".rk-1111111111111111.bak").write_bytes(b"a backup")
    (folder / ".rk-2222222222222222.part").write_bytes(b"planted")
    (folder / ".rk-3333333333333333.commit").write_text(
        json.dumps(
            [
                [".rk-2222222222222222.part", "../../../../out/secret.txt", None],
                ["../../../../out/secret.txt", "stolen.txt", None],
            ]
        ),
        encoding="utf-8",
    )


def no_temporaries(project: Path, outside: Path) -> None:
    sound(project, outside)
    left = [p.name for p in project.rglob(".rk-*")]
    assert left == [], left
    assert (outside / "secret.txt").read_text(encoding="utf-8") == SECRET


# ------------------------------------------------------------------------------------------
# the cases
# ------------------------------------------------------------------------------------------
UTF16_DTD = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE P [<!ENTITY e "x">]><P/>'.encode("utf-16")


def nested_arrays(project: Path, _outside: Path) -> None:
    with open(project / "report.toml", "a", encoding="utf-8") as fh:
        fh.write("\n[lint]\nallow = " + "[" * 5000 + "]" * 5000 + "\n")


CASES = [
    # 1 -- the cache never runs code; a damaged, planted or foreign entry is rebuilt ------------
    Case(1, "pickle_planted_at_workbook_cache_keys", planted_pickles, (render(exit=0),), sound),
    Case(1, "jinja_bytecode_planted", planted_bytecode, (render(exit=0),), sound),
    Case(1, "chart_picture_planted_with_a_foreign_signature", planted_charts, (render(exit=0),), no_planted_picture),
    Case(1, "cache_entries_are_folders", odd_cache_entries("folder"), (render(exit=0),), sound),
    Case(1, "cache_entries_are_fifos", odd_cache_entries("fifo"), (render(exit=0),), sound),
    Case(1, "cache_entries_link_to_dev_zero", odd_cache_entries("link"), (render(exit=0),), sound),
    Case(1, "cache_folder_links_out_of_the_project", cache_elsewhere, (render(exit=0),), sound),
    # 2 -- nothing is written outside the project, nor over an input ------------------------------
    Case(
        2,
        "title_climbs_out",
        manifest_replace('title = "{start}-{end}年中国工业大模型测试报告"', 'title = "../../../x_{start}"'),
        (
            check("report.toml: [report] the title '../../../x_2024' cannot be part of a file name"),
            render(says="report.toml: [report] the title '../../../x_2024' cannot be part of a file name"),
        ),
    ),
    Case(
        2,
        "client_climbs_out",
        lambda p, o: None,
        (render("--client", "../../../../x", says="the client name '../../../../x' cannot be part of a file name"),),
    ),
    Case(
        2,
        "manifest_client_climbs_out",
        manifest_line('clients = ["../x"]'),
        (
            check("report.toml: [report] clients #1 '../x' contains a path separator"),
            render("--all-clients", says="report.toml: [report] clients #1 '../x' contains a path separator"),
        ),
    ),
    Case(
        2,
        "client_makes_a_new_folder",
        lambda p, o: None,
        (render("--client", "a/b", says="the client name 'a/b' cannot be part of a file name"),),
    ),
    Case(
        2,
        "client_is_dot_dot",
        lambda p, o: None,
        (render("--client", "..", says="the client name '..' cannot be part of a file name"),),
    ),
    Case(
        2,
        "output_onto_a_workbook",
        lambda p, o: None,
        (render("--output", "@project/" + MARKET, says="must name a .docx file"),),
    ),
    Case(
        2,
        "output_into_templates",
        lambda p, o: None,
        (render("--output", "@project/templates/report.docx", says="would overwrite templates/, an input"),),
    ),
    Case(
        2,
        "output_onto_the_reference",
        both(reference(lambda parts: None, "ref.docx")),
        (render("--output", "@project/ref.docx", says="would overwrite ref.docx, an input"),),
    ),
    Case(
        2,
        "output_folder_links_out",
        symlink("build/2024", lambda p, o: o),
        (
            check("report.toml: [report] output 'build/{year}/{title}.docx' puts the output outside build"),
            render(says="puts the output outside build"),
        ),
    ),
    Case(
        2,
        "output_pattern_climbs_out",
        manifest_line('output = "../../out/{title}.docx"'),
        (
            check("report.toml: output '../../out/t.docx' points outside the project"),
            render(says="points outside the project"),
        ),
    ),
    Case(
        2,
        "output_pattern_into_datasets",
        manifest_line('output = "datasets/{year}/{title}.docx"'),
        (check("would write into datasets/, an input of the project"), render(says="would write into datasets/")),
    ),
    Case(
        2,
        "redline_onto_a_template",
        lambda p, o: None,
        (
            Run(
                ("diff", "--from", YEAR, "--to", YEAR, "--redline", "@project/templates/x.docx"),
                1,
                "would overwrite templates/, an input",
            ),
        ),
    ),
    Case(
        2,
        "new_edition_through_a_linked_datasets_folder",
        lambda p, o: (shutil.move(p / "datasets", o / "datasets"), (p / "datasets").symlink_to(o / "datasets")),
        (Run(("new-edition", "--year", "2025"), 1, "datasets: refused: datasets/ resolves outside the project"),),
    ),
    # 3 -- only regular files inside the project are read -----------------------------------------
    Case(
        3,
        "include_links_to_a_secret",
        both(symlink("templates/p.txt", secret), append("policy.md.j2", '\n{% include "p.txt" %}\n')),
        (
            check(f"templates/policy.md.j2:{P}: refused: the template resolves outside templates/"),
            render(says=f"templates/policy.md.j2:{P}: refused: the template resolves outside templates/"),
        ),
    ),
    Case(
        3,
        "import_links_to_a_secret",
        both(symlink("templates/m.j2", secret), append("policy.md.j2", '\n{% import "m.j2" as m %}\n')),
        (render(says="refused: the template resolves outside templates/"),),
    ),
    Case(
        3,
        "extends_links_to_a_secret",
        both(
            symlink("templates/base.j2", secret),
            lambda p, o: (p / "templates" / "policy.md.j2").write_text('{% extends "base.j2" %}\n', encoding="utf-8"),
        ),
        (render(says="refused: the template resolves outside templates/"),),
    ),
    Case(
        3,
        "include_climbs_out_by_name",
        append("policy.md.j2", '\n{% include "../../../out/secret.txt" %}\n'),
        (render(says="is not a path inside templates/"),),
    ),
    Case(
        3,
        "include_is_a_fifo",
        both(fifo("templates/f.j2"), append("policy.md.j2", '\n{% include "f.j2" %}\n')),
        (render(says="refused: not a regular file"),),
    ),
    Case(
        3,
        "workbook_links_out",
        lambda p, o: (shutil.move(p / POLICY, o / "政策.xlsx"), (p / POLICY).symlink_to(o / "政策.xlsx")),
        (
            check(f"{POLICY}: refused: the workbook resolves outside the project"),
            render(says=f"{POLICY}: refused: the workbook resolves outside the project"),
        ),
    ),
    Case(
        3,
        "workbook_is_dev_zero",
        symlink("datasets/2024/z.xlsx", lambda p, o: Path("/dev/zero")),
        (check("datasets/2024/z.xlsx: refused: the workbook resolves outside the project"),),
    ),
    Case(
        3,
        "workbook_is_a_fifo",
        fifo("datasets/2024/f.xlsx"),
        (check("datasets/2024/f.xlsx: refused: not a regular file"), render(says="refused: not a regular file")),
    ),
    Case(
        3,
        "workbook_is_a_folder",
        folder("datasets/2024/d.xlsx"),
        (check("datasets/2024/d.xlsx: refused: not a regular file"),),
    ),
    Case(
        3,
        "edition_folder_links_out",
        lambda p, o: (shutil.move(p / "datasets" / YEAR, o / YEAR), (p / "datasets" / YEAR).symlink_to(o / YEAR)),
        (check("refused: the workbook resolves outside the project"),),
    ),
    Case(
        3,
        "manifest_is_a_fifo",
        lambda p, o: ((p / "report.toml").unlink(), os.mkfifo(p / "report.toml")),
        (check("report.toml: refused: not a regular file"), render(says="report.toml: refused: not a regular file")),
    ),
    Case(
        3,
        "manifest_template_links_out",
        both(symlink("templates/x.md.j2", secret), manifest_replace('"policy.md.j2"', '"x.md.j2"')),
        (check("report.toml: template 'x.md.j2' points outside the project"),),
    ),
    # 4 -- no external or active content from the reference ---------------------------------------
    Case(
        4, "reference_tracks_and_attaches_a_remote_template", reference(tracking), (render(exit=0),), nothing_external
    ),
    Case(4, "reference_with_comments", reference(comments), (render(exit=0),), nothing_external),
    Case(
        4,
        "reference_with_macros",
        reference(vba),
        (
            check("ref.docx: refused: the reference document carries macros (word/vbaProject.bin)"),
            render(says="ref.docx: refused: the reference document carries macros"),
        ),
    ),
    Case(
        4,
        "reference_is_macro_enabled",
        reference(macro_enabled, "ref.docm"),
        (
            check("ref.docm: refused: the reference is a macro-enabled document"),
            render(says="ref.docm: refused: the reference is a macro-enabled document"),
        ),
    ),
    Case(
        4,
        "reference_with_activex",
        reference(activex),
        (check("ref.docx: refused: the reference document carries an ActiveX control"),),
    ),
    Case(
        4,
        "reference_with_a_ddeauto_field",
        reference(dde_field),
        (
            check("ref.docx: refused: the reference document has a DDEAUTO field in word/footer9.xml"),
            render(says="has a DDEAUTO field"),
        ),
    ),
    # 5 -- user text never changes the markup ------------------------------------------------------
    Case(
        5,
        "watermark_smuggles_an_attribute",
        lambda p, o: None,
        (render("--watermark", 'a" on="f', exit=0),),
        watermark_is('a" on="f'),
    ),
    Case(
        5,
        "watermark_with_a_quote",
        lambda p, o: None,
        (render("--watermark", '内部"资料', exit=0),),
        watermark_is('内部"资料'),
    ),
    Case(
        5,
        "client_with_markup",
        lambda p, o: None,
        (render("--client", "<w:p>\"&某'集团", exit=0),),
        cover_says("<w:p>\"&某'集团"),
    ),
    Case(
        5,
        "watermark_with_a_control_character",
        lambda p, o: None,
        (render("--watermark", "内部\x07资料", says="--watermark '内部\\x07资料' contains the character U+0007"),),
    ),
    # 6 -- no XML part of a workbook or reference declares entities ---------------------------------
    Case(
        6,
        "dtd_in_content_types",
        with_dtd(POLICY, "[Content_Types].xml"),
        (check(f"{POLICY}: refused: [Content_Types].xml declares entities"), render(says="declares entities")),
    ),
    Case(
        6,
        "dtd_in_core_properties",
        with_dtd(POLICY, "docProps/core.xml"),
        (check(f"{POLICY}: refused: docProps/core.xml declares entities"),),
    ),
    Case(
        6,
        "dtd_expanded_into_a_sheet_name",
        with_dtd(POLICY, "xl/workbook.xml", "政策".encode()),
        (check(f"{POLICY}: refused: xl/workbook.xml declares entities"),),
    ),
    Case(
        6,
        "dtd_in_styles",
        with_dtd(POLICY, "xl/styles.xml"),
        (check(f"{POLICY}: refused: xl/styles.xml declares entities"),),
    ),
    Case(
        6,
        "dtd_in_a_utf16_part",
        lambda p, o: rezip(p / POLICY, lambda parts: parts.update({"docProps/app.xml": UTF16_DTD})),
        (check(f"{POLICY}: refused: docProps/app.xml declares entities"),),
    ),
    Case(
        6,
        "dtd_in_the_reference",
        reference(
            lambda parts: parts.update(
                {
                    "word/styles.xml": parts["word/styles.xml"].replace(
                        b"?>", b'?><!DOCTYPE w:styles [<!ENTITY e "x">]>', 1
                    )
                }
            )
        ),
        (check("ref.docx: refused: word/styles.xml declares entities"),),
    ),
    # 7 -- one line and a non-zero exit, never a traceback ------------------------------------------
    Case(
        7,
        "macro_calls_itself",
        append("policy.md.j2", "\n{% macro r(n) %}{{ r(n) }}{% endmacro %}{{ r(p) }}\n"),
        (
            check(f"templates/policy.md.j2:{P}: macros call each other more than 50 deep"),
            render(says="macros call each other more than 50 deep"),
        ),
    ),
    Case(
        7,
        "template_includes_itself",
        append("policy.md.j2", '\n{% include "policy.md.j2" %}\n'),
        (check(f"templates/policy.md.j2:{P}: templates nest too deeply"),),
    ),
    Case(
        7,
        "template_extends_itself",
        lambda p, o: (p / "templates" / "policy.md.j2").write_text('{% extends "policy.md.j2" %}\n', encoding="utf-8"),
        (check("templates/policy.md.j2:1: templates nest too"),),
    ),
    Case(
        7,
        "fence_with_the_object_marker",
        append("policy.md.j2", "\n```reportkit-object\nx\n```\n"),
        (check("templates/policy.md.j2:10: code blocks are not supported"),),
    ),
    Case(
        7,
        "deeply_nested_expression",
        append("policy.md.j2", "\n{{ " + "(" * 400 + "p" + ")" * 400 + " }}\n"),
        (check("templates/policy.md.j2"),),
    ),
    Case(
        7,
        "client_name_too_long",
        lambda p, o: None,
        (render("--client", "客" * 300, says="is 300 characters long; the limit is 100"),),
    ),
    Case(
        7,
        "client_name_with_a_control_character",
        lambda p, o: None,
        (render("--client", "a\x01b", says="--client 'a\\x01b' contains the character U+0001"),),
    ),
    Case(
        7,
        "client_name_not_utf8",
        lambda p, o: None,
        (render("--client", b"\xff\xfe", says="contains the character U+DCFF"),),
    ),
    Case(
        7,
        "source_date_epoch_out_of_range",
        lambda p, o: None,
        (
            render(
                says="SOURCE_DATE_EPOCH='100000000000000000000' is not a number of seconds",
                SOURCE_DATE_EPOCH="100000000000000000000",
            ),
            check("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH="100000000000000000000"),
        ),
    ),
    Case(
        7,
        "source_date_epoch_not_a_number",
        lambda p, o: None,
        (render(says="SOURCE_DATE_EPOCH='²' is not a number", SOURCE_DATE_EPOCH="²"),),
    ),
    Case(
        7,
        "edition_year_99999",
        lambda p, o: shutil.copytree(p / "datasets" / YEAR, p / "datasets" / "99999"),
        (
            Run(("check", "--year", "99999"), 1, "datasets/99999: edition year 99999 is out of range"),
            Run(("render", "--year", "99999"), 1, "datasets/99999: edition year 99999 is out of range"),
        ),
    ),
    Case(
        7,
        "nested_arrays_in_manifest",
        nested_arrays,
        (check("report.toml: arrays or tables nest too deeply"), render(says="arrays or tables nest too deeply")),
    ),
    Case(
        7,
        "nul_in_a_template_path",
        manifest_replace('"policy.md.j2"', '"policy\\u0000.md.j2"'),
        (check("contains the control character U+0000"),),
    ),
    Case(
        7,
        "nul_in_the_reference_path",
        manifest_line('reference_docx = "r\\u0000.docx"'),
        (check("report.reference_docx contains the control character U+0000"),),
    ),
    Case(
        7,
        "reference_without_page_setup",
        reference(no_sectpr),
        (check("ref.docx: the reference document has no page setup"), render(says="has no page setup")),
    ),
    Case(
        7,
        "reference_truncated",
        truncated_reference,
        (check("ref.docx: not a Word document (.docx)"), render(says="ref.docx: not a Word document")),
    ),
    Case(
        7,
        "build_is_a_file",
        lambda p, o: (shutil.rmtree(p / "build"), (p / "build").write_text("x")),
        (render(says="cannot write to"),),
    ),
    Case(
        7,
        "template_is_a_folder",
        both(folder("templates/d.md.j2"), manifest_replace('"policy.md.j2"', '"d.md.j2"')),
        (check("templates/d.md.j2"),),
    ),
    # 8 -- every cost is bounded by a limit ------------------------------------------------------
    Case(
        8,
        "one_cell_at_xfd1048576",
        cells(POLICY, "政策", XFD1048576="x"),
        (check(f"{POLICY} [政策] XFD1048576: a value beyond the range reportkit reads"),),
    ),
    Case(
        8,
        "million_row_sheet",
        big_sheet("datasets/2024/大表.xlsx", 1_000_000),
        (check("datasets/2024/大表.xlsx [大] A100001: a value beyond the range"),),
    ),
    Case(
        8,
        "workbook_unpacking_to_185_mb",
        big_sheet("datasets/2024/膨胀.xlsx", 1_000_000, 12),
        (check("datasets/2024/膨胀.xlsx [大]: the workbook holds more than 200,000 cells"),),
    ),
    Case(
        8,
        "nested_range_loops",
        append("policy.md.j2", "\n{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}\n"),
        (check(f"templates/policy.md.j2:{P}: the templates take more than 2,000,000 steps"),),
    ),
    Case(
        8,
        "ten_to_the_ten_billion",
        append("policy.md.j2", "\n{{ (10**(10**10)) | num }}\n"),
        (check(f"templates/policy.md.j2:{P}: a number of more than 1,000 digits"),),
    ),
    Case(
        8,
        "a_billion_decimals",
        append("policy.md.j2", "\n{{ p.count | num(1000000000) }}\n"),
        (check(f"templates/policy.md.j2:{P}: digits must be a whole number from 0 to 12"),),
    ),
    Case(
        8,
        "hundred_thousand_paragraphs",
        append("policy.md.j2", "\n{% for i in range(100000) %}\n段落。\n\n{% endfor %}\n"),
        (check("templates/policy.md.j2"), render(says="templates/policy.md.j2")),
    ),
    Case(
        8,
        "title_format_900_million_wide",
        manifest_replace("{start}-{end}年", "{start:900000000}-{end}年"),
        (check("report.toml: [report] title has a format with a width or precision of 900,000,000"),),
    ),
    Case(
        8,
        "ten_megabyte_cell",
        planted_text(POLICY, "政策", "C7", "字".encode() * (10 * 1024 * 1024 // 3)),
        (
            check(f"{POLICY} [政策] C7: the cell holds 3,495,253 characters; the limit is 32,767"),
            render(says=f"{POLICY} [政策] C7: the cell holds 3,495,253 characters"),
        ),
    ),
    Case(
        8,
        "maths_label_checks_and_renders",
        both(image_charts, cells(MARKET, "需求", A9="$\\undefinedmacro$")),
        (check(exit=0), render(exit=0)),
        sound,
    ),
    Case(
        8,
        "margins_wider_than_the_page",
        reference(wide_margins),
        (
            check("ref.docx: the reference document leaves a text area -10.7 cm wide"),
            render(says="ref.docx: the reference document leaves a text area -10.7 cm wide"),
        ),
    ),
    Case(
        8,
        "centre_a_billion_wide",
        append("policy.md.j2", '\n{{ "a".center(1000000000) }}\n'),
        (check(f"templates/policy.md.j2:{P}: a width of 1,000,000,000"),),
    ),
    Case(
        8,
        "string_doubled_in_a_loop",
        append(
            "policy.md.j2",
            '\n{% set ns = namespace(s="ab") %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}\n',
        ),
        (check(f"templates/policy.md.j2:{P}: a value of"),),
    ),
    Case(
        8,
        "printf_900_million_wide",
        append("policy.md.j2", '\n{{ "%900000000d" % p.count }}\n'),
        (check(f"templates/policy.md.j2:{P}: a % format with a width or precision of 900,000,000"),),
    ),
    Case(
        8,
        "format_900_million_wide",
        append("policy.md.j2", '\n{{ "{:900000000}".format(p.count) }}\n'),
        (check(f"templates/policy.md.j2:{P}: a format with a width or precision of 900,000,000"),),
    ),
    Case(
        8,
        "filler_text_generator",
        append("policy.md.j2", "\n{{ lipsum(100000) }}\n"),
        (check(f"templates/policy.md.j2:{P}: 'lipsum' is not defined"),),
    ),
    Case(
        8,
        "thirty_thousand_table_rows",
        append(
            "policy.md.j2",
            '\n{{ table_rows(title="大表", header=["名称"], rows=[["一"]] * 30000, source="本报告") }}\n',
        ),
        (check("templates/policy.md.j2: the report grows past 20,000 paragraphs"),),
    ),
    Case(
        8,
        "ten_thousand_and_one_parts",
        lambda p, o: rezip(
            p / POLICY,
            lambda parts: parts.update({f"customXml/item{i}.xml": b"<a/>" for i in range(10_001)}),
            zipfile.ZIP_STORED,
        ),
        (check(f"{POLICY}: holds 10,0"),),
    ),
    Case(
        8,
        "manifest_of_two_megabytes",
        manifest_line("# " + "x" * (2 * 1024 * 1024)),
        (check("report.toml: manifest is 2 MB; the limit is 1 MB"),),
    ),
    Case(
        8,
        "template_of_two_megabytes",
        append("policy.md.j2", "{# " + "x" * (2 * 1024 * 1024) + " #}\n"),
        (check("templates/policy.md.j2: template is 2 MB; the limit is 1 MB"),),
    ),
    # 9 -- text is printed as written --------------------------------------------------------------
    Case(
        9,
        "sheet_name_with_a_line_break",
        both(
            cells(POLICY, "政策", D7="abc"),
            part_edit(POLICY, "xl/workbook.xml", 'name="政策"'.encode(), 'name="政策&#10;ok: no problems"'.encode()),
        ),
        (check(f'{POLICY} [政策\\nok: no problems] D7: expected a number, found "abc"'),),
    ),
    Case(
        9,
        "bidi_override_in_a_file_name",
        lambda p, o: (
            cells(POLICY, "政策", D7="abc")(p, o),
            shutil.move(p / POLICY, p / "datasets" / YEAR / "\u202e政策.xlsx"),
        ),
        (check("datasets/2024/\\u202e政策.xlsx [政策] D7"),),
        json_keeps("\u202e"),
    ),
    Case(
        9,
        "terminal_control_in_a_sheet_name",
        both(
            cells(POLICY, "政策", D7="abc"),
            part_edit(POLICY, "xl/workbook.xml", 'name="政策"'.encode(), 'name="政策\u009b2J"'.encode()),
        ),
        (check(f"{POLICY} [政策\\x9b2J] D7"),),
        json_keeps("\u009b"),
    ),
    Case(9, "maths_in_a_chart_label", both(image_charts, cells(MARKET, "需求", A9="$x^2$")), (render(exit=0),), sound),
    # 10 -- nothing lost, nothing half-written -------------------------------------------------------
    Case(
        10,
        "sidecar_path_is_a_folder",
        lambda p, o: (
            (p / "build" / YEAR / f"{TITLE}.sources.json").unlink(),
            (p / "build" / YEAR / f"{TITLE}.sources.json").mkdir(),
        ),
        (render(says="a folder of that name is in the way"),),
    ),
    Case(10, "stale_temporaries_and_a_journal_reaching_out", stale_temporaries, (render(exit=0),), no_temporaries),
]


# ------------------------------------------------------------------------------------------
# running
# ------------------------------------------------------------------------------------------
def run_reportkit(args: tuple[Any, ...], env: dict[str, str] | None = None) -> tuple[int, str, str, int]:
    """Run `reportkit ARGS` as a process; return its exit status, output, errors and peak memory (MB)."""
    proc = subprocess.run(
        [sys.executable, "-c", _MEASURED, sys.executable, "-m", "reportkit", *args],
        capture_output=True,
        env={**os.environ, **(env or {})},
        timeout=SAFETY_NET,
    )
    err = proc.stderr.decode("utf-8", "replace")
    m = re.search(r"\n?reportkit-test-maxrss=(\d+)\n$", err)
    assert m, err
    return proc.returncode, proc.stdout.decode("utf-8", "replace"), err[: m.start()], int(m.group(1)) // 1024


def snapshot(top: Path, skip: Path) -> dict[str, Any]:
    """Every entry under `top` but `skip`: kind, size, time and content hash of files."""
    out: dict[str, Any] = {}
    for dirpath, dirs, files in os.walk(top):
        here = Path(dirpath)
        if here == skip:
            dirs[:] = []
            continue
        for name in dirs + files:
            path = here / name
            if path == skip:
                continue
            info = path.lstat()
            digest = (
                hashlib.sha256(path.read_bytes()).hexdigest()
                if path.is_file() and not path.is_symlink() and info.st_size < 50_000_000 and not name.endswith(".fifo")
                else None
            )
            out[str(path.relative_to(top))] = (info.st_mode, info.st_size, info.st_mtime_ns, digest)
    return out


def build_outputs(project: Path) -> dict[str, bytes]:
    """The files under build/ other than the cache: what a failed render must leave as it was."""
    folder = project / "build"
    if not folder.is_dir() or folder.is_symlink():
        return {}
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in folder.rglob("*")
        if p.is_file() and not p.is_symlink() and ".cache" not in p.relative_to(folder).parts
    }


def run_case(case: Case, root: Path, earlier_docx: bytes, earlier_sidecar: bytes) -> Outcome:
    outcome = Outcome()
    try:
        project = root / "in" / "proj"
        outside = root / "out"
        make_project(project, templates=TEMPLATES)
        outside.mkdir()
        (outside / "secret.txt").write_text(SECRET, encoding="utf-8")
        out = project / "build" / YEAR / f"{TITLE}.docx"
        out.parent.mkdir(parents=True)
        out.write_bytes(earlier_docx)
        out.with_name(f"{TITLE}.sources.json").write_bytes(earlier_sidecar)
        case.setup(project, outside)
        outcome.earlier = build_outputs(project)
        outcome.outside_before = snapshot(root, project)
        for run in case.runs:
            args = tuple(
                str(project / a[len("@project/") :]) if isinstance(a, str) and a.startswith("@project/") else a
                for a in run.args
            ) + ("--project", str(project))
            code, stdout, stderr, mb = run_reportkit(args, run.env)
            outcome.results.append((run, code, stdout, stderr, mb))
        outcome.outside_after = snapshot(root, project)
        outcome.build_after = build_outputs(project)
        if case.verify is not None:
            case.verify(project, outside)
    except BaseException as exc:  # -- reported by the case's own test --
        outcome.error = exc
    return outcome


@pytest.fixture(scope="module")
def earlier(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, bytes]:
    """A good DOCX and sidecar of the base project: the earlier outputs every case must keep."""
    project = make_project(tmp_path_factory.mktemp("earlier") / "proj", templates=TEMPLATES)
    code, out, err, _mb = run_reportkit(("render", "--year", YEAR, "--jobs", "1", "--project", str(project)))
    assert code == 0, err
    docx = project / "build" / YEAR / f"{TITLE}.docx"
    return docx.read_bytes(), docx.with_name(f"{TITLE}.sources.json").read_bytes()


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory, earlier: tuple[bytes, bytes]) -> dict[str, Outcome]:
    root = tmp_path_factory.mktemp("hostile")
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 1)) as pool:
        futures = {c.name: pool.submit(run_case, c, root / c.name, *earlier) for c in CASES}
        return {name: f.result() for name, f in futures.items()}


def test_every_class_has_cases() -> None:
    assert len({c.name for c in CASES}) == len(CASES)
    per_class = {k: sum(1 for c in CASES if c.cls == k) for k in range(1, 11)}
    assert all(n >= 2 for n in per_class.values()), per_class


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.cls}-{c.name}")
def test_hostile_input(case: Case, outcomes: dict[str, Outcome]) -> None:
    outcome = outcomes[case.name]
    if outcome.error is not None:
        raise outcome.error
    for run, code, stdout, stderr, mb in outcome.results:
        shown = f"reportkit {' '.join(map(str, run.args))}\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
        assert code == run.exit, shown
        assert "Traceback" not in stdout + stderr and "unexpectedly" not in stderr, shown
        assert mb < MAX_RSS_MB, f"{mb} MB: {shown}"
        if run.exit:
            if run.args[0] == "check":
                lines = stdout.splitlines()
                assert stderr.strip().endswith("problem") or stderr.strip().endswith("problems"), shown
                assert [ln for ln in lines if run.says in ln], shown
            else:
                lines = stderr.strip().splitlines()
                assert len(lines) == 1 and lines[0].startswith("error: ") and run.says in lines[0], shown
                assert stdout == "", shown
    assert outcome.outside_after == outcome.outside_before, "a file outside the project changed"
    if any(code for _run, code, *_rest in outcome.results):
        assert outcome.build_after == outcome.earlier, "a failed command changed an earlier output"


# ------------------------------------------------------------------------------------------
# 10 -- processes killed half-way, and the atomic writer's own promises
# ------------------------------------------------------------------------------------------
_KILL_AFTER_RENAME = """
import os, signal, sys
real = os.replace
def replace(src, dst, *args, **kwargs):
    real(src, dst, *args, **kwargs)
    if str(dst).endswith(".docx"):
        os.kill(os.getpid(), signal.SIGKILL)  # -- between the DOCX and its sidecar --
os.replace = replace
sys.argv = ["reportkit", *sys.argv[1:]]
from reportkit.cli import main
main()
"""

_KILL_WHILE_WRITING = """
import os, signal, sys
real = os.write
def write(fd, data):
    if os.readlink(f"/proc/self/fd/{fd}").endswith(".part"):
        real(fd, bytes(data)[: len(data) // 2])
        os.kill(os.getpid(), signal.SIGKILL)  # -- half a temporary file written --
    return real(fd, data)
os.write = write
sys.argv = ["reportkit", *sys.argv[1:]]
from reportkit.cli import main
main()
"""


def _killed(script: str, project: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            script,
            "render",
            "--year",
            YEAR,
            "--jobs",
            "1",
            "--no-cache",
            "--project",
            str(project),
        ],
        capture_output=True,
        timeout=SAFETY_NET,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()


def test_a_render_killed_between_its_files_is_finished_by_the_next(
    tmp_path: Path, earlier: tuple[bytes, bytes]
) -> None:
    project = make_project(tmp_path / "proj", templates=TEMPLATES)
    out = project / "build" / YEAR / f"{TITLE}.docx"
    out.parent.mkdir(parents=True)
    out.write_bytes(earlier[0])
    out.with_name(f"{TITLE}.sources.json").write_bytes(earlier[1])
    manifest_replace('publisher = "测试研究院"', 'publisher = "另一家研究院"')(project, tmp_path)
    _killed(_KILL_AFTER_RENAME, project)
    # -- killed after the commit point: the journal says what is left to do --
    journals = list(out.parent.glob(".rk-*.commit"))
    assert len(journals) == 1 and out.read_bytes() != earlier[0]
    pending = {
        target: (out.parent / tmp).read_bytes()
        for tmp, target, _backup in json.loads(journals[0].read_text())
        if (out.parent / tmp).exists()
    }
    assert list(pending) == [f"{TITLE}.sources.json"]
    # -- the next render finishes that commit first, even one that then fails --
    (project / "templates" / "policy.md.j2").write_text("{% if %}\n", encoding="utf-8")
    code, _out, err, _mb = run_reportkit(("render", "--year", YEAR, "--jobs", "1", "--project", str(project)))
    assert code == 1 and "syntax error" in err, err
    with zipfile.ZipFile(out) as zf:
        assert "另一家研究院" in zf.read("docProps/core.xml").decode("utf-8")
    assert out.with_name(f"{TITLE}.sources.json").read_bytes() == pending[f"{TITLE}.sources.json"]
    assert [p.name for p in out.parent.iterdir() if p.name.startswith(".")] == []


def test_the_unit_is_finished_from_the_journal_alone(tmp_path: Path) -> None:
    from reportkit import atomic

    folder = tmp_path / "out"
    atomic.commit([(folder / "r.docx", b"old docx"), (folder / "r.sources.json", b"old sidecar")])
    # -- a commit killed after its journal and first rename, as `_rename_all` leaves it --
    (folder / ".rk-aaaaaaaaaaaaaaaa.part").write_bytes(b"new sidecar")
    (folder / "r.docx").write_bytes(b"new docx")
    (folder / ".rk-bbbbbbbbbbbbbbbb.commit").write_text(
        json.dumps(
            [[".rk-cccccccccccccccc.part", "r.docx", None], [".rk-aaaaaaaaaaaaaaaa.part", "r.sources.json", None]]
        )
    )
    atomic.recover(folder)
    assert (folder / "r.docx").read_bytes() == b"new docx"
    assert (folder / "r.sources.json").read_bytes() == b"new sidecar"
    assert sorted(p.name for p in folder.iterdir()) == ["r.docx", "r.sources.json"]


def test_a_failed_rename_puts_the_earlier_files_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from reportkit import atomic
    from reportkit.errors import OutputError

    folder = tmp_path / "out"
    atomic.commit([(folder / "r.docx", b"old docx"), (folder / "r.sources.json", b"old sidecar")])
    real = os.replace
    calls = []

    def failing(src: Any, dst: Any) -> None:
        calls.append(dst)
        if str(dst).endswith(".json"):
            raise OSError(5, "Input/output error")
        real(src, dst)

    monkeypatch.setattr(os, "replace", failing)
    with pytest.raises(OutputError, match="Input/output error"):
        atomic.commit([(folder / "r.docx", b"new docx"), (folder / "r.sources.json", b"new sidecar")])
    monkeypatch.undo()
    assert any(str(c).endswith(".docx") for c in calls), "the DOCX was renamed before the failure"
    assert (folder / "r.docx").read_bytes() == b"old docx"
    assert (folder / "r.sources.json").read_bytes() == b"old sidecar"
    assert sorted(p.name for p in folder.iterdir()) == ["r.docx", "r.sources.json"]


def test_a_render_killed_while_writing_leaves_nothing_behind(tmp_path: Path, earlier: tuple[bytes, bytes]) -> None:
    project = make_project(tmp_path / "proj", templates=TEMPLATES)
    out = project / "build" / YEAR / f"{TITLE}.docx"
    out.parent.mkdir(parents=True)
    out.write_bytes(earlier[0])
    manifest_replace('publisher = "测试研究院"', 'publisher = "另一家研究院"')(project, tmp_path)
    _killed(_KILL_WHILE_WRITING, project)
    assert out.read_bytes() == earlier[0]
    assert list(project.rglob(".rk-*.part")), "the kill left a half-written temporary file"
    code, _out, err, _mb = run_reportkit(("render", "--year", YEAR, "--jobs", "1", "--project", str(project)))
    assert code == 0, err
    assert list(project.rglob(".rk-*")) == []


def test_a_live_writer_keeps_its_temporary_file(tmp_path: Path) -> None:
    from reportkit import atomic

    path, fd = atomic._temp_file(tmp_path)
    try:
        atomic.recover(tmp_path)
        assert path.exists(), "another process's write in progress was removed"
    finally:
        os.close(fd)
    atomic.recover(tmp_path)
    assert not path.exists()


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs /proc to see the workers")
def test_killing_a_render_kills_its_chart_workers(tmp_path: Path) -> None:
    project = make_project(tmp_path / "proj", templates=TEMPLATES)
    image_charts(project, tmp_path)
    append(
        "market.md.j2", "".join(f'\n{{{{ chart("market_size", kind="bar", title="图{i}") }}}}\n' for i in range(12))
    )(project, tmp_path)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "reportkit",
            "render",
            "--year",
            YEAR,
            "--jobs",
            "2",
            "--no-cache",
            "--project",
            str(project),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    workers: list[int] = []
    deadline = time.monotonic() + SAFETY_NET
    while proc.poll() is None and len(workers) < 2 and time.monotonic() < deadline:
        workers = _children(proc.pid)
        time.sleep(0.02)
    if proc.poll() is not None:
        pytest.skip("the render ended before its workers could be seen")
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 30
    while any(_alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    survivors = [w for w in workers if _alive(w)]
    for w in survivors:
        os.kill(w, signal.SIGKILL)
    assert workers and not survivors, f"workers {survivors} outlived their render"


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_output_folder_is_one_line(tmp_path: Path, earlier: tuple[bytes, bytes]) -> None:
    project = make_project(tmp_path / "proj", templates=TEMPLATES)
    out = project / "build" / YEAR / f"{TITLE}.docx"
    out.parent.mkdir(parents=True)
    out.write_bytes(earlier[0])
    out.parent.chmod(0o555)
    try:
        code, stdout, err, _mb = run_reportkit(("render", "--year", YEAR, "--jobs", "1", "--project", str(project)))
    finally:
        out.parent.chmod(0o755)
    assert code == 1 and stdout == "" and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 and "Permission denied" in err
    assert out.read_bytes() == earlier[0]


# ------------------------------------------------------------------------------------------
# 1, 9 -- the cache and the chart engine, directly
# ------------------------------------------------------------------------------------------
def test_the_cache_serves_only_what_it_signed(tmp_path: Path) -> None:
    from reportkit.cache import Cache, digest
    from reportkit.errors import Location, Problem

    cache = Cache(tmp_path / "build" / ".cache" / "data")
    key = digest("a workbook")
    cache.put_json(key, [Problem("x", "y", Location("f", "s", "A1"))])
    assert cache.get_json(key, (Problem, Location)) == [Problem("x", "y", Location("f", "s", "A1"))]
    assert cache.get_json(key, (Problem,)) is None, "a class the reader did not name was rebuilt"
    entry = cache.entry(key)
    assert entry is not None
    signed = entry.read_bytes()
    entry.write_bytes(signed[:-1] + bytes([signed[-1] ^ 1]))
    assert cache.get(key) is None, "a damaged entry was served"
    other = Cache(tmp_path / "build" / ".cache" / "charts")
    entry.write_bytes(signed)
    assert other.get(key) is None, "an entry of another kind was served"


def test_chart_labels_are_drawn_as_written() -> None:
    from reportkit.charts.render import render_png
    from reportkit.model import ChartSeries, ChartSpec

    def png(label: str) -> bytes:
        return render_png(
            ChartSpec("bar", (label, "乙"), (ChartSeries("规模", (1.0, 2.0)),), (False, False), "亿元"), 4.0
        )

    # -- as mathematics "$$$$" is two empty formulas, drawn as nothing; as written, four dollar signs --
    assert png("$$$$") != png("")
    png("$\\undefinedmacro$")  # -- as mathematics, an error --
