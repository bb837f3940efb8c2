"""The analysis notebook runs end to end against a run directory (here: the synthetic one the tests build)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from synthetic_run import write_synthetic_run

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
