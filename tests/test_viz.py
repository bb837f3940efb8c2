"""`simsocial viz` serves a Mesa SolaraViz page that renders and steps in headless Chromium.

The page runs the real PersuasionModel on the in-process scripted chat model (``--scripted``): what is
checked is the page (parameters, step control, panels), not model behaviour."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from guards import require, require_module

require_module("solara")
require_module("websockets")
from fault_server import FaultServer  # noqa: E402
from headless_chromium import HeadlessChromium, chromium_path  # noqa: E402 - needs websockets

require(chromium_path() is not None, "chromium not installed (make browser)")
pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(*args: str, cwd: Path = ROOT) -> tuple[subprocess.Popen[bytes], str, str]:
    """``simsocial viz`` with ``args`` on a free port: the process, the page's URL and its first HTML."""
    port = _free_port()
    cmd = [sys.executable, "-m", "simsocial.cli.main", "viz", str(ROOT / "scenarios" / "persuasion_for_good.yaml"),
           *args, "--port", str(port)]  # fmt: skip
    server = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 300  # a loaded 2-core machine takes minutes to import the page
    while True:
        try:
            return server, url, urllib.request.urlopen(url, timeout=5).read().decode()
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.terminate()
                raise AssertionError(f"the page was never served: {server.stderr.read().decode()[-3000:]}") from None
            time.sleep(0.5)


def test_viz_page_serves_renders_and_steps(tmp_path) -> None:
    server, url, html = _serve("--scripted")
    try:
        assert "/_solara/cdn/" in html  # assets are served locally (solara-assets), not from the internet
        with HeadlessChromium() as browser:
            browser.open(url)
            browser.wait_for_text(
                "Model Parameters", "dialogues per method", "Step: 0", "0 active, 0 finished (step 0)",
                "direct,vs_standard · k of the scenario · 3 dialogues per method · 4 turns · seed 0",
            )
            browser.click_button("Step")
            browser.wait_for_text("Step: 1", "6 active, 0 finished (step 1)")
            browser.click_button("Step")
            text = browser.wait_for_text("Step: 2", "6 active, 0 finished (step 2)")
            # Each active dialogue's latest message and reply, with strategy and stance labels.
            assert text.count("· turn 2") == 6 and "Persuadee [" in text
            images = browser.evaluate("document.querySelectorAll('img').length")
            assert images >= 2  # the stance-share plot and the stated-amount histogram (matplotlib)
            browser.screenshot(tmp_path / "viz.png")
        assert (tmp_path / "viz.png").stat().st_size > 10_000
    finally:
        server.terminate()
        server.wait(timeout=30)
    # Solara's warnings (rules-of-hooks about Mesa's components, the cookie on plain http) stay out of the terminal.
    logged = server.stderr.read().decode()
    assert "Warning" not in logged and "serving http://127.0.0.1" in logged, logged


HOSTILE = (
    "<img src=x onerror=alert(1)>",
    '<iframe srcdoc="<script>alert(2)</script>"></iframe>',
    "<script>alert(3)</script>",
    "{{constructor.constructor('alert(4)')()}}",
)
UTTERANCE = " and ".join(HOSTILE)  # every utterance carries every payload, whichever candidate is drawn


def test_viz_shows_hostile_utterances_as_text_and_runs_none(tmp_path) -> None:
    """An endpoint's utterances are text on the page: markup and Vue templates in them are shown, never run."""
    with FaultServer(schema_answers=True, texts=[UTTERANCE], record=False) as endpoint:
        server, url, _ = _serve("--base-url", endpoint.base_url, "--model", "fake", cwd=tmp_path)
        try:
            with HeadlessChromium() as browser:
                browser.watch_dialogs()
                browser.open(url)
                browser.wait_for_text("Step: 0", "0 active, 0 finished (step 0)")
                browser.click_button("Step")
                browser.wait_for_text("Step: 1", "6 active, 0 finished (step 1)", UTTERANCE)
                browser.click_button("Step")
                text = browser.wait_for_text("Step: 2", "6 active, 0 finished (step 2)", UTTERANCE)
                frames = browser.evaluate("document.querySelectorAll('iframe').length")
                planted = "[...document.querySelectorAll('img')].filter(i => i.src.endsWith('/x')).length"
                images = browser.evaluate(planted)
            assert browser.dialogs == []  # no script of the model ran (an alert would be recorded here)
            assert frames == 0 and images == 0  # no element of the model's was made
            assert text.count(UTTERANCE) == 12  # shown literally: each dialogue's latest message and reply
        finally:
            server.terminate()
            server.wait(timeout=30)
