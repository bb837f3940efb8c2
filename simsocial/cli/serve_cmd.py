"""``simsocial serve-local``: run the embedded llama.cpp server on its own, for other tools.

Like every embedded server it takes a random API key made at start and allows no cross-origin access
(docs/security.md).  The key is written to ``api-key`` (0600) in the server's private directory, whose path
is printed; clients send it as their API key (``OPENAI_API_KEY=$(cat …/api-key)``).  The port stays 8080 by
default, as documented; ``--port 0`` picks a free one.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from simsocial.llm.embedded import DEFAULT_PARALLEL, DEFAULT_SLOT_CTX, EmbeddedServer
from simsocial.llm.errors import EmbeddedServerError, FatalLLMError
from simsocial.llm.openai_backend import OpenAICompatibleModel
from simsocial.llm.preflight import preflight
from simsocial.llm.server_guard import ServerGuardModel


async def _check(server: EmbeddedServer) -> None:
    backend = OpenAICompatibleModel(server.base_url, server.model)
    try:
        await preflight(ServerGuardModel(backend, server), server.base_url, server.model)
    finally:
        await backend.aclose()


def _write_key(server: EmbeddedServer) -> Path:
    """The server's key in a 0600 file beside its log (a private directory, removed when it stops)."""
    path = server.log_path.parent / "api-key"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(server.api_key + "\n")
    return path


def serve_local(
    gguf: Annotated[Path | None, typer.Option(help="GGUF model file (default: SmolLM2-135M-Instruct).")] = None,
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0 picks a free one).")] = 8080,
    n_ctx: Annotated[int, typer.Option(help="Context window per parallel slot, in tokens.")] = DEFAULT_SLOT_CTX,
    parallel: Annotated[int, typer.Option(help="Parallel slots (requests decoded together).")] = DEFAULT_PARALLEL,
    threads: Annotated[
        int | None,
        typer.Option(help="CPU threads for single-token steps (default: all cores but one; batches use all)."),
    ] = None,
) -> None:
    """Serve the embedded model as an OpenAI-compatible endpoint on 127.0.0.1 until Ctrl-C.

    One tiny completion is asked before the endpoint is announced, so a broken llama.cpp build fails
    here within seconds; if the server dies later, this command says how and exits non-zero.
    """
    console = Console(stderr=True)
    try:
        server = EmbeddedServer(gguf=gguf, port=port or None, n_ctx=n_ctx, n_threads=threads, parallel=parallel)
        server.start()
    except (EmbeddedServerError, FatalLLMError) as exc:
        console.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(1) from None
    try:
        asyncio.run(_check(server))
        key_file = _write_key(server)
        console.print(f"[green]serving[/] model [bold]{server.model}[/] at [bold]{server.base_url}[/]")
        console.print(f"api key: in {key_file} (this user only; every request must send it)")
        console.print(f"use: OPENAI_API_KEY=$(cat {key_file}) simsocial run SCENARIO --base-url {server.base_url} "
                      f"--model {server.model}")  # fmt: skip
        console.print(f"log: {server.log_path}   (Ctrl-C stops the server)")
        # SIGTERM takes the same clean path as Ctrl-C, so the child server never outlives us.
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
        while (death := server.death()) is None:
            time.sleep(0.5)
        raise death
    except FatalLLMError as exc:
        console.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        console.print("stopping server")
    finally:
        server.stop()


def register(app: typer.Typer) -> None:
    app.command("serve-local")(serve_local)
