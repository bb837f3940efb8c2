"""``simsocial run``: simulate a scenario, write the run directory, print a per-method table."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

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
from simsocial.llm.errors import LLMError
from simsocial.llm.factory import DEFAULT_CACHE_PATH
from simsocial.sim import ScenarioError, load_scenario, parse_condition, run_simulation, scenario_condition

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
    top_p: Annotated[float | None, typer.Option("--top-p", help="Nucleus sampling top_p sent with every call.")] = None,
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
    persuader_base_url: Annotated[
        str | None, typer.Option(help="The persuader's own OpenAI-compatible endpoint (default: --base-url).")
    ] = None,
    persuader_model: Annotated[str | None, typer.Option(help="Model name at --persuader-base-url.")] = None,
    persuader_api_key_env: Annotated[
        str | None, typer.Option(help="Environment variable holding the persuader's key (default OPENAI_API_KEY).")
    ] = None,
) -> None:
    """Simulate persuasion dialogues in which every utterance and the donation are sampled from
    LLM-verbalized distributions, and write run.json + dialogues/turns/candidates.parquet."""
    try:
        spec = load_scenario(scenario)
        if turns is not None:
            spec = spec.model_copy(update={"turns": spec.turns.model_copy(update={"max_turns": turns})})
        knobs = {"k": k, "tail_threshold": tail_threshold, "selection": selection, "temperature": temperature,
                 "top_p": top_p}  # fmt: skip
        conditions = [parse_condition(m, spec, **knobs) for m in method] if method else [scenario_condition(spec)]
    except (ScenarioError, ValueError) as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from None
    settings = llm_settings(base_url, model, gguf, concurrency, cache, no_cache, structured_output)
    persuader_settings = None
    if persuader_base_url or persuader_model:
        if not (persuader_base_url and persuader_model):
            raise typer.BadParameter(
                "--persuader-base-url and --persuader-model go together", param_hint="--persuader-model"
            )
        from simsocial.llm.roles import RoleEndpoint, role_settings

        endpoint = RoleEndpoint(base_url=persuader_base_url, model=persuader_model, api_key_env=persuader_api_key_env)
        persuader_settings = role_settings(settings, endpoint)
    out = out or Path("outputs") / f"{spec.name}-{datetime.now():%Y%m%d-%H%M%S}"
    labels = escape(", ".join(c.label for c in conditions))
    err.print(
        f"[bold]{spec.name}[/]: {dialogues} dialogue(s) × \\[{labels}], {spec.turns.max_turns} turns, seed {seed}"
    )
    try:
        result = run_simulation(spec, conditions, dialogues, seed, out, settings, max_active=concurrency,
                                scenario_path=str(scenario), show_progress=not quiet,
                                persuader_settings=persuader_settings)  # fmt: skip
    except KeyboardInterrupt:
        err.print(f"\n[yellow]interrupted[/]: finished dialogues are saved in {out}/shards; "
                  "run the same command again to resume.")  # fmt: skip
        raise typer.Exit(130) from None
    except LLMError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from None
    console.print(summary_table(result.summary))
    usage = result.manifest["usage"]
    console.print(
        f"{usage['calls']} LLM calls ({usage['cache_hits']} from cache), "
        f"{usage['completion_tokens']} completion tokens, {usage['retries']} retries, "
        f"wall time {result.manifest['wall_time_s']:.1f}s"
    )
    console.print(f"results: [bold]{out}[/] (run.json, dialogues.parquet, turns.parquet, candidates.parquet)")
    console.print(f"compare with the human study: simsocial compare {out}")


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
