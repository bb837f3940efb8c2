"""Run-directory reading, `compare` on a run directory with known contents, figures, report and CLI."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import typer
from scipy import stats
from scipy.spatial import distance
from synthetic_run import (
    CANDIDATE_ENTROPY,
    DIALOGUES,
    DONATION_ENTROPY,
    EXPECTED,
    PERSUADEE_TEXTS,
    PERSUADER_LABELS,
    PERSUADER_TEXTS,
    RUN_ID,
    UTTERANCE_ENTROPY,
    write_synthetic_run,
)
from typer.testing import CliRunner

from simsocial import contract
from simsocial.cli.compare_cmd import register
from simsocial.cli.human_cmd import register as register_human
from simsocial.metrics import strategies
from simsocial.metrics.human_reference import human_reference
from simsocial.report import html as html_report
from simsocial.report import plots
from simsocial.report.compare import compare_runs, display_table, to_markdown
from simsocial.report.rundir import read_run, read_runs

RESAMPLES = 300


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    return write_synthetic_run(tmp_path_factory.mktemp("run"))


@pytest.fixture(scope="module")
def comparison(run_dir):
    return compare_runs(read_runs([run_dir]), n_resamples=RESAMPLES, language_resamples=50, seed=3)


def _row(comparison, method: str) -> pd.Series:
    return comparison.table.set_index("method").loc[method]


def test_read_run(run_dir):
    run = read_run(run_dir)
    assert run.label == RUN_ID and run.manifest["scenario"] == "synthetic"
    assert run.methods == ["direct", "vs_standard"]
    assert len(run.dialogues) == 14
    assert len(run.turns) == 14 * 4 + 13  # four utterances each, plus a donation where one was made
    assert set(contract.TURNS_SCHEMA.names) <= set(run.turns.columns)


def test_read_run_tolerates_a_missing_candidates_file(tmp_path):
    write_synthetic_run(tmp_path)
    (tmp_path / contract.CANDIDATES_FILE).unlink()
    run = read_run(tmp_path)
    assert run.candidates.empty and set(contract.CANDIDATES_SCHEMA.names) <= set(run.candidates.columns)
    with pytest.raises(FileNotFoundError):
        read_runs([tmp_path / "nowhere"])


def test_sweep_directory_expands_to_its_cells(tmp_path):
    write_synthetic_run(tmp_path / "cells" / "a")
    write_synthetic_run(tmp_path / "cells" / "b")
    cells = ["cells/a", "cells/b", "cells/b", "cells/not-yet"]  # duplicate and unfinished cells
    pq.write_table(pa.table({"cell_dir": cells, "k": [3, 5, 5, 7]}), tmp_path / "sweep.parquet")
    runs = read_runs([tmp_path])
    assert [r.label for r in runs] == ["cells/a", "cells/b"]
    assert runs[0].sweep_cell["k"] == 3


def test_donation_figures_equal_hand_computed_values(comparison):
    human = human_reference()
    for method, expected in EXPECTED.items():
        row = _row(comparison, method)
        sim = np.array(expected["donations"])
        assert row["n_dialogues"] == expected["n_dialogues"]
        assert row["n_failed"] == expected["n_failed"]
        assert row["n_donations"] == len(sim) and row["n_dropped_cleaning"] == 1
        assert row["mean_donation"] == pytest.approx(sim.mean())
        assert row["share_zero"] == pytest.approx((sim == 0).mean())
        ks = stats.ks_2samp(sim, human.donation_values)
        assert row["ks_statistic"] == pytest.approx(ks.statistic)
        assert row["ks_pvalue"] == pytest.approx(ks.pvalue)
        assert row["w1"] == pytest.approx(stats.wasserstein_distance(sim, human.donation_values))
        assert row["mean_diff"] == pytest.approx(sim.mean() - human.donations.mean)
        # L1 by hand: bin index floor(x / 0.1) capped at 19, densities per $.
        sim_density = np.bincount(np.minimum((sim * 10 + 1e-9).astype(int), 19), minlength=20) / len(sim) / 0.1
        assert row["l1"] == pytest.approx(np.abs(sim_density - human.donations.histogram.density).sum() * 0.1)
    assert _row(comparison, "direct")["mean_donation"] == pytest.approx(0.6)  # (4 × 0.5 + 1) / 5


def test_intervals_bracket_their_estimates(comparison):
    row = _row(comparison, "vs_standard")
    for name in ("mean_donation", "share_zero", "ks_statistic", "l1", "w1", "mind_change_rate", "strategy_jsd"):
        assert row[f"{name}_low"] <= row[f"{name}_high"], name
    # Percentile intervals of means contain the estimate (distances are biased, so theirs need not).
    for name in ("mean_donation", "share_zero", "mind_change_rate", "ever_refused"):
        assert row[f"{name}_low"] <= row[name] <= row[f"{name}_high"], name
    direct = _row(comparison, "direct")
    assert direct["share_zero_low"] == direct["share_zero_high"] == 0.0  # no zero donation to resample


def test_mind_change_uses_the_stance_lists_not_the_stored_column(comparison):
    human = human_reference()
    vs = _row(comparison, "vs_standard")
    assert vs["mind_change_rate"] == pytest.approx(EXPECTED["vs_standard"]["mind_change_rate"])
    assert vs["ever_refused"] == pytest.approx(EXPECTED["vs_standard"]["ever_refused"])
    k_human = int((human.stance_table["mind_changes"] > 0).sum())
    fisher = stats.fisher_exact([[3, 4], [k_human, len(human.stance_table) - k_human]])
    assert vs["mind_change_fisher_p"] == pytest.approx(fisher.pvalue)
    assert _row(comparison, "direct")["mind_change_rate"] == 0.0


def test_strategies_language_entropy_and_parse_counts(comparison):
    vs = _row(comparison, "vs_standard")
    # Persuader turns 0 and 2 of kept dialogue i use label index i % 4 and (i + 2) % 4.
    kept = [i for i, (d, _, _) in enumerate(DIALOGUES["vs_standard"]) if d is not None and 0 <= d <= 2]
    labels = [PERSUADER_LABELS[(t + i) % 4] for i in kept for t in (0, 2)]
    method = next(m for m in comparison.methods if m.method == "vs_standard")
    assert method.strategies.counts["emotion-appeal"] == labels.count("emotion_appeal")  # normalised
    assert method.strategies.counts["non-strategy"] == labels.count("greeting")
    # The JS distance (base 2) over the 11 categories, by hand from those labels against the human counts.
    sim_counts = np.array([labels.count({"emotion-appeal": "emotion_appeal", "non-strategy": "greeting"}.get(c, c))
                           for c in strategies.CATEGORIES], dtype=float)  # fmt: skip
    human_counts = human_reference().strategies.vector()
    expected_jsd = distance.jensenshannon(sim_counts / sim_counts.sum(), human_counts / human_counts.sum(), base=2)
    assert vs["strategy_jsd"] == pytest.approx(expected_jsd)
    ten = slice(0, 10)  # the ten strategies without non-strategy
    assert vs["strategy_jsd_10"] == pytest.approx(distance.jensenshannon(
        sim_counts[ten] / sim_counts[ten].sum(), human_counts[ten] / human_counts[ten].sum(), base=2))  # fmt: skip
    # Entropy: three stored 0.5s and one turn recomputed from candidates [0.5, 0.5] per dialogue.
    assert vs["entropy_utterance"] == pytest.approx((3 * UTTERANCE_ENTROPY + CANDIDATE_ENTROPY) / 4)
    assert vs["entropy_donation"] == pytest.approx(DONATION_ENTROPY)
    assert (vs["parse_repairs"], vs["parse_failures"]) == (8, 1)
    # Distinct-n pooled over the kept dialogues' utterances (both roles), counted by hand from the texts.
    words = []
    for i in kept:
        for turn in range(4):
            text = (PERSUADER_TEXTS if turn % 2 == 0 else PERSUADEE_TEXTS)[(turn + i) % 4]
            words.append(re.findall(r"[a-z0-9]+", text.lower()))
    for n in (1, 2, 3):
        grams = [tuple(w[j : j + n]) for w in words for j in range(len(w) - n + 1)]
        assert vs[f"distinct_{n}"] == pytest.approx(len(set(grams)) / len(grams)), n
    assert 0 < vs["human_distinct_2"] <= 1
    assert not vs["diversity_semantic"] and vs["diversity_embedder"].startswith("hashing")
    assert math.isfinite(vs["fk_grade"])


def test_compare_is_reproducible_with_a_seed(run_dir, comparison):
    again = compare_runs(read_runs([run_dir]), n_resamples=RESAMPLES, language_resamples=50, seed=3)
    pd.testing.assert_frame_equal(again.table, comparison.table)


def test_text_renderings(comparison):
    shown = display_table(comparison.table, comparison.human)
    assert shown.iloc[0]["run"] == "human" and len(shown) == 3
    assert "[" in shown.iloc[2]["mean $ [95% CI]"]
    md = to_markdown(comparison.table, comparison.human)
    assert md.count("\n") == 4 and "vs_standard" in md


def test_figures_and_self_contained_html(comparison, tmp_path):
    figures = plots.save_figures(comparison, tmp_path)
    assert set(figures) == {"donation_hist", "donation_ecdf", "mind_change", "strategies"}
    for path in figures.values():
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = html_report.render_report(comparison, figures)
    assert page.count("data:image/png;base64,") == 4
    assert 'src="http' not in page and "<script" not in page
    assert "drop_out_of_range" in page and "966" in page


def _cli() -> typer.Typer:
    app = typer.Typer()
    register(app)
    register_human(app)
    return app


def test_cli_compare_writes_everything(run_dir, tmp_path):
    out = tmp_path / "cmp"
    result = CliRunner().invoke(
        _cli(), ["compare", str(run_dir), "--out", str(out), "--format", "json", "--resamples", "100"]
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert {r["method"] for r in rows} == {"direct", "vs_standard"}
    for name in ("comparison.csv", "comparison.json", "report.html", "donation_hist.png", "strategies.png"):
        assert (out / name).is_file(), name
    saved = json.loads((out / "comparison.json").read_text())
    assert saved["human"]["donations"]["n"] == 966 and saved["settings"]["n_resamples"] == 100
    assert pd.read_csv(out / "comparison.csv").shape[0] == 2


def test_cli_compare_defaults_and_errors(run_dir, tmp_path):
    runner = CliRunner()
    result = runner.invoke(_cli(), ["compare", str(run_dir), "--format", "markdown", "--resamples", "100"])
    assert result.exit_code == 0, result.output
    assert (run_dir / "compare" / "report.html").is_file() and "| human |" in result.stdout
    several = runner.invoke(_cli(), ["compare", str(run_dir), str(run_dir)])
    assert several.exit_code != 0 and "--out" in several.output
    empty = tmp_path / "empty"
    empty.mkdir()
    assert runner.invoke(_cli(), ["compare", str(empty), "--out", str(tmp_path / "x")]).exit_code != 0


def test_cli_human(tmp_path):
    runner = CliRunner()
    result = runner.invoke(_cli(), ["human", "--format", "json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert figures["donations"]["n"] == 966
    assert figures["cleaning"]["rules"][1] == {
        "rule": "drop_bad_ids",
        "description": "drop dialogues whose id starts with 'BAD_'",
        "n_before": 1017,
        "n_dropped": 27,
        "n_modified": 0,
    }
    table = runner.invoke(_cli(), ["human"])
    assert table.exit_code == 0 and "966" in table.stdout
    assert runner.invoke(_cli(), ["human", "--cleaning", "bogus"]).exit_code != 0


# --- issue 10: --donation, --table vs-paper, paper-definition columns, say–do gap -------------------------
def _rewrite(run_dir, tmp_path, *, in_dialogue: dict | None = None, persuadee_text: str | None = None):
    import shutil

    target = tmp_path / "run"
    shutil.copytree(run_dir, target)
    if in_dialogue is not None:
        d = pq.read_table(target / contract.DIALOGUES_FILE).to_pandas()
        d["in_dialogue_donation"] = d["dialogue_id"].map(in_dialogue).astype(float)
        pq.write_table(pa.Table.from_pandas(d, preserve_index=False), target / contract.DIALOGUES_FILE)
    if persuadee_text is not None:
        t = pq.read_table(target / contract.TURNS_FILE).to_pandas()
        mask = (t["role"] == "persuadee") & (t["kind"] == "utterance")
        t.loc[mask, "text"] = persuadee_text
        pq.write_table(pa.Table.from_pandas(t, preserve_index=False), target / contract.TURNS_FILE)
    return target


def test_compare_in_dialogue_donation_reads_the_column(run_dir, tmp_path):
    ids = read_run(run_dir).dialogues["dialogue_id"]
    target = _rewrite(run_dir, tmp_path, in_dialogue={i: 0.30 for i in ids})
    comparison = compare_runs(read_runs([target]), n_resamples=100, donation="in-dialogue")
    dialogues = read_run(target).dialogues
    for m in comparison.methods:
        # One policy for both constructs: a dialogue that failed or was cut short leaves, though $0.30 was stated.
        incomplete = int(((dialogues["method"] == m.method) & (dialogues["status"] != "ok")).sum())
        assert incomplete > 0 or m.method == "direct"
        assert m.donations.tolist() == [0.30] * (m.n_dialogues - incomplete)
        assert m.cleaning.n_dropped >= incomplete
        assert m.donation_construct == "in-dialogue"
    assert comparison.settings["donation"] == "in-dialogue"


def test_compare_in_dialogue_donation_computed_from_turns_for_older_runs(run_dir, tmp_path):
    target = _rewrite(run_dir, tmp_path, persuadee_text="I can't give $2 but I'll give 50 cents")
    comparison = compare_runs(read_runs([target]), n_resamples=100, donation="in-dialogue")
    assert all(set(m.donations.tolist()) == {0.5} for m in comparison.methods)
    final = compare_runs(read_runs([target]), n_resamples=100)
    assert sorted(final.methods[1].donations.tolist()) == sorted(EXPECTED["vs_standard"]["donations"])


def _paper_density(values: np.ndarray) -> np.ndarray:
    """The paper's histogram by hand: edges linspace(0, 2, 21) as floats, half-open bins, the last closed."""
    edges = np.linspace(0, 2, 21)
    inside = values[(values >= 0) & (values <= 2)]
    bins = np.minimum(np.searchsorted(edges, inside, side="right") - 1, 19)
    return np.bincount(bins, minlength=20) / (len(inside) * 0.1)


