"""The campaign's printed table and ``simsocial compare`` output for campaign run directories."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from rich.markup import escape
from rich.table import Table

from simsocial.campaign.analysis import adoption_curves, campaign_summary, last_states, read_campaigns
from simsocial.campaign.figures import adoption_curve_figure, network_figure, save
from simsocial.contract import DIALOGUES_FILE, RUN_MANIFEST

_FIGURES = (("reach_share", "reach", "{:.0%}"), ("depth", "cascade depth", "{:.1f}"), ("raised", "$ raised", "{:.2f}"),
            ("per_dialogue", "$ / dialogue", "{:.3f}"), ("conversion", "converts", "{:.0%}"))  # fmt: skip


def _with_ci(row: pd.Series, name: str, fmt: str, seeds: int) -> str:
    value = row.get(name)
    if value is None or pd.isna(value):
        return "–"
    if seeds < 2:
        return fmt.format(value)
    return f"{fmt.format(value)} [{fmt.format(row[f'{name}_low'])}, {fmt.format(row[f'{name}_high'])}]"


def summary_table(*run_dirs: Path, summary: pd.DataFrame | None = None, title: str = "per method") -> Table:
    """Per (run, method): seeds, dialogues, failed, then each figure with its interval over seeds."""
    summary = summary if summary is not None else campaign_summary(read_campaigns(run_dirs))
    several = summary["run"].nunique() > 1
    table = Table(title=title)
    for header in ["method", "seeds", "dialogues", "failed", *(h for _, h, _ in _FIGURES)]:
        table.add_column(header, justify="left" if header == "method" else "right")
    has_dyadic = "dyadic_conversion" in summary
    if has_dyadic:
        table.add_column("dyadic converts", justify="right")
    for _, row in summary.iterrows():
        name = f"{row['run']} · {row['method']}" if several else row["method"]
        cells = [name, str(row["seeds"]), str(row["dialogues"]), str(row["failed"]),
                 *(_with_ci(row, n, fmt, int(row["seeds"])) for n, _, fmt in _FIGURES)]  # fmt: skip
        if has_dyadic:
            dyadic = row.get("dyadic_conversion")
            cells.append("–" if dyadic is None or pd.isna(dyadic) else f"{dyadic:.0%}")
        table.add_row(*(escape(c) for c in cells))
    return table


def dyadic_conversion(run_dirs: Sequence[Path], adopt_at: float) -> dict[str, float]:
    """Share of ``simsocial run`` dialogues (per method) whose final donation reaches ``adopt_at``."""
    frames = [pd.read_parquet(Path(d) / DIALOGUES_FILE, columns=["method", "final_donation"]) for d in run_dirs]
    if not frames:
        return {}
    dialogues = pd.concat(frames, ignore_index=True)
    return (dialogues["final_donation"].fillna(0) >= adopt_at).groupby(dialogues["method"]).mean().to_dict()


def write_comparison(
    campaign_dirs: Sequence[Path], run_dirs: Sequence[Path], out: Path, *, n_resamples: int, seed: int
) -> tuple[pd.DataFrame, list[Path]]:
    """Compute the campaign figures, write CSV/JSON and figures into ``out``; returns (summary, figure paths)."""
    data = read_campaigns(campaign_dirs)
    curves = adoption_curves(data, n_resamples=n_resamples, seed=seed)
    summary = campaign_summary(data, n_resamples=n_resamples, seed=seed)
    if run_dirs:
        manifest = json.loads((Path(campaign_dirs[0]) / RUN_MANIFEST).read_text())
        rates = dyadic_conversion(run_dirs, float(manifest["scenario"]["campaign"]["adopt_at"]))
        summary["dyadic_conversion"] = summary["method"].map(rates)
    out.mkdir(parents=True, exist_ok=True)
    curves.to_csv(out / "adoption_curves.csv", index=False)
    summary.to_csv(out / "campaign_summary.csv", index=False)
    payload = {"summary": summary.to_dict("records"), "curves": curves.to_dict("records")}
    (out / "campaign_comparison.json").write_text(json.dumps(payload, indent=2, default=_plain))
    figures = [save(adoption_curve_figure(curves), out / "adoption_curves.png")]
    for (run, method), group in data.network.groupby(["run", "method"]):
        first_seed = int(group["seed"].min())
        nodes = last_states(data, run, method, first_seed)
        last_round = int(data.rounds.query("run == @run and method == @method and seed == @first_seed")["round"].max()
                         if len(data.rounds) else 0)  # fmt: skip
        title = f"{method}, seed {first_seed}, after round {last_round}"
        name = f"network-{_slug(run)}-{_slug(method)}.png" if data.network["run"].nunique() > 1 else \
            f"network-{_slug(method)}.png"  # fmt: skip
        figures.append(save(network_figure(nodes, title, layout_seed=first_seed), out / name))
    return summary, figures


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in str(text))


def _plain(value: object) -> object:
    if hasattr(value, "item"):
        return value.item()  # numpy scalars
    return None if value != value else str(value)  # NaN → null
