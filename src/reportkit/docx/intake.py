"""What reportkit takes from a reference .docx: its styles and page setup, nothing active or external.

A reference made by someone else can carry macros (vbaProject.bin, a .docm), ActiveX controls, OLE
objects, fields that run or fetch something when Word updates them (DDEAUTO, INCLUDETEXT), and
relationships to the outside (an attachedTemplate on a web server, a tracking hyperlink), all of
which would travel into every delivered report.  Active content is refused with one line naming it;
external relationships, and parts that have no place in a report (comments, a glossary, printer
settings, a thumbnail, signatures), are removed.  A reference without a usable page setup is
refused here, so that `check` and `render` agree about it.
"""

from __future__ import annotations

import functools
import io
import os
import posixpath
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

from .. import limits
from ..errors import Location, StyleError
from ..intake import open_package, read_file

_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_PR = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_CT = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
# -- active content, by words of its content type or of its relationship's kind: refused, never carried --
_ACTIVE = (
    ("vbaproject", "macros"),
    ("vbadata", "macros"),
    ("macroenabled", "macros"),
    ("keymapcustomizations", "macro key bindings"),
    ("attachedtoolbars", "macro toolbars"),
    ("activex", "an ActiveX control"),
    ("oleobject", "an embedded OLE object"),
    ("extensibility", "a ribbon customisation"),
    ("customui", "a ribbon customisation"),
)
_ACTIVE_KINDS = {"control": "an ActiveX control"}
# -- relationship kinds (last path segment) that have no place in a report: removed --
_DROPPED = {
    "comments",
    "commentsExtended",
    "commentsIds",
    "commentsExtensible",
    "people",
    "glossaryDocument",
    "printerSettings",
    "thumbnail",
    "digital-signature",
    "origin",
    "aFChunk",
    "attachedTemplate",
    "hyperlink",
    "subDocument",
    "frame",
}
_ACTIVE_FIELDS = re.compile(
    r"^\s*(DDE|DDEAUTO|INCLUDETEXT|INCLUDEPICTURE|IMPORT|LINK|INCLUDE|DATABASE|MACROBUTTON)\b", re.IGNORECASE
)
TWIPS_PER_INCH = 1440


@dataclass(frozen=True)
class Reference:
    """A reference document as the writer may use it."""

    data: bytes
    """The package, with external relationships and foreign parts removed."""
    text_width_in: float
    """The width of the body section's text area, in inches."""


def load_reference(path: Path, shown: str | None = None) -> Reference:
    """Read and clean the reference .docx at `path` (its place in the project vetted by the manifest).

    Raises StyleError, located at `shown` (the path as the user wrote it), for a file that is not a
    usable Word document.
    """
    shown = shown or str(path)
    try:
        real = Path(os.path.realpath(path))
        info = real.stat()
        key = (str(real), info.st_size, info.st_mtime_ns)
    except OSError:
        key = (str(path), -1, -1)
        real = path
    try:
        return _load(key, real)
    except StyleError as exc:
        raise StyleError(exc.message, Location(shown), code=exc.code) from None


@functools.lru_cache(maxsize=8)
def _load(key: tuple[str, int, int], path: Path) -> Reference:
    data = read_file(path, path.parent, limits.REFERENCE_BYTES, StyleError, str(path), what="reference document")
    zf = open_package(
        data,
        StyleError,
        str(path),
        "a Word document (.docx); save it in Word as Word Document",
        bad_code="bad_reference",
    )
    with zf:
        parts = {i.filename: zf.read(i) for i in zf.infolist() if not i.is_dir()}
    cleaned = _Cleaner(parts).run()
    return Reference(data if cleaned is None else cleaned, _text_width(parts))


def _fail(message: str, code: str = "bad_reference") -> StyleError:
    return StyleError(message, code=code)


def _xml(parts: dict[str, bytes], name: str, data: bytes | None = None) -> Any:
    try:
        return etree.fromstring(parts[name] if data is None else data, _PARSER)
    except KeyError:
        raise _fail(f"the reference document has no {name}; save it again in Word") from None
    except etree.XMLSyntaxError as exc:
        raise _fail(
            f"{name} in the reference document is not well-formed XML ({exc.msg}); save it again in Word"
        ) from None


