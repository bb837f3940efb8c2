"""What a report says about its runs: short column labels and the header facts, read from ``run.json``.

At sweep scale a column's run label is a cell path with a hash (``cells/vs_standard-t0.7-gpt-s0-1a2b3c4d``);
a figure needs ``vs_standard[k=model,uniform] · gpt-4.1-mini``.  :func:`short_labels` builds that from
the method label, adding the model, seed and temperature only where the columns differ in them, and
makes every label unique.  :func:`report_header` collects scenario, model, endpoint, turns, dialogues
and dates over all runs.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simsocial.contract import RUN_MANIFEST


@dataclass(frozen=True)
class ColumnFacts:
    """The settings one report column (run × method) was made with."""

    run: str
    method: str
    model: str
    seed: str
    temperature: str


def manifests_by_run(run_paths: Sequence[str | Path]) -> dict[str, dict[str, Any]]:
    """``run.json`` of each run, keyed by every name a comparison may label the run with."""
    found: dict[str, dict[str, Any]] = {}
    for raw in run_paths:
        path = Path(raw)
        try:
            manifest = json.loads((path / RUN_MANIFEST).read_text())
        except (OSError, ValueError):
            manifest = {}
        for key in (str(raw), str(path), path.name, f"{path.parent.name}/{path.name}", manifest.get("run_id")):
            if key:
                found.setdefault(str(key), manifest)
    return found


def _get(data: Any, *keys: str) -> Any:
    """``data[k1][k2]...``, or None where a level is missing or not a mapping (manifests vary by version)."""
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def column_facts(run: str, method: str, manifest: dict[str, Any]) -> ColumnFacts:
    """Model, seed and temperature of one column, from its run's manifest (``?`` when unknown)."""
    temperature = None
    for condition in _get(manifest, "conditions") or ():
        if _get(condition, "label") == method:
            temperature = _get(condition, "persuadee", "temperature")
    seed = _get(manifest, "settings", "seed")
    return ColumnFacts(run, method, str(_get(manifest, "model", "model") or "?"),
                       str(seed if seed is not None else _get(manifest, "seed") or "?"),
                       str(temperature if temperature is not None else "?"))  # fmt: skip


def short_labels(columns: Sequence[tuple[str, str]], run_paths: Sequence[str | Path]) -> list[str]:
    """One unique short label per ``(run, method)`` column: method + knobs, then what tells columns apart."""
    manifests = manifests_by_run(run_paths)
    facts = [column_facts(run, method, manifests.get(run, {})) for run, method in columns]
    differs = {
        name: len({getattr(f, name) for f in facts}) > 1 for name in ("model", "seed", "temperature")
    }  # fmt: skip
    labels = []
    for f in facts:
        parts = [f.method]
        if differs["temperature"]:
            parts.append(f"T={f.temperature}")
        if differs["model"]:
            parts.append(f.model)
        if differs["seed"]:
            parts.append(f"seed {f.seed}")
        labels.append(" · ".join(parts))
    return _unique(labels, [f.run for f in facts])


def _unique(labels: list[str], runs: list[str]) -> list[str]:
    # Two runs with the same settings (a repeat): tell them apart by the run's own name.
    counts = {label: labels.count(label) for label in labels}
    out = [
        f"{label} ({Path(run).name})" if counts[label] > 1 else label for label, run in zip(labels, runs, strict=True)
    ]
    seen: dict[str, int] = {}
    for i, label in enumerate(out):
        seen[label] = seen.get(label, 0) + 1
        if seen[label] > 1:
            out[i] = f"{label} #{seen[label]}"
    return out


def report_header(run_paths: Sequence[str | Path]) -> dict[str, str]:
    """Scenario, model, endpoint, turns, dialogues and dates over the runs (distinct values joined)."""
    manifests = [m for m in {id(m): m for m in manifests_by_run(run_paths).values()}.values() if m]

    def distinct(values: list[Any]) -> str:
        unique = list(dict.fromkeys(str(v) for v in values if v not in (None, "")))
        return ", ".join(unique) if unique else "unknown"

    counts = [_get(m, "counts", "dialogues") for m in manifests]
    scenario = [_get(m, "scenario", "name") or (m.get("scenario") if isinstance(m.get("scenario"), str) else None)
                for m in manifests]  # fmt: skip
    dates = sorted(str(m.get("started"))[:10] for m in manifests if m.get("started"))
    return {
        "scenario": distinct(scenario),
        "model": distinct([_get(m, "model", "model") for m in manifests]),
        "endpoint": distinct([str(_get(m, "model", "endpoint") or "").rstrip("/") for m in manifests]),
        "turns": distinct([_get(m, "settings", "max_turns") for m in manifests]),
        "dialogues": f"{sum(int(c) for c in counts if c is not None)} in {len(manifests)} run(s)"
        if any(c is not None for c in counts)
        else f"{len(manifests)} run(s)",
        "date": (dates[0] if dates and dates[0] == dates[-1] else f"{dates[0]} – {dates[-1]}") if dates else "unknown",
    }
