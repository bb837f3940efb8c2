"""Campaign scale: a 1,000-node small world, 5 rounds, on a fake endpoint with a fixed latency.

Each round's dialogues run concurrently (up to ``--concurrency`` in flight), so a round lasts about one
dialogue's chain of calls (``2 × turns + 1`` calls for Direct) times the latency, as long as the round fits
in flight.  The ideal is ``rounds × chain × latency``; this prints wall / ideal.  It then runs the same
campaign on 200 and on 1,000 nodes, each in a fresh process, and prints their peak memory and its ratio.

Every dialogue converts here (``adopt_at: 0``: any finished dialogue adopts) so that the campaign keeps
spreading for all 5 rounds; each advocate asks one friend a round (``contacts_per_round: 1``) from 8 seeds,
so rounds hold 8, 16, 32, 64 and 128 dialogues (at most 248 in all), below 256 in flight.

    python benchmarks/campaign_scale.py [--latency 0.2] [--concurrency 256] [--sizes 200 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, Timer, fake_server  # noqa: E402
from memory import RssSampler  # noqa: E402

SCENARIO = ROOT / "scenarios" / "campaign_small_world.yaml"


def campaign(nodes: int):
    from simsocial.campaign import load_campaign
    from simsocial.sim.scenario import Personas

    loaded = load_campaign(SCENARIO, max_turns=1)
    loaded = loaded.model_copy(update={"scenario": loaded.scenario.model_copy(
        update={"personas": Personas(source="human")})})  # fmt: skip
    return loaded.with_campaign(network={"n": nodes, "k": 4, "p": 0.1}, seeds={"count": 8}, contacts_per_round=1,
                                adopt_at=0.0)  # fmt: skip


def child(nodes: int, rounds: int, url: str, concurrency: int, out: Path, dialect: str) -> None:
    """One campaign in this (fresh) process; prints wall time, per-round times, dialogues per round and memory
    as JSON."""
    import time

    import pandas as pd

    from simsocial.campaign.runner import run_campaign
    from simsocial.llm.factory import LLMSettings
    from simsocial.llm.runtime import LLMRuntime
    from simsocial.sim.conditions import parse_condition
    from simsocial.sim.personas import persona_pool

    spec = campaign(nodes)
    conditions = [parse_condition("direct", spec.peer_scenario)]
    settings = LLMSettings(base_url=url, model="fake", cache_path=None, cache_mode="off", max_in_flight=concurrency,
                           structured_output=dialect)  # fmt: skip
    ends: list[float] = []  # when each round had been played and written
    persona_pool(spec.scenario.personas, "persuadee")  # the survey table is read once per process, not per run
    # The endpoint is opened and its pre-flight call made before the clock starts: the clock covers the
    # campaign (network, people, rounds, files), not the connection.
    cpu = time.process_time()  # this process's CPU, every thread: what the engine costs, whatever the load
    with LLMRuntime(settings) as runtime, Timer() as timer, RssSampler() as rss:
        run_campaign(spec, conditions, [1], rounds, out, settings, runtime=runtime, max_active=concurrency,
                     on_round=lambda _seed, _model: ends.append(time.perf_counter()))  # fmt: skip
    cpu = time.process_time() - cpu
    per_round = pd.read_parquet(out / "rounds.parquet")["dialogues"].tolist()
    marks = [timer.start, *ends, timer.start + timer.seconds]
    phases = [round(b - a, 3) for a, b in zip(marks, marks[1:], strict=False)]  # set-up + round 1, rounds, finish
    mib = 2**20
    print(json.dumps({"seconds": timer.seconds, "cpu_s": round(cpu, 3), "phases": phases,
                      "dialogues_per_round": per_round, "before_mib": rss.start / mib, "peak_mib": rss.peak / mib,
                      "maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--latency", type=float, default=0.2, help="seconds per answer (default 0.2)")
    parser.add_argument("--concurrency", type=int, default=256, help="calls in flight (default 256)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--sizes", type=int, nargs=2, default=[200, 1000], help="nodes: small, large")
    parser.add_argument("--structured-output", default="json_schema", choices=["json_schema", "auto"],
                        help="the endpoint's dialect (default json_schema; auto probes it with the first "
                        "structured call, which holds the first round's other calls for one latency)")  # fmt: skip
    parser.add_argument("--child", nargs=3, metavar=("NODES", "URL", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        nodes, url, out = args.child
        child(int(nodes), args.rounds, url, args.concurrency, Path(out), args.structured_output)
        return
    chain = 2 * 1 + 1  # Direct, 1 turn: persuader, persuadee, donation
    ideal = args.rounds * chain * args.latency
    rows = {}
    load_before = os.getloadavg()  # the figures below are only as good as the machine was idle
    with tempfile.TemporaryDirectory() as tmp, fake_server(args.latency, kind="fast") as url:
        for nodes in args.sizes:
            cmd = [sys.executable, __file__, "--rounds", str(args.rounds), "--concurrency", str(args.concurrency),
                   "--structured-output", args.structured_output, "--child", str(nodes), url,
                   str(Path(tmp) / str(nodes))]  # fmt: skip
            done = subprocess.run(cmd, capture_output=True, text=True, check=True)
            rows[nodes] = json.loads(done.stdout.strip().splitlines()[-1])
    small, large = (rows[n] for n in args.sizes)
    print(f"load average (1/5/15 min) before: {' '.join(f'{x:.2f}' for x in load_before)}, after: "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}; {os.cpu_count()} CPUs")  # fmt: skip
    print(f"{'nodes':>6} {'dialogues/round':>22} {'wall s':>7} {'ideal s':>8} {'wall/ideal':>10} {'CPU s':>6} "
          f"{'peak MiB':>9}")  # fmt: skip
    for nodes, row in rows.items():
        print(f"{nodes:>6} {str(row['dialogues_per_round']):>22} {row['seconds']:>7.2f} {ideal:>8.2f} "
              f"{row['seconds'] / ideal:>10.2f} {row['cpu_s']:>6.2f} {row['peak_mib']:>9.1f}")  # fmt: skip
    print(f"seconds per phase at {args.sizes[1]} nodes (set-up + round 1, rounds 2-{args.rounds}, finish; a round "
          f"ideally {chain * args.latency:.2f}): {large['phases']}")  # fmt: skip
    print(
        f"wall / ideal at {args.sizes[1]} nodes, {args.concurrency} in flight, {args.latency * 1000:.0f} ms: "
        f"{large['seconds'] / ideal:.2f} (target <= 1.25)"
    )
    print(f"peak memory {args.sizes[1]} vs {args.sizes[0]} nodes: {large['peak_mib'] / small['peak_mib']:.2f}x "
          f"(growth during the run: {small['peak_mib'] - small['before_mib']:.1f} MiB vs "
          f"{large['peak_mib'] - large['before_mib']:.1f} MiB)")  # fmt: skip


if __name__ == "__main__":
    main()
