"""Soak test: nothing is lost, nothing is doubled, whatever the endpoint and the operator do.

A sweep of ``--dialogues`` dialogues (two cells: direct and vs_standard) runs against a faulty endpoint
(benchmarks/_soak_server.py: a real HTTP server on 127.0.0.1; ``--faults`` of requests get a 429, a 500, a
hang then a dropped connection, a drop, or a truncated answer; latencies 10 ms to ``--max-latency``).
One uninterrupted reference run and, for each executor in ``--modes`` (``local``, ``processes`` with 2
workers, ``ray`` on a local two-node cluster from tests/ray_cluster.py), the same sweep killed with
``kill -9`` ``--kills`` times at random moments, each followed by ``--resume``, until it completes.  The
runs go side by side, each against its own faulty endpoint (so each meets the whole fault mix, and the
machine is busy while they do).

Checked, and printed: every dialogue exactly once; every table identical to the reference run's (same
seed; each mode with its own response cache); the end-of-run invariant never tripped; no process of a
killed command left behind; the API key (a random one, in ``OPENAI_API_KEY``) never in any file written.
Exit status 0 when every check holds, 1 otherwise.  Not part of CI (minutes); tests/test_soak.py runs a
small version.

    python benchmarks/soak.py --dialogues 2000 --kills 3            # the full soak
    python benchmarks/soak.py --dialogues 24 --kills 2 --modes local --max-latency 0.3
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from urllib.request import urlopen

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "persuasion_for_good.yaml"
TABLES = {"dialogues.parquet": ["dialogue_id"], "turns.parquet": ["dialogue_id", "turn", "role", "kind"],
          "candidates.parquet": ["dialogue_id", "turn", "role", "kind", "index"]}  # fmt: skip
LOST = "played but not written"


@dataclass
class ModeReport:
    mode: str
    kills: int = 0
    resumes: int = 0
    wall_s: float = 0.0
    orphans: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    endpoint: dict[str, int] = field(default_factory=dict)  # requests and faults of this run's endpoint


@contextmanager
def soak_server(args: argparse.Namespace):
    # A transient fault's retry is one more request, answered: about ``faults`` of all requests are faults
    # when that share of first requests gets one, and a fifth of it is truncated on every try.
    cmd = [sys.executable, str(ROOT / "benchmarks" / "_soak_server.py"), "--seed", str(args.seed),
           "--transient", str(args.faults), "--truncated", str(args.faults / 5),
           "--max-latency", str(args.max_latency), "--hang", str(min(2.0, args.max_latency))]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        if not url.startswith("http"):
            raise RuntimeError(f"soak server did not start (exit {proc.poll()})")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def server_call(url: str, what: str) -> dict[str, int]:
    """``stats``: the requests and faults of the soak server so far."""
    with urlopen(f"{url}/{what}", timeout=10) as answer:  # noqa: S310 - our own server on 127.0.0.1
        return json.loads(answer.read())


def write_sweep(path: Path, args: argparse.Namespace) -> Path:
    per_cell = max(1, args.dialogues // 2)
    path.write_text(yaml.safe_dump({"scenario": str(SCENARIO), "methods": ["direct", "vs_standard"],
                                    "dialogues": per_cell, "turns": args.turns, "shard_size": args.shard_size,
                                    "seeds": [args.seed]}))  # fmt: skip
    return path


def batch_cmd(sweep: Path, out: Path, url: str, mode: str, args: argparse.Namespace, address: str | None) -> list[str]:
    cmd = [sys.executable, "-m", "simsocial.cli.main", "batch", str(sweep), "--out", str(out), "--base-url", url,
           "--model", "soak", "--cache", str(out.with_name(out.name + "-cache.sqlite")), "-q",
           "--concurrency", str(args.concurrency), "--executor", mode]  # fmt: skip
    if mode == "processes":
        cmd += ["--workers", "2"]
    if address:
        cmd += ["--address", address]
    return cmd


def session_members(sid: int) -> list[int]:
    """Live processes of session ``sid`` (a command started with start_new_session: its whole tree)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[3]) == sid and fields[0] != "Z":
            found.append(int(entry))
    return found


def orphans_after_kill(sid: int, grace_s: float = 15.0) -> list[int]:
    """Processes of a killed command still alive after ``grace_s`` (then killed, by pid, and reported)."""
    deadline = time.monotonic() + grace_s
    while (left := session_members(sid)) and time.monotonic() < deadline:
        time.sleep(0.25)
    for pid in left:
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return left


