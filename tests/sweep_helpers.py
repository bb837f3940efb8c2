"""Helpers shared by the sweep tests: write a sweep file, read a run directory's tables, compare two sweeps."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

from simsocial.contract import CANDIDATES_FILE, DIALOGUES_FILE, SCHEMAS, TURNS_FILE

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "persuasion_for_good.yaml"
SORT_KEYS = {
    DIALOGUES_FILE: ["dialogue_id"],
    TURNS_FILE: ["dialogue_id", "turn", "role", "kind"],
    CANDIDATES_FILE: ["dialogue_id", "turn", "role", "kind", "index"],
}


def write_sweep(path: Path, **fields) -> Path:
    """A sweep file over the persuasion scenario (two methods, eight dialogues, two turns unless overridden)."""
    data = {"scenario": str(SCENARIO), "methods": ["direct", "vs_standard"], "dialogues": 8, "turns": 2,
            "shard_size": 2, **fields}  # fmt: skip
    path.write_text(yaml.safe_dump(data))
    return path


def contents(run_dir: Path) -> dict[str, pd.DataFrame]:
    """A run directory's three tables, sorted (row order depends on which dialogue finished first)."""
    return {
        name: pd.read_parquet(run_dir / name).sort_values(SORT_KEYS[name]).reset_index(drop=True) for name in SCHEMAS
    }


def assert_same_runs(sweep_a: Path, sweep_b: Path, cells: list) -> None:
    """Every cell of two sweep directories holds the same tables, with one row per planned dialogue."""
    for cell in cells:
        a, b = contents(sweep_a / cell.cell_dir), contents(sweep_b / cell.cell_dir)
        for name in SCHEMAS:
            pd.testing.assert_frame_equal(a[name], b[name], obj=f"{cell.cell_id}/{name}")
        assert a[DIALOGUES_FILE]["dialogue_id"].is_unique
        assert len(a[DIALOGUES_FILE]) == cell.dialogues
