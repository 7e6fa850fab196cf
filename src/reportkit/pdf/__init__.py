"""PDF stage: one headless LibreOffice, driven through UNO, lays out each DOCX and exports its PDF."""

from .layout import PLACEHOLDER, Layout, pdf_pages, read_layout
from .office import INSTALL_HINT, Office, find_soffice

__all__ = ["INSTALL_HINT", "PLACEHOLDER", "Layout", "Office", "find_soffice", "pdf_pages", "read_layout"]
