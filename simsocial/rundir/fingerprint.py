"""What a run directory's dialogues depend on, so a resume can never mix two different runs.

A run directory carries ``fingerprint.json``: every setting that changes its dialogues — the scenario's
content (persona CSVs by their content, not their path), the conditions with every knob, the seed, the
turn budget, the endpoint and model, the persuader's own endpoint and model when it has one, and how the
answer schema is sent — as a flat mapping of readable names to values (never an API key).  The number
of dialogues is kept beside it but is not part of the match: a matching run may be extended with more
dialogues (each dialogue's randomness depends only on seed, replicate and condition, so the first N are
the same dialogues either way).

:func:`check_run_dir` is called before any LLM call.  It writes the fingerprint into a new directory and,
for an existing one, raises :class:`RunMismatchError` naming each differing setting (old → new) without
touching a file.  :func:`existing_run` is the same check without the writing (a sweep checks all its
cells before it starts any).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from simsocial.contract import CANDIDATES_FILE, DIALOGUES_FILE, FINGERPRINT_FILE, RUN_MANIFEST, SHARD_DIR, TURNS_FILE
from simsocial.llm.errors import public_url
from simsocial.llm.factory import LLMSettings
from simsocial.rundir.writer import atomic_write_text
from simsocial.sim.dialogue import Condition
from simsocial.sim.knobs import used_knobs
from simsocial.sim.scenario import Scenario

_VERSION = 1
_CONTRACT_FILES = (DIALOGUES_FILE, TURNS_FILE, CANDIDATES_FILE, RUN_MANIFEST)
_SHOWN_CHARS = 60  # long values (instructions, prompts) are shortened in messages


class RunMismatchError(ValueError):
    """The run directory holds dialogues made with other settings; the message names each difference."""

    def __init__(self, out_dir: Path, message: str, differences: list[str] | None = None) -> None:
        super().__init__(message)
        self.out_dir = out_dir
        self.differences = differences or []


def run_fingerprint(
    scenario: Scenario,
    conditions: Sequence[Condition],
    seed: int,
    *,
    endpoint: str | None,
    model: str | None,
    gguf: str | None = None,
    structured_output: str = "auto",
    persuader: LLMSettings | None = None,
) -> dict[str, Any]:
    """The settings that decide a run's dialogues, as ``{readable name: JSON value}``.

    ``endpoint`` ``None`` means the embedded server (its port changes every start, so the model file
    stands for it).  ``persuader`` is the persuader's own endpoint (:mod:`simsocial.llm.roles`), if any;
    its settings are added only then, so a run without one keeps the fingerprint it always had.
    """
    config = scenario.model_dump(mode="json")
    max_turns = config.get("turns", {}).pop("max_turns", None)
    personas = config.get("personas") or {}
    if personas.get("path"):
        personas["path"] = _file_digest(Path(personas["path"]))
    settings: dict[str, Any] = {
        "seed": seed,
        "turns": max_turns,
        "endpoint": public_url(endpoint).rstrip("/") if endpoint else "embedded",  # no credentials on disk
        "model": model if endpoint else (gguf or "SmolLM2-135M-Instruct (embedded)"),
        "structured_output": structured_output,
        "methods": [c.label for c in conditions],
    }
    if persuader is not None:
        settings |= _persuader_settings(persuader, structured_output)
    for condition in conditions:
        for role in ("persuader", "persuadee", "donation"):
            for knob, value in used_knobs(getattr(condition, role)).items():
                settings[f"{condition.label} {role}.{knob}"] = value
    settings.update(_flatten(config, "scenario "))
    return settings


def check_run_dir(out_dir: str | Path, fingerprint: dict[str, Any], n_dialogues: int) -> bool:
    """Make ``out_dir`` safe to run into; returns True when it resumes or extends an earlier run.

    A new or empty directory gets the fingerprint.  An existing run must match it exactly, and may only
    grow (``n_dialogues`` at least as many as before); otherwise :class:`RunMismatchError` is raised
    before anything is written.
    """
    out_dir = Path(out_dir)
    record = {"version": _VERSION, "dialogues_per_condition": n_dialogues, "settings": fingerprint}
    had = existing_run(out_dir, fingerprint, n_dialogues)
    if had is None:
        out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)  # prompts and answers: this user's only
        atomic_write_text(out_dir / FINGERPRINT_FILE, json.dumps(record, indent=2))
        return False
    if n_dialogues > had:
        atomic_write_text(out_dir / FINGERPRINT_FILE, json.dumps(record, indent=2))
    return True


def existing_run(out_dir: Path, fingerprint: dict[str, Any], n_dialogues: int | None = None) -> int | None:
    """Dialogues per condition of the run already in ``out_dir`` (None: no run there); reads, never writes.

    Raises :class:`RunMismatchError` when that run was made with settings other than ``fingerprint``, or
    has more dialogues than ``n_dialogues`` (None: any number is fine).
    """
    if not _has_run_data(out_dir):
        return None
    try:
        before = json.loads((out_dir / FINGERPRINT_FILE).read_text())
        old = before["settings"]
    except (OSError, ValueError, KeyError, TypeError):
        raise RunMismatchError(
            out_dir,
            f"{out_dir} already holds run output but no readable {FINGERPRINT_FILE} (an older simsocial, or "
            "not a simsocial run), so its settings cannot be checked. Choose a new --out directory.",
        ) from None
    differences = describe_differences(old, fingerprint)
    had = int(before.get("dialogues_per_condition", 0))
    if n_dialogues is not None and n_dialogues < had:
        differences.append(f"dialogues per method: {had} → {n_dialogues} (a run can grow, not shrink)")
    if differences:
        shown = "\n".join(f"  - {d}" for d in differences)
        raise RunMismatchError(
            out_dir,
            f"{out_dir} holds a run made with other settings; resuming would mix two runs in one table.\n"
            f"{shown}\nNothing was changed. Use a new --out (e.g. {_suggest(out_dir)}), or repeat the "
            "first run's options to resume it.",
            differences,
        )
    return had


def describe_differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """One ``name: old → new`` line per setting that differs (knobs of conditions in only one run skipped)."""
    only_one = set(old.get("methods") or ()) ^ set(new.get("methods") or ())
    lines = []
    for name in sorted(set(old) | set(new), key=_order):
        if old.get(name) == new.get(name) or name.split(" ", 1)[0] in only_one:
            continue
        lines.append(f"{name}: {_show(old.get(name, '(unset)'))} → {_show(new.get(name, '(unset)'))}")
    return lines


def _persuader_settings(persuader: LLMSettings, structured_output: str) -> dict[str, Any]:
    # Where the persuader's utterances come from.  The key variable is left out: which variable holds
    # a key does not change an answer (and a key's value must never reach a file).  Its dialect is
    # named only when it is its own (else ``structured_output`` already says it).
    settings: dict[str, Any] = {
        "persuader_endpoint": public_url(persuader.base_url or "embedded").rstrip("/"),
        "persuader_model": persuader.model,
    }
    if persuader.structured_output != structured_output:
        settings["persuader_structured_output"] = persuader.structured_output
    return settings


def _order(name: str) -> tuple[int, str]:
    # The settings people pass on the command line first, then knobs, then scenario details.
    head = ("seed", "turns", "methods", "endpoint", "model", "persuader_endpoint", "persuader_model",
            "structured_output", "persuader_structured_output")  # fmt: skip
    if name in head:
        return (head.index(name), name)
    return (len(head) + (1 if name.startswith("scenario ") else 0), name)


def _show(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 1] + "…"


def _flatten(value: Any, prefix: str) -> dict[str, Any]:
    if isinstance(value, dict):
        flat: dict[str, Any] = {}
        for key, item in value.items():
            flat.update(_flatten(item, f"{prefix}{key}."))
        return flat
    return {prefix.rstrip("."): value}


def _file_digest(path: Path) -> str:
    try:
        return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    except OSError:
        return str(path)  # a missing file is reported when personas are loaded


def _has_run_data(out_dir: Path) -> bool:
    """Whether ``out_dir`` holds a dialogue; a fingerprint of a run that wrote none blocks nothing."""
    from simsocial.rundir.state import dialogues_on_disk  # resume reads the shards the writer leaves

    if not (out_dir / FINGERPRINT_FILE).exists() and not any((out_dir / f).exists() for f in _CONTRACT_FILES):
        shards = out_dir / SHARD_DIR
        if not (shards.is_dir() and any(shards.iterdir())):
            return False
    try:
        return dialogues_on_disk(out_dir) > 0
    except (OSError, ValueError):  # an unreadable Parquet file: treat it as a run, never overwrite it
        return True


def _suggest(out_dir: Path) -> str:
    for n in range(2, 1000):
        candidate = out_dir.with_name(f"{out_dir.name}-{n}")
        if not candidate.exists():
            return str(candidate)
    return str(out_dir.with_name(out_dir.name + "-new"))


def settings_fingerprint(
    scenario: Scenario,
    conditions: Sequence[Condition],
    seed: int,
    settings: LLMSettings,
    persuader: LLMSettings | None = None,
) -> dict[str, Any]:
    """:func:`run_fingerprint` of a run with these LLM settings (``persuader``: the persuader's own, if any).

    An embedded server reached through its URL (a batch starts one and passes its ``base_url``) is named
    by its ``model_id`` (``embedded:<gguf>``): its port changes every start, its answers do not.
    """
    if settings.model_id and settings.model_id.startswith("embedded:"):
        return run_fingerprint(scenario, conditions, seed, endpoint=None, model=None,
                               gguf=settings.model_id.removeprefix("embedded:"),
                               structured_output=settings.structured_output, persuader=persuader)  # fmt: skip
    return run_fingerprint(
        scenario, conditions, seed, endpoint=settings.base_url, model=settings.model,
        gguf=settings.gguf.name if settings.gguf else None, structured_output=settings.structured_output,
        persuader=persuader,
    )  # fmt: skip
