"""The shipped 2024 edition: complete outline, objects with captions and sources, numbers from data."""

from __future__ import annotations

import json
import re
from pathlib import Path

import docx
import pytest
from conftest import ROOT, docx_findings
from openpyxl import load_workbook

pytestmark = pytest.mark.slow

# The seed's table of contents (摘要, eight chapters and 25 sections, in order), with the front pages a
# client expects before chapter one: key findings, then how the figures were obtained.
OUTLINE = [
    (1, "摘要"),
    (1, "核心观点"),
    (1, "研究方法与免责声明"),
    (1, "第一章 中国工业大模型产业研发规模分析"),
    (2, "一、研发投入情况"),
    (2, "二、研发人员数量与结构"),
    (2, "三、研发成果与专利情况"),
    (2, "四、研发规模增长趋势与预测"),
    (1, "第二章 中国工业大模型产业建设现状"),
    (2, "一、产业基地分布与规模"),
    (2, "二、产业集聚效应分析"),
    (2, "三、产业配套设施与服务"),
    (2, "四、未来建设规划与展望"),
    (1, "第三章 工业大模型技术进展与趋势"),
    (2, "一、核心技术突破与进展"),
    (2, "二、技术创新对产业影响"),
    (2, "三、未来技术发展趋势预测"),
    (1, "第四章 工业大模型市场分析与需求预测"),
    (2, "一、市场规模与增长趋势"),
    (2, "二、市场需求结构与特点"),
    (2, "三、未来市场需求预测"),
    (1, "第五章 工业大模型产业竞争格局与主要企业"),
    (2, "一、产业竞争格局分析"),
    (2, "二、主要企业介绍与竞争力评估"),
    (2, "三、企业合作与竞争策略"),
    (1, "第六章 工业大模型产业政策环境与支持措施"),
    (2, "一、国家政策支持与引导"),
    (2, "二、地方政策扶持与优惠"),
    (2, "三、产业标准与监管体系"),
    (1, "第七章 工业大模型产业发展挑战与对策"),
    (2, "一、产业发展面临的主要挑战"),
    (2, "二、应对策略与建议"),
    (2, "三、未来产业发展展望"),
    (1, "第八章 结论与展望"),
    (2, "一、产业整体发展总结"),
    (2, "二、未来发展方向与机遇"),
]
# -- after the last chapter, the reference list the source notes point into --
BACK_MATTER = [(1, "参考资料")]
TITLE = "2024-2030年中国工业大模型产业研发规模与未来建设现状调研报告"


@pytest.fixture(scope="module")
def report(default_docx: Path) -> Path:
    return default_docx


@pytest.fixture(scope="module")
def document(report: Path) -> docx.Document:
    return docx.Document(str(report))


def body_text(d: docx.Document) -> str:
    return "\n".join(p.text for p in d.paragraphs)


def test_outline_matches_the_seed(document) -> None:
    heads = [(int(p.style.name[-1]), p.text) for p in document.paragraphs if p.style.name in ("Heading 1", "Heading 2")]
    assert heads == OUTLINE + BACK_MATTER
    assert len(OUTLINE) == 36


def test_toc_lists_the_36_entries_in_order(report: Path) -> None:
    import zipfile

    xml = zipfile.ZipFile(report).read("word/document.xml").decode()
    entries = re.findall(r'<w:hyperlink w:anchor="_Toc\d+"[^>]*><w:r><w:t xml:space="preserve">([^<]*)</w:t>', xml)
    assert entries == [t for _l, t in OUTLINE + BACK_MATTER]
    assert 'TOC \\o "1-2"' in xml


def test_title_cover_and_header(document) -> None:
    texts = [p.text for p in document.paragraphs]
    assert texts.count(TITLE) == 1
    assert document.sections[0].header.paragraphs[0].text == TITLE
    assert document.core_properties.title == TITLE
    assert "数据截至2024年12月31日" in texts[: texts.index("目录")], "the cover says when the data stands"


