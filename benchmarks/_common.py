"""Shared helpers for the benchmarks: the fake OpenAI-compatible server in its own process, a small scenario."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "persuasion_for_good.yaml"
FAULT_SERVER = ROOT / "tests" / "fault_server.py"
FAST_SERVER = ROOT / "benchmarks" / "_fast_server.py"


@contextmanager
def fake_server(delay_s: float, kind: str = "threads") -> Iterator[str]:
    """A fake OpenAI-compatible server in a child process (so it shares no GIL with the engine); yields
    its base URL.  It answers every chat request with valid VS JSON for the request's schema after
    ``delay_s`` seconds, with unlimited parallelism: ``threads`` is tests/fault_server.py (a thread per
    connection, ~2 ms CPU a request), ``fast`` is benchmarks/_fast_server.py (aiohttp on uvloop).
    """
    script = FAST_SERVER if kind == "fast" else FAULT_SERVER
    proc = subprocess.Popen([sys.executable, str(script), "--delay", str(delay_s)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        base_url = proc.stdout.readline().strip()
        if not base_url.startswith("http"):
            raise RuntimeError(f"fake server did not start (exit code {proc.poll()})")
        yield base_url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def scenario(turns: int):
    """The PersuasionForGood scenario with a shorter turn budget."""
    from simsocial.sim import load_scenario

    spec = load_scenario(SCENARIO)
    return spec.model_copy(update={"turns": spec.turns.model_copy(update={"max_turns": turns})})


class Timer:
    def __enter__(self) -> Timer:
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.start


def write_sweep(path: Path, **fields) -> Path:
    """A sweep file on the PersuasionForGood scenario (fields override the defaults)."""
    import yaml

    data = {"scenario": str(SCENARIO), "methods": ["vs_standard"], "dialogues": 100, "turns": 2, **fields}
    path.write_text(yaml.safe_dump(data))
    return path
