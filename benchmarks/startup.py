"""Start-up of the ``simsocial`` command, old tree beside new: ``--help``, ``--version``, and a run's first call.

Each figure is the median wall time of ``--repeat`` launches of a fresh interpreter (``python -m
simsocial.cli.main ...``, with the tree measured first on ``PYTHONPATH`` and as the working directory):

- ``python -c pass``: the interpreter alone, for scale;
- ``simsocial --help``, ``simsocial --version``, ``simsocial run --help``;
- a run's first LLM call: a fake OpenAI-compatible server runs in this process (tests/fault_server.py,
  recording each request's arrival on the monotonic clock), ``simsocial run`` is launched with one
  one-turn dialogue and no cache, and the time from launch to the arrival of its first request (the
  endpoint pre-flight) and of its first dialogue request is measured.

"old" is another source tree: ``--old DIR``, or by default commit ``--old-commit`` (74941ea, before the
lazy imports) exported with ``git archive`` into a temporary directory.  "new" is this checkout.

    python benchmarks/startup.py [--repeat 3] [--old DIR | --old-commit REV]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from fault_server import FaultServer  # noqa: E402

SCENARIO = ROOT / "scenarios" / "persuasion_for_good.yaml"


def _env(tree: Path) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    env.pop("SIMSOCIAL_BASE_URL", None)
    env.pop("SIMSOCIAL_MODEL", None)
    return env


def launch(tree: Path, args: list[str]) -> float:
    """Seconds for one ``python ARGS`` in ``tree`` to exit."""
    start = time.monotonic()
    subprocess.run([sys.executable, *args], check=True, capture_output=True, cwd=tree, env=_env(tree))
    return time.monotonic() - start


def first_calls(tree: Path, server: FaultServer, out: Path) -> tuple[float, float]:
    """Seconds from launching ``simsocial run`` to its first request, and to its first dialogue request."""
    before = len(server.requests)
    cmd = [sys.executable, "-m", "simsocial.cli.main", "run", str(SCENARIO), "-n", "1", "-t", "1", "--method",
           "direct", "--base-url", server.base_url, "--model", "fake", "--no-cache", "-q", "--out", str(out),
           "--structured-output", "json_schema"]  # fmt: skip
    start = time.monotonic()
    subprocess.run(cmd, check=True, capture_output=True, cwd=tree, env=_env(tree))
    requests = server.requests[before:]
    dialogue = [r for r in requests if len((r.body or {}).get("messages", ())) > 1]  # the pre-flight has one
    return requests[0].arrived - start, dialogue[0].arrived - start


def measure(tree: Path, repeat: int, server: FaultServer, tmp: Path) -> dict[str, float]:
    """Every figure for one tree (medians)."""
    cli = ["-m", "simsocial.cli.main"]
    figures = {
        "python -c pass": [launch(tree, ["-c", "pass"]) for _ in range(repeat)],
        "simsocial --help": [launch(tree, [*cli, "--help"]) for _ in range(repeat)],
        "simsocial --version": [launch(tree, [*cli, "--version"]) for _ in range(repeat)],
        "simsocial run --help": [launch(tree, [*cli, "run", "--help"]) for _ in range(repeat)],
    }
    calls = [first_calls(tree, server, tmp / f"{tree.name}-{i}") for i in range(repeat)]
    figures["run: launch to first call (pre-flight)"] = [c[0] for c in calls]
    figures["run: launch to first dialogue call"] = [c[1] for c in calls]
    return {name: statistics.median(values) for name, values in figures.items()}


def export(commit: str, into: Path) -> Path:
    """``commit``'s tree, exported with git archive into ``into``."""
    into.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--old", type=Path, help="the old source tree (default: --old-commit exported)")
    parser.add_argument("--old-commit", default="74941ea")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, FaultServer(schema_answers=True) as server:
        old_tree = args.old or export(args.old_commit, Path(tmp) / "old")
        old = measure(old_tree.resolve(), args.repeat, server, Path(tmp))
        new = measure(ROOT, args.repeat, server, Path(tmp))
    print(f"{'median of ' + str(args.repeat) + ' launches (s)':<42}{'old':>8}{'new':>8}")
    for name in old:
        print(f"{name:<42}{old[name]:8.2f}{new[name]:8.2f}")


if __name__ == "__main__":
    main()