def test_enough_charts_and_tables_over_all_chapters(document) -> None:
    chapters_with_objects = set()
    chapter = ""
    charts = tables = 0
    for el in document.element.body.iterchildren():
        if el.tag.endswith("}tbl"):
            tables += 1
            chapters_with_objects.add(chapter)
        elif el.tag.endswith("}p"):
            style = el.xpath("string(./w:pPr/w:pStyle/@w:val)")
            text = el.xpath("string(.)")
            if style == "Heading1":
                chapter = text
            if el.xpath(".//w:drawing"):
                assert el.xpath(".//*[local-name()='chart']"), "the default edition's charts are Word charts"
                charts += 1
                chapters_with_objects.add(chapter)
    # -- fewer charts than before the invented series were dropped, but every chapter keeps its exhibits --
    assert charts >= 16 and tables >= 12
    assert {c for c in chapters_with_objects if c.startswith("第")} == {t for lvl, t in OUTLINE if t.startswith("第")}


def test_captions_are_numbered_in_order_and_each_has_a_source(document) -> None:
    paras = document.paragraphs
    captions = [(i, p.text) for i, p in enumerate(paras) if p.style.name == "Caption"]
    numbers = [int(re.match(r"^图表(\d+)：", t).group(1)) for _i, t in captions]
    assert numbers == list(range(1, len(numbers) + 1))
    assert len(captions) == len(document.inline_shapes) + len(document.tables)
    for i, text in captions:
        exhibit = paras[i]._p.getnext()  # -- the caption stands above its table or chart --
        assert exhibit.tag.endswith("}tbl") or exhibit.xpath(".//w:drawing"), text
        note = exhibit.getnext().xpath("string(.)")
        assert note.startswith("数据来源：") and len(note) > len("数据来源："), text


def test_illustrative_data_is_labelled(document) -> None:
    notes = [p.text for p in document.paragraphs if p.text.startswith("数据来源：")]
    assert any("示例" in n for n in notes)


def _cell_values(book: str, sheet: str) -> dict[str, list]:
    ws = load_workbook(ROOT / "datasets" / "2024" / book, data_only=True)[sheet]
    rows = {}
    for row in ws.iter_rows(values_only=True):
        if row and row[0] is not None:
            rows[str(row[0])] = list(row[1:])
    return rows


def test_market_size_prose_matches_the_workbook(document) -> None:
    rows = _cell_values("市场规模.xlsx", "市场规模")
    header = rows["指标"]
    values = dict(zip([str(h) for h in header], rows["市场规模"]))
    v2020, v2022 = values["2020"], values["2022"]
    cagr = ((v2022 / v2020) ** 0.5 - 1) * 100
    assert f"{cagr:.2f}" == "116.02"
    text = body_text(document).replace("\n", "")
    assert f"由最初的{v2020:g}亿元迅速攀升至2022年的{v2022:g}亿元，年均复合增长率高达116.02%" in text
    v2023 = values["2023"]
    assert f"2023年，中国大模型市场规模达到{v2023:g}亿元" in text


def test_table_numbers_match_the_workbook(document) -> None:
    rows = _cell_values("市场规模.xlsx", "市场规模")
    values = dict(zip([str(h) for h in rows["指标"]], rows["市场规模"]))
    market = [t for t in document.tables if t.rows[0].cells[0].text == "年份" and "市场规模" in t.rows[0].cells[1].text]
    assert market, "the market-size table is present"
    cells = {r.cells[0].text: r.cells[1].text for r in market[0].rows[1:]}
    assert cells["2022"].replace(",", "") in ("70", "70.00", "70.0")
    assert float(cells["2023"].replace(",", "")) == pytest.approx(values["2023"])
    assert "2030E" in cells and "2024E" in cells


def test_no_leaks(document) -> None:
    text = body_text(document) + "\n".join(c.text for t in document.tables for r in t.rows for c in r.cells)
    for leak in ("{{", "}}", "{%", "None", "nan", "Undefined", "**"):
        assert leak not in text, leak


def test_years_follow_the_edition(document) -> None:
    text = body_text(document)
    assert "2024-2030" in text
    assert not re.search(r"20(3[1-9])", text), "nothing beyond the horizon"


def test_validator_finds_no_problems(report: Path) -> None:
    assert docx_findings(report) == []


