"""``simsocial batch`` on a campaign sweep (its ``scenario`` has a ``campaign:`` section; issue 19).

``batch`` hands the whole command here (:func:`campaign_batch`): the cells are methods × network parameters
× campaign knobs × seeds (:mod:`simsocial.campaign.sweep`), each a campaign directory under ``OUT/cells``,
run by :func:`~simsocial.campaign.sweep_run.run_campaign_sweep`.  Exit codes as for a run sweep.
"""

from __future__ import annotations

import shlex
import signal
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from simsocial.batch.sweep import SweepError
from simsocial.cli.options import check_cache, check_out_path, ensure_writable_dir
from simsocial.cli.outcome import EXIT_ALL_FAILED, EXIT_ERROR, EXIT_INTERRUPTED, EXIT_SOME_FAILED, fail, failure_report
from simsocial.llm.budget import Budget
from simsocial.llm.errors import FatalLLMError
from simsocial.llm.factory import LLMSettings
from simsocial.run_lock import OutLockedError, hold_out_lock

console = Console(width=None if Console().is_terminal else 160)
err = Console(stderr=True, soft_wrap=True)
# batch options a run sweep has and a campaign sweep does not (its size is rounds and the network).
NOT_FOR_CAMPAIGNS = ("--dialogues", "--shard-size", "--persuader-base-url", "--persuader-model",
                     "--persuader-api-key-env", "--retry-failed")  # fmt: skip


def campaign_batch(sweep: Path, out: Path, *, unused: dict[str, Any], dry_run: bool, budget: Budget,
                   llm: dict[str, Any], **run: Any) -> None:  # fmt: skip
    """The ``batch`` command for a campaign sweep; ``unused``: the run-sweep-only options as given."""
    from simsocial.campaign.sweep_run import plan_campaign_sweep

    given = [name for name, value in zip(NOT_FOR_CAMPAIGNS, unused.values(), strict=True) if value]
    if given:
        fail(err, f"{', '.join(given)}: not for a campaign sweep ({sweep} names a campaign scenario; its size is "
             "set by rounds and the network)")  # fmt: skip
    try:
        plan = plan_campaign_sweep(sweep, base_url=run.get("base_url"), model=run.get("model"), turns=run.get("turns"))
    except (SweepError, ValueError) as exc:
        fail(err, str(exc))
    if dry_run:
        from simsocial.campaign.sweep_bound import bound_table

        console.print(bound_table(plan.cells))
        return
    check_out_path(out)
    settings = LLMSettings(cache_path=None if llm["no_cache"] else llm["cache"],
                           cache_mode="off" if llm["no_cache"] else "readwrite",
                           structured_output=llm["structured_output"],
                           server_log=out.absolute() / "llama-server.log")  # fmt: skip
    check_cache(settings.cache_path)
    result = _run(sweep, out, settings, budget, run)
    _report(out, result, budget)


def _run(sweep: Path, out: Path, settings: LLMSettings, budget: Budget, run: dict[str, Any]) -> Any:
    from simsocial.campaign.sweep_run import run_campaign_sweep

    if not run["resume"]:
        ensure_writable_dir(out, keep=False)
    created = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    previous = signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    quiet = run.pop("quiet")

    def said(cell: Any, status: str) -> None:
        if not quiet:
            err.print(f"cell {escape(cell.label)}: {status}")

    try:
        with hold_out_lock(out):
            return run_campaign_sweep(sweep, out, llm=settings, budget=budget, on_cell_end=said, **run)
    except OutLockedError as exc:
        fail(err, str(exc))
    except (SweepError, ValueError) as exc:
        fail(err, str(exc))
    except FatalLLMError as exc:
        fail(err, f"{exc}\nfinished rounds are saved in {out}/cells; fix the cause and run the same command with "
             "--resume.", EXIT_ERROR)  # fmt: skip
    except KeyboardInterrupt:
        err.print(f"\n[yellow]interrupted[/]: finished rounds are saved in {escape(str(out))}/cells. Resume with:\n"
                  f"  {escape(_again())}")  # fmt: skip
        raise typer.Exit(EXIT_INTERRUPTED) from None
    finally:
        signal.signal(signal.SIGTERM, previous)
        if created and out.is_dir() and not any(out.iterdir()):
            out.rmdir()


def _again() -> str:
    return shlex.join(["simsocial", *[a for a in sys.argv[1:] if a != "--resume"], "--resume"])


def _report(out: Path, result: Any, budget: Budget) -> None:
    """One row per cell, what was spent, and the exit status (budget 5, failures 3/4)."""
    table = Table(title="campaign sweep")
    for header in ("cell", "status", "rounds", "dialogues", "reach", "$ raised"):
        table.add_column(header, justify="left" if header in ("cell", "status") else "right")
    for cell in result.cells:
        rounds_file = out / cell.cell_dir / "rounds.parquet"
        rounds = pd.read_parquet(rounds_file) if rounds_file.is_file() else pd.DataFrame()
        reach = f"{rounds['adopted_total'].iloc[-1] / rounds['n_nodes'].iloc[-1]:.0%}" if len(rounds) else ""
        raised = f"{rounds['total_donated'].sum():.2f}" if len(rounds) else ""
        table.add_row(escape(cell.label), result.status.get(cell.cell_id, "pending"), str(len(rounds)),
                      str(int(rounds["dialogues"].sum())) if len(rounds) else "0", reach, raised)  # fmt: skip
    console.print(table)
    usage = result.stats
    console.print(f"{usage.calls} LLM calls ({usage.cache_hits} from cache), {usage.completion_tokens} completion "
                  f"tokens, {usage.retries} retries, {usage.failures} failed calls")  # fmt: skip
    console.print(f"sweep: [bold]{escape(str(out))}[/] (sweep.parquet, cells/: one campaign directory each)")
    if result.budget_stopped:
        err.print(escape(f"budget reached ({budget.describe()}): no further round was started ({usage.endpoint_calls} "
                         f"calls spent; {usage.cache_hits} answer(s) from the cache, free); cells cut short are "
                         f"marked incomplete. Continue with a budget for the rest:\n  {_again()}"))  # fmt: skip
        raise typer.Exit(5)
    failures = failure_report(out / c.cell_dir for c in result.cells if (out / c.cell_dir / "run.json").is_file())
    failed_cells = [c for c in result.cells if result.status.get(c.cell_id) not in ("done", None)]
    for cell in failed_cells:
        err.print(f"[red]cell {escape(cell.label)}: {escape(result.errors.get(cell.cell_id, '')[:300])}[/]")
    for line in failures.lines():
        err.print(f"[red]{escape(line)}[/]", soft_wrap=True)
    if failed_cells or failures.failed:
        everything = len(failed_cells) == len(result.cells)
        raise typer.Exit(EXIT_ALL_FAILED if everything else EXIT_SOME_FAILED)
    console.print(f"adoption curves per method, over seeds: simsocial compare {escape(str(out))}/cells/<cell> ...")
