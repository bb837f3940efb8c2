"""A partial set of ``--persuader-*`` options is one clear error (exit 2) before any call or file.

``--persuader-api-key-env`` without the persuader's endpoint used to be silently ignored (the run then
used OPENAI_API_KEY); ``--persuader-base-url`` and ``--persuader-model`` go together.  Through the real
CLI in a subprocess, against a real server on 127.0.0.1 that must see no request; the message names the
flag that is missing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_helpers import SCENARIO, run_args, simsocial
from fault_server import FaultServer

BASE = "--persuader-base-url"
MODEL = "--persuader-model"
KEY = "--persuader-api-key-env"


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with FaultServer(schema_answers=True) as fake:
        yield fake


def _given(server: FaultServer, *flags: str) -> list[str]:
    values = {BASE: server.base_url, MODEL: "m", KEY: "PATH"}  # PATH: a variable that is surely set
    return [part for flag in flags for part in (flag, values[flag])]


def _assert_refused(result, server: FaultServer, root: Path, before: list[Path], *named: str) -> None:
    assert result.code == 2, result.output
    assert "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    for text in named:
        assert text in result.stderr
    assert sorted(root.rglob("*")) == before  # nothing written: no run or sweep directory
    assert not server.requests


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        ((KEY,), f"{KEY} needs {BASE} and {MODEL}"),
        ((MODEL,), f"{MODEL} needs {BASE}"),
        ((BASE, KEY), f"{BASE} and {KEY} need {MODEL}"),
    ],
    ids=["key-alone", "model-alone", "no-model"],
)
def test_run_refuses_a_partial_persuader_endpoint(
    server: FaultServer, tmp_path: Path, flags: tuple[str, ...], message: str
) -> None:
    result = simsocial(*run_args(server.base_url, "out", *_given(server, *flags)), cwd=tmp_path)
    _assert_refused(result, server, tmp_path, [], message)


@pytest.mark.parametrize(
    ("flags", "message"),
    [((KEY,), f"{KEY} needs {BASE} and {MODEL}"), ((BASE,), f"{BASE} needs {MODEL}")],
    ids=["key-alone", "base-alone"],
)
def test_batch_refuses_a_partial_persuader_endpoint(
    server: FaultServer, tmp_path: Path, flags: tuple[str, ...], message: str
) -> None:
    (tmp_path / "sweep.yaml").write_text(
        f"name: flags\nscenario: {SCENARIO}\nmethods: [direct]\n"
        f"endpoints:\n  - {{base_url: '{server.base_url}', model: fake}}\ndialogues: 1\nturns: 1\n"
    )
    before = sorted(tmp_path.rglob("*"))
    result = simsocial("batch", "sweep.yaml", "--out", "out", "--no-cache", "-q", *_given(server, *flags), cwd=tmp_path)
    _assert_refused(result, server, tmp_path, before, message)
