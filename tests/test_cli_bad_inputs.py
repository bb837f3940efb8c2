"""Issue 11, defect 4: bad command-line input gets a short error, a non-zero exit, no traceback and no
partial output — each case through the real CLI in a subprocess."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import SCENARIO, simsocial
from synthetic_run import write_synthetic_run

DEAD = ["--base-url", "http://127.0.0.1:9/v1", "--model", "m"]  # never reached: every case fails before a call

# (case id, argv with RUN for a synthetic run dir and OUT for a fresh path under tmp, text the error names)
CASES = [
    ("structured-output", ["run", SCENARIO, "--structured-output", "x", "--out", "OUT", *DEAD], "--structured-output"),
    ("selection", ["run", SCENARIO, "--selection", "bogus", "--out", "OUT", *DEAD], "--selection"),
    ("out-in-proc", ["run", SCENARIO, "--out", "/proc/x", *DEAD], "/proc/x"),
    ("out-under-a-file", ["run", SCENARIO, "--out", "/dev/null/x", *DEAD], "not a directory"),
    ("method", ["run", SCENARIO, "--method", "bogus", "--out", "OUT", *DEAD], "unknown method"),
    ("role", ["run", SCENARIO, "--method", "judge=direct", "--out", "OUT", *DEAD], "unknown role"),
    ("base-url-without-model", ["run", SCENARIO, "--base-url", "http://127.0.0.1:9/v1", "--out", "OUT"], "--model"),
    ("missing-scenario", ["run", "missing.yaml", "--out", "OUT", *DEAD], "missing.yaml"),
    ("broken-scenario", ["run", "BROKEN", "--out", "OUT", *DEAD], "not valid YAML"),
    ("zero-dialogues", ["run", SCENARIO, "-n", "0", "--out", "OUT", *DEAD], "--dialogues"),
    ("temperature", ["run", SCENARIO, "--temperature", "-1", "--out", "OUT", *DEAD], "--temperature"),
    ("compare-twice", ["compare", "RUN", "RUN", "--out", "OUT"], "given twice"),
    ("compare-out-in-proc", ["compare", "RUN", "--out", "/proc/x"], "/proc/x"),
    ("compare-out-under-a-file", ["compare", "RUN", "--out", "/dev/null/x"], "not a directory"),
    ("compare-not-a-run", ["compare", "EMPTY", "--out", "OUT"], "neither a run directory"),
    ("batch-out-under-a-file", ["batch", "SWEEP", "--out", "/dev/null/x"], "not a directory"),
    ("batch-missing-sweep", ["batch", "missing.yaml", "--out", "OUT"], "missing.yaml"),
    ("batch-executor", ["batch", "SWEEP", "--out", "OUT", "--executor", "bogus"], "--executor"),
    ("batch-structured-output", ["batch", "SWEEP", "--out", "OUT", "--structured-output", "x"], "--structured-output"),
]  # fmt: skip


@pytest.mark.parametrize(("argv", "names"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_one_clear_error(tmp_path: Path, argv: list, names: str) -> None:
    run = write_synthetic_run(tmp_path / "run")
    (tmp_path / "empty").mkdir()
    (tmp_path / "broken.yaml").write_text("task: [\n")
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(f"name: s\nscenario: {SCENARIO}\nmethods: [direct]\ndialogues: 1\n")
    names_for = {"RUN": run, "OUT": tmp_path / "out", "EMPTY": tmp_path / "empty", "BROKEN": tmp_path / "broken.yaml",
                 "SWEEP": sweep}  # fmt: skip
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))

    result = simsocial(*[names_for.get(a, a) if isinstance(a, str) else a for a in argv], cwd=tmp_path, timeout=60)

    assert result.code != 0
    assert "Traceback" not in result.output
    assert names in result.output
    assert len(result.output.strip().splitlines()) <= 8  # a short message (usage errors come framed by typer)
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before  # nothing written


# Defaults whose wording is written by hand in the help (the value depends on the scenario or the sweep).
WRITTEN_DEFAULTS = {
    "run": {"--turns": "the scenario's max_turns", "--k": "the scenario's, else 5", "--temperature":
            "the scenario's, else 0.7", "--tail-threshold": "the scenario's, else none"},  # fmt: skip
    "batch": {"--turns": "the scenario's max_turns"},
}


def _option_rows(help_text: str) -> dict[str, str]:
    """Each option's row of the help table, its wrapped lines joined: ``{"--name": "--name -n <int> ..."}``."""
    rows: dict[str, str] = {}
    current = None
    for line in help_text.splitlines():
        cell = line.strip().strip("│╭╰─").strip()
        if cell.startswith("--"):
            current = cell.split()[0]
            rows[current] = cell
        elif current is not None and cell and line.strip().startswith("│"):
            rows[current] += " " + cell
        else:
            current = None  # the table ended (or a section title)
    return {name: " ".join(row.split()) for name, row in rows.items()}


@pytest.mark.parametrize("command", ["run", "batch", "compare", "human", "serve-local"])
def test_help_shows_defaults_and_no_bool_values(tmp_path: Path, command: str) -> None:
    import typer

    from simsocial.cli.main import app

    result = simsocial(command, "--help", cwd=tmp_path)
    assert result.code == 0
    assert "<bool>" not in result.stdout
    click_command = typer.main.get_command(app).commands[command]  # type: ignore[attr-defined]
    options = [p for p in click_command.params if p.param_type_name == "option" and not p.hidden]
    segments = _option_rows(result.stdout)
    shown = 0
    for param in options:
        name, default = max(param.opts, key=len), param.default
        written = WRITTEN_DEFAULTS.get(command, {})
        if name in written or default is None or isinstance(default, bool) or callable(default):
            continue  # a hand-written default is checked below; None and on/off flags have no value to show
        value = getattr(default, "value", default)  # an Enum shows its value
        assert f"[default: {value}]" in segments[name], (name, segments[name])
        shown += 1
    for name, wording in WRITTEN_DEFAULTS.get(command, {}).items():
        assert f"[default: {wording}]" in segments[name], (name, segments[name])
    assert shown + len(WRITTEN_DEFAULTS.get(command, {})) >= 2  # every command has defaults to show


def test_version(tmp_path: Path) -> None:
    from simsocial import __version__

    result = simsocial("--version", cwd=tmp_path)
    assert (result.code, result.stdout.strip()) == (0, f"simsocial {__version__}")
