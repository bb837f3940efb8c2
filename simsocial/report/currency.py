"""The currency a run's amounts are in: the scenario's ``task.currency``, as ``run.json`` keeps it."""

from __future__ import annotations

import json
from pathlib import Path

from simsocial.contract import RUN_MANIFEST

DEFAULT_CURRENCY = "$"


def run_currency(run_dir: str | Path) -> str:
    """The run's currency symbol (``$`` when ``run.json`` is missing or predates the field)."""
    try:
        manifest = json.loads((Path(run_dir) / RUN_MANIFEST).read_text())
        return str(manifest["scenario"]["config"]["task"]["currency"])
    except (OSError, ValueError, KeyError, TypeError):
        return DEFAULT_CURRENCY


def amount(value: float, currency: str = DEFAULT_CURRENCY) -> str:
    """``£1.50``: an amount with its currency symbol, two decimals."""
    return f"{currency}{value:.2f}"
