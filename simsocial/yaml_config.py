"""Reading a YAML file into a pydantic model, with errors that name the file, each bad field and the problem.

Shared by scenario and sweep files.  Layer: bottom — imports nothing from simsocial.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


def read_yaml(path: Path, error: type[Exception]) -> object:
    """The parsed YAML of ``path``; a missing file or bad YAML raises ``error`` naming the file."""
    try:
        return yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise error(f"{path}: file not found") from None
    except yaml.YAMLError as exc:
        raise error(f"{path}: not valid YAML: {exc}") from None


def load_yaml_model(path: Path, model: type[M], error: type[Exception], kind: str) -> M:
    """Validate ``path`` as ``model``; any problem raises ``error`` with a message naming file and fields."""
    raw = read_yaml(path, error)
    if not isinstance(raw, dict):
        raise error(f"{path}: expected a mapping of fields at the top level, got {type(raw).__name__}")
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems = "\n".join(
            f"  - {'.'.join(str(p) for p in err['loc']) or '(top level)'}: {err['msg']}" for err in exc.errors()
        )
        raise error(f"{path}: invalid {kind}\n{problems}") from None
