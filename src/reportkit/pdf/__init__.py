"""PDF stage: headless LibreOffice converts the DOCX; pypdf reads back where things landed."""

from .convert import find_soffice, to_pdf
from .layout import Layout, read_layout

__all__ = ["Layout", "find_soffice", "read_layout", "to_pdf"]
