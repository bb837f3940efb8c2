"""simsocial calibrate over finished runs: a seeded, stratified split of the humans; choose on the fit half,
judge every cell on the held-out half with bootstrap intervals, the gap, a table, a figure, a page."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from cli_helpers import simsocial
from validity_scripts import GRID, gaussian_on_grid, human_like, simulate, write_sweep_index

from simsocial.metrics.distribution import wasserstein_1
from simsocial.metrics.paper import ks_paper, l1_paper
from simsocial.validity.samples import human_outcomes
from simsocial.validity.split import FIT, HELD_OUT, split_humans


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    root = tmp_path_factory.mktemp("sweep")
    simulate(root / "human-like", human_like, dialogues=40, k=5)
    simulate(root / "generous", lambda _r: gaussian_on_grid(GRID, 1.5, 0.3), dialogues=40, k=5)
    write_sweep_index(root, ["generous", "human-like"])
    return root


def test_split_is_seeded_stratified_and_covers_every_human() -> None:
    humans = human_outcomes()
    a, b, c = split_humans(humans, 1), split_humans(humans, 1), split_humans(humans, 2)
    assert (a["half"] == b["half"]).all() and not (a["half"] == c["half"]).all()
    assert set(a["half"]) == {FIT, HELD_OUT} and len(a) == len(humans) == 966
    for gave in (True, False):  # each stratum is halved (the odd one out is held out)
        stratum = a[a["gave"] == gave]
        assert (stratum["half"] == FIT).sum() == len(stratum) // 2


def test_calibrate_chooses_on_the_fit_half_and_reports_held_out_with_intervals(sweep, tmp_path) -> None:
    done = simsocial("calibrate", sweep, "--objective", "ks", "--seed", "5", "--resamples", "200", cwd=tmp_path)
    assert done.code == 0, done.output
    out = sweep / "calibrate"
    table = pd.read_csv(out / "calibration.csv")
    assert table.loc[table["chosen"], "cell"].tolist() == ["human-like"]
    assert "★ human-like" in done.stdout and "held-out half (n=483)" in done.stdout

    split = pd.read_csv(out / "split.csv")
    assert len(split) == 966 and set(split["seed"]) == {5}
    fit = split.loc[split["half"] == FIT, "donation"].to_numpy(float)
    held = split.loc[split["half"] == HELD_OUT, "donation"].to_numpy(float)
    for _, row in table.iterrows():  # the figures are the paper's metric functions on the written halves
        sim = pd.read_parquet(sweep / row["cell"] / "dialogues.parquet")["final_donation"].to_numpy(float)
        assert row["fit_ks"] == pytest.approx(ks_paper(sim, fit).statistic)
        assert row["heldout_ks"] == pytest.approx(ks_paper(sim, held).statistic)
        assert row["heldout_l1"] == pytest.approx(l1_paper(sim, held))
        assert row["heldout_w1"] == pytest.approx(wasserstein_1(sim, held))
        assert row["gap"] == pytest.approx(row["fit_ks"] - row["heldout_ks"])
        for metric in ("ks", "l1", "w1", "mind_change", "combined"):
            low, high = row[f"heldout_{metric}_low"], row[f"heldout_{metric}_high"]
            assert low <= high and row["n_sim"] == 40
    human_like, generous = (table.set_index("cell").loc[c] for c in ("human-like", "generous"))
    assert human_like["heldout_ks_high"] < generous["heldout_ks_low"]  # clearly apart, both held out

    payload = json.loads((out / "calibration.json").read_text())
    assert payload["chosen"] == "human-like" and payload["settings"]["split"]["fit"]["n"] == 483
    page = (out / "calibration.html").read_text()
    assert "held-out half n=483" in page and "data:image/png;base64," in page
    assert (out / "calibration.png").stat().st_size > 10_000


def test_the_objective_decides_and_the_seed_moves_the_split(sweep, tmp_path) -> None:
    one = simsocial("calibrate", sweep, "--objective", "w1", "--seed", "1", "--resamples", "100",
                    "--out", tmp_path / "a", cwd=tmp_path)  # fmt: skip
    two = simsocial("calibrate", sweep, "--objective", "w1", "--seed", "2", "--resamples", "100",
                    "--out", tmp_path / "b", cwd=tmp_path)  # fmt: skip
    assert one.code == two.code == 0, one.output + two.output
    a, b = (pd.read_csv(tmp_path / d / "calibration.csv") for d in ("a", "b"))
    assert (a["objective"] == "w1").all() and a.loc[a["chosen"], "cell"].tolist() == ["human-like"]
    assert not np.allclose(a["fit_w1"], b["fit_w1"])  # another seed, another fit half


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--objective", "kss"], "--objective"),
        (["--search", "temperature"], "--search"),
    ],
)
def test_bad_input_is_refused_and_nothing_written(sweep, tmp_path, args, message) -> None:
    done = simsocial("calibrate", sweep, *args, "--out", tmp_path / "never", cwd=tmp_path)
    assert done.code == 2 and message in done.stderr and "Traceback" not in done.output
    assert not (tmp_path / "never").exists()


def test_a_directory_without_runs_is_refused(tmp_path) -> None:
    done = simsocial("calibrate", tmp_path, cwd=tmp_path)
    assert done.code == 2 and "neither a run directory" in done.stderr
    assert not (tmp_path / "calibrate").exists()
