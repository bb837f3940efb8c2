"""The choices of the analysis commands (``human``, ``compare``, ``calibrate``) as enums Typer lists in --help."""

from __future__ import annotations

from enum import StrEnum

from simsocial.data.cleaning import POLICIES

# The policy names of simsocial.data.cleaning.POLICIES, as choices Typer can list in --help.
CleaningChoice = StrEnum("CleaningChoice", {name: name for name in POLICIES})


class HumanFormat(StrEnum):
    table = "table"
    json = "json"


class CompareFormat(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"
    csv = "csv"


class CompareTable(StrEnum):
    default = "default"
    vs_paper = "vs-paper"


class CompareScale(StrEnum):
    amount = "amount"
    share = "share"


class DonationConstruct(StrEnum):
    final = "final"
    in_dialogue = "in-dialogue"


class Objective(StrEnum):  # simsocial.validity.objectives.OBJECTIVES, as choices Typer can list in --help
    ks = "ks"
    l1 = "l1"
    w1 = "w1"
    mind_change = "mind-change"
    combined = "combined"


class EffectsKind(StrEnum):
    traits = "traits"
    strategies = "strategies"
