"""Compare two editions: changed figures, added or removed rows and years, reworded paragraphs.

What an editor reviews before release.  Works on the data and on the document model (no Word
file is needed): the text diff aligns paragraphs section by section.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .config import Manifest
from .context import Data, RecordTable, SeriesTable
from .model import Document, Heading, ListBlock, Paragraph, Run


@dataclass
class EditionDiff:
    """Differences between edition `old` and edition `new`."""

    old: int
    new: int
    figures: list[dict[str, Any]] = field(default_factory=list)
    rows_added: list[dict[str, Any]] = field(default_factory=list)
    rows_removed: list[dict[str, Any]] = field(default_factory=list)
    years_added: list[dict[str, Any]] = field(default_factory=list)
    years_removed: list[dict[str, Any]] = field(default_factory=list)
    tables_added: list[str] = field(default_factory=list)
    tables_removed: list[str] = field(default_factory=list)
    paragraphs: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _value(v: Any) -> Any:
    return float(v) if isinstance(v, float) else (str(v) if v is not None else None)


def diff_data(old: Data, new: Data, out: EditionDiff) -> None:
    """Fill `out` with the data differences, table by table."""
    old_ids, new_ids = set(old), set(new)
    out.tables_added = sorted(new_ids - old_ids)
    out.tables_removed = sorted(old_ids - new_ids)
    for tid in sorted(old_ids & new_ids):
        a, b = old[tid], new[tid]
        if isinstance(a, SeriesTable) and isinstance(b, SeriesTable):
            _diff_series(tid, a, b, out)
        elif isinstance(a, RecordTable) and isinstance(b, RecordTable):
            _diff_records(tid, a, b, out)


def _diff_series(tid: str, a: SeriesTable, b: SeriesTable, out: EditionDiff) -> None:
    for y in sorted(set(b.years) - set(a.years)):
        out.years_added.append({"table": tid, "year": y, "forecast": b.is_forecast(y)})
    for y in sorted(set(a.years) - set(b.years)):
        out.years_removed.append({"table": tid, "year": y})
    for label in b.labels:
        if label not in a.labels:
            out.rows_added.append({"table": tid, "row": label})
    for label in a.labels:
        if label not in b.labels:
            out.rows_removed.append({"table": tid, "row": label})
            continue
        sa, sb = a.row(label), b.row(label)
        for y in sorted(set(sa.years) & set(sb.years)):
            va, vb = float(sa.value(y)), float(sb.value(y))
            if abs(va - vb) > 1e-9 * max(1.0, abs(va)):
                out.figures.append(
                    {
                        "table": tid,
                        "title": b.title,
                        "row": label,
                        "year": y,
                        "old": va,
                        "new": vb,
                        "unit": b.unit,
                        "old_forecast": a.is_forecast(y),
                        "new_forecast": b.is_forecast(y),
                        "cell": sb.value(y).refs[-1].cell,
                    }
                )


def _diff_records(tid: str, a: RecordTable, b: RecordTable, out: EditionDiff) -> None:
    la = [str(r.label) for r in a.records]
    lb = [str(r.label) for r in b.records]
    for label in lb:
        if label not in la:
            out.rows_added.append({"table": tid, "row": label})
    for label in la:
        if label not in lb:
            out.rows_removed.append({"table": tid, "row": label})
    for label in lb:
        if label in la:
            ra, rb = a.find(label), b.find(label)
            for col in b.columns[1:]:
                if col in a.columns and _value(ra[col]) != _value(rb[col]):
                    out.figures.append(
                        {
                            "table": tid,
                            "title": b.title,
                            "row": label,
                            "column": col,
                            "old": _value(ra[col]),
                            "new": _value(rb[col]),
                        }
                    )


def _paragraphs(blocks: list[Any]) -> list[tuple[str, str]]:
    """(section, text) of every paragraph and list, in order."""
    section = ""
    out = []
    for b in blocks:
        if isinstance(b, Heading) and b.level <= 2:
            section = b.full_text
        elif isinstance(b, Paragraph):
            out.append((section, b.text))
        elif isinstance(b, ListBlock):
            out.extend((section, "".join(r.text for r in item)) for item in b.items)
    return out


def diff_text(old_blocks: list[Any], new_blocks: list[Any], out: EditionDiff) -> None:
    """Fill `out.paragraphs` with reworded, added and removed paragraphs."""
    a, b = _paragraphs(old_blocks), _paragraphs(new_blocks)
    matcher = difflib.SequenceMatcher(a=[t for _s, t in a], b=[t for _s, t in b], autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        pairs = max(i2 - i1, j2 - j1)
        for k in range(pairs):
            old = a[i1 + k] if i1 + k < i2 else None
            new = b[j1 + k] if j1 + k < j2 else None
            out.paragraphs.append(
                {
                    "section": (new or old)[0],  # type: ignore[index]
                    "change": "changed" if old and new else ("added" if new else "removed"),
                    "old": old[1] if old else None,
                    "new": new[1] if new else None,
                }
            )


_TOKEN = re.compile(r"\d[\d,.]*(?:-\d[\d,.]*)?%?|[A-Za-z]+|\s+|.", re.S)


def _char_runs(old: str, new: str) -> tuple[Run, ...]:
    """Runs that turn `old` into `new` with tracked deletions and insertions; a number or a Latin
    word changes as a whole, Chinese text character by character."""
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    runs: list[Run] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            runs.append(Run("".join(b[j1:j2])))
            continue
        if i2 > i1:
            runs.append(Run("".join(a[i1:i2]), change="del"))
        if j2 > j1:
            runs.append(Run("".join(b[j1:j2]), change="ins"))
    return tuple(runs)


def redline(old_blocks: list[Any], new_document: Document) -> Document:
    """Return `new_document` with each reworded paragraph shown as tracked changes from the old text."""
    old_texts = [b.text for b in old_blocks if isinstance(b, Paragraph)]
    new_paras = [b for b in new_document.blocks if isinstance(b, Paragraph)]
    matcher = difflib.SequenceMatcher(a=old_texts, b=[p.text for p in new_paras], autojunk=False)
    replaced: dict[int, tuple[Run, ...]] = {}
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        for k in range(j2 - j1):
            old = old_texts[i1 + k] if i1 + k < i2 else ""
            replaced[j1 + k] = _char_runs(old, new_paras[j1 + k].text)
    blocks, n = [], 0
    for b in new_document.blocks:
        if isinstance(b, Paragraph):
            if n in replaced:
                b = dataclasses.replace(b, runs=replaced[n])
            n += 1
        blocks.append(b)
    return Document(new_document.meta, blocks)


def write_redline(project: Path | Manifest, old: int, new: int, target: Path) -> Path:
    """Write the new edition as a DOCX whose reworded paragraphs carry tracked changes from the old one."""
    from .atomic import write_file
    from .docx import write_docx
    from .pipeline import as_manifest, build_document, load_data, prepare

    manifest = as_manifest(project)
    project = manifest.root
    target = manifest.check_output(target, "--redline")
    prepared = prepare(manifest, new)
    old_doc = build_document(manifest, load_data(project, old), old)
    write_file(target, write_docx(redline(old_doc.blocks, prepared.document), prepared.reference))
    return target


def diff_editions(project: Path | Manifest, old: int, new: int) -> EditionDiff:
    """Return the differences between editions `old` and `new` of the project (its folder, or its
    manifest when the caller has parsed it)."""
    from .pipeline import as_manifest, build_document, load_data

    manifest = as_manifest(project)
    project = manifest.root
    data_old, data_new = load_data(project, old), load_data(project, new)
    out = EditionDiff(old, new)
    diff_data(data_old, data_new, out)
    doc_old = build_document(manifest, data_old, old)
    doc_new = build_document(manifest, data_new, new)
    diff_text(doc_old.blocks, doc_new.blocks, out)
    return out


def format_diff(d: EditionDiff, limit: int = 0) -> list[str]:
    """Return the human-readable report, one line per difference."""
    lines = [f"edition {d.old} -> {d.new}"]

    def num(v: Any) -> str:
        return f"{v:,.2f}".rstrip("0").rstrip(".") if isinstance(v, float) else str(v)

    lines.append(f"figures changed: {len(d.figures)}")
    for f in d.figures[: limit or None]:
        where = f"{f['year']}" if "year" in f else f["column"]
        lines.append(
            f"  {f['table']} [{f['row']}] {where}: {num(f['old'])} -> {num(f['new'])} {f.get('unit', '')}".rstrip()
        )
    for name, items in (
        ("years added", d.years_added),
        ("years removed", d.years_removed),
        ("rows added", d.rows_added),
        ("rows removed", d.rows_removed),
    ):
        lines.append(f"{name}: {len(items)}")
        for it in items[: limit or None]:
            extra = f" {it['year']}{'E' if it.get('forecast') else ''}" if "year" in it else f" [{it['row']}]"
            lines.append(f"  {it['table']}{extra}")
    for name, ids in (("tables added", d.tables_added), ("tables removed", d.tables_removed)):
        if ids:
            lines.append(f"{name}: {', '.join(ids)}")
    lines.append(f"paragraphs reworded: {len(d.paragraphs)}")
    for p in d.paragraphs[: limit or None]:
        lines.append(f"  [{p['section']}] {p['change']}")
        if p["old"]:
            lines.append(f"    - {p['old']}")
        if p["new"]:
            lines.append(f"    + {p['new']}")
    return lines
