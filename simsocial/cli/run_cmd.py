"""``simsocial run``: simulate a scenario, write the run directory, print a per-method table."""

from __future__ import annotations

import shlex
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from simsocial.batch.budget_run import EXIT_BUDGET, budget_message, estimate_table, run_estimates, run_with_budget
from simsocial.cli.budget_opts import DryRun, MaxCalls, MaxTokens, budget_of
from simsocial.cli.options import (
    BaseUrl,
    CachePath,
    Concurrency,
    Gguf,
    ModelName,
    NoCache,
    Structured,
    llm_settings,
)
from simsocial.llm.errors import FatalLLMError, LLMError
from simsocial.llm.factory import DEFAULT_CACHE_PATH
from simsocial.llm.stats import CallStats
from simsocial.report.transcript import render_transcript
from simsocial.sim import ScenarioError, load_scenario, parse_condition, scenario_condition

# Wide enough for the summary table when output is piped (rich assumes 80 columns off a terminal).
console = Console(width=None if Console().is_terminal else 140)
err = Console(stderr=True)


def run(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file, e.g. scenarios/persuasion_for_good.yaml.")],
    dialogues: Annotated[int, typer.Option("--dialogues", "-n", min=1, help="Dialogues per method.")] = 4,
    turns: Annotated[int | None, typer.Option("--turns", "-t", min=1, help="Turns per dialogue.")] = None,
    method: Annotated[
        list[str] | None,
        typer.Option(
            "--method",
            "-m",
            help="Method for every role (direct, sequence, multi_turn, vs_standard, "
            "vs_cot, vs_multi) or per role: 'persuader=direct,persuadee=vs_standard'. Repeat to compare "
            "conditions in one run. Default: the scenario's methods.",
        ),
    ] = None,
    k: Annotated[int | None, typer.Option(help="Candidates per VS call (overrides the scenario).")] = None,
    tail_threshold: Annotated[float | None, typer.Option(help="VS tail: 'each probability below p'.")] = None,
    selection: Annotated[str | None, typer.Option(help="probability | uniform")] = None,
    temperature: Annotated[float | None, typer.Option(help="Sampling temperature sent with every call.")] = None,
    seed: Annotated[int, typer.Option(help="Run seed: same seed + cache = identical results.")] = 0,
    out: Annotated[Path | None, typer.Option(help="Run directory (default: outputs/<scenario>-<time>).")] = None,
    base_url: BaseUrl = None,
    model: ModelName = None,
    gguf: Gguf = None,
    concurrency: Concurrency = 16,
    cache: CachePath = DEFAULT_CACHE_PATH,
    no_cache: NoCache = False,
    structured_output: Structured = "auto",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    show_transcript: Annotated[
        bool, typer.Option("--transcript/--no-transcript", help="Print one sampled dialogue after the table.")
    ] = True,
    dry_run: DryRun = False,
    max_calls: MaxCalls = None,
    max_tokens: MaxTokens = None,
) -> None:
    """Simulate persuasion dialogues in which every utterance and the donation are sampled from
    LLM-verbalized distributions, and write run.json + dialogues/turns/candidates.parquet."""
    try:
        spec = load_scenario(scenario)
        if turns is not None:
            spec = spec.model_copy(update={"turns": spec.turns.model_copy(update={"max_turns": turns})})
        knobs = {"k": k, "tail_threshold": tail_threshold, "selection": selection, "temperature": temperature}
        conditions = [parse_condition(m, spec, **knobs) for m in method] if method else [scenario_condition(spec)]
    except (ScenarioError, ValueError) as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from None
    settings = llm_settings(base_url, model, gguf, concurrency, cache, no_cache, structured_output)
    if dry_run:
        console.print(estimate_table(run_estimates(spec, conditions, dialogues, base_url or "embedded")))
        return
    out = out or Path("outputs") / f"{spec.name}-{datetime.now():%Y%m%d-%H%M%S}"
    labels = escape(", ".join(c.label for c in conditions))
    err.print(
        f"[bold]{spec.name}[/]: {dialogues} dialogue(s) × \\[{labels}], {spec.turns.max_turns} turns, seed {seed}"
    )
    try:
        budgeted = run_with_budget(spec, conditions, dialogues, seed, out, settings, max_active=concurrency,
                                   scenario_path=str(scenario), show_progress=not quiet,
                                   budget=budget_of(max_calls, max_tokens))  # fmt: skip
        result = budgeted.result
    except KeyboardInterrupt:
        err.print(f"\n[yellow]interrupted[/]: finished dialogues are saved in {out}/shards; "
                  "run the same command again to resume.")  # fmt: skip
        raise typer.Exit(130) from None
    except FatalLLMError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        err.print(f"finished dialogues are saved in {out}; fix the cause and run the same command again to resume.")
        raise typer.Exit(1) from None
    except LLMError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(1) from None
    console.print(summary_table(result.summary))
    if show_transcript and (panel := render_transcript(out)) is not None:
        console.print(panel)
    usage = result.manifest["usage"]
    console.print(
        f"{usage['calls']} LLM calls ({usage['cache_hits']} from cache), "
        f"{usage['completion_tokens']} completion tokens, {usage['retries']} retries, "
        f"wall time {result.manifest['wall_time_s']:.1f}s"
    )
    console.print(f"results: [bold]{out}[/] (run.json, dialogues.parquet, turns.parquet, candidates.parquet)")
    console.print(f"compare with the human study: simsocial compare {out}")
    if budgeted.incomplete:
        budget = budget_of(max_calls, max_tokens)
        assert budget is not None
        again = shlex.join(["simsocial", *sys.argv[1:]] + ([] if "--out" in sys.argv else ["--out", str(out)]))
        done = int(result.manifest["counts"]["dialogues"])
        stats = CallStats.from_dict(usage)
        err.print(escape(budget_message(budget, done, dialogues * len(conditions), stats, again)))
        raise typer.Exit(EXIT_BUDGET)


def summary_table(summary: pd.DataFrame) -> Table:
    table = Table(title="per method", show_lines=False)
    columns = [("method", "method", "{}"), ("dialogues", "dialogues", "{}"), ("ok", "ok", "{}"),
               ("mean_donation", "mean $", "{:.2f}"), ("share_zero", "gave $0", "{:.0%}"),
               ("mind_change_rate", "mind changes", "{:.0%}"), ("parse_repairs", "repairs", "{}"),
               ("parse_failures", "failures", "{}"), ("repaired_share", "choices repaired", "{:.0%}")]  # fmt: skip
    for _, header, _ in columns:
        table.add_column(header, justify="left" if header == "method" else "right")
    for _, row in summary.iterrows():
        table.add_row(*(fmt.format(row[col]) if pd.notna(row.get(col)) else "–" for col, _, fmt in columns))
    return table


def register(app: typer.Typer) -> None:
    app.command("run")(run)
