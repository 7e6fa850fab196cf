"""The house style's constants, in one place: the chart palette and the fonts that the reference
document, the native charts and the chart pictures all use.  No dependencies, so every writer
can read it."""

from __future__ import annotations

# -- ten hues far apart, dark enough for white labels, in the order they are used --
PALETTE = ("#1F4E79", "#C55A11", "#548235", "#BF9000", "#7030A0", "#2E9AA6", "#C00000", "#7F7F7F", "#8FAADC", "#A9D18E")
LINE_COLOR = "#C00000"
TEXT_COLOR = "#404040"
GRID_COLOR = "#E0E0E0"
AXIS_COLOR = "#808080"

BODY_FONT = ("Times New Roman", "宋体")
"""(Latin, East Asian) typefaces of body text."""
HEADING_FONT = ("Arial", "黑体")
"""(Latin, East Asian) typefaces of headings, captions and chart text."""
