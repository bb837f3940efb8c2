"""On ``--resume``: every cell already on disk must have been made with the settings this invocation uses.

A cell's id names its method, knobs, endpoint and seed, but its run also depends on settings given to the
whole command (``--structured-output``, ``--gguf``): those are in each cell's ``fingerprint.json``
(:mod:`simsocial.rundir.fingerprint`), not in its id.  Checked cell by cell as it starts, a difference would
only mark that cell failed while cells not started yet ran with the new settings — one sweep made of two.
So all cells are checked before the sweep writes anything or starts a server.
"""

from __future__ import annotations

from pathlib import Path

from simsocial.batch.cells import Cell
from simsocial.batch.endpoints import EndpointPool
from simsocial.batch.sweep import SweepError
from simsocial.llm.roles import RoleEndpoint, role_settings
from simsocial.rundir.fingerprint import RunMismatchError, existing_run, settings_fingerprint
from simsocial.sim.scenario import Scenario


def check_cells_unchanged(
    out_dir: Path,
    scenario: Scenario,
    cells: list[Cell],
    pool: EndpointPool,
    persuader: RoleEndpoint | None,
    done: frozenset[str] = frozenset(),
) -> None:
    """Raise :class:`SweepError` naming each differing setting (old → new) if a cell in ``out_dir`` was
    run with settings other than these, or if a cell not ``done`` would shrink (fewer ``--dialogues`` than
    it was started with: a run grows, never shrinks); reads the cells' fingerprints, writes nothing."""
    role = role_settings(pool.base, persuader) if persuader is not None else None  # as pool.runtime_for does
    mismatched: list[tuple[Cell, RunMismatchError]] = []
    for cell in cells:
        fingerprint = settings_fingerprint(scenario, [cell.condition], cell.seed, pool.planned_settings(cell.endpoint),
                                           role)  # fmt: skip
        try:
            existing_run(out_dir / cell.cell_dir, fingerprint, None if cell.cell_id in done else cell.dialogues)
        except RunMismatchError as exc:
            mismatched.append((cell, exc))
    if not mismatched:
        return
    cell, first = mismatched[0]
    shown = "\n".join(f"  - {d}" for d in first.differences) if first.differences else f"  - {first}"
    others = f" and {len(mismatched) - 1} other cell(s)" if len(mismatched) > 1 else ""
    raise SweepError(
        f"{out_dir} was run with other settings (cell {cell.cell_id}{others}); resuming would mix two runs in "
        f"one sweep.\n{shown}\nNothing was changed. Resume with the first run's options, or choose a new --out "
        "directory."
    )
