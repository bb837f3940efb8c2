"""Writing a run directory: streamed, append-only shards while dialogues finish; the contract files at the end.

Nothing is lost if the process dies: finished dialogues are flushed in shards
(``OUT/shards/part-NNNNNN.{turns,candidates,dialogues}.parquet``), each written to a temporary name and
renamed into place, the dialogues shard last — so a dialogue counts as done exactly when its dialogues
shard exists.  ``progress.json`` is replaced atomically after each shard.  On resume, leftover turns or
candidates shards without their dialogues shard are removed and the finished ids are skipped.
:meth:`RunWriter.finish` streams the shards into ``dialogues.parquet``, ``turns.parquet`` and
``candidates.parquet`` (one shard in memory at a time) and writes ``run.json``.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from simsocial.contract import (
    CANDIDATES_FILE,
    CANDIDATES_SCHEMA,
    DIALOGUES_FILE,
    DIALOGUES_SCHEMA,
    RUN_MANIFEST,
    TURNS_FILE,
    TURNS_SCHEMA,
)
from simsocial.sim.dialogue import Dialogue, DialogueRows

SHARD_DIR = "shards"
PROGRESS_FILE = "progress.json"
_TABLES = (("turns", TURNS_FILE, TURNS_SCHEMA), ("candidates", CANDIDATES_FILE, CANDIDATES_SCHEMA),
           ("dialogues", DIALOGUES_FILE, DIALOGUES_SCHEMA))  # fmt: skip
_SHARD_NAME = re.compile(r"part-(\d{6})\.(turns|candidates|dialogues)\.parquet$")


def atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def _atomic_write_table(table: pa.Table, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, path)


class RunWriter:
    """Collects finished dialogues and writes them in shards of ``shard_size``."""

    def __init__(self, out_dir: str | Path, shard_size: int = 64) -> None:
        self.out_dir = Path(out_dir)
        self.shard_dir = self.out_dir / SHARD_DIR
        self.shard_dir.mkdir(parents=True, exist_ok=True)
        self.shard_size = shard_size
        self._buffer: dict[str, list[dict[str, Any]]] = {"turns": [], "candidates": [], "dialogues": []}
        self._remove_incomplete_shards()
        self._next_shard = 1 + max(self._shard_numbers(), default=0)
        self.n_written = sum(pq.ParquetFile(p).metadata.num_rows for p in self._shard_paths("dialogues"))

    # --- resume -------------------------------------------------------------------------------------
    def completed_ids(self) -> set[str]:
        """Dialogue ids already safely on disk (from a previous, interrupted run)."""
        ids: set[str] = set()
        for path in self._shard_paths("dialogues"):
            ids.update(pq.read_table(path, columns=["dialogue_id"]).column("dialogue_id").to_pylist())
        return ids

    def _remove_incomplete_shards(self) -> None:
        done = {n for n, table in self._shards() if table == "dialogues"}
        for n, table in self._shards():
            if n not in done:
                (self.shard_dir / f"part-{n:06d}.{table}.parquet").unlink()
        for tmp in self.shard_dir.glob(".*.tmp"):
            tmp.unlink()

    def _shards(self) -> list[tuple[int, str]]:
        found = []
        for path in self.shard_dir.iterdir():
            match = _SHARD_NAME.match(path.name)
            if match:
                found.append((int(match.group(1)), match.group(2)))
        return sorted(found)

    def _shard_numbers(self) -> set[int]:
        return {n for n, _ in self._shards()}

    def _shard_paths(self, table: str) -> list[Path]:
        return [self.shard_dir / f"part-{n:06d}.{t}.parquet" for n, t in self._shards() if t == table]

    # --- writing ------------------------------------------------------------------------------------
    def add(self, dialogue: Dialogue) -> None:
        self.add_rows(dialogue.rows())

    def add_rows(self, rows: DialogueRows) -> None:
        """Buffer one finished dialogue's rows (from this process or a remote worker)."""
        self._buffer["turns"].extend(rows.turns)
        self._buffer["candidates"].extend(rows.candidates)
        self._buffer["dialogues"].append(rows.dialogue)
        if len(self._buffer["dialogues"]) >= self.shard_size:
            self.flush()

    def flush(self) -> None:
        """Write the buffered dialogues as one shard (dialogues file last, so it marks completion)."""
        if not self._buffer["dialogues"]:
            return
        n = self._next_shard
        for name, _, schema in _TABLES:
            table = pa.Table.from_pylist(self._buffer[name], schema=schema)
            _atomic_write_table(table, self.shard_dir / f"part-{n:06d}.{name}.parquet")
        self.n_written += len(self._buffer["dialogues"])
        self._buffer = {"turns": [], "candidates": [], "dialogues": []}
        self._next_shard += 1
        progress = {"shards": n, "dialogues_written": self.n_written}
        atomic_write_text(self.out_dir / PROGRESS_FILE, json.dumps(progress))

    def finish(self, manifest: dict[str, Any]) -> None:
        """Flush, stream all shards into the contract files, and write ``run.json``."""
        self.flush()
        for name, filename, schema in _TABLES:
            target = self.out_dir / filename
            tmp = target.with_name(f".{filename}.tmp")
            with pq.ParquetWriter(tmp, schema) as out:
                for path in self._shard_paths(name):
                    out.write_table(pq.read_table(path, schema=schema))
            os.replace(tmp, target)
        atomic_write_text(self.out_dir / RUN_MANIFEST, json.dumps(manifest, indent=2, default=str))
