"""The house style of every chart, in one place.

Colours, sizes and the bundled CJK font.  The font ships inside the `mplfonts` wheel on PyPI
(Noto Sans CJK SC), so Chinese renders identically on every machine whatever fonts it has.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from ..errors import ChartError
from ..house import LINE_COLOR, PALETTE

FORECAST_ALPHA = 0.55
FORECAST_HATCH = "////"
DPI = 200
ASPECT = 0.38
PIE_ASPECT = 0.33
FONT_FILE = "NotoSansCJKsc-Regular.otf"

HOUSE_STYLE: dict[str, Any] = {
    "palette": PALETTE,
    "line_color": LINE_COLOR,
    "forecast_alpha": FORECAST_ALPHA,
    "forecast_hatch": FORECAST_HATCH,
    "dpi": DPI,
    "aspect": ASPECT,
    "pie_aspect": PIE_ASPECT,
    "font": FONT_FILE,
    "font_size": 9.0,
    "label_size": 8.0,
    "version": 1,
}


def font_path() -> Path:
    """Return the bundled Noto Sans CJK SC file; raises ChartError if the package is missing."""
    spec = importlib.util.find_spec("mplfonts")
    if spec is None or not spec.submodule_search_locations:
        raise ChartError("the font package mplfonts is not installed; run: pip install mplfonts", code="missing")
    path = Path(list(spec.submodule_search_locations)[0]) / "fonts" / FONT_FILE
    if not path.is_file():
        raise ChartError(
            f"mplfonts does not contain {FONT_FILE}; reinstall it: pip install --force-reinstall mplfonts",
            code="missing",
        )
    return path
