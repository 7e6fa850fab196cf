"""CJK-friendly emphasis for markdown-it-py.

CommonMark decides whether `**` opens or closes by looking at the characters around it; a
closing `**` after Chinese punctuation and before a Chinese character (``**总结。**下文``) is
not right-flanking, so the asterisks stay literal.  Following the "CJK-friendly" amendment
proposed for CommonMark, a CJK character (CJK punctuation included) on either side counts like
whitespace in the punctuation clause of the flanking rules, so ``**总结。**2023`` closes too.
markdown-it-py has no hook for this, so the inline parser is given a state class whose
`scanDelims` applies the amended rule.
"""

from __future__ import annotations

from typing import Any

from markdown_it.common.utils import isMdAsciiPunct, isPunctChar, isWhiteSpace
from markdown_it.parser_inline import ParserInline
from markdown_it.rules_inline.state_inline import Scanned, StateInline


def is_cjk(ch: str) -> bool:
    """Return True for CJK ideographs, kana, hangul and CJK/full-width punctuation."""
    o = ord(ch)
    return (
        0x2E80 <= o <= 0x9FFF
        or 0xAC00 <= o <= 0xD7AF
        or 0xF900 <= o <= 0xFAFF
        or 0xFE30 <= o <= 0xFE4F
        or 0xFF00 <= o <= 0xFFEF
        or 0x20000 <= o <= 0x3FFFF
        or o in (0x2018, 0x2019, 0x201C, 0x201D, 0x2026)
    )


class CJKStateInline(StateInline):
    def scanDelims(self, start: int, canSplitWord: bool) -> Scanned:  # noqa: N802 (upstream name)
        pos, maximum, marker = start, self.posMax, self.src[start]
        last = self.src[start - 1] if start > 0 else " "
        while pos < maximum and self.src[pos] == marker:
            pos += 1
        count = pos - start
        nxt = self.src[pos] if pos < maximum else " "
        last_punct = isMdAsciiPunct(ord(last)) or isPunctChar(last)
        next_punct = isMdAsciiPunct(ord(nxt)) or isPunctChar(nxt)
        last_white, next_white = isWhiteSpace(ord(last)), isWhiteSpace(ord(nxt))
        # -- CJK punctuation next to the run counts as CJK too: **总结。**2023 closes after 。 --
        cjk = is_cjk(last) or is_cjk(nxt)
        left = not (next_white or (next_punct and not (last_white or last_punct or cjk)))
        right = not (last_white or (last_punct and not (next_white or next_punct or cjk)))
        can_open = left and (canSplitWord or not right or last_punct)
        can_close = right and (canSplitWord or not left or next_punct)
        return Scanned(can_open, can_close, count)


class CJKParserInline(ParserInline):
    def parse(self, src: str, md: Any, env: Any, tokens: list[Any]) -> list[Any]:
        state = CJKStateInline(src, md, env, tokens)
        self.tokenize(state)
        for rule in self.ruler2.getRules(""):
            rule(state)
        return state.tokens


def use_cjk_emphasis(md: Any) -> Any:
    """Return `md` with its inline parser replaced by the CJK-friendly one (rules kept)."""
    parser = CJKParserInline()
    parser.ruler, parser.ruler2 = md.inline.ruler, md.inline.ruler2
    md.inline = parser
    return md
