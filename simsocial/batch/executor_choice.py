"""Which executor runs a sweep's dialogues (this process, local worker processes, a Ray cluster), and
joining a Ray cluster with one clear error when that fails (a wrong address, a missing auth token)."""

from __future__ import annotations

import os
from typing import Any, Literal

from simsocial.batch.sweep import SweepError
from simsocial.sim.executors import DialogueExecutor

ExecutorName = Literal["local", "ray", "processes"]


def make_executor(
    executor: ExecutorName | DialogueExecutor, address: str | None, workers: int | None = None
) -> DialogueExecutor | None:
    """The executor named on the command line (None: run_simulation's local one), or ``executor`` itself."""
    if executor == "local":
        return None  # run_simulation's LocalExecutor
    if executor == "processes":
        from simsocial.sim.executors.processes import ProcessExecutor

        return ProcessExecutor(workers or 2)
    if executor == "ray":
        try:
            from simsocial.sim.executors.ray_executor import RayExecutor  # ray is an optional dependency
        except ImportError as exc:
            raise SweepError(f"--executor ray needs Ray: pip install 'simsocial[ray]' ({exc})") from None
        return RayExecutor(address=address)
    if isinstance(executor, str):
        raise SweepError(f"unknown executor {executor!r} (use local, processes or ray)")
    return executor


def join_cluster(executor: Any, address: str | None) -> None:
    """Connect to the Ray cluster now, turning Ray's errors into one clear :class:`SweepError`."""
    try:
        executor._ensure_ray()
    except Exception as exc:  # Ray raises many kinds (ConnectionError, AuthenticationError, RuntimeError...)
        text = f"{type(exc).__name__}: {exc}"
        hint = ""
        no_token = not any(os.environ.get(v) for v in ("RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH"))
        if "auth" in text.lower() or "token" in text.lower() or (isinstance(exc, ConnectionError) and no_token):
            # Ray reports a rejected token (InvalidAuthToken in its log) as a plain ConnectionError.
            hint = (" If the cluster uses token authentication (`ray start` turns it on when a token exists), "
                    "give this process the cluster's token "
                    "(RAY_AUTH_MODE=token plus RAY_AUTH_TOKEN or RAY_AUTH_TOKEN_PATH; `ray get-auth-token` "
                    "on the head prints it). See docs/batch.md.")  # fmt: skip
        where = address or "a new local one"
        raise SweepError(f"could not join the Ray cluster at {where}: {text[:500]}.{hint}") from None
