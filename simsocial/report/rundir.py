"""Read run directories (and sweeps of them) into DataFrames, following :mod:`simsocial.contract`.

A *run directory* holds ``run.json`` and the three parquet files.  A *sweep directory* holds
``sweep.parquet`` whose ``cell_dir`` column names run directories relative to the sweep directory.
:func:`read_runs` accepts either kind (and several of them) and returns one :class:`RunData` per run.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from simsocial import contract

log = logging.getLogger(__name__)

SWEEP_FILE = "sweep.parquet"
SWEEP_CELL_COLUMN = "cell_dir"


@dataclass(frozen=True)
class RunData:
    """One run directory's contents.  ``label`` names the run in tables and figures."""

    path: Path
    label: str
    manifest: dict = field(repr=False)
    dialogues: pd.DataFrame = field(repr=False)
    turns: pd.DataFrame = field(repr=False)
    candidates: pd.DataFrame = field(repr=False)
    sweep_cell: dict | None = field(default=None, repr=False)  # the cell's row of sweep.parquet

    @property
    def methods(self) -> list[str]:
        return sorted(self.dialogues["method"].dropna().unique().tolist())


def is_run_dir(path: str | Path) -> bool:
    return (Path(path) / contract.DIALOGUES_FILE).is_file()


def is_sweep_dir(path: str | Path) -> bool:
    return (Path(path) / SWEEP_FILE).is_file()


def _read_table(path: Path, name: str) -> pd.DataFrame:
    schema = contract.SCHEMAS[name]
    file = path / name
    if not file.is_file():
        if name == contract.DIALOGUES_FILE:
            raise FileNotFoundError(f"{file} is missing: not a run directory")
        log.warning("%s is missing; treating it as empty", file)
        return schema.empty_table().to_pandas()
    df = pq.read_table(file).to_pandas()
    # Older or partial writers may lack a column the analysis reads; add it as all-null, never rename.
    for col in schema.names:
        if col not in df.columns:
            df[col] = pd.Series([None] * len(df), dtype="object")
    return df


def read_run(path: str | Path, label: str | None = None) -> RunData:
    """Read one run directory.  A missing ``run.json`` gives an empty manifest (with a warning)."""
    path = Path(path)
    manifest_file = path / contract.RUN_MANIFEST
    manifest: dict = {}
    if manifest_file.is_file():
        manifest = json.loads(manifest_file.read_text())
    else:
        log.warning("%s is missing", manifest_file)
    dialogues = _read_table(path, contract.DIALOGUES_FILE)
    if label is None:
        run_ids = dialogues["run_id"].dropna().unique()
        label = str(manifest.get("run_id") or (run_ids[0] if len(run_ids) == 1 else path.name))
    return RunData(
        path=path,
        label=label,
        manifest=manifest,
        dialogues=dialogues,
        turns=_read_table(path, contract.TURNS_FILE),
        candidates=_read_table(path, contract.CANDIDATES_FILE),
    )


def read_sweep(path: str | Path) -> list[RunData]:
    """Read every run listed in ``path/sweep.parquet`` (``cell_dir`` relative to ``path``).

    Cells whose directory has no ``dialogues.parquet`` yet (a sweep still running) are skipped with a
    warning.  Each run is labelled by the cell's short ``label`` (its ``cell_dir`` where labels repeat).
    """
    path = Path(path)
    sweep = pd.read_parquet(path / SWEEP_FILE)
    if SWEEP_CELL_COLUMN not in sweep.columns:
        raise ValueError(f"{path / SWEEP_FILE} has no {SWEEP_CELL_COLUMN!r} column")
    sweep = sweep.drop_duplicates(SWEEP_CELL_COLUMN)
    labels = sweep["label"].astype(str) if "label" in sweep.columns else sweep[SWEEP_CELL_COLUMN].astype(str)
    if labels.duplicated().any():
        labels = sweep[SWEEP_CELL_COLUMN].astype(str)
    runs = []
    for (_, row), label in zip(sweep.iterrows(), labels, strict=True):
        cell = str(row[SWEEP_CELL_COLUMN])
        cell_path = path / cell
        if not is_run_dir(cell_path):
            log.warning("sweep cell %s has no %s; skipped", cell_path, contract.DIALOGUES_FILE)
            continue
        run = read_run(cell_path, label=label)
        runs.append(RunData(run.path, run.label, run.manifest, run.dialogues, run.turns, run.candidates, row.to_dict()))
    return runs


def unfinished_run(path: str | Path) -> str | None:
    """Why ``path`` cannot be compared now — a run or sweep still being written, or an interrupted run (shards
    but no results) — and what to do about it; None when it can be read (or is no run at all)."""
    from simsocial.run_lock import lock_holder
    from simsocial.rundir import RunDir

    path = Path(path)
    holder = lock_holder(path)
    if holder is not None:
        who = f"process {holder}" if holder else "another process"
        return f"{path} is still being written ({who} is running into it); compare it once that has finished"
    if is_run_dir(path) or is_sweep_dir(path) or not (path / contract.FINGERPRINT_FILE).is_file():
        return None
    saved = RunDir(path).dialogues_on_disk()  # the shards' count while unfinished (0: none)
    return (f"{path} holds an interrupted run ({saved} dialogue(s) saved, no results yet); finish it by running the "
            "same simsocial run command again (same --out), then compare")  # fmt: skip


def read_runs(paths: Iterable[str | Path]) -> list[RunData]:
    """Read run and sweep directories: a sweep (``sweep.parquet``) expands to its cells, else one run."""
    runs: list[RunData] = []
    for p in paths:
        if (unfinished := unfinished_run(p)) is not None:
            raise FileNotFoundError(unfinished)
        if is_sweep_dir(p):
            runs.extend(read_sweep(p))
        elif is_run_dir(p):
            runs.append(read_run(p))
        else:
            raise FileNotFoundError(
                f"{p}: neither a run directory ({contract.DIALOGUES_FILE}) nor a sweep ({SWEEP_FILE})"
            )
    if not runs:
        raise FileNotFoundError("no runs found")
    labels = [r.label for r in runs]
    if len(set(labels)) < len(labels):  # two dirs with one run_id: fall back to paths so rows stay distinct
        runs = [
            RunData(r.path, str(r.path), r.manifest, r.dialogues, r.turns, r.candidates, r.sweep_cell) for r in runs
        ]
    return runs
