"""Drives one headless LibreOffice for reportkit; run as a script by a Python that can import `uno`.

That Python is LibreOffice's own or the system's (Debian's python3-uno), not the one reportkit is
installed in, so this file imports nothing from reportkit and nothing outside the standard library
but `uno`.  reportkit talks to it over stdin/stdout, one JSON object per line:

    <- {"uno": true}                           this Python can drive LibreOffice
    <- {"spawned": PGID}                       LibreOffice's process group, for a last-resort kill
    <- {"ready": true}                         LibreOffice answers
    -> {"op": "open", "path": P, "anchors": ["_Toc000001", ...]}
    <- {"anchors": {"_Toc000001": 5, ...}}     the physical page (1 = first) of each of those bookmarks
    -> {"op": "export", "fill": {NAME: TEXT}, "placeholder": "0", "pdf": P}
    <- {"filled": [NAME, ...]}                 index entries linked to NAME had their page set to TEXT
    -> {"op": "quit"}
    <- {"bye": true}

A failure is answered with {"error": MESSAGE} (and {"code": ...} when the cause is known).

The file descriptor given by --lifeline is the read end of a pipe that reportkit holds open and never
writes: it reaches end-of-file when reportkit closes it or dies for any reason, and then
LibreOffice is killed and its temporary profile removed, so no soffice outlives a render.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from typing import Any

RESTART = 81  # -- soffice's exit status after it set up a new profile: it wants to be started again --

# -- The per-entry work runs as Basic inside LibreOffice: over the pipe, each of the several hundred
#    calls it makes would be a round trip between two processes --
BASIC_LIBRARY, BASIC_MODULE = "ReportKit", "Layout"
BASIC = """
Option Explicit

' The physical page (1 = first) of each bookmark named in aNames; 0 for a name the document lacks.
Function Pages(oDoc As Object, aNames As Variant) As Variant
    Dim oCursor As Object, oMarks As Object, aOut() As Long, i As Long
    oCursor = oDoc.getCurrentController().getViewCursor()
    oMarks = oDoc.getBookmarks()
    ReDim aOut(UBound(aNames))
    For i = 0 To UBound(aNames)
        aOut(i) = 0
        If oMarks.hasByName(aNames(i)) Then
            oCursor.gotoRange(oMarks.getByName(aNames(i)).getAnchor(), False)
            aOut(i) = oCursor.getPage()
        End If
    Next i
    Pages = aOut
End Function

' Every index entry (TOC, table of figures) that links to the bookmark aNames(k) and ends with
' sPlaceholder gets aValues(k) in its place.  Writer keeps a Word TOC field as an index holding the
' field's text; updating the index would rebuild the entries Writer's way, so only the page changes.
' Returns, for each name, how many entries were filled.
Function Fill(oDoc As Object, aNames As Variant, aValues As Variant, sPlaceholder As String) As Variant
    Dim oText As Object, oIndexes As Object, oIndex As Object, oEnum As Object, oPara As Object
    Dim oCursor As Object, aDone() As Long, i As Long, k As Long, bProtected As Boolean, sUrl As String
    oText = oDoc.getText()
    oIndexes = oDoc.getDocumentIndexes()
    ReDim aDone(UBound(aNames)) As Long
    oDoc.lockControllers()
    For i = 0 To oIndexes.getCount() - 1
        oIndex = oIndexes.getByIndex(i)
        bProtected = oIndex.IsProtected
        oIndex.IsProtected = False
        oEnum = oText.createTextCursorByRange(oIndex.getAnchor()).createEnumeration()
        Do While oEnum.hasMoreElements()
            oPara = oEnum.nextElement()
            If oPara.supportsService("com.sun.star.text.Paragraph") Then
                oCursor = oText.createTextCursorByRange(oPara.getEnd())
                oCursor.goLeft(Len(sPlaceholder), True)
                sUrl = oCursor.HyperLinkURL
                k = -1
                If Left(sUrl, 1) = "#" And oCursor.getString() = sPlaceholder Then k = Position(aNames, Mid(sUrl, 2))
                If k >= 0 Then
                    oCursor.setString(aValues(k))
                    aDone(k) = aDone(k) + 1
                End If
            End If
        Loop
        oIndex.IsProtected = bProtected
    Next i
    oDoc.unlockControllers()
    Fill = aDone
