"""The calibration inside ``compare``'s report.html: a saved calibration shown as saved (warned when it was
made otherwise), ``compare --calibrate`` making the same calibration ``simsocial calibrate`` makes, every
text escaped (a cell named like markup stays text in a real headless Chromium)."""

from __future__ import annotations

import json
import os
import shutil

import pandas as pd
import pytest
from cli_helpers import simsocial
from headless_chromium import HeadlessChromium, chromium_path
from validity_scripts import GRID, gaussian_on_grid, human_like, simulate, write_sweep_index

HOSTILE = "<img src=x onerror=alert(1)>"  # a cell directory named like markup: must stay text


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    root = tmp_path_factory.mktemp("sweep")
    simulate(root / "human-like", human_like, dialogues=40, k=5)
    simulate(root / HOSTILE, lambda _r: gaussian_on_grid(GRID, 1.5, 0.3), dialogues=40, k=5)
    write_sweep_index(root, ["human-like", HOSTILE])
    return root


def _compare(sweep, out, *args):
    done = simsocial("compare", sweep, "--out", out, "--resamples", "100", *args, cwd=out.parent, timeout=300)
    assert done.code == 0, done.output
    return done, (out / "report.html").read_text(encoding="utf-8")


def _calibrated_rows(table: pd.DataFrame) -> list[str]:
    """What the report must show of each cell: its fit score and held-out score with the interval."""
    return [f"{r['fit_ks']:.3f}</td><td>{r['heldout_ks']:.3f} [{r['heldout_ks_low']:.3f}, {r['heldout_ks_high']:.3f}]"
            for _, r in table.iterrows()]  # fmt: skip


def test_a_saved_calibration_is_shown_in_the_report_as_saved(sweep, tmp_path) -> None:
    sweep = shutil.copytree(sweep, tmp_path / "sweep")  # calibrated here only
    _, before = _compare(sweep, tmp_path / "before")
    assert "id='calibration'" not in before  # not calibrated yet: no section
    done = simsocial("calibrate", sweep, "--seed", "5", "--resamples", "100", cwd=tmp_path)
    assert done.code == 0, done.output
    compared, page = _compare(sweep, tmp_path / "after")
    assert "Calibration: chosen on half the humans" in page and "held-out half n=483" in page
    assert f"Saved by simsocial calibrate in {sweep / 'calibrate'}" in page
    assert "<tr class='chosen'><td>★ human-like</td>" in page  # the chosen cell, starred and shaded
    for shown in _calibrated_rows(pd.read_csv(sweep / "calibrate" / "calibration.csv")):
        assert shown in page  # every cell's fit and held-out figures, as calibrate saved them
    assert "gap (fit − held-out)" in page and "held-out mind-change [95% CI]" in page
    assert HOSTILE not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "calibration (by ks" in compared.stderr and "⚠" not in page.split("id='calibration'")[1].split("<h2")[0]


def test_a_saved_calibration_made_on_another_construct_is_shown_with_a_warning(sweep, tmp_path) -> None:
    sweep = shutil.copytree(sweep, tmp_path / "sweep")
    done = simsocial("calibrate", sweep, "--resamples", "100", cwd=tmp_path)
    assert done.code == 0, done.output
    compared, page = _compare(sweep, tmp_path / "cmp", "--donation", "in-dialogue")
    message = "calibrated with donation final, compared with donation in-dialogue"
    assert message in page and message in compared.stderr


def test_compare_calibrate_makes_the_calibration_calibrate_makes(sweep, tmp_path) -> None:
    compared, page = _compare(sweep, tmp_path / "cmp", "--calibrate", "w1", "--seed", "1")
    made = pd.read_csv(tmp_path / "cmp" / "calibrate" / "calibration.csv")
    alone = simsocial("calibrate", sweep, "--objective", "w1", "--seed", "1", "--resamples", "100",
                      "--out", tmp_path / "alone", cwd=tmp_path)  # fmt: skip
    assert alone.code == 0, alone.output
    pd.testing.assert_frame_equal(made, pd.read_csv(tmp_path / "alone" / "calibration.csv"))
    assert made.loc[made["chosen"], "cell"].tolist() == ["human-like"] and (made["objective"] == "w1").all()
    settings = json.loads((tmp_path / "cmp" / "calibrate" / "calibration.json").read_text())["settings"]
    assert settings["cleaning"] and settings["donation"] == "final"
    assert "Calibrated by compare --calibrate w1" in page and "<b>w1</b>" in page
    assert "Saved by simsocial calibrate" not in page  # asked for: the saved one is not shown beside it
    assert "calibration (by w1" in compared.stderr


@pytest.mark.slow
@pytest.mark.skipif(chromium_path() is None and not os.environ.get("CI"), reason="chromium not installed")
def test_the_calibration_section_renders_with_markup_as_text_in_chromium(sweep, tmp_path) -> None:
    _compare(sweep, tmp_path / "cmp", "--calibrate", "ks")
    with HeadlessChromium() as browser:
        browser.watch_dialogs()
        browser.open((tmp_path / "cmp" / "report.html").as_uri())
        browser.wait_for_text("Calibration: chosen on half the humans", "held-out ks [95% CI]")
        chosen = browser.evaluate("[...document.querySelectorAll('tr.chosen')].map(r => r.cells[0].textContent)")
        assert chosen == ["★ human-like"]
        cells = browser.evaluate("[...document.querySelectorAll('tr td')].map(c => c.textContent)")
        assert HOSTILE in cells  # shown as text, not made an element
        assert browser.evaluate("document.querySelectorAll('img[src=\"x\"]').length") == 0 and not browser.dialogs
        loaded = browser.evaluate("[...document.images].filter(i => i.complete && i.naturalWidth > 0).length")
        assert loaded == browser.evaluate("document.images.length") >= 5  # four comparison figures + calibration
