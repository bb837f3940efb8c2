"""Skip guards that cannot hide a check in CI: where a test would skip for lack of a tool, a package or the
shared data, it fails instead when the ``CI`` environment variable is set (CI installs all of them, so a skip
there means a check silently stopped running)."""

from __future__ import annotations

import importlib
import os
from types import ModuleType
from typing import NoReturn

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def skip_or_fail(reason: str) -> NoReturn:
    """Skip (on a developer's machine) or fail (in CI) with ``reason``; usable at module level too."""
    if in_ci():
        pytest.fail(f"{reason} (CI is set: a missing prerequisite fails instead of skipping)", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def require(available: bool, reason: str) -> None:
    """Go on when ``available``; otherwise :func:`skip_or_fail` with ``reason``."""
    if not available:
        skip_or_fail(reason)


def require_module(name: str) -> ModuleType:
    """``pytest.importorskip`` that fails in CI."""
    try:
        return importlib.import_module(name)
    except ImportError:
        skip_or_fail(f"{name} is not installed")
