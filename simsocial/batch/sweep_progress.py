"""Small helpers of a sweep's progress display and budget accounting (used by :mod:`simsocial.batch.runner`)."""

from __future__ import annotations

from pathlib import Path

from simsocial.rundir.state import dialogues_on_disk


def running_label(running: set[str], n_cells: int) -> str:
    if not running:
        return "sweep"
    first = sorted(running)[0]
    return f"{len(running)} of {n_cells} cells: {first}" + (" …" if len(running) > 1 else "")


def cell_dialogues_on_disk(cell_dir: Path, wanted: int) -> int:
    """Dialogues a cell already has (Parquet footers only; cheap, for the progress bar only)."""
    return min(dialogues_on_disk(cell_dir), wanted)  # shards while running, results once complete (tidied)
