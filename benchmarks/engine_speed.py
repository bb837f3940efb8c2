"""Engine speed with no LLM time: a batch replayed entirely from the response cache.

First the batch is recorded against a fake OpenAI-compatible server on 127.0.0.1 that answers valid VS
JSON at once (tests/fault_server.py, its own process); then the same batch runs again into a new
directory with the cache in replay mode (a cache miss would be an error), so every second is engine:
Mesa agents, prompts, parsing and repair, sampling, the SQLite cache, shards, manifest.

What it prints, each a separate line (all in this one process, after a warm-up replay):

- ``replay, start-up included``: the whole ``run_sweep`` call — plan, persona table, LLM runtime, cache,
  writer, manifest and summary — for ``--dialogues`` dialogues;
- ``start-up``: the same call for a one-dialogue batch (the fixed cost of any run);
- ``replay, start-up subtracted``: (dialogues − 1) / (whole − start-up), the engine's steady rate — the
  figure the goal (≥ 1,000 dialogues/s of 4-turn vs_standard dialogues) is about.

Interpreter start and imports are not in any of these (``benchmarks/startup.py`` measures those).

    python benchmarks/engine_speed.py [--dialogues 1000] [--turns 4] [--method vs_standard] [--concurrency 64]
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
    parser.add_argument("--dialogues", type=int, default=1000, help="dialogues in the batch (default 1000)")
    parser.add_argument("--turns", type=int, default=4, help="turns per dialogue (default 4)")
    parser.add_argument("--method", default="vs_standard", help="condition for every role (default vs_standard)")
    parser.add_argument("--concurrency", type=int, default=64, help="dialogues in flight (default 64)")
    parser.add_argument("--workers", type=int, default=0,
                        help="replay over N local worker processes (--executor processes); 0: one process")  # fmt: skip
    args = parser.parse_args()
    spread = {}
    if args.workers:  # one pool for every replay: its workers start (and import) once, in the warm-up
        from simsocial.sim.executors.processes import ProcessExecutor

        spread = {"executor": ProcessExecutor(args.workers)}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        sweep = write_sweep(tmp / "sweep.yaml", methods=[args.method], dialogues=args.dialogues, turns=args.turns)
        cache = tmp / "cache.sqlite"
        with fake_server(0.0) as base_url:
            common = {"base_url": base_url, "model": "fake", "concurrency": args.concurrency, "show_progress": False}
            with Timer() as record:
                recorded = run_sweep(sweep, tmp / "record", llm=LLMSettings(cache_path=cache), **common)
            assert recorded.ok, recorded.errors

        def replay(name: str, dialogues: int) -> float:
            with Timer() as t:
                replayed = run_sweep(sweep, tmp / name, dialogues=dialogues, **common, **spread,
                                     llm=LLMSettings(cache_path=cache, cache_mode="replay"))  # fmt: skip
            assert replayed.ok and replayed.stats.endpoint_calls == 0, replayed.errors
            return t.seconds

        try:
            replay("warmup", args.dialogues)  # SQLite pages, imports on first use, persona table
            whole = replay("whole", args.dialogues)
            startup = min(replay(f"one{i}", 1) for i in range(3))
        finally:
            if spread:
                spread["executor"].close()
        choices = recorded.stats.endpoint_calls
    engine = (args.dialogues - 1) / (whole - startup)
    where = f"{args.workers} worker processes" if args.workers else "one process"
    print(f"{args.dialogues} dialogues × {args.turns} turns ({args.method}), {choices} LLM calls, concurrency "
          f"{args.concurrency}, {where}; interpreter start-up and imports excluded")  # fmt: skip
    print(f"{'record against the instant fake server:':<42}{record.seconds:7.2f} s  "
          f"{args.dialogues / record.seconds:8.1f} dialogues/s")  # fmt: skip
    print(f"{'replay, start-up included:':<42}{whole:7.2f} s  {args.dialogues / whole:8.1f} dialogues/s")
    print(f"{'start-up (a one-dialogue replay):':<42}{startup:7.2f} s")
    print(f"{'replay, start-up subtracted:':<42}{whole - startup:7.2f} s  {engine:8.1f} dialogues/s  "
          f"({choices * engine / args.dialogues:.0f} LLM calls/s)")  # fmt: skip
    verdict = "meets" if engine >= 1000 else "MISSES"
    print(f"engine replay rate {engine:.0f} dialogues/s ({verdict} the 1,000 goal)")


if __name__ == "__main__":
    main()
