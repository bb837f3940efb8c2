"""What ``simsocial calibrate`` writes and prints, over finished runs and after a search alike."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from simsocial.cli.json_output import write_json

if TYPE_CHECKING:
    from simsocial.validity.calibrate import Calibration


def write_calibration(result: Calibration, out: Path, seed: int) -> list[Path]:
    """split.csv, calibration.csv/json, calibration.png and calibration.html into ``out``."""
    from simsocial.validity import figures
    from simsocial.validity.html import calibration_section, standalone_page
    from simsocial.validity.split import write_split

    out.mkdir(parents=True, exist_ok=True)
    paths = [write_split(result.split, out, seed), out / "calibration.csv", out / "calibration.json"]
    result.table.to_csv(paths[1], index=False)
    payload = {"settings": result.settings, "chosen": result.chosen, "rows": result.table.to_dict("records")}
    write_json(paths[2], payload)
    png = figures.save(figures.calibration_figure(result), out / "calibration.png")
    page = out / "calibration.html"
    page.write_text(standalone_page("Calibration", calibration_section(result, png)))
    return [*paths, png, page]


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
