"""Start-up of ``simsocial run``: seconds from launching the command to its first dialogue's first LLM call.

A fake OpenAI-compatible server runs in this process (tests/fault_server.py, recording each request's
arrival on the system's monotonic clock); ``simsocial run`` is launched as a child process with one
one-turn dialogue and no cache, and the time from launch to the arrival of the first request that belongs
to a dialogue (the endpoint pre-flight check, a one-message request, comes earlier and is skipped) is its
start-up: interpreter, imports, scenario, LLM stack and pre-flight, persona table.  Also printed: a bare
``python -c pass`` and ``import simsocial.cli.main`` for scale.  Run it from the checkout you measure:
``python -m`` puts the current directory first on the path.  Each figure is the median of ``--repeat`` launches.

    python benchmarks/startup.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from fault_server import FaultServer  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "persuasion_for_good.yaml"


def _launch(cmd: list[str]) -> float:
    start = time.monotonic()
    subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
    return time.monotonic() - start


def first_call(server: FaultServer, out: Path) -> float:
    before = len(server.requests)
    start = time.monotonic()
    cmd = [sys.executable, "-m", "simsocial.cli.main", "run", str(SCENARIO), "-n", "1", "-t", "1", "--method",
           "direct", "--base-url", server.base_url, "--model", "fake", "--no-cache", "-q", "--out", str(out),
           "--structured-output", "json_schema"]  # fmt: skip
    subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
    dialogue_calls = [r for r in server.requests[before:] if len((r.body or {}).get("messages", ())) > 1]
    return dialogue_calls[0].arrived - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    bare = statistics.median(_launch([sys.executable, "-c", "pass"]) for _ in range(args.repeat))
    importing = [sys.executable, "-c", "import simsocial.cli.main"]
    imports = statistics.median(_launch(importing) for _ in range(args.repeat))
    with FaultServer(schema_answers=True) as server, tempfile.TemporaryDirectory() as tmp:
        firsts = [first_call(server, Path(tmp) / f"r{i}") for i in range(args.repeat)]
    print(f"{'python -c pass:':<44}{bare:6.2f} s")
    print(f"{'import simsocial.cli.main:':<44}{imports:6.2f} s")
    print(f"{'simsocial run, launch to first dialogue call:':<44}{statistics.median(firsts):6.2f} s")


if __name__ == "__main__":
    main()
