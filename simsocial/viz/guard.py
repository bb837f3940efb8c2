"""Only the live view's own page may talk to it: an ASGI middleware in front of Solara's Starlette app.

The page is served on 127.0.0.1, but any web page the researcher has open can still make the browser send
requests there.  Two attacks use that, and this middleware refuses both:

- **DNS rebinding**: a hostile name re-pointed to 127.0.0.1 reaches the server with its own name in the
  ``Host`` header.  Every HTTP request and WebSocket upgrade must name the loopback address and port the
  view serves (``127.0.0.1:PORT`` or ``localhost:PORT``), else it gets 403.
- **Cross-site WebSocket hijacking**: a page of another origin opens the kernel's WebSocket (browsers do
  not apply the same-origin policy to WebSockets, they only send ``Origin``).  A WebSocket upgrade must
  carry the ``Origin`` of the page itself (``http://`` + its ``Host``), else it is closed before it is
  accepted, which the server answers with 403.  An HTTP request that carries a foreign ``Origin`` (a
  cross-site ``POST``) is refused too.

Solara has no setting for either (its ``solara run`` serves ``solara.server.starlette:app`` as is), so the
view runs that app under uvicorn itself, wrapped in this (see :mod:`simsocial.viz.serve`).
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

LOOPBACK_NAMES = ("127.0.0.1", "localhost")


class LoopbackOnly:
    """Wrap ``app`` so that it answers only requests addressed to ``127.0.0.1:port`` from its own origin."""

    def __init__(self, app: ASGIApp, port: int) -> None:
        self.app = app
        self.hosts = frozenset(f"{name}:{port}" for name in LOOPBACK_NAMES)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):  # lifespan: Solara's start-up and shut-down
            await self.app(scope, receive, send)
            return
        refusal = self.refusal(scope)
        if refusal is None:
            await self.app(scope, receive, send)
        elif scope["type"] == "websocket":
            # Closing before accepting makes the server answer the upgrade with HTTP 403 (ASGI spec).
            await send({"type": "websocket.close", "code": 1008, "reason": refusal})
        else:
            await PlainTextResponse(refusal, status_code=403)(scope, receive, send)

    def refusal(self, scope: Scope) -> str | None:
        """Why this request is refused, or None when it comes from the view's own page."""
        headers = Headers(scope=scope)
        host = headers.get("host", "").lower()
        if host not in self.hosts:
            return "refused: the Host is not this live view's loopback address"
        origin = headers.get("origin")
        if scope["type"] == "websocket" and origin is None:
            return "refused: a WebSocket without an Origin"
        if origin is not None and origin.lower() != f"http://{host}":
            return "refused: the Origin is not this live view's page"
        return None
