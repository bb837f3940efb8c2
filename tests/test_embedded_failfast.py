"""The embedded server fails fast and says why: at start, mid-run, and under ``serve-local``.

Every server here is a real process: the real llama-server killed with SIGKILL mid-run, or a real
executable that dies of SIGILL the way a llama.cpp built for the wrong CPU does.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pyarrow.parquet as pq
import pytest

from simsocial.contract import DIALOGUES_FILE
from simsocial.llm.errors import EmbeddedServerDied
from simsocial.llm.factory import LLMSettings
from simsocial.sim.conditions import parse_condition
from simsocial.sim.runner import run_simulation
from simsocial.sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "persuasion_for_good.yaml"
pytestmark = pytest.mark.llm


def _llama_servers() -> list[psutil.Process]:
    return [p for p in psutil.Process().children(recursive=True) if p.name() == "llama-server"]


def _sigill_server(tmp_path: Path) -> Path:
    """An executable that dies of SIGILL on start, like a llama.cpp compiled with instructions the CPU refuses."""
    path = tmp_path / "llama-server"
    path.write_text("#!/bin/sh\necho 'ggml: using AMX tiles' >&2\nkill -ILL $$\n")
    path.chmod(0o755)
    return path


def test_run_stops_at_once_when_the_server_is_killed_and_resumes(tmp_path: Path) -> None:
    spec = load_scenario(SCENARIO)
    spec = spec.model_copy(update={"turns": spec.turns.model_copy(update={"max_turns": 1})})
    conditions = [parse_condition("direct", spec)]
    settings = LLMSettings(cache_path=None)
    killed: list[int] = []
    others = {p.pid for p in _llama_servers()}  # e.g. the session's shared server: not this run's to kill

    def kill_after_first(n: int) -> None:  # called as dialogues finish, in this thread
        if not killed:
            for proc in _llama_servers():
                if proc.pid not in others:
                    proc.send_signal(signal.SIGKILL)
                    killed.append(proc.pid)

    out = tmp_path / "run"
    with pytest.raises(EmbeddedServerDied, match=r"died \(SIGKILL, killed\)") as info:
        run_simulation(spec, conditions, 4, 3, out, settings, max_active=2, shard_size=1, show_progress=False,
                       on_progress=kill_after_first)  # fmt: skip
    assert len(killed) == 1, "the run's own llama-server should have been its only new child"
    assert "log:" in str(info.value)
    saved = sum(pq.ParquetFile(p).metadata.num_rows for p in (out / "shards").glob("*.dialogues.parquet"))
    assert 1 <= saved < 4, "finished dialogues are kept, the rest are not faked"

    result = run_simulation(spec, conditions, 4, 3, out, settings, max_active=2, show_progress=False)
    assert result.manifest["resumed_with_done"] == saved
    dialogues = pq.read_table(out / DIALOGUES_FILE).to_pandas()
    assert len(dialogues) == 4 and dialogues["dialogue_id"].is_unique
    assert (dialogues["status"] != "failed").all()


def test_run_names_a_server_that_dies_of_sigill_at_start(tmp_path: Path) -> None:
    env = {**os.environ, "SIMSOCIAL_LLAMA_SERVER": str(_sigill_server(tmp_path)), "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "simsocial.cli.main", "run", str(SCENARIO), "-n", "2", "--turns", "1",
         "--no-cache", "--out", str(tmp_path / "out"), "--quiet"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode != 0
    err = " ".join(proc.stderr.split())
    assert "embedded llama.cpp server died (SIGILL, illegal instruction)" in err
    assert "using AMX tiles" in err, "the log's tail is shown"
    assert "Traceback" not in proc.stderr


def test_serve_local_exits_non_zero_naming_the_cause_when_its_server_dies() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "simsocial.cli.main", "serve-local", "--port", "0"],
        env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        assert proc.stderr is not None
        lines: list[str] = []
        while not any("serving" in line for line in lines):
            ready, _, _ = select.select([proc.stderr], [], [], 150)
            assert ready, f"serve-local did not announce its endpoint: {lines}"
            lines.append(proc.stderr.readline())
        servers = [p for p in psutil.Process(proc.pid).children(recursive=True) if p.name() == "llama-server"]
        assert len(servers) == 1
        servers[0].send_signal(signal.SIGKILL)
        rest = proc.stderr.read()
        assert proc.wait(timeout=30) == 1
        assert "embedded llama.cpp server died (SIGKILL" in " ".join(rest.split())
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
