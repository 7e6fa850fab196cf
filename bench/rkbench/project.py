"""Fresh copies of the report project to time renders in (the repository's own build/ is never touched)."""

from __future__ import annotations

import json
import re
import shutil
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent.parent
YEAR = 2024
ENGINES = ("native", "image")
"""The chart engines compared: native Word charts and matplotlib pictures (`charts` under [report])."""


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # -- JSON string escapes are valid TOML basic strings --
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return (
            "{ " + ", ".join(f"{json.dumps(k, ensure_ascii=False)} = {toml_value(v)}" for k, v in value.items()) + " }"
        )
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def dump_toml(data: dict[str, Any]) -> str:
    """Write a manifest-shaped dict ([table]s of scalars/lists, [[array]]s of tables) as TOML."""
    lines: list[str] = []
    for key, value in data.items():
        if isinstance(value, dict):
            lines.append(f"[{key}]")
            lines += [f"{json.dumps(k, ensure_ascii=False)} = {toml_value(v)}" for k, v in value.items()]
        elif isinstance(value, list) and all(isinstance(v, dict) for v in value):
            for item in value:
                lines.append(f"[[{key}]]")
                for k, v in item.items():
                    if isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
                        lines.append(f"{k} = [")
                        lines += [f"  {toml_value(x)}," for x in v]
                        lines.append("]")
                    else:
                        lines.append(f"{k} = {toml_value(v)}")
                lines.append("")
        else:
            raise TypeError(f"unexpected top-level key {key!r}")
        lines.append("")
    return "\n".join(lines)


def with_engine(text: str, engine: str) -> str:
    """report.toml `text` with `charts = engine` under [report], the rest of the file as it was."""
    report = re.search(r"(?m)^\[report\]\s*$", text)
    if report is None:
        raise SystemExit("bench: report.toml has no [report] table")
    end = re.search(r"(?m)^\[", text[report.end() :])
    body_end = report.end() + (end.start() if end else len(text) - report.end())
    body = text[report.end() : body_end]
    line = f'charts = "{engine}"'
    body = re.sub(r"(?m)^charts\s*=.*$", line, body) if re.search(r"(?m)^charts\s*=", body) else f"\n{line}{body}"
    return text[: report.end()] + body + text[body_end:]


def copy_project(dest: Path, repeat: int = 1, engine: str | None = None) -> Path:
    """Copy report.toml, templates/ and datasets/YEAR/ (and a reference .docx if set) to `dest`.

    With `repeat` > 1 the outline's chapters are repeated that many times with distinct titles,
    every copy pointing at the same templates.  `engine` sets the project's chart engine.
    """
    dest.mkdir(parents=True)
    text = (ROOT / "report.toml").read_text(encoding="utf-8")
    manifest = tomllib.loads(text)
    shutil.copytree(ROOT / "templates", dest / "templates")
    shutil.copytree(ROOT / "datasets" / str(YEAR), dest / "datasets" / str(YEAR))
    ref = manifest.get("report", {}).get("reference_docx")
    if ref:
        (dest / ref).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / ref, dest / ref)
    if repeat > 1:
        chapters = manifest.get("chapters", [])
        copies = []
        for k in range(1, repeat + 1):
            for ch in chapters:
                suffix = "" if k == 1 else f"（{k}）"
                copies.append(
                    {
                        **ch,
                        "title": ch["title"] + suffix,
                        "sections": [{**s, "title": s["title"] + suffix} for s in ch.get("sections", [])],
                    }
                )
        manifest["chapters"] = copies
        text = dump_toml(manifest)
    if engine is not None:
        text = with_engine(text, engine)
    (dest / "report.toml").write_text(text, encoding="utf-8")
    return dest


def clear(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def set_cell(path: Path, sheet: str, cell: str, value: float) -> None:
    from openpyxl import load_workbook

    wb = load_workbook(path)
    wb[sheet][cell].value = value
    wb.save(path)


def first_number(path: Path, sheet: str) -> tuple[str, float] | None:
    """The first number of the first data row under the sheet's year header, not in its first year
    column (so a growth rate from it changes too), and its value."""
    from openpyxl import load_workbook

    rows = list(load_workbook(path, read_only=True)[sheet].iter_rows())
    for i, row in enumerate(rows):
        years = [c for c in row[1:] if re.fullmatch(r"(19|20)\d\dE?", str(c.value or ""))]
        if len(years) >= 2:
            for data in rows[i + 1 :]:
                numbers = [c for c in data[2:] if isinstance(c.value, (int, float)) and not isinstance(c.value, bool)]
                if numbers:
                    return numbers[0].coordinate, numbers[0].value
            return None
    return None
