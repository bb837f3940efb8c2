"""The analysis notebook runs end to end against a run directory (here: the synthetic one the tests build)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from synthetic_run import write_synthetic_run

from simsocial.metrics.human_reference import human_reference

NOTEBOOK = Path(__file__).resolve().parents[1] / "analysis" / "persuasion_vs_human.ipynb"


@pytest.mark.slow
def test_notebook_executes_on_a_run_directory(tmp_path, monkeypatch):
    run_dir = write_synthetic_run(tmp_path / "run")
    # The kernel inherits this process's environment: point the notebook at the synthetic run.
    monkeypatch.setenv("SIMSOCIAL_RUN_DIR", str(run_dir))
    monkeypatch.setenv("SIMSOCIAL_N_RESAMPLES", "200")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK.parent)}}
    ).execute()

    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = "\n".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", "")) for o in outputs)
    assert "synthetic-run: 14 dialogues" in text
    assert "vs_standard" in text
    # the four comparison figures and the two forest plots of the validity cell (trait and strategy effects)
    assert sum("image/png" in o.get("data", {}) for o in outputs) == 6
    assert "sign agreement [95% CI]" in text and "not detectable" in text


README = NOTEBOOK.parents[1] / "README.md"


def _readme_headless_command() -> str:
    """The README's headless notebook command, as written (the line that calls jupyter-execute)."""
    section = README.read_text().split("### The analysis notebook on any run", 1)[1]
    block = section.split("```bash", 1)[1].split("```", 1)[0]
    (line,) = [line for line in block.splitlines() if "jupyter-execute" in line and not line.startswith("#")]
    return line


@pytest.mark.slow
def test_the_readme_notebook_command_runs_as_written_and_matches_compare(tmp_path):
    repo = NOTEBOOK.parents[1]
    # A checkout's layout: the notebook folder copied (jupyter-execute writes relative to it), the venv and
    # scenarios linked, and a run where the README's command expects one.
    shutil.copytree(repo / "analysis", tmp_path / "analysis")
    for name in ("scenarios", ".venv"):
        (tmp_path / name).symlink_to(repo / name)
    run_dir = write_synthetic_run(tmp_path / "outputs" / "demo")
    env = {**os.environ, "SIMSOCIAL_N_RESAMPLES": "200"}  # quicker intervals; the human sample must not care
    done = subprocess.run(["bash", "-c", _readme_headless_command()], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]

    saved = nbformat.read(run_dir / "analysis.ipynb", as_version=4)  # saved beside the run, with its results
    outputs = [o for cell in saved.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert sum("image/png" in o.get("data", {}) for o in outputs) == 6  # with the validity cell's two

    # The human distinct-n figures are compare's (run with its default resamples, not the notebook's).
    compare = subprocess.run([str(repo / ".venv" / "bin" / "simsocial"), "compare", str(run_dir), "--format", "json"],
                             cwd=tmp_path, capture_output=True, text=True, timeout=600)  # fmt: skip
    assert compare.returncode == 0, compare.stderr[-3000:]
    rows = json.loads(compare.stdout)
    language = next(o for o in outputs if "human_distinct_2" in o.get("data", {}).get("text/plain", ""))
    shown = language["data"]["text/plain"]
    assert f"{human_reference().distinct[2]:.3f}" in shown  # the human row: compare's human column
    for row in rows:
        assert f"{row['human_distinct_2']:.3f}" in shown, (row["method"], shown)
