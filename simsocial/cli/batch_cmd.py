"""``simsocial batch``: run a sweep file's grid of cells into one directory, resumable, locally or on Ray."""

from __future__ import annotations

import shlex
import signal
import sys
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from simsocial.batch import SweepError, plan_sweep, read_index, run_sweep
from simsocial.batch.budget_run import EXIT_BUDGET, budget_message, estimate_table, sweep_estimates
from simsocial.bounds import MAX_CONCURRENCY, MAX_DIALOGUES, MAX_SHARD_SIZE, MAX_WORKERS
from simsocial.cli.budget_opts import DryRun, MaxCalls, MaxTokens, budget_of
from simsocial.cli.cell_outcomes import human_donations, outcomes_table
from simsocial.cli.options import (
    BaseUrl,
    CachePath,
    Gguf,
    ModelName,
    NoCache,
    PersuaderKeyEnv,
    PersuaderModelName,
    Quiet,
    Structured,
    StructuredOutput,
    Turns,
    check_cache,
    check_out_path,
    ensure_writable_dir,
    flag,
    persuader_endpoint,
)
from simsocial.cli.outcome import (
    EXIT_ALL_FAILED,
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_SOME_FAILED,
    EXIT_USAGE,
    fail,
    failure_report,
    plain_failure,
)
from simsocial.cli.retry_opts import RetryFailed, retry_command, retry_hint
from simsocial.llm.budget import Budget
from simsocial.llm.errors import FatalLLMError
from simsocial.llm.factory import DEFAULT_CACHE_PATH, LLMSettings
from simsocial.run_lock import OutLockedError, hold_out_lock
from simsocial.rundir.state import dialogues_on_disk
from simsocial.sim.personas import check_persona_sources

console = Console(width=None if Console().is_terminal else 160)
err = Console(stderr=True, soft_wrap=True)  # messages stay on one line, greppable in logs


