"""Sweep cells side by side: wall time of a 4-cell sweep relative to one cell, against a fixed-latency server.

Each cell has ``--dialogues`` dialogues of ``--turns`` turns (one call per choice: 2 × turns + 1 calls in
a row per dialogue).  The one-cell sweep and the 4-cell sweep run in this one process, one after the
other, against the same fake server (tests/fault_server.py in its own process); so does the 4-cell sweep
with cells one after another (``cells_at_once=1``, what simsocial did before).  Goal: 4 cells ≤ 1.6× one.

    python benchmarks/sweep_cells.py [--delay 0.2] [--dialogues 8] [--turns 10] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Timer, fake_server, write_sweep  # noqa: E402

from simsocial.batch import run_sweep  # noqa: E402
from simsocial.llm.factory import LLMSettings  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--delay", type=float, default=0.2, help="server latency per call, seconds")
    parser.add_argument("--dialogues", type=int, default=8, help="dialogues per cell")
    parser.add_argument("--turns", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=32, help="calls in flight for the whole sweep")
    args = parser.parse_args()
    settings = LLMSettings(cache_path=None, cache_mode="off", structured_output="json_schema")
    with fake_server(args.delay) as base_url, tempfile.TemporaryDirectory() as tmp:

        def sweep(name: str, seeds: list[int], **kw) -> float:
            methods = ["vs_standard", "direct"] if len(seeds) > 1 else ["vs_standard"]
            path = write_sweep(Path(tmp) / f"{name}.yaml", methods=methods, seeds=seeds, dialogues=args.dialogues,
                               turns=args.turns)  # fmt: skip
            with Timer() as t:
                result = run_sweep(path, Path(tmp) / name, base_url=base_url, model="fake", llm=settings,
                                   concurrency=args.concurrency, show_progress=False, **kw)  # fmt: skip
            assert result.ok and len(result.cells) == (4 if len(seeds) > 1 else 1), result.status
            return t.seconds

        sweep("warmup", [0], dialogues=1)  # imports, persona table
        one = sweep("one", [0])
        four = sweep("four", [0, 1])
        serial = sweep("serial", [0, 1], cells_at_once=1)
    ideal = (2 * args.turns + 1) * args.delay
    print(f"fixed-latency endpoint: {args.delay * 1000:.0f} ms per call; {args.dialogues} dialogues per cell, "
          f"{args.turns} turns; concurrency {args.concurrency}; one dialogue needs at least {ideal:.1f} s")  # fmt: skip
    print(f"{'sweep':>28} {'seconds':>9} {'× one cell':>11}")
    for name, seconds in (("1 cell", one), ("4 cells side by side", four), ("4 cells one after another", serial)):
        print(f"{name:>28} {seconds:>9.2f} {seconds / one:>11.2f}")
    verdict = "meets" if four / one <= 1.6 else "MISSES"
    print(f"4 cells side by side / 1 cell: {four / one:.2f} ({verdict} the 1.6 goal)")


if __name__ == "__main__":
    main()
