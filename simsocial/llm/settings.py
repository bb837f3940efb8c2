"""Where and how to call the model (:class:`LLMSettings`), and where a stack's API key comes from.

This is the one module that resolves keys.  A stack's key is the value of the variable its settings
name (``api_key_env``, e.g. a persuader on its own endpoint), else the backend reads
:data:`DEFAULT_KEY_ENV`; the embedded server has a key of its own.  Keys are read from the environment
when the backend is built and are never stored in settings, manifests or messages: a manifest records
the variable's *name* at most, and every key read is registered for :func:`~simsocial.llm.errors.redact`.

Imports nothing of the LLM stack (no SDK, no server), so the CLI and the run fingerprint can name settings
cheaply; :mod:`simsocial.llm.factory` builds the stack from them.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_serializer

from simsocial.llm.errors import public_url, register_secret

Dialect = Literal["auto", "json_schema", "json_object_schema", "none"]  # how the answer schema is sent
CacheMode = Literal["readwrite", "replay", "off"]
DEFAULT_CACHE_PATH = Path(".simsocial-cache/llm.sqlite")
DEFAULT_KEY_ENV = "OPENAI_API_KEY"  # what the backend reads when a stack names no variable of its own

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class LLMSettings(BaseModel):
    """Where and how to call the model.  The API key is read from ``OPENAI_API_KEY``, never stored here."""

    model_config = ConfigDict(extra="forbid")

    base_url: str | None = Field(None, description="OpenAI-compatible endpoint; None starts the embedded model")
    model: str | None = Field(None, description="model name at the endpoint")
    gguf: Path | None = Field(None, description="GGUF file for the embedded server (default: SmolLM2-135M)")
    structured_output: Dialect = "auto"
    timeout_s: float = Field(120.0, gt=0)
    max_attempts: int = Field(6, ge=1)
    max_wait_s: float = Field(30.0, ge=0)
    max_in_flight: int = Field(8, ge=1)
    cache_path: Path | None = DEFAULT_CACHE_PATH
    cache_mode: CacheMode = "readwrite"
    model_id: str | None = Field(None, description="cache identity of the model (default: derived)")
    preflight: bool = Field(True, description="one tiny completion before any dialogue is admitted")
    server_log: Path | None = Field(None, description="embedded server's log file (default: one in the temp dir)")
    api_key_env: str | None = Field(None, description="env variable with the key (default OPENAI_API_KEY)")

    @field_serializer("base_url", when_used="json")
    def _recorded_url(self, url: str | None) -> str | None:
        return public_url(url) if url else url  # run.json records no credentials a URL may carry


def is_env_name(name: str) -> bool:
    """``name`` can be an environment variable's name (what is given in its place is often the key itself)."""
    return bool(_ENV_NAME.match(name))


def key_env(settings: LLMSettings, embedded: bool) -> str | None:
    """The variable a stack's key comes from, as messages name it (None: the embedded server's own key)."""
    return None if embedded else settings.api_key_env or DEFAULT_KEY_ENV


def api_key_for(settings: LLMSettings) -> str | None:
    """The key a stack uses: the named variable's value, or None (the backend then reads OPENAI_API_KEY).

    A named variable that is not set is an error that names the variable — never a value.
    """
    if settings.api_key_env is None:
        return None
    value = os.environ.get(settings.api_key_env)
    if not value:
        raise ValueError(f"environment variable {settings.api_key_env} (the API key named for this role) is not set")
    register_secret(value)  # whatever its shape, redact() now strips it everywhere
    return value


def check_key_env(name: str | None, named_by: str) -> None:
    """Refuse, before any directory is made or call sent, a key variable that is malformed or not set.

    ``named_by`` says where the user named it (``--persuader-api-key-env``, or a sweep file's
    ``persuader_endpoint.api_key_env``); the :class:`ValueError` names it and the variable, never a value.
    """
    if name is None:
        return
    if not is_env_name(name):
        raise ValueError(
            f"{named_by}: expects the name of an environment variable holding the key (e.g. PERSUADER_KEY); "
            "the value given is not a variable name (not shown, in case it is the key itself)"
        )
    if not os.environ.get(name):
        raise ValueError(
            f"{named_by} {name}: environment variable {name} is not set (or empty); export it with this role's "
            f"API key, or leave {named_by} out to use {DEFAULT_KEY_ENV}"
        )
