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
from typing import Any

LIBRARIES = ("python-docx", "matplotlib", "jinja2", "openpyxl", "markdown-it-py", "mplfonts", "lxml", "pypdf")
_CODE_KEY: str | None = None


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


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
    files += sorted(p for p in (project / "templates").rglob("*") if p.is_file())
    files += sorted((project / "datasets" / str(year)).glob("*.xlsx"))
    for path in files:
        try:
            h.update(str(path).encode() + b"\0" + path.read_bytes())
        except OSError:
            h.update(str(path).encode() + b"\0missing")
    opts = {**options, "SOURCE_DATE_EPOCH": os.environ.get("SOURCE_DATE_EPOCH", "")}
    h.update(json.dumps(opts, sort_keys=True, ensure_ascii=False, default=str).encode())
    return h.hexdigest()


class RenderRecord:
    """What the last render with these options wrote, under build/.cache/renders."""

    def __init__(self, project: Path, name: str):
        self.path = project / "build" / ".cache" / "renders" / (hashlib.sha256(name.encode()).hexdigest() + ".json")

    def unchanged(self, key: str) -> dict[str, Any] | None:
        """Return the stored record when `key` matches and every output is still as written."""
        try:
            record = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if record.get("key") != key:
            return None
        try:
            if any(_sha(Path(p)) != digest for p, digest in record["files"].items()):
                return None
        except (OSError, KeyError, AttributeError):
            return None
        return record

    def save(self, key: str, files: list[Path], extra: dict[str, Any]) -> None:
        from .pipeline import write_atomic

        record = {"key": key, "files": {str(p): _sha(p) for p in files}, **extra}
        try:
            write_atomic(self.path, json.dumps(record, ensure_ascii=False, indent=1).encode("utf-8"))
        except Exception:  # -- a record that cannot be saved only costs time next run --
            pass


def _record(project: Path, year: int, clients: list[str], output: Path | None, pdf: bool,
            watermark: str) -> tuple[RenderRecord, str]:
    from .config import load_manifest

    manifest = load_manifest(project)
    targets = [str(output.resolve() if output else manifest.output_for(year, c)) for c in clients]
    record = RenderRecord(project, json.dumps(targets, ensure_ascii=False))
    key = inputs_key(project, year, manifest.reference,
                     {"year": year, "clients": clients, "watermark": watermark, "pdf": pdf, "targets": targets})
    return record, key


def previous_render(project: Path, year: int, clients: list[str], output: Path | None, pdf: bool,
                    watermark: str) -> list[dict[str, Any]] | None:
    """Return what the last identical render wrote, when inputs and outputs are unchanged."""
    try:
        record, key = _record(project, year, clients, output, pdf, watermark)
    except Exception:  # -- any doubt means render; the render itself reports problems --
        return None
    found = record.unchanged(key)
    return None if found is None else found.get("results")


def remember_render(project: Path, year: int, clients: list[str], output: Path | None, pdf: bool, watermark: str,
                    files: list[Path], results: list[dict[str, Any]]) -> None:
    """Record a finished render so that an identical one can be skipped."""
    try:
        record, key = _record(project, year, clients, output, pdf, watermark)
    except Exception:
        return
    record.save(key, files, {"results": results})
