"""``simsocial run``: simulate a scenario, write the run directory, print a per-method table.

Everything the command line asks for is checked before the first call: the scenario, the knobs, that
``--out`` is writable, and that ``--out`` holds either nothing or the same run (see
:mod:`simsocial.rundir.fingerprint`).  Exit codes: :mod:`simsocial.cli.outcome`.
"""

from __future__ import annotations

import shlex
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from simsocial.batch.budget_run import EXIT_BUDGET, budget_message, estimate_table, run_estimates
from simsocial.bounds import MAX_DIALOGUES, check_total
from simsocial.cli.budget_opts import DryRun, MaxCalls, MaxTokens, budget_of
from simsocial.cli.options import (
    BaseUrl,
    CachePath,
    Concurrency,
    Gguf,
    K,
    ModelName,
    NoCache,
    PersuaderKeyEnv,
    PersuaderModelName,
    Quiet,
    Seed,
    SelectionOpt,
    Structured,
    StructuredOutput,
    TailThreshold,
    Temperature,
    Turns,
    check_cache,
    check_out_path,
    ensure_writable_dir,
    knob_overrides,
    llm_settings,
    persuader_endpoint,
)
from simsocial.cli.outcome import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_USAGE, fail, failure_report
from simsocial.cli.retry_opts import RetryFailed, retry_command, retry_hint
from simsocial.llm.errors import FatalLLMError, LLMError
from simsocial.llm.factory import DEFAULT_CACHE_PATH
from simsocial.llm.roles import check_role_key, role_settings
from simsocial.llm.stats import CallStats
from simsocial.run_lock import OutLockedError, hold_out_lock
from simsocial.rundir import RUN_COMPLETE, RunDir
from simsocial.rundir.fingerprint import RunMismatchError, settings_fingerprint
from simsocial.sim import ScenarioError, load_scenario, parse_condition, scenario_condition
from simsocial.sim.invariant import DialoguesLostError
from simsocial.sim.knobs import apply_knobs
from simsocial.sim.personas import check_persona_sources
from simsocial.sim.runner import run_simulation

if TYPE_CHECKING:
    import pandas as pd  # imported where used: a run reaches its first LLM call without it

SERVER_LOG = "llama-server.log"  # the embedded server's log, kept with the run it served
# Wide enough for the summary table when output is piped (rich assumes 80 columns off a terminal).
console = Console(width=None if Console().is_terminal else 140)
err = Console(stderr=True, soft_wrap=True)  # messages stay on one line, greppable in logs


