"""The short per-condition table a run ends with (read from the output files, like any analysis)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd  # imported where used: a run reaches its first LLM call without it


def summarize_run(dialogues: pd.DataFrame, turns: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per method: dialogues, mean donation, share giving 0, mind-change rate, repairs, failures.

    ``mind_change_rate`` is the share of dialogues with at least one refuse↔agree switch.  With ``turns``,
    ``repaired_share`` is the share of sampled choices whose answer needed a repair (the model's rounding,
    ``rounding_normalised``, is not one) and ``invented_share`` the share whose distribution was invented
    (``turns.distribution_invented``; NaN for a run written before that column existed).
    """
    import pandas as pd

    rows = []
    for method, group in dialogues.groupby("method", sort=False):
        donations = group["final_donation"].dropna()
        row = {
            "method": method,
            "dialogues": len(group),
            "ok": int((group["status"] == "ok").sum()),
            "failed": int((group["status"] == "failed").sum()),
            "mean_donation": donations.mean() if len(donations) else float("nan"),
            "share_zero": (donations == 0).mean() if len(donations) else float("nan"),
            "mind_change_rate": (group["mind_changes"] > 0).mean(),
            "parse_repairs": int(group["n_parse_repairs"].sum()),
            "parse_failures": int(group["n_parse_failures"].sum()),
        }
        if turns is not None:
            choices = turns[turns["method"] == method]
            row["repaired_share"] = (choices["parse_status"] != "ok").mean() if len(choices) else float("nan")
            invented = choices.get("distribution_invented")
            known = len(choices) and invented is not None and invented.notna().any()
            row["invented_share"] = invented.fillna(False).astype(bool).mean() if known else float("nan")
        rows.append(row)
    return pd.DataFrame(rows)
