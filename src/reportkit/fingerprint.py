"""Skip a render whose inputs and outputs are exactly as the last time.

The key covers every input that can change the output: the manifest, the templates, the
edition's workbooks, the reference .docx, reportkit's own code and resources, the versions of the
libraries that draw and write, the options of the run and SOURCE_DATE_EPOCH.  Output files are
checked by hash, so a deleted or edited output is rendered again.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import limits
from .cache import Cache, digest

if TYPE_CHECKING:
    from .config import Manifest

LIBRARIES = ("python-docx", "matplotlib", "jinja2", "openpyxl", "markdown-it-py", "mplfonts", "lxml", "pypdf")
_CODE_KEY: str | None = None


def _sha(path: Path) -> str:
    """The hash of an output file; OSError for anything but a regular file (a FIFO must not block)."""
    import stat

    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(f"{path} is not a regular file")
    with os.fdopen(fd, "rb") as fh:
        h = hashlib.sha256()
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _input(path: Path, root: Path) -> bytes:
    """What a file contributes to the key: its bytes when it is a regular file inside the project of
    reasonable size, a marker otherwise (such a file makes the render itself fail)."""
    from .errors import ReportkitError
    from .intake import read_file

    try:
        return b"=" + read_file(path, root, limits.REFERENCE_BYTES, ReportkitError, str(path))
    except ReportkitError as exc:
        return b"!" + exc.code.encode()


def _code_key() -> str:
    global _CODE_KEY
    if _CODE_KEY is None:
        from . import code_fingerprint

        h = hashlib.sha256(code_fingerprint().encode())
        for lib in LIBRARIES:
            try:
                h.update(f"{lib}={importlib.metadata.version(lib)}".encode())
            except importlib.metadata.PackageNotFoundError:
                h.update(lib.encode())
        _CODE_KEY = h.hexdigest()
    return _CODE_KEY


def inputs_key(project: Path, year: int, reference: Path, options: dict[str, Any]) -> str:
    """Return the key of everything that determines a render's output."""
    h = hashlib.sha256(_code_key().encode())
    files = [project / "report.toml", reference]
    files += _walk(project / "templates")
    files += sorted((project / "datasets" / str(year)).glob("*.xlsx"))
    for path in files:
        root = reference.parent if path == reference else project
        data = _input(path, root)
        h.update(len(data).to_bytes(8, "big") + str(path).encode("utf-8", "surrogateescape") + b"\0" + data)
    opts = {**options, "SOURCE_DATE_EPOCH": os.environ.get("SOURCE_DATE_EPOCH", "")}
    h.update(json.dumps(opts, sort_keys=True, ensure_ascii=False, default=str).encode())
    return h.hexdigest()


def _walk(folder: Path) -> list[Path]:
    """Every file under `folder`, without following links to folders (a loop, or a way out)."""
    found: list[Path] = []
    for top, dirs, files in os.walk(folder, followlinks=False):
        dirs.sort()
        found.extend(Path(top) / f for f in sorted(files))
    return found


class RenderRecord:
    """What the last render with these options wrote, in the cache under build/.cache/renders."""

    def __init__(self, project: Path, name: str):
        self.cache = Cache(project / "build" / ".cache" / "renders")
        self.key = digest(name)

    def unchanged(self, key: str) -> dict[str, Any] | None:
        """Return the stored record when `key` matches and every output is still as written."""
        record = self.cache.get_json(self.key)
        if not isinstance(record, dict) or record.get("key") != key:
            return None
        try:
            if any(_sha(Path(p)) != digest for p, digest in record["files"].items()):
                return None
        except (OSError, KeyError, AttributeError, TypeError):
            return None
        return record

    def save(self, key: str, files: list[Path], extra: dict[str, Any]) -> None:
        try:
            record = {"key": key, "files": {str(p): _sha(p) for p in files}, **extra}
        except OSError:
            return  # -- a record that cannot be made only costs time next run --
        self.cache.put_json(self.key, record)
        self.cache.trim()


def _record(
    manifest: Manifest, year: int, clients: list[str], output: Path | None, pdf: bool, watermark: str
) -> tuple[RenderRecord, str]:
    project = manifest.root
    targets = [str(output.resolve() if output else manifest.output_for(year, c)) for c in clients]
    record = RenderRecord(project, json.dumps(targets, ensure_ascii=False))
    key = inputs_key(
        project,
        year,
        manifest.reference,
        {"year": year, "clients": clients, "watermark": watermark, "pdf": pdf, "targets": targets},
    )
    return record, key


def previous_render(
    manifest: Manifest, year: int, clients: list[str], output: Path | None, pdf: bool, watermark: str
) -> list[dict[str, Any]] | None:
    """Return what the last identical render wrote, when inputs and outputs are unchanged."""
    try:
        record, key = _record(manifest, year, clients, output, pdf, watermark)
    except Exception:  # -- any doubt means render; the render itself reports problems --
        return None
    found = record.unchanged(key)
    return None if found is None else found.get("results")


def remember_render(
    manifest: Manifest,
    year: int,
    clients: list[str],
    output: Path | None,
    pdf: bool,
    watermark: str,
    files: list[Path],
    results: list[dict[str, Any]],
) -> None:
    """Record a finished render so that an identical one can be skipped."""
    try:
        record, key = _record(manifest, year, clients, output, pdf, watermark)
    except Exception:
        return
    record.save(key, files, {"results": results})