def on_disk(out: Path) -> int:
    """Dialogues the sweep has on disk now (shards of running cells, results of finished ones)."""
    from simsocial.rundir.state import dialogues_on_disk

    total = 0
    for cell in out.glob("cells/*"):
        try:
            total += dialogues_on_disk(cell)
        except OSError:  # a shard renamed or tidied away while we looked: count again next time
            return -1
    return total


def run_mode(mode: str, sweep: Path, out: Path, url: str, args: argparse.Namespace, env: dict[str, str],
             address: str | None, rng: random.Random) -> ModeReport:  # fmt: skip
    """The sweep, killed ``args.kills`` times at random points of its progress, resumed until it completes.

    Kill *i* of *K* comes when the dialogues on disk pass a point drawn uniformly from the middle of the
    *i*-th of K + 1 equal parts of the sweep (so each kill lands in another invocation, mid-run, with work
    left for it to interrupt).
    """
    report = ModeReport(mode)
    clock = time.perf_counter()
    resume: list[str] = []
    targets = [rng.uniform(i - 0.5, i + 0.3) / (args.kills + 1) * args.dialogues for i in range(1, args.kills + 1)]
    while True:
        proc = subprocess.Popen(batch_cmd(sweep, out, url, mode, args, address) + resume, env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)  # fmt: skip
        if report.kills < len(targets):
            while proc.poll() is None and on_disk(out) < targets[report.kills]:
                time.sleep(0.2)  # each look reads every shard's footer: not too often, the machine is busy
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                report.kills += 1
                report.orphans += orphans_after_kill(proc.pid)
                resume = ["--resume"]
                report.resumes += 1
                continue
        stdout, stderr = proc.communicate(timeout=3600)
        if LOST in stderr:
            report.problems.append(f"{mode}: the end-of-run invariant tripped: {stderr[-500:]}")
        if proc.returncode != 0:
            report.problems.append(f"{mode}: exit {proc.returncode}: {stderr[-1500:]}")
        break
    report.wall_s = time.perf_counter() - clock
    return report


def cells_by_label(run: Path) -> dict[str, Path]:
    """A sweep's cell directories by label: the name without its hash, which covers the endpoint's URL
    (each run has an endpoint, and so a port, of its own)."""
    return {p.name.rsplit("-", 1)[0]: p for p in (run / "cells").iterdir()}


def read_table(cell: Path, table: str, keys: list[str], problems: list[str]) -> pd.DataFrame:
    """A cell's table in key order, without ``run_id`` (the cell directory's name: checked here)."""
    frame = pd.read_parquet(cell / table).sort_values(keys).reset_index(drop=True)
    if "run_id" in frame and not (frame["run_id"] == cell.name).all():
        problems.append(f"{cell}/{table}: rows of another run")
    return frame.drop(columns="run_id", errors="ignore")


def compare(reference: Path, out: Path, mode: str) -> tuple[int, list[str]]:
    """Dialogues checked, and every difference from the reference run (ids, duplicates, rows)."""
    problems, n = [], 0
    ref_cells, cells = cells_by_label(reference), cells_by_label(out)
    if sorted(cells) != sorted(ref_cells):
        return 0, [f"{mode}: cells {sorted(cells)} differ from the reference's {sorted(ref_cells)}"]
    for label in sorted(ref_cells):
        for table, keys in TABLES.items():
            a = read_table(ref_cells[label], table, keys, problems)
            b = read_table(cells[label], table, keys, problems)
            if table == "dialogues.parquet":
                n += len(b)
                if not b["dialogue_id"].is_unique:
                    problems.append(f"{mode}/{label}: a dialogue written twice")
                if set(a["dialogue_id"]) != set(b["dialogue_id"]):
                    problems.append(f"{mode}/{label}: dialogue ids differ from the reference run")
            try:
                pd.testing.assert_frame_equal(a, b)
            except AssertionError as exc:
                problems.append(f"{mode}/{label}/{table} differs from the reference: {str(exc)[:300]}")
        manifest = json.loads((cells[label] / "run.json").read_text())
        if manifest.get("lost") or manifest.get("status") == "incomplete":
            problems.append(f"{mode}/{label}: run.json says {manifest.get('status')} {manifest.get('lost')}")
    return n, problems


def key_on_disk(key: str, dirs: list[Path]) -> list[str]:
    needle = key.encode()
    return [str(p) for d in dirs for p in d.parent.glob(d.name + "*") for p in ([p] if p.is_file() else p.rglob("*"))
            if p.is_file() and needle in p.read_bytes()]  # fmt: skip


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Soak test: nothing lost, nothing doubled (see module doc).")
    parser.add_argument("--dialogues", type=int, default=2000, help="dialogues in all (two cells)")
    parser.add_argument("--turns", type=int, default=2)
    parser.add_argument("--kills", type=int, default=3, help="kill -9 per mode, each followed by --resume")
    parser.add_argument("--modes", default="local,processes,ray", help="executors, comma-separated")
    parser.add_argument("--faults", type=float, default=0.2, help="share of requests given a fault (about)")
    parser.add_argument("--max-latency", type=float, default=2.0, help="slowest answer (fastest: 10 ms)")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--shard-size", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--work", type=Path, default=None, help="directory for the runs (default: a temp one)")
    return parser.parse_args(argv)


