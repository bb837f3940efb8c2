"""``compare --effects traits|strategies``: compute, write (CSV, JSON, forest plot, report section) and print."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import typer

from simsocial.json_output import write_json
from simsocial.report.rundir import RunData

TITLES = {
    "traits": "Who gives: trait effects, humans and each method",
    "strategies": "What works: strategy effects, humans and each method",
}
NOTES = {
    "traits": "Donation regressed on the persuadee's standardized survey traits (Big Five; z-scores on the "
    "persuadee pool's mean and SD, so a coefficient is per SD of the human trait): OLS on the amount with HC3 "
    "errors, logistic on giving anything. Simulated persuadees are linked to their survey row by persona id.",
    "strategies": "Donation regressed on which persuader strategies a dialogue used (present = at least once): "
    "the 300 annotated human dialogues (sentence labels) vs the simulated persuader's turn labels. A coefficient "
    "is the difference between dialogues that used the strategy and those that did not, the others held fixed; "
    "an association, not a causal effect.",
}


def compute_effects(runs: Sequence[RunData], kinds: Sequence[str], *, cleaning: str, donation: str, seed: int,
                    n_resamples: int = 200) -> list:  # fmt: skip
    """One :class:`~simsocial.validity.effects.Effects` per requested kind, for every run × method."""
    from simsocial.validity.samples import simulated_cells
    from simsocial.validity.strategies import strategy_effects
    from simsocial.validity.traits import trait_effects

    cells = simulated_cells(runs, cleaning, donation)
    results = []
    for kind in dict.fromkeys(kinds):
        if kind == "traits":
            results.append(trait_effects(cells, cleaning=cleaning, seed=seed, n_resamples=n_resamples))
        else:
            turns = {run.label: run.turns for run in runs}
            results.append(strategy_effects(cells, turns, cleaning=cleaning, seed=seed, n_resamples=n_resamples))
    return results


def write_effects(results: Sequence, out: Path) -> list[str]:
    """Write each result's files into ``out`` and return its HTML report sections."""
    from simsocial.validity import figures
    from simsocial.validity.html import effects_section

    sections = []
    for result in results:
        name = "traits" if result.kind == "trait" else "strategies"
        stem = out / f"effects_{name}"
        result.effects.to_csv(f"{stem}.csv", index=False)
        result.fidelity.to_csv(f"{stem}_fidelity.csv", index=False)
        payload = {
            "terms": result.terms,
            "unit": result.unit,
            "power": result.power,
            "dropped": result.dropped,
            "effects": result.effects.to_dict("records"),
            "fidelity": result.fidelity.to_dict("records"),
        }
        write_json(f"{stem}.json", payload)
        png = figures.save(figures.forest_figure(result.effects, TITLES[name]), Path(f"{stem}.png"))
        notes = NOTES[name] + "".join(f" Left out: {k}: {v}." for k, v in result.dropped.items())
        sections.append(effects_section(TITLES[name], f"effects-{name}", result, png, notes))
    return sections


def print_effects(results: Sequence, *, to_stderr: bool = False) -> None:
    """The fidelity table and the power statements of each result (on stderr when stdout carries JSON or CSV)."""
    from rich.console import Console
    from rich.table import Table

    from simsocial.validity.effects import display_fidelity

    console = Console(stderr=to_stderr)
    for result in results:
        name = "traits" if result.kind == "trait" else "strategies"
        shown = display_fidelity(result)
        table = Table(title=TITLES[name] + ": fidelity")
        for column in shown.columns:
            table.add_column(column, overflow="fold")
        for _, row in shown.iterrows():
            table.add_row(*[str(v) for v in row])
        console.print(table)
        for line in result.power:
            typer.echo(f"  {line}", err=to_stderr)
        for what, n in result.dropped.items():
            typer.echo(f"  left out: {what}: {n}", err=to_stderr)
