"""Throughput against a fixed-latency endpoint, relative to the ideal bound.

A fake OpenAI-compatible server on 127.0.0.1 (its own process; see ``--server``) answers every call
with valid VS JSON after a fixed delay.  With C dialogues in flight, each
needing ``calls`` sequential calls, no engine can finish more than C / (calls × delay) dialogues per
second.  The efficiency printed is the issue's definition: the ideal wall time (rounds × the call chain ×
the delay) over the measured wall time minus start-up, where start-up is what a one-dialogue run takes
beyond its own call chain (runtime thread, pre-flight call, writer, manifest; the smallest of two).
Each level runs ``--rounds`` × C dialogues through ``run_simulation`` (writer, shards, manifest
included) with no cache.  Targets: efficiency >= 0.9 at 64 and >= 0.85 at 256 dialogues in flight.

The ``bare openai SDK`` rows are the ceiling any engine built on the openai client can reach here: the
same calls, C chains in flight, sent by ``AsyncOpenAI.post`` on the aiohttp transport and uvloop with
nothing around them (no prompts, parsing, agents or files).
``--processes N`` also runs every level over N local worker processes (simsocial.sim.executors.processes; the
workers are started by a warm-up run first, as the single process's imports are).  ``--ray-workers N``
also runs the last level spread over N Ray worker processes (a local cluster).

``--levers`` measures each client-side lever in one run, side by side, by switching it off through its
environment variable (simsocial.llm.wire / simsocial.llm.loop): the ladder starts from the old stack
(httpx, asyncio loop, pydantic ChatCompletion per call, stdlib json) and adds aiohttp, uvloop, raw
parsing and orjson one at a time.  ``--server fast`` (default) is benchmarks/_fast_server.py (aiohttp on
uvloop); ``--server threads`` is tests/fault_server.py, whose own CPU (~2 ms a request) dominates at 256.

    python benchmarks/concurrency.py [--delay 0.2] [--levels 1 16 64] [--rounds 8] [--levers] [--processes 2]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Timer, fake_server, scenario  # noqa: E402

from simsocial.llm.factory import LLMSettings  # noqa: E402
from simsocial.sim import parse_condition, run_simulation  # noqa: E402

HEADER = ("levers", "concurrent", "dialogues", "seconds", "start-up s", "dialogues/s", "ideal/s", "calls/s",
          "latency ms", "CPU ms/call", "CPU busy", "efficiency")  # fmt: skip


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


LADDER = [  # (label, environment): each step adds one lever to the one before
    ("httpx+asyncio+pydantic+json", {"SIMSOCIAL_HTTP": "httpx", "SIMSOCIAL_LOOP": "asyncio",
                                     "SIMSOCIAL_PARSE": "pydantic", "SIMSOCIAL_JSON": "json"}),
    ("+ aiohttp", {"SIMSOCIAL_HTTP": "aiohttp", "SIMSOCIAL_LOOP": "asyncio", "SIMSOCIAL_PARSE": "pydantic",
                   "SIMSOCIAL_JSON": "json"}),
    ("+ uvloop", {"SIMSOCIAL_HTTP": "aiohttp", "SIMSOCIAL_LOOP": "uvloop", "SIMSOCIAL_PARSE": "pydantic",
                  "SIMSOCIAL_JSON": "json"}),
    ("+ raw parse", {"SIMSOCIAL_HTTP": "aiohttp", "SIMSOCIAL_LOOP": "uvloop", "SIMSOCIAL_PARSE": "raw",
                     "SIMSOCIAL_JSON": "json"}),
    ("+ orjson (default)", {}),
]  # fmt: skip
_LEVER_VARS = ("SIMSOCIAL_HTTP", "SIMSOCIAL_LOOP", "SIMSOCIAL_PARSE", "SIMSOCIAL_JSON")


def with_levers(env: dict[str, str]) -> None:
    for name in _LEVER_VARS:
        os.environ.pop(name, None)
    os.environ.update(env)


def measure(
    base_url: str, concurrency: int, turns: int, rounds: int, delay: float, method: str, out: Path, workers: int = 0,
    label: str = "", executor=None, startup: float = 0.0,
) -> dict:  # fmt: skip
    """One level: ``rounds × concurrency`` dialogues; ``workers`` > 0 spreads them over that many Ray tasks.

    ``startup`` (seconds) is subtracted from the wall time for the efficiency (see :func:`startup_of`)."""
    spec = scenario(turns)
    condition = parse_condition(method, spec)
    calls_per_dialogue = 2 * turns + 1  # persuader + persuadee per turn, then the donation (one call each)
    n = rounds * concurrency
    per_process = concurrency // workers if workers else concurrency
    if workers:
        from simsocial.sim.executors.ray_executor import RayExecutor

        executor = RayExecutor(chunk_size=n // workers)
    settings = LLMSettings(base_url=base_url, model="fake", cache_path=None, cache_mode="off",
                           structured_output="json_schema", max_in_flight=per_process)  # fmt: skip
    cpu0 = _cpu_seconds()
    with Timer() as t:
        result = run_simulation(spec, [condition], n, 0, out / f"c{concurrency}-w{workers}", settings,
                                max_active=per_process, show_progress=False, executor=executor)  # fmt: skip
    cpu = _cpu_seconds() - cpu0
    usage = result.manifest["usage"]
    assert result.manifest["counts"]["dialogues"] == n
    assert usage["endpoint_calls"] == n * calls_per_dialogue, usage
    ideal = concurrency / (calls_per_dialogue * delay)
    calls = usage["endpoint_calls"]
    name = f"{concurrency} (ray×{workers})" if workers else str(concurrency)
    return _row(label, name, n, t.seconds, startup, ideal, calls, 1000 * usage["latency_s"] / calls, cpu)


def _row(label, name, n, seconds, startup, ideal, calls, latency_ms, cpu) -> dict:  # noqa: ANN001
    return {
        "levers": label,
        "concurrent": name,
        "dialogues": n,
        "seconds": seconds,
        "start-up s": startup,
        "dialogues/s": n / seconds,
        "ideal/s": ideal,
        "calls/s": calls / seconds,
        "latency ms": latency_ms,
        "CPU ms/call": 1000 * cpu / calls,
        "CPU busy": cpu / seconds,
        "efficiency": (n / ideal) / (seconds - startup),
    }


def startup_of(run_one, chain_s: float) -> float:  # noqa: ANN001
    """Start-up of a run: a one-dialogue run's wall time beyond its own call chain (smallest of two)."""
    return max(0.0, min(run_one()["seconds"] for _ in range(2)) - chain_s)


