"""``simsocial batch``: run a sweep file's grid of cells into one directory, resumable, locally or on Ray."""

from __future__ import annotations

import shlex
import signal
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from simsocial.batch import SweepError, read_index, run_sweep
from simsocial.cli.options import BaseUrl, CachePath, Gguf, ModelName, NoCache, Structured
from simsocial.llm.factory import DEFAULT_CACHE_PATH, LLMSettings

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
        typer.Option(
            "--resume",
            help="Continue the sweep already in --out: finished cells and dialogues are kept, "
            "the rest is run (same sweep file and options; --dialogues may grow).",
        ),
    ] = False,  # fmt: skip
    executor: Annotated[
        str, typer.Option("--executor", "-x", help="local (this process) or ray (dialogues spread over Ray workers).")
    ] = "local",
    address: Annotated[
        str | None,
        typer.Option(
            "--address",
            help="With --executor ray: the cluster to join ('auto', 'ray://head:10001'); default: a local one.",
            envvar="RAY_ADDRESS",
        ),
    ] = None,  # fmt: skip
    base_url: BaseUrl = None,
    model: ModelName = None,
    gguf: Gguf = None,
    dialogues: Annotated[
        int | None, typer.Option("--dialogues", "-n", min=1, help="Dialogues per cell (overrides the sweep file).")
    ] = None,
    concurrency: Annotated[
        int,
        typer.Option(
            "--concurrency",
            "-c",
            min=1,
            help="Dialogues in flight (and LLM calls; halved on HTTP 429). With --executor ray: per worker task.",
        ),
    ] = 16,  # fmt: skip
    shard_size: Annotated[
        int | None,
        typer.Option("--shard-size", min=1, help="Dialogues per checkpoint shard (default: sweep file, 64)."),
    ] = None,
    cache: CachePath = DEFAULT_CACHE_PATH,
    no_cache: NoCache = False,
    structured_output: Structured = "auto",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    persuader_base_url: Annotated[
        str | None, typer.Option(help="The persuader's own endpoint in every cell (overrides the sweep file).")
    ] = None,
    persuader_model: Annotated[str | None, typer.Option(help="Model name at --persuader-base-url.")] = None,
    persuader_api_key_env: Annotated[
        str | None, typer.Option(help="Environment variable holding the persuader's key (default OPENAI_API_KEY).")
    ] = None,
) -> None:
    """Run a Monte Carlo sweep: each cell of the grid (methods × VS knobs × endpoints × seeds) writes a run.

    Each cell writes the run output contract into OUT/cells/<cell_id>/; OUT/sweep.parquet lists the cells.

    Interrupted (Ctrl-C, crash, kill -9)? Run the same command with --resume: nothing is lost or repeated.

    Example: simsocial batch scenarios/sweeps/vs_methods_all_roles.yaml --out outputs/vs-methods -n 50

    Then compare the cells with the human study: simsocial compare OUT
    """
    if executor not in ("local", "ray"):
        raise typer.BadParameter("use local or ray", param_hint="--executor")
    if bool(base_url) != bool(model):
        raise typer.BadParameter("--base-url and --model go together", param_hint="--base-url/--model")
    persuader = None
    if persuader_base_url or persuader_model:
        if not (persuader_base_url and persuader_model):
            raise typer.BadParameter(
                "--persuader-base-url and --persuader-model go together", param_hint="--persuader-model"
            )
        from simsocial.llm.roles import RoleEndpoint

        persuader = RoleEndpoint(base_url=persuader_base_url, model=persuader_model, api_key_env=persuader_api_key_env)
    settings = LLMSettings(
        cache_path=None if no_cache else cache,
        cache_mode="off" if no_cache else "readwrite",
        structured_output=structured_output,  # type: ignore[arg-type]  # validated by pydantic
    )
    # SIGTERM (a scheduler stopping the job) takes the same clean path as Ctrl-C.
    previous = signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        result = run_sweep(
            sweep, out, resume=resume, executor=executor, address=address,  # type: ignore[arg-type]
            dialogues=dialogues, base_url=base_url, model=model, llm=settings, concurrency=concurrency,
            shard_size=shard_size, gguf=gguf, show_progress=not quiet, persuader=persuader,
        )  # fmt: skip
    except SweepError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        again = [a for a in sys.argv[1:] if a != "--resume"]
        err.print(
            f"\n[yellow]interrupted[/]: finished dialogues are saved in {escape(str(out))}/cells. Resume with:\n"
            f"  simsocial {escape(shlex.join(again))} --resume"
        )
        raise typer.Exit(130) from None
    finally:
        signal.signal(signal.SIGTERM, previous)
    console.print(cells_table(out))
    usage = result.stats
    console.print(
        f"{usage.calls} LLM calls ({usage.cache_hits} from cache), {usage.completion_tokens} completion tokens, "
        f"{usage.retries} retries, {usage.failures} failed calls"
    )
    for cell_id, message in result.errors.items():
        err.print(f"[red]cell {escape(cell_id)} failed:[/] {escape(message)}")
    console.print(f"sweep: [bold]{escape(str(out))}[/] (sweep.parquet, cells/)")
    if not result.ok:
        err.print("some cells failed; fix the cause and run the same command with --resume")
        raise typer.Exit(1)
    console.print(f"compare with the human study: simsocial compare {escape(str(out))}")


def cells_table(out: Path) -> Table:
    table = Table(title="cells", show_lines=False)
    for header in ("cell", "condition", "endpoint", "seed", "dialogues", "status"):
        table.add_column(header, justify="right" if header in ("seed", "dialogues") else "left")
    for row in read_index(out):
        table.add_row(
            escape(row["cell_id"]), escape(row["condition"]), escape(row["model"]), str(row["seed"]),
            f"{row['dialogues_done']}/{row['dialogues']}", row["status"],
        )  # fmt: skip
    return table


def register(app: typer.Typer) -> None:
    app.command("batch")(batch)
