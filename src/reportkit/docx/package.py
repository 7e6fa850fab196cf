"""Package-level care: no parts Word would repair, fixed zip timestamps and order, stable metadata."""

from __future__ import annotations

import datetime as _dt
import io
import zipfile
from typing import Any

STYLES_WITH_EFFECTS = "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects"


def drop_styles_with_effects(doc: Any) -> None:
    """Remove the Word 2010 copy of styles.xml (stylesWithEffects.xml) from a python-docx document.

    Only styles.xml is ever edited (by the reference builder, or by python-docx in a user's
    reference), so the copy drifts from it, and Word repairs a file whose two style parts disagree.
    Word rebuilds the copy itself when it needs one.  Without its relationship the part is not
    saved, and its content-type override goes with it.
    """
    rels = doc.part.rels
    for rid in [rid for rid, rel in rels.items() if rel.reltype == STYLES_WITH_EFFECTS]:
        rels.pop(rid)


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
