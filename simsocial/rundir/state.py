"""A run directory's life after the run: tidy when complete, reopened when extended, read when re-run.

A completed run keeps only its results (``run.json``, ``fingerprint.json`` and the three Parquet files):
:func:`tidy_completed` removes the shards and ``progress.json`` that only an interrupted run needs.
:func:`reopen_completed` turns a completed run back into one shard (hard links, so nothing is copied
and the results stay in place until the extended run replaces them atomically), so more ``--dialogues``
extend it.  :func:`completed_result` recognises a run that already has everything asked for, so running
the same command again reports it instead of rewriting it.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow.parquet as pq

from simsocial.contract import (
    CANDIDATES_FILE,
    DIALOGUES_FILE,
    FINGERPRINT_FILE,
    PROGRESS_FILE,
    RAW_ANSWERS_FILE,
    RUN_MANIFEST,
    SHARD_DIR,
    STATUS_FAILED,
    TURNS_FILE,
)
from simsocial.llm.stats import CallStats
from simsocial.rundir.summary import summarize_run

if TYPE_CHECKING:
    import pandas as pd  # imported where used: a run reaches its first LLM call without it

# Dialogues last: its shard file is what marks a shard complete (see simsocial.rundir.writer).
_REOPEN_ORDER = (("turns", TURNS_FILE), ("candidates", CANDIDATES_FILE), ("raw_answers", RAW_ANSWERS_FILE),
                 ("dialogues", DIALOGUES_FILE))  # fmt: skip
_SUMMARY_COLUMNS = ["method", "status", "final_donation", "mind_changes", "n_parse_repairs", "n_parse_failures"]


def dialogues_on_disk(out_dir: str | Path) -> int:
    """Finished dialogues in a run directory: in its shards while running, in dialogues.parquet when done."""
    out_dir = Path(out_dir)
    shards = sorted((out_dir / SHARD_DIR).glob("part-*.dialogues.parquet")) if (out_dir / SHARD_DIR).is_dir() else []
    if shards:
        return sum(pq.ParquetFile(p).metadata.num_rows for p in shards)
    if (out_dir / DIALOGUES_FILE).is_file():
        return pq.ParquetFile(out_dir / DIALOGUES_FILE).metadata.num_rows
    return 0


def failed_on_disk(out_dir: str | Path) -> int:
    """Dialogues in a run directory whose status is ``failed`` (shards while running, results when done)."""
    out_dir = Path(out_dir)
    shards = sorted((out_dir / SHARD_DIR).glob("part-*.dialogues.parquet")) if (out_dir / SHARD_DIR).is_dir() else []
    paths = shards or ([out_dir / DIALOGUES_FILE] if (out_dir / DIALOGUES_FILE).is_file() else [])
    return sum(pq.read_table(p, columns=["status"]).column("status").to_pylist().count(STATUS_FAILED) for p in paths)


def completed_result(out_dir: str | Path, expected: int) -> tuple[pd.DataFrame, dict[str, Any]] | None:
    """``(summary, manifest)`` of a tidy, completed run holding exactly ``expected`` dialogues, else None."""
    out_dir = Path(out_dir)
    if (out_dir / SHARD_DIR).exists() or not (out_dir / RUN_MANIFEST).is_file():
        return None
    try:
        manifest = json.loads((out_dir / RUN_MANIFEST).read_text())
    except ValueError:
        return None
    if int(manifest.get("counts", {}).get("dialogues", -1)) != expected:
        return None
    import pandas as pd  # only for a run that is already complete

    dialogues = pd.read_parquet(out_dir / DIALOGUES_FILE, columns=_SUMMARY_COLUMNS)
    turns = pd.read_parquet(out_dir / TURNS_FILE, columns=["method", "parse_status"])
    manifest["already_complete"] = True
    return summarize_run(dialogues, turns), manifest


def reopen_completed(out_dir: str | Path) -> None:
    """Make a completed (tidy) run's results its first shard again, so a larger run can extend it."""
    out_dir = Path(out_dir)
    shard_dir = out_dir / SHARD_DIR
    if shard_dir.exists() or not (out_dir / DIALOGUES_FILE).is_file():
        return
    shard_dir.mkdir()
    for table, filename in _REOPEN_ORDER:
        if not (out_dir / filename).is_file():  # a run made before raw answers were kept
            continue
        target = shard_dir / f"part-000000.{table}.parquet"
        try:
            os.link(out_dir / filename, target)
        except OSError:  # a file system without hard links: copy instead
            shutil.copyfile(out_dir / filename, target)


def tidy_completed(out_dir: str | Path) -> None:
    """Remove what only resuming needs (shards, progress.json) once the results files are written."""
    out_dir = Path(out_dir)
    shutil.rmtree(out_dir / SHARD_DIR, ignore_errors=True)
    (out_dir / PROGRESS_FILE).unlink(missing_ok=True)


def discard_unstarted(out_dir: str | Path) -> bool:
    """Remove a run directory that holds no dialogue yet (only its fingerprint); True if removed.

    A run that fails before its first dialogue (the endpoint is unusable) leaves nothing behind.
    """
    out_dir = Path(out_dir)
    if not out_dir.is_dir() or dialogues_on_disk(out_dir):
        return False
    leftovers = {FINGERPRINT_FILE, PROGRESS_FILE, SHARD_DIR}
    if any(p.name not in leftovers for p in out_dir.iterdir()):
        return False
    shutil.rmtree(out_dir)
    return True


def earlier_invocations(out_dir: str | Path) -> list[dict[str, Any]]:
    """The invocations an earlier ``run.json`` of this run recorded (one per command that reached its end).

    A run.json written before invocations were listed counts as one invocation, its ``usage``.  An
    invocation killed before its end (``kill -9``) wrote no run.json: its usage is unknown, not listed.
    """
    path = Path(out_dir) / RUN_MANIFEST
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError):
        return []
    if isinstance(manifest.get("invocations"), list):
        return list(manifest["invocations"])
    if "usage" not in manifest:
        return []
    return [{"started": manifest.get("started"), "finished": manifest.get("finished"), "usage": manifest["usage"],
             "dialogues_written": manifest.get("counts", {}).get("dialogues")}]  # fmt: skip


def with_invocation(earlier: list[dict[str, Any]], this: dict[str, Any]) -> dict[str, Any]:
    """The manifest's ``invocations`` (every one, this last) and ``usage`` (their total)."""
    invocations = [*earlier, this]
    total = CallStats()
    for invocation in invocations:
        total.merge(CallStats.from_dict(invocation["usage"]))
    return {"usage": total.to_dict(), "invocations": invocations}
