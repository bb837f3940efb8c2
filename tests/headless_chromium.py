"""Drive the system's headless Chromium over the DevTools protocol: open a page, wait for text, click,
take a screenshot.  A test helper (Chromium is the Debian package ``chromium``); no browser download."""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from websockets.sync.client import connect

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--remote-debugging-port=0", "--window-size=1400,1100"]  # fmt: skip


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


class HeadlessChromium:
    """``with HeadlessChromium() as browser: browser.open(url); browser.wait_for_text("Step")``."""

    def __init__(self) -> None:
        self._profile = tempfile.TemporaryDirectory(prefix="chromium-profile-")  # a fresh --user-data-dir
        self._proc: subprocess.Popen[bytes] | None = None
        self._ids = itertools.count(1)
        self._closing = contextlib.ExitStack()
        self.dialogs: list[str] = []  # alert/confirm/prompt messages the page raised (see watch_dialogs)

    def __enter__(self) -> HeadlessChromium:
        binary = chromium_path()
        if binary is None:
            raise RuntimeError("chromium is not installed (apt-get install chromium)")
        self._proc = subprocess.Popen([binary, *FLAGS, f"--user-data-dir={self._profile.name}", "about:blank"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                      start_new_session=True)  # its helpers in one group, stopped together  # fmt: skip
        port_file = Path(self._profile.name) / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not port_file.is_file() or not port_file.read_text().strip():
            if time.monotonic() > deadline:
                raise RuntimeError("chromium did not open its DevTools port")
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        pages = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10))
        url = next(p["webSocketDebuggerUrl"] for p in pages if p["type"] == "page")
        self._ws = self._closing.enter_context(connect(url, max_size=None, open_timeout=10))
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self._closing.close()
        finally:
            if self._proc is not None:
                # Chromium's helper processes (crashpad, zygote) outlive the browser and still write into the
                # profile: the whole group goes, then the profile ("Directory not empty" was that race).
                self._stop_group(signal.SIGTERM)
                try:
                    self._proc.wait(timeout=30)
                finally:
                    self._stop_group(signal.SIGKILL)
            self._profile.cleanup()

    def _stop_group(self, sig: signal.Signals) -> None:
        assert self._proc is not None
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._proc.pid, sig)
        if sig is signal.SIGKILL:  # wait until no process of the group is left
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                try:
                    os.killpg(self._proc.pid, 0)
                except ProcessLookupError:
                    return
                time.sleep(0.05)

    def watch_dialogs(self) -> None:
        """Record every JavaScript dialog the page opens in :attr:`dialogs` (and dismiss it, so the page
        goes on): a script that ran shows up here instead of blocking the page."""
        self.call("Page.enable")

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """One DevTools command; events arriving meanwhile are skipped (dialogs recorded and dismissed)."""
        ident = next(self._ids)
        self._ws.send(json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            message = json.loads(self._ws.recv(timeout=60))
            if message.get("method") == "Page.javascriptDialogOpening":
                self.dialogs.append(message["params"].get("message", ""))
                dismiss = {"id": next(self._ids), "method": "Page.handleJavaScriptDialog", "params": {"accept": True}}
                self._ws.send(json.dumps(dismiss))
            if message.get("id") == ident:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def open(self, url: str) -> None:
        self.call("Page.navigate", url=url)

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")

    def text(self) -> str:
        return self.evaluate("document.body ? document.body.innerText : ''") or ""

    def wait_for_text(self, *needles: str, timeout_s: float = 120) -> str:
        """Wait until the page's visible text holds every needle; return that text."""
        deadline = time.monotonic() + timeout_s
        while True:
            text = self.text()
            if all(n in text for n in needles):
                return text
            if time.monotonic() > deadline:
                raise TimeoutError(f"page text never held {needles}; it was:\n{text[:2000]}")
            time.sleep(0.5)

    def click_button(self, label: str) -> None:
        """Click the first button whose visible text is ``label``."""
        found = self.evaluate(
            "(() => { const b = [...document.querySelectorAll('button')]"
            f".find(b => b.innerText.trim().toLowerCase() === {json.dumps(label.lower())});"
            " if (b) { b.click(); return true; } return false; })()"
        )
        if not found:
            raise LookupError(f"no button {label!r} on the page")

    def screenshot(self, path: Path) -> None:
        data = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)["data"]
        path.write_bytes(base64.b64decode(data))
