"""Dialogues per minute and completion tokens per second on the embedded model: this engine vs commit 4ef4202.

Runs ``simsocial run`` twice per round, side by side on the same machine, same scenario, same seeds, no
cache: once with the code of commit 4ef4202 (llama-cpp-python's server, one request at a time) and once
with the working tree (llama.cpp's llama-server, parallel slots, continuous batching, prompt-prefix reuse).
Both use the same portable llama.cpp build and the same SmolLM2-135M GGUF file.  Rounds alternate
A B A B so a noisy neighbour hurts both; the script prints each round and the median ratios, plus the
parse-repair and failure rates of both (the model's output quality must not change).

    python benchmarks/embedded_throughput.py [--dialogues 6] [--turns 6] [--rounds 1] [--baseline 4ef4202]

Wall time is the whole command (server start-up included for both); dialogues/min = dialogues / wall.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "persuasion_for_good.yaml"


def checkout(commit: str, into: Path) -> Path:
    """The tree of ``commit`` (no .git), so its ``simsocial`` package can be run from there."""
    into.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def run_once(code_root: Path, out: Path, args: argparse.Namespace) -> dict:
    """One ``simsocial run`` with ``code_root`` first on the path; returns the measured figures."""
    env = {**os.environ, "PYTHONPATH": str(code_root)}
    cmd = [sys.executable, "-m", "simsocial.cli.main", "run", str(SCENARIO), "--dialogues", str(args.dialogues),
           "--turns", str(args.turns), "--method", "vs_standard", "--seed", str(args.seed), "--no-cache",
           "--out", str(out), "--quiet"]  # fmt: skip
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=code_root, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{code_root.name}: exit {proc.returncode}\n{proc.stderr[-2000:]}")
    manifest = json.loads((out / "run.json").read_text())
    usage, counts = manifest["usage"], manifest.get("counts", {})
    choices = max(1, counts.get("choices", 0) or usage.get("calls", 1))
    return {
        "wall_s": wall,
        "dialogues_per_min": args.dialogues * 60.0 / wall,
        "tokens_per_s": usage["completion_tokens"] / wall,
        "calls": usage["calls"],
        "completion_tokens": usage["completion_tokens"],
        "repaired_share": counts.get("choices_repaired", 0) / choices,
        "failed_share": counts.get("choices_failed", 0) / choices,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dialogues", type=int, default=6)
    parser.add_argument("--turns", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=1, help="A B pairs; ratios are medians over rounds")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--baseline", default="4ef4202", help="commit whose configuration is the baseline")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="simsocial-bench-") as tmp:
        base_root = checkout(args.baseline, Path(tmp) / "baseline")
        rows: list[tuple[dict, dict]] = []
        for r in range(args.rounds):
            base = run_once(base_root, Path(tmp) / f"base-{r}", args)
            new = run_once(ROOT, Path(tmp) / f"new-{r}", args)
            rows.append((base, new))
            for name, m in (("baseline " + args.baseline, base), ("this engine", new)):
                print(f"round {r + 1} {name:>18}: {m['wall_s']:7.1f} s  {m['dialogues_per_min']:6.2f} dialogues/min  "
                      f"{m['tokens_per_s']:6.1f} completion tok/s  {m['calls']} calls  "
                      f"repaired {m['repaired_share']:.0%}  failed {m['failed_share']:.0%}")  # fmt: skip
    dpm = statistics.median(n["dialogues_per_min"] / b["dialogues_per_min"] for b, n in rows)
    tps = statistics.median(n["tokens_per_s"] / b["tokens_per_s"] for b, n in rows)
    print(f"{args.dialogues} dialogues × {args.turns} turns, vs_standard, SmolLM2-135M, {os.cpu_count()} cores")
    print(f"dialogues per minute: {dpm:.2f}x   (goal >= 3x)")
    print(f"completion tokens per second: {tps:.2f}x   (goal >= 2x)")


if __name__ == "__main__":
    main()
