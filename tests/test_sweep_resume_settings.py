"""``batch --resume`` with a setting that is in each cell's fingerprint but not in its id stops the sweep.

``--structured-output`` changes how every cell's answers are asked for, so it is in each cell's
``fingerprint.json``; it is not in the cell ids, so the sweep's own cell check does not see it.  Such a
resume used to mark the cells ``failed`` one by one (or, when every cell was done, say nothing) while
cells not started yet would have run with the new setting.  Now it is one error, exit 2, naming the
setting old → new, before any call or write.  Through the real CLI against a real server on 127.0.0.1.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import SCENARIO, simsocial
from fault_server import FaultServer


def _snapshot(root: Path) -> dict[Path, tuple[bytes, int]]:
    return {p.relative_to(root): (p.read_bytes(), p.stat().st_mtime_ns) for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize("more", [False, True], ids=["cells-done", "cells-to-extend"])
def test_resume_with_another_structured_output_is_refused(tmp_path: Path, more: bool) -> None:
    with FaultServer(schema_answers=True) as server:
        (tmp_path / "sweep.yaml").write_text(
            f"name: dialect\nscenario: {SCENARIO}\nmethods: [direct, vs_standard]\n"
            f"endpoints:\n  - {{base_url: '{server.base_url}', model: fake}}\ndialogues: 1\nturns: 1\n"
        )
        batch = ["batch", "sweep.yaml", "--out", "out", "--no-cache", "-q"]
        first = simsocial(*batch, cwd=tmp_path)
        assert first.code == 0, first.output
        before, calls = _snapshot(tmp_path / "out"), len(server.requests)

        again = simsocial(*batch, "--resume", "--structured-output", "none", *(["-n", "2"] if more else []),
                          cwd=tmp_path)  # fmt: skip

        assert again.code == 2, again.output
        assert "Traceback" not in again.output
        assert "structured_output: auto → none" in again.stderr
        assert "other cell(s)" in again.stderr  # both cells were run with the first setting
        assert _snapshot(tmp_path / "out") == before  # sweep.json, sweep.parquet, every cell: untouched
        assert len(server.requests) == calls  # not even a pre-flight call
