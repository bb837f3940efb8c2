"""JSON files and printouts of the analysis commands and the validity files: plain JSON types (NaN → null)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np


def jsonable(value: object) -> object:
    """Plain JSON types: NaN/inf → null, numpy scalars/arrays → Python, dict keys → str."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [jsonable(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def json_text(value: object) -> str:
    """``value`` as indented JSON of plain types (what every analysis file and ``--format json`` holds)."""
    return json.dumps(jsonable(value), indent=2)


def write_json(path: Path | str, value: object) -> None:
    """Write :func:`json_text` of ``value`` to ``path``."""
    Path(path).write_text(json_text(value))
