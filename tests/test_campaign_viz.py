"""`simsocial viz` on a campaign scenario serves the network live: Mesa's space component redrawn each round
(headless Chromium, the real CampaignModel on the in-process scripted chat model)."""

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


def test_campaign_viz_draws_the_network_and_steps_rounds(tmp_path) -> None:
    port = _free_port()
    cmd = [sys.executable, "-m", "simsocial.cli.main", "viz", str(ROOT / "scenarios" / "campaign_small_world.yaml"),
           "--scripted", "--port", str(port)]  # fmt: skip
    server = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 120
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
            browser.click_button("Step")
            text = browser.wait_for_text("Step: 1", "round 1 · 100 people")
            assert "direct: 8 dialogue(s)" in text and "vs_standard: 8 dialogue(s)" in text  # 4 seeds × 2 friends
            browser.click_button("Step")
            browser.wait_for_text("Step: 2", "round 2 · 100 people")
            images = browser.evaluate("document.querySelectorAll('img').length")
            assert images >= 2  # the network (Mesa's space component) and the adoption curves
            browser.screenshot(tmp_path / "campaign-viz.png")
        assert (tmp_path / "campaign-viz.png").stat().st_size > 10_000
    finally:
        server.terminate()
        server.wait(timeout=30)
