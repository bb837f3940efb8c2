"""The calibration section of ``compare``'s ``report.html``.

Two sources, so a report never silently shows a calibration other than the one a reader made:

- ``compare --calibrate OBJECTIVE``: calibrate over the compared cells now (the split seeded by compare's
  ``--seed``, intervals from its ``--resamples``, its cleaning and donation construct) and write the
  calibration's files into ``OUT/calibrate``, as ``simsocial calibrate`` would;
- otherwise, every compared directory that ``simsocial calibrate DIR`` has calibrated (``DIR/calibrate``)
  has that calibration shown as it was saved, with a warning when it was made with another cleaning policy or
  donation construct than the comparison.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from simsocial.report.rundir import RunData
from simsocial.validity.calibrate import Calibration
from simsocial.validity.calibration_files import CALIBRATE_DIR, read_calibration, saved_calibration, write_calibration


@dataclass(frozen=True)
class CalibrationSections:
    """HTML sections for the report, one line per calibration for the terminal, and warnings."""

    sections: list[str]
    lines: list[str]
    warnings: list[str]


def calibrate_compared(runs: Sequence[RunData], out: Path, objective: str, *, cleaning: str, donation: str,
                       seed: int, n_resamples: int) -> CalibrationSections:  # fmt: skip
    """Calibrate the compared cells by ``objective``, write ``out/calibrate``, return its section."""
    from simsocial.validity.calibrate import calibrate_cells
    from simsocial.validity.html import calibration_section
    from simsocial.validity.samples import human_outcomes, simulated_cells
    from simsocial.validity.split import split_humans

    split = split_humans(human_outcomes(cleaning), seed)
    try:
        result = calibrate_cells(simulated_cells(runs, cleaning, donation), split, objective, seed=seed,
                                 n_resamples=n_resamples)  # fmt: skip
    except ValueError as exc:  # nothing to calibrate: the comparison itself still stands
        return CalibrationSections([], [], [f"calibration by {objective} not possible: {exc}"])
    result.settings.update(cleaning=cleaning, donation=donation)
    folder = out / CALIBRATE_DIR
    written = write_calibration(result, folder, seed)
    source = f"Calibrated by compare --calibrate {objective} over the compared cells; files in {folder}."
    section = calibration_section(result, written[3], source=source)
    return CalibrationSections([section], [chosen_line(result, str(folder))], [])


def saved_sections(run_dirs: Sequence[Path], out: Path, *, cleaning: str, donation: str) -> CalibrationSections:
    """The section of every directory of ``run_dirs`` that ``simsocial calibrate`` has calibrated."""
    from simsocial.validity import figures
    from simsocial.validity.html import calibration_section

    sections, lines, warnings = [], [], []
    for index, directory in enumerate(run_dirs):
        folder = saved_calibration(directory)
        if folder is None:
            continue
        try:
            result = read_calibration(folder)
        except ValueError as exc:
            warnings.append(f"{exc}; its calibration is not shown")
            continue
        figure = folder / "calibration.png"
        if not figure.is_file():  # removed since: drawn again from the saved table
            figure = figures.save(figures.calibration_figure(result), out / f"calibration-{index}.png")
        mismatches = _mismatches(result, cleaning=cleaning, donation=donation)
        warnings += [f"{folder}: {m}" for m in mismatches]
        source = f"Saved by simsocial calibrate in {folder} (shown as saved; run it again after adding runs)."
        anchor = "calibration" if not sections else f"calibration-{index}"
        sections.append(calibration_section(result, figure, anchor=anchor, source=source, warnings=mismatches))
        lines.append(chosen_line(result, str(folder)))
    return CalibrationSections(sections, lines, warnings)


def _mismatches(result: Calibration, *, cleaning: str, donation: str) -> list[str]:
    """Settings in which the saved calibration differs from the comparison it is shown in."""
    found = []
    for name, ours in (("cleaning", cleaning), ("donation", donation)):
        theirs = result.settings.get(name)
        if theirs is None:
            found.append(f"the calibration does not record its {name} (made by an older simsocial)")
        elif theirs != ours:
            found.append(f"calibrated with {name} {theirs}, compared with {name} {ours}")
    return found


def chosen_line(result: Calibration, where: str) -> str:
    """``calibration (by ks, in DIR): chosen CELL — fit 0.123, held-out 0.130 [0.1, 0.2], gap -0.007``."""
    row, key = result.chosen_row, result.objective.replace("-", "_")
    low, high = row[f"heldout_{key}_low"], row[f"heldout_{key}_high"]
    return (f"calibration (by {result.objective}, {where}): chosen {result.chosen} — fit {row[f'fit_{key}']:.3f}, "
            f"held-out {row[f'heldout_{key}']:.3f} [{low:.3f}, {high:.3f}], gap {row['gap']:+.3f}")  # fmt: skip
