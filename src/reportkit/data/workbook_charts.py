"""Excel charts inside a workbook, carried through an openpyxl save and kept in step with the data.

openpyxl reads a chart into its own model and writes that back: extensions, language, label
settings and the chart's own parts (style, colours) are lost, so the saved chart is not the one the
analyst made.  Here each chart part of the saved package is replaced by the original part (and its
own related parts), with the ranges it draws extended to a year column the roll appended right after
them, and the values it shows (its caches) taken from the cells, so a viewer that does not recompute
shows this edition's figures.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from collections.abc import Callable
from typing import Any

from ..errors import DataError, Location

_C = "http://schemas.openxmlformats.org/drawingml/2006/chart"
_XDR = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
_ANCHORS = ("twoCellAnchor", "oneCellAnchor", "absoluteAnchor")
_REF = re.compile(
    r"^(?P<sheet>'(?:[^']|'')+'|[^'!]+)!\$?(?P<c0>[A-Z]{1,3})\$?(?P<r0>\d+)(?::\$?(?P<c1>[A-Z]{1,3})\$?(?P<r1>\d+))?$"
)

Extension = dict[str, list[tuple[int, int, bool]]]
"""Sheet title -> (last column of the old year range, the column appended after it, whether the
columns from there on moved one column right to make room)."""
Lookup = Callable[[str, int, int], Any]
"""(sheet, row, column) -> the cell's value."""


def _parser() -> Any:
    from lxml import etree

    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def _rels_of(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def _targets(archive: zipfile.ZipFile, part: str, kind: str) -> dict[str, str]:
    """Relationship id -> target part of `part`, for relationships whose type ends with `kind`."""
    from lxml import etree

    name = _rels_of(part)
    if name not in archive.namelist():
        return {}
    root = etree.fromstring(archive.read(name), _parser())
    out = {}
    for rel in root.iter(f"{{{_PKG}}}Relationship"):
        if rel.get("Type", "").endswith("/" + kind) and rel.get("TargetMode") != "External":
            target = rel.get("Target", "")
            out[rel.get("Id", "")] = (
                target.lstrip("/")
                if target.startswith("/")
                else posixpath.normpath(posixpath.join(posixpath.dirname(part), target))
            )
    return out


def charts_by_sheet(archive: zipfile.ZipFile) -> dict[str, list[str]]:
    """Sheet title -> its chart parts, in the order of their anchors (two-cell, one-cell, absolute:
    the order openpyxl reads and writes them in)."""
    from lxml import etree

    from .recalc import sheet_parts

    out: dict[str, list[str]] = {}
    for title, sheet in sheet_parts(archive).items():
        charts: list[str] = []
        for drawing in _targets(archive, sheet, "drawing").values():
            if drawing not in archive.namelist():
                continue
            rels = _targets(archive, drawing, "chart")
            root = etree.fromstring(archive.read(drawing), _parser())
            for kind in _ANCHORS:
                for anchor in root.findall(f"{{{_XDR}}}{kind}"):
                    for chart in anchor.iter(f"{{{_C}}}chart"):
                        target = rels.get(chart.get(f"{{{_R}}}id", ""))
                        if target is not None and target in archive.namelist():
                            charts.append(target)
        if charts:
            out[title] = charts
    return out


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(index))


def _column_index(letters: str) -> int:
    from openpyxl.utils import column_index_from_string

    return int(column_index_from_string(letters))


def _sheet_title(quoted: str) -> str:
    return quoted[1:-1].replace("''", "'") if quoted.startswith("'") else quoted


def extend_reference(text: str, extension: Extension) -> str:
    """`text` (a chart's range, e.g. 市场规模!$B$10:$K$10) with its last column moved to the appended
    column when the roll appended one right after it, and its columns moved on with the cells when
    the roll made room; any other range is returned as it is."""
    m = _REF.match(text.strip())
    if not m:
        return text
    c0 = _column_index(m.group("c0"))
    c1 = _column_index(m.group("c1")) if m.group("c1") else c0
    for last, added, inserted in extension.get(_sheet_title(m.group("sheet")), ()):
        if inserted:
            c0, c1 = (c0 + 1 if c0 >= added else c0), (c1 + 1 if c1 >= added else c1)
        if c1 == last and c0 < c1 and m.group("r0") == m.group("r1"):
            c1 = added
    if (c0, c1) == (_column_index(m.group("c0")), _column_index(m.group("c1")) if m.group("c1") else c0):
        return text
    first = f"{m.group('sheet')}!${_column_letter(c0)}${m.group('r0')}"
    return first + (f":${_column_letter(c1)}${m.group('r1')}" if m.group("c1") else "")


def _cells(text: str) -> tuple[str, list[tuple[int, int]]] | None:
    m = _REF.match(text.strip())
    if not m:
        return None
    c0, r0 = _column_index(m.group("c0")), int(m.group("r0"))
    c1 = _column_index(m.group("c1")) if m.group("c1") else c0
    r1 = int(m.group("r1")) if m.group("r1") else r0
    return _sheet_title(m.group("sheet")), [(r, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)]


