"""``simsocial campaign --max-calls/--max-tokens``: whole rounds are admitted through the budget gate; a campaign
stopped by its budget is marked incomplete after its last finished round, says how to continue, and resumes to
the same tables as an unlimited campaign; cached answers are free.  Real CLI processes against a real HTTP
endpoint on 127.0.0.1 (tests/fault_server.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from campaign_script import TABLES, campaign_tables
from cli_helpers import REPO, simsocial
from fault_server import FaultServer

SCENARIO = REPO / "scenarios" / "campaign_small_world.yaml"
CALLS = 3  # Direct, 1 turn: persuader, persuadee, donation


@pytest.fixture(scope="module")
def server() -> Iterator[FaultServer]:
    with FaultServer(schema_answers=True, record=False) as srv:
        yield srv


def args(server: FaultServer, out: Path, *extra: str | Path) -> list:
    return ["campaign", SCENARIO, "--rounds", "3", "--turns", "1", "--method", "direct", "--seed", "1",
            "--base-url", server.base_url, "--model", "fake", "--out", out, "-q", *extra]  # fmt: skip


@pytest.fixture(scope="module")
def whole(server: FaultServer, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[int]]:
    """The campaign without a budget, and its dialogues per round."""
    out = tmp_path_factory.mktemp("whole") / "out"
    done = simsocial(*args(server, out, "--no-cache"), cwd=REPO)
    assert done.code == 0, done.output
    per_round = pd.read_parquet(out / "rounds.parquet").sort_values("round")["dialogues"].tolist()
    assert len(per_round) == 3 and min(per_round) > 0
    return out, per_round


def test_a_budget_stops_before_the_round_that_would_not_fit_then_resumes(server, whole, tmp_path: Path) -> None:
    unlimited, (d1, d2, d3) = whole
    out, cache = tmp_path / "out", tmp_path / "cache.sqlite"
    limit = CALLS * (d1 + d2)  # rounds 1 and 2 fit exactly; round 3 would not
    stopped = simsocial(*args(server, out, "--cache", cache, "--max-calls", str(limit)), cwd=REPO)
    assert stopped.code == 5, stopped.output
    assert "budget reached" in stopped.stderr and "2 finished round(s)" in stopped.stderr
    assert f"--max-calls {limit}" in stopped.stderr and "Traceback" not in stopped.output  # how to continue
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["status"] == "incomplete"
    assert manifest["budget"] == {"max_calls": limit, "max_tokens": None, "stopped": True}
    assert manifest["usage"]["endpoint_calls"] == limit  # never over the limit, and nothing of round 3 called
    assert sorted(pd.read_parquet(out / "rounds.parquet")["round"]) == [1, 2]

    resumed = simsocial(*args(server, out, "--cache", cache, "--max-calls", str(CALLS * d3)), cwd=REPO)
    assert resumed.code == 0, resumed.output
    assert "2 finished round(s) on disk were replayed without a call" in resumed.stderr
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["status"] == "complete" and manifest["budget"]["stopped"] is False
    assert manifest["usage"]["endpoint_calls"] == CALLS * d3  # only the round that was left
    done, expected = campaign_tables(out), campaign_tables(unlimited)
    for name in TABLES:
        pd.testing.assert_frame_equal(done[name].drop(columns="run_id", errors="ignore"),
                                      expected[name].drop(columns="run_id", errors="ignore"), obj=name)  # fmt: skip


def test_cached_answers_do_not_count_as_spent(server, whole, tmp_path: Path) -> None:
    _, per_round = whole
    cache = tmp_path / "cache.sqlite"
    warm = simsocial(*args(server, tmp_path / "warm", "--cache", cache), cwd=REPO)
    assert warm.code == 0, warm.output
    # Each round fits the limit alone, not two together: only free (cached) answers let all three run.
    limit = CALLS * max(per_round)
    again = simsocial(*args(server, tmp_path / "again", "--cache", cache, "--max-calls", str(limit)), cwd=REPO)
    assert again.code == 0, again.output
    manifest = json.loads((tmp_path / "again" / "run.json").read_text())
    assert manifest["status"] == "complete" and manifest["usage"]["endpoint_calls"] == 0
    assert manifest["usage"]["cache_hits"] == CALLS * sum(per_round)


def test_max_tokens_stops_before_the_first_round_and_leaves_a_resumable_directory(server, tmp_path: Path) -> None:
    out = tmp_path / "out"
    stopped = simsocial(*args(server, out, "--no-cache", "--max-tokens", "1"), cwd=REPO)
    assert stopped.code == 5, stopped.output
    assert "0 finished round(s)" in stopped.stderr and "--max-tokens 1" in stopped.stderr
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["status"] == "incomplete" and manifest["usage"]["endpoint_calls"] == 0
    resumed = simsocial(*args(server, out, "--no-cache"), cwd=REPO)
    assert resumed.code == 0, resumed.output
    assert json.loads((out / "run.json").read_text())["status"] == "complete"
