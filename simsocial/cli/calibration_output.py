"""What ``simsocial calibrate`` prints, over finished runs and after a search alike (the files it writes:
:mod:`simsocial.validity.calibration_files`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from simsocial.validity.calibrate import Calibration


def print_calibration(result: Calibration) -> None:
    """The calibration table on the terminal, the chosen cell starred."""
    from rich.console import Console
    from rich.table import Table

    from simsocial.validity.calibrate import display_rows

    split = result.settings["split"]
    rows = display_rows(result)
    table = Table(title=f"Calibration by {result.objective}: chosen on the fit half (n={split['fit']['n']}), "
                        f"judged on the held-out half (n={split['held_out']['n']})")  # fmt: skip
    for column in rows[0]:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*row.values())
    Console().print(table)
    chosen = result.chosen_row
    key = result.objective.replace("-", "_")
    typer.echo(f"chosen: {result.chosen} — fit {result.objective} {chosen[f'fit_{key}']:.3f}, held-out "
               f"{chosen[f'heldout_{key}']:.3f} [{chosen[f'heldout_{key}_low']:.3f}, "
               f"{chosen[f'heldout_{key}_high']:.3f}], gap {chosen['gap']:+.3f}")  # fmt: skip
