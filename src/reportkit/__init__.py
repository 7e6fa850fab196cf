"""reportkit: regenerate a Chinese industry research report as Word from Excel data and templates.

The pipeline runs one way: datasets -> context -> templates -> document model -> writers.
"""

from __future__ import annotations

from .errors import ReportkitError

__version__ = "0.1.0"

_CODE_FINGERPRINT: str | None = None


def code_fingerprint() -> str:
    """Return a hash of reportkit's own code and resources, for keys of caches it fills.

    A cache entry made by other code (a fixed reader, a new check) must not be served again.
    """
    global _CODE_FINGERPRINT
    if _CODE_FINGERPRINT is None:
        import hashlib
        from pathlib import Path

        root = Path(__file__).resolve().parent
        h = hashlib.sha256(__version__.encode())
        for path in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in (".py", ".docx", ".conf")):
            h.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
        _CODE_FINGERPRINT = h.hexdigest()
    return _CODE_FINGERPRINT


__all__ = ["ReportkitError", "__version__", "code_fingerprint"]
