"""A calibration on disk: written by ``simsocial calibrate`` (and ``compare --calibrate``), read back by ``compare``.

The files, in one directory (``RUN_OR_SWEEP_DIR/calibrate`` by default):

- ``split.csv``          the human split (:func:`~simsocial.validity.split.write_split`)
- ``calibration.csv``    one row per cell, every fit and held-out figure (:class:`~.calibrate.Calibration`)
- ``calibration.json``   the same rows with the settings (objective, seed, split sizes, cleaning, donation)
- ``calibration.png``    the figure; ``calibration.html`` a page with the table and the figure

``compare`` reads ``calibration.json`` (and ``split.csv``) back, so a report shows the calibration exactly as
it was made rather than a new one that may differ.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from simsocial.json_output import write_json
from simsocial.validity.calibrate import Calibration
from simsocial.validity.split import SPLIT_FILE

CALIBRATE_DIR = "calibrate"  # the default output directory of ``simsocial calibrate DIR``, inside DIR
JSON_FILE = "calibration.json"


def write_calibration(result: Calibration, out: Path, seed: int) -> list[Path]:
    """split.csv, calibration.csv/json, calibration.png and calibration.html into ``out``; the paths written."""
    from simsocial.validity import figures
    from simsocial.validity.html import calibration_section, standalone_page
    from simsocial.validity.split import write_split

    out.mkdir(parents=True, exist_ok=True)
    paths = [write_split(result.split, out, seed), out / "calibration.csv", out / JSON_FILE]
    result.table.to_csv(paths[1], index=False)
    payload = {"settings": result.settings, "chosen": result.chosen, "rows": result.table.to_dict("records")}
    write_json(paths[2], payload)
    png = figures.save(figures.calibration_figure(result), out / "calibration.png")
    page = out / "calibration.html"
    page.write_text(standalone_page("Calibration", calibration_section(result, png)), encoding="utf-8")
    return [*paths, png, page]


def saved_calibration(directory: Path) -> Path | None:
    """``directory/calibrate`` when ``simsocial calibrate directory`` has written its results there."""
    folder = Path(directory) / CALIBRATE_DIR
    return folder if (folder / JSON_FILE).is_file() else None


def read_calibration(folder: Path) -> Calibration:
    """The :class:`Calibration` that :func:`write_calibration` wrote into ``folder`` (ValueError if unreadable)."""
    try:
        payload = json.loads((Path(folder) / JSON_FILE).read_text(encoding="utf-8"))
        table = pd.DataFrame(payload["rows"])
        settings, chosen = dict(payload["settings"]), str(payload["chosen"])
        objective = str(settings["objective"])
        table["chosen"] = table["chosen"].astype(bool)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{folder / JSON_FILE} is not a calibration simsocial wrote ({exc})") from None
    split_path = Path(folder) / SPLIT_FILE
    split = pd.read_csv(split_path) if split_path.is_file() else pd.DataFrame()
    return Calibration(table.astype({"n_sim": int}), chosen, objective, split, settings)
