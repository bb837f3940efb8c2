"""Per-role endpoints: the persuader on its own model, as in the VS paper's design.

The paper's experiment holds the persuader fixed (always Direct, one model: ``--persuader-model`` of its
``dialogue`` command, verbalized_sampling 0.1.3 cli.py:173-216) while the persuadee's model and method
vary.  :func:`role_settings` derives a role's :class:`~simsocial.llm.settings.LLMSettings` from the run's
own (cache, timeouts, concurrency are shared); only the endpoint, the model and — when the role names
one — the environment variable holding its key differ.  ``OPENAI_API_KEY`` serves every role that names
none (key resolution: :mod:`simsocial.llm.settings`).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_serializer

from simsocial.llm.errors import public_url
from simsocial.llm.settings import LLMSettings, api_key_for, check_key_env, is_env_name

__all__ = ["RoleEndpoint", "api_key_for", "check_role_key", "role_settings"]  # api_key_for: its old home


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
    if endpoint.api_key_env is not None and not is_env_name(endpoint.api_key_env):
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


def check_role_key(endpoint: RoleEndpoint, named_by: str) -> None:
    """Refuse a role's key variable that is malformed or not set (:func:`~simsocial.llm.settings.check_key_env`)."""
    check_key_env(endpoint.api_key_env, named_by)
