"""One headless LibreOffice per render, driven through its UNO API (with bridge.py, the only code that runs it).

reportkit's interpreter usually cannot import `uno` (it lives in LibreOffice's own Python, or in the
system Python with Debian's python3-uno), so the UNO side is `bridge.py`, run as a script by a
Python that can, and spoken to over a pipe.  LibreOffice starts while the caller goes on preparing
the document, serves every DOCX of the batch (one load each: bookmark positions, then the page
numbers written into the TOC and 图表目录, then the PDF), and is stopped by `close()`.  It runs with
its own temporary profile and reportkit's fonts.conf; if reportkit dies, the bridge sees its
lifeline pipe close and kills LibreOffice.
"""

from __future__ import annotations

import importlib.resources
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import OutputError

INSTALL_HINT = (
    "LibreOffice is needed for PDF output and page numbers; install it, e.g. on Debian/Ubuntu: "
    "sudo apt-get install libreoffice-writer-nogui python3-uno fonts-noto-cjk fonts-arphic-uming "
    "(or set REPORTKIT_SOFFICE to soffice)"
)
UNO_HINT = (
    "install LibreOffice's Python bridge, e.g. on Debian/Ubuntu: sudo apt-get install python3-uno "
    "(or set REPORTKIT_UNO_PYTHON to a Python that can import uno)"
)
TIMEOUT = 300.0
"""Seconds LibreOffice may take to start, or to lay out or export one document (REPORTKIT_PDF_TIMEOUT)."""


def find_soffice() -> str | None:
    """Return the LibreOffice executable, or None when it is not installed."""
    explicit = os.environ.get("REPORTKIT_SOFFICE")
    if explicit:
        return explicit if Path(explicit).exists() or shutil.which(explicit) else None
    return shutil.which("soffice") or shutil.which("libreoffice")


def uno_pythons(soffice: str) -> list[str]:
    """Interpreters that may import `uno`, most likely first: LibreOffice's own, then the system's."""
    explicit = os.environ.get("REPORTKIT_UNO_PYTHON")
    if explicit:
        return [explicit]
    program = Path(os.path.realpath(shutil.which(soffice) or soffice)).parent
    found = [
        program / "python",
        program / "python.exe",
        program.parent / "Resources" / "python",
        Path("/usr/bin/python3"),
        *([Path(w)] if (w := shutil.which("python3")) else []),
        Path(sys.executable),
    ]
    out: list[str] = []
    for p in found:
        if p.is_file() and os.access(p, os.X_OK) and str(p) not in out:
            out.append(str(p))
    return out


def timeout() -> float:
    try:
        return float(os.environ.get("REPORTKIT_PDF_TIMEOUT", "")) or TIMEOUT
    except ValueError:
        return TIMEOUT


