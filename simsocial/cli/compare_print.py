"""What ``simsocial compare`` writes into ``--out`` and prints: the comparison as CSV and JSON, and the table in
the asked format (simsocial's transposed table, JSON, CSV, Markdown, or the VS paper's Table 21 layout)."""

from __future__ import annotations

from pathlib import Path

import typer

from simsocial.cli.analysis_choices import CompareFormat, CompareScale, CompareTable
from simsocial.json_output import json_text, write_json


def write_comparison(comparison, out: Path) -> None:
    """``comparison.csv`` (one row per run × method) and ``comparison.json`` (settings, rows, human, cleaning)."""
    comparison.table.to_csv(out / "comparison.csv", index=False)
    payload = {
        "settings": comparison.settings,
        "rows": comparison.table.to_dict("records"),
        "human": comparison.human.to_dict(),
        "cleaning": {m.label: m.cleaning.to_dict() for m in comparison.methods},
    }
    write_json(out / "comparison.json", payload)


def print_comparison(comparison, runs: list, out: Path, format: CompareFormat, table_kind: CompareTable,
                     scale: CompareScale) -> None:  # fmt: skip
    """The comparison on stdout in ``format``; the vs-paper table also writes ``vs_paper.json``."""
    from simsocial.cli.compare_checks import annotate_display
    from simsocial.cli.compare_notes import column_headers, share_display
    from simsocial.report.compare import display_table, to_markdown

    if table_kind is CompareTable.vs_paper:
        from simsocial.report.vs_paper_table import not_paper_protocol_warning, render

        warning = not_paper_protocol_warning(runs)
        if warning:
            typer.secho(f"warning: {warning}", err=True, fg="yellow")
        (out / "vs_paper.json").write_text(render(comparison, "json"))
        typer.echo(render(comparison, "markdown" if format is CompareFormat.table else format.value))
    elif format is CompareFormat.json:
        typer.echo(json_text(comparison.table.to_dict("records")))
    elif format is CompareFormat.csv:
        typer.echo(comparison.table.to_csv(index=False), nl=False)
    elif format is CompareFormat.markdown:
        typer.echo(to_markdown(comparison.table, comparison.human))
    else:
        from rich.console import Console
        from rich.table import Table

        # Transposed — figures as rows, one column per source — so it fits a terminal.
        shown = annotate_display(display_table(comparison.table, comparison.human))
        if scale is CompareScale.share:
            shown = share_display(shown)
        shares = " · donations as a share of the payment" if scale is CompareScale.share else ""
        table = Table(title=f"Simulated vs human (PersuasionForGood){shares}")
        table.add_column("figure", style="bold")
        for header in column_headers(comparison.methods):
            table.add_column(header, overflow="fold")
        for col in shown.columns[2:]:
            table.add_row(col, *[str(v) for v in shown[col]])
        Console().print(table)