def test_the_summary_and_the_source_notes_state_the_as_of_dates(document) -> None:
    paras = document.paragraphs
    start = next(i for i, p in enumerate(paras) if p.text == "摘要" and p.style.name.startswith("Heading"))
    end = next(i for i, p in enumerate(paras) if p.text.startswith("第一章") and p.style.name.startswith("Heading"))
    assert "数据截至2024年12月31日" in "".join(p.text for p in paras[start:end])
    notes = [p.text for p in document.paragraphs if p.text.startswith("数据来源：")]
    market = [n for n in notes if "中商产业研究院" in n and "截至2023年12月31日" in n]
    assert market, "a sheet whose figures stand earlier says so in its source note"


def test_no_source_note_opens_a_second_bracket_after_the_first(document) -> None:
    notes = [p.text for p in document.paragraphs if p.text.startswith("数据来源：")]
    assert notes and not [n for n in notes if "）（" in n]
    assert any(re.search(r"（[^（）]*；数据截至\d{4}年", n) for n in notes), "the date joins the document's bracket"


def test_the_forecast_method_is_stated_in_the_methods_page(document) -> None:
    text = "".join(p.text for p in _part(document, "研究方法与免责声明"))
    assert "复合增长法" in text and "当年预测值 = 上年数值 ×（1+当年增速假设）" in text
    assert "2024-2025年的中国大模型市场规模采用中商产业研究院的预测值" in text
    assert "2026年起为本报告预测" in text
    assert "分析师录入" not in body_text(document), "no internal wording in what the client reads"


# ---------------------------------------------------------------- what a paying client would accept

MAX_ILLUSTRATIVE_EXHIBITS = 6


def _part(document: docx.Document, title: str) -> list:
    """The paragraphs of the front part or chapter headed `title`, up to the next Heading 1."""
    paras = document.paragraphs
    start = next(i for i, p in enumerate(paras) if p.text == title and p.style.name == "Heading 1")
    end = next((i for i in range(start + 1, len(paras)) if paras[i].style.name == "Heading 1"), len(paras))
    return paras[start + 1 : end]


def _exhibits(document: docx.Document) -> list[tuple[str, object, str]]:
    """(caption, the table or None for a chart, source note) of every exhibit, in order."""
    tables = {t._tbl: t for t in document.tables}
    out = []
    for p in document.paragraphs:
        if p.style.name == "Caption":
            el = p._p.getnext()
            out.append((p.text, tables.get(el), el.getnext().xpath("string(.)")))
    return out


def _sidecar(report: Path) -> dict:
    return json.loads(report.with_suffix(".sources.json").read_text(encoding="utf-8"))


def _all_sheets():
    for book in sorted((ROOT / "datasets" / "2024").glob("*.xlsx")):
        for ws in load_workbook(book, data_only=True).worksheets:
            if ws["A1"].value == "ID":
                yield book.name, ws


def _meta(ws) -> dict[str, object]:
    """The metadata block: key -> column B, and 文献 -> the list of its rows (columns B onwards)."""
    meta: dict = {"文献": []}
    for row in ws.iter_rows(values_only=True):
        if not row or row[0] in (None, ""):
            break
        if row[0] == "文献":
            meta["文献"].append(list(row[1:]))
        else:
            meta[str(row[0])] = row[1]
    return meta


def test_few_exhibits_carry_illustrative_values_and_each_says_so(report: Path, document) -> None:
    exhibits = _exhibits(document)
    flagged = [cap for cap, _t, note in exhibits if "示例" in note]
    assert 0 < len(flagged) <= MAX_ILLUSTRATIVE_EXHIBITS, flagged
    # -- the sidecar agrees: an exhibit with an illustrative value is exactly one whose note says so --
    marked = {
        n["where"]["caption"]
        for n in _sidecar(report)["numbers"]
        if n.get("illustrative") and n["where"]["kind"] in ("table", "chart")
    }
    assert marked == set(flagged)


