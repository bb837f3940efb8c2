"""The bytes on the wire of a chat completion: request bodies out, the few fields we use back in.

Kept apart from the backend so the choice of levers (transport, JSON library, parsing) is in one place:
``SIMSOCIAL_HTTP`` (``aiohttp`` when the ``openai[aiohttp]`` extra is installed, else ``httpx``),
``SIMSOCIAL_PARSE`` (``raw``: pick fields out of the JSON; ``pydantic``: the SDK's ``ChatCompletion``).
orjson serialises and parses when installed (about 3-5× faster than the standard library on these
bodies); the standard library otherwise.
"""

from __future__ import annotations

import json
import os
from typing import Any

from simsocial.llm.errors import MalformedResponseError

try:
    import orjson
except ImportError:  # pragma: no cover - orjson is a dependency; this keeps a bare install working
    orjson = None  # type: ignore[assignment]

JSON_OPTIONS: dict[str, Any] = {"headers": {"Content-Type": "application/json"}}


def transport() -> str:
    """``aiohttp`` or ``httpx``: the SDK's aiohttp transport when its extra is installed, unless told not to."""
    wanted = os.environ.get("SIMSOCIAL_HTTP", "auto")
    if wanted == "httpx":
        return "httpx"
    try:
        import aiohttp  # noqa: F401
    except ImportError:
        if wanted == "aiohttp":
            raise RuntimeError("SIMSOCIAL_HTTP=aiohttp needs pip install 'openai[aiohttp]'") from None
        return "httpx"
    return "aiohttp"


def raw_parse() -> bool:
    return os.environ.get("SIMSOCIAL_PARSE", "raw") != "pydantic"


def dumps(body: dict[str, Any]) -> bytes:
    if orjson is not None and os.environ.get("SIMSOCIAL_JSON", "orjson") != "json":
        return orjson.dumps(body)
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def loads(data: bytes) -> Any:
    if orjson is not None and os.environ.get("SIMSOCIAL_JSON", "orjson") != "json":
        return orjson.loads(data)
    return json.loads(data)


def ChatCompletion() -> type:  # noqa: N802 - stands for the class, imported only when asked for
    """The SDK's pydantic model (the slower lever), imported lazily: importing openai.types costs start-up."""
    from openai.types.chat import ChatCompletion as model

    return model


def read_completion(raw: Any) -> dict[str, Any]:
    """``text``, token counts, ``finish_reason`` and ``model`` from a completion (bytes or the SDK's model).

    Raises :class:`MalformedResponseError` for anything that is not a chat completion (a proxy's HTML
    page, a truncated body), which the retry wrapper retries.
    """
    if isinstance(raw, bytes | bytearray | str):
        try:
            data = loads(raw)
            choice = data["choices"][0]
            message = choice.get("message") or {}
            usage = data.get("usage") or {}
            return {
                "text": message.get("content") or "",
                "prompt_tokens": int(usage.get("prompt_tokens") or 0),
                "completion_tokens": int(usage.get("completion_tokens") or 0),
                "finish_reason": choice.get("finish_reason"),
                "model": data.get("model"),
            }
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            raise MalformedResponseError(f"not a chat completion: {raw[:200]!r}") from None
    choices = getattr(raw, "choices", None)
    if not choices:
        raise MalformedResponseError(f"not a chat completion: {str(raw)[:200]!r}")
    usage = raw.usage
    return {
        "text": choices[0].message.content or "",
        "prompt_tokens": getattr(usage, "prompt_tokens", 0) or 0,
        "completion_tokens": getattr(usage, "completion_tokens", 0) or 0,
        "finish_reason": choices[0].finish_reason,
        "model": raw.model,
    }
