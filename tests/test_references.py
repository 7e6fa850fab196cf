"""Citations: the 文献 rows of the workbooks become a numbered 参考资料 list that the source notes point
into, and the industry-chain map shows the players the workbook lists.

The default edition is rendered once and read back; what it should cite is worked out from the
workbooks themselves (openpyxl), the provenance sidecar and the tables the DOCX prints.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import shutil
from pathlib import Path

import docx
import pytest
from conftest import ROOT, docx_findings, make_project, run_cli
from docx.oxml.ns import qn
from openpyxl import Workbook, load_workbook

from reportkit.data import load_workbook_tables
from reportkit.errors import Problem

pytestmark = pytest.mark.slow

ENTRY = re.compile(
    r"^\[(?P<n>\d+)\] (?P<publisher>.+?)\. (?P<title>.+)\[(?P<kind>[A-Z]+)(?P<ol>/OL)?\]\. "
    r"(?P<date>\d{4}(?:-\d{2}){0,2})\.(?: (?P<url>\S+))?$"
)
NUMBERS = re.compile(r"(?:\[\d+\])+")
BOOKS = ROOT / "datasets" / "2024"


# -- what the workbooks say, read with openpyxl ------------------------------------------------------
def _sheets() -> dict[tuple[str, str], dict]:
    """(file, sheet) -> its metadata (文献 rows as a list), first-column labels and every text cell."""
    out = {}
    for book in sorted(BOOKS.glob("*.xlsx")):
        for ws in load_workbook(book, data_only=True).worksheets:
            if ws["A1"].value != "ID":
                continue
            meta: dict = {"文献": []}
            rows = list(ws.iter_rows(values_only=True))
            i = 0
            while i < len(rows) and rows[i] and rows[i][0] not in (None, ""):
                key, values = str(rows[i][0]), list(rows[i][1:])
                if key == "文献":
                    meta["文献"].append(values)
                else:
                    meta[key] = values[0]
                i += 1
            data = [r for r in rows[i + 1 :] if r and r[0] not in (None, "")]
            meta["labels"] = [str(r[0]) for r in data[1:]]
            meta["records"] = [[("" if v is None else str(v)) for v in r] for r in data]
            out[(f"datasets/2024/{book.name}", ws.title)] = meta
    return out


def _citation(row: list) -> tuple[str, str, str, str, str]:
    """(publisher, title, date, url, kind) of a 文献 row as the list prints it."""
    publisher, title, date, url, kind = (row + [None] * 5)[:5]
    if isinstance(date, (dt.date, dt.datetime)):
        date = date.strftime("%Y-%m-%d")
    title = str(title)
    if title.startswith("《") and title.endswith("》"):
        title = title[1:-1]
    return str(publisher), title, str(date), str(url or ""), str(kind or "R")


@pytest.fixture(scope="module")
def report(default_docx: Path) -> Path:
    return default_docx


@pytest.fixture(scope="module")
def document(report: Path) -> docx.Document:
    return docx.Document(str(report))


def _entries(document) -> dict[int, dict]:
    paras = document.paragraphs
    start = next(i for i, p in enumerate(paras) if p.style.name == "Heading 1" and p.text == "参考资料")
    entries = {}
    for p in paras[start + 1 :]:
        m = ENTRY.match(p.text)
        if m:
            entries[int(m.group("n"))] = m.groupdict()
    return entries


def _notes(document) -> list[str]:
    return [p.text for p in document.paragraphs if p.text.startswith("数据来源：")]


def _printed_sheets(report: Path, document, sheets: dict) -> set[tuple[str, str]]:
    """Sheets the report prints from: every cell behind a printed figure (the sidecar), every record
    table whose rows (most of them) a DOCX table lists, and the tables the chain map takes its players
    from."""
    sidecar = json.loads(report.with_suffix(".sources.json").read_text(encoding="utf-8"))
    used = {(c["file"], c["sheet"]) for n in sidecar["numbers"] for c in n["cells"]}
    printed = [{c.text for row in t.rows for c in row.cells} for t in document.tables]
    for key, meta in sheets.items():
        # -- a table may leave rows out (years outside its range): most of the sheet's rows will do --
        labels = set(meta["labels"])
        if len(labels) >= 3 and any(len(labels & cells) >= 0.6 * len(labels) for cells in printed):
            used.add(key)
    by_id = {meta["ID"]: key for key, meta in sheets.items()}
    chain = sheets[by_id["industry_chain"]]
    used |= {by_id[r[4]] for r in chain["records"][1:]}
    return used


# -- the reference list --------------------------------------------------------------------------------
def test_the_list_holds_exactly_the_sources_of_the_tables_used(report: Path, document) -> None:
    sheets = _sheets()
    used = _printed_sheets(report, document, sheets)
    expected = {_citation(row) for key in used for row in sheets[key]["文献"]}
    entries = _entries(document)
    listed = [(e["publisher"], e["title"], e["date"], e["url"] or "", e["kind"]) for e in entries.values()]
    assert sorted(entries) == list(range(1, len(entries) + 1))
    assert len(listed) == len(set(listed)), "one entry per publisher, title and date"
    assert set(listed) == expected
    assert all((e["ol"] is not None) == bool(e["url"]) for e in entries.values()), "[R/OL] exactly when online"


def test_numbers_follow_the_order_of_first_citation_and_point_to_the_publisher(document) -> None:
    entries = _entries(document)
    first_seen: list[int] = []
    for note in _notes(document):
        body = note.removeprefix("数据来源：")
        for run in NUMBERS.finditer(body):
            for n in map(int, re.findall(r"\d+", run.group(0))):
                assert n in entries, f"[{n}] in {note!r} points to no entry"
                # -- the name printed right before the number is the entry's publisher --
                assert body[: run.start()].endswith(entries[n]["publisher"]), (n, entries[n]["publisher"], note)
                if n not in first_seen:
                    first_seen.append(n)
    assert first_seen, "the notes cite the list"
    assert sorted(first_seen) == first_seen == list(range(1, len(first_seen) + 1))
    # -- what no note cites comes after: sources of figures quoted only in the text --
    assert set(entries) - set(first_seen) == set(range(len(first_seen) + 1, len(entries) + 1))


def test_each_number_in_a_note_links_to_its_entry(document) -> None:
    paras = document.paragraphs
    start = next(i for i, p in enumerate(paras) if p.style.name == "Heading 1" and p.text == "参考资料")
    marks = {}
    for p in paras[start + 1 :]:
        m = ENTRY.match(p.text)
        if m:
            names = [b.get(qn("w:name")) for b in p._p.iter(qn("w:bookmarkStart"))]
            assert len(names) == 1, p.text
            marks[names[0]] = int(m.group("n"))
    linked = 0
    for p in paras[:start]:
        if not p.text.startswith("数据来源："):
            continue
        links = [(h.get(qn("w:anchor")), h.xpath("string(.)")) for h in p._p.iter(qn("w:hyperlink"))]
        assert [number for _a, number in links] == re.findall(r"\[\d+\]", p.text), p.text
        for anchor, number in links:
            assert marks[anchor] == int(number.strip("[]")), (anchor, number)
        linked += len(links)
    assert linked > 0


def test_the_list_closes_the_report_after_the_last_chapter(report: Path, document) -> None:
    heads = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert heads[-1] == "参考资料" and heads[-2].startswith("第八章")
    paras = document.paragraphs
    start = next(i for i, p in enumerate(paras) if p.text == "参考资料" and p.style.name == "Heading 1")
    entries = [p for p in paras[start + 1 :] if ENTRY.match(p.text)]
    ind = entries[0]._p.pPr.find(qn("w:ind"))
    assert ind is not None and int(ind.get(qn("w:hanging"))) > 0, "entries hang under their number"
    xml = report.read_bytes()
    assert b"\xee\x80\x83" not in xml and b"\xee\x80\x84" not in xml  # -- no marker left (U+E003/E004) --
    assert docx_findings(report) == []


def test_a_sheet_without_citations_prints_its_free_text_source(document) -> None:
    sheets = _sheets()
    plain = {meta["ID"]: meta for meta in sheets.values() if not meta["文献"] and not meta.get("示例") == "是"}
    talent = plain["ai_talent_structure"]
    assert f"数据来源：{talent['来源']}" in _notes(document)


# -- the chain map -------------------------------------------------------------------------------------
def test_the_chain_map_shows_the_workbooks_players_layer_by_layer(document) -> None:
    sheets = _sheets()
    chain = next(meta for meta in sheets.values() if meta["ID"] == "industry_chain")
    header, *records = chain["records"]
    assert header[:5] == ["环节", "类别", "企业", "角色", "出处"]
    layers: dict[str, dict[str, list[str]]] = {}
    for layer, group, player, role, _basis in (r[:5] for r in records):
        layers.setdefault(layer, {}).setdefault(group, []).append(f"{player}（{role}）" if role else player)
    paras = document.paragraphs
    caption = next(p for p in paras if p.style.name == "Caption" and p.text.endswith(chain["标题"]))
    tbl = caption._p.getnext()
    assert tbl.tag == qn("w:tbl"), "the map is a Word table, not a picture"
    table = docx.table.Table(tbl, caption._parent)
    columns = [c for i, c in enumerate(table.columns) if i % 2 == 0]
    assert [col.cells[0].text for col in columns] == list(layers)
    for col, (layer, groups) in zip(columns, layers.items()):
        boxes = [[p.text for p in cell.paragraphs] for cell in col.cells[1:] if cell.text.strip()]
        assert boxes == [[g, *players] for g, players in groups.items()], layer
    arrows = {c.text for i, col in enumerate(table.columns) if i % 2 for c in col.cells}
    assert arrows == {"→"}
    # -- one page: no row splits, every paragraph above the last row keeps with the next --
    rows = tbl.findall(qn("w:tr"))
    assert all(tr.find(qn("w:trPr")).find(qn("w:cantSplit")) is not None for tr in rows)
    for tr in rows[:-1]:
        assert all(p.find(qn("w:pPr")).find(qn("w:keepNext")) is not None for p in tr.iter(qn("w:p")))
    assert caption.paragraph_format.keep_with_next
    note = tbl.getnext().xpath("string(.)")
    assert note.startswith("数据来源：") and re.search(r"\[\d+\]", note) and note.endswith(chain["来源"])


# -- located errors ------------------------------------------------------------------------------------
def _copy_default(dest: Path) -> Path:
    shutil.copy(ROOT / "report.toml", dest / "report.toml")
    shutil.copytree(ROOT / "templates", dest / "templates")
    shutil.copytree(BOOKS, dest / "datasets" / "2024")
    return dest


def _cell_of(book: Path, sheet: str, key: str, column: str = "A") -> str:
    ws = load_workbook(book)[sheet]
    row = next(r for r in range(1, 40) if ws[f"A{r}"].value == key)
    return f"{column}{row}"


@pytest.mark.parametrize(
    ("column", "value", "said"),
    [
        ("D", "去年", "文献 日期 must be a year, month or day"),
        ("C", None, "文献 gives no 标题"),
        ("E", "www.example.com/report", "is not a web address"),
        ("F", "Q", "文献 类型 'Q' is not one of"),
        ("H", "多余", "beyond 范围"),
    ],
)
def test_a_malformed_citation_row_is_a_located_error(tmp_path: Path, column: str, value: object, said: str) -> None:
    proj = _copy_default(tmp_path)
    book = proj / "datasets" / "2024" / "市场规模.xlsx"
    cell = _cell_of(book, "市场规模", "文献", column)
    wb = load_workbook(book)
    wb["市场规模"][cell] = value
    wb.save(book)
    res = run_cli("check", "--year", "2024", "--project", str(proj))
    out = res.stdout + res.stderr
    assert res.returncode != 0 and "Traceback" not in out
    line = next(x for x in out.splitlines() if said in x)
    assert f"datasets/2024/市场规模.xlsx [市场规模] {cell}" in line, line


def test_a_chain_player_the_data_does_not_name_stops_the_check(tmp_path: Path) -> None:
    proj = _copy_default(tmp_path)
    book = proj / "datasets" / "2024" / "竞争格局.xlsx"
    wb = load_workbook(book)
    ws = wb["产业链"]
    row = next(r for r in range(1, 60) if ws[f"C{r}"].value == "山东能源集团")
    ws[f"E{row}"] = "comp_price_cuts"
    wb.save(book)
    res = run_cli("check", "--year", "2024", "--project", str(proj))
    out = res.stdout + res.stderr
    assert res.returncode != 0 and "Traceback" not in out
    assert "templates/ch5/1_产业竞争格局分析.md.j2" in out and "does not name '山东能源集团'" in out, out


def test_without_a_references_table_notes_name_publishers_without_numbers(tmp_path: Path) -> None:
    proj = _copy_default(tmp_path)
    manifest = proj / "report.toml"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(re.sub(r"\[references\]\ntitle = \"参考资料\"\n", "", text), encoding="utf-8")
    out = tmp_path / "plain.docx"
    res = run_cli("render", "--year", "2024", "--project", str(proj), "--output", str(out))
    assert res.returncode == 0, res.stderr
    document = docx.Document(str(out))
    assert "参考资料" not in [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    notes = _notes(document)
    assert not any(re.search(r"\[\d+\]", n) for n in notes)
    assert any(n.startswith("数据来源：中商产业研究院（2020、2022年）") for n in notes)


# -- the reader, on workbooks made here ----------------------------------------------------------------
def _book(meta: list[list[object]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "规模"
    for row in [["ID", "size"], ["标题", "规模"], ["单位", "亿元"], *meta, [], ["指标", 2022, 2023], ["规模", 1, 2]]:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_citation_rows_read_every_date_form_and_make_the_source_optional() -> None:
    problems: list[Problem] = []
    data = _book(
        [
            ["文献", "甲研究院", "《甲报告》", "2023", None, None, "2022年"],
            ["文献", "乙协会", "乙数据", "2023年12月", "https://example.org/b", "eb"],
            ["文献", "丙部", "丙公告", dt.datetime(2024, 3, 5)],
            ["文献", "丁社", "丁文", 2021],
        ]
    )
    (table,) = load_workbook_tables(data, "datasets/2024/t.xlsx", problems)
    assert problems == []
    assert table.source == ""
    got = [(c.publisher, c.title, str(c.date), c.url, c.kind, c.scope) for c in table.citations]
    assert got == [
        ("甲研究院", "甲报告", "2023", "", "R", "2022年"),
        ("乙协会", "乙数据", "2023-12", "https://example.org/b", "EB", ""),
        ("丙部", "丙公告", "2024-03-05", "", "R", ""),
        ("丁社", "丁文", "2021", "", "R", ""),
    ]
    assert table.citations[0].ref is not None and table.citations[0].ref.cell == "B4"


def test_a_sheet_with_neither_source_nor_citation_is_still_refused() -> None:
    problems: list[Problem] = []
    load_workbook_tables(_book([]), "datasets/2024/t.xlsx", problems)
    assert [(p.code, p.message) for p in problems] == [("missing", "metadata key 来源 is missing")]


def test_a_bad_references_table_in_the_manifest_is_reported(tmp_path: Path) -> None:
    proj = make_project(tmp_path / "p")
    manifest = proj / "report.toml"
    manifest.write_text(manifest.read_text(encoding="utf-8") + '\n[references]\nheading = "参考文献"\n', "utf-8")
    res = run_cli("check", "--year", "2024", "--project", str(proj))
    assert res.returncode != 0 and "Traceback" not in res.stderr
    assert "[references]" in res.stdout + res.stderr
