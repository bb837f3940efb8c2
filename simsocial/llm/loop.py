"""The event loop LLM calls run on: uvloop when installed (its libuv core does the socket work of many
connections in flight at a fraction of asyncio's CPU), asyncio's own otherwise or with
``SIMSOCIAL_LOOP=asyncio``.  Figures in docs/benchmarks.md."""

from __future__ import annotations

import asyncio
import os


def new_event_loop() -> asyncio.AbstractEventLoop:
    """A fresh loop of the fastest kind available (see the module doc)."""
    if os.environ.get("SIMSOCIAL_LOOP", "uvloop") != "asyncio":
        try:
            import uvloop
        except ImportError:
            pass
        else:
            return uvloop.new_event_loop()
    return asyncio.new_event_loop()
