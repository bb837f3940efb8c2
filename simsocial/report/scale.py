"""The scale donations are compared on: the human study's dollars, or each side's share of its payment.

PersuasionForGood paid $2 and allowed donations of $0–2.  A scenario may pay otherwise (the bundled
``local_food_bank.yaml``: a $5 voucher, $0–5).  Its amounts cannot be set beside the study's as they are:
the study's cleaning would drop every amount above $2 and the figures would describe what is left.  So
:func:`check_scales` refuses such a run on the default scale (``amount``), naming both scales, and with
``scale="share"`` :func:`to_common_scale` maps each run's amounts onto the study's by their share of the
payment (an amount × $2 / payment), after which :func:`as_shares` states every money figure of the table as
a share of the payment (0–1), on both sides.

A run's scale is read from its ``run.json`` (``scenario.config.task`` and ``.donation``); a run directory
without one (written by hand) is taken to be on the study's scale, and :func:`check_scales` says so.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd

from simsocial.report.rundir import RunData

SCALES = ("amount", "share")
# Every amount a run directory holds, by table and column.
_AMOUNT_COLUMNS = {"dialogues": ("final_donation", "last_stated_amount", "in_dialogue_donation"),
                   "turns": ("stated_amount",), "candidates": ("stated_amount",)}  # fmt: skip
# Figures of the comparison table measured in money (differences and distances included).
MONEY_FIGURES = ("mean_donation", "human_mean_donation", "w1", "mean_diff", "say_do_mean_gap",
                 "human_say_do_mean_gap")  # fmt: skip


class ScaleError(ValueError):
    """A run whose donations are on another scale than the study's, compared on the amount scale."""


@dataclass(frozen=True)
class DonationScale:
    """What a persuadee was paid and may give."""

    payment: float
    minimum: float
    maximum: float
    currency: str = "$"

    def describe(self) -> str:
        c = self.currency
        return f"{c}{self.minimum:g}–{c}{self.maximum:g} of a {c}{self.payment:g} payment"


STUDY_SCALE = DonationScale(payment=2.0, minimum=0.0, maximum=2.0, currency="$")


def run_scale(run: RunData) -> DonationScale | None:
    """The run's scale from its run.json, or None when run.json does not say."""
    scenario = run.manifest.get("scenario")
    config = scenario.get("config") if isinstance(scenario, dict) else None
    task = config.get("task") if isinstance(config, dict) else None
    donation = config.get("donation") if isinstance(config, dict) else None
    if not (isinstance(task, dict) and isinstance(donation, dict) and "payment" in task and "maximum" in donation):
        return None
    return DonationScale(float(task["payment"]), float(donation.get("minimum", 0.0)), float(donation["maximum"]),
                         str(task.get("currency", "$")))  # fmt: skip


def check_scales(runs: list[RunData], scale: str) -> list[str]:
    """Notes on the runs' scales; raises :class:`ScaleError` for a run the ``amount`` scale cannot compare."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; use {' or '.join(SCALES)}")
    notes = []
    for run in runs:
        own = run_scale(run)
        if own is None:
            notes.append(f"{run.label}: run.json names no payment; taken to be the study's ({STUDY_SCALE.describe()})")
        elif own != STUDY_SCALE and scale == "amount":
            raise ScaleError(
                f"{run.label} gives donations of {own.describe()}, the human study {STUDY_SCALE.describe()}: "
                "its amounts are not comparable as they are (cleaning would drop those above $2). "
                "Compare them as a share of the payment with --scale share"
            )
    return notes


def to_common_scale(run: RunData) -> RunData:
    """``run`` with every amount mapped onto the study's scale by its share of the payment."""
    own = run_scale(run)
    if own is None or own == STUDY_SCALE:
        return run
    factor = STUDY_SCALE.payment / own.payment
    frames = {}
    for name, columns in _AMOUNT_COLUMNS.items():
        frame = getattr(run, name).copy()
        for column in columns:
            if column in frame:
                frame[column] = pd.to_numeric(frame[column], errors="coerce") * factor
        frames[name] = frame
    return replace(run, **frames)


def as_shares(table: pd.DataFrame) -> pd.DataFrame:
    """The comparison table with its money figures (and their intervals) as shares of the payment."""
    table = table.copy()
    for figure in MONEY_FIGURES:
        for column in (figure, f"{figure}_low", f"{figure}_high"):
            if column in table:
                table[column] = pd.to_numeric(table[column], errors="coerce") / STUDY_SCALE.payment
    return table
