"""The same seed gives the same run directory, byte for byte, through every refactoring (issue 18).

Three runs of the real CLI against a real HTTP server on 127.0.0.1 (tests/fault_server.py answering each
request's schema deterministically from the request): a complete ``run`` of two methods, a ``run``
stopped by ``--max-calls`` (status incomplete, the budget block), and a two-cell ``batch``.  Every file
of each run directory is compared with the values recorded from main before the run path was refactored
(``tests/golden/outputs/``): every Parquet file's schema and every row, ``run.json`` and
``fingerprint.json`` as text.

What is left out of the comparison, and why (nothing else is):
- ``run.json``: ``started``, ``finished``, ``wall_time_s``, ``invocations[].started/finished`` and
  ``usage.latency_s`` are clock readings; ``versions`` names the installed packages, not the run.
- Three strings that name the machine rather than the run are replaced by placeholders, in place, so
  their position is still compared: the server's URL (its port changes every start) ``<BASE_URL>``, the
  run directory ``<OUT>`` and this checkout ``<REPO>``; a sweep cell's id ends in a hash of that URL
  (``HASH``).
- The ``run`` at ``--concurrency 1`` is compared in file order; a sweep's cells run side by side, so their
  rows are compared sorted (the order in which dialogues finish is not part of the contract).

Record the golden files again (only when an output is meant to change) with
``SIMSOCIAL_RECORD_GOLDEN=1 pytest tests/test_golden_outputs.py``.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
import yaml
from cli_helpers import REPO, SCENARIO
from fault_server import FaultServer

GOLDEN = Path(__file__).parent / "golden" / "outputs"
RECORD = os.environ.get("SIMSOCIAL_RECORD_GOLDEN") == "1"
CLOCK_KEYS = ("started", "finished", "wall_time_s")


@pytest.fixture(scope="module")
def server() -> Iterator[FaultServer]:
    with FaultServer(schema_answers=True, record=False) as running:
        yield running


def cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "200", "NO_COLOR": "1"}
    cmd = [sys.executable, "-m", "simsocial.cli.main", *map(str, args)]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, cwd=REPO)


def _without_clock(manifest: dict[str, Any]) -> dict[str, Any]:
    for key in (*CLOCK_KEYS, "versions"):
        manifest.pop(key, None)
    manifest.get("usage", {}).pop("latency_s", None)
    for invocation in manifest.get("invocations", []):
        for key in ("started", "finished"):
            invocation.pop(key, None)
        invocation.get("usage", {}).pop("latency_s", None)
    return manifest


def _placeholders(text: str, out: Path, base_url: str) -> str:
    return text.replace(base_url.rstrip("/"), "<BASE_URL>").replace(str(out), "<OUT>").replace(str(REPO), "<REPO>")


def _table(path: Path, sort: bool) -> dict[str, Any]:
    table = pq.read_table(path)
    rows = [_plain(row) for row in table.to_pylist()]
    if sort:
        rows.sort(key=lambda row: json.dumps(row, sort_keys=True))
    return {"schema": [[f.name, str(f.type)] for f in table.schema], "rows": rows}


def _plain(value: Any) -> Any:
    """NaN as a string (JSON has none), so two NaNs compare equal."""
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def snapshot(run_dir: Path, out: Path, base_url: str, sort: bool) -> dict[str, str]:
    """Every file of ``run_dir`` as comparable text, named by its path inside the run directory."""
    files: dict[str, str] = {}
    for path in sorted(p for p in run_dir.rglob("*") if p.is_file()):
        name = str(path.relative_to(run_dir))
        if path.suffix == ".parquet":
            text = json.dumps(_table(path, sort), indent=1)
        elif path.name == "run.json":
            text = json.dumps(_without_clock(json.loads(path.read_text())), indent=2)
        else:
            text = path.read_text()
        files[name] = _placeholders(text, out, base_url)
    return files


def check_golden(case: str, files: dict[str, str]) -> None:
    folder = GOLDEN / case
    if RECORD:
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.rglob("*.golden"):
            old.unlink()
        for name, text in files.items():
            target = folder / f"{name}.golden"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text + "\n")
        return
    recorded = {str(p.relative_to(folder)).removesuffix(".golden"): p.read_text() for p in folder.rglob("*.golden")}
    assert sorted(files) == sorted(recorded), "the run directory holds other files than the recorded one"
    for name, text in files.items():
        assert text + "\n" == recorded[name], f"{case}/{name} differs from the recorded output"


RUN_ARGS = ["run", SCENARIO, "--turns", "2", "--model", "fake", "--no-cache", "-q", "--no-transcript",
            "--concurrency", "1", "--seed", "7"]  # fmt: skip


def test_a_complete_run_writes_the_recorded_files(tmp_path, server) -> None:
    out = tmp_path / "run"
    done = cli(*RUN_ARGS, "-n", "2", "-m", "direct", "-m", "vs_standard", "--base-url", server.base_url, "--out", out)
    assert done.returncode == 0, done.stderr
    check_golden("run_complete", snapshot(out, out, server.base_url, sort=False))


def test_a_run_stopped_by_its_budget_writes_the_recorded_files(tmp_path, server) -> None:
    out = tmp_path / "run"
    stopped = cli(*RUN_ARGS, "-n", "3", "-m", "vs_standard", "--max-calls", "12", "--base-url", server.base_url,
                  "--out", out)  # fmt: skip
    assert stopped.returncode == 5, stopped.stderr
    check_golden("run_budget", snapshot(out, out, server.base_url, sort=False))


def test_a_sweep_writes_the_recorded_cells(tmp_path, server) -> None:
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(yaml.safe_dump({"scenario": str(SCENARIO), "methods": ["direct", "vs_standard"],
                                     "dialogues": 3, "turns": 2, "shard_size": 2, "seeds": [3]}))  # fmt: skip
    out = tmp_path / "sweep"
    done = cli("batch", sweep, "--out", out, "--base-url", server.base_url, "--model", "fake", "--no-cache", "-q")
    assert done.returncode == 0, done.stderr
    cells = sorted((out / "cells").iterdir())
    assert len(cells) == 2
    files = {}
    for cell in cells:  # a cell's id ends in a hash of its endpoint's URL, whose port changes every start
        stable = cell.name.rsplit("-", 1)[0] + "-HASH"
        for name, text in snapshot(cell, out, server.base_url, sort=True).items():
            files[f"{stable}/{name}"] = text.replace(cell.name, stable)
    check_golden("sweep_cells", files)
