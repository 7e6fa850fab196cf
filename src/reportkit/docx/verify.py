"""A last look at a DOCX before it is delivered: the package rules Word enforces and a schema cannot.

Word refuses, or "repairs", a file whose package is inconsistent (a part without a content type, a
relationship to a part that is not there, an r:id that names no relationship) or whose body breaks
rules that hold across elements (a field opened and never closed, two drawings with one id, a
table cell that does not end with a paragraph).  Every render is checked for these before it is
written; the tests run the same checks next to a schema validator.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from collections import Counter
from typing import Any

from docx import Document as open_docx
from docx.image.image import Image
from lxml import etree

from ..errors import OutputError

_CT = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_NS = {
    "w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    "wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
}
_W = f"{{{_NS['w']}}}"
_STORIES = {f"{_W}{t}" for t in ("document", "hdr", "ftr", "footnotes", "endnotes", "comments")}
_WML = "application/vnd.openxmlformats-officedocument.wordprocessingml."
# -- what Word reads a part as is its content type, not its name: a header typed plain XML is lost --
_TYPE_OF_REL = {
    "officeDocument": (
        f"{_WML}document.main+xml",
        f"{_WML}template.main+xml",
        "application/vnd.ms-word.document.macroEnabled.main+xml",
        "application/vnd.ms-word.template.macroEnabledTemplate.main+xml",
    ),
    **{
        kind: (f"{_WML}{kind}+xml",)
        for kind in (
            "styles",
            "settings",
            "webSettings",
            "fontTable",
            "numbering",
            "header",
            "footer",
            "footnotes",
            "endnotes",
            "comments",
        )
    },
    "theme": ("application/vnd.openxmlformats-officedocument.theme+xml",),
    "core-properties": ("application/vnd.openxmlformats-package.core-properties+xml",),
    "extended-properties": ("application/vnd.openxmlformats-officedocument.extended-properties+xml",),
    "customXmlProps": ("application/vnd.openxmlformats-officedocument.customXmlProperties+xml",),
}


def docx_problems(data: bytes) -> list[str]:
    """Return one line per rule of the package or the body that `data` breaks; [] for a sound DOCX."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        return [f"not a zip package: {exc}"]
    with zf:
        names = zf.namelist()
        problems = [f"{n}: the package holds this entry {k} times" for n, k in Counter(names).items() if k > 1]
        bad = zf.testzip()
        if bad is not None:
            return problems + [f"{bad}: fails its checksum"]
        parser = etree.XMLParser(resolve_entities=False, no_network=True)
        trees: dict[str, Any] = {}
        for name in names:
            if name.endswith((".xml", ".rels")):
                try:
                    trees[name] = etree.fromstring(zf.read(name), parser)
                except etree.XMLSyntaxError as exc:
                    problems.append(f"{name}: not well-formed XML: {exc}")
        if problems:
            return problems
        parts = {n for n in names if not n.endswith("/")}
        types = _content_types(trees.get("[Content_Types].xml"), parts, problems)
        rels = _relationships(trees, parts, types, problems)
        _nothing_external_or_active(trees, types, problems)
        _rel_ids_resolve(trees, rels, problems)
        _images_decode(zf, types, problems)
        stories = {n: t for n, t in trees.items() if t.tag in _STORIES}
        _fields_balance(stories, problems)
        _drawing_ids_unique(stories, problems)
        _bookmarks_pair(stories, problems)
        _cells_end_with_paragraph(stories, problems)
    if not problems:
        try:
            open_docx(io.BytesIO(data))
        except Exception as exc:  # python-docx raises several types for a bad package
            problems.append(f"python-docx cannot open it: {exc}")
    return problems


def verify_docx(data: bytes) -> None:
    """Raise OutputError unless `data` is a DOCX that breaks none of the rules of `docx_problems`."""
    problems = docx_problems(data)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise OutputError(
            f"the DOCX failed its final check and was not written: {problems[0]}{more}", code="bad_output"
        )


def _content_types(root: Any, parts: set[str], problems: list[str]) -> dict[str, str]:
    """Part name -> content type; every part needs one, and every override a part."""
    if root is None:
        problems.append("[Content_Types].xml is missing")
        return {}
    defaults = {d.get("Extension", "").lower(): d.get("ContentType", "") for d in root.iter(f"{_CT}Default")}
    overrides = {
        o.get("PartName", "").lstrip("/").lower(): o.get("ContentType", "") for o in root.iter(f"{_CT}Override")
    }
    lowered = {p.lower() for p in parts}
    for name in sorted(set(overrides) - lowered):
        problems.append(f"[Content_Types].xml: override for /{name}, which the package does not hold")
    types = {}
    for part in sorted(parts - {"[Content_Types].xml"}):
        ext = part.rsplit(".", 1)[-1].lower() if "." in part.rsplit("/", 1)[-1] else ""
        ctype = overrides.get(part.lower()) or defaults.get(ext)
        if ctype:
            types[part] = ctype
        else:
            problems.append(f"{part}: no content type in [Content_Types].xml")
    return types


