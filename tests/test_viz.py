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

pytest.importorskip("solara")
pytest.importorskip("websockets")
from headless_chromium import HeadlessChromium, chromium_path  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.skipif(chromium_path() is None, reason="chromium not installed")]
ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_viz_page_serves_renders_and_steps(tmp_path) -> None:
    port = _free_port()
    cmd = [sys.executable, "-m", "simsocial.cli.main", "viz", str(ROOT / "scenarios" / "persuasion_for_good.yaml"),
           "--scripted", "--port", str(port)]  # fmt: skip
    server = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 120
        while True:
            try:
                html = urllib.request.urlopen(url, timeout=5).read().decode()
                break
            except OSError:
                assert server.poll() is None, server.stderr.read().decode()[-3000:]
                assert time.monotonic() < deadline, "the page was never served"
                time.sleep(0.5)
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
