"""Issue 11, defects 1–3 through the real CLI against a real OpenAI-compatible server on 127.0.0.1.

1. a run directory never mixes runs: other settings are refused (old → new), files untouched; a larger
   ``--dialogues`` extends a matching run; the same command again does nothing;
2. knob flags apply to the scenario's own methods; choices are declared; run.json lists used knobs only;
3. failed dialogues make the run exit non-zero (3 some, 4 all), naming endpoint and cause.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from cli_helpers import run_args, simsocial, snapshot
from fault_server import FaultServer
from net_helpers import dead_base_url

from simsocial.llm.preflight import PREFLIGHT_REQUEST


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with FaultServer(schema_answers=True) as fake:
        yield fake


def test_other_settings_are_refused_naming_each_difference(server: FaultServer, tmp_path: Path) -> None:
    first = simsocial(*run_args(server.base_url, "run"), cwd=tmp_path)
    assert first.code == 0, first.output
    before = snapshot(tmp_path / "run")
    calls = len(server.requests)

    again = simsocial(*run_args(server.base_url, "run", "--seed", "9", "--method", "direct", turns=3), cwd=tmp_path)

    assert again.code == 2
    assert "seed: 0 → 9" in again.stderr
    assert "turns: 2 → 3" in again.stderr
    assert 'methods: ["vs_standard"] → ["direct"]' in again.stderr
    assert "run-2" in again.stderr  # a new --out is suggested
    assert "Traceback" not in again.output
    assert snapshot(tmp_path / "run") == before
    assert len(server.requests) == calls  # refused before any call


def test_endpoint_and_knob_changes_are_named(server: FaultServer, tmp_path: Path) -> None:
    assert simsocial(*run_args(server.base_url, "run"), cwd=tmp_path).code == 0
    with FaultServer(schema_answers=True) as other:
        moved = simsocial(*run_args(other.base_url, "run", "--k", "3"), cwd=tmp_path)
    assert moved.code == 2
    assert f"endpoint: {server.base_url} → {other.base_url}" in moved.stderr
    assert "vs_standard persuadee.k: 5 → 3" not in moved.stderr  # label changed: the method list says it
    assert 'methods: ["vs_standard"] → ["vs_standard[k=3]"]' in moved.stderr


def test_more_dialogues_extend_a_matching_run_and_a_repeat_does_nothing(server: FaultServer, tmp_path: Path) -> None:
    assert simsocial(*run_args(server.base_url, "run", n=2), cwd=tmp_path).code == 0
    first = pd.read_parquet(tmp_path / "run" / "dialogues.parquet")
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == [
        "candidates.parquet", "dialogues.parquet", "fingerprint.json", "raw_answers.parquet", "run.json",
        "turns.parquet"
    ]  # fmt: skip  # a completed run is tidy: no shards/, no progress.json

    grown = simsocial(*run_args(server.base_url, "run", n=3), cwd=tmp_path)
    assert grown.code == 0, grown.output
    assert "resuming run: 2 of 3 dialogue(s) already done" in grown.stderr
    second = pd.read_parquet(tmp_path / "run" / "dialogues.parquet")
    assert len(second) == 3
    kept = second.set_index("dialogue_id").loc[first["dialogue_id"]]
    assert kept["final_donation"].tolist() == first["final_donation"].tolist()
    assert not (tmp_path / "run" / "shards").exists()

    calls = len(server.requests)
    repeat = simsocial(*run_args(server.base_url, "run", n=3), cwd=tmp_path)
    assert repeat.code == 0
    assert "nothing to do" in repeat.stderr
    assert len(server.requests) == calls

    shrink = simsocial(*run_args(server.base_url, "run", n=1), cwd=tmp_path)
    assert shrink.code == 2
    assert "dialogues per method: 3 → 1" in shrink.stderr


def test_knobs_apply_to_the_scenario_methods_and_run_json_lists_used_knobs(server: FaultServer, tmp_path) -> None:
    result = simsocial(*run_args(server.base_url, "vs", "--k", "3", "--selection", "uniform", "--temperature", "0.3"),
                       cwd=tmp_path)  # fmt: skip
    assert result.code == 0, result.output
    persuadee = json.loads((tmp_path / "vs" / "run.json").read_text())["conditions"][0]["persuadee"]
    assert persuadee["k"] == 3
    assert persuadee["selection"] == "uniform"
    assert persuadee["temperature"] == 0.3
    preflight = PREFLIGHT_REQUEST.messages[0]["content"]
    sent = [r.body for r in server.requests if r.body["messages"][-1]["content"] != preflight]
    assert {b["temperature"] for b in sent} == {0.3}

    direct = simsocial(*run_args(server.base_url, "direct", "--method", "direct", "--k", "3"), cwd=tmp_path)
    assert direct.code == 0, direct.output
    condition = json.loads((tmp_path / "direct" / "run.json").read_text())["conditions"][0]
    assert set(condition["persuader"]) == {"method", "temperature", "max_tokens"}  # no k, calls, selection


@pytest.mark.parametrize(
    ("flag", "value"),
    [("--selection", "bogus"), ("--structured-output", "bogus"), ("--k", "0"), ("--tail-threshold", "0"),
     ("--temperature", "3")],
)  # fmt: skip
def test_bad_knob_values_are_refused_up_front_naming_the_flag(tmp_path: Path, flag: str, value: str) -> None:
    result = simsocial(*run_args(dead_base_url(), "out", flag, value), cwd=tmp_path)
    assert result.code == 2
    assert flag in result.stderr
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_a_dead_endpoint_is_one_clear_error_and_leaves_nothing(tmp_path: Path) -> None:
    result = simsocial(*run_args(dead_base_url(), "dead", n=1, turns=1), cwd=tmp_path)
    assert result.code == 1, result.output
    assert "Traceback" not in result.output
    assert dead_base_url() in result.stderr  # the pre-flight call names the endpoint...
    assert "no dialogue was simulated; dead was removed." in result.stderr
    assert not (tmp_path / "dead").exists()  # ...before anything is written
    assert "compare" not in result.stdout


def test_all_failed_dialogues_exit_4_naming_endpoint_and_cause(tmp_path: Path) -> None:
    with FaultServer(["ok", "400"], schema_answers=True) as fake:  # pre-flight passes; then a refused call
        args = run_args(fake.base_url, "all", "--structured-output", "json_schema", n=1, turns=1)
        result = simsocial(*args, cwd=tmp_path)
    assert result.code == 4, result.output
    last = result.stderr.strip().splitlines()[-2:]
    assert "1 of 1 dialogue(s) failed (all)" in last[0]
    assert f"HTTP 400 rejected at {fake.base_url} after 1 attempt" in last[1]
    assert "compare" not in result.stdout
    assert pd.read_parquet(tmp_path / "all" / "dialogues.parquet")["status"].tolist() == ["failed"]


def test_some_failed_dialogues_exit_3(tmp_path: Path) -> None:
    with FaultServer(["ok", "400"], schema_answers=True) as fake:  # pre-flight, then one refused call
        result = simsocial(
            *run_args(fake.base_url, "some", "-c", "1", "--structured-output", "json_schema", n=2, turns=1),
            cwd=tmp_path,
        )
    assert result.code == 3, result.output
    assert "1 of 2 dialogue(s) failed (some)" in result.stderr
    assert "HTTP 400" in result.stderr.strip().splitlines()[-1]
    statuses = pd.read_parquet(tmp_path / "some" / "dialogues.parquet")["status"]
    assert sorted(statuses) == ["failed", "ok"]


def test_ctrl_c_says_how_many_were_saved_and_the_rerun_resumes(tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    from cli_helpers import REPO, default_sigint

    with FaultServer(schema_answers=True, ok_delay_s=0.05) as fake:
        args = run_args(fake.base_url, "run", "-c", "1", "--structured-output", "json_schema", n=40, turns=2)
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        proc = subprocess.Popen([sys.executable, "-m", "simsocial.cli.main", *map(str, args)], cwd=tmp_path, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                preexec_fn=default_sigint)  # fmt: skip
        deadline = time.monotonic() + 120
        while len(fake.requests) < 16 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)  # a few dialogues (5 calls each, one at a time) have finished
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
        assert proc.returncode == 130, stderr
        assert "Traceback" not in stderr
        match = re.search(r"interrupted: (\d+) of 40 dialogue\(s\) saved in run", stderr)
        assert match, stderr
        saved = int(match.group(1))

        again = simsocial(*run_args(fake.base_url, "run", "-c", "1", "--structured-output", "json_schema", n=40),
                          cwd=tmp_path, timeout=300)  # fmt: skip
    assert again.code == 0, again.output
    assert f"resuming run: {saved} of 40 dialogue(s) already done" in again.stderr
    assert len(pd.read_parquet(tmp_path / "run" / "dialogues.parquet")) == 40
