"""Running the real ``simsocial`` CLI in a subprocess, the way a user does (tests of issue 11)."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCENARIO = REPO / "scenarios" / "persuasion_for_good.yaml"


@dataclass
class Completed:
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def simsocial(*args: str | Path, cwd: Path, timeout: float = 120) -> Completed:
    """Run ``python -m simsocial.cli.main ARGS`` with this checkout first on the path."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "200", "NO_COLOR": "1"}
    env.pop("SIMSOCIAL_BASE_URL", None)
    env.pop("SIMSOCIAL_MODEL", None)
    proc = subprocess.run(
        [sys.executable, "-m", "simsocial.cli.main", *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return Completed(proc.returncode, proc.stdout, proc.stderr)


def run_args(base_url: str, out: Path | str, *extra: str | Path, n: int = 2, turns: int = 2) -> list[str | Path]:
    """``run`` against a test endpoint: small, uncached, quiet."""
    return ["run", SCENARIO, "-n", str(n), "--turns", str(turns), "--base-url", base_url, "--model", "fake",
            "--out", out, "--no-cache", "-q", *extra]  # fmt: skip


def snapshot(run_dir: Path) -> dict[str, bytes]:
    """Every file under ``run_dir`` by relative path, to check a refused command left the files as they were."""
    return {p.relative_to(run_dir).as_posix(): p.read_bytes() for p in sorted(run_dir.rglob("*")) if p.is_file()}


def default_sigint() -> None:
    """``preexec_fn`` for a CLI child that a test will Ctrl-C: SIGINT back to its default, as in a shell.

    A child inherits an *ignored* SIGINT (``SIG_IGN``) from its parent, and Python then installs no
    KeyboardInterrupt handler; libraries used earlier in the same pytest process (Ray's in-process
    cluster) can leave SIGINT ignored, and the child would then run to the end through the test's Ctrl-C.
    """
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)
