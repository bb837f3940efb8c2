"""Caveats a comparison must show: columns with no or few donations, and which human figure is comparable.

* :func:`sample_size_warnings` names the columns whose n is 0 or below :data:`SMALL_N`, where intervals
  are wide and KS / Fisher p-values say little.
* :func:`annotate_display` flags those n in the displayed table and shows, for distinct-2, only the
  size-matched human figure (distinct-n falls as a corpus grows, so the whole-corpus figure of 966
  dialogues is not comparable with a run's).
"""

from __future__ import annotations

import pandas as pd

SMALL_N = 30
DISTINCT_COLUMN = "distinct-2 (human)"
DISTINCT_TITLE = "distinct-2 (size-matched human)"


def sample_size_warnings(table: pd.DataFrame, names: list[str] | None = None) -> list[str]:
    """One warning per run × method with no donations, or fewer than :data:`SMALL_N`.

    Columns are named ``run · method`` unless ``names`` (one per row of ``table``) are given.
    """
    warnings = []
    for i, (_, row) in enumerate(table.iterrows()):
        n = int(row.get("n_donations") or 0)
        name = names[i] if names is not None else f"{row['run']} · {row['method']}"
        if n == 0:
            failed = int(row.get("n_failed") or 0)
            why = f" ({failed} dialogue(s) failed)" if failed else ""
            warnings.append(f"{name}: n = 0, no donations to compare{why}; every figure of this column is empty.")
        elif n < SMALL_N:
            warnings.append(f"{name}: n = {n} < {SMALL_N}; intervals are wide and KS / Fisher p-values mean little.")
    return warnings


def annotate_display(shown: pd.DataFrame) -> pd.DataFrame:
    """The displayed table (:func:`~simsocial.report.compare.display_table`) with caveats: ``n`` flagged
    (``5 (small n)``, ``0 (none)``), and distinct-2 showing the size-matched human figure only."""
    shown = shown.copy()
    if DISTINCT_COLUMN in shown.columns:
        shown.loc[shown["run"] == "human", DISTINCT_COLUMN] = "(…) in each column"
        shown = shown.rename(columns={DISTINCT_COLUMN: DISTINCT_TITLE})
    if "n" not in shown.columns:
        return shown

    def flag(value: object, run: object) -> object:
        try:
            n = int(str(value))
        except ValueError:
            return value
        if run == "human":
            return value
        return f"{n} (none)" if n == 0 else f"{n} (small n)" if n < SMALL_N else value

    shown["n"] = [flag(v, r) for v, r in zip(shown["n"], shown["run"], strict=True)]
    return shown