def _refresh_cache(ref: Any, lookup: Lookup) -> None:
    """Rewrite the cache beside a chart's range (`c:strRef`/`c:numRef`) from the cells it names."""
    from lxml import etree

    f = ref.find(f"{{{_C}}}f")
    found = _cells(f.text or "") if f is not None else None
    cache = ref.find(f"{{{_C}}}strCache") if ref.tag == f"{{{_C}}}strRef" else ref.find(f"{{{_C}}}numCache")
    if found is None or cache is None:
        return
    sheet, cells = found
    numeric = cache.tag == f"{{{_C}}}numCache"
    for old in cache.findall(f"{{{_C}}}pt"):
        cache.remove(old)
    count = cache.find(f"{{{_C}}}ptCount")
    if count is None:
        count = etree.SubElement(cache, f"{{{_C}}}ptCount")
    count.set("val", str(len(cells)))
    anchor = count
    for i, (row, col) in enumerate(cells):
        value = lookup(sheet, row, col)
        if value is None or (numeric and (isinstance(value, bool) or not isinstance(value, (int, float)))):
            continue
        pt = etree.Element(f"{{{_C}}}pt", idx=str(i))
        v = etree.SubElement(pt, f"{{{_C}}}v")
        v.text = (
            (repr(float(value)).removesuffix(".0") if numeric else str(value)) if not isinstance(value, str) else value
        )
        anchor.addnext(pt)
        anchor = pt


def rewrite_chart(xml: bytes, extension: Extension, lookup: Lookup | None) -> bytes:
    """The chart part `xml` with its ranges extended (see :func:`extend_reference`) and, given
    `lookup`, its caches refreshed from the cells."""
    from lxml import etree

    from .recalc import serialize

    root = etree.fromstring(xml, _parser())
    for f in root.iter(f"{{{_C}}}f"):
        if f.text:
            f.text = extend_reference(f.text, extension)
    if lookup is not None:
        for tag in ("strRef", "numRef"):
            for ref in root.iter(f"{{{_C}}}{tag}"):
                _refresh_cache(ref, lookup)
    return serialize(root, xml)


def _content_types(archive: zipfile.ZipFile) -> Any:
    from lxml import etree

    return etree.fromstring(archive.read("[Content_Types].xml"), _parser())


def carry_charts(original: bytes, saved: bytes, rel: str, extension: Extension) -> bytes:
    """Return `saved` (the workbook as openpyxl wrote it) with each chart part replaced by the one of
    `original` it was read from, ranges extended by `extension`; the chart's own parts (style,
    colours, shapes) come along.  Raises DataError when openpyxl dropped a chart."""
    from .recalc import serialize

    with zipfile.ZipFile(io.BytesIO(original)) as old, zipfile.ZipFile(io.BytesIO(saved)) as new:
        before, after = charts_by_sheet(old), charts_by_sheet(new)
        if not before:
            return saved
        files: dict[str, bytes] = {n: new.read(n) for n in new.namelist()}
        types = _content_types(new)
        old_types = _content_types(old)
        for sheet, parts in before.items():
            if len(after.get(sheet, [])) != len(parts):
                raise DataError(
                    f"the sheet's {len(parts)} chart(s) could not all be carried into the new edition "
                    "(a chart type openpyxl cannot read?)",
                    Location(rel, sheet),
                    code="bad_workbook",
                )
            for source, target in zip(parts, after[sheet]):
                files[target] = rewrite_chart(old.read(source), extension, None)
                files.pop(_rels_of(target), None)  # -- openpyxl's own, if any: the original's replace them --
                _copy_relations(old, source, target, files, old_types, types)
        files["[Content_Types].xml"] = serialize(types, new.read("[Content_Types].xml"))
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            for info in new.infolist():
                z.writestr(info, files.pop(info.filename))
            for name in sorted(files):
                z.writestr(name, files[name])
    return out.getvalue()


def _copy_relations(
    old: zipfile.ZipFile, source: str, target: str, files: dict[str, bytes], old_types: Any, types: Any
) -> None:
    """Copy the parts `source` relates to (a chart's style, colours, shapes, and theirs in turn) from
    `old` into `files` for the part `target`, under names not taken yet."""
    from lxml import etree

    from .recalc import serialize

    name = _rels_of(source)
    if name not in old.namelist():
        return
    root = etree.fromstring(old.read(name), _parser())
    for rel in root.iter(f"{{{_PKG}}}Relationship"):
        ref = rel.get("Target", "")
        if rel.get("TargetMode") == "External" or ref.startswith("/"):
            continue
        part = posixpath.normpath(posixpath.join(posixpath.dirname(source), ref))
        if part not in old.namelist():
            continue
        stem, ext = posixpath.splitext(part)
        copy, n = part, 1
        while copy in files:
            copy, n = f"{stem}_{n}{ext}", n + 1
        files[copy] = old.read(part)
        _copy_override(old_types, types, "/" + part, "/" + copy)
        rel.set("Target", posixpath.relpath(copy, posixpath.dirname(target)))
        _copy_relations(old, part, copy, files, old_types, types)
    files[_rels_of(target)] = serialize(root, old.read(name))


def _copy_override(old_types: Any, types: Any, part_name: str, new_name: str) -> None:
    """Declare `new_name` with the content type `part_name` had in the original package, if it had its
    own (otherwise its extension's default applies, as it did)."""
    from copy import deepcopy

    for override in old_types.findall(f"{{{_CT}}}Override"):
        if override.get("PartName") == part_name:
            added = deepcopy(override)
            added.set("PartName", new_name)
            types.append(added)
            return


def refresh_caches(data: bytes, lookup: Lookup) -> bytes:
    """Return the workbook `data` with every chart's caches taken from the cells (`lookup`); other parts
    are copied unchanged."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        charts = {p for parts in charts_by_sheet(archive).values() for p in parts}
        if not charts:
            return data
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as z:
            for info in archive.infolist():
                body = archive.read(info.filename)
                z.writestr(info, rewrite_chart(body, {}, lookup) if info.filename in charts else body)
    return out.getvalue()
