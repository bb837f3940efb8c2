"""Per-role endpoints: the persuader on its own model, as in the VS paper's design.

The paper's experiment holds the persuader fixed (always Direct, one model: ``--persuader-model`` of its
``dialogue`` command, verbalized_sampling 0.1.3 cli.py:173-216) while the persuadee's model and method
vary.  :func:`role_settings` derives a role's :class:`~simsocial.llm.factory.LLMSettings` from the run's
own (cache, timeouts, concurrency are shared); only the endpoint, the model and — when the role names
one — the environment variable holding its key differ.  ``OPENAI_API_KEY`` serves every role that names
none.  Keys are read from the environment when the backend is built and are never stored in settings,
manifests or messages: a manifest records the variable's *name* at most.
"""

from __future__ import annotations

import os
import re

from pydantic import BaseModel, ConfigDict, Field, field_serializer

from simsocial.llm.errors import public_url, register_secret
from simsocial.llm.factory import LLMSettings

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class RoleEndpoint(BaseModel):
    """Where one role's model runs (a sweep file's ``persuader_endpoint``, or ``--persuader-*`` options)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base_url: str = Field(min_length=1, description="OpenAI-compatible endpoint of this role")
    model: str = Field(min_length=1, description="model name at base_url")
    api_key_env: str | None = Field(None, description="environment variable holding this role's key")
    structured_output: str | None = None

    @field_serializer("base_url", when_used="json")
    def _recorded_url(self, url: str) -> str:
        return public_url(url)  # a sweep's record keeps no credentials a URL may carry

    def name(self) -> str:
        return f"{public_url(self.base_url).rstrip('/')}|{self.model}"


def role_settings(base: LLMSettings, endpoint: RoleEndpoint) -> LLMSettings:
    """``base`` pointed at ``endpoint`` (a fresh cache identity derived from its URL and model)."""
    if endpoint.api_key_env is not None and not _ENV_NAME.match(endpoint.api_key_env):
        # Not echoed: what was given in place of a variable's name is often the key itself.
        raise ValueError("api_key_env must be an environment variable name (the value given is not one)")
    update: dict = {
        "base_url": endpoint.base_url,
        "model": endpoint.model,
        "gguf": None,
        "model_id": None,
        "api_key_env": endpoint.api_key_env,
    }
    if endpoint.structured_output is not None:
        update["structured_output"] = endpoint.structured_output
    return LLMSettings.model_validate(base.model_dump() | update)


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


def check_role_key(endpoint: RoleEndpoint, named_by: str) -> None:
    """Refuse, before any directory is made or call sent, a key variable that is malformed or not set.

    ``named_by`` says where the user named it (``--persuader-api-key-env``, or a sweep file's
    ``persuader_endpoint.api_key_env``); the :class:`ValueError` names it and the variable, never a value.
    """
    name = endpoint.api_key_env
    if name is None:
        return
    if not _ENV_NAME.match(name):
        raise ValueError(
            f"{named_by}: expects the name of an environment variable holding the key (e.g. PERSUADER_KEY); "
            "the value given is not a variable name (not shown, in case it is the key itself)"
        )
    if not os.environ.get(name):
        raise ValueError(
            f"{named_by} {name}: environment variable {name} is not set (or empty); export it with this role's "
            f"API key, or leave {named_by} out to use OPENAI_API_KEY"
        )