def _rels_name(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", f"{name}.rels")


class _Cleaner:
    """Walks the package from its root along relationships; keeps only what a report may carry."""

    def __init__(self, parts: dict[str, bytes]):
        self.parts = parts
        self.changed: dict[str, bytes] = {}
        self.dropped: set[str] = set()

    def run(self) -> bytes | None:
        """The cleaned package, or None when nothing had to go."""
        types = self._content_types()
        main = self._main_part()
        if types.get(main) != _MAIN:
            if "macroenabled" in types.get(main, "").lower():
                raise _fail(
                    "refused: the reference is a macro-enabled document (.docm or .dotm); save it in Word "
                    "as Word Document (.docx)",
                    "active_content",
                )
            raise _fail(
                f"the reference is not a Word document (its main part is {types.get(main) or 'missing'}); "
                "save it in Word as Word Document (.docx)"
            )
        for name, ctype in types.items():
            self._refuse_active(ctype, name)
        seen: set[str] = set()
        todo = [""]
        while todo:
            source = todo.pop()
            if source in seen:
                continue
            seen.add(source)
            todo.extend(self._relationships(source))
        kept = seen - {""}
        for name in self.parts:
            if name.endswith(".rels") or name == "[Content_Types].xml":
                continue
            if name not in kept:
                self.dropped.add(name)
        for name in kept:
            if name.endswith(".xml") and name.startswith("word/"):
                self._refuse_active_fields(name)
        if not self.changed and not self.dropped:
            return None
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, data in self.parts.items():
                if name in self.dropped or (name.endswith(".rels") and self._rels_source(name) in self.dropped):
                    continue
                zf.writestr(name, self.changed.get(name, data))
        return out.getvalue()

    def _content_types(self) -> dict[str, str]:
        root = _xml(self.parts, "[Content_Types].xml")
        defaults = {d.get("Extension", "").lower(): d.get("ContentType", "") for d in root.iter(f"{_CT}Default")}
        overrides = {o.get("PartName", "").lstrip("/"): o.get("ContentType", "") for o in root.iter(f"{_CT}Override")}
        types = {}
        for name in self.parts:
            ext = name.rsplit(".", 1)[-1].lower() if "." in name.rsplit("/", 1)[-1] else ""
            types[name] = overrides.get(name) or defaults.get(ext, "")
        return types

    def _main_part(self) -> str:
        root = _xml(self.parts, "_rels/.rels")
        for rel in root.iter(f"{_PR}Relationship"):
            if rel.get("Type", "").endswith("/officeDocument") and rel.get("TargetMode") != "External":
                return posixpath.normpath(str(rel.get("Target", "")).lstrip("/"))
        raise _fail("the reference document has no main part; save it again in Word")

    @staticmethod
    def _rels_source(rels: str) -> str:
        folder, name = posixpath.split(rels)
        return posixpath.join(posixpath.dirname(folder), name[: -len(".rels")]) if name != ".rels" else ""

    @staticmethod
    def _refuse_active(kind: str, name: str) -> None:
        lowered = kind.lower()
        for marker, what in _ACTIVE:
            if marker in lowered:
                raise _fail(
                    f"refused: the reference document carries {what} ({name}); a report never carries "
                    "active content: save the reference in Word as Word Document (.docx) without it",
                    "active_content",
                )

    def _relationships(self, source: str) -> list[str]:
        """The parts `source` may keep; external and foreign relationships are removed from it."""
        rels_name = _rels_name(source) if source else "_rels/.rels"
        if rels_name not in self.parts:
            return []
        root = _xml(self.parts, rels_name)
        removed: set[str] = set()
        targets = []
        base = posixpath.dirname(source)
        for rel in list(root.iter(f"{_PR}Relationship")):
            kind, target = rel.get("Type", ""), rel.get("Target", "")
            self._refuse_active(kind.rsplit("/", 1)[-1], target)
            if kind.rsplit("/", 1)[-1] in _ACTIVE_KINDS:
                raise _fail(
                    f"refused: the reference document carries {_ACTIVE_KINDS[kind.rsplit('/', 1)[-1]]} "
                    f"({target}); delete it in Word",
                    "active_content",
                )
            resolved = posixpath.normpath(
                target.lstrip("/") if target.startswith("/") else posixpath.join(base, target)
            )
            if rel.get("TargetMode") == "External" or kind.rsplit("/", 1)[-1] in _DROPPED or resolved not in self.parts:
                removed.add(rel.get("Id", ""))
                root.remove(rel)
                continue
            targets.append(resolved)
        if removed:
            self.changed[rels_name] = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
            if source:
                self._unlink(source, removed)
        return targets

    def _unlink(self, part: str, ids: set[str]) -> None:
        """Remove from `part` whatever uses the removed relationships: a hyperlink keeps its text."""
        if not part.endswith(".xml"):
            return
        root = _xml(self.parts, part, self.changed.get(part))
        for el in list(root.iter()):
            if not isinstance(el.tag, str) or not any(
                k.startswith(f"{{{_R}}}") and v in ids for k, v in el.attrib.items()
            ):
                continue
            parent = el.getparent()
            if parent is None:
                continue
            if el.tag == f"{{{_W}}}hyperlink":
                for child in list(el):
                    el.addprevious(child)
            parent.remove(el)
        self.changed[part] = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)

    def _refuse_active_fields(self, name: str) -> None:
        data = self.changed.get(name, self.parts[name])
        if b"instrText" not in data and b"fldSimple" not in data:
            return
        root = _xml(self.parts, name, data)
        instructions = [t.text or "" for t in root.iter(f"{{{_W}}}instrText")]
        instructions += [f.get(f"{{{_W}}}instr", "") for f in root.iter(f"{{{_W}}}fldSimple")]
        for text in instructions:
            m = _ACTIVE_FIELDS.match(text)
            if m:
                raise _fail(
                    f"refused: the reference document has a {m.group(1).upper()} field in {name}, which "
                    "fetches or runs something when Word updates fields; delete it in Word",
                    "active_content",
                )


