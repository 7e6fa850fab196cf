"""Table column widths sized from the cells' content, and where each cell's lines break.

Every column is at least as wide as its longest unbreakable unit (a word, a date, a number with its
unit: see :mod:`.words`), so no line of a cell ever has to split one.  Width beyond that goes where
it saves the most lines: the table is as short as the text width allows.  A cell that still wraps
is broken into lines here, between units, with explicit line breaks: Word, WPS and LibreOffice then
all print the same lines (LibreOffice ignores a word joiner in Chinese text and breaks anywhere).
"""

from __future__ import annotations

from dataclasses import dataclass

from .words import text_width, units, wrap

SLACK = 1.06
"""Measured widths are estimates of another program's fonts: a unit gets 6% more than it measures."""


@dataclass(frozen=True)
class Grid:
    """Column widths in twips, and each cell's lines (row 0 is the header)."""

    widths: list[int]
    cells: list[list[list[str]]]


def _ems(width_twips: float, em: float, margin: float) -> float:
    return (width_twips - margin) / (em * SLACK)


def lay_out_columns(rows: list[list[str]], total: int, em: float, margin: float) -> Grid:
    """Widths (twips, summing to `total`) for a table of `rows` (header first) set in a font `em`
    twips high with `margin` twips of cell padding, and the lines each cell prints as."""
    ncols = max((len(r) for r in rows), default=0)
    cols = [[r[c] if c < len(r) else "" for r in rows] for c in range(ncols)]
    need = [max([text_width(u) for t in col for u in units(t)] + [1.0]) * em * SLACK + margin for col in cols]
    one_line = [
        max(max((text_width(t) for t in col), default=0.0) * em * SLACK + margin, n) for col, n in zip(cols, need)
    ]
    if sum(one_line) <= total:
        # -- everything fits on one line: the spare width is shared in proportion --
        widths = [w * total / sum(one_line) for w in one_line]
    elif sum(need) >= total:
        widths = [w * total / sum(need) for w in need]
    else:
        widths = _shortest(cols, need, one_line, total, em, margin)
    out = [int(w) for w in widths]
    out[-1] += total - sum(out)
    cells = [[wrap(cols[c][r], _ems(out[c], em, margin)) for c in range(ncols)] for r in range(len(rows))]
    return Grid(out, cells)


def _height(cols: list[list[str]], widths: list[float], em: float, margin: float) -> int:
    nrows = len(cols[0]) if cols else 0
    return sum(
        max(len(wrap(cols[c][r], _ems(widths[c], em, margin))) for c in range(len(widths))) for r in range(nrows)
    )


def _shortest(
    cols: list[list[str]], need: list[float], one_line: list[float], total: int, em: float, margin: float
) -> list[float]:
    """From the minimum widths, hand out the rest a step at a time to the column where it saves the
    most lines per twip, looking ahead to the next width at which that column saves any."""
    widths = list(need)
    step = em / 2
    spare = total - sum(widths)
    height = _height(cols, widths, em, margin)
    while spare >= step:
        best: tuple[float, int, float, int] | None = None  # (-lines saved per twip, column, extra, new height)
        for c in range(len(widths)):
            extra = step
            while extra <= spare and widths[c] + extra <= one_line[c] + step:
                trial = list(widths)
                trial[c] += extra
                h = _height(cols, trial, em, margin)
                if h < height:
                    key = (-(height - h) / extra, c, extra, h)
                    if best is None or key < best:
                        best = key
                    break
                extra += step
        if best is None:
            break
        _, c, extra, height = best
        widths[c] += extra
        spare -= extra
    # -- what saves no line goes to the columns that still wrap, else to all, in proportion --
    wrapping = [max(o - w, 0.0) for o, w in zip(one_line, widths)]
    basis = wrapping if sum(wrapping) > 0 else widths
    return [w + spare * b / sum(basis) for w, b in zip(widths, basis)]


__all__ = ["Grid", "lay_out_columns"]
