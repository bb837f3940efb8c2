"""HTML sections of the validity analyses, for ``report.html`` (compare) and ``calibration.html`` (calibrate).

Each section is a fragment (heading, explanation, table, figure as base64 PNG) that
:func:`simsocial.report.html.render_report` places before its cleaning notes.  Every text is escaped.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path

import pandas as pd

from simsocial.validity.calibrate import Calibration, display_rows
from simsocial.validity.effects import Effects, display_fidelity


def _img(path: Path, alt: str) -> str:
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def _table(rows: list[dict[str, str]]) -> str:
    frame = pd.DataFrame(rows)
    return f"<div class='scroll'>{frame.to_html(index=False, escape=True, border=0)}</div>"


def calibration_section(result: Calibration, figure: Path) -> str:
    """The calibration table (chosen cell starred) and figure, with what the figures mean."""
    split = result.settings["split"]
    fit, held = split["fit"], split["held_out"]
    return (
        f"<h2 id='calibration'>Calibration: chosen on half the humans, judged on the other half</h2>"
        f"<p>Human persuadees split at random (seed {result.settings['seed']}), stratified on whether they gave: "
        f"fit half n={fit['n']} ({100 * fit['share_gave']:.1f}% gave), held-out half n={held['n']} "
        f"({100 * held['share_gave']:.1f}% gave). The cell with the lowest <b>{html.escape(result.objective)}</b> "
        f"on the fit half is chosen (★ <code>{html.escape(result.chosen)}</code>); every cell's held-out figures "
        f"carry a 95% percentile bootstrap interval resampling simulated and held-out dialogues. The gap is fit − "
        f"held-out: below 0, the choice looks better on the humans it was chosen on than on new ones.</p>"
        + _table(display_rows(result))
        + _img(figure, "calibration")
    )


def effects_section(title: str, anchor: str, result: Effects, figure: Path, notes: str) -> str:
    """A trait- or strategy-effects section: coefficients side by side, fidelity scores, power, forest plot."""
    effects, power = result.effects, result.power
    shown = effects.assign(estimate=[_estimate(r) for _, r in effects.iterrows()])
    wide = shown.pivot_table(index=["model", "term"], columns="source", values="estimate", aggfunc="first",
                             sort=False).reset_index()  # fmt: skip
    power_items = "".join(f"<li>{html.escape(p)}</li>" for p in power)
    return (
        f"<h2 id='{html.escape(anchor)}'>{html.escape(title)}</h2><p>{notes}</p>"
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
