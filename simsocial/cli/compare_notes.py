"""What ``compare`` prints beside its table: short column headers, cleaning's drop counts, the share scale.

Every dialogue cleaning leaves out is counted in the terminal, by rule and reason, not only in the report:
a figure computed on 11 of 20 donations must say so where it is read.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from simsocial.report.method_figures import MethodComparison
from simsocial.report.scale import STUDY_SCALE

_WHY = {
    "drop_missing": "failed, cut short or without a donation",
    "drop_bad_ids": "with a BAD_ id",
    "drop_out_of_range": f"outside the study's range {STUDY_SCALE.currency}{STUDY_SCALE.minimum:g}–"
    f"{STUDY_SCALE.maximum:g} (its scale: --scale share maps each run onto it)",
}


def column_headers(methods: Sequence[MethodComparison]) -> list[str]:
    """``human``, then one short header per run × method: the method alone for one run, the run's label for a
    run of one method (a sweep cell's label starts with its condition), else ``run · method``."""
    runs = {m.run for m in methods}
    per_run = {run: sum(m.run == run for m in methods) for run in runs}
    headers = ["human"]
    for m in methods:
        if len(runs) == 1:
            headers.append(m.method)
        elif per_run[m.run] == 1 and m.run.startswith(m.method):
            headers.append(m.run)
        else:
            headers.append(f"{m.run} · {m.method}")
    return headers


def cleaning_notes(methods: Sequence[MethodComparison]) -> list[str]:
    """One line per run × method whose cleaning dropped (or changed) dialogues, with the count per reason."""
    notes = []
    for m in methods:
        report = m.cleaning
        parts = [f"{o.n_dropped} {_WHY.get(o.rule, f'by {o.rule}')}" for o in report.outcomes if o.n_dropped]
        parts += [f"{o.n_modified} changed by {o.rule}" for o in report.outcomes if o.n_modified]
        if parts:
            notes.append(f"{m.label}: cleaning ({report.policy}) left out {report.n_dropped} of {report.n_input} "
                         f"dialogue(s): {', '.join(parts)}; every figure of this column is on the rest")  # fmt: skip
    return notes


def share_display(shown: pd.DataFrame) -> pd.DataFrame:
    """The displayed table on the share scale: the human mean as a share of the study's payment, titles say so."""
    shown = shown.copy()
    mean = next((c for c in shown.columns if c.startswith("mean ")), None)
    if mean is not None:
        human = shown["run"] == "human"
        shown.loc[human, mean] = [_share(v) for v in shown.loc[human, mean]]
        shown = shown.rename(columns={mean: "mean share of payment" + mean.partition("$")[2]})
    return shown


def _share(value: object) -> object:
    try:
        return f"{float(str(value)) / STUDY_SCALE.payment:.3f}"
    except ValueError:
        return value
