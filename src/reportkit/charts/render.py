"""Draw a :class:`~reportkit.model.ChartSpec` as a PNG with matplotlib (Agg).

One drawing function per chart kind, looked up in a table.  Output is deterministic: fixed
size, DPI and font, no timestamp or software tag in the PNG.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import matplotlib

matplotlib.use("Agg")

from matplotlib import font_manager  # noqa: E402
from matplotlib import pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from ..errors import ChartError  # noqa: E402
from ..model import ChartSpec  # noqa: E402
from .style import HOUSE_STYLE, font_path  # noqa: E402

_FONT_READY = False


def _setup_font() -> str:
    global _FONT_READY
    path = font_path()
    if not _FONT_READY:
        font_manager.fontManager.addfont(str(path))
        _FONT_READY = True
    name = font_manager.FontProperties(fname=str(path)).get_name()
    plt.rcParams.update(
        {
            "font.family": "sans-serif",
            "font.sans-serif": [name],
            "axes.unicode_minus": False,
            "font.size": HOUSE_STYLE["font_size"],
            "svg.hashsalt": "reportkit",
            # -- labels are data, drawn as written: "$x^2$" is five characters, not mathematics, and
            # "$\\undefined$" is not an error --
            "text.parse_math": False,
            "text.usetex": False,
        }
    )
    return name


def _fmt(v: float) -> str:
    if abs(v) >= 100:
        return f"{v:,.0f}"
    text = f"{v:,.1f}"
    return text[:-2] if text.endswith(".0") else text


def _pal(i: int) -> str:
    pal: tuple[str, ...] = HOUSE_STYLE["palette"]
    return pal[i % len(pal)]


def _style_axes(ax: Any, spec: ChartSpec) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.spines["left"].set_color("#808080")
    ax.spines["bottom"].set_color("#808080")
    ax.tick_params(colors="#404040", labelsize=HOUSE_STYLE["font_size"])
    ax.yaxis.grid(True, color="#E0E0E0", linewidth=0.6)
    ax.set_axisbelow(True)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: _fmt(v)))
    if spec.unit:
        ax.set_title(f"单位：{spec.unit}", loc="left", fontsize=HOUSE_STYLE["label_size"], color="#404040")


def _label(ax: Any, x: float, y: float, text: str, **kw: Any) -> None:
    ax.annotate(
        text,
        (x, y),
        textcoords="offset points",
        xytext=kw.pop("offset", (0, 3)),
        ha=kw.pop("ha", "center"),
        va=kw.pop("va", "bottom"),
        fontsize=HOUSE_STYLE["label_size"],
        color=kw.pop("color", "#303030"),
        **kw,
    )


def _bars(ax: Any, spec: ChartSpec, series: list[Any], labels: bool = True) -> None:
    n = len(series)
    width = 0.8 / max(n, 1) if n > 1 else 0.6
    xs = range(len(spec.categories))
    for si, s in enumerate(series):
        offset = (si - (n - 1) / 2) * width
        for x in xs:
            v = s.values[x]
            if v is None:
                continue
            fc = spec.forecast[x] if spec.forecast else False
            ax.bar(
                x + offset,
                v,
                width * 0.92,
                color=_pal(si),
                alpha=HOUSE_STYLE["forecast_alpha"] if fc else 1.0,
                hatch=HOUSE_STYLE["forecast_hatch"] if fc else None,
                edgecolor="white" if fc else _pal(si),
                linewidth=0.0,
                label=s.name if x == 0 else None,
            )
            if labels and (n <= 2 or len(spec.categories) <= 6):
                _label(ax, x + offset, v, _fmt(v))
    ax.set_xticks(list(xs), spec.categories)
    if n > 1:
        _legend_below(ax, [s.name for s in series])


def _draw_bar(ax: Any, spec: ChartSpec) -> None:
    _bars(ax, spec, list(spec.series))


def _draw_line(ax: Any, spec: ChartSpec) -> None:
    xs = list(range(len(spec.categories)))
    for si, s in enumerate(spec.series):
        pts = [(x, v) for x, v in zip(xs, s.values) if v is not None]
        actual = [(x, v) for x, v in pts if not (spec.forecast and spec.forecast[x])]
        forecast = [(x, v) for x, v in pts if spec.forecast and spec.forecast[x]]
        if actual:
            ax.plot(*zip(*actual), color=_pal(si), marker="o", markersize=3.5, linewidth=1.8, label=s.name)
        if forecast:
            joined = (actual[-1:] if actual else []) + forecast
            ax.plot(
                *zip(*joined),
                color=_pal(si),
                marker="o",
                markersize=3.5,
                linewidth=1.8,
                linestyle="--",
                label=None if actual else s.name,
            )
        if len(spec.series) <= 3:
            for x, v in pts:
                _label(ax, x, v, _fmt(v), offset=(0, 4))
    ax.set_xticks(xs, spec.categories)
    if len(spec.series) > 1:
        _legend_below(ax, [s.name for s in spec.series])


def _draw_bar_line(ax: Any, spec: ChartSpec) -> None:
    bars, line = spec.series[0], spec.series[1]
    _bars(ax, spec, [bars])
    ax2 = ax.twinx()
    xs = [x for x, v in enumerate(line.values) if v is not None]
    vs = [v for v in line.values if v is not None]
    ax2.plot(xs, vs, color=HOUSE_STYLE["line_color"], marker="o", markersize=3.5, linewidth=1.6, label=line.name)
    for x, v in zip(xs, vs):
        _label(ax2, x, v, f"{v:.1f}%" if spec.unit2 == "%" else _fmt(v), color=HOUSE_STYLE["line_color"], offset=(0, 5))
    # -- the values are labelled on the points, so the second axis itself stays out of the way --
    for side in ("top", "right", "left", "bottom"):
        ax2.spines[side].set_visible(False)
    ax2.set_yticks([])
    bar_max = max((v for v in bars.values if v is not None), default=1.0)
    ax.set_ylim(0, bar_max / 0.5)
    if vs:
        # -- bars fill the lower half, the line the top third, so their labels never meet --
        lo, hi = min(vs), max(vs)
        span = max(hi - lo, abs(hi) * 0.25, 1.0)
        ax2.set_ylim(lo - span * 2.1, hi + span * 0.3)
    _legend_below(ax, [bars.name, line.name], handles=[ax.patches[0], ax2.lines[0]] if ax.patches else None)


def _draw_stacked(ax: Any, spec: ChartSpec) -> None:
    xs = list(range(len(spec.categories)))
    bottoms = [0.0] * len(xs)
    totals = [sum(v or 0.0 for v in col) for col in zip(*(s.values for s in spec.series))]
    for si, s in enumerate(spec.series):
        for x in xs:
            v = s.values[x] or 0.0
            fc = spec.forecast[x] if spec.forecast else False
            ax.bar(
                x,
                v,
                0.6,
                bottom=bottoms[x],
                color=_pal(si),
                alpha=HOUSE_STYLE["forecast_alpha"] if fc else 1.0,
                hatch=HOUSE_STYLE["forecast_hatch"] if fc else None,
                edgecolor="white",
                linewidth=0.4,
                label=s.name if x == 0 else None,
            )
            if v >= max(totals) * 0.055:
                ax.text(
                    x,
                    bottoms[x] + v / 2,
                    _fmt(v),
                    ha="center",
                    va="center",
                    color="white",
                    fontsize=HOUSE_STYLE["label_size"] - 0.5,
                )
            bottoms[x] += v
    ax.set_xticks(xs, spec.categories)
    _legend_below(ax, [s.name for s in spec.series])


def _legend_below(ax: Any, names: list[str], handles: list[Any] | None = None) -> None:
    # -- as many columns as fit the width: long Chinese labels get fewer columns --
    longest = max((len(n) for n in names), default=1)
    ncol = max(1, min(len(names), int(44 // (longest + 3))))
    kwargs: dict[str, Any] = {
        "frameon": False,
        "fontsize": HOUSE_STYLE["label_size"],
        "ncol": ncol,
        "loc": "upper center",
        "bbox_to_anchor": (0.5, -0.1),
    }
    if handles is not None:
        ax.legend(handles, names, **kwargs)
    else:
        ax.legend(**kwargs)


def _draw_pie(ax: Any, spec: ChartSpec, donut: bool = False) -> None:
    s = spec.series[0]
    vals = [v or 0.0 for v in s.values]
    total = sum(vals) or 1.0
    wedges, _texts = ax.pie(
        vals,
        colors=[_pal(i) for i in range(len(vals))],
        startangle=90,
        counterclock=False,
        wedgeprops={"width": 0.42 if donut else 1.0, "edgecolor": "white", "linewidth": 1},
    )
    for w, v in zip(wedges, vals):
        import math

        ang = math.radians((w.theta1 + w.theta2) / 2)
        r = 0.79 if donut else 0.65
        if v / total >= 0.04:
            ax.text(
                r * math.cos(ang),
                r * math.sin(ang),
                f"{v / total * 100:.1f}%",
                ha="center",
                va="center",
                color="white",
                fontsize=HOUSE_STYLE["label_size"],
            )
    ax.legend(
        wedges,
        spec.categories,
        frameon=False,
        fontsize=HOUSE_STYLE["label_size"],
        loc="center left",
        bbox_to_anchor=(1.0, 0.5),
    )
    ax.set_aspect("equal")
    if spec.unit:
        ax.set_title(f"单位：{spec.unit}" if spec.unit != "%" else "", loc="left", fontsize=HOUSE_STYLE["label_size"])


def _draw_barh(ax: Any, spec: ChartSpec) -> None:
    s = spec.series[0]
    pairs = sorted(zip(spec.categories, s.values), key=lambda p: p[1] or 0.0)
    ys = list(range(len(pairs)))
    vals = [v or 0.0 for _c, v in pairs]
    ax.barh(ys, vals, 0.6, color=_pal(0))
    for y, v in zip(ys, vals):
        _label(ax, v, y, _fmt(v), offset=(3, 0), ha="left", va="center")
    ax.set_yticks(ys, [c for c, _v in pairs])
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.xaxis.grid(True, color="#E0E0E0", linewidth=0.6)
    ax.set_axisbelow(True)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: _fmt(v)))
    ax.set_xlim(0, max(vals + [0.0]) * 1.15 or 1)
    if spec.unit:
        ax.set_title(f"单位：{spec.unit}", loc="left", fontsize=HOUSE_STYLE["label_size"], color="#404040")


DRAW: dict[str, Callable[[Any, ChartSpec], None]] = {
    "bar": _draw_bar,
    "line": _draw_line,
    "bar_line": _draw_bar_line,
    "stacked_bar": _draw_stacked,
    "pie": _draw_pie,
    "donut": lambda ax, spec: _draw_pie(ax, spec, donut=True),
    "barh": _draw_barh,
}


def render_png(spec: ChartSpec, width_in: float, aspect: float = HOUSE_STYLE["aspect"]) -> bytes:
    """Return the PNG bytes of `spec` drawn `width_in` inches wide at the house DPI.

    Raises ChartError when matplotlib cannot draw the data (e.g. values too large to lay out).
    """
    try:
        return _render_png(spec, width_in, aspect)
    except ChartError:
        raise
    except Exception as exc:  # -- matplotlib raises many kinds for unplottable data --
        raise ChartError(
            f"cannot draw the chart {spec.title or spec.kind!r}: {type(exc).__name__}: {exc}", code="chart_failed"
        ) from None


def _render_png(spec: ChartSpec, width_in: float, aspect: float) -> bytes:
    _setup_font()
    height = width_in * (HOUSE_STYLE["pie_aspect"] if spec.kind in ("pie", "donut") else aspect)
    if spec.kind == "barh":
        height = max(height * 0.8, min(0.26 * len(spec.categories) + 0.7, width_in * 0.7))
    fig = plt.figure(figsize=(width_in, height), dpi=HOUSE_STYLE["dpi"])
    try:
        ax = fig.add_subplot(1, 1, 1)
        if spec.kind not in ("pie", "donut", "barh"):
            _style_axes(ax, spec)
        DRAW[spec.kind](ax, spec)
        if spec.kind not in ("pie", "donut", "barh", "bar_line"):
            ymax = ax.get_ylim()[1]
            ax.set_ylim(min(0.0, ax.get_ylim()[0]), ymax * 1.12)
            if len(spec.categories) > 8 and max(len(c) for c in spec.categories) > 4:
                plt.setp(ax.get_xticklabels(), rotation=30, ha="right")
        fig.tight_layout(pad=0.6)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=HOUSE_STYLE["dpi"], metadata={"Software": None})
        return buf.getvalue()
    finally:
        plt.close(fig)
