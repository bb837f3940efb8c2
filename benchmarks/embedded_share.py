"""Share of wall time the embedded llama.cpp server spends generating during a small batch.

Starts the embedded server (SmolLM2-135M, llama-cpp-python) with llama.cpp's per-request timings switched
on (``--verbose True``: each completion logs ``llama_perf_context_print: total time = … ms``), runs a
small batch against it with no cache, and divides the sum of those server-side generation times by the
batch's wall time.  The rest is engine overhead (prompts, parsing, sampling, writing) plus HTTP and the
server's own Python (request validation, JSON-schema-to-grammar, tokenising).  The server answers one
request at a time; the batch keeps two in flight (the embedded endpoint's bound) so the next request is
queued while one generates.  Target: >= 0.95.

    python benchmarks/embedded_share.py [--dialogues 2] [--turns 2] [--methods direct vs_standard]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Timer, write_sweep  # noqa: E402

from simsocial.batch import run_sweep  # noqa: E402
from simsocial.batch.endpoints import EMBEDDED_MAX_IN_FLIGHT  # noqa: E402
from simsocial.llm.embedded import EmbeddedServer  # noqa: E402
from simsocial.llm.factory import LLMSettings  # noqa: E402

_TOTAL = re.compile(r"llama_perf_context_print:\s+total time =\s+([\d.]+) ms")


class TimedServer(EmbeddedServer):
    """The embedded server with llama.cpp's per-request timing lines in its log."""

    def command(self) -> list[str]:
        cmd = super().command()
        cmd[cmd.index("--verbose") + 1] = "True"
        return cmd

    def generation_ms(self, since: int = 0) -> tuple[float, int]:
        """Sum of llama.cpp's per-request total times logged after byte ``since``, and how many requests."""
        text = self.log_path.read_bytes()[since:].decode(errors="replace")
        times = [float(m) for m in _TOTAL.findall(text)]
        return sum(times), len(times)

    def log_size(self) -> int:
        return self.log_path.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dialogues", type=int, default=2, help="dialogues per method (default 2)")
    parser.add_argument("--turns", type=int, default=2, help="turns per dialogue (default 2)")
    parser.add_argument("--methods", nargs="+", default=["direct", "vs_standard"], help="conditions to run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, TimedServer(log_path=Path(tempfile.gettempdir()) / "timed.log") as srv:
        tmp = Path(tmp)
        settings = LLMSettings(cache_path=None, cache_mode="off", structured_output="json_object_schema")
        common = {"base_url": srv.base_url, "model": srv.model, "llm": settings, "show_progress": False,
                  "concurrency": EMBEDDED_MAX_IN_FLIGHT}  # fmt: skip
        warm = write_sweep(tmp / "warm.yaml", methods=["direct"], dialogues=1, turns=1, seeds=[99])
        run_sweep(warm, tmp / "warm", **common)  # imports, persona table, the server's first prompt
        sweep = write_sweep(tmp / "sweep.yaml", methods=args.methods, dialogues=args.dialogues, turns=args.turns)
        start = srv.log_size()
        with Timer() as wall:
            result = run_sweep(sweep, tmp / "run", **common)
        generation_ms, requests = srv.generation_ms(start)
    assert result.ok, result.errors
    stats = result.stats
    share = generation_ms / 1000 / wall.seconds
    print(f"{len(result.cells)} cells × {args.dialogues} dialogues × {args.turns} turns on the embedded model: "
          f"{stats.endpoint_calls} calls, {stats.completion_tokens} completion tokens "
          f"({stats.completion_tokens / wall.seconds:.1f} tokens/s)")  # fmt: skip
    print(f"wall time {wall.seconds:.1f} s; llama.cpp generation (server's own timings, {requests} requests) "
          f"{generation_ms / 1000:.1f} s")  # fmt: skip
    verdict = "meets" if share >= 0.95 else "MISSES"
    print(f"share of wall time inside llama.cpp generation: {share:.3f} ({verdict} the 0.95 target)")


if __name__ == "__main__":
    main()
