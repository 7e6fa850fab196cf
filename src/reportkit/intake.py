"""Reading what a project folder holds: regular files inside the project, within a size limit, and
packages (.xlsx, .docx) whose XML declares no DTD.

A symbolic link may point anywhere (/etc/passwd, another user's files), a FIFO or a device named
`x.xlsx` never ends or blocks forever, and a small zip can unpack to gigabytes.  Every file reportkit
reads from a project comes through here.
"""

from __future__ import annotations

import io
import os
import stat
import xml.parsers.expat
import zipfile
from pathlib import Path

from . import limits
from .errors import Location, ReportkitError

_XML_SUFFIXES = (".xml", ".rels", ".vml")


def resolved_inside(path: Path, root: Path) -> Path | None:
    """`path` with every symbolic link followed, when that stays inside `root`; else None."""
    try:
        real = Path(os.path.realpath(path))
        real.relative_to(os.path.realpath(root))
    except (ValueError, OSError):
        return None
    return real


def read_file(
    path: Path,
    root: Path,
    limit: int,
    error: type[ReportkitError],
    shown: str,
    what: str = "file",
    scope: str = "the project",
) -> bytes:
    """Return the bytes of `path`, a regular file inside `root` (called `scope` in messages) of at
    most `limit` bytes.

    Raises `error` (located at `shown`) for anything else: a file that does not exist, a link out of
    `root`, a FIFO, device or folder, a file larger than `limit`.
    """
    where = Location(shown)
    real = resolved_inside(path, root)
    if real is None:
        raise error(
            f"refused: the {what} resolves outside {scope} (a symbolic link?); only files inside {scope} are read",
            where,
            code="path_escape",
        )
    try:
        # -- O_NONBLOCK: opening a FIFO must not wait for a writer; O_NOFOLLOW: no link swapped in since --
        fd = os.open(real, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise error(f"the {what} does not exist", where, code="missing") from None
    except OSError as exc:
        raise error(f"cannot read the {what}: {exc.strerror}", where, code="unreadable") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise error(
            f"refused: not a regular file (a folder, FIFO or device); the {what} must be a file",
            where,
            code="not_a_file",
        )
    with os.fdopen(fd, "rb") as fh:
        if info.st_size > limit:
            raise error(
                f"{what} is {limits.size_text(info.st_size)}; the limit is {limits.size_text(limit)}",
                where,
                code="too_large",
            )
        try:
            data = fh.read(limit + 1)
        except OSError as exc:
            raise error(f"cannot read the {what}: {exc.strerror}", where, code="unreadable") from None
    if len(data) > limit:
        raise error(f"{what} is larger than {limits.size_text(limit)}, the limit", where, code="too_large")
    return data


def open_package(
    data: bytes, error: type[ReportkitError], shown: str, kind: str, bad_code: str, streamed: tuple[str, ...] = ()
) -> zipfile.ZipFile:
    """Return `data` opened as a zip package after checking what it would cost to read.

    At most PACKAGE_PARTS parts and UNPACKED_BYTES unpacked; a part that is parsed whole (any part
    whose name does not start with one of `streamed`) at most PART_BYTES; no XML part declaring a
    DTD.  zipfile never inflates a part beyond the size its header declares, so the sizes checked
    here are the sizes read.  `kind` names the package in messages ("an .xlsx workbook"); a file that
    is no package, or declares a DTD, is reported with `bad_code`.
    """
    where = Location(shown)
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError):
        raise error(f"not {kind}", where, code=bad_code) from None
    if len(infos) > limits.PACKAGE_PARTS:
        raise error(f"holds {len(infos):,} parts; the limit is {limits.PACKAGE_PARTS:,}", where, code="too_large")
    total = sum(i.file_size for i in infos)
    if total > limits.UNPACKED_BYTES:
        raise error(
            f"expands to more than {limits.size_text(limits.UNPACKED_BYTES)} ({limits.size_text(total)})",
            where,
            code="too_large",
        )
    for info in infos:
        if info.file_size > limits.PART_BYTES and not info.filename.startswith(streamed):
            raise error(
                f"part {info.filename} expands to {limits.size_text(info.file_size)}; the limit is "
                f"{limits.size_text(limits.PART_BYTES)}",
                where,
                code="too_large",
            )
    for info in infos:
        if info.filename.lower().endswith(_XML_SUFFIXES) and _declares_dtd(zf, info):
            raise error(
                f"refused: {info.filename} declares entities (a DTD), which Office never writes and XML "
                "attacks use; open the file in its application and save it again",
                where,
                code=bad_code,
            )
    return zf


class _Verdict(Exception):
    def __init__(self, dtd: bool):
        self.dtd = dtd


def _declares_dtd(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    """True when the XML part declares a DTD; read only up to its root element, where a DTD must end.

    expat reads the encodings XML allows (UTF-8, UTF-16 ...) and reports the DOCTYPE however it is
    spelled; a part that is not well-formed is for its reader to refuse.
    """

    def doctype(*_args: object) -> None:
        raise _Verdict(True)

    def root(*_args: object) -> None:
        raise _Verdict(False)

    parser = xml.parsers.expat.ParserCreate()
    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = doctype
    parser.StartElementHandler = root
    try:
        with zf.open(info) as fh:
            while True:
                chunk = fh.read(64 * 1024)
                parser.Parse(chunk, not chunk)
                if not chunk:
                    return False
    except _Verdict as verdict:
        return verdict.dtd
    except (xml.parsers.expat.ExpatError, zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError):
        return False
