"""A sweep directory's own checks: it may be written fresh, or resumed only by the same sweep.

``DIR/sweep.json`` records what the first invocation asked for (:func:`simsocial.batch.runner.plan_sweep`);
a ``--resume`` must expand to the same cells of the same scenario with the same persuader, or it is
refused with :class:`~simsocial.batch.sweep.SweepError` before anything is written.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from simsocial.batch.cells import Cell
from simsocial.batch.index import SWEEP_FILE, read_index
from simsocial.batch.sweep import SweepError
from simsocial.run_lock import LOCK_FILE

SWEEP_MANIFEST = "sweep.json"


def prepare_out_dir(out_dir: Path, record: dict[str, Any], cells: list[Cell], resume: bool) -> list[dict[str, Any]]:
    """Check ``out_dir`` may be written (fresh, or the same sweep when resuming); returns previous index rows."""
    exists = out_dir.exists() and any(p.name != LOCK_FILE for p in out_dir.iterdir())  # the lock is ours
    if exists and not resume:
        raise SweepError(
            f"{out_dir} is not empty. Pass --resume to continue the sweep that is there, "
            "or choose a new --out directory."
        )
    if not exists:
        return []
    manifest = out_dir / SWEEP_MANIFEST
    if not manifest.is_file() or not (out_dir / SWEEP_FILE).is_file():
        raise SweepError(f"{out_dir} is not a sweep directory (no {SWEEP_MANIFEST} / {SWEEP_FILE}); cannot resume it")
    before = json.loads(manifest.read_text())
    if before.get("scenario_fingerprint") != record["scenario_fingerprint"]:
        raise SweepError(f"the scenario changed since {out_dir} was started; resume with the same scenario file")
    was, now_is = _persuader_of(before), _persuader_of(record)
    if was != now_is:  # not in the cell ids, so checked here: cells not started yet would run on the new one
        raise SweepError(
            f"the persuader's endpoint changed since {out_dir} was started: {_show_persuader(was)} → "
            f"{_show_persuader(now_is)}. Resume with the same persuader_endpoint / --persuader-base-url and "
            "--persuader-model as the first run, or choose a new --out directory."
        )
    old, new = set(before.get("cells", ())), {c.cell_id for c in cells}
    if old != new:
        overrides = {k: v for k, v in before.get("overrides", {}).items() if v is not None and k != "dialogues"}
        hint = " ".join(f"--{k.replace('_', '-')} {v}" for k, v in overrides.items())
        raise SweepError(
            f"the sweep now expands to different cells than {out_dir} holds ({len(new - old)} new, "
            f"{len(old - new)} missing). Resume with the same sweep file and options as the first run"
            + (f" ({hint})" if hint else "")
            + "; only --dialogues may change."
        )
    return read_index(out_dir)


def _persuader_of(record: dict[str, Any]) -> dict[str, Any] | None:
    """A sweep.json record's persuader endpoint minus its key variable (which holds a key, not an answer)."""
    endpoint = (record.get("sweep") or {}).get("persuader_endpoint")
    return {k: v for k, v in endpoint.items() if k != "api_key_env"} if endpoint else None


def _show_persuader(endpoint: dict[str, Any] | None) -> str:
    if endpoint is None:
        return "(none: the cell's endpoint)"
    return f"{str(endpoint['base_url']).rstrip('/')} {endpoint['model']}"
