"""A real Ray cluster on 127.0.0.1 for tests: ``ray start --head`` plus worker nodes, each its own
``ray start --block`` process tree, token authentication on, stopped by process id at the end.

Everything stays on loopback, which takes care with the installed Ray (2.60): ``--node-ip-address
127.0.0.1`` alone is not enough on Linux — Ray "resolves" 127.0.0.1/localhost to the machine's interface
address unless ``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0`` is set (ray._private.services.resolve_ip_for_localhost).
A worker node cannot have that variable (``ray start --address`` then refuses to join: "Multi-node Ray
clusters are not supported"), and without it it rewrites the head's 127.0.0.1 in ``--address``.  So the
nodes take other loopback addresses, which Ray does not rewrite: the head 127.0.0.2, worker *i*
127.0.0.<i+3>; clients (the simsocial driver) keep ``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0`` so their
own address is 127.0.0.1.  Every port is 0: each Ray process binds a free port itself and records it in
the session directory, where the head's GCS port is read back (no port is picked here and released for Ray
to take later, a race with anything else starting on the machine, other Ray clusters included).  The
session lives in its own temporary directory.  The token is generated here and passed
by environment (``RAY_AUTH_MODE=token``, ``RAY_AUTH_TOKEN``); ``~/.ray`` is never read or written.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

RAY = Path(os.environ.get("VIRTUAL_ENV", "")) / "bin" / "ray"


class RayCluster:
    """``with RayCluster(workers=1) as cluster:`` — ``cluster.address``, ``cluster.env`` for clients."""

    def __init__(self, ray_bin: Path, workers: int = 1, cpus_per_node: int = 1) -> None:
        self.ray_bin = ray_bin
        self.workers = workers
        self.cpus = cpus_per_node
        self.tmp = Path(tempfile.mkdtemp(prefix="rc-", dir="/tmp"))  # short: unix socket paths are limited
        self.token = secrets.token_hex(16)
        self.env = {**os.environ, "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": self.token,
                    "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_USAGE_STATS_ENABLED": "0"}  # fmt: skip
        self.procs: list[subprocess.Popen[bytes]] = []
        self.port = 0

    @property
    def address(self) -> str:
        return f"127.0.0.2:{self.port}"

    def _node(self, head: bool) -> subprocess.Popen[bytes]:
        ip = f"127.0.0.{len(self.procs) + 2}"
        env = {**self.env, "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "1"}  # a node of a multi-node cluster
        # 0 = the process binds a free port itself (the dashboard agent's default, 52365, is fixed: two
        # clusters on one machine would collide on it).
        ports = ["--object-manager-port", "--node-manager-port", "--dashboard-agent-listen-port",
                 "--dashboard-agent-grpc-port", "--runtime-env-agent-port", "--metrics-export-port"]  # fmt: skip
        cmd = [str(self.ray_bin), "start", "--block", "--node-ip-address", ip, "--num-cpus", str(self.cpus),
               *(arg for option in ports for arg in (option, "0")), "--disable-usage-stats"]  # fmt: skip
        if head:
            cmd += ["--head", "--port", "0", "--include-dashboard", "false", "--temp-dir", str(self.tmp)]
        else:
            cmd += ["--address", self.address]
        log = open(self.tmp / f"node{len(self.procs)}.log", "wb")  # noqa: SIM115 - closed with the process
        return subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def start(self, timeout_s: float = 90) -> RayCluster:
        try:
            self.procs.append(self._node(head=True))
            self._wait_for("Ray runtime started", 0, timeout_s)
            self.port = self._gcs_port()
            for _ in range(self.workers):
                self.procs.append(self._node(head=False))
                self._wait_for("Ray runtime started", len(self.procs) - 1, timeout_s)
        except BaseException:
            self.stop()  # a node that did not come up must not outlive the test
            raise
        return self

    def _wait_for(self, text: str, node: int, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        log = self.tmp / f"node{node}.log"
        while text not in log.read_text(errors="replace"):
            if self.procs[node].poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"ray node {node} did not start:\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.5)

    def _gcs_port(self) -> int:
        """The port the head's GCS server bound, as it recorded it in its session directory."""
        (port_file,) = (self.tmp / "session_latest").glob("gcs_server_port_*")
        return int(port_file.read_text().strip())

    def stop(self) -> None:
        """SIGTERM each node's ``ray start --block`` (it drains and stops its processes), then SIGKILL the
        process groups of any that linger — only the processes this cluster started — and remove its
        directory."""
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 45
        for proc in self.procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        for proc in self.procs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # the node's own session: raylet, gcs, workers
        shutil.rmtree(self.tmp, ignore_errors=True)  # its sessions, sockets and logs: nothing left in /tmp

    def __enter__(self) -> RayCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
