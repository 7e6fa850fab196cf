"""PDF stage: one headless LibreOffice, driven through UNO, lays out each DOCX and exports its PDF."""

from .layout import FIT_PASSES, PLACEHOLDER, Layout, charts_to_fit, headings_to_break, pdf_pages, read_layout
from .office import INSTALL_HINT, Office, find_soffice

__all__ = [
    "FIT_PASSES",
    "INSTALL_HINT",
    "PLACEHOLDER",
    "charts_to_fit",
    "headings_to_break",
    "Layout",
    "Office",
    "find_soffice",
    "pdf_pages",
    "read_layout",
]
