"""A self-contained HTML report of a comparison: table, human reference, figures (base64 PNG), cleaning notes.

One file, no external assets or scripts, so it can be mailed or attached to an issue as is.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from simsocial import __version__
from simsocial.data.cleaning import CleaningReport
from simsocial.metrics.human_reference import HumanReference
from simsocial.report.caveats import annotate_display, sample_size_warnings
from simsocial.report.compare import Comparison, display_table
from simsocial.report.context import report_header, short_labels

_CSS = """
body { font-family: system-ui, -apple-system, Segoe UI, sans-serif; margin: 2em auto; max-width: 1200px;
       color: #222; line-height: 1.45; padding: 0 1em; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0 1.5em; }
.scroll { overflow-x: auto; max-width: 100%; border: 1px solid #ddd; margin: 0.5em 0 1.5em; }
.scroll table { margin: 0; } .scroll th { position: sticky; top: 0; white-space: nowrap; }
.scroll td { white-space: nowrap; } td.col { font-weight: 600; }
dl.header { display: grid; grid-template-columns: max-content 1fr; gap: 0.2em 1em; margin: 0.5em 0 1em; }
dl.header dt { color: #555; } dl.header dd { margin: 0; font-weight: 600; }
.warn { background: #fff4e5; border-left: 4px solid #e69500; padding: 0.4em 0.8em; margin: 0.5em 0; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: right; }
th { background: #f2f2f2; } td:first-child, td:nth-child(2) { text-align: left; }
img { max-width: 100%; border: 1px solid #eee; margin: 0.5em 0 1.5em; }
tr.chosen td { background: #fff6d5; font-weight: 600; }
code { background: #f4f4f4; padding: 0 0.2em; } .note { color: #555; font-size: 0.9em; }
"""


def _img(path: Path, alt: str) -> str:
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def _cleaning_html(title: str, report: CleaningReport) -> str:
    rules = "".join(
        f"<li><code>{html.escape(o.rule)}</code> — {html.escape(o.description)}: dropped {o.n_dropped}"
        + (f", changed {o.n_modified}" if o.n_modified else "")
        + "</li>"
        for o in report.outcomes
    )
    return (
        f"<p><b>{html.escape(title)}</b>: policy <code>{html.escape(report.policy)}</code> on "
        f"<code>{html.escape(report.amount_column)}</code>, {report.n_input} → {report.n_output} rows</p>"
        f"<ul>{rules or '<li>no rules</li>'}</ul>"
    )


def _pct(x: float | None) -> str:
    return "–" if x is None or pd.isna(x) else f"{100 * x:.1f}%"


def human_reference_html(human: HumanReference) -> str:
    """The human reference figures as HTML (also used on its own by notebooks)."""
    d, s, m = human.donations, human.say_do, human.mind_change
    acts = ", ".join(f"{html.escape(k)} {_pct(v)}" for k, v in m.first_decision_act.items())
    top = sorted(human.strategies.shares.items(), key=lambda kv: -kv[1])
    strategies_txt = ", ".join(f"{html.escape(k)} {_pct(v)}" for k, v in top)
    p_donate = _pct(m.p_donate_given_ever_refused)
    return f"""
<table>
<tr><th>figure</th><th>value</th></tr>
<tr><td>donations (persuadee, after cleaning)</td><td>n = {d.n}</td></tr>
<tr><td>mean / median / sd</td><td>${d.mean:.3f} / ${d.median:.2f} / ${d.sd:.3f}</td></tr>
<tr><td>share giving $0 / the maximum $2</td><td>{_pct(d.share_zero)} / {_pct(d.share_max)}</td></tr>
<tr><td>say–do gap (annotated, stated amount in [0, 2], n = {s.n})</td>
    <td>stated ${s.mean_stated:.3f} vs actual ${s.mean_actual:.3f} (gap {s.mean_gap:+.3f});
    gave less {_pct(s.share_gave_less)}, same {_pct(s.share_gave_same)}, more {_pct(s.share_gave_more)};
    stated &gt; 0 but gave 0: {_pct(s.share_stated_positive_gave_zero)}</td></tr>
<tr><td>mind change (annotated, n = {m.n})</td><td>{_pct(m.mind_change_rate)}
    (without disagree-donation-more: {_pct(human.mind_change_excluding_more.mind_change_rate)})</td></tr>
<tr><td>ever refused / refused → committed / committed → refused</td>
    <td>{_pct(m.ever_refused)} / {_pct(m.refused_then_committed)} / {_pct(m.committed_then_refused)}</td></tr>
<tr><td>P(donate &gt; 0 | ever refused)</td><td>{p_donate} (n = {m.n_ever_refused})</td></tr>
<tr><td>first decision act</td><td>{acts}</td></tr>
<tr><td>persuader strategies (annotated sentences, n = {human.strategies.n})</td><td>{strategies_txt}</td></tr>
<tr><td>distinct-1/2/3, Flesch–Kincaid grade (all utterances of the whole corpus; distinct-n falls as a
    corpus grows, so runs are compared with a size-matched human sample: see the table)</td>
    <td>{human.distinct[1]:.3f} / {human.distinct[2]:.3f} / {human.distinct[3]:.3f}, {human.fk_grade:.1f}</td></tr>
</table>
"""


def render_report(
    comparison: Comparison,
    figures: dict[str, Path],
    title: str = "simsocial: simulated vs human",
    extra_sections: Sequence[str] = (),
) -> str:
    """The complete HTML document as a string; ``extra_sections`` (HTML fragments) go before the cleaning notes."""
    table = _comparison_table(comparison)
    header = "".join(
        f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>"
        for k, v in report_header(comparison.settings.get("runs", [])).items()
    )
    warnings = "".join(f"<p class='warn'>⚠ {html.escape(w)}</p>" for w in _labelled_warnings(comparison))
    settings = ", ".join(f"{k} = {html.escape(str(v))}" for k, v in comparison.settings.items() if k != "runs")
    runs = "".join(f"<li><code>{html.escape(r)}</code></li>" for r in comparison.settings.get("runs", []))
    figure_titles = {
        "donation_hist": "Donation distribution",
        "donation_ecdf": "Donation ECDF",
        "mind_change": "Mind changes",
        "strategies": "Persuader strategies",
    }
    imgs = "".join(
        f"<h3>{html.escape(figure_titles.get(name, name))}</h3>{_img(path, name)}" for name, path in figures.items()
    )
    h = comparison.human
    cleaning = (
        _cleaning_html("Human donations", h.cleaning)
        + _cleaning_html("Human annotated dialogues (mind change, strategies)", h.annotated_cleaning)
        + _cleaning_html("Human stated amounts (say–do gap)", h.say_do.cleaning)
        + "".join(_cleaning_html(f"Simulated: {m.label}", m.cleaning) for m in comparison.methods)
    )
    diversity = comparison.methods[0].diversity if comparison.methods else None
    diversity_note = ""
    if diversity is not None and not diversity.semantic:
        diversity_note = (
            f"<p class='note'>Diversity used <code>{html.escape(diversity.embedder)}</code>, a hashing bag-of-words "
            "embedder: the <code>diversity</code> column of <code>comparison.csv</code> is <b>lexical</b>, not "
            "semantic. Pass an embeddings endpoint to <code>simsocial compare</code> for semantic diversity.</p>"
        )
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title><style>{_CSS}</style></head>
<body>
<h1>{html.escape(title)}</h1>
<dl class="header">{header}</dl>
{warnings}
<details><summary class="note">simsocial {__version__}, generated {generated}; runs and settings</summary>
<ul>{runs}</ul><p class="note">Settings: {settings}.</p></details>
<h2>Comparison</h2>
<div class="scroll">{table}</div>
<p class="note">Intervals: seeded percentile bootstrap (95%) over simulated dialogues; the human side is fixed.
KS: two-sample Kolmogorov–Smirnov statistic (p). L1: Σ|density difference| × $0.10 over 20 bins on [0, 2]
(0 = identical, 2 = disjoint). W1: Wasserstein-1 in dollars. Mind change: share of dialogues with a
refuse↔agree switch; Fisher p tests it against the human share. Strategy JSD: Jensen–Shannon distance
(base 2) over 10 strategies + non-strategy. distinct-2 in brackets: the human figure on a seeded sample
of as many human utterances (the comparable figure; the whole-corpus value is in the human reference
below). n marked "small n" (fewer than 30) or "none": read intervals and p-values with care. Entropy:
mean Shannon entropy (nats) of the verbalized utterance distributions.</p>
{diversity_note}
<h2>Human reference (PersuasionForGood)</h2>
{human_reference_html(h)}
<p class="note">Human persuadee acts map to stances: agree-donation, confirm-donation and
provide-donation-amount with an amount &gt; 0 (read from the sentence, else the annotated stated amount B5) →
agree; disagree-donation, disagree-donation-more → refuse; others → undecided. Data: Wang et al.,
"Persuasion for Good", ACL 2019 (Apache-2.0).</p>
<h2>Figures</h2>
{imgs}
{"".join(extra_sections)}
<h2>Cleaning</h2>
{cleaning}
</body></html>
"""


def _column_labels(comparison: Comparison) -> list[str]:
    return short_labels([(m.run, m.method) for m in comparison.methods], comparison.settings.get("runs", []))


def _comparison_table(comparison: Comparison) -> str:
    """The comparison as an HTML table: one row per column of the figures, labelled as the figures are."""
    shown = annotate_display(display_table(comparison.table, comparison.human))
    labels = ["human (PersuasionForGood)", *_column_labels(comparison)]
    if len(labels) == len(shown):
        shown.insert(0, "column", labels)
        shown = shown.drop(columns=["method"]).rename(columns={"run": "run directory"})
        shown.loc[0, "run directory"] = "bundled"
        shown = shown[[c for c in shown.columns if c != "run directory"] + ["run directory"]]  # figures first
    rows = shown.to_html(index=False, escape=True, border=0)
    return rows.replace("<tr>\n      <td>", '<tr>\n      <td class="col">')


def _labelled_warnings(comparison: Comparison) -> list[str]:
    # The CLI names columns by run directory; the report by the labels its figures use.
    return sample_size_warnings(comparison.table, names=_column_labels(comparison))


def write_report(
    comparison: Comparison, figures: dict[str, Path], path: str | Path, extra_sections: Sequence[str] = ()
) -> Path:
    """Write :func:`render_report` to ``path`` (UTF-8) and return it."""
    path = Path(path)
    path.write_text(render_report(comparison, figures, extra_sections=extra_sections), encoding="utf-8")
    return path
