"""``simsocial campaign``: a persuasion campaign spreading over a social network, round by round.

Everything is checked before the first call (the scenario and its campaign section, the methods and knobs,
``--out``, and that ``--out`` holds nothing or the same campaign); the same command resumes a killed
campaign at its last finished round, and a larger ``--rounds`` extends a finished one.  Exit codes as
``simsocial run`` (:mod:`simsocial.cli.outcome`).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from simsocial.bounds import MAX_CALLS, MAX_TOKENS
from simsocial.cli.options import (
    BaseUrl,
    CachePath,
    Concurrency,
    Gguf,
    K,
    ModelName,
    NoCache,
    Quiet,
    SelectionOpt,
    Structured,
    StructuredOutput,
    TailThreshold,
    Temperature,
    Turns,
    ensure_writable_dir,
    knob_overrides,
    llm_settings,
)
from simsocial.cli.outcome import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_USAGE, fail, failure_report
from simsocial.llm.budget import Budget
from simsocial.llm.errors import FatalLLMError, LLMError
from simsocial.llm.factory import DEFAULT_CACHE_PATH

SERVER_LOG = "llama-server.log"
console = Console(width=None if Console().is_terminal else 140)
err = Console(stderr=True, soft_wrap=True)


def campaign(
    scenario: Annotated[Path, typer.Argument(help="Campaign scenario YAML, e.g. scenarios/campaign_small_world.yaml.")],
    rounds: Annotated[
        int | None,
        typer.Option(
            "--rounds",
            "-r",
            min=1,
            show_default=False,
            help="Rounds to run [default: the scenario's campaign.rounds]",
        ),
    ] = None,  # fmt: skip
    turns: Turns = None,
    method: Annotated[
        list[str] | None,
        typer.Option(
            "--method",
            "-m",
            show_default=False,
            help="Method for every role or per role, as in run; repeat to run one campaign per method on "
            "the same network, seeds and people. [default: the scenario's methods]",
        ),
    ] = None,  # fmt: skip
    k: K = None,
    tail_threshold: TailThreshold = None,
    selection: SelectionOpt = None,
    temperature: Temperature = None,
    seed: Annotated[
        list[int] | None,
        typer.Option(
            "--seed",
            show_default=False,
            help="Campaign seed (network, first advocates, people, draws); repeat for several campaigns "
            "per method (compare's intervals are over seeds). [default: 0]",
        ),
    ] = None,  # fmt: skip
    out: Annotated[
        Path | None, typer.Option(help="Run directory [default: outputs/<scenario>-<time>]", show_default=False)
    ] = None,
    base_url: BaseUrl = None,
    model: ModelName = None,
    gguf: Gguf = None,
    concurrency: Concurrency = 16,
    cache: CachePath = DEFAULT_CACHE_PATH,
    no_cache: NoCache = False,
    structured_output: Structured = StructuredOutput.auto,
    quiet: Quiet = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", metavar="", help="Print an upper bound on dialogues and calls; call nothing.")
    ] = False,
    max_calls: Annotated[
        int | None,
        typer.Option(
            "--max-calls",
            min=1,
            max=MAX_CALLS,
            help="Start no round whose calls to the endpoint could "
            "exceed this (cached answers are free); finished rounds are kept, the campaign is marked "
            "incomplete, and the same command continues it.",
        ),
    ] = None,  # fmt: skip
    max_tokens: Annotated[
        int | None,
        typer.Option(
            "--max-tokens",
            min=1,
            max=MAX_TOKENS,
            help="Same for prompt + completion tokens (cached answers cost nothing).",
        ),
    ] = None,  # fmt: skip
) -> None:
    """Run a word-of-mouth persuasion campaign on a social network: each round every advocate talks with
    friends who have not adopted (VS-sampled dialogues, all of a round concurrently); those who give at
    least adopt_at advocate from the next round.  Writes network.parquet, rounds.parquet, run.json and
    dialogues/turns/candidates.parquet (with round, advocate, target).

    Exit status: 0 all dialogues finished, 2 bad input, 3 some dialogues failed, 4 all failed, 1 other error,
    5 stopped by --max-calls/--max-tokens, 130 interrupted (finished rounds are kept; the same command
    resumes).
    """
    from simsocial.campaign.config import load_campaign
    from simsocial.campaign.network import build_graph, choose_seeds
    from simsocial.rundir.fingerprint import RunMismatchError
    from simsocial.sim import ScenarioError, parse_condition, scenario_condition
    from simsocial.sim.knobs import apply_knobs

    seeds = sorted(set(seed or [0]))
    try:
        spec = load_campaign(scenario, max_turns=turns)
        peer = spec.peer_scenario
        knobs = knob_overrides(k, tail_threshold, selection, temperature)
        base = [parse_condition(m, peer) for m in method] if method else [scenario_condition(peer)]
        conditions = [apply_knobs(c, **knobs) for c in base]
        for s in seeds:  # an edge list that cannot be read, seeds that are not nodes: refused before any call
            choose_seeds(build_graph(spec.campaign.network, s), spec.campaign.seeds, s)
    except (ScenarioError, ValueError, FileNotFoundError) as exc:
        fail(err, str(exc))
    n_rounds = rounds or spec.campaign.rounds
    if dry_run:
        console.print(_bound_table(spec, conditions, seeds, n_rounds))
        return
    out = out or Path("outputs") / f"{spec.name}-{datetime.now():%Y%m%d-%H%M%S}"
    settings = llm_settings(base_url, model, gguf, concurrency, cache, no_cache, structured_output,
                            server_log=out.absolute() / SERVER_LOG)  # fmt: skip
    fresh = not out.exists() or not any(out.iterdir())
    ensure_writable_dir(out)
    labels = escape(", ".join(c.label for c in conditions))
    net = spec.campaign.network
    err.print(f"[bold]{escape(spec.name)}[/]: {net.generator} network, {n_rounds} round(s) × \\[{labels}], "
              f"{spec.scenario.turns.max_turns} turns, seed(s) {', '.join(map(str, seeds))}")  # fmt: skip
    budget = Budget(max_calls, max_tokens)
    result = _run(spec, conditions, seeds, n_rounds, out, settings, concurrency, scenario, quiet, RunMismatchError,
                  fresh, budget)  # fmt: skip
    from simsocial.campaign.report import summary_table

    if result.manifest.get("already_complete"):
        err.print(f"{escape(str(out))} already holds all {n_rounds} round(s); nothing to do.")

    console.print(summary_table(out))
    usage = result.manifest["usage"]
    console.print(f"{usage['calls']} LLM calls ({usage['cache_hits']} from cache), {usage['completion_tokens']} "
                  f"completion tokens, {usage['retries']} retries, "
                  f"wall time {result.manifest['wall_time_s']:.1f}s")  # fmt: skip
    console.print(f"results: [bold]{escape(str(out))}[/] (run.json, network.parquet, rounds.parquet, "
                  "dialogues.parquet, turns.parquet, candidates.parquet)")  # fmt: skip
    failures = failure_report([out])
    if failures.exit_code:
        for line in failures.lines():
            err.print(f"[red]{escape(line)}[/]", soft_wrap=True)
        raise typer.Exit(failures.exit_code)
    if result.budget_stopped:
        from simsocial.campaign.budget import EXIT_BUDGET

        err.print(escape(_budget_stop(result, budget, out)), soft_wrap=True)
        raise typer.Exit(EXIT_BUDGET)
    console.print(f"adoption curves and the network: simsocial compare {escape(str(out))}")


def _run(spec, conditions, seeds, n_rounds, out, settings, concurrency, scenario, quiet, mismatch, fresh, budget):  # type: ignore[no-untyped-def]
    from simsocial.campaign.model import CampaignMismatchError
    from simsocial.campaign.runner import run_campaign

    def report(seed: int, model) -> None:  # type: ignore[no-untyped-def]
        if quiet:
            return
        n = model.graph.number_of_nodes()
        parts = [f"{label} {len(d.advocates())}/{n}" for label, d in model.diffusions.items()]
        err.print(f"seed {seed} · round {model.round}: adopted {escape(', '.join(parts))}")

    try:
        result = run_campaign(spec, conditions, seeds, n_rounds, out, settings, max_active=concurrency,
                              scenario_path=str(scenario), on_round=report, show_progress=not quiet,
                              budget=budget)  # fmt: skip
    except mismatch as exc:
        fail(err, str(exc), EXIT_USAGE)
    except KeyboardInterrupt:
        err.print(f"\n[yellow]interrupted[/]: finished rounds are saved in {escape(str(out))}; run the same command "
                  "again to resume.")  # fmt: skip
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except (FatalLLMError, LLMError) as exc:
        if fresh and _discard_unstarted(out):
            fail(err, f"{exc}\nno round was played; {out} was removed.", EXIT_ERROR)
        fail(err, f"{exc}\nfinished rounds are saved in {out}; fix the cause and run the same command again.",
             EXIT_ERROR)  # fmt: skip
    except CampaignMismatchError as exc:  # a directory whose rounds this campaign would not have played
        fail(err, f"{exc}\nNothing was changed. Use a new --out.", EXIT_USAGE)
    if result.replayed_rounds:  # said even with --quiet: the run did not start from scratch
        err.print(f"resumed {escape(str(out))}: {result.replayed_rounds} finished round(s) on disk were replayed "
                  "without a call")  # fmt: skip
    return result


def _budget_stop(result, budget: Budget, out: Path) -> str:  # type: ignore[no-untyped-def]
    """What a campaign stopped by its budget tells the user: where it stopped, what was spent, how to go on."""
    import shlex
    import sys

    usage = result.manifest["usage"]
    rounds = len(result.rounds[["seed", "round"]].drop_duplicates()) if len(result.rounds) else 0
    again = shlex.join(["simsocial", *sys.argv[1:]] + ([] if "--out" in sys.argv else ["--out", str(out)]))
    return (
        f"budget reached ({budget.describe()}): the next round would not fit, so it was not started; {rounds} "
        f"finished round(s) are saved in {out} ({usage['endpoint_calls']} calls, "
        f"{usage['prompt_tokens'] + usage['completion_tokens']} tokens spent; {usage['cache_hits']} answer(s) from "
        f"the cache, free). The campaign is marked incomplete. Continue with a budget for the rest (finished "
        f"rounds replay without a call):\n  {again}"
    )


def _discard_unstarted(out: Path) -> bool:
    """Remove a campaign directory that holds no round yet (only its fingerprint); True if removed."""
    import shutil

    shards = out / "shards"
    if {p.name for p in out.iterdir()} - {"fingerprint.json", "shards", "progress.json"}:
        return False
    if shards.is_dir() and any(shards.iterdir()):
        return False
    shutil.rmtree(out)
    return True


def _bound_table(spec, conditions, seeds, n_rounds):  # type: ignore[no-untyped-def]
    from rich.table import Table

    from simsocial.campaign.estimate import dialogue_bound
    from simsocial.campaign.network import build_graph, choose_seeds
    from simsocial.sim.progress import expected_calls

    table = Table(title=f"at most, over {len(seeds)} seed(s) and {n_rounds} round(s) (nothing was called)")
    for header in ("method", "dialogues", "LLM calls"):
        table.add_column(header, justify="left" if header == "method" else "right")
    dialogues = 0
    for s in seeds:
        graph = build_graph(spec.campaign.network, s)
        seed_nodes = choose_seeds(graph, spec.campaign.seeds, s)
        dialogues += dialogue_bound(graph, seed_nodes, spec.campaign.contacts_per_round, n_rounds)
    for condition in conditions:
        calls, _ = expected_calls([condition], spec.scenario.turns.max_exchanges)
        table.add_row(escape(condition.label), f"{dialogues:,}", f"{round(dialogues * calls):,}")
    return table


def register(app: typer.Typer) -> None:
    app.command("campaign")(campaign)
