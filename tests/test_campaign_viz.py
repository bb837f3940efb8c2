"""`simsocial viz` on a campaign scenario serves the network live, once per method: Mesa's space component
redrawn each round (headless Chromium, the real CampaignModel on the in-process scripted chat model)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("solara")
pytest.importorskip("websockets")
from headless_chromium import HeadlessChromium, chromium_path  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.skipif(chromium_path() is None, reason="chromium not installed")]
ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


IMAGE_DIGESTS = """(async () => Promise.all([...document.querySelectorAll('img')].map(async image => {
    const bytes = await (await fetch(image.src)).arrayBuffer();
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
    return [...digest].map(b => b.toString(16).padStart(2, '0')).join('');
})))()"""


def _image_digests(browser: HeadlessChromium) -> list[str]:
    """A digest of every image's bytes as the page shows it now (a redraw may revoke an image's URL meanwhile:
    then look again)."""
    for _ in range(20):
        answer = browser.call("Runtime.evaluate", expression=IMAGE_DIGESTS, awaitPromise=True, returnByValue=True)
        if "exceptionDetails" not in answer:
            return answer["result"]["value"]
        time.sleep(0.5)
    raise AssertionError(f"the page's images could not be read: {answer['exceptionDetails']}")


def _type_methods(browser: HeadlessChromium, methods: str) -> None:
    """Replace the text of the panel's methods field and press Enter, as a user would."""
    browser.evaluate("(() => { const field = [...document.querySelectorAll('.v-text-field')]"
                     ".find(f => f.innerText.includes('methods')).querySelector('input');"
                     " field.focus(); field.select(); })()")  # fmt: skip
    browser.call("Input.insertText", text=methods)
    for kind in ("keyDown", "keyUp"):
        browser.call("Input.dispatchKeyEvent", type=kind, key="Enter", code="Enter", windowsVirtualKeyCode=13)


def test_campaign_viz_draws_every_method_and_steps_rounds(tmp_path) -> None:
    port = _free_port()
    cmd = [sys.executable, "-m", "simsocial.cli.main", "viz", str(ROOT / "scenarios" / "campaign_small_world.yaml"),
           "--scripted", "--port", str(port)]  # fmt: skip
    server = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 300  # a loaded 2-core machine takes minutes to import the page
        while True:
            try:
                urllib.request.urlopen(url, timeout=5).read()
                break
            except OSError:
                assert server.poll() is None, server.stderr.read().decode()[-3000:]
                assert time.monotonic() < deadline, "the page was never served"
                time.sleep(0.5)
        with HeadlessChromium() as browser:
            browser.open(url)
            browser.wait_for_text("Model Parameters", "contacts per advocate a round", "round 0 · 100 people")
            before = _image_digests(browser)
            assert len(before) == 3 and len(set(before)) == 3  # a network per method (2), the adoption curves
            browser.click_button("Step")
            text = browser.wait_for_text("Step: 1", "round 1 · 100 people")
            assert "direct: 8 dialogue(s)" in text and "vs_standard: 8 dialogue(s)" in text  # 4 seeds × 2 friends
            after = _image_digests(browser)
            assert len(after) == 3 and not set(before) & set(after)  # every drawing was redrawn for round 1
            browser.click_button("Step")
            browser.wait_for_text("Step: 2", "round 2 · 100 people")
            browser.screenshot(tmp_path / "campaign-viz.png")
            # A third method typed into the panel applies on Reset, and then has a drawing of its own.
            _type_methods(browser, "direct,vs_standard,vs_cot")
            browser.wait_for_text("applies on Reset, methods (comma-separated): direct,vs_standard,vs_cot "
                                  "(running: direct,vs_standard)")  # fmt: skip
            browser.click_button("Reset")
            browser.wait_for_text("Step: 0", "round 0 · 100 people", "the panel's values are the running")
            browser.click_button("Step")
            text = browser.wait_for_text("Step: 1", "vs_cot: 8 dialogue(s)")
            assert len(_image_digests(browser)) == 4
        assert (tmp_path / "campaign-viz.png").stat().st_size > 10_000
    finally:
        server.terminate()
        server.wait(timeout=30)
