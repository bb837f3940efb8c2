"""A local Ray cluster that ``simsocial batch --executor ray`` starts listens on 127.0.0.1 only (issue 21):
every listening socket of every process under the real CLI, as ``ss -ltnp`` shows them while the batch
runs, is on loopback."""

from __future__ import annotations

import ipaddress
import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from fault_server import FaultServer
from test_batch_run import write_sweep

pytestmark = [pytest.mark.ray, pytest.mark.slow]
pytest.importorskip("ray")


def _listening(pids: set[int]) -> dict[str, str]:
    """``address:port`` → process name, for every TCP listening socket of ``pids`` (``ss -ltnp``)."""
    out = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True, check=True).stdout
    found = {}
    for line in out.splitlines():
        fields = line.split()
        if any(f"pid={pid}," in fields[-1] for pid in pids):
            found[fields[3]] = fields[-1].split('"')[1]
    return found


def _host(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    host = address.rsplit(":", 1)[0].strip("[]")
    ip = ipaddress.ip_address("0.0.0.0" if host == "*" else host)
    return ip.ipv4_mapped or ip if isinstance(ip, ipaddress.IPv6Address) else ip


def test_a_local_ray_cluster_listens_on_loopback_only(tmp_path: Path) -> None:
    sweep = write_sweep(tmp_path / "sweep.yaml", methods=["direct"], dialogues=4, turns=2)
    env = {**os.environ, "HOME": str(tmp_path), "RAY_USAGE_STATS_ENABLED": "0"}  # ~/.ray stays untouched
    env.pop("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", None)  # simsocial must set it up itself
    with FaultServer(schema_answers=True, ok_delay_s=0.5, record=False) as server:
        cmd = [sys.executable, "-m", "simsocial.cli.main", "batch", str(sweep), "--out", str(tmp_path / "out"),
               "--base-url", server.base_url, "--model", "fake", "--no-cache", "--executor", "ray", "-q"]  # fmt: skip
        cli = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        seen: dict[str, str] = {}
        while cli.poll() is None:  # every socket any process of the run opens, while the run lasts
            try:
                pids = {cli.pid} | {p.pid for p in psutil.Process(cli.pid).children(recursive=True)}
            except psutil.NoSuchProcess:
                break
            seen |= _listening(pids)
            time.sleep(0.2)
        out, err = cli.communicate(timeout=60)

    assert cli.returncode == 0, err[-3000:]
    names = set(seen.values())
    assert {"gcs_server", "raylet"} <= names, seen  # the cluster was seen while it ran
    assert all(_host(address).is_loopback for address in seen), seen