def soaked_run(name: str, mode: str, sweep: Path, work: Path, args: argparse.Namespace, env: dict[str, str],
               address: str | None, index: int) -> ModeReport:  # fmt: skip
    """One run (the reference, or a mode with its kills) against an endpoint of its own."""
    with soak_server(argparse.Namespace(**{**vars(args), "seed": args.seed + index})) as url:
        report = run_mode(mode, sweep, work / name, url, args, env, address, random.Random(args.seed + index))
        report.endpoint = server_call(url, "stats")
    return report


def ray_cluster(stack: ExitStack, env: dict[str, str]) -> tuple[str, dict[str, str]]:
    """A local two-node Ray cluster (tests/ray_cluster.py) and the environment its clients need."""
    sys.path.insert(0, str(ROOT / "tests"))
    from ray_cluster import RayCluster

    cluster = stack.enter_context(RayCluster(Path(sys.executable).parent / "ray", workers=1))
    return cluster.address, {**cluster.env, **{k: env[k] for k in ("OPENAI_API_KEY", "PYTHONPATH", "NO_COLOR")}}


def faults_of(endpoint: dict[str, int]) -> dict[str, int]:
    return {k: v for k, v in endpoint.items() if k not in ("requests", "ok")}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="soak-"))
    work.mkdir(parents=True, exist_ok=True)
    key = "sk-soak-" + secrets.token_hex(16)
    env = {**os.environ, "OPENAI_API_KEY": key, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    env.pop("SIMSOCIAL_TEST_LOSE_DIALOGUE", None)
    modes = [m for m in args.modes.split(",") if m]
    sweep = write_sweep(work / "sweep.yaml", args)
    started = time.perf_counter()
    problems: list[str] = []
    with ExitStack() as stack:
        pool = stack.enter_context(ThreadPoolExecutor(len(modes) + 1))
        uninterrupted = argparse.Namespace(**{**vars(args), "kills": 0})
        ref_run = pool.submit(soaked_run, "reference", "local", sweep, work, uninterrupted, env, None, 0)
        runs = {}
        for index, mode in enumerate(modes, start=1):
            address, mode_env = ray_cluster(stack, env) if mode == "ray" else (None, env)
            runs[mode] = pool.submit(soaked_run, mode, mode, sweep, work, args, mode_env, address, index)
        ref = ref_run.result()
        reports = {mode: run.result() for mode, run in runs.items()}
    problems += ref.problems
    for mode, report in reports.items():
        n, differences = compare(work / "reference", work / mode, mode)
        problems += report.problems + differences
        if report.orphans:
            problems.append(f"{mode}: {len(report.orphans)} process(es) outlived a kill -9: {report.orphans}")
        print(f"{mode:9s} {n} dialogues, {report.kills} kill -9, {report.resumes} resumes, "
              f"{'identical' if not differences else 'DIFFERENT'} to the reference, "
              f"{len(report.orphans)} orphans, {report.wall_s:.1f}s, "
              f"{sum(faults_of(report.endpoint).values())} faults in {report.endpoint.get('requests', 0)} requests",
              flush=True)  # fmt: skip
    leaked = key_on_disk(key, [work / "reference", *(work / m for m in modes)])
    if leaked:
        problems.append(f"the API key is in {leaked[:5]}")
    print(f"reference {args.dialogues} dialogues uninterrupted, {ref.wall_s:.1f}s")
    totals = Counter()
    for report in [ref, *reports.values()]:
        totals.update(report.endpoint)
    faults = faults_of(totals)
    share = sum(faults.values()) / max(1, totals["requests"])
    print(
        f"endpoints: {totals['requests']} requests, {sum(faults.values())} faults ({share:.0%}: "
        f"{', '.join(f'{k} {v}' for k, v in sorted(faults.items()))})"
    )
    print(
        f"key on disk: {'yes' if leaked else 'never'}; invariant tripped: "
        f"{'yes' if any(LOST in p for p in problems) else 'never'}; wall time {time.perf_counter() - started:.0f}s"
    )
    for problem in problems:
        print(f"PROBLEM: {problem}")
    print("soak: OK" if not problems else f"soak: {len(problems)} problem(s)")
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
