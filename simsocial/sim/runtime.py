"""Moved: the LLM runtime lives in :mod:`simsocial.llm.runtime` (kept so existing imports still work)."""

from simsocial.llm.runtime import InlineRuntime, LLMRuntime

__all__ = ["InlineRuntime", "LLMRuntime"]