End Function

Function Position(aNames As Variant, sName As String) As Long
    Dim i As Long
    Position = -1
    For i = 0 To UBound(aNames)
        If aNames(i) = sName Then
            Position = i
            Exit Function
        End If
    Next i
End Function

Function Ready() As Long
    Ready = 1
End Function
"""


def reply(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def describe(exc: BaseException) -> str:
    text = getattr(exc, "Message", "") or str(exc) or type(exc).__name__
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__


class Office:
    """One soffice process in its own process group, and the UNO connection to it."""

    def __init__(self, soffice: str, profile: str, pipe: str, log: str):
        self.cmd = [
            soffice,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--invisible",
            "--norestore",
            "--nologo",
            "--nodefault",
            "--nolockcheck",
            f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext",
        ]
        self.url = f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext"
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None
        self.desktop: Any = None
        self.doc: Any = None
        self.ctx: Any = None
        # -- spawn and kill exclude each other, so no soffice is started after (or while) it is killed --
        self.lock = threading.Lock()
        self.killed = False

    def spawn(self) -> None:
        with self.lock, open(self.log, "ab") as log:
            if self.killed:
                raise RuntimeError("stopped")
            # -- its own session: one killpg reaches the launcher script and soffice.bin behind it --
            self.proc = subprocess.Popen(
                self.cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True
            )
            reply({"spawned": self.proc.pid})

    def connect(self) -> None:
        import uno
        from com.sun.star.connection import NoConnectException

        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
        self.spawn()
        restarts = 0
        while True:
            assert self.proc is not None
            code = self.proc.poll()
            if code == RESTART and restarts < 2:
                restarts += 1
                self.spawn()
            elif code is not None:
                raise RuntimeError(f"soffice exited with status {code} while starting{self.log_tail()}")
            try:
                ctx = resolver.resolve(self.url)
                break
            except NoConnectException:
                time.sleep(0.05)
        self.desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        self.install_basic(ctx)

    def install_basic(self, ctx: Any) -> None:
        self.ctx = ctx
        smgr = ctx.ServiceManager
        libraries = smgr.createInstanceWithContext("com.sun.star.script.ApplicationScriptLibraryContainer", ctx)
        if not libraries.hasByName(BASIC_LIBRARY):
            libraries.createLibrary(BASIC_LIBRARY)
        library = libraries.getByName(BASIC_LIBRARY)
        if library.hasByName(BASIC_MODULE):
            library.replaceByName(BASIC_MODULE, BASIC)
        else:
            library.insertByName(BASIC_MODULE, BASIC)
        # -- Basic starts up on its first call: better now, while reportkit is still preparing --
        self.call("Ready")

    def call(self, name: str, *args: Any) -> Any:
        # -- the script is looked up for each call and let go right after: a reference to it still held
        #    when LibreOffice terminates makes it crash on the way out --
        provider = self.ctx.ServiceManager.createInstanceWithContext(
            "com.sun.star.script.provider.MasterScriptProviderFactory", self.ctx
        ).createScriptProvider("")
        script = provider.getScript(
            f"vnd.sun.star.script:{BASIC_LIBRARY}.{BASIC_MODULE}.{name}?language=Basic&location=application"
        )
        try:
            return script.invoke(args, (), ())[0]
        finally:
            del script, provider

    def log_tail(self) -> str:
        try:
            with open(self.log, encoding="utf-8", errors="replace") as fh:
                lines = [ln.strip() for ln in fh if ln.strip()]
        except OSError:
            return ""
        return f": {lines[-1]}" if lines else ""

    def open(self, path: str, names: list[str]) -> dict[str, Any]:
        import uno

        self.close_document()
        self.doc = self.desktop.loadComponentFromURL(
            uno.systemPathToFileUrl(path), "_blank", 0, (prop("Hidden", True),)
        )
        if self.doc is None:
            raise RuntimeError("LibreOffice could not open the document")
        pages = self.call("Pages", self.doc, tuple(names))
        return {"anchors": {name: page for name, page in zip(names, pages) if page}}

    def export(self, fill: dict[str, str], placeholder: str, pdf: str) -> dict[str, Any]:
        import uno

        if self.doc is None:
            raise RuntimeError("no document is open")
        names = tuple(fill)
        counts = self.call("Fill", self.doc, names, tuple(fill[n] for n in names), placeholder)
        filled = [name for name, count in zip(names, counts) if count]
        self.doc.storeToURL(uno.systemPathToFileUrl(pdf), (prop("FilterName", "writer_pdf_Export"),))
        self.close_document()
        return {"filled": filled}

    def close_document(self) -> None:
        if self.doc is not None:
            doc, self.doc = self.doc, None
            try:
                doc.close(True)
            except Exception:
                doc.dispose()

    def quit(self) -> None:
        try:
            self.close_document()
            if self.desktop is not None:
                self.desktop.terminate()
            if self.proc is not None:
                self.proc.wait(timeout=10)
        except Exception:
            pass
        self.kill()

    def kill(self) -> None:
        with self.lock:
            self.killed = True
            if self.proc is None:
                return
            group = self.proc.pid
            try:
                os.killpg(group, signal.SIGKILL)
            except OSError:
                return
        # -- the profile can be removed only once nothing writes to it any more --
        until = time.monotonic() + 3
        while time.monotonic() < until:
            reap()
            try:
                os.killpg(group, 0)
            except OSError:
                return
            time.sleep(0.02)


def adopt_orphans() -> None:
    """Become the parent of LibreOffice's processes whose launcher died (Linux), so that they can be
    reaped here at once instead of lingering as zombies where the system's init does not reap."""
    try:
        import ctypes

        ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass


