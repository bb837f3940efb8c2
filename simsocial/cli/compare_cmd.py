"""``simsocial compare``: simulated runs (or campaigns) compared with the human PersuasionForGood study."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated

import typer

from simsocial.bounds import MAX_RESAMPLES, MAX_SEED
from simsocial.cli.analysis_choices import (
    CleaningChoice,
    CompareFormat,
    CompareScale,
    CompareTable,
    DonationConstruct,
    EffectsKind,
    Objective,
)
from simsocial.data.cleaning import DEFAULT_POLICY

COMPARE_HELP = (
    "Compare simulated runs with the human PersuasionForGood data, one row per run × method.\n\n"
    "Donation distribution (mean and share $0 with 95% bootstrap intervals, KS, histogram L1, Wasserstein-1), "
    "mind-change rate with Fisher's exact test against humans, persuader strategy Jensen–Shannon distance, "
    "distinct-n, Flesch–Kincaid grade, verbalized-distribution entropy and parse repairs/failures.\n\n"
    "Writes comparison.csv, comparison.json, report.html (self-contained) and PNG figures to --out.\n\n"
    "--table vs-paper prints the VS paper's Table 21 layout instead (KS and L1 per persuadee method, Table 22's "
    "linguistic columns, the say–do gap), every figure under the paper's own metric code, the paper's published "
    "averages beside them, and writes vs_paper.json. It compares the paper's donation construct (the last amount "
    "stated in the chat, --donation in-dialogue) unless --donation final asks for simsocial's private decision, "
    "and warns when a run was not made under the paper's protocol (scenario protocol: paper)."
)


def compare(
    run_dirs: Annotated[
        list[Path],
        typer.Argument(
            help="Run directories (run.json + dialogues/turns/candidates.parquet) or sweep directories "
            "(sweep.parquet with a cell_dir column).",
            exists=True,
            file_okay=False,
            dir_okay=True,
        ),
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            help="Where to write figures, report.html, comparison.csv/json. Default: RUN_DIR/compare "
            "for one directory (required for several)."
        ),
    ] = None,
    format: Annotated[
        CompareFormat, typer.Option("--format", "-f", help="How to print the table: table, json, markdown or csv.")
    ] = CompareFormat.table,
    cleaning: Annotated[
        CleaningChoice,
        typer.Option(help="Cleaning policy, applied to human and simulated donations alike (simsocial.data.cleaning)."),
    ] = CleaningChoice[DEFAULT_POLICY],
    seed: Annotated[
        int, typer.Option(help="Seed of the bootstrap and of the human subsamples.", min=0, max=MAX_SEED)
    ] = 0,
    resamples: Annotated[
        int, typer.Option(help="Bootstrap resamples per interval.", min=100, max=MAX_RESAMPLES)
    ] = 2000,
    embed_base_url: Annotated[
        str | None,
        typer.Option(
            help="OpenAI-compatible embeddings endpoint for semantic diversity (key: $OPENAI_API_KEY). "
            "Without it, diversity is lexical (hashing bag-of-words)."
        ),
    ] = None,
    embed_model: Annotated[str | None, typer.Option(help="Embedding model name at --embed-base-url.")] = None,
    table_kind: Annotated[
        CompareTable,
        typer.Option("--table", help="default: simsocial's comparison; vs-paper: the VS paper's Table 21/22 layout."),
    ] = CompareTable.default,
    donation: Annotated[
        DonationConstruct | None,
        typer.Option(
            help="Which donation is compared: final (final_donation, the private decision) or in-dialogue "
            "(in_dialogue_donation, the VS paper's last amount stated in the chat). Default: in-dialogue with "
            "--table vs-paper (the paper's construct), final otherwise.",
            show_default=False,
        ),
    ] = None,
    scale: Annotated[
        CompareScale,
        typer.Option(
            help="amount: donations as they are (a run paid otherwise than the study's $2 is refused); share: "
            "every donation as a share of its payment, on both sides."
        ),
    ] = CompareScale.amount,
    effects: Annotated[
        list[EffectsKind] | None,
        typer.Option(
            "--effects",
            help="Also regress the donation on the persuadee's traits or the persuader's strategies, humans and "
            "each method side by side, with fidelity scores (repeatable; docs/validity.md).",
        ),
    ] = None,
    calibrate: Annotated[
        Objective | None,
        typer.Option(
            help="Also calibrate over the compared cells by this objective (split seeded by --seed; files in "
            "OUT/calibrate) and show it in report.html. Without it, a directory calibrated by simsocial calibrate "
            "has that saved calibration shown.",
            show_default=False,
        ),
    ] = None,
) -> None:
    from simsocial.cli.compare_checks import (
        check_binnable_cleaning,
        check_compare_inputs,
        sample_size_warnings,
        track_output,
    )
    from simsocial.cli.compare_notes import cleaning_notes
    from simsocial.cli.compare_print import print_comparison, write_comparison
    from simsocial.metrics import language
    from simsocial.report import html as html_report
    from simsocial.report import plots
    from simsocial.report import scale as scales
    from simsocial.report.compare import compare_runs
    from simsocial.report.rundir import read_runs
    from simsocial.terminal_text import terminal_safe

    if out is None:
        if len(run_dirs) != 1:
            raise typer.BadParameter("pass --out when comparing several directories", param_hint="--out")
        out = run_dirs[0] / "compare"
    from simsocial.campaign.analysis import is_campaign_dir

    if any(is_campaign_dir(d) for d in run_dirs):  # campaigns: adoption curves, reach, dollars (campaign_compare)
        from simsocial.cli.campaign_compare import compare_campaigns

        compare_campaigns(run_dirs, out, format=format.value, n_resamples=resamples, seed=seed)
        return
    embedder = None
    if embed_base_url or embed_model:
        if not embed_model:
            raise typer.BadParameter("--embed-model is required with --embed-base-url", param_hint="--embed-model")
        embedder = language.OpenAIEmbedder(model=embed_model, base_url=embed_base_url)

    check_compare_inputs(run_dirs, out)  # a directory given twice, an unwritable --out: refused up front
    check_binnable_cleaning(cleaning.value)
    try:
        runs = read_runs(run_dirs)
        notes = scales.check_scales(runs, scale.value)  # a run paid otherwise: refused on the amount scale
    except (FileNotFoundError, scales.ScaleError) as exc:
        typer.secho(f"error: {exc}", err=True, fg="red")
        raise typer.Exit(2) from None
    if scale is CompareScale.share:
        runs = [scales.to_common_scale(r) for r in runs]
    if donation is None:  # the paper's table reads the paper's construct unless told otherwise
        donation = DonationConstruct.in_dialogue if table_kind is CompareTable.vs_paper else DonationConstruct.final
    comparison = compare_runs(
        runs, cleaning=cleaning.value, n_resamples=resamples, seed=seed, embedder=embedder, donation=donation.value
    )
    if scale is CompareScale.share:
        comparison = dataclasses.replace(comparison, table=scales.as_shares(comparison.table),
                                         settings=comparison.settings | {"scale": "share"})  # fmt: skip

    out.mkdir(parents=True, exist_ok=True)
    track_output(out)  # a failure from here on removes what was written (simsocial.cli.main.cli)
    write_comparison(comparison, out)
    figures = plots.save_figures(comparison, out)
    effect_results, sections = [], []
    if effects:
        from simsocial.cli.effects_output import compute_effects, write_effects

        effect_results = compute_effects(runs, [e.value for e in effects], cleaning=cleaning.value,
                                         donation=donation.value, seed=seed)  # fmt: skip
        sections = write_effects(effect_results, out)
    calibration = calibration_sections(run_dirs, runs, out, calibrate, cleaning.value, donation.value, seed,
                                       resamples)  # fmt: skip
    sections = calibration.sections + sections
    report = html_report.write_report(comparison, figures, out / "report.html", extra_sections=sections)

    print_comparison(comparison, runs, out, format, table_kind, scale)
    for note in notes + cleaning_notes(comparison.methods):
        typer.secho(f"note: {note}", err=True)
    if effect_results:
        from simsocial.cli.effects_output import print_effects

        # JSON and CSV on stdout stay parseable: the effects tables go to stderr beside the notes then.
        print_effects(effect_results, to_stderr=format in (CompareFormat.json, CompareFormat.csv))
    for line in calibration.lines:
        typer.echo(terminal_safe(line), err=True)
    for warning in calibration.warnings + sample_size_warnings(comparison.table):
        typer.secho(f"warning: {terminal_safe(warning)}", err=True, fg="yellow")
    typer.echo(
        f"wrote {out / 'comparison.csv'}, {out / 'comparison.json'}, {report} and {len(figures)} figures", err=True
    )


def calibration_sections(run_dirs: list[Path], runs: list, out: Path, objective: Objective | None,
                         cleaning: str, donation: str, seed: int, resamples: int):  # fmt: skip
    """The report's calibration sections: made now (``--calibrate``) or as ``simsocial calibrate`` saved them."""
    from simsocial.validity.compare_calibration import calibrate_compared, saved_sections

    if objective is not None:
        return calibrate_compared(runs, out, objective.value, cleaning=cleaning, donation=donation, seed=seed,
                                  n_resamples=resamples)  # fmt: skip
    return saved_sections(run_dirs, out, cleaning=cleaning, donation=donation)


def register(app: typer.Typer) -> None:
    """Add the ``compare`` command to the ``simsocial`` app."""
    app.command("compare", help=COMPARE_HELP)(compare)
