"""A campaign's run directory: one shard per finished round, the contract files at the end.

While a campaign runs, each finished round of each seed is written as one shard
(``OUT/shards/s<seed>-r<round>.{turns,candidates,dialogues}.parquet``), every file to a temporary name and
renamed into place, the dialogues file last: a round is on disk exactly when its dialogues shard exists.
``kill -9`` at any moment loses at most the round in flight, whose finished dialogues the LLM cache
replays for free.  :meth:`CampaignWriter.finish` streams the shards into ``dialogues.parquet``,
``turns.parquet`` and ``candidates.parquet`` (the run contract's columns plus ``round``, ``advocate``,
``target``) and writes ``network.parquet`` and ``rounds.parquet``; a completed campaign keeps no shards.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from simsocial.campaign.tables import (
    CANDIDATES_CAMPAIGN_SCHEMA,
    DIALOGUES_CAMPAIGN_SCHEMA,
    NETWORK_FILE,
    NETWORK_SCHEMA,
    ROUNDS_FILE,
    ROUNDS_SCHEMA,
    TURNS_CAMPAIGN_SCHEMA,
)
from simsocial.contract import CANDIDATES_FILE, DIALOGUES_FILE, RUN_MANIFEST, TURNS_FILE
from simsocial.rundir.writer import PROGRESS_FILE, SHARD_DIR, DialogueRows, atomic_write_text

_TABLES = (("turns", TURNS_FILE, TURNS_CAMPAIGN_SCHEMA), ("candidates", CANDIDATES_FILE, CANDIDATES_CAMPAIGN_SCHEMA),
           ("dialogues", DIALOGUES_FILE, DIALOGUES_CAMPAIGN_SCHEMA))  # fmt: skip
_SHARD = re.compile(r"^(base|s\d{6}-r\d{4})\.(turns|candidates|dialogues)\.parquet$")
# What replaying a round needs from each stored dialogue (simsocial.campaign.dialogues.outcome_of).
REPLAY_COLUMNS = ["dialogue_id", "seed", "round", "final_donation", "status", "stances", "last_stated_amount"]


def _write_atomic(table: pa.Table, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, path)


def _table(frame: pd.DataFrame, schema: pa.Schema) -> pa.Table:
    """``frame`` as ``schema``: pandas holds a nullable integer column as floats with NaN."""
    columns = {}
    for field in schema:
        values = frame[field.name].tolist() if field.name in frame else []
        if pa.types.is_integer(field.type):
            values = [None if v is None or v != v else int(v) for v in values]
        elif pa.types.is_floating(field.type):
            values = [None if v is None or v != v else float(v) for v in values]
        columns[field.name] = pa.array(values, type=field.type)
    return pa.table(columns, schema=schema)


class CampaignWriter:
    """Writes a campaign's rounds as shards and, at the end, its contract files (see module doc)."""

    def __init__(self, out_dir: str | Path) -> None:
        self.out_dir = Path(out_dir)
        self.shard_dir = self.out_dir / SHARD_DIR
        self._reopen_completed()
        self.shard_dir.mkdir(parents=True, exist_ok=True)
        self._remove_incomplete()

    # --- resume ---------------------------------------------------------------------------------------
    def stored_rounds(self) -> dict[int, dict[int, dict[str, dict[str, Any]]]]:
        """Rounds already on disk: ``{seed: {round: {dialogue_id: dialogues row}}}`` (replay columns only)."""
        stored: dict[int, dict[int, dict[str, dict[str, Any]]]] = {}
        for path in self._stems("dialogues"):
            for row in pq.read_table(path, columns=REPLAY_COLUMNS).to_pylist():
                stored.setdefault(row["seed"], {}).setdefault(row["round"], {})[row["dialogue_id"]] = row
        return stored

    def _reopen_completed(self) -> None:
        """A completed campaign asked for more rounds: its results become the first shard again (hard links)."""
        if self.shard_dir.exists() or not (self.out_dir / DIALOGUES_FILE).is_file():
            return
        self.shard_dir.mkdir()
        for table, filename, _ in _TABLES:  # dialogues last: it marks the shard complete
            try:
                os.link(self.out_dir / filename, self.shard_dir / f"base.{table}.parquet")
            except OSError:
                shutil.copyfile(self.out_dir / filename, self.shard_dir / f"base.{table}.parquet")

    def _remove_incomplete(self) -> None:
        names = [p.name for p in self.shard_dir.iterdir()]
        done = {m.group(1) for n in names if (m := _SHARD.match(n)) and m.group(2) == "dialogues"}
        for name in names:
            match = _SHARD.match(name)
            if name.startswith(".") or (match and match.group(1) not in done):
                (self.shard_dir / name).unlink()

    def _stems(self, table: str) -> list[Path]:
        return sorted(p for p in self.shard_dir.glob(f"*.{table}.parquet") if _SHARD.match(p.name))

    # --- writing ---------------------------------------------------------------------------------------
    def write_round(self, seed: int, round_: int, rows: Sequence[DialogueRows]) -> None:
        """One finished round of one seed, as one shard (dialogues file last)."""
        stem = f"s{seed:06d}-r{round_:04d}"
        data = {"turns": [t for r in rows for t in r.turns], "candidates": [c for r in rows for c in r.candidates],
                "dialogues": [r.dialogue for r in rows]}  # fmt: skip
        for name, _, schema in _TABLES:
            _write_atomic(pa.Table.from_pylist(data[name], schema=schema), self.shard_dir / f"{stem}.{name}.parquet")
        progress = {"seed": seed, "round": round_, "dialogues": len(rows)}
        atomic_write_text(self.out_dir / PROGRESS_FILE, json.dumps(progress))

    def finish(self, network: pd.DataFrame, rounds: pd.DataFrame, manifest: dict[str, Any]) -> Counter[str]:
        """Stream the shards into the contract files, write network/rounds and run.json, remove the shards.

        Returns the dialogues' status counts.
        """
        status: Counter[str] = Counter()
        for name, filename, schema in _TABLES:
            tmp = self.out_dir / f".{filename}.tmp"
            with pq.ParquetWriter(tmp, schema) as out:
                for path in self._stems(name):
                    table = pq.read_table(path, schema=schema)
                    out.write_table(table)
                    if name == "dialogues":
                        status.update(table.column("status").to_pylist())
            os.replace(tmp, self.out_dir / filename)
        _write_atomic(_table(network, NETWORK_SCHEMA), self.out_dir / NETWORK_FILE)
        _write_atomic(_table(rounds, ROUNDS_SCHEMA), self.out_dir / ROUNDS_FILE)
        manifest["counts"] = {"dialogues": sum(status.values()), "status": dict(status.most_common())}
        atomic_write_text(self.out_dir / RUN_MANIFEST, json.dumps(manifest, indent=2, default=str))
        shutil.rmtree(self.shard_dir, ignore_errors=True)
        (self.out_dir / PROGRESS_FILE).unlink(missing_ok=True)
        return status
