"""Make the saved package deterministic: fixed zip timestamps and order, stable metadata."""

from __future__ import annotations

import datetime as _dt
import io
import zipfile


def normalize_package(data: bytes, when: _dt.datetime) -> bytes:
    """Return `data` (a .docx zip) re-zipped with every entry stamped `when`, in a stable order."""
    stamp = (max(when.year, 1980), when.month, when.day, when.hour, when.minute, when.second)
    src = zipfile.ZipFile(io.BytesIO(data))
    names = src.namelist()
    first = [n for n in ("[Content_Types].xml", "_rels/.rels") if n in names]
    ordered = first + sorted(n for n in names if n not in first)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in ordered:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            dst.writestr(info, src.read(name))
    return out.getvalue()