def test_paper_columns_and_say_do_gap_in_the_table(run_dir):
    from simsocial.data import human as human_data

    comparison = compare_runs(read_runs([run_dir]), n_resamples=100)
    # The human side recounted from the release: persuadees' B6, ids not starting BAD_, amounts in [0, 2].
    info = pd.read_csv(human_data.data_path("FullData", "full_info.csv"))
    persuadees = info[(info["B4"] == 1) & ~info["B2"].str.startswith("BAD_")]
    human = persuadees["B6"].dropna().to_numpy(float)
    human = human[(human >= 0) & (human <= 2)]
    annotated = pd.read_excel(human_data.data_path("AnnotatedData", "300_info.xlsx"))
    stated = annotated[annotated["B4"] == 1].set_index("B2")["B5"]
    actual = info[info["B4"] == 1].set_index("B2")["B6"].reindex(stated.index)
    pairs = ~stated.index.str.startswith("BAD_") & stated.between(0, 2) & actual.between(0, 2)
    human_gave_less = float((actual[pairs] < stated[pairs]).mean())
    table = comparison.table.set_index("method")
    for method, expected in EXPECTED.items():
        row, sim = table.loc[method], np.array(expected["donations"])
        l1 = np.abs(_paper_density(sim) - _paper_density(human)).sum() * 0.1
        assert row["l1_paper"] == pytest.approx(l1)
        ks = stats.ks_2samp(sim, human)
        assert (row["ks_paper"], row["ks_paper_pvalue"]) == pytest.approx((ks.statistic, ks.pvalue))
        assert row["human_say_do_gave_less"] == pytest.approx(human_gave_less)
        # synthetic run: stated == final for every dialogue → no gap
        assert row["say_do_gave_different"] == 0.0
        assert row["say_do_gave_different_low"] <= row["say_do_gave_different_high"]
    # vs_standard's $0 and $0.10 sit in bins 0 and 1, $0.25 in bin 2, $2 in the closed last bin.
    assert list(_paper_density(np.array(EXPECTED["vs_standard"]["donations"]))[[0, 1, 2, 19]]) == pytest.approx(
        [20 / 7, 10 / 7, 10 / 7, 10 / 7])  # fmt: skip
    assert "say–do: gave ≠ stated [95% CI]" in display_table(comparison.table, comparison.human).columns


@pytest.mark.parametrize("fmt", ["markdown", "json", "csv"])
def test_cli_vs_paper_table(run_dir, tmp_path, fmt):
    out = tmp_path / f"cmp-{fmt}"
    args = ["compare", str(run_dir), "--out", str(out), "--table", "vs-paper", "--format", fmt, "--resamples", "100"]
    result = CliRunner().invoke(_cli(), args)
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "arXiv 2510.01171" in text
    for figure in ("0.39", "0.649", "0.198", "0.625", "0.246", "0.628", "0.119", "0.608", "0.419"):
        assert figure in text, figure
    if fmt == "json":
        payload = json.loads(text)
        methods = [r["persuadee_method"] for r in payload["rows"]]
        assert {"direct", "vs_standard"} <= set(methods)
        direct = next(r for r in payload["rows"] if r["persuadee_method"] == "direct")
        assert direct["paper_ks"] == 0.390 and direct["paper_l1"] == 0.649
    assert (out / "vs_paper.json").is_file()
