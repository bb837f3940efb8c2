"""The seeded fit / held-out split of the human persuadees, stratified on whether they gave anything.

Half of the givers and half of the non-givers go to each side (odd counts: the extra one is held out),
chosen by a ``numpy.random.Generator`` seeded by the caller, so the same seed gives the same split on any
machine.  The split is written out (:func:`write_split`) so a reader can check, reuse or redo it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

FIT, HELD_OUT = "fit", "held_out"
SPLIT_FILE = "split.csv"


def split_humans(humans: pd.DataFrame, seed: int, fit_share: float = 0.5) -> pd.DataFrame:
    """``humans`` (one row per dialogue, with ``gave``) plus a ``half`` column: ``fit`` or ``held_out``.

    Stratified on ``gave``: each stratum is shuffled with the seeded generator and its first
    ``floor(n · fit_share)`` rows go to the fit half.
    """
    if not 0 < fit_share < 1:
        raise ValueError(f"fit_share must be between 0 and 1, not {fit_share}")
    rng = np.random.default_rng(seed)
    half = np.full(len(humans), HELD_OUT, dtype=object)
    gave = humans["gave"].to_numpy(bool)
    for stratum in (False, True):  # a fixed order: the generator's draws do not depend on the data's order
        rows = np.flatnonzero(gave == stratum)
        chosen = rng.permutation(rows)[: int(len(rows) * fit_share)]
        half[chosen] = FIT
    out = humans.assign(half=half)
    out.attrs = humans.attrs
    return out


def halves(split: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The fit and the held-out rows of a :func:`split_humans` frame."""
    return split[split["half"] == FIT], split[split["half"] == HELD_OUT]


def split_summary(split: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Per half: dialogues, share who gave, mean donation, annotated dialogues (with known mind changes)."""
    summary = {}
    for name, part in zip((FIT, HELD_OUT), halves(split), strict=True):
        summary[name] = {
            "n": int(len(part)),
            "share_gave": float(part["gave"].mean()) if len(part) else float("nan"),
            "mean_donation": float(part["donation"].mean()) if len(part) else float("nan"),
            "n_annotated": int(part["mind_change"].notna().sum()),
        }
    return summary


def write_split(split: pd.DataFrame, out_dir: Path, seed: int) -> Path:
    """Write ``dialogue_id, donation, gave, half, seed`` to ``out_dir/split.csv``."""
    path = Path(out_dir) / SPLIT_FILE
    split[["dialogue_id", "donation", "gave", "half"]].assign(seed=seed).to_csv(path, index=False)
    return path