class Office:
    """A LibreOffice started in the background; use as a context manager, or call `close()`."""

    def __init__(self, soffice: str | None = None):
        exe = soffice or find_soffice()
        if exe is None:
            raise OutputError(INSTALL_HINT, code="missing_tool")
        self.exe = exe
        self.timeout = timeout()
        self.tmp = Path(tempfile.mkdtemp(prefix="reportkit-lo-"))
        self.pythons = uno_pythons(exe)
        self.proc: subprocess.Popen[str] | None = None
        self.lifeline = -1
        self.office_group = 0
        self.ready = False
        self.busy = False
        self.quitting = False
        self.documents = 0
        self.fill: dict[str, str] = {}
        self.lines: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.reader: threading.Thread | None = None
        if not self.pythons:
            self._abort()
            raise OutputError(f"no Python here can import uno for PDF output; {UNO_HINT}", code="missing_tool")
        self._launch()
        # -- a missing bridge is reported now, before any work, as a missing LibreOffice is --
        self._find_bridge()

    # -- process --------------------------------------------------------------------------------

    def _launch(self) -> None:
        fonts = importlib.resources.files("reportkit") / "resources" / "fonts.conf"
        bridge = Path(__file__).with_name("bridge.py")
        # -- HOME and TMPDIR inside the one folder that is removed at the end, whatever happens: LibreOffice,
        #    dconf and fontconfig write there, never into the user's home --
        (self.tmp / "tmp").mkdir(exist_ok=True)
        env = {**os.environ, "FONTCONFIG_FILE": str(fonts), "HOME": str(self.tmp), "TMPDIR": str(self.tmp / "tmp")}
        read_end, self.lifeline = os.pipe()
        cmd = [
            self.pythons.pop(0),
            str(bridge),
            "--soffice",
            self.exe,
            "--profile",
            (self.tmp / "profile").as_uri(),
            "--pipe",
            f"reportkit-{uuid.uuid4().hex}",
            "--log",
            str(self.tmp / "soffice.log"),
            "--lifeline",
            str(read_end),
            "--tmpdir",
            str(self.tmp),
        ]
        self.deadline = time.monotonic() + self.timeout
        try:
            with open(self.tmp / "bridge.log", "ab") as log:
                self.proc = subprocess.Popen(
                    cmd,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=log,
                    env=env,
                    text=True,
                    encoding="utf-8",
                    pass_fds=(read_end,),
                    start_new_session=True,
                )
        except OSError as exc:
            self._abort()
            raise OutputError(
                f"cannot run {cmd[0]} for PDF output: {exc.strerror}; {UNO_HINT}", code="missing_tool"
            ) from None
        finally:
            os.close(read_end)
        self.lines = queue.Queue()
        self.reader = threading.Thread(target=self._read, args=(self.proc, self.lines), daemon=True)
        self.reader.start()

    @staticmethod
    def _read(proc: subprocess.Popen[str], lines: queue.Queue[dict[str, Any] | None]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            try:
                lines.put(json.loads(line))
            except ValueError:
                continue  # -- a stray line from LibreOffice's libraries, not an answer --
        lines.put(None)

    def _receive(self, what: str) -> dict[str, Any]:
        while True:
            try:
                message = self.lines.get(timeout=max(0.0, self.deadline - time.monotonic()))
            except queue.Empty:
                self._abort()
                raise OutputError(
                    f"LibreOffice did not {what} within {self.timeout:g} s (REPORTKIT_PDF_TIMEOUT sets the limit)",
                    code="pdf_failed",
                ) from None
            if message is None:
                detail = self._tail("bridge.log") or self._tail("soffice.log") or "no message"
                self._abort()
                raise OutputError(f"LibreOffice stopped while it was to {what}: {detail}", code="pdf_failed")
            if "spawned" in message:
                self.office_group = int(message["spawned"])
                continue
            if "error" in message:
                self._abort()
                raise OutputError(f"LibreOffice could not {what}: {message['error']}", code="pdf_failed")
            return message

    def _tail(self, name: str) -> str:
        try:
            lines = [
                ln.strip()
                for ln in (self.tmp / name).read_text(encoding="utf-8", errors="replace").splitlines()
                if ln.strip()
            ]
        except OSError:
            return ""
        return lines[-1] if lines else ""

    def _find_bridge(self) -> None:
        """Wait until the bridge runs under a Python that can import uno, trying each candidate."""
        while True:
            try:
                message = self.lines.get(timeout=max(0.0, self.deadline - time.monotonic()))
            except queue.Empty:
                self._abort()
                program = str(self.proc.args[0]) if self.proc and isinstance(self.proc.args, list) else "Python"
                raise OutputError(f"{program} did not start within {self.timeout:g} s", code="pdf_failed") from None
            if message is not None and message.get("uno"):
                return
            # -- this Python has no uno, or could not run the bridge at all: try the next one --
            self._stop_bridge()
            if not self.pythons:
                self._abort()
                raise OutputError(f"no Python here can import uno for PDF output; {UNO_HINT}", code="missing_tool")
            self._launch()

    def _wait_ready(self) -> None:
        while not self.ready:
            self.ready = bool(self._receive("start").get("ready"))

    def _send(self, request: dict[str, Any]) -> None:
        self._wait_ready()
        assert self.proc is not None and self.proc.stdin is not None
        self.deadline = time.monotonic() + self.timeout
        self.busy = True
        try:
            self.proc.stdin.write(json.dumps(request, ensure_ascii=False) + "\n")
            self.proc.stdin.flush()
        except OSError:
            pass  # -- the bridge is gone; _receive reports why --

    def _answer(self, what: str) -> dict[str, Any]:
        answer = self._receive(what)
        self.busy = False
        return answer

    # -- documents ------------------------------------------------------------------------------

    def lay_out(self, docx: bytes, bookmarks: Sequence[str]) -> dict[str, int]:
        """Load `docx` (kept open for `start_export`) and return the physical page (the cover is 1) of
        each of `bookmarks` that it holds."""
        self.documents += 1
        path = self.tmp / f"edition-{self.documents}.docx"
        path.write_bytes(docx)
        self._send({"op": "open", "path": str(path), "anchors": list(bookmarks)})
        answer = self._answer("lay out the document")
        return {str(k): int(v) for k, v in answer["anchors"].items()}

    def start_export(self, fill: dict[str, str], placeholder: str) -> None:
        """Have LibreOffice write `fill` into the open document's TOC-type entries and export the PDF,
        while the caller goes on; `pdf()` waits for it."""
        self.fill = fill
        self._send(
            {
                "op": "export",
                "fill": fill,
                "placeholder": placeholder,
                "pdf": str(self.tmp / f"edition-{self.documents}.pdf"),
            }
        )

    def pdf(self, last: bool = False) -> bytes:
        """The PDF of the export started last.  Raises OutputError when an entry to fill was not found
        (its number would be wrong in the PDF).  With `last` (no document follows), LibreOffice is
        told to quit at once, so that it stops while the caller writes its files."""
        answer = self._answer("export the PDF")
        if last:
            self._quit()
        missing = sorted(set(self.fill) - set(answer["filled"]))
        if missing:
            self._abort()
            raise OutputError(
                f"LibreOffice did not show the page-number entries {', '.join(missing[:5])} in the contents",
                code="pdf_failed",
            )
        pdf = self.tmp / f"edition-{self.documents}.pdf"
        try:
            data = pdf.read_bytes()
            pdf.unlink()
            (self.tmp / f"edition-{self.documents}.docx").unlink()
        except OSError as exc:
            self._abort()
            raise OutputError(f"LibreOffice produced no PDF: {exc.strerror}", code="pdf_failed") from None
        if not data.startswith(b"%PDF"):
            self._abort()
            raise OutputError("LibreOffice produced no PDF", code="pdf_failed")
        return data

    # -- stopping -------------------------------------------------------------------------------

    def _stop_bridge(self) -> None:
        proc, self.proc = self.proc, None
        if self.lifeline >= 0:
            os.close(self.lifeline)  # -- the bridge kills LibreOffice and leaves --
            self.lifeline = -1
        if proc is None:
            return
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        if self.office_group:
            # -- in case the bridge died before it could kill LibreOffice --
            try:
                os.killpg(self.office_group, signal.SIGKILL)
            except OSError:
                pass
            self.office_group = 0
        if self.reader is not None:
            self.reader.join(timeout=5)
        for stream in (proc.stdin, proc.stdout):
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass

    def _abort(self) -> None:
        """Kill LibreOffice now, whatever it is doing, and remove its profile."""
        self.ready = False
        self.quitting = False
        self.close()

    def _quit(self) -> None:
        """Ask an idle LibreOffice to quit; `close()` waits for it."""
        if self.proc is None or not self.ready or self.busy or self.quitting or self.proc.poll() is not None:
            return
        self.quitting = True
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.write('{"op": "quit"}\n')
            self.proc.stdin.flush()
        except OSError:
            pass

    def close(self) -> None:
        """Stop LibreOffice (politely when it is idle) and remove its profile; safe to call twice."""
        self._quit()
        if self.quitting:
            self.deadline = time.monotonic() + 10
            try:
                while (message := self.lines.get(timeout=max(0.0, self.deadline - time.monotonic()))) is not None:
                    if message.get("bye"):
                        break
            except queue.Empty:
                pass
        self.ready = False
        self._stop_bridge()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self) -> Office:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
