"""A last look at a DOCX before it is delivered: the package opens and every XML part parses."""

from __future__ import annotations

import io
import zipfile

from docx import Document as open_docx
from lxml import etree

from ..errors import OutputError


def verify_docx(data: bytes) -> None:
    """Raise OutputError unless `data` is a readable package of well-formed parts that Word can open."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            bad = zf.testzip()
            if bad is not None:
                raise OutputError(f"the DOCX is damaged: entry {bad} fails its checksum", code="bad_output")
            parser = etree.XMLParser(resolve_entities=False, no_network=True)
            for name in zf.namelist():
                if name.endswith((".xml", ".rels")):
                    etree.fromstring(zf.read(name), parser)
        open_docx(io.BytesIO(data))
    except OutputError:
        raise
    except Exception as exc:
        raise OutputError(f"the DOCX failed its final check and was not written: {exc}", code="bad_output") from None
