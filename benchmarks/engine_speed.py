"""Engine speed with no LLM time: a batch replayed entirely from the response cache.

First the batch is recorded against a fake OpenAI-compatible server on 127.0.0.1 that answers valid VS
JSON at once (tests/fault_server.py, its own process); then the same batch runs again into a new
directory with the cache in replay mode (a cache miss would be an error), so every second is engine:
Mesa agents, prompts, parsing and repair, sampling, the SQLite cache, shards, manifest.  Prints
dialogues/s (and LLM calls/s) of the replay, run twice (the first replay in a process is a little slower).

    python benchmarks/engine_speed.py [--dialogues 1000] [--turns 2] [--method vs_standard] [--concurrency 64]
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
    parser.add_argument("--turns", type=int, default=2, help="turns per dialogue (default 2)")
    parser.add_argument("--method", default="vs_standard", help="condition for every role (default vs_standard)")
    parser.add_argument("--concurrency", type=int, default=64, help="dialogues in flight (default 64)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        sweep = write_sweep(tmp / "sweep.yaml", methods=[args.method], dialogues=args.dialogues, turns=args.turns)
        cache = tmp / "cache.sqlite"
        with fake_server(0.0) as base_url:
            common = {"base_url": base_url, "model": "fake", "concurrency": args.concurrency, "show_progress": False}
            with Timer() as record:
                recorded = run_sweep(sweep, tmp / "record", llm=LLMSettings(cache_path=cache), **common)
            replays = []
            for attempt in range(2):  # the first replay in a process pays some warm-up (SQLite pages, caches)
                with Timer() as replay:
                    replayed = run_sweep(sweep, tmp / f"replay{attempt}", **common,
                                         llm=LLMSettings(cache_path=cache, cache_mode="replay"))  # fmt: skip
                assert replayed.ok and replayed.stats.endpoint_calls == 0, replayed.errors
                assert replayed.stats.cache_hits == recorded.stats.endpoint_calls
                replays.append(replay.seconds)
        assert recorded.ok, recorded.errors
        choices = recorded.stats.endpoint_calls
    print(f"{args.dialogues} dialogues × {args.turns} turns ({args.method}), {choices} LLM calls, concurrency "
          f"{args.concurrency}")  # fmt: skip
    print(f"{'record against the instant fake server:':<40}{record.seconds:7.2f} s  "
          f"{args.dialogues / record.seconds:8.1f} dialogues/s")  # fmt: skip
    for name, seconds in zip(("replay from the cache (engine only):", "replay again (warm):"), replays, strict=True):
        print(f"{name:<40}{seconds:7.2f} s  {args.dialogues / seconds:8.1f} dialogues/s  "
              f"({choices / seconds:.0f} LLM calls/s)")  # fmt: skip


if __name__ == "__main__":
    main()
