"""Issue 11: the progress line says something before the first dialogue finishes (calls, tokens, turns,
in flight, ETA), and a batch's cell label with brackets is shown literally, not eaten as rich markup."""

from __future__ import annotations

import re

from cli_helpers import SCENARIO

from simsocial.llm.stats import CallStats
from simsocial.sim.conditions import parse_condition
from simsocial.sim.progress import RunProgress, expected_calls
from simsocial.sim.scenario import load_scenario


def test_expected_calls_count_every_role_and_the_donation() -> None:
    scenario = load_scenario(SCENARIO)
    direct = parse_condition("direct", scenario)
    multi = parse_condition("vs_multi", scenario, k=4)  # 2 calls per choice
    assert expected_calls([direct], 3) == (3 * 2 + 1, 3)
    assert expected_calls([multi], 3) == (3 * 4 + 2, 3)


def test_the_line_moves_before_any_dialogue_finishes() -> None:
    stats = CallStats()
    bar = RunProgress(10, 0, stats, enabled=False, calls_per_dialogue=7, turns_per_dialogue=3, max_active=4)
    assert "eta …" in bar.live_text()
    stats.calls, stats.completion_tokens = 14, 1234  # two dialogues' worth of calls, none finished
    line = bar.live_text()
    assert bar.done == 0
    assert "turns ~6/30" in line
    assert "1,234 tok" in line
    assert "in flight 4" in line
    assert re.search(r"eta \d+:\d\d:\d\d", line)


def test_cell_labels_are_shown_literally() -> None:
    bar = RunProgress(4, 0, CallStats(), enabled=False, description="sweep")
    bar.set_description("cell 3/4 vs_standard[k=model,uniform]")
    task = bar._progress.tasks[0]
    rendered = bar._progress.columns[0].render(task)
    assert "vs_standard[k=model,uniform]" in rendered.plain
