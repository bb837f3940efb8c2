"""Issue 11 at sweep scale, through the real CLI against a real OpenAI-compatible server on 127.0.0.1:
``batch --turns`` and its closing per-cell table, then ``compare`` and the HTML report it writes (short
unique labels, header facts, small-n warnings, the size-matched human distinct-2, a diversity note that
names a column that exists)."""

from __future__ import annotations

import csv
import html
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_helpers import SCENARIO, simsocial
from fault_server import FaultServer
from net_helpers import dead_base_url


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str, object]]:
    root = tmp_path_factory.mktemp("sweep")
    with FaultServer(schema_answers=True) as server:
        (root / "four.yaml").write_text(
            f"name: four\nscenario: {SCENARIO}\n"
            "methods:\n  - direct\n  - {method: sequence, k: 5}\n"
            "  - {method: vs_standard, k: null, selection: uniform}\n"
            "  - {method: vs_standard, k: 5, selection: probability}\n"
            f"endpoints:\n  - {{base_url: '{server.base_url}', model: fake}}\n"
            "seeds: [0]\ndialogues: 2\nturns: 10\n"
        )
        result = simsocial("batch", "four.yaml", "--out", "out", "--turns", "1", "--no-cache", "-q", cwd=root)
        yield root / "out", server.base_url, result


def test_batch_turns_and_closing_table(sweep_dir) -> None:
    out, _, result = sweep_dir
    assert result.code == 0, result.output
    manifests = [json.loads(p.read_text()) for p in sorted(out.glob("cells/*/run.json"))]
    assert len(manifests) == 4
    assert {m["settings"]["max_turns"] for m in manifests} == {1}
    table = result.stdout
    for header in ("mean $", "gave $0", "KS (p)", "mind changes", "failed"):
        assert header in table
    assert "vs_standard[k=model,uniform]" in table  # escaped: not swallowed as rich markup
    assert "compare with the human study" in table


def test_compare_report_reads_at_sweep_scale(sweep_dir) -> None:
    out, base_url, _ = sweep_dir
    result = simsocial("compare", out, "--resamples", "100", cwd=out.parent)
    assert result.code == 0, result.output
    assert result.stderr.count("< 30; intervals are wide") == 4  # n = 2 per cell: warned in the CLI...
    assert "2 (small n)" in result.stdout  # ...and in its table

    page = (out / "compare" / "report.html").read_text()
    text = html.unescape(re.sub(r"<[^>]+>", " ", page))
    for fact in ("persuasion_for_good", "fake", base_url, "8 in 4 run(s)"):
        assert fact in text
    assert re.search(r"turns\s+1\b", text)
    assert re.search(r"date\s+\d{4}-\d{2}-\d{2}", text)
    assert text.count("< 30; intervals are wide") == 4  # ...and in the report

    labels = re.findall(r'<td class="col">([^<]*)</td>', page)
    assert labels[1:] == ["direct", "sequence", "vs_standard[k=model,uniform]", "vs_standard"]
    assert len(set(labels)) == len(labels)
    assert '<div class="scroll">' in page

    assert "distinct-2 (size-matched human)" in page
    assert "(…) in each column" in page
    with open(out / "compare" / "comparison.csv") as f:
        assert "diversity" in next(csv.reader(f))  # the column the diversity note names exists
    assert "the <code>diversity</code> column of <code>comparison.csv</code>" in page


def _run_json(path: Path, model: str, seed: int, temperature: float = 0.7) -> Path:
    path.mkdir(parents=True)
    manifest = {"run_id": path.name, "model": {"model": model}, "settings": {"seed": seed},
                "conditions": [{"label": "direct", "persuadee": {"temperature": temperature}}]}  # fmt: skip
    (path / "run.json").write_text(json.dumps(manifest))
    return path


def test_short_labels_add_only_what_differs_and_never_collide(tmp_path: Path) -> None:
    from simsocial.report.context import short_labels

    a = _run_json(tmp_path / "cells" / "a-1", "gpt", 0)
    b = _run_json(tmp_path / "cells" / "b-2", "llama", 0)
    c = _run_json(tmp_path / "cells" / "c-3", "llama", 1)
    d = _run_json(tmp_path / "cells" / "d-4", "llama", 1)  # a repeat of c
    runs = [a, b, c, d]
    columns = [(f"cells/{p.name}", "direct") for p in runs]
    labels = short_labels(columns, runs)
    assert labels == ["direct · gpt · seed 0", "direct · llama · seed 0", "direct · llama · seed 1 (c-3)",
                      "direct · llama · seed 1 (d-4)"]  # fmt: skip
    assert short_labels(columns[:1], runs[:1]) == ["direct"]


def test_batch_on_a_dead_endpoint_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "dead.yaml").write_text(
        f"name: dead\nscenario: {SCENARIO}\nmethods: [direct]\n"
        f"endpoints:\n  - {{base_url: '{dead_base_url()}', model: fake}}\ndialogues: 1\nturns: 1\n"
    )
    result = simsocial("batch", "dead.yaml", "--out", "out", "--no-cache", "-q", cwd=tmp_path)
    assert result.code == 1, result.output
    assert "Traceback" not in result.output
    assert dead_base_url() in result.stderr
    assert "0 of 1 dialogue(s) are saved" in result.stderr.strip().splitlines()[-1]
    assert "compare with the human study" not in result.stdout


def test_batch_with_failed_dialogues_exits_4(tmp_path: Path) -> None:
    with FaultServer(["ok", "400"], schema_answers=True) as fake:
        (tmp_path / "one.yaml").write_text(
            f"name: one\nscenario: {SCENARIO}\nmethods: [direct]\n"
            f"endpoints:\n  - {{base_url: '{fake.base_url}', model: fake, structured_output: json_schema}}\n"
            "dialogues: 1\nturns: 1\n"
        )
        result = simsocial("batch", "one.yaml", "--out", "out", "--no-cache", "-q", cwd=tmp_path)
    assert result.code == 4, result.output
    assert f"HTTP 400 rejected at {fake.base_url} after 1 attempt" in result.stderr.strip().splitlines()[-1]
