"""Peak memory of a long batch: 10,000 dialogues replayed from the cache against 1,000, to show memory
does not grow with the number of dialogues.

The batch (one cell, short dialogues) is first recorded against a fake OpenAI-compatible server on
127.0.0.1 that answers valid VS JSON at once (tests/fault_server.py, its own process); the 1,000-dialogue
batch is a prefix of it (same seeds and dialogue ids, so the same cache entries).  Each size is then
replayed from the cache in a fresh child process, whose RSS is sampled every 20 ms while the batch runs
(peak), and reported with the RSS before the batch (after imports) and the kernel's high-water mark.
Finished dialogues are streamed to shards and only ``--concurrency`` dialogues are alive at once, so the
two peaks should be about equal.

    python benchmarks/memory.py [--sizes 1000 10000] [--turns 1] [--concurrency 64]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Timer, fake_server, write_sweep  # noqa: E402


class RssSampler:
    """Samples this process's RSS every ``interval_s`` in a thread; ``peak`` is the largest sample (bytes)."""

    def __init__(self, interval_s: float = 0.02) -> None:
        import psutil

        self._process = psutil.Process()
        self.interval_s = interval_s
        self.peak = self.start = self._process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.peak = max(self.peak, self._process.memory_info().rss)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.end = self._process.memory_info().rss
        self.peak = max(self.peak, self.end)


def child(sweep: Path, out: Path, cache: Path, base_url: str, concurrency: int) -> None:
    """Replay one batch in this (fresh) process and print its RSS before, at peak during, and after, as JSON."""
    from simsocial.batch import run_sweep
    from simsocial.llm.factory import LLMSettings

    settings = LLMSettings(cache_path=cache, cache_mode="replay")
    with Timer() as timer, RssSampler() as rss:
        result = run_sweep(sweep, out, base_url=base_url, model="fake", concurrency=concurrency, llm=settings,
                           show_progress=False)  # fmt: skip
    assert result.ok and result.stats.endpoint_calls == 0, result.errors
    mib = 2**20
    print(json.dumps({"before_mib": rss.start / mib, "peak_mib": rss.peak / mib, "after_mib": rss.end / mib,
                      "maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "seconds": timer.seconds}))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000], help="batch sizes (dialogues)")
    parser.add_argument("--turns", type=int, default=1, help="turns per dialogue (default 1: 3 calls)")
    parser.add_argument("--method", default="vs_standard", help="condition for every role")
    parser.add_argument("--concurrency", type=int, default=64, help="dialogues in flight (default 64)")
    parser.add_argument("--child", nargs=4, metavar=("SWEEP", "OUT", "CACHE", "URL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        sweep, out, cache, url = args.child
        child(Path(sweep), Path(out), Path(cache), url, args.concurrency)
        return
    from simsocial.batch import run_sweep
    from simsocial.llm.factory import LLMSettings

    sizes = sorted(args.sizes)
    with tempfile.TemporaryDirectory() as tmp, fake_server(0.0) as base_url:
        tmp = Path(tmp)
        cache = tmp / "cache.sqlite"
        sweeps = {n: write_sweep(tmp / f"sweep-{n}.yaml", methods=[args.method], dialogues=n, turns=args.turns)
                  for n in sizes}  # fmt: skip
        with Timer() as record:  # the largest batch records every answer the smaller ones need
            recorded = run_sweep(sweeps[sizes[-1]], tmp / "record", base_url=base_url, model="fake",
                                 concurrency=args.concurrency, llm=LLMSettings(cache_path=cache),
                                 show_progress=False)  # fmt: skip
        assert recorded.ok, recorded.errors
        print(f"recorded {sizes[-1]} dialogues × {args.turns} turn(s) ({recorded.stats.endpoint_calls} calls) "
              f"in {record.seconds:.0f} s")  # fmt: skip
        rows = []
        for n in sizes:
            sweep, out = sweeps[n], tmp / str(n)
            cmd = [sys.executable, __file__, "--concurrency", str(args.concurrency), "--child", str(sweep), str(out),
                   str(cache), base_url]  # fmt: skip
            done = subprocess.run(cmd, capture_output=True, text=True, check=True)
            rows.append((n, json.loads(done.stdout.strip().splitlines()[-1])))
    print(
        "RSS of a fresh process replaying the batch: before it starts (imports done), peak while it runs "
        "(sampled every 20 ms), after it; maxrss = the kernel's high-water mark for the whole process"
    )
    print(f"{'dialogues':>10} {'before MiB':>11} {'peak MiB':>9} {'after MiB':>10} {'maxrss MiB':>11} {'seconds':>8}")
    for n, row in rows:
        print(f"{n:>10} {row['before_mib']:>11.1f} {row['peak_mib']:>9.1f} {row['after_mib']:>10.1f} "
              f"{row['maxrss_mib']:>11.1f} {row['seconds']:>8.1f}")  # fmt: skip
    small, large = rows[0][1], rows[-1][1]
    growth = lambda r: r["peak_mib"] - r["before_mib"]  # noqa: E731
    print(f"peak RSS {sizes[-1]} vs {sizes[0]} dialogues: {large['peak_mib'] / small['peak_mib']:.2f}× "
          f"(growth during the batch: {growth(small):.1f} MiB for {sizes[0]}, {growth(large):.1f} MiB for "
          f"{sizes[-1]})")  # fmt: skip


if __name__ == "__main__":
    main()
