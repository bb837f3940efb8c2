"""Writing a run directory: streamed, append-only shards while dialogues finish; the contract files at the end.

Nothing is lost if the process dies: finished dialogues are flushed in shards
(``OUT/shards/part-NNNNNN.{turns,candidates,raw_answers,dialogues}.parquet``), each written to a temporary name and
renamed into place, the dialogues shard last — so a dialogue counts as done exactly when its dialogues
shard exists.  ``progress.json`` is replaced atomically after each shard.  On resume, leftover turns or
candidates shards without their dialogues shard are removed and the finished ids are skipped.
:meth:`RunWriter.finish` streams the shards into ``dialogues.parquet``, ``turns.parquet``,
``candidates.parquet`` and ``raw_answers.parquet`` (one shard in memory at a time) and counts what it
streams (:class:`RunTally`: statuses, parse repairs and failures, and the few columns the run's summary
table needs), so nothing is read back afterwards; :meth:`RunWriter.write_manifest` writes ``run.json``.
Layer: beside the contract — it knows the files and their columns, nothing of dialogues or models.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from simsocial.contract import (
    CANDIDATES_FILE,
    CANDIDATES_SCHEMA,
    DIALOGUES_FILE,
    DIALOGUES_SCHEMA,
    PROGRESS_FILE,
    RAW_ANSWERS_FILE,
    RAW_ANSWERS_SCHEMA,
    RUN_MANIFEST,
    SHARD_DIR,
    STATUS_FAILED,
    TURNS_FILE,
    TURNS_SCHEMA,
)

if TYPE_CHECKING:
    import pandas as pd  # imported where used: a run reaches its first LLM call without it

# Dialogues last: its shard marks the others complete.  A shard of a run made before raw answers were kept
# has no raw_answers file; finish() streams the shards that exist.
_TABLES = (("turns", TURNS_FILE, TURNS_SCHEMA), ("candidates", CANDIDATES_FILE, CANDIDATES_SCHEMA),
           ("raw_answers", RAW_ANSWERS_FILE, RAW_ANSWERS_SCHEMA),
           ("dialogues", DIALOGUES_FILE, DIALOGUES_SCHEMA))  # fmt: skip
_SHARD_NAME = re.compile(r"part-(\d{6})\.(turns|candidates|raw_answers|dialogues)\.parquet$")


@dataclass(frozen=True)
class DialogueRows:
    """A finished dialogue as plain output rows (picklable: what a remote worker sends back to the writer)."""

    dialogue_id: str
    turns: list[dict[str, Any]]
    candidates: list[dict[str, Any]]
    dialogue: dict[str, Any]
    raw_answers: list[dict[str, Any]] = field(default_factory=list)


# What the run's summary table reads (simsocial.rundir.summary): kept while the shards stream past.
SUMMARY_DIALOGUE_COLUMNS = ("method", "status", "final_donation", "mind_changes", "n_parse_repairs",
                            "n_parse_failures")  # fmt: skip
SUMMARY_TURN_COLUMNS = ("method", "parse_status", "distribution_invented")


@dataclass
class RunTally:
    """What :meth:`RunWriter.finish` counted while streaming the shards into the contract files."""

    status: Counter[str] = field(default_factory=Counter)
    choices: int = 0
    choices_repaired: int = 0
    choices_failed: int = 0
    choices_invented: int = 0
    parse_repairs: int = 0
    parse_failures: int = 0
    repair_codes: Counter[str] = field(default_factory=Counter)
    dialogue_ids: list[str] = field(default_factory=list)  # every id streamed, in order (the end-of-run check)
    _dialogues: list[pa.Table] = field(default_factory=list, repr=False)
    _turns: list[pa.Table] = field(default_factory=list, repr=False)

    def add_dialogues(self, table: pa.Table) -> None:
        self.status.update(table.column("status").to_pylist())
        self.dialogue_ids.extend(table.column("dialogue_id").to_pylist())
        self.parse_repairs += int(pc.sum(table.column("n_parse_repairs")).as_py() or 0)
        self.parse_failures += int(pc.sum(table.column("n_parse_failures")).as_py() or 0)
        self._dialogues.append(table.select(list(SUMMARY_DIALOGUE_COLUMNS)))

    def add_turns(self, table: pa.Table) -> None:
        status = table.column("parse_status")
        self.choices += table.num_rows
        self.choices_repaired += int(pc.sum(pc.equal(status, "repaired")).as_py() or 0)
        self.choices_failed += int(pc.sum(pc.equal(status, "failed")).as_py() or 0)
        self.choices_invented += int(pc.sum(pc.fill_null(table.column("distribution_invented"), False)).as_py() or 0)
        for item in pc.value_counts(pc.list_flatten(table.column("repairs"))).to_pylist():
            self.repair_codes[item["values"]] += item["counts"]
        # Dictionary-encoded: a method label or status per choice costs an index, not a string.
        self._turns.append(_encoded(table.select(list(SUMMARY_TURN_COLUMNS))))

    @property
    def dialogues(self) -> int:
        return sum(self.status.values())

    def counts(self) -> dict[str, Any]:
        """The manifest's ``counts`` block."""
        return {
            "dialogues": self.dialogues,
            "status": {str(k): int(v) for k, v in self.status.most_common()},
            "choices": self.choices,
            "choices_repaired": self.choices_repaired,
            "choices_failed": self.choices_failed,
            "choices_invented": self.choices_invented,
            "parse_repairs": self.parse_repairs,
            "parse_failures": self.parse_failures,
            "repair_codes": {str(k): int(v) for k, v in self.repair_codes.most_common()},
        }

    def summary_frames(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The summary columns of every dialogue and every choice, as DataFrames."""
        return (_concat(self._dialogues, DIALOGUES_SCHEMA, SUMMARY_DIALOGUE_COLUMNS),
                _concat(self._turns, TURNS_SCHEMA, SUMMARY_TURN_COLUMNS))  # fmt: skip


def _encoded(table: pa.Table) -> pa.Table:
    return pa.table({name: pc.dictionary_encode(col) if pa.types.is_string(col.type) else col
                     for name, col in zip(table.column_names, table.columns, strict=True)})  # fmt: skip


def _concat(tables: list[pa.Table], schema: pa.Schema, columns: tuple[str, ...]) -> pd.DataFrame:
    if not tables:
        return pa.Table.from_pylist([], schema=pa.schema([schema.field(c) for c in columns])).to_pandas()
    return pa.concat_tables(tables, promote_options="permissive").to_pandas()


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
        self._buffer: dict[str, list[dict[str, Any]]] = {name: [] for name, _, _ in _TABLES}
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

    def failed_ids(self) -> set[str]:
        """Dialogue ids on disk whose status is ``failed`` (the endpoint gave up on them)."""
        ids: set[str] = set()
        for path in self._shard_paths("dialogues"):
            table = pq.read_table(path, columns=["dialogue_id", "status"])
            ids.update(table.filter(pc.equal(table.column("status"), STATUS_FAILED)).column("dialogue_id").to_pylist())
        return ids

    def discard(self, ids: set[str]) -> int:
        """Remove these dialogues' rows from the shards (to play them again); returns how many were removed.

        Each shard holding one is rewritten without it, turns and candidates first and its dialogues file
        last (each replaced atomically), so until the dialogues file is replaced the dialogue still counts
        as on disk; a crash in between leaves it counted, with fewer turn rows, and retrying again fixes it.
        """
        removed = 0
        for path in self._shard_paths("dialogues"):
            shard = pq.read_table(path, columns=["dialogue_id"]).column("dialogue_id").to_pylist()
            if not ids.intersection(shard):
                continue
            stem = path.name.removesuffix(".dialogues.parquet")
            for name, _, schema in _TABLES:
                part = self.shard_dir / f"{stem}.{name}.parquet"
                table = pq.read_table(part, schema=schema)
                keep = pc.invert(pc.is_in(table.column("dialogue_id"), value_set=pa.array(sorted(ids))))
                _atomic_write_table(table.filter(keep), part)
            removed += len(ids.intersection(shard))
        self.n_written -= removed
        return removed

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
    def add_rows(self, rows: DialogueRows) -> None:
        """Buffer one finished dialogue's rows (from this process or a remote worker)."""
        self._buffer["turns"].extend(rows.turns)
        self._buffer["candidates"].extend(rows.candidates)
        self._buffer["raw_answers"].extend(rows.raw_answers)
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
        self._buffer = {name: [] for name, _, _ in _TABLES}
        self._next_shard += 1
        progress = {"shards": n, "dialogues_written": self.n_written}
        atomic_write_text(self.out_dir / PROGRESS_FILE, json.dumps(progress))

    def finish(self) -> RunTally:
        """Flush, stream all shards into the contract files (one shard in memory at a time), counting."""
        self.flush()
        tally = RunTally()
        count = {"dialogues": tally.add_dialogues, "turns": tally.add_turns}
        for name, filename, schema in _TABLES:
            target = self.out_dir / filename
            tmp = target.with_name(f".{filename}.tmp")
            with pq.ParquetWriter(tmp, schema) as out:
                for path in self._shard_paths(name):
                    table = pq.read_table(path, schema=schema)
                    out.write_table(table)
                    if name in count:
                        count[name](table)
            os.replace(tmp, target)
        return tally

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        """Write ``run.json`` (atomically)."""
        atomic_write_text(self.out_dir / RUN_MANIFEST, json.dumps(manifest, indent=2, default=str))
