"""``simsocial serve-local``: run the embedded llama.cpp server on its own, for other tools."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from simsocial.llm.embedded import EmbeddedServer


def serve_local(
    gguf: Annotated[Path | None, typer.Option(help="GGUF model file (default: SmolLM2-135M-Instruct).")] = None,
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0 picks a free one).")] = 8080,
    n_ctx: Annotated[int, typer.Option(help="Context window in tokens.")] = 4096,
    threads: Annotated[int | None, typer.Option(help="CPU threads (default: all cores).")] = None,
) -> None:
    """Serve the embedded model as an OpenAI-compatible endpoint on 127.0.0.1 until Ctrl-C."""
    console = Console(stderr=True)
    server = EmbeddedServer(gguf=gguf, port=port or None, n_ctx=n_ctx, n_threads=threads)
    with server:
        console.print(f"[green]serving[/] model [bold]{server.model}[/] at [bold]{server.base_url}[/]")
        console.print(f"use: simsocial run SCENARIO --base-url {server.base_url} --model {server.model}")
        console.print(f"log: {server.log_path}   (Ctrl-C stops the server)")
        # SIGTERM takes the same clean path as Ctrl-C, so the child server never outlives us.
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
        try:
            while server.is_running():
                time.sleep(0.5)
        except KeyboardInterrupt:
            console.print("stopping server")


def register(app: typer.Typer) -> None:
    app.command("serve-local")(serve_local)
