"""``simsocial human``: the human reference figures of the bundled PersuasionForGood study."""

from __future__ import annotations

import math
from typing import Annotated

import typer

from simsocial.cli.analysis_choices import CleaningChoice, HumanFormat
from simsocial.data.cleaning import DEFAULT_POLICY
from simsocial.json_output import json_text


def _pct(x: float | None) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.1f}%"


def _print_human_table(ref) -> None:
    from rich.console import Console
    from rich.table import Table

    d, s, m, m2 = ref.donations, ref.say_do, ref.mind_change, ref.mind_change_excluding_more
    table = Table(title="Human reference: PersuasionForGood (Wang et al., ACL 2019)", show_lines=False)
    table.add_column("figure", style="bold")
    table.add_column("value")
    rows = [
        ("cleaning", ref.cleaning.summary()),
        ("donations n", str(d.n)),
        ("mean / median / sd", f"${d.mean:.3f} / ${d.median:.2f} / ${d.sd:.3f}"),
        ("share $0 / share $2", f"{_pct(d.share_zero)} / {_pct(d.share_max)}"),
        ("histogram ($0.10 bins)", " ".join(str(int(c)) for c in d.histogram.counts)),
        (f"say–do gap (n={s.n})", f"stated ${s.mean_stated:.3f} → gave ${s.mean_actual:.3f} (gap {s.mean_gap:+.3f})"),
        (
            "  gave less / same / more",
            f"{_pct(s.share_gave_less)} / {_pct(s.share_gave_same)} / {_pct(s.share_gave_more)}",
        ),
        ("  stated > 0, gave 0", _pct(s.share_stated_positive_gave_zero)),
        (
            f"mind change (annotated, n={m.n})",
            f"{_pct(m.mind_change_rate)} (w/o disagree-more: {_pct(m2.mind_change_rate)})",
        ),
        ("ever refused", _pct(m.ever_refused)),
        ("refused → committed", _pct(m.refused_then_committed)),
        (
            "committed → refused",
            f"{_pct(m.committed_then_refused)} (w/o disagree-more: {_pct(m2.committed_then_refused)})",
        ),
        (f"P(donate | ever refused) (n={m.n_ever_refused})", _pct(m.p_donate_given_ever_refused)),
        ("first decision act", ", ".join(f"{k} {_pct(v)}" for k, v in m.first_decision_act.items())),
    ]
    top = sorted(ref.strategies.shares.items(), key=lambda kv: -kv[1])
    rows.append((f"strategies (n={ref.strategies.n} sentences)", ", ".join(f"{k} {_pct(v)}" for k, v in top)))
    rows.append(
        (
            "distinct-1/2/3, FK grade",
            f"{ref.distinct[1]:.3f} / {ref.distinct[2]:.3f} / {ref.distinct[3]:.3f}, {ref.fk_grade:.1f}",
        )
    )
    for k, v in rows:
        table.add_row(k, v)
    Console().print(table)


HUMAN_HELP = (
    "Show the human reference figures from the bundled PersuasionForGood study.\n\n"
    "Donations (n, mean, median, sd, share $0 and $2, $0.10 histogram), the say–do gap between stated and "
    "actual donations, persuadee mind changes and the persuader strategy mix — computed with the same metric "
    "code used on simulated runs, after the named cleaning policy (what it drops is shown)."
)


def human(
    format: Annotated[
        HumanFormat, typer.Option("--format", "-f", help="table: a readable summary; json: every figure.")
    ] = HumanFormat.table,
    cleaning: Annotated[
        CleaningChoice, typer.Option(help="Cleaning policy for donations (see simsocial.data.cleaning).")
    ] = CleaningChoice[DEFAULT_POLICY],
) -> None:
    from simsocial.cli.compare_checks import check_binnable_cleaning
    from simsocial.metrics.human_reference import human_reference

    check_binnable_cleaning(cleaning.value)
    ref = human_reference(cleaning.value)
    if format is HumanFormat.json:
        typer.echo(json_text(ref.to_dict()))
    else:
        _print_human_table(ref)


def register(app: typer.Typer) -> None:
    """Add the ``human`` command to the ``simsocial`` app."""
    app.command("human", help=HUMAN_HELP)(human)
