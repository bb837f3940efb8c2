"""The validity sections of the HTML reports, rendered in headless Chromium (the Debian package).

``SIMSOCIAL_DOCS_SCREENSHOTS=1`` also writes the screenshots docs/validity.md shows.
"""

from __future__ import annotations

import base64
import os
import shutil
from pathlib import Path

import pytest
from cli_helpers import REPO, simsocial
from headless_chromium import HeadlessChromium, chromium_path
from validity_scripts import donation_model, gaussian_on_grid, simulate, write_sweep_index

pytestmark = [pytest.mark.slow, pytest.mark.skipif(chromium_path() is None and not os.environ.get("CI"),
                                                   reason="chromium not installed")]  # fmt: skip

GRID = (0.0, 0.10, 0.25, 0.50, 0.75, 1.00, 1.50, 2.00)


def _choose(request):
    text = " ".join(m["content"] for m in request.messages)
    centre = 0.9 if "A emotion-appeal message." in text else 0.3
    return gaussian_on_grid(GRID, centre + (0.4 if "warm, trusting and cooperative" in text else 0.0), 0.3)


def _shot(browser: HeadlessChromium, anchor: str, path: Path, until: str | None = None) -> None:
    """A screenshot of the page from the heading ``anchor`` to the heading ``until`` (or the page's end)."""
    top = browser.evaluate(f"document.getElementById({anchor!r}).getBoundingClientRect().top + window.scrollY")
    end = (f"document.getElementById({until!r}).getBoundingClientRect().top + window.scrollY" if until
           else "document.body.scrollHeight")  # fmt: skip
    height = browser.evaluate(end) - top
    data = browser.call("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                        clip={"x": 0, "y": top, "width": 1400, "height": height, "scale": 1})["data"]  # fmt: skip
    path.write_bytes(base64.b64decode(data))
    assert path.stat().st_size > 20_000
    if os.environ.get("SIMSOCIAL_DOCS_SCREENSHOTS"):
        shutil.copy(path, REPO / "docs" / path.name)


def test_reports_show_calibration_and_effects_sections_with_their_figures(tmp_path) -> None:
    model = donation_model(_choose, persuader=("emotion-appeal", "logical-appeal", "greeting"))
    simulate(tmp_path / "sweep" / "vs_standard-k3", None, dialogues=80, k=3, seed=2, model=model)
    other = donation_model(lambda _r: gaussian_on_grid(GRID, 1.2, 0.3), persuader=("credibility-appeal", "greeting"))
    simulate(tmp_path / "sweep" / "vs_standard-k2", None, dialogues=80, k=2, seed=2, model=other)
    write_sweep_index(tmp_path / "sweep", ["vs_standard-k3", "vs_standard-k2"])
    calibrated = simsocial("calibrate", tmp_path / "sweep", "--resamples", "200", cwd=tmp_path)
    assert calibrated.code == 0, calibrated.output
    done = simsocial("compare", tmp_path / "sweep", "--effects", "traits", "--effects", "strategies", "--out",
                     tmp_path / "cmp", "--resamples", "100", cwd=tmp_path, timeout=600)  # fmt: skip
    assert done.code == 0, done.output
    with HeadlessChromium() as browser:
        browser.open((tmp_path / "cmp" / "report.html").as_uri())
        text = browser.wait_for_text("Who gives: trait effects", "What works: strategy effects", "sign agreement",
                                     "not detectable", "Calibration: chosen on half the humans")  # fmt: skip
        assert "n=80 dialogues" in text or "n=79 dialogues" in text
        assert "held-out half n=483" in text and "★ vs_standard-k" in text
        loaded = browser.evaluate("[...document.images].filter(i => i.complete && i.naturalWidth > 0).length")
        assert loaded == browser.evaluate("document.images.length") and loaded >= 7
        _shot(browser, "effects-traits", tmp_path / "validity-effects.png", until="effects-strategies")
        _shot(browser, "calibration", tmp_path / "validity-calibration.png", until="effects-traits")
        browser.open((tmp_path / "sweep" / "calibrate" / "calibration.html").as_uri())
        page = browser.wait_for_text("Calibration: chosen on half the humans", "held-out half n=483", "★")
        assert "vs_standard-k3" in page and "vs_standard-k2" in page