def reap() -> None:
    while True:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def prop(name: str, value: Any) -> Any:
    from com.sun.star.beans import PropertyValue

    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


_leaving = threading.Lock()


def leave(office: Office, tmpdir: str) -> None:
    """Kill LibreOffice, remove the temporary folder and exit, from whichever thread gets here first."""
    with _leaving:
        office.kill()
        if tmpdir:
            shutil.rmtree(tmpdir, ignore_errors=True)
        os._exit(0)


def watch_lifeline(fd: int, office: Office, tmpdir: str) -> None:
    """Block until reportkit closes the lifeline or dies; then leave."""
    try:
        while os.read(fd, 1024):
            pass
    except OSError:
        pass
    leave(office, tmpdir)


def main() -> int:
    parser = argparse.ArgumentParser()
    for name in ("--soffice", "--profile", "--pipe", "--log"):
        parser.add_argument(name, required=True)
    parser.add_argument("--lifeline", type=int, required=True)
    parser.add_argument("--tmpdir", default="")
    args = parser.parse_args()
    adopt_orphans()
    office = Office(args.soffice, args.profile, args.pipe, args.log)
    threading.Thread(target=watch_lifeline, args=(args.lifeline, office, args.tmpdir), daemon=True).start()
    try:
        return run(office)
    except BrokenPipeError:
        pass
    # -- reportkit is gone without saying quit; and if the lifeline thread is already leaving, this
    #    waits for it, so the process does not end halfway through its clean-up --
    leave(office, args.tmpdir)
    return 1


def run(office: Office) -> int:
    try:
        import uno  # noqa: F401
    except ImportError as exc:
        reply({"error": f"this Python cannot import uno ({exc})", "code": "no_uno"})
        return 3
    reply({"uno": True})
    try:
        office.connect()
    except Exception as exc:
        if office.killed:
            raise BrokenPipeError from None
        office.kill()
        reply({"error": describe(exc)})
        return 1
    reply({"ready": True})
    for line in sys.stdin:
        if serve(office, line):
            office.quit()
            reply({"bye": True})
            # -- nothing left to tidy: skip tearing the UNO runtime down, reportkit is waiting --
            os._exit(0)
    raise BrokenPipeError


def serve(office: Office, line: str) -> bool:
    """Answer one request; True when it asks to quit."""
    try:
        request = json.loads(line)
        op = request["op"]
        if op == "open":
            reply(office.open(request["path"], request["anchors"]))
        elif op == "export":
            reply(office.export(request["fill"], request["placeholder"], request["pdf"]))
        elif op == "quit":
            return True
        else:
            reply({"error": f"unknown request {op!r}"})
    except BrokenPipeError:
        raise
    except Exception as exc:
        if office.killed:
            raise BrokenPipeError from None
        office.close_document()
        reply({"error": describe(exc)})
    return False


if __name__ == "__main__":
    sys.exit(main())
