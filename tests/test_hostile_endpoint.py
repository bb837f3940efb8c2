"""A hostile endpoint (a real HTTP server on 127.0.0.1) costs one choice, counted, within the deadline;
the run goes on and no key in use reaches a file or a message (issue 21).

Through the real CLI where the run's outcome matters, and through the LLM stack where one call does.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from cli_helpers import run_args, simsocial
from fault_server import FaultServer

from simsocial.llm import ChatRequest
from simsocial.llm.errors import AnswerTooLarge
from simsocial.llm.factory import LLMSettings, open_llm

ROLE_KEY = "SIMSOCIAL_TEST_PERSUADER_KEY"
# A role key as some providers issue them (base64): not "sk-"-shaped, and "/" breaks the bearer pattern.
ROLE_KEY_VALUE = "Zm9v/YmFy+cm9sZS1rZXk9"
HOSTILE_DUPLICATE = json.dumps({"responses": [{"text": "I give.", "probability": 1e308},
                                              {"text": "I give.", "probability": 1e308}]})  # fmt: skip
REQUEST = ChatRequest(messages=({"role": "user", "content": "Say something."},), max_tokens=16, seed=1, call_key="t")


def _repairs(out: Path) -> list[str]:
    turns = pq.read_table(out / "turns.parquet", columns=["repairs"]).to_pylist()
    return [code for row in turns for code in row["repairs"]]


def _everything(root: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file())


@pytest.mark.parametrize(
    ("behaviour", "reason", "server_kwargs"),
    [
        ("fixed", "parse_retry:malformed_answer", {"content": HOSTILE_DUPLICATE}),
        ("fixed", "parse_retry:malformed_answer", {"content": "[" * 3000 + "]" * 3000}),
        ("huge", "parse_retry:answer_too_large", {"huge_bytes": 50_000_000}),
        ("huge_chunked", "parse_retry:answer_too_large", {"huge_bytes": 50_000_000}),
    ],
    ids=["1e308-duplicate", "nested-3000", "huge-body", "huge-chunked-body"],
)
def test_a_hostile_answer_fails_one_attempt_and_the_run_goes_on(
    tmp_path: Path, behaviour: str, reason: str, server_kwargs: dict
) -> None:
    # The pre-flight call gets "ok"; the run's first call gets the hostile answer, every other a valid one.
    with FaultServer(["ok", behaviour], schema_answers=True, **server_kwargs) as server:
        result = simsocial(*run_args(server.base_url, "out", "--method", "direct", n=1, turns=1), cwd=tmp_path)

    assert result.code == 0, result.output
    assert "unexpected" not in result.output
    repairs = _repairs(tmp_path / "out")
    assert repairs.count(reason) == 1  # counted as a failed attempt of that one choice
    dialogues = pq.read_table(tmp_path / "out" / "dialogues.parquet").to_pylist()
    assert [d["status"] for d in dialogues] == ["ok"]


async def test_a_huge_body_is_refused_not_read_whole() -> None:
    with FaultServer(["huge"], huge_bytes=200_000_000) as server:
        settings = LLMSettings(base_url=server.base_url, model="fake", cache_path=None, preflight=False,
                               structured_output="none")  # fmt: skip
        async with open_llm(settings) as stack:
            with pytest.raises(AnswerTooLarge, match="limit 4,194,304"):
                await stack.model.chat(REQUEST)
            assert stack.stats.retries == 0 and len(server.requests) == 1


async def test_a_trickled_body_meets_the_call_deadline_and_is_retried() -> None:
    """One byte every 50 ms: no single read ever times out, so only a deadline on the whole call stops it."""
    with FaultServer(["trickle"], trickle_s=0.05) as server:
        settings = LLMSettings(base_url=server.base_url, model="fake", cache_path=None, preflight=False,
                               structured_output="none", timeout_s=1.0, max_wait_s=0.05)  # fmt: skip
        async with open_llm(settings) as stack:
            response = await stack.model.chat(REQUEST)
        assert response.text  # the retry's answer
        assert dict(stack.stats.retry_reasons) == {"timeout": 1}
        assert server.behaviours() == ["trickle", "ok"]


@pytest.mark.parametrize("status", ["400", "401"])
def test_an_echoed_role_key_reaches_no_file_and_no_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, status: str
) -> None:
    """The persuader's endpoint quotes the Authorization header back in its error body, mid-run."""
    monkeypatch.setenv(ROLE_KEY, ROLE_KEY_VALUE)
    with (
        FaultServer(schema_answers=True) as server,
        FaultServer(["ok", *[status] * 10], echo_auth=True) as persuader_server,
    ):
        persuader = ["--persuader-base-url", persuader_server.base_url, "--persuader-model", "m",
                     "--persuader-api-key-env", ROLE_KEY]  # fmt: skip
        result = simsocial(*run_args(server.base_url, "out", *persuader, n=1, turns=1), cwd=tmp_path)
        sent = {r.headers.get("authorization") for r in persuader_server.requests}

    assert sent == {f"Bearer {ROLE_KEY_VALUE}"}  # the key was used ...
    assert result.code == 4, result.output  # ... the one dialogue failed on the endpoint, and said so
    assert ROLE_KEY_VALUE not in result.output
    assert ROLE_KEY_VALUE.encode() not in _everything(tmp_path)  # the error column included
    (dialogue,) = pq.read_table(tmp_path / "out" / "dialogues.parquet").to_pylist()
    assert "Authorization: Bearer ***" in dialogue["error"]  # the echo is there, scrubbed
    if status == "401":  # a key rejected mid-run names the variable it came from
        assert ROLE_KEY in dialogue["error"] and "OPENAI_API_KEY" not in dialogue["error"]