def run(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file, e.g. scenarios/persuasion_for_good.yaml.")],
    dialogues: Annotated[
        int, typer.Option("--dialogues", "-n", min=1, max=MAX_DIALOGUES, help="Dialogues per method.")
    ] = 4,
    turns: Turns = None,
    method: Annotated[
        list[str] | None,
        typer.Option(
            "--method",
            "-m",
            help="Method for every role (direct, sequence, multi_turn, vs_standard, "
            "vs_cot, vs_multi) or per role: 'persuader=direct,persuadee=vs_standard'. Repeat to compare "
            "conditions in one run. [default: the scenario's methods]",
            show_default=False,
        ),
    ] = None,
    k: K = None,
    tail_threshold: TailThreshold = None,
    selection: SelectionOpt = None,
    temperature: Temperature = None,
    top_p: Annotated[
        float | None,
        typer.Option(
            "--top-p",
            min=0.0,
            max=1.0,
            help="Nucleus sampling top_p sent with every call [default: the scenario's, else the server's]",
            show_default=False,
        ),
    ] = None,
    seed: Seed = 0,
    out: Annotated[
        Path | None,
        typer.Option(help="Run directory [default: outputs/<scenario>-<time>]", show_default=False),
    ] = None,
    base_url: BaseUrl = None,
    model: ModelName = None,
    gguf: Gguf = None,
    concurrency: Concurrency = 16,
    cache: CachePath = DEFAULT_CACHE_PATH,
    no_cache: NoCache = False,
    structured_output: Structured = StructuredOutput.auto,
    quiet: Quiet = False,
    show_transcript: Annotated[
        bool,
        typer.Option("--transcript/--no-transcript", help="Print one sampled dialogue after the table.", metavar=""),
    ] = True,
    dry_run: DryRun = False,
    max_calls: MaxCalls = None,
    max_tokens: MaxTokens = None,
    persuader_base_url: Annotated[
        str | None,
        typer.Option(help="The persuader's own OpenAI-compatible endpoint [default: --base-url]", show_default=False),
    ] = None,
    persuader_model: PersuaderModelName = None,
    persuader_api_key_env: PersuaderKeyEnv = None,
    retry_failed: RetryFailed = False,
) -> None:
    """Simulate persuasion dialogues in which every utterance and the donation are sampled from
    LLM-verbalized distributions, and write run.json + dialogues/turns/candidates.parquet.

    Exit status: 0 all dialogues finished, 2 bad input, 3 some dialogues failed, 4 all failed, 5 stopped by
    --max-calls/--max-tokens (resumable), 1 other error.
    """
    try:
        spec = load_scenario(scenario)
        if turns is not None:
            spec = spec.with_max_turns(turns, option="--turns")  # validated: never an odd number of utterances
        knobs = knob_overrides(k, tail_threshold, selection, temperature) | {"top_p": top_p}
        base = [parse_condition(m, spec) for m in method] if method else [scenario_condition(spec)]
        conditions = [apply_knobs(c, **knobs) for c in base]  # the scenario's own methods get the knobs too
        persuader = persuader_endpoint(persuader_base_url, persuader_model, persuader_api_key_env)
        if (too_many := check_total(dialogues, len(conditions))) is not None:
            raise ValueError(f"--dialogues: {too_many}")
        check_persona_sources(spec.personas)  # a missing, empty, binary or malformed persona CSV: refused now
    except (ScenarioError, ValueError, FileNotFoundError) as exc:
        fail(err, str(exc))
    if dry_run:
        console.print(estimate_table(run_estimates(spec, conditions, dialogues, base_url or "embedded")))
        return
    out = out or Path("outputs") / f"{spec.name}-{datetime.now():%Y%m%d-%H%M%S}"
    check_out_path(out)
    settings = llm_settings(base_url, model, gguf, concurrency, cache, no_cache, structured_output,
                            server_log=out.absolute() / SERVER_LOG)  # fmt: skip
    check_cache(settings.cache_path)
    persuader_settings = None
    if persuader is not None:  # the paper's protocol: a fixed persuader on its own endpoint
        try:  # before --out is made: an unset key variable leaves nothing behind
            check_role_key(persuader, "--persuader-api-key-env")
        except ValueError as exc:
            fail(err, str(exc))
        persuader_settings = role_settings(settings, persuader)
    fresh = not out.exists() or not any(out.iterdir())
    ensure_writable_dir(out)
    try:
        with hold_out_lock(out):
            _run_locked(spec, conditions, dialogues, seed, out, settings, persuader_settings, fresh=fresh,
                        scenario_path=str(scenario), concurrency=concurrency, quiet=quiet,
                        show_transcript=show_transcript, max_calls=max_calls, max_tokens=max_tokens,
                        retry_failed=retry_failed)  # fmt: skip
    except OutLockedError as exc:
        fail(err, str(exc))
    finally:
        if fresh and out.is_dir():
            RunDir(out).discard_unstarted()  # no dialogue written: leave no fingerprint to block a corrected command


def _run_locked(spec, conditions, dialogues: int, seed: int, out: Path, settings, persuader_settings, *,  # type: ignore
                fresh: bool, scenario_path: str, concurrency: int, quiet: bool, show_transcript: bool,
                max_calls: int | None, max_tokens: int | None, retry_failed: bool = False) -> None:  # fmt: skip
    """The run, with ``out`` locked: fingerprint check, the dialogues, the summary and how it ended."""
    total = dialogues * len(conditions)
    run_dir = RunDir(out)
    try:  # checked here, once: the header says whether the run resumes
        resumed = run_dir.check(settings_fingerprint(spec, conditions, seed, settings, persuader_settings), dialogues)
    except RunMismatchError as exc:
        fail(err, str(exc), EXIT_USAGE)
    labels = escape(", ".join(c.label for c in conditions))
    err.print(
        f"[bold]{escape(spec.name)}[/]: {dialogues} dialogue(s) × \\[{labels}], {spec.turns.max_turns} turns, "
        f"seed {seed}"
    )
    if resumed:
        retried = f", {run_dir.failed_on_disk()} failed to play again" if retry_failed else ""
        err.print(f"resuming {escape(str(out))}: {min(run_dir.dialogues_on_disk(), total)} of {total} dialogue(s) "
                  f"already done{retried}")  # fmt: skip
    budget = budget_of(max_calls, max_tokens)
    try:
        result = run_simulation(spec, conditions, dialogues, seed, run_dir, settings, max_active=concurrency,
                                scenario_path=scenario_path, show_progress=not quiet, budget=budget,
                                persuader_settings=persuader_settings, retry_failed=retry_failed)  # fmt: skip
    except KeyboardInterrupt:
        err.print(f"\n[yellow]interrupted[/]: {run_dir.dialogues_on_disk()} of {total} dialogue(s) saved in "
                  f"{escape(str(out))}; run the same command again to resume.")  # fmt: skip
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except (FatalLLMError, LLMError) as exc:  # pre-flight refused the endpoint, the server died, ...
        saved = run_dir.dialogues_on_disk()
        if saved:
            fail(err, f"{exc}\n{saved} of {total} dialogue(s) are saved in {out}; fix the cause and run the same "
                 "command again to resume.", EXIT_ERROR)  # fmt: skip
        kept = "was removed" if fresh else "keeps what it held"  # removed when the lock is released
        fail(err, f"{exc}\nno dialogue was simulated; {out} {kept}.", EXIT_ERROR)
    except DialoguesLostError as exc:  # the end-of-run check: loud, and the same command plays them again
        fail(err, f"{exc} Run the same command again to resume.", EXIT_ERROR)
    except OSError as exc:
        fail(err, f"cannot write the run directory {out}: {exc.strerror or exc}", EXIT_ERROR)
    _report(result, out, total, show_transcript, spec.task.currency)
    failures = failure_report([out])
    if failures.exit_code:
        command = retry_command(*([] if "--out" in sys.argv else ["--out", str(out)]))
        err.print(escape(retry_hint(failures.failed, str(out), command)), soft_wrap=True)
        for line in failures.lines():  # last: how many failed, and why, naming the endpoint
            err.print(f"[red]{escape(line)}[/]", soft_wrap=True)
        raise typer.Exit(failures.exit_code)
    if result.status != RUN_COMPLETE:
        again = shlex.join(["simsocial", *sys.argv[1:]] + ([] if "--out" in sys.argv else ["--out", str(out)]))
        done = int(result.manifest["counts"]["dialogues"])
        if budget is None or not result.budget_stopped:  # short, and no budget stopped it: say so
            fail(
                err,
                f"the run ended with {done} of {total} dialogue(s) written, and no budget stopped it (a bug: "
                f"please report it); {out} is marked incomplete. Play the rest with:\n  {again}",
                EXIT_ERROR,
            )
        stats = CallStats.from_dict(result.manifest["usage"])
        err.print(escape(budget_message(budget, done, total, stats, again)))
        raise typer.Exit(EXIT_BUDGET)
    console.print(f"compare with the human study: simsocial compare {escape(str(out))}")


