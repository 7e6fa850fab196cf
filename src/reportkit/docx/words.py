"""Where table text may break: its unbreakable units, how wide they print, and how to keep them whole.

A unit is what a reader must never see split over two lines: a Chinese word (segmented with jieba,
helped by the industry's own words), a date (``2024年8月30日``), a number with its unit (``12日``,
``27.8%``), a Latin word (``COSMO-GPT``), with the punctuation that may not start or end a line
attached.  Widths are in ems of the font size, for the house pairing (Times New Roman metrics for
Latin and digits, full-width CJK), so that column widths can be sized from content.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from typing import Any

# -- words of the trade that the general dictionary splits ("科大/讯/飞", "大/模型") --
TRADE_WORDS = (
    "大模型 小模型 基础模型 行业大模型 垂直大模型 通用大模型 科大讯飞 讯飞 文心一言 通义千问 混元 盘古 星火 奇智孔明 "
    "商汤科技 日日新 智谱 海尔卡奥斯 卡奥斯 中工互联 智工 创新奇智 网信办 国家网信办 发展改革委 国家发展改革委 "
    "国家标准委 工业和信息化部 工信部 科技部 八部门 七部门 算力 智算 赋能 张江 模速空间 模力社区 浦东新区 徐汇区 "
    "石景山区 生成式 人工智能 产业链 大数据 云服务 开发者 科研院所 独角兽 示例 预测值 实际值 百分点"
).split()

# -- units that the segmenter must not see as words: dates, numbers with their units, Latin words --
_PROTECTED = re.compile(
    r"[0-9A-Za-z]+(?:\+[0-9A-Za-z]+)+"
    r"|\d{4}年(?:\d{1,2}月(?:\d{1,2}日)?)?(?:末|底|初)?"
    r"|\d{1,2}月(?:\d{1,2}日)?"
    r"|\d{4}[-–—~～]\d{2,4}年?"
    r"|[+\-−]?\d[\d,]*(?:\.\d+)?(?:[%‰EeX倍]|[个家项条款万亿元人位台部号日次]{1,2})?"
    r"|[A-Za-z][A-Za-z0-9+#&./\-]*[A-Za-z0-9+#]|[A-Za-z]"
)
_CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
# -- punctuation that may not start a line rides with the unit before it; what may not end one, with the next --
_CLOSING = set("，。、；：？！）》」』】〉”’%‰,.;:?!)]}·…—")
_OPENING = set("（《「『【〈“‘([{")


@lru_cache(maxsize=1)
def _tokenizer() -> Any:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tk = jieba.Tokenizer()
    # -- the dictionary is read here rather than by jieba's initialize(), which would leave a cache
    #    file in the system's temporary folder --
    with tk.get_dict_file() as dictionary:
        tk.FREQ, tk.total = tk.gen_pfdict(dictionary)
    tk.initialized = True
    for word in TRADE_WORDS:
        tk.add_word(word, freq=2_000_000)
    return tk


def _split_long(word: str) -> list[str]:
    """A dictionary word longer than five characters ("上海市浦东新区"), cut where both halves are words,
    so a narrow column may break it between them."""
    if len(word) <= 5:
        return [word]
    freq = _tokenizer().FREQ
    cuts = [i for i in range(2, len(word) - 1) if freq.get(word[:i]) and freq.get(word[i:])]
    if not cuts:
        return [word]
    i = min(cuts, key=lambda k: abs(len(word) / 2 - k))
    return _split_long(word[:i]) + _split_long(word[i:])


def _words(text: str) -> list[str]:
    """`text` as a list of pieces: protected units, jieba's words, and single other characters."""
    tk = _tokenizer()
    out: list[str] = []
    pos = 0
    for m in _PROTECTED.finditer(text):
        out.extend(_plain(text[pos : m.start()], tk))
        out.append(m.group())
        pos = m.end()
    out.extend(_plain(text[pos:], tk))
    return out


def _plain(text: str, tk: Any) -> list[str]:
    out: list[str] = []
    pos = 0
    for m in _CJK_RUN.finditer(text):
        out.extend(text[pos : m.start()])
        for word in tk.cut(m.group(), HMM=True):
            out.extend(_split_long(word))
        pos = m.end()
    out.extend(text[pos:])
    return out


@lru_cache(maxsize=4096)
def units(text: str) -> tuple[str, ...]:
    """The unbreakable units of `text`, in order; spaces are dropped (a line may break at them)."""
    merged: list[str] = []
    pending = ""  # -- opening punctuation waiting for its word --
    for piece in _words(text):
        if piece.isspace():
            if pending:
                merged.append(pending)
                pending = ""
            merged.append(" ")
            continue
        if piece in _CLOSING and merged and merged[-1] != " " and not pending:
            merged[-1] += piece
            continue
        if piece in _OPENING:
            pending += piece
            continue
        merged.append(pending + piece)
        pending = ""
    if pending:
        merged.append(pending)
    return tuple(u for u in merged if u != " ")


def char_width(ch: str) -> float:
    """Advance of `ch` in ems: full width for CJK, Times New Roman's for Latin, digits and signs."""
    o = ord(ch)
    if o >= 0x2E80 or ch in "“”‘’—…·":
        return 1.0
    if ch.isdigit():
        return 0.5
    if ch.isupper():
        return 0.72
    if ch.islower():
        return 0.5
    if ch in " .,:;!|'":
        return 0.28
    if ch in "%&@#":
        return 0.85
    return 0.5


def _wide(ch: str) -> bool:
    return ord(ch) >= 0x2E80


def text_width(text: str) -> float:
    """Printed width of `text` in ems, with the quarter-em gap Word and LibreOffice put where Chinese
    meets Latin letters or digits."""
    width = sum(char_width(c) for c in text)
    for a, b in zip(text, text[1:]):
        if _wide(a) != _wide(b) and (a.isalnum() or b.isalnum()):
            width += 0.25
    return width


def wrap(text: str, width: float) -> list[str]:
    """`text` broken into lines at most `width` ems wide, only between units (a unit wider than the
    line gets a line of its own); put together, the lines are the text."""
    lines: list[str] = []
    line, used, last, pos = "", 0.0, "", 0
    for u in units(text):
        # -- units are the text's own characters in order, separated only by spaces --
        start = text.index(u, pos)
        between, pos = text[pos:start], start + len(u)
        w = text_width(u)
        gap = text_width(between) if between else (0.25 if last and _wide(last[-1]) != _wide(u[0]) else 0.0)
        if line and used + gap + w > width:
            # -- a space where the line breaks stays at its end (it takes no room there), so the lines
            #    put together are the text --
            lines.append(line + between)
            line, used = u, w
        else:
            line += between + u
            used += gap + w
        last = u
    lines.append(line + text[pos:])
    return lines


__all__ = ["TRADE_WORDS", "char_width", "text_width", "units", "wrap"]
