"""Convert DOCX to PDF with headless LibreOffice (the only place that runs `soffice`)."""

from __future__ import annotations

import importlib.resources
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from ..errors import OutputError

INSTALL_HINT = ("LibreOffice is needed for PDF output and page numbers; install it, e.g. on Debian/Ubuntu: "
                "sudo apt-get install libreoffice-writer-nogui fonts-noto-cjk fonts-arphic-uming "
                "(or set REPORTKIT_SOFFICE to soffice)")
TIMEOUT = 300


def find_soffice() -> str | None:
    """Return the LibreOffice executable, or None when it is not installed."""
    explicit = os.environ.get("REPORTKIT_SOFFICE")
    if explicit:
        return explicit if Path(explicit).exists() or shutil.which(explicit) else None
    return shutil.which("soffice") or shutil.which("libreoffice")


def to_pdf(docx: bytes, workdir: Path | None = None) -> bytes:
    """Return the PDF of a DOCX given as bytes; raises OutputError when LibreOffice is missing or fails."""
    exe = find_soffice()
    if exe is None:
        raise OutputError(INSTALL_HINT, code="missing_tool")
    fonts = importlib.resources.files("reportkit") / "resources" / "fonts.conf"
    with tempfile.TemporaryDirectory(prefix="reportkit-lo-", dir=workdir) as tmp:
        tmpdir = Path(tmp)
        src = tmpdir / "report.docx"
        src.write_bytes(docx)
        # -- a private profile: no clash with a running LibreOffice, no first-start dialogs --
        profile = (tmpdir / "profile").as_uri()
        env = {**os.environ, "FONTCONFIG_FILE": str(fonts), "HOME": str(tmpdir)}
        cmd = [exe, f"-env:UserInstallation={profile}", "--headless", "--norestore", "--nologo", "--nodefault",
               "--convert-to", "pdf:writer_pdf_Export", "--outdir", str(tmpdir), str(src)]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT, env=env)
        except subprocess.TimeoutExpired:
            raise OutputError(f"LibreOffice did not finish the PDF within {TIMEOUT} s", code="pdf_failed") from None
        except OSError as exc:
            raise OutputError(f"cannot run LibreOffice ({exe}): {exc.strerror}. {INSTALL_HINT}",
                              code="missing_tool") from None
        pdf = tmpdir / "report.pdf"
        if not pdf.is_file() or pdf.stat().st_size == 0:
            detail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
            raise OutputError(f"LibreOffice produced no PDF (exit {proc.returncode}: {detail[0]})", code="pdf_failed")
        return pdf.read_bytes()
