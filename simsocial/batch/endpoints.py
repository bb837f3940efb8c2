"""One LLM runtime per endpoint for a whole sweep, and one embedded server shared by every cell that uses it.

Cells that name the same endpoint share its runtime (one connection pool, one concurrency limit, one
cache handle), so the in-flight bound holds across the sweep.  The embedded llama.cpp server is started
once, on first use (:func:`~simsocial.llm.endpoint.resolve_endpoint`, as ``simsocial run`` does), and
every cell (and every Ray worker) talks to it through its ``base_url``; its cache identity is the same
``embedded:<gguf>`` that ``simsocial run`` uses, so the two share cached answers.
"""

from __future__ import annotations

from pathlib import Path

from simsocial.batch.sweep import Endpoint
from simsocial.llm.embedded import DEFAULT_GGUF_NAME, DEFAULT_PARALLEL, EmbeddedServer
from simsocial.llm.endpoint import resolve_endpoint
from simsocial.llm.roles import RoleEndpoint, role_settings
from simsocial.llm.runtime import LLMRuntime
from simsocial.llm.settings import LLMSettings
from simsocial.llm.stats import CallStats

# llama-cpp-python's server answers one request at a time; two in flight keep it busy without letting
# queued requests wait long enough to hit the client timeout.
EMBEDDED_MAX_IN_FLIGHT = DEFAULT_PARALLEL  # one call per llama-server slot


class EndpointPool:
    """Settings and (lazily opened) runtimes per endpoint; close it when the sweep ends."""

    def __init__(self, base: LLMSettings, stats: CallStats, gguf: Path | None = None) -> None:
        self.base = base
        self.stats = stats  # shared by every runtime: the progress bar shows the whole sweep
        self.gguf = gguf
        self._server: EmbeddedServer | None = None
        self._runtimes: dict[str, LLMRuntime] = {}

    def settings_for(self, endpoint: Endpoint) -> LLMSettings:
        """Concrete settings (always with a ``base_url``) for cells on ``endpoint``."""
        planned = self.planned_settings(endpoint)
        if not endpoint.is_embedded:
            return planned
        embedded = self.base.model_copy(update={"base_url": None, "model": None, "gguf": self.gguf})
        resolved = resolve_endpoint(embedded, self._server)
        self._server = resolved.server
        return planned.model_copy(update={"base_url": resolved.base_url, "model": resolved.model,
                                          "model_id": resolved.model_id})  # fmt: skip

    def planned_settings(self, endpoint: Endpoint) -> LLMSettings:
        """:meth:`settings_for` without starting the embedded server: what a cell's fingerprint is made of
        (an embedded endpoint is named by its ``model_id``, its URL is not part of a run)."""
        if not endpoint.is_embedded:
            update = {"base_url": endpoint.base_url, "model": endpoint.model, "gguf": None}
            if endpoint.structured_output is not None:
                update["structured_output"] = endpoint.structured_output
            return self.base.model_copy(update=update)
        # The id resolve_endpoint gives the server it starts (embedded_model_id): its GGUF file's name.
        gguf_name = self.gguf.name if self.gguf else DEFAULT_GGUF_NAME
        return self.base.model_copy(
            update={
                "base_url": None,
                "model": None,
                "model_id": self.base.model_id or f"embedded:{gguf_name}",
                "max_in_flight": min(self.base.max_in_flight, EMBEDDED_MAX_IN_FLIGHT),
                "gguf": None,
            }
        )

    def runtime_for(self, endpoint: Endpoint, persuader: RoleEndpoint | None = None) -> LLMRuntime:
        """The runtime of cells on ``endpoint`` (with the persuader on its own endpoint, if given)."""
        key = endpoint.key() + (f"|persuader={persuader.name()}" if persuader else "")
        if key not in self._runtimes:
            role = role_settings(self.base, persuader) if persuader else None
            self._runtimes[key] = LLMRuntime(self.settings_for(endpoint), self.stats, role)
        return self._runtimes[key]

    def close(self) -> None:
        runtimes, self._runtimes = self._runtimes, {}
        try:
            for runtime in runtimes.values():
                runtime.close()
        finally:
            if self._server is not None:
                self._server.stop()
                self._server = None
