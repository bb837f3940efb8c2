"""``DIR/sweep.parquet`` of a campaign sweep: one row per cell, its settings and status, kept current.

Written atomically on every change, like a run sweep's index (:mod:`simsocial.batch.index`), with the
columns a campaign cell has: ``cell_id``, ``cell_dir``, ``label``, ``method_spec``, ``condition``,
``persuadee_method``, ``temperature``, ``endpoint``, ``model``, ``seed``, ``rounds``, ``max_turns``,
``generator``, ``network`` (the generator's parameters, JSON), ``contacts_per_round``, ``adopt_at``,
``status`` (pending | running | done | failed | interrupted | incomplete — stopped by the budget),
``rounds_done``, ``dialogues_done``, ``error``, ``started``, ``finished``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from simsocial.batch.index import DONE, PENDING, SWEEP_FILE
from simsocial.campaign.sweep import CampaignCell

CAMPAIGN_SWEEP_SCHEMA = pa.schema(
    [("cell_id", pa.string()), ("cell_dir", pa.string()), ("label", pa.string()), ("method_spec", pa.string()),
     ("condition", pa.string()), ("persuadee_method", pa.string()), ("temperature", pa.float64()),
     ("endpoint", pa.string()), ("model", pa.string()), ("seed", pa.int64()), ("rounds", pa.int64()),
     ("max_turns", pa.int64()), ("generator", pa.string()), ("network", pa.string()),
     ("contacts_per_round", pa.int64()), ("adopt_at", pa.float64()), ("status", pa.string()),
     ("rounds_done", pa.int64()), ("dialogues_done", pa.int64()), ("error", pa.string()), ("started", pa.string()),
     ("finished", pa.string())]
)  # fmt: skip


class CampaignSweepIndex:
    """The cells' rows, written to ``DIR/sweep.parquet`` on every change; a cell done before stays done
    unless it is now asked for more rounds."""

    def __init__(self, out_dir: Path, cells: list[CampaignCell], previous: list[dict[str, Any]]) -> None:
        self.path = out_dir / SWEEP_FILE
        old = {row["cell_id"]: row for row in previous}
        self.rows: dict[str, dict[str, Any]] = {}
        for cell in cells:
            row = {**cell.settings(), "status": PENDING, "rounds_done": 0, "dialogues_done": 0, "error": None,
                   "started": None, "finished": None}  # fmt: skip
            before = old.get(cell.cell_id)
            if before is not None:
                row.update({k: before.get(k) for k in ("rounds_done", "dialogues_done", "started", "finished")})
                if before.get("status") == DONE and before.get("rounds") == cell.rounds:
                    row["status"] = DONE
            self.rows[cell.cell_id] = row
        self.write()

    def status(self, cell_id: str) -> str:
        return str(self.rows[cell_id]["status"])

    def update(self, cell_id: str, **fields: Any) -> None:
        unknown = set(fields) - set(CAMPAIGN_SWEEP_SCHEMA.names)
        if unknown:
            raise KeyError(f"not sweep.parquet columns: {sorted(unknown)}")
        self.rows[cell_id].update(fields)
        self.write()

    def write(self) -> None:
        table = pa.Table.from_pylist(list(self.rows.values()), schema=CAMPAIGN_SWEEP_SCHEMA)
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        pq.write_table(table, tmp)
        os.replace(tmp, self.path)
