"""Options shared by ``run`` and ``batch``: where the model is and how it is called."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from simsocial.llm.factory import DEFAULT_CACHE_PATH, LLMSettings

BaseUrl = Annotated[
    str | None,
    typer.Option("--base-url", help="OpenAI-compatible endpoint (OpenAI, vLLM, Ollama, llama.cpp). "
                 "Default: start the embedded SmolLM2-135M llama.cpp server.", envvar="SIMSOCIAL_BASE_URL"),
]  # fmt: skip
ModelName = Annotated[str | None, typer.Option("--model", help="Model name at --base-url.", envvar="SIMSOCIAL_MODEL")]
Gguf = Annotated[Path | None, typer.Option("--gguf", help="GGUF file for the embedded server instead of SmolLM2.")]
Concurrency = Annotated[int, typer.Option("--concurrency", "-c", min=1, help="Dialogues (and LLM calls) in flight.")]
CachePath = Annotated[
    Path, typer.Option("--cache", help="SQLite record/replay cache; re-runs with the same seeds spend no tokens.")
]
NoCache = Annotated[bool, typer.Option("--no-cache", help="Call the model for every request.")]
Structured = Annotated[str, typer.Option("--structured-output", help="auto | json_schema | json_object_schema | none")]


def llm_settings(
    base_url: str | None,
    model: str | None,
    gguf: Path | None,
    concurrency: int,
    cache: Path | None = DEFAULT_CACHE_PATH,
    no_cache: bool = False,
    structured_output: str = "auto",
) -> LLMSettings:
    """Settings from CLI options, with a clear error for incomplete endpoint options."""
    if base_url and not model:
        raise typer.BadParameter("--model is required with --base-url", param_hint="--model")
    return LLMSettings(
        base_url=base_url,
        model=model,
        gguf=gguf,
        max_in_flight=concurrency,
        cache_path=None if no_cache else cache,
        cache_mode="off" if no_cache else "readwrite",
        structured_output=structured_output,  # type: ignore[arg-type]  # validated by pydantic
    )
