"""``simsocial compare`` on campaign run directories (and, beside them, ``simsocial run`` directories whose
dyadic conversion rate per method is shown next to the campaign's)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console

from simsocial.campaign.analysis import is_campaign_dir


def compare_campaigns(run_dirs: list[Path], out: Path, *, format: str, n_resamples: int, seed: int) -> None:  # noqa: A002
    """Print the per-method campaign table; write CSV/JSON and the figures into ``out``."""
    from simsocial.campaign.report import summary_table, write_comparison
    from simsocial.cli.compare_checks import check_compare_inputs, track_output

    campaigns = [d for d in run_dirs if is_campaign_dir(d)]
    dyadic = [d for d in run_dirs if not is_campaign_dir(d)]
    check_compare_inputs(run_dirs, out)
    try:
        track_output(out)
        summary, figures = write_comparison(campaigns, dyadic, out, n_resamples=n_resamples, seed=seed)
    except FileNotFoundError as exc:
        raise typer.BadParameter(str(exc), param_hint="RUN_DIR") from exc
    if format == "json":
        typer.echo(json.dumps(json.loads(summary.to_json(orient="records")), indent=2))
    elif format == "csv":
        typer.echo(summary.to_csv(index=False), nl=False)
    elif format == "markdown":
        typer.echo(summary.to_markdown(index=False) if _has_tabulate() else summary.to_string(index=False))
    else:
        Console(width=None if Console().is_terminal else 160).print(
            summary_table(summary=summary, title="Campaigns: reach, depth, dollars (95% CI over seeds)")
        )
    typer.echo(f"wrote {out / 'campaign_summary.csv'}, {out / 'adoption_curves.csv'}, "
               f"{out / 'campaign_comparison.json'} and {len(figures)} figures", err=True)  # fmt: skip


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401
    except ImportError:
        return False
    return True