def _twips(el: Any, attr: str) -> int | None:
    value = el.get(f"{{{_W}}}{attr}") if el is not None else None
    if value is None or not re.fullmatch(r"-?\d{1,7}", value.strip()):
        return None
    return int(value)


def _text_width(parts: dict[str, bytes]) -> float:
    """The text width of the body's section (the one the writer keeps), checked to be usable."""
    root = _xml(parts, "word/document.xml")
    body = root.find(f"{{{_W}}}body")
    sect = body.find(f"{{{_W}}}sectPr") if body is not None else None
    if sect is None:
        raise _fail(
            "the reference document has no page setup (w:sectPr in its body); open it in Word, set the "
            "page in Layout > Page Setup, and save it again"
        )
    size, margins = sect.find(f"{{{_W}}}pgSz"), sect.find(f"{{{_W}}}pgMar")
    width, height = _twips(size, "w"), _twips(size, "h")
    left, right = _twips(margins, "left"), _twips(margins, "right")
    if None in (width, height, left, right):
        raise _fail(
            "the reference document's page setup gives no page size or side margins; set them in Word "
            "(Layout > Page Setup) and save it again"
        )
    cm = 2.54 / TWIPS_PER_INCH
    largest = 22 * TWIPS_PER_INCH  # -- Word's own largest page --
    if not (TWIPS_PER_INCH <= width <= largest and TWIPS_PER_INCH <= height <= largest):  # type: ignore[operator]
        raise _fail(
            f"the reference document's page is {width * cm:.1f} × {height * cm:.1f} cm; a page is between "  # type: ignore[operator]
            "2.5 and 55.9 cm on each side"
        )
    text = width - left - right  # type: ignore[operator]
    if text < TWIPS_PER_INCH:
        raise _fail(
            f"the reference document leaves a text area {text * cm:.1f} cm wide (page {width * cm:.1f} cm, "  # type: ignore[operator]
            f"margins {left * cm:.1f} + {right * cm:.1f} cm); it must be at least 2.5 cm: reduce the "  # type: ignore[operator]
            "margins in Layout > Page Setup"
        )
    return text / TWIPS_PER_INCH
