"""One place that turns settings into an endpoint to call: start the embedded server if none is given,
then derive the model name and the model's cache identity.

:func:`~simsocial.llm.factory.open_llm` (one run's stack) and the batch endpoint pool (one server shared by
every cell of a sweep) both call :func:`resolve_endpoint`, so ``simsocial run`` and ``simsocial batch``
agree on the model id and share cached answers.
"""

from __future__ import annotations

from dataclasses import dataclass

from simsocial.llm.embedded import EmbeddedServer
from simsocial.llm.errors import public_url
from simsocial.llm.settings import LLMSettings


@dataclass(frozen=True)
class ResolvedEndpoint:
    """Where to send calls, under which model name, and the cache identity of that model.

    ``server`` is the embedded server, when the endpoint is one; whoever passed none to
    :func:`resolve_endpoint` and got one back started it and must stop it.
    """

    base_url: str
    model: str
    model_id: str
    server: EmbeddedServer | None = None

    @property
    def api_key(self) -> str | None:
        """The embedded server's own key (None for any other endpoint: its key comes from the environment)."""
        return self.server.api_key if self.server is not None else None

    @property
    def embedded(self) -> bool:
        return self.server is not None


def embedded_model_id(server: EmbeddedServer) -> str:
    """The cache identity of the embedded model: its GGUF file's name (not its port or path)."""
    return f"embedded:{server.gguf.name}"


def resolve_endpoint(settings: LLMSettings, server: EmbeddedServer | None = None) -> ResolvedEndpoint:
    """The endpoint ``settings`` name; without a ``base_url``, ``server`` — started here if not given.

    Raises ValueError when a ``base_url`` comes without a model name.
    """
    if settings.base_url is not None:
        if not settings.model:
            raise ValueError("--model is required with --base-url")
        # The cache key names the endpoint without the credentials a URL may carry.
        model_id = settings.model_id or f"{public_url(settings.base_url).rstrip('/')}|{settings.model}"
        return ResolvedEndpoint(settings.base_url, settings.model, model_id)
    if server is None:
        # Started from the calling (long-lived) thread on purpose: the kernel's parent-death signal that keeps
        # the server from outliving us is tied to the thread that forked it, so a worker thread of
        # asyncio.to_thread that exits would take the server down with it.
        server = EmbeddedServer(gguf=settings.gguf, log_path=settings.server_log).start()
    return ResolvedEndpoint(server.base_url, server.model, settings.model_id or embedded_model_id(server), server)