def _report(result, out: Path, total: int, show_transcript: bool, currency: str) -> None:  # type: ignore[no-untyped-def]
    """The per-method table, one sampled dialogue, and what the run spent."""
    from simsocial.report.transcript import render_transcript  # pandas: not before the run's first call

    if result.manifest.get("already_complete"):
        err.print(f"{escape(str(out))} already holds all {total} dialogue(s); nothing to do.")
    console.print(summary_table(result.summary, currency))
    if show_transcript and (panel := render_transcript(out, currency=currency)) is not None:
        console.print(panel)
    usage = result.manifest["usage"]  # every invocation of the run; this one's own when it played any
    invocations = result.manifest.get("invocations") or []
    this = invocations[-1]["usage"] if invocations and not result.manifest.get("already_complete") else usage
    earlier = f" ({usage['calls']} in all {len(invocations)} invocations)" if len(invocations) > 1 else ""
    console.print(
        f"{this['calls']} LLM calls ({this['cache_hits']} from cache), "
        f"{this['completion_tokens']} completion tokens, {this['retries']} retries, "
        f"wall time {result.manifest.get('wall_time_s', 0):.1f}s{earlier}"
    )
    console.print(f"results: [bold]{escape(str(out))}[/] (run.json, dialogues.parquet, turns.parquet, "
                  "candidates.parquet)")  # fmt: skip


def summary_table(summary: pd.DataFrame, currency: str = "$") -> Table:
    """The per-method table a run ends with; amounts in the scenario's ``currency``.

    "choices repaired" leaves out the model's rounding (probabilities within 1% of 1 rescaled); "invented"
    is the share of choices drawn from probabilities the model did not state (docs/outputs.md).
    """
    import pandas as pd

    table = Table(title="per method", show_lines=False)
    columns = [("method", "method", "{}"), ("dialogues", "dialogues", "{}"), ("ok", "ok", "{}"),
               ("failed", "failed", "{}"), ("mean_donation", f"mean {currency}", "{:.2f}"),
               ("share_zero", f"gave {currency}0", "{:.0%}"),
               ("mind_change_rate", "mind changes", "{:.0%}"), ("parse_repairs", "repairs", "{}"),
               ("parse_failures", "parse failures", "{}"),
               ("repaired_share", "choices repaired", "{:.0%}"), ("invented_share", "invented", "{:.0%}")]  # fmt: skip
    for _, header, _ in columns:
        table.add_column(header, justify="left" if header == "method" else "right")
    for _, row in summary.iterrows():
        table.add_row(*(escape(fmt.format(row[col])) if pd.notna(row.get(col)) else "–" for col, _, fmt in columns))
    return table


def register(app: typer.Typer) -> None:
    app.command("run")(run)