def test_illustrative_figures_in_the_text_are_marked_where_they_are_printed(report: Path, document) -> None:
    entries = [
        n
        for n in _sidecar(report)["numbers"]
        if n.get("illustrative") and n["where"]["kind"] == "paragraph" and re.search(r"\d", n["printed"])
    ]  # -- a word chosen from the data (增长/下降) is not a figure --
    assert entries, "the industrial split and the R&D estimates are illustrative and printed"
    text = body_text(document)
    for n in entries:
        assert f"{n['printed']}（示例）" in text or f"{n['printed']}" not in text.replace("（示例）", ""), n["printed"]


def test_key_findings_follow_the_summary_with_numbered_figures_from_the_data(report: Path, document) -> None:
    heads = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert heads[:3] == ["摘要", "核心观点", "研究方法与免责声明"]
    items = [p for p in _part(document, "核心观点") if p.text.strip()]
    assert 5 <= len(items) <= 7 and all(p.style.name == "List Number Plain" for p in items)
    traced = [
        n["printed"]
        for n in _sidecar(report)["numbers"]
        if n["where"].get("chapter") == "核心观点" and n["cells"] and re.search(r"\d", n["printed"])
    ]
    for item in items:
        assert sum(1 for p in traced if p in item.text) >= 2, f"figures traced to workbook cells: {item.text}"
    rows = _cell_values("市场规模.xlsx", "市场规模")
    v2023 = dict(zip([str(h) for h in rows["指标"]], rows["市场规模"]))["2023"]
    assert f"{v2023:g}亿元" in items[0].text


def test_the_methods_page_states_sources_date_method_illustrative_data_and_a_disclaimer(document) -> None:
    text = "".join(p.text for p in _part(document, "研究方法与免责声明"))
    for needed in (
        "数据来源",
        "本报告数据截至2024年12月31日",
        "预测方法",
        "（示例）",
        "示例数据",
        "免责声明",
        "不构成任何投资",
        "瑞研产业研究院",
    ):
        assert needed in text, needed


def test_forecasts_are_credited_to_whoever_made_them(document) -> None:
    """中商's 2024E/2025E are 中商's; the values after them are this report's own projection."""
    last_cz = int(_cell_values("市场需求.xlsx", "市场规模数据批次")["修订序列"][3])
    rows = _cell_values("市场规模.xlsx", "市场规模")
    values = dict(zip([str(h) for h in rows["指标"]], rows["市场规模"]))
    market = next(
        t for t in document.tables if t.rows[0].cells[0].text == "年份" and "市场规模" in t.rows[0].cells[1].text
    )
    header = [c.text for c in market.rows[0].cells]
    assert "数据性质" in header
    kinds = {}
    for row in market.rows[1:]:
        label, kind = row.cells[0].text, row.cells[header.index("数据性质")].text
        kinds[label] = kind
        if not label.endswith("E"):
            assert kind == "实际值", label
        elif int(label.rstrip("E")) <= last_cz:
            assert kind == "中商产业研究院预测", label
        else:
            assert kind == "本报告预测", label
    assert set(kinds.values()) == {"实际值", "中商产业研究院预测", "本报告预测"}
    # -- prose: a sentence printing a 中商 forecast names 中商; one printing the end value names this report --
    cz = f"{values[f'{last_cz}E']:g}亿元"
    end_value = next(r.cells[1].text for r in market.rows if r.cells[0].text == "2030E") + "亿元"
    said = {cz: 0, end_value: 0}
    for p in document.paragraphs:
        for sentence in re.split("[。；]", p.text):
            if cz in sentence:
                said[cz] += 1
                assert "中商产业研究院" in sentence, sentence
            if end_value in sentence:
                said[end_value] += 1
                assert "本报告" in sentence and "中商产业研究院预测" not in sentence, sentence
    assert all(said.values()), said


def test_every_source_note_names_who_and_when(document) -> None:
    for cap, _t, note in _exhibits(document):
        body = note.removeprefix("数据来源：")
        own = body.startswith("本报告")
        # -- a list of documents dates each document in its own rows --
        # -- a summary table points to the exhibits that cite each of its rows in full --
        # -- a numbered citation [n] dates its document in the reference list --
        assert (
            own
            or re.search(r"\d{4}年", body)
            or re.search(r"\[\d+\]", body)
            or "发布时间见表" in body
            or "发布时间见正文相应图表" in body
        ), f"{cap}: {note}"
        if own:
            assert "：" in body[:12], f"{cap}: the report's own compilation says what it compiles"


