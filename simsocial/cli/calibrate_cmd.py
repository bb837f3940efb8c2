"""``simsocial calibrate``: choose settings on half of the human study and test the choice on the other half.

Two forms: over finished runs or sweeps (``simsocial calibrate outputs/sweep``) and as an Optuna search in
which every trial is an engine run (``simsocial calibrate SCENARIO --search temperature,k --out DIR``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from simsocial.cli.analysis_choices import CleaningChoice, DonationConstruct, Objective
from simsocial.cli.options import BaseUrl, CachePath, Concurrency, Gguf, ModelName, NoCache, Turns, flag
from simsocial.data.cleaning import DEFAULT_POLICY
from simsocial.llm.settings import DEFAULT_CACHE_PATH

CALIBRATE_HELP = (
    "Calibrate on half of the human persuadees, test on the other half.\n\n"
    "TARGET a run or sweep directory: split the humans (seeded, stratified on gave > 0; split.csv), score every "
    "cell on the fit half by --objective, choose the best, and report every cell's held-out figures with "
    "bootstrap 95% intervals and the fit − held-out gap. Writes calibration.csv/json/png/html to --out "
    "(default TARGET/calibrate).\n\n"
    "TARGET a scenario file with --search k,temperature,top_p,tail,selection,method: an Optuna study (seeded "
    "sampler, SQLite storage in --out; --resume continues it) in which each trial is a normal run directory "
    "under --out/trials, scored on the fit half; the best trial is evaluated on the held-out half."
)


def calibrate(
    target: Annotated[
        Path,
        typer.Argument(
            help="A run or sweep directory, or (with --search) a scenario file.", exists=True, show_default=False
        ),
    ],
    objective: Annotated[Objective, typer.Option(help="What the fit half is scored by.")] = Objective.ks,
    out: Annotated[
        Path | None,
        typer.Option(help="Output directory [default: TARGET/calibrate; required with --search]", show_default=False),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the split, the bootstrap and (search) the sampler and runs.")] = 0,
    resamples: Annotated[int, typer.Option(min=100, help="Bootstrap resamples per interval.")] = 1000,
    cleaning: Annotated[CleaningChoice, typer.Option(help="Cleaning policy, humans and simulated alike.")] = (
        CleaningChoice[DEFAULT_POLICY]
    ),
    donation: Annotated[DonationConstruct, typer.Option(help="final or in-dialogue donation.")] = (
        DonationConstruct.final
    ),
    search: Annotated[
        str | None,
        typer.Option(
            help="Search these knobs (comma-separated): k, temperature, top_p, tail, selection, method.",
            show_default=False,
        ),
    ] = None,
    trials: Annotated[int, typer.Option(min=1, help="Search: trials in all (a resumed study runs the rest).")] = 24,
    dialogues: Annotated[int, typer.Option("--dialogues", "-n", min=1, help="Search: dialogues per trial.")] = 40,
    turns: Turns = None,
    resume: Annotated[bool, flag("--resume", help="Search: continue the study in --out.")] = False,
    max_calls: Annotated[
        int | None,
        typer.Option(min=1, help="Search: stop admitting dialogues at this many LLM calls.", show_default=False),
    ] = None,
    max_tokens: Annotated[
        int | None,
        typer.Option(min=1, help="Search: stop admitting dialogues at this many tokens.", show_default=False),
    ] = None,
    base_url: BaseUrl = None,
    model: ModelName = None,
    gguf: Gguf = None,
    concurrency: Concurrency = 8,
    cache: CachePath = DEFAULT_CACHE_PATH,
    no_cache: NoCache = False,
) -> None:
    from simsocial.cli.compare_checks import check_binnable_cleaning

    check_binnable_cleaning(cleaning.value)
    if target.is_dir():
        if search is not None:
            raise typer.BadParameter("--search needs a scenario file, not a directory", param_hint="--search")
        _over_runs(target, out or target / "calibrate", objective.value, seed, resamples, cleaning.value,
                   donation.value)  # fmt: skip
        return
    if search is None:
        raise typer.BadParameter(f"{target} is a file: pass --search to search, or give a run/sweep directory",
                                 param_hint="TARGET")  # fmt: skip
    if out is None:
        raise typer.BadParameter("--out is required with --search", param_hint="--out")
    from simsocial.cli.calibrate_search import run_search_command

    run_search_command(target, out, search, objective=objective.value, seed=seed, trials=trials,
                       dialogues=dialogues, turns=turns, resume=resume, max_calls=max_calls, max_tokens=max_tokens,
                       resamples=resamples, cleaning=cleaning.value,
                       llm=dict(base_url=base_url, model=model, gguf=gguf, concurrency=concurrency, cache=cache,
                                no_cache=no_cache))  # fmt: skip


def _over_runs(target: Path, out: Path, objective: str, seed: int, resamples: int, cleaning: str,
               donation: str) -> None:  # fmt: skip
    from simsocial.cli.calibration_output import print_calibration
    from simsocial.report.rundir import read_runs
    from simsocial.validity.calibrate import calibrate_cells
    from simsocial.validity.calibration_files import write_calibration
    from simsocial.validity.samples import human_outcomes, simulated_cells
    from simsocial.validity.split import split_humans

    try:
        runs = read_runs([target])
    except FileNotFoundError as exc:
        raise typer.BadParameter(str(exc), param_hint="TARGET") from exc
    cells = simulated_cells(runs, cleaning, donation)
    split = split_humans(human_outcomes(cleaning), seed)
    try:
        result = calibrate_cells(cells, split, objective, seed=seed, n_resamples=resamples)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="TARGET") from exc
    result.settings.update(cleaning=cleaning, donation=donation)  # compare warns when it shows it otherwise
    written = write_calibration(result, out, seed)
    print_calibration(result)
    typer.echo(f"wrote {', '.join(str(p) for p in written)}", err=True)


def register(app: typer.Typer) -> None:
    """Add the ``calibrate`` command to the ``simsocial`` app."""
    app.command("calibrate", help=CALIBRATE_HELP)(calibrate)
