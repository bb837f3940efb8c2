"""A budget counts what reaches the endpoint: answers replayed from the cache cost nothing (issue 16: with
every answer cached, `--max-calls 5` stopped after one dialogue).  Against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from fault_server import FaultServer

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "persuasion_for_good.yaml"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "simsocial.cli.main", *args], capture_output=True, text=True,
                          timeout=300, cwd=ROOT)  # fmt: skip


def test_cached_answers_do_not_count_against_max_calls(tmp_path: Path) -> None:
    with FaultServer(schema_answers=True, count_tokens=True) as server:
        args = ["run", str(SCENARIO), "-n", "3", "-t", "2", "--method", "direct", "--base-url", server.base_url,
                "--model", "fake", "--cache", str(tmp_path / "cache.sqlite"), "-q", "-c", "1"]  # fmt: skip
        first = cli(*args, "--out", str(tmp_path / "first"))
        assert first.returncode == 0, first.stderr
        assert json.loads((tmp_path / "first" / "run.json").read_text())["usage"]["endpoint_calls"] == 3 * 5
        again = cli(*args, "--out", str(tmp_path / "again"), "--max-calls", "5")
    manifest = json.loads((tmp_path / "again" / "run.json").read_text())
    assert manifest["usage"]["endpoint_calls"] == 0 and manifest["usage"]["cache_hits"] == 3 * 5
    assert again.returncode == 0, again.stderr
    assert manifest["counts"]["dialogues"] == 3 and manifest["status"] == "complete"
