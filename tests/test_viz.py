"""`simsocial viz` serves a Mesa SolaraViz page that renders and steps in headless Chromium.

The page runs the real PersuasionModel on the in-process scripted chat model (``--scripted``): what is
checked is the page (parameters, step control, panels, one model per browser session, who may connect),
not model behaviour."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from guards import require, require_module

require_module("solara")
require_module("websockets")
from fault_server import FaultServer  # noqa: E402
from headless_chromium import HeadlessChromium, chromium_path  # noqa: E402 - needs websockets
from websockets.exceptions import InvalidStatus  # noqa: E402
from websockets.sync.client import connect  # noqa: E402

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
                "Model Parameters",
                "dialogues per method",
                "Step: 0",
                "0 active, 0 finished (step 0)",
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


@pytest.fixture(scope="module")
def scripted_view() -> Iterator[str]:
    """One ``simsocial viz --scripted`` for the tests below (each browser gets a session of its own)."""
    server, url, _ = _serve("--scripted")
    try:
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def _status(url: str, method: str = "GET", **headers: str) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method=method, headers=headers), timeout=30) as r:
            return r.status
    except urllib.error.HTTPError as error:
        return error.code


def _upgrade(url: str, origin: str | None, host: str | None = None) -> int:
    """Open the kernel WebSocket of the page at ``url`` (as ``host`` when given) from ``origin``: 101 or the
    refusal's HTTP status."""
    port = int(url.rsplit(":", 1)[1].strip("/"))
    path = "/jupyter/api/kernels/probe-kernel/channels?session_id=probe-page"
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)  # a rebinding name still reaches 127.0.0.1
    try:
        with connect(f"ws://{host or f'127.0.0.1:{port}'}{path}", sock=sock, origin=origin, open_timeout=30):
            return 101
    except InvalidStatus as refusal:
        return refusal.response.status_code


def test_the_live_view_answers_its_own_page_only(scripted_view) -> None:
    """DNS rebinding (a foreign Host) and cross-site WebSocket hijacking (a foreign Origin) are refused."""
    url = scripted_view
    port = url.rsplit(":", 1)[1].strip("/")
    own = f"http://127.0.0.1:{port}"
    assert _status(url) == 200 and _status(f"http://localhost:{port}/") == 200
    assert _status(url, Host=f"rebound.example:{port}") == 403  # a hostile name re-pointed at 127.0.0.1
    assert _status(url, Host="127.0.0.1:1") == 403  # not the port it serves
    assert _status(url, Origin="http://evil.example") == 403  # a cross-site request
    assert _upgrade(url, origin=own) == 101  # the page's own WebSocket opens
    assert _upgrade(url, origin="http://evil.example") == 403  # another site's page
    assert _upgrade(url, origin=f"http://localhost:{port}") == 403  # not the origin of a page at 127.0.0.1
    assert _upgrade(url, origin=None) == 403
    rebound = f"rebound.example:{port}"
    assert _upgrade(url, origin=f"http://{rebound}", host=rebound) == 403


def test_two_browser_sessions_step_their_own_models(scripted_view) -> None:
    with HeadlessChromium() as first, HeadlessChromium() as second:
        first.open(scripted_view)
        second.open(scripted_view)
        first.wait_for_text("Step: 0", "0 active, 0 finished (step 0)")
        second.wait_for_text("Step: 0", "0 active, 0 finished (step 0)")
        first.click_button("Step")
        first.wait_for_text("Step: 1", "6 active, 0 finished (step 1)")
        first.click_button("Step")
        first.wait_for_text("Step: 2", "6 active, 0 finished (step 2)")
        second.click_button("Step")
        second.wait_for_text("Step: 1", "6 active, 0 finished (step 1)")
        # Each page shows its own model: the second's step moved neither the first's count nor its dialogues.
        assert "Step: 2" in first.text() and "(step 2)" in first.text()
        assert "Step: 1" in second.text() and "(step 1)" in second.text()


def _press(browser: HeadlessChromium, key: str, code: int) -> None:
    for kind in ("keyDown", "keyUp"):
        browser.call("Input.dispatchKeyEvent", type=kind, key=key, code=key, windowsVirtualKeyCode=code)


def test_a_moved_slider_shows_its_value_beside_the_running_models_until_reset(scripted_view) -> None:
    running = "direct,vs_standard · k of the scenario · 3 dialogues per method · 4 turns · seed 0"
    with HeadlessChromium() as browser:
        browser.open(scripted_view)
        browser.wait_for_text(running, "the panel's values are the running model's")
        browser.evaluate("document.querySelector('[role=slider][aria-label=\"turns\"]').focus()")
        for _ in range(2):
            _press(browser, "ArrowRight", 39)  # the slider's keyboard control: one step each
        text = browser.wait_for_text("applies on Reset, turns: 6 (running: 4)")
        assert running in text  # the model is the one it was until Reset
        browser.click_button("Reset")
        text = browser.wait_for_text("3 dialogues per method · 6 turns · seed 0", "the panel's values are the running")
        assert "applies on Reset" not in text