def batch(
    sweep: Annotated[
        Path,
        typer.Argument(help="Sweep YAML file, e.g. scenarios/sweeps/vs_methods_all_roles.yaml.", show_default=False),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Sweep directory (cells/, sweep.parquet, sweep.json).")],
    resume: Annotated[
        bool,
        flag(
            "--resume",
            help="Continue the sweep already in --out: finished cells and dialogues are kept, "
            "the rest is run (same sweep file and options; --dialogues may grow).",
        ),
    ] = False,  # fmt: skip
    executor: Annotated[
        str,
        typer.Option(
            "--executor",
            "-x",
            help="local (this process), processes (--workers local processes) or "
            "ray (dialogues spread over Ray workers).",
        ),
    ] = "local",  # fmt: skip
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers", min=1, max=MAX_WORKERS, help="With --executor processes: worker processes (default 2)."
        ),
    ] = None,
    address: Annotated[
        str | None,
        typer.Option(
            "--address",
            help="With --executor ray: the cluster to join ('auto', 'ray://head:10001'); [default: a local one]",
            envvar="RAY_ADDRESS",
        ),
    ] = None,  # fmt: skip
    base_url: BaseUrl = None,
    model: ModelName = None,
    gguf: Gguf = None,
    dialogues: Annotated[
        int | None,
        typer.Option(
            "--dialogues",
            "-n",
            min=1,
            max=MAX_DIALOGUES,
            help="Dialogues per cell [default: the sweep file's]",
            show_default=False,
        ),
    ] = None,  # fmt: skip
    turns: Turns = None,
    concurrency: Annotated[
        int,
        typer.Option(
            "--concurrency",
            "-c",
            min=1,
            max=MAX_CONCURRENCY,
            help="Dialogues in flight (and LLM calls; halved on HTTP 429). With --executor ray: per worker task.",
        ),
    ] = 16,  # fmt: skip
    shard_size: Annotated[
        int | None,
        typer.Option(
            "--shard-size",
            min=1,
            max=MAX_SHARD_SIZE,
            help="Dialogues per checkpoint shard [default: the sweep file's, 64]",
            show_default=False,
        ),
    ] = None,
    cache: CachePath = DEFAULT_CACHE_PATH,
    no_cache: NoCache = False,
    structured_output: Structured = StructuredOutput.auto,
    quiet: Quiet = False,
    dry_run: DryRun = False,
    max_calls: MaxCalls = None,
    max_tokens: MaxTokens = None,
    persuader_base_url: Annotated[
        str | None, typer.Option(help="The persuader's own endpoint in every cell (overrides the sweep file).")
    ] = None,
    persuader_model: PersuaderModelName = None,
    persuader_api_key_env: PersuaderKeyEnv = None,
    retry_failed: RetryFailed = False,
) -> None:
    """Run a Monte Carlo sweep: each cell of the grid (methods × VS knobs × endpoints × seeds) writes a run.

    Each cell writes the run output contract into OUT/cells/<cell_id>/; OUT/sweep.parquet lists the cells.

    Interrupted (Ctrl-C, crash, kill -9)? Run the same command with --resume: nothing is lost or repeated.

    Example: simsocial batch scenarios/sweeps/vs_methods_all_roles.yaml --out outputs/vs-methods -n 50

    Then compare the cells with the human study: simsocial compare OUT

    Exit status: 0 all dialogues finished, 2 bad input, 3 some dialogues or cells failed, 4 all failed,
    5 stopped by --max-calls/--max-tokens (resume with --resume).
    """
    if executor not in ("local", "ray", "processes"):
        raise typer.BadParameter("use local or ray (or processes, with --workers)", param_hint="--executor")
    if retry_failed and not resume:
        raise typer.BadParameter("plays the failed dialogues of the sweep in --out again: add --resume",
                                 param_hint="--retry-failed")  # fmt: skip
    if bool(base_url) != bool(model):
        raise typer.BadParameter("--base-url and --model go together", param_hint="--base-url/--model")
    from simsocial.campaign.sweep import is_campaign_sweep

    if is_campaign_sweep(sweep):  # a campaign scenario: its cells are campaigns (simsocial.cli.campaign_batch)
        from simsocial.cli.campaign_batch import campaign_batch

        unused = dict(dialogues=dialogues, shard_size=shard_size, persuader_base_url=persuader_base_url,
                      persuader_model=persuader_model, persuader_api_key_env=persuader_api_key_env,
                      retry_failed=retry_failed)  # fmt: skip
        return campaign_batch(sweep, out, unused=unused, dry_run=dry_run, budget=Budget(max_calls, max_tokens),
                              llm=dict(cache=cache, no_cache=no_cache, structured_output=str(structured_output)),
                              resume=resume, executor=executor, address=address, workers=workers, base_url=base_url,
                              model=model, gguf=gguf, turns=turns, concurrency=concurrency, quiet=quiet)  # fmt: skip
    try:  # one line, exit 2, before anything is written (the sweep file's own persuader is checked later)
        persuader = persuader_endpoint(persuader_base_url, persuader_model, persuader_api_key_env)
    except ValueError as exc:
        hint = "; a sweep file's persuader_endpoint names its key in api_key_env" if persuader_api_key_env else ""
        fail(err, f"{exc}{hint}")
    try:  # the sweep file, its grid and its persona CSV: refused before anything is written
        plan = plan_sweep(sweep, dialogues=dialogues, base_url=base_url, model=model, turns=turns,
                          persuader=persuader)  # fmt: skip
        check_persona_sources(plan.scenario.personas)
    except (SweepError, ValueError) as exc:
        fail(err, str(exc))
    if dry_run:
        console.print(estimate_table(sweep_estimates(plan.scenario, plan.cells)))
        return
    check_out_path(out)
    settings = LLMSettings(
        cache_path=None if no_cache else cache,
        cache_mode="off" if no_cache else "readwrite",
        structured_output=str(structured_output),  # type: ignore[arg-type]  # a declared choice
        server_log=out.absolute() / "llama-server.log",  # one log per sweep, in the sweep directory
    )
    check_cache(settings.cache_path)
    if not resume:
        ensure_writable_dir(out, keep=False)
    created = not out.exists()
    out.mkdir(parents=True, exist_ok=True)  # the lock lives in it; removed again if nothing else is written
    # SIGTERM (a scheduler stopping the job) takes the same clean path as Ctrl-C.
    previous = signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        with hold_out_lock(out):
            result = run_sweep(
                sweep, out, resume=resume, executor=executor, address=address,  # type: ignore[arg-type]
                dialogues=dialogues, base_url=base_url, model=model, llm=settings, concurrency=concurrency,
                shard_size=shard_size, gguf=gguf, show_progress=not quiet, turns=turns,
                budget=budget_of(max_calls, max_tokens), workers=workers, persuader=persuader,
                retry_failed=retry_failed,
            )  # fmt: skip
    except OutLockedError as exc:
        fail(err, str(exc))
    except (SweepError, ValueError) as exc:  # RunMismatchError: a cell directory holds other settings
        fail(err, str(exc), EXIT_USAGE)
    except FatalLLMError as exc:  # the pre-flight call refused an endpoint, or the embedded server died
        saved, total = _saved(out)
        fail(err, f"{exc}\n{saved} of {total} dialogue(s) are saved in {out}; fix the cause and run the same "
             "command with --resume.", EXIT_ERROR)  # fmt: skip
    except KeyboardInterrupt:
        again = [a for a in sys.argv[1:] if a != "--resume"]
        saved, total = _saved(out)
        err.print(
            f"\n[yellow]interrupted[/]: {saved} of {total} dialogue(s) are saved in {escape(str(out))}/cells. "
            f"Resume with:\n  simsocial {escape(shlex.join(again))} --resume"
        )
        raise typer.Exit(EXIT_INTERRUPTED) from None
    finally:
        signal.signal(signal.SIGTERM, previous)
        if created and out.is_dir() and not any(out.iterdir()):
            out.rmdir()  # refused before writing anything: leave no directory behind
    rows = read_index(out)
    console.print(outcomes_table(out, rows, human_donations()))
    usage = result.stats
    console.print(
        f"{usage.calls} LLM calls ({usage.cache_hits} from cache), {usage.completion_tokens} completion tokens, "
        f"{usage.retries} retries, {usage.failures} failed calls"
    )
    console.print(f"sweep: [bold]{escape(str(out))}[/] (sweep.parquet, cells/)")
    if result.budget_stopped:
        again = [a for a in sys.argv[1:] if a != "--resume"]
        done = sum(r["dialogues_done"] or 0 for r in rows)
        wanted = sum(r["dialogues"] for r in rows)
        budget = budget_of(max_calls, max_tokens)
        assert budget is not None
        err.print(escape(budget_message(budget, done, wanted, usage, f"simsocial {shlex.join(again)} --resume")))
        raise typer.Exit(EXIT_BUDGET)
    failures = failure_report(out / row["cell_dir"] for row in rows)
    if not result.ok or failures.failed:
        failed_cells = sum(1 for s in result.status.values() if s != "done")
        everything = failed_cells == len(result.status) or (failures.total and failures.failed == failures.total)
        if failed_cells:
            err.print(f"[red]{failed_cells} of {len(result.status)} cell(s) failed[/]; fix the cause and run the "
                      "same command with --resume", soft_wrap=True)  # fmt: skip
        if failures.failed:  # how to play them again, before the causes (which stay the last lines)
            err.print(escape(retry_hint(failures.failed, f"{out}/cells", retry_command("--resume"))), soft_wrap=True)
        for line in failures.lines():
            err.print(f"[red]{escape(line)}[/]", soft_wrap=True)
        for why in result.dead_endpoints.values():  # one endpoint gone: its cells ended, the others finished
            err.print(f"[red]{escape(why.splitlines()[0])}[/]: its cells are marked failed; the other endpoints' "
                      "cells ran to their end", soft_wrap=True)  # fmt: skip
        causes = Counter(plain_failure(message) for message in result.errors.values())
        for cause, n in causes.most_common():  # last: why whole cells failed, naming the endpoint
            err.print(f"[red]  {n} cell(s): {escape(cause)}[/]", soft_wrap=True)
        raise typer.Exit(EXIT_ALL_FAILED if everything else EXIT_SOME_FAILED)
    console.print(f"compare with the human study: simsocial compare {escape(str(out))}")


def _saved(out: Path) -> tuple[int, int]:
    """Dialogues saved and wanted over the sweep's cells."""
    rows = read_index(out)
    return sum(dialogues_on_disk(out / row["cell_dir"]) for row in rows), sum(int(row["dialogues"]) for row in rows)


def register(app: typer.Typer) -> None:
    app.command("batch")(batch)
