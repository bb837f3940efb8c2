"""HTML sections of the validity analyses, for ``report.html`` (compare) and ``calibration.html`` (calibrate).

Each section is a fragment (heading, explanation, table, figure as base64 PNG) that
:func:`simsocial.report.html.render_report` places before its cleaning notes.  Every text is escaped.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from simsocial.validity.calibrate import Calibration
from simsocial.validity.effects import Effects, display_fidelity
from simsocial.validity.objectives import METRICS


def _img(path: Path, alt: str) -> str:
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def _table(rows: list[dict[str, str]]) -> str:
    frame = pd.DataFrame(rows)
    return f"<div class='scroll'>{frame.to_html(index=False, escape=True, border=0)}</div>"


def calibration_section(result: Calibration, figure: Path, *, anchor: str = "calibration", source: str = "",
                        warnings: Sequence[str] = ()) -> str:  # fmt: skip
    """The calibration table (the chosen cell starred and shaded) and figure, with what the figures mean.

    ``source`` says where the calibration comes from (shown escaped); ``warnings`` are shown above the table.
    """
    settings = result.settings
    split = settings.get("split", {})
    fit, held = split.get("fit", {}), split.get("held_out", {})
    made_with = ", ".join(f"{name} {html.escape(str(settings[name]))}" for name in _SETTINGS if name in settings)
    notes = "".join(f"<p class='warn'>⚠ {html.escape(w)}</p>" for w in warnings)
    return (
        f"<h2 id='{html.escape(anchor)}'>Calibration: chosen on half the humans, judged on the other half</h2>"
        + (f"<p class='note'>{html.escape(source)}</p>" if source else "")
        + notes
        + f"<p>Human persuadees split at random, stratified on whether they gave: fit half n={_n(fit)} "
        f"({_share(fit)} gave), held-out half n={_n(held)} ({_share(held)} gave); {made_with}. "
        f"The cell with the lowest <b>{html.escape(result.objective)}</b> on the fit half is chosen "
        f"(★ <code>{html.escape(result.chosen)}</code>); every cell's held-out figures carry a 95% percentile "
        "bootstrap interval resampling simulated and held-out dialogues. The gap is fit − held-out: below 0, the "
        "choice looks better on the humans it was chosen on than on new ones. Distances: lower is closer to the "
        "humans; read held-out intervals that overlap as a tie.</p>"
        + _calibration_table(result)
        + _img(figure, f"calibration by {result.objective}")
    )


_SETTINGS = ("seed", "n_resamples", "cleaning", "donation")


def _n(half: dict) -> str:
    return html.escape(str(half.get("n", "?")))


def _share(half: dict) -> str:
    share = half.get("share_gave")
    return "?" if share is None or pd.isna(share) else f"{100 * float(share):.1f}%"


def _calibration_table(result: Calibration) -> str:
    """Every cell's fit and held-out figure of every metric (the objective first), the chosen row shaded."""
    metrics = [result.objective, *(m for m in METRICS if m != result.objective)]
    header = ["cell", "n sim", "gap (fit − held-out)"]
    for metric in metrics:
        header += [f"fit {metric}", f"held-out {metric} [95% CI]"]
    body = []
    for _, row in result.table.iterrows():
        cells = [("★ " if row["chosen"] else "") + str(row["cell"]), str(row["n_sim"]), _number(row["gap"], "+.3f")]
        for metric in metrics:
            key = metric.replace("-", "_")
            cells += [_number(row.get(f"fit_{key}"), ".3f"), _held_out(row, key)]
        shaded = " class='chosen'" if row["chosen"] else ""
        body.append(f"<tr{shaded}>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    return f"<div class='scroll'><table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"


def _number(value: object, fmt: str) -> str:
    return "–" if value is None or pd.isna(value) else f"{float(value):{fmt}}"


def _held_out(row: pd.Series, key: str) -> str:
    value = row.get(f"heldout_{key}")
    if value is None or pd.isna(value):
        return "–"
    low, high = row.get(f"heldout_{key}_low"), row.get(f"heldout_{key}_high")
    return f"{float(value):.3f} [{_number(low, '.3f')}, {_number(high, '.3f')}]"


def effects_section(title: str, anchor: str, result: Effects, figure: Path, notes: str) -> str:
    """A trait- or strategy-effects section: coefficients side by side, fidelity scores, power, forest plot."""
    effects, power = result.effects, result.power
    shown = effects.assign(estimate=[_estimate(r) for _, r in effects.iterrows()])
    wide = shown.pivot_table(index=["model", "term"], columns="source", values="estimate", aggfunc="first",
                             sort=False).reset_index()  # fmt: skip
    power_items = "".join(f"<li>{html.escape(p)}</li>" for p in power)
    return (
        f"<h2 id='{html.escape(anchor)}'>{html.escape(title)}</h2><p>{html.escape(notes)}</p>"
        f"<h3>Coefficients [95% CI] (* p &lt; 0.05)</h3>"
        + _table(wide.to_dict("records"))
        + "<h3>Fidelity to the humans</h3>"
        + _table(display_fidelity(result).astype(str).to_dict("records"))
        + "<p class='note'>Sign agreement: among the effects significant in the humans (p &lt; 0.05), the share "
        "whose simulated coefficient has the same sign. Correlation: Pearson, human vs simulated coefficients. "
        "Intervals: percentile bootstrap resampling and refitting both sides.</p>"
        + f"<h3>Power</h3><ul>{power_items}</ul>"
        + _img(figure, anchor)
    )


def _estimate(row: pd.Series) -> str:
    if pd.isna(row["coef"]):
        return "–"
    star = "*" if row["p"] < 0.05 else ""
    return f"{row['coef']:+.3f}{star} [{row['low']:+.3f}, {row['high']:+.3f}]"


def standalone_page(title: str, body: str) -> str:
    """A self-contained page (the report's style) around ``body``."""
    from simsocial.report.html import _CSS

    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{_CSS}</style></head><body><h1>{html.escape(title)}</h1>{body}</body></html>")  # fmt: skip
