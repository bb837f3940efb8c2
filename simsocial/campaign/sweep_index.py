"""``DIR/sweep.parquet`` of a campaign sweep: one row per cell, its settings and status, kept current.

Written atomically on every change, like a run sweep's index (:mod:`simsocial.batch.index`), with the
columns a campaign cell has: ``cell_id``, ``cell_dir``, ``label``, ``method_spec``, ``condition``,
``persuadee_method``, ``temperature``, ``endpoint``, ``model``, ``seed``, ``rounds``, ``max_turns``,
``generator``, ``network`` (the generator's parameters, JSON), ``contacts_per_round``, ``adopt_at``,
``status`` (pending | running | done | failed | interrupted | incomplete — stopped by the budget),
``rounds_done``, ``dialogues_done``, ``error``, ``started``, ``finished``.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from simsocial.batch.index import SweepIndex
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


class CampaignSweepIndex(SweepIndex):
    """The cells' rows, written to ``DIR/sweep.parquet`` on every change; a cell done before stays done
    unless it is now asked for more rounds."""

    schema = CAMPAIGN_SWEEP_SCHEMA
    progress_columns = ("rounds_done", "dialogues_done")

    def still_done(self, before: dict[str, Any], cell: CampaignCell) -> bool:  # type: ignore[override]
        return before.get("rounds") == cell.rounds