def bare_sdk(base_url: str, concurrency: int, chain: int, rounds: int, delay: float) -> dict:
    """The ceiling: ``concurrency`` chains of ``rounds × chain`` sequential calls through the openai client alone."""
    import asyncio

    import openai
    import uvloop

    from simsocial.llm import wire

    body = wire.dumps({"model": "fake", "max_tokens": 256, "messages": [
        {"role": "system", "content": "You are a persuadee. " * 60}, {"role": "user", "content": "Say more. " * 30}],
        "response_format": {"type": "json_object"}})  # fmt: skip
    latencies: list[float] = []

    async def main() -> float:
        client = openai.AsyncOpenAI(base_url=base_url, api_key="x", max_retries=0,
                                    http_client=openai.DefaultAioHttpClient())  # fmt: skip

        async def one_chain(index: int) -> None:
            for call in range(rounds * chain):
                started = time.perf_counter()
                options = {**wire.JSON_OPTIONS, "idempotency_key": f"b{index}-{call}"}
                raw = await client.post("/chat/completions", content=body, cast_to=bytes, options=options)
                wire.read_completion(raw)
                latencies.append(time.perf_counter() - started)

        async with client:
            with Timer() as t:
                await asyncio.gather(*(one_chain(i) for i in range(concurrency)))
        return t.seconds

    cpu0 = _cpu_seconds()
    seconds = uvloop.run(main())
    cpu = _cpu_seconds() - cpu0
    calls = len(latencies)
    ideal = concurrency / (chain * delay)
    return _row("bare openai SDK", str(concurrency), rounds * concurrency, seconds, 0.0, ideal, calls,
                1000 * sum(latencies) / calls, cpu)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--delay", type=float, default=0.2, help="server latency per call, seconds (default 0.2)")
    parser.add_argument("--levels", type=int, nargs="+", default=[1, 16, 64], help="concurrent dialogues")
    parser.add_argument("--turns", type=int, default=2, help="turns per dialogue (calls = 2 × turns + 1)")
    parser.add_argument("--rounds", type=int, default=8, help="dialogues per level = rounds × concurrency")
    parser.add_argument("--method", default="vs_standard", help="condition for every role (one call per choice)")
    parser.add_argument("--ray-workers", type=int, default=0, help="also run the last level on N Ray processes")
    parser.add_argument("--levers", action="store_true", help="measure each client lever (see the module doc)")
    parser.add_argument("--processes", type=int, default=0, help="also run each level over N local processes")
    parser.add_argument("--server", choices=("fast", "threads"), default="fast", help="fake server (module doc)")
    args = parser.parse_args()
    run = lambda c, w=0, turns=args.turns, rounds=args.rounds, out="", label="", startup=0.0: measure(  # noqa: E731
        base_url, c, turns, rounds, args.delay, args.method, Path(tmp) / out, w, label, startup=startup
    )
    chain = 2 * args.turns + 1
    ladder = LADDER if args.levers else LADDER[-1:]
    with fake_server(args.delay, args.server) as base_url, tempfile.TemporaryDirectory() as tmp:
        run(1, turns=1, rounds=1, out="warmup")  # imports, persona table
        rows = [bare_sdk(base_url, c, chain, args.rounds, args.delay) for c in args.levels]
        for step, (label, env) in enumerate(ladder):
            with_levers(env)
            startup = startup_of(lambda: run(1, rounds=1, out=f"s{time.monotonic_ns()}"), chain * args.delay)
            rows += [run(c, out=f"l{step}-", label=label, startup=startup) for c in args.levels]
        with_levers({})
        if args.processes:
            from simsocial.sim.executors.processes import ProcessExecutor

            spread = ProcessExecutor(args.processes)
            try:
                measure(base_url, args.processes, 1, 1, args.delay, args.method, Path(tmp) / "pw", 0, "", spread)
                one = lambda: measure(base_url, 1, args.turns, 1, args.delay, args.method,  # noqa: E731
                                      Path(tmp) / f"ps{time.monotonic_ns()}", 0, "", spread)  # fmt: skip
                startup = startup_of(one, chain * args.delay)
                rows += [measure(base_url, c, args.turns, args.rounds, args.delay, args.method,
                                 Path(tmp) / f"p{c}", 0, f"{args.processes} processes", spread, startup)
                         for c in args.levels]  # fmt: skip
            finally:
                spread.close()
        if args.ray_workers:
            import ray

            ray.init(num_cpus=args.ray_workers, include_dashboard=False, log_to_driver=False)
            run(args.ray_workers, args.ray_workers, turns=1, rounds=1, out="ray-warmup")  # start the workers
            rows.append(run(args.levels[-1], args.ray_workers, label="ray"))
    print(f"fixed-latency endpoint ({args.server} server): {args.delay * 1000:.0f} ms per call, "
          f"{2 * args.turns + 1} calls per dialogue")  # fmt: skip
    print(f"{HEADER[0]:>28} " + " ".join(f"{h:>12}" for h in HEADER[1:]))
    for row in rows:
        formats = {"CPU busy": "{:.0%}", "efficiency": "{:.3f}"}
        cells = [formats.get(k, "{:.2f}" if isinstance(v, float) else "{}").format(v) for k, v in row.items()]
        print(f"{cells[0]:>28} " + " ".join(f"{c:>12}" for c in cells[1:]))
    print(
        "latency: mean client-side time per call, the server's delay included; CPU ms/call and CPU busy: "
        "this process's CPU time per call and over wall time (engine + HTTP client; with Ray, the driver only)"
    )
    goals = {64: 0.9, 256: 0.85}
    for row in rows:
        goal = goals.get(int(row["concurrent"].split()[0]))
        if goal is not None and row["levers"] in (
            "+ orjson (default)",
            f"{args.processes} processes",
            "ray",
            "bare openai SDK",
        ):
            verdict = "meets" if row["efficiency"] >= goal else "MISSES"
            print(f"efficiency at {row['concurrent']} in flight ({row['levers']}): {row['efficiency']:.3f} "
                  f"({verdict} the {goal} goal)")  # fmt: skip


if __name__ == "__main__":
    main()
