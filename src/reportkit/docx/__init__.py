"""DOCX writer: the only package that imports python-docx."""

from .reference import packaged_reference, text_width_inches
from .verify import verify_docx
from .writer import write_docx

__all__ = ["packaged_reference", "text_width_inches", "verify_docx", "write_docx"]