def test_workbook_sources_are_citations_not_internal_notes() -> None:
    for book, ws in _all_sheets():
        meta = _meta(ws)
        where = f"{book} [{ws.title}]"
        citations = meta["文献"]
        # -- a cited document names who published it, what it is called and when --
        for publisher, title, date, *_rest in citations:
            assert publisher and title and re.match(r"^\d{4}(-\d{2}){0,2}$", str(date)), f"{where}: {title}"
        source = str(meta.get("来源") or "")
        if citations:
            # -- beside 文献 rows, 来源 says only what the report adds: a titled document is a 文献 row --
            assert "《" not in source, f"{where}: {source}"
        elif source.startswith("本报告"):
            assert source[3:5] in ("整理", "测算", "设定") and "：" in source, f"{where}: {source}"
        else:
            assert re.search(r"\d{4}年", source) or "发布时间见表" in source, (
                f"{where}: a citation gives the date: {source}"
            )
        if str(meta.get("示例", "否")) == "是":
            assert "示例" in source, f"{where}: an illustrative table says so where it is cited"
        for value in meta.values():
            assert "public-data" not in str(value) and "/work/" not in str(value), where


def test_no_unsourced_figures_in_the_prose(document) -> None:
    text = body_text(document)
    assert "据行业机构测算" not in text
    for figure, who in (
        ("约40%的大模型相关岗位", "北京大学国家发展研究院与智联招聘"),
        ("18所高校设立人工智能学院", "广东省人工智能产业协会"),
        ("242.92亿元", "广东省人工智能产业协会"),
        ("研发周期平均缩短20.7%", "工业和信息化部"),
        ("79.3亿元，并预计", "艾媒咨询"),
    ):
        para = next(p.text for p in document.paragraphs if figure in p.text)
        assert who in para, figure
    assert "受访企业" not in text, "no survey the report did not run"


def test_table_captions_state_units_every_column_has(document) -> None:
    for cap, table, _note in _exhibits(document):
        if table is None:
            continue
        unit = re.search(r"（单位：([^）]+)）$", cap)
        header = [c.text for c in table.rows[0].cells]
        body = [c.text for r in table.rows[1:] for c in r.cells[1:]]
        if unit:
            for h in header:
                inner = re.findall(r"（([^）]+)）", h)
                assert not inner or inner[-1] in (unit.group(1), "百分点"), f"{cap}: column {h}"
            if unit.group(1) != "%":
                assert not any(v.endswith("%") for v in body), f"{cap}: a % column under a {unit.group(1)} caption"


def test_no_false_precision(document) -> None:
    cells = [c.text for t in document.tables for r in t.rows for c in r.cells]
    for text in [body_text(document)] + cells:
        assert not re.search(r"\d\.00(?!\d)", text), text[:80]
        assert not re.search(r"\d,\d{3}\.0(?!\d)", text), text[:80]


def test_percentages_are_never_compounded(document) -> None:
    """A rate of change of a percentage is in percentage points, not a CAGR of the percentage."""
    for cap, table, _note in _exhibits(document):
        if table is None:
            continue
        header = [c.text for c in table.rows[0].cells]
        if not any("年均" in h for h in header):
            continue
        for row in table.rows[1:]:
            label = row.cells[0].text
            assert "（%）" not in label and not label.endswith("率"), f"{cap}: {label}"


def test_each_front_page_and_every_chapter_start_a_new_page(document) -> None:
    titles = ["核心观点", "研究方法与免责声明"] + [t for lvl, t in OUTLINE if lvl == 1 and t.startswith("第")]
    for title in titles:
        heading = next(p for p in document.paragraphs if p.text == title and p.style.name == "Heading 1")
        assert heading.paragraph_format.page_break_before, title
        assert not heading._p.getprevious().xpath(".//w:br[@w:type='page']"), f"{title}: no blank page before it"
