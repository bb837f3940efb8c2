"""``DIR/sweep.parquet``: one row per cell — its settings, ``cell_dir`` and ``status`` — kept current.

The file is rewritten atomically (temporary file, then rename) whenever a cell changes status, so a
reader (``simsocial compare DIR``, a notebook) never sees a half-written index, and a ``kill -9`` leaves
either the old or the new version.  Columns (a public interface, like the run contract's):

``cell_id``, ``cell_dir`` (relative to DIR), ``label``, ``method_spec`` (as written in the sweep),
``condition`` (the run's ``method`` label), ``persuader_method``, ``persuadee_method``, ``donation_method``,
``k`` (null: model-decided), ``tail_threshold``, ``selection``, ``temperature``, ``endpoint``, ``model``,
``seed``, ``dialogues`` (per cell), ``max_turns``, ``status`` (pending | running | done | failed |
interrupted | incomplete — stopped by the budget), ``dialogues_done``, ``error``, ``started``,
``finished`` (ISO times, UTC).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from simsocial.batch.cells import Cell

SWEEP_FILE = "sweep.parquet"
PENDING, RUNNING, DONE, FAILED, INTERRUPTED = "pending", "running", "done", "failed", "interrupted"
INCOMPLETE = "incomplete"  # a budget stopped the cell before all its dialogues ran; --resume continues it

SWEEP_SCHEMA = pa.schema(
    [
        ("cell_id", pa.string()),
        ("cell_dir", pa.string()),
        ("label", pa.string()),
        ("method_spec", pa.string()),
        ("condition", pa.string()),
        ("persuader_method", pa.string()),
        ("persuadee_method", pa.string()),
        ("donation_method", pa.string()),
        ("k", pa.int64()),
        ("tail_threshold", pa.float64()),
        ("selection", pa.string()),
        ("temperature", pa.float64()),
        ("endpoint", pa.string()),
        ("model", pa.string()),
        ("seed", pa.int64()),
        ("dialogues", pa.int64()),
        ("max_turns", pa.int64()),
        ("status", pa.string()),
        ("dialogues_done", pa.int64()),
        ("error", pa.string()),
        ("started", pa.string()),
        ("finished", pa.string()),
    ]
)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def read_index(out_dir: str | Path) -> list[dict[str, Any]]:
    """The rows of ``DIR/sweep.parquet`` (empty if there is none)."""
    path = Path(out_dir) / SWEEP_FILE
    return pq.read_table(path).to_pylist() if path.is_file() else []


class SweepIndex:
    """The in-memory index of a sweep's cells, written to ``DIR/sweep.parquet`` on every change.

    A subclass names its own ``schema``, the ``progress_columns`` a resumed sweep carries over, and when a cell
    done before is still done (:meth:`still_done`): the campaign sweeps' index is one.
    """

    schema: pa.Schema = SWEEP_SCHEMA
    progress_columns: tuple[str, ...] = ("dialogues_done",)

    def __init__(self, out_dir: str | Path, cells: list[Any], previous: list[dict[str, Any]] | None = None) -> None:
        self.path = Path(out_dir) / SWEEP_FILE
        old = {row["cell_id"]: row for row in previous or ()}
        self.rows: dict[str, dict[str, Any]] = {}
        for cell in cells:
            row = {**cell.settings(), "status": PENDING, **dict.fromkeys(self.progress_columns, 0), "error": None,
                   "started": None, "finished": None}  # fmt: skip
            before = old.get(cell.cell_id)
            if before is not None:
                row.update({k: before.get(k) for k in (*self.progress_columns, "started", "finished")})
                if before.get("status") == DONE and self.still_done(before, cell):
                    row["status"] = DONE
            self.rows[cell.cell_id] = row
        self.write()

    def still_done(self, before: dict[str, Any], cell: Cell) -> bool:
        """A finished cell stays done unless it is now asked for more dialogues."""
        return (before.get("dialogues_done") or 0) >= cell.dialogues

    def status(self, cell_id: str) -> str:
        return str(self.rows[cell_id]["status"])

    def update(self, cell_id: str, **fields: Any) -> None:
        unknown = set(fields) - set(self.schema.names)
        if unknown:
            raise KeyError(f"not sweep.parquet columns: {sorted(unknown)}")
        self.rows[cell_id].update(fields)
        self.write()

    def write(self) -> None:
        table = pa.Table.from_pylist(list(self.rows.values()), schema=self.schema)
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        pq.write_table(table, tmp)
        os.replace(tmp, self.path)

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for row in self.rows.values():
            counts[row["status"]] = counts.get(row["status"], 0) + 1
        return counts