def test_credentials_in_the_base_url_are_recorded_nowhere(tmp_path: Path) -> None:
    with FaultServer(schema_answers=True) as server:
        url = server.base_url.replace("http://", "http://alice:pw-in-url-0042@")
        args = run_args(url, "out", n=1, turns=1)
        args.remove("--no-cache")
        result = simsocial(*args, "--cache", tmp_path / "cache.sqlite", "--transcript", cwd=tmp_path)
    assert result.code == 0, result.output
    assert b"pw-in-url-0042" not in _everything(tmp_path) and b"alice" not in _everything(tmp_path)
    assert "pw-in-url-0042" not in result.output
    run = json.loads((tmp_path / "out" / "run.json").read_text())
    assert server.base_url in json.dumps(run)  # the endpoint is recorded, without its credentials


def test_run_and_cache_are_private(tmp_path: Path) -> None:
    with FaultServer(schema_answers=True) as server:
        args = run_args(server.base_url, "out", n=1, turns=1)
        args.remove("--no-cache")
        result = simsocial(*args, "--cache", tmp_path / "cache" / "llm.sqlite", cwd=tmp_path)
    assert result.code == 0, result.output
    assert (tmp_path / "out").stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "cache").stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "cache" / "llm.sqlite").stat().st_mode & 0o777 == 0o600


def test_the_transcript_prints_no_escape_sequence_of_the_model(tmp_path: Path) -> None:
    """OSC 52 (clipboard write), a window title, clear-screen and a bidi override, in every utterance."""
    text = "Hi \x1b]52;c;ZXZpbA==\x07there \x1b]0;owned\x1b\\now \x1b[2J\x1b[Hsee\u202e you\r"
    with FaultServer(schema_answers=True, texts=[text]) as server:
        result = simsocial(*run_args(server.base_url, "out", n=1, turns=1), cwd=tmp_path)
    assert result.code == 0, result.output
    assert "persuader" in result.stdout and "Hi there now see you" in result.stdout  # the words, shown
    assert not any(c in result.stdout for c in "\x1b\x07\r\u202e")
    # The run directory keeps what the model said, unchanged.
    turns = pq.read_table(tmp_path / "out" / "turns.parquet", columns=["text"]).to_pylist()
    assert any(row["text"] == text.strip() for row in turns)
