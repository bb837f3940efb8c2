"""The table a sweep ends with: one row per cell — what it is, and what came out.

Read from the cells' output files (like any analysis), so it is the same after a resume.  KS is the
two-sample Kolmogorov–Smirnov statistic against the human donations after the default cleaning — the
figure ``simsocial compare`` reports, without its bootstrap (this table is a first look, not the report).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
from rich.markup import escape
from rich.table import Table

from simsocial.contract import DIALOGUES_FILE, STATUS_FAILED

_COLUMNS = ["final_donation", "status", "mind_changes"]


def human_donations() -> np.ndarray:
    """Human persuadee donations after the default cleaning: the ``donation`` column of
    ``clean_human_dialogues`` (what compare uses), in its order.

    Read from full_info.csv alone: every ``simsocial batch`` ends with this table, and the annotated .xlsx
    files ``clean_human_dialogues`` also checks hold nothing it needs and take seconds to parse.
    """
    import pandas as pd

    from simsocial.data.cleaning import DEFAULT_POLICY, clean
    from simsocial.data.human import PERSUADEE, check_release, load_dialogue_info

    check_release(annotated_files=False)
    info = load_dialogue_info()
    persuadee = info[info["B4"] == PERSUADEE]
    frame = pd.DataFrame({"dialogue_id": persuadee["B2"].astype(str).to_numpy(),
                          "donation": persuadee["B6"].astype(float).to_numpy()})  # fmt: skip
    cleaned, _ = clean(frame, DEFAULT_POLICY, amount_column="donation", id_column="dialogue_id")
    return cleaned["donation"].to_numpy(float)


def cell_outcome(run_dir: Path, human: np.ndarray | None) -> dict[str, Any]:
    """Outcome figures of one cell's run directory (NaN where it has no dialogues yet)."""
    from simsocial.metrics.distribution import ks_2samp

    path = run_dir / DIALOGUES_FILE
    if not path.is_file():
        return {"n": 0, "failed": 0, "mean": math.nan, "zero": math.nan, "ks": None, "mind": math.nan}
    frame = pq.read_table(path, columns=_COLUMNS).to_pandas()
    donations = frame["final_donation"].dropna().to_numpy(float)
    ks = ks_2samp(donations, human) if human is not None and len(donations) else None
    return {
        "n": len(frame),
        "failed": int((frame["status"] == STATUS_FAILED).sum()),
        "mean": float(donations.mean()) if len(donations) else math.nan,
        "zero": float((donations == 0).mean()) if len(donations) else math.nan,
        "ks": ks,
        "mind": float((frame["mind_changes"] > 0).mean()) if len(frame) else math.nan,
    }


def outcomes_table(out: Path, rows: list[dict[str, Any]], human: np.ndarray | None) -> Table:
    """A rich table, one row per sweep cell (``rows`` from ``sweep.parquet``); labels escaped."""
    from simsocial.report.currency import DEFAULT_CURRENCY, run_currency

    table = Table(title="per cell", show_lines=False)
    cur = run_currency(out / rows[0]["cell_dir"]) if rows else DEFAULT_CURRENCY  # a sweep has one scenario
    for header in ("cell", "model", "seed", "dialogues", "status", f"mean {cur}", f"gave {cur}0", "KS (p)",
                   "mind changes", "failed"):  # fmt: skip
        table.add_column(header, justify="left" if header in ("cell", "model", "status") else "right")
    for row in rows:
        got = cell_outcome(out / row["cell_dir"], human)
        ks = got["ks"]
        table.add_row(
            escape(row["label"]), escape(str(row["model"])), str(row["seed"]),
            f"{got['n']}/{row['dialogues']}", escape(str(row["status"])), _num(got["mean"], "{:.2f}"),
            _num(got["zero"], "{:.0%}"), f"{ks.statistic:.3f} ({ks.pvalue:.2g})" if ks else "–",
            _num(got["mind"], "{:.0%}"), f"[red]{got['failed']}[/]" if got["failed"] else "0",
        )  # fmt: skip
    return table


def _num(value: float, fmt: str) -> str:
    return "–" if value is None or math.isnan(value) else fmt.format(value)
