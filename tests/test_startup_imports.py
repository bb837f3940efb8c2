"""A run's first LLM call does not wait for pandas, Mesa or scipy (issue 16, "answer at once").

The real CLI runs in a subprocess against a real HTTP server on 127.0.0.1 (tests/fault_server.py).  An
audit hook (``sys.addaudithook``, the interpreter's own event stream: nothing of simsocial is replaced)
notes which heavy libraries are loaded when the process first connects to the endpoint, which is the
pre-flight, the run's first call.  No clock is read: what is checked is the order, not the time.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from cli_helpers import REPO, SCENARIO
from fault_server import FaultServer

NOT_BEFORE_FIRST_CALL = ("pandas", "mesa", "scipy", "networkx", "matplotlib")

_PROBE = """
import runpy, sys
HEAVY = {heavy!r}
seen = []

def hook(event, args):
    if event == "socket.connect" and not seen and args[1][1] == {port}:
        seen.append(sorted(m for m in HEAVY if m in sys.modules))

sys.addaudithook(hook)
sys.argv = ["simsocial", *sys.argv[1:]]
try:
    runpy.run_module("simsocial.cli.main", run_name="__main__")
except SystemExit as exc:
    print("EXIT", exc.code)
print("AT_FIRST_CALL", seen[0] if seen else None)
"""


@pytest.fixture(scope="module")
def server() -> Iterator[FaultServer]:
    with FaultServer(schema_answers=True, record=False) as running:
        yield running


def test_the_first_llm_call_comes_before_pandas_mesa_and_scipy(tmp_path, server) -> None:
    code = _PROBE.format(heavy=NOT_BEFORE_FIRST_CALL, port=server.port)
    args = ["run", SCENARIO, "-n", "1", "--turns", "1", "-m", "direct", "--base-url", server.base_url, "--model",
            "fake", "--no-cache", "-q", "--no-transcript", "--out", tmp_path / "run"]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(REPO), "NO_COLOR": "1"}
    done = subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=300)  # fmt: skip
    assert "EXIT 0" in done.stdout or "EXIT None" in done.stdout, done.stderr
    assert (tmp_path / "run" / "dialogues.parquet").is_file()  # the run went on to load them, and finished
    loaded = next(line for line in done.stdout.splitlines() if line.startswith("AT_FIRST_CALL"))
    assert loaded == "AT_FIRST_CALL []", loaded
