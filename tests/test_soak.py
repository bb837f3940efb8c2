"""The soak test, small (benchmarks/soak.py runs it at scale): a sweep against a faulty endpoint (a real
HTTP server on 127.0.0.1 giving ~20% of requests a 429, 500, hang, drop or truncated answer), killed with
``kill -9`` at a random point of its progress and resumed, locally and over two worker processes, side by
side with the uninterrupted reference run (each against its own endpoint).  Every
dialogue exactly once, every table identical to an uninterrupted run's, the end-of-run invariant never
tripped, no process of a killed command left behind, the API key never on disk."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import soak  # noqa: E402

pytestmark = pytest.mark.slow


def test_killed_and_resumed_sweeps_lose_nothing_on_a_faulty_endpoint(tmp_path: Path, capsys) -> None:
    code = soak.main(["--dialogues", "12", "--kills", "1", "--modes", "local,processes", "--max-latency", "0.2",
                      "--concurrency", "8", "--shard-size", "2", "--work", str(tmp_path)])  # fmt: skip
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "local     12 dialogues, 1 kill -9, 1 resumes, identical to the reference, 0 orphans" in printed
    assert "processes 12 dialogues, 1 kill -9, 1 resumes, identical to the reference, 0 orphans" in printed
    assert "key on disk: never; invariant tripped: never" in printed
    for mode in ("local", "processes"):  # each run met faults: the soak is not of a healthy endpoint
        faults, requests = map(int, re.search(rf"^{mode} .* (\d+) faults in (\d+) requests$", printed, re.M).groups())
        assert 0 < faults < requests
