"""The embedded llama.cpp server is closed to other local users and web pages (issue 21): loopback only,
a random key on every route but /health, no cross-origin access, a private log never written through a
planted symlink.  Real llama-server with the embedded model."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
import pytest

from simsocial.llm.embedded import EmbeddedServer
from simsocial.llm.errors import EmbeddedServerError

EVIL = "http://evil.example"


def listening(pid: int) -> list[str]:
    """Local addresses ``pid`` listens on, as ``ss -ltnp`` shows them."""
    out = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True, check=True).stdout
    return [line.split()[3] for line in out.splitlines() if f"pid={pid}," in line]


def test_the_server_listens_on_loopback_only(embedded_server: EmbeddedServer) -> None:
    addresses = listening(embedded_server.pid)
    assert addresses == [f"127.0.0.1:{embedded_server.port}"]


def test_every_route_but_health_needs_the_key(embedded_server: EmbeddedServer) -> None:
    root = f"http://127.0.0.1:{embedded_server.port}"
    body = {"model": embedded_server.model, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 1}
    assert httpx.get(f"{root}/health").status_code == 200
    assert httpx.post(f"{root}/v1/chat/completions", json=body).status_code == 401
    assert httpx.get(f"{root}/v1/models").status_code == 401
    assert httpx.get(f"{root}/slots").status_code in (401, 501)  # refused without the key either way
    wrong = {"Authorization": "Bearer sk-no-key-required"}  # what a client without the key sends
    assert httpx.post(f"{root}/v1/chat/completions", json=body, headers=wrong).status_code == 401
    right = {"Authorization": f"Bearer {embedded_server.api_key}"}
    assert httpx.post(f"{root}/v1/chat/completions", json=body, headers=right, timeout=60).status_code == 200
    # The key reached the server by its environment, not its command line (any local user reads that).
    cmdline = Path(f"/proc/{embedded_server.pid}/cmdline").read_bytes()
    assert embedded_server.api_key.encode() not in cmdline


def test_no_other_origin_may_read_an_answer(embedded_server: EmbeddedServer) -> None:
    """What a browser checks before it lets a page of another origin see a response (CORS)."""
    root = f"http://127.0.0.1:{embedded_server.port}"
    preflight = httpx.options(
        f"{root}/v1/chat/completions",
        headers={
            "Origin": EVIL,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    simple = httpx.get(f"{root}/health", headers={"Origin": EVIL})
    for response in (preflight, simple):
        assert response.headers.get("access-control-allow-origin") not in (EVIL, "*")
        assert response.headers.get("access-control-allow-credentials") != "true"


def test_the_log_is_private_and_a_planted_symlink_is_refused(tmp_path: Path) -> None:
    server = EmbeddedServer()
    log_dir = server.log_path.parent
    try:
        assert log_dir.stat().st_mode & 0o777 == 0o700 and log_dir != Path("/tmp")
    finally:
        server.stop()  # never started: removes the private directory
    assert not log_dir.exists()

    target = tmp_path / "victim.txt"
    target.write_text("precious\n")
    planted = tmp_path / "server.log"
    planted.symlink_to(target)
    with pytest.raises(EmbeddedServerError, match="cannot open the server log"):
        EmbeddedServer(log_path=planted).start()
    assert target.read_text() == "precious\n"  # not written through, not truncated