def _relationships(
    trees: dict[str, Any], parts: set[str], types: dict[str, str], problems: list[str]
) -> dict[str, set[str]]:
    """Source part -> its relationship ids; every internal target must be a part of the package,
    of the content type its relationship calls for."""
    found: dict[str, set[str]] = {}
    for name, root in trees.items():
        if not name.endswith(".rels"):
            continue
        folder, rels_name = posixpath.split(name)
        if posixpath.basename(folder) != "_rels":
            problems.append(f"{name}: a relationships part outside a _rels folder")
            continue
        base = posixpath.dirname(folder)
        source = posixpath.join(base, rels_name[: -len(".rels")]) if rels_name != ".rels" else ""
        if source and source not in parts:
            problems.append(f"{name}: relationships of {source}, which the package does not hold")
        ids: Counter[str] = Counter()
        for rel in root.iter(f"{_REL}Relationship"):
            rid, target = rel.get("Id", ""), rel.get("Target", "")
            ids[rid] += 1
            if rel.get("TargetMode") == "External":
                continue
            resolved = posixpath.normpath(
                target.lstrip("/") if target.startswith("/") else posixpath.join(base, target)
            )
            if resolved not in parts:
                problems.append(f"{name}: {rid} points to {target}, which the package does not hold")
                continue
            kind = rel.get("Type", "").rsplit("/", 1)[-1]
            ctype = types.get(resolved, "")
            wanted = ("image/",) if kind == "image" else _TYPE_OF_REL.get(kind)
            if ctype and wanted and not ctype.startswith(wanted):
                problems.append(f"{name}: {rid} is a {kind} relationship to {resolved}, whose content type is {ctype}")
        problems.extend(f"{name}: relationship id {rid} is used {k} times" for rid, k in ids.items() if k > 1)
        found[source] = set(ids)
    return found


_ACTIVE_TYPES = (
    "vbaProject",
    "vbaData",
    "macroEnabled",
    "activeX",
    "oleObject",
    "keyMapCustomizations",
    "attachedToolbars",
)


def _nothing_external_or_active(trees: dict[str, Any], types: dict[str, str], problems: list[str]) -> None:
    """A report points nowhere outside itself and carries nothing that runs (templates ask for no
    hyperlink, so no relationship is external)."""
    for name, root in trees.items():
        if name.endswith(".rels"):
            for rel in root.iter(f"{_REL}Relationship"):
                if rel.get("TargetMode") == "External":
                    problems.append(f"{name}: {rel.get('Id')} points outside the document, to {rel.get('Target')}")
    for part, ctype in types.items():
        if any(word.lower() in ctype.lower() for word in _ACTIVE_TYPES):
            problems.append(f"{part}: active content ({ctype})")


def _rel_ids_resolve(trees: dict[str, Any], rels: dict[str, set[str]], problems: list[str]) -> None:
    """Every r:id, r:embed, r:link ... in a part names one of that part's relationships."""
    for name, root in trees.items():
        if name.endswith(".rels") or name == "[Content_Types].xml":
            continue
        known = rels.get(name, set())
        for attr in root.xpath("//@r:*", namespaces=_NS):
            if attr not in known:
                local = etree.QName(attr.attrname).localname
                problems.append(f'{name}: r:{local}="{attr}" names no relationship of this part')


def _images_decode(zf: zipfile.ZipFile, types: dict[str, str], problems: list[str]) -> None:
    for part, ctype in types.items():
        if not ctype.startswith("image/"):
            continue
        try:
            image = Image.from_blob(zf.read(part))
        except Exception as exc:  # python-docx raises its own error for an unknown or cut-off image
            problems.append(f"{part}: not a readable image ({exc.__class__.__name__})")
            continue
        if image.content_type != ctype:
            problems.append(f"{part}: holds {image.content_type} but is declared {ctype}")


def _fields_balance(stories: dict[str, Any], problems: list[str]) -> None:
    """Complex fields open, separate at most once and close, in order, within one story."""
    for name, root in stories.items():
        open_fields: list[bool] = []  # -- one entry per open field: has it passed its separator --
        for fld in root.iter(f"{_W}fldChar"):
            kind = fld.get(f"{_W}fldCharType")
            if kind == "begin":
                open_fields.append(False)
            elif kind == "separate":
                if not open_fields or open_fields[-1]:
                    problems.append(f"{name}: a field separator out of place (no open field, or its second)")
                    return
                open_fields[-1] = True
            elif kind == "end":
                if not open_fields:
                    problems.append(f"{name}: a field end without its begin")
                    return
                open_fields.pop()
        if open_fields:
            problems.append(f"{name}: {len(open_fields)} field(s) begun and never ended")


def _drawing_ids_unique(stories: dict[str, Any], problems: list[str]) -> None:
    ids: Counter[str] = Counter()
    for root in stories.values():
        ids.update(root.xpath("//wp:docPr/@id", namespaces=_NS))
    problems.extend(f"drawing id {i} is used {k} times" for i, k in sorted(ids.items()) if k > 1)


def _bookmarks_pair(stories: dict[str, Any], problems: list[str]) -> None:
    names: Counter[str] = Counter()
    for name, root in stories.items():
        starts = Counter(root.xpath("//w:bookmarkStart/@w:id", namespaces=_NS))
        ends = Counter(root.xpath("//w:bookmarkEnd/@w:id", namespaces=_NS))
        names.update(root.xpath("//w:bookmarkStart/@w:name", namespaces=_NS))
        problems.extend(
            f"{name}: bookmark id {i} starts {starts[i]} and ends {ends[i]} time(s)"
            for i in sorted(set(starts) | set(ends))
            if starts[i] != 1 or ends[i] != 1
        )
    problems.extend(f"bookmark {n} is defined {k} times" for n, k in sorted(names.items()) if k > 1)


def _cells_end_with_paragraph(stories: dict[str, Any], problems: list[str]) -> None:
    for name, root in stories.items():
        for tc in root.iter(f"{_W}tc"):
            blocks = [c for c in tc if isinstance(c.tag, str) and c.tag != f"{_W}tcPr"]
            if not blocks or blocks[-1].tag != f"{_W}p":
                problems.append(f"{name}: a table cell that does not end with a paragraph")
                break
