"""Issue 11, defect 4 and issue 16: bad command-line input gets a short error, a non-zero exit, no traceback and
no partial output — each case through the real CLI in a subprocess.

Issue 16 added the bounds on every count (a typo like ``-n 99999999999999999999`` once planned more dialogues
than memory holds), seeds, an ``--out`` that is a file, an unwritable cache, bad persona CSVs, a sweep file
beyond its bounds, ``compare`` of a run paid otherwise than the study, and of an interrupted run."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from cli_helpers import SCENARIO, simsocial
from synthetic_run import FOOD_BANK_SCENARIO, write_food_bank_run, write_synthetic_run

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
    ("viz-port-zero", ["viz", SCENARIO, "--port", "0"], "--port"),  # the page checks its Host against the port
    ("human-cleaning-none", ["human", "--cleaning", "none"], "--cleaning"),  # raw amounts in cents: cannot be binned
    ("compare-cleaning-none", ["compare", "RUN", "--out", "OUT", "--cleaning", "none"], "--cleaning"),
    ("batch-missing-sweep", ["batch", "missing.yaml", "--out", "OUT"], "missing.yaml"),
    ("batch-executor", ["batch", "SWEEP", "--out", "OUT", "--executor", "bogus"], "--executor"),
    ("batch-structured-output", ["batch", "SWEEP", "--out", "OUT", "--structured-output", "x"], "--structured-output"),
    # issue 16: every count and size has an upper bound, checked before anything starts
    ("huge-dialogues", ["run", SCENARIO, "-n", "99999999999999999999", "--out", "OUT", *DEAD], "--dialogues"),
    ("dialogues-times-methods", ["run", SCENARIO, "-n", "600000", "-m", "direct", "-m", "vs_standard", "--out", "OUT",
                                 *DEAD], "--dialogues"),
    ("huge-concurrency", ["run", SCENARIO, "-c", "99999999999", "--out", "OUT", *DEAD], "--concurrency"),
    ("huge-max-calls", ["run", SCENARIO, "--max-calls", "99999999999999999999", "--out", "OUT", *DEAD], "--max-calls"),
    ("huge-max-tokens", ["run", SCENARIO, "--max-tokens", "99999999999999999999", "--out", "OUT", *DEAD],
     "--max-tokens"),
    ("batch-huge-dialogues", ["batch", "SWEEP", "--out", "OUT", "-n", "99999999999999999999"], "--dialogues"),
    ("batch-huge-workers", ["batch", "SWEEP", "--out", "OUT", "-x", "processes", "--workers", "99999999"], "--workers"),
    ("batch-huge-shard-size", ["batch", "SWEEP", "--out", "OUT", "--shard-size", "99999999999"], "--shard-size"),
    ("batch-huge-concurrency", ["batch", "SWEEP", "--out", "OUT", "-c", "99999999999"], "--concurrency"),
    ("sweep-file-dialogues", ["batch", "SWEEP_HUGE_N", "--out", "OUT"], "dialogues"),
    ("sweep-file-grid", ["batch", "SWEEP_HUGE_GRID", "--out", "OUT"], "cells"),
    ("sweep-file-seed", ["batch", "SWEEP_NEG_SEED", "--out", "OUT"], "seed -1"),
    # seeds, --out, the cache
    ("negative-seed", ["run", SCENARIO, "--seed", "-1", "--out", "OUT", *DEAD], "--seed"),
    ("seed-2-to-63", ["run", SCENARIO, "--seed", str(2**63), "--out", "OUT", *DEAD], "--seed"),
    ("out-is-a-file", ["run", SCENARIO, "--out", "AFILE", *DEAD], "is a file"),
    ("batch-out-is-a-file", ["batch", "SWEEP", "--out", "AFILE"], "is a file"),
    ("cache-under-a-file", ["run", SCENARIO, "--cache", "/dev/null/llm.sqlite", "--out", "OUT", *DEAD],
     "cache /dev/null/llm.sqlite"),
    ("cache-in-proc", ["run", SCENARIO, "--cache", "/proc/simsocial/llm.sqlite", "--out", "OUT", *DEAD],
     "cache /proc/simsocial/llm.sqlite"),
    ("cache-is-a-dir", ["run", SCENARIO, "--cache", "EMPTY", "--out", "OUT", *DEAD], "is a directory"),
    ("batch-cache-under-a-file", ["batch", "SWEEP", "--out", "OUT", "--cache", "/dev/null/llm.sqlite"],
     "cache /dev/null/llm.sqlite"),
    # persona CSVs (the food bank scenario, its CSV replaced)
    ("persona-csv-missing", ["run", "PERSONAS_MISSING", "--out", "OUT", *DEAD], "persona CSV not found"),
    ("persona-csv-empty", ["run", "PERSONAS_EMPTY", "--out", "OUT", *DEAD], "is empty"),
    ("persona-csv-header-only", ["run", "PERSONAS_HEADER", "--out", "OUT", *DEAD], "no rows"),
    ("persona-csv-binary", ["run", "PERSONAS_BINARY", "--out", "OUT", *DEAD], "is binary"),
    ("persona-csv-quoting", ["run", "PERSONAS_QUOTING", "--out", "OUT", *DEAD], "quoting"),
    ("persona-csv-no-column", ["run", "PERSONAS_NO_COLUMN", "--out", "OUT", *DEAD], "no column 'persona'"),
    ("persona-csv-unknown-column", ["run", "PERSONAS_UNKNOWN", "--out", "OUT", *DEAD], "unknown column(s) colour"),
    ("batch-persona-csv", ["batch", "SWEEP_PERSONAS", "--out", "OUT"], "unknown column(s) colour"),
    # compare
    ("compare-other-payment", ["compare", "FOOD_RUN", "--out", "OUT"], "--scale share"),
    ("compare-interrupted", ["compare", "INTERRUPTED", "--out", "OUT"], "interrupted run"),
    ("compare-negative-seed", ["compare", "RUN", "--out", "OUT", "--seed", "-1"], "--seed"),
    ("compare-huge-resamples", ["compare", "RUN", "--out", "OUT", "--resamples", "99999999999"], "--resamples"),
]  # fmt: skip

PERSONA_CSVS = {  # name -> bytes of the food bank scenario's persona CSV (None: no file)
    "MISSING": None,
    "EMPTY": b"",
    "HEADER": b"persona_id,persona\n",
    "BINARY": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 4,
    "QUOTING": b'persona_id,persona\ns01,"You are a student\ns02,x\n',
    "NO_COLUMN": b"persona_id,bio\ns01,You are a student.\n",
    "UNKNOWN": b"persona_id,persona,colour\ns01,You are a student.,blue\n",
}


def _fixtures(tmp_path: Path) -> dict[str, Path]:
    """The files the cases name: runs, sweeps, scenarios with bad persona CSVs, an interrupted run."""
    run = write_synthetic_run(tmp_path / "run")
    (tmp_path / "empty").mkdir()
    (tmp_path / "broken.yaml").write_text("task: [\n")
    (tmp_path / "a-file").write_text("not a directory\n")
    sweeps = {"SWEEP": "dialogues: 1\n", "SWEEP_HUGE_N": "dialogues: 99999999999\n",
              "SWEEP_HUGE_GRID": f"dialogues: 1\nseeds: {list(range(20_001))}\n",
              "SWEEP_NEG_SEED": "dialogues: 1\nseeds: [-1]\n"}  # fmt: skip
    names = {"RUN": run, "OUT": tmp_path / "out", "EMPTY": tmp_path / "empty", "BROKEN": tmp_path / "broken.yaml",
             "AFILE": tmp_path / "a-file"}  # fmt: skip
    for name, body in sweeps.items():
        names[name] = tmp_path / f"{name.lower()}.yaml"
        names[name].write_text(f"name: s\nscenario: {SCENARIO}\nmethods: [direct]\n{body}")
    food_bank = FOOD_BANK_SCENARIO.read_text()
    for name, content in PERSONA_CSVS.items():
        csv = tmp_path / f"personas-{name.lower()}.csv"
        if content is not None:
            csv.write_bytes(content)
        names[f"PERSONAS_{name}"] = tmp_path / f"food-bank-{name.lower()}.yaml"
        names[f"PERSONAS_{name}"].write_text(food_bank.replace("path: personas/students.csv", f"path: {csv}"))
    names["SWEEP_PERSONAS"] = tmp_path / "sweep-personas.yaml"
    names["SWEEP_PERSONAS"].write_text(f"name: s\nscenario: {names['PERSONAS_UNKNOWN']}\nmethods: [direct]\n")
    names["FOOD_RUN"] = write_food_bank_run(tmp_path / "food-run")
    interrupted = tmp_path / "interrupted"
    (interrupted / "shards").mkdir(parents=True)
    (interrupted / "fingerprint.json").write_text('{"version": 1, "settings": {}}')
    names["INTERRUPTED"] = interrupted
    return names


@pytest.mark.parametrize(("argv", "names"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_one_clear_error(tmp_path: Path, argv: list, names: str) -> None:
    names_for = _fixtures(tmp_path)
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))

    result = simsocial(*[names_for.get(a, a) if isinstance(a, str) else a for a in argv], cwd=tmp_path, timeout=60)

    assert result.code == 2, result.output
    assert "Traceback" not in result.output and "please report it" not in result.output
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
    """Each option's row of click's plain help, its wrapped lines joined: ``{"--name": "-n, --name <int> ..."}``."""
    rows: dict[str, str] = {}
    current = None
    for line in help_text.splitlines():
        cell = line.strip()
        if line.startswith("  -") and not line.startswith("   "):  # an option's first line
            current = next(word.rstrip(",") for word in cell.split() if word.startswith("--"))
            rows[current] = cell
        elif current is not None and cell and line.startswith("   "):  # its help, wrapped
            rows[current] += " " + cell
        else:
            current = None  # the list ended (or a section title)
    return {name: " ".join(row.split()) for name, row in rows.items()}


@pytest.mark.parametrize("command", ["run", "batch", "compare", "human", "serve-local"])
def test_help_shows_defaults_and_no_bool_values(tmp_path: Path, command: str) -> None:
    from simsocial.cli.main import load_command  # commands load on first use (simsocial --help stays quick)

    result = simsocial(command, "--help", cwd=tmp_path)
    assert result.code == 0
    assert "<bool>" not in result.stdout
    click_command = load_command(command)
    options = [p for p in click_command.params if p.param_type_name == "option" and not p.hidden]
    segments = _option_rows(result.stdout)
    shown = 0
    for param in options:
        name, default = max(param.opts, key=len), param.default
        written = WRITTEN_DEFAULTS.get(command, {})
        if name in written or default is None or isinstance(default, bool) or callable(default):
            continue  # a hand-written default is checked below; None and on/off flags have no value to show
        value = getattr(default, "value", default)  # an Enum shows its value
        # click adds an int range's bounds after the default: "[default: 4; 1<=x<=1000000]"
        assert re.search(rf"\[default: {re.escape(str(value))}[];]", segments[name]), (name, segments[name])
        shown += 1
    for name, wording in WRITTEN_DEFAULTS.get(command, {}).items():
        assert f"[default: {wording}]" in segments[name], (name, segments[name])
    assert shown + len(WRITTEN_DEFAULTS.get(command, {})) >= 2  # every command has defaults to show


def test_version(tmp_path: Path) -> None:
    from simsocial import __version__

    result = simsocial("--version", cwd=tmp_path)
    assert (result.code, result.stdout.strip()) == (0, f"simsocial {__version__}")
