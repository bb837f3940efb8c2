"""One simulated dialogue as a readable transcript: who said what, with which label, and what they gave.

Reads a run directory's ``turns.parquet`` (and its currency from ``run.json``), so it works on any run,
finished or replayed.  Used by ``simsocial run`` after its table and by the notebook.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
from rich.console import Group
from rich.markup import escape
from rich.panel import Panel
from rich.text import Text

from simsocial.contract import TURNS_FILE
from simsocial.report.currency import amount, run_currency
from simsocial.terminal_text import terminal_safe

_COLUMNS = ["dialogue_id", "method", "turn", "role", "kind", "text", "label", "stated_amount", "chosen_probability"]


def load_dialogue_turns(run_dir: str | Path, dialogue_id: str | None = None) -> pd.DataFrame:
    """The turns of one dialogue (default: the first whose persuadee stated an amount, else the first)."""
    turns = pq.read_table(Path(run_dir) / TURNS_FILE, columns=_COLUMNS).to_pandas()
    if turns.empty:
        return turns
    if dialogue_id is None:
        stated = turns.loc[turns["stated_amount"].notna() & (turns["kind"] == "utterance"), "dialogue_id"]
        dialogue_id = str(stated.iloc[0]) if len(stated) else str(turns["dialogue_id"].iloc[0])
    return turns[turns["dialogue_id"] == dialogue_id].sort_values(["turn", "kind"], kind="stable")


def _amount(value: object, currency: str) -> str:
    return amount(float(value), currency) if value is not None and pd.notna(value) else ""


def transcript_lines(turns: pd.DataFrame, currency: str = "$") -> list[str]:
    """Plain-text lines: ``[t1] persuader (credibility-appeal, p=0.40): text`` … then the donation."""
    lines: list[str] = []
    for row in turns.itertuples(index=False):
        p = f", p={row.chosen_probability:.2f}" if pd.notna(row.chosen_probability) else ""
        if row.kind == "donation":
            lines.append(f"private donation: {_amount(row.stated_amount, currency) or '(none)'}{p}")
            continue
        said = _amount(row.stated_amount, currency)
        # Model text is printed on a terminal: no escape sequence of the model's gets there (clipboard, title).
        label = terminal_safe(row.label) if isinstance(row.label, str) else "–"
        extra = f", says {said}" if said and row.role == "persuadee" else ""
        text = terminal_safe(row.text) if isinstance(row.text, str) else "(no text)"
        lines.append(f"[t{row.turn}] {row.role} ({label}{extra}{p}): {text}")
    return lines


def render_transcript(run_dir: str | Path, dialogue_id: str | None = None, currency: str | None = None) -> Panel | None:
    """A rich panel with one dialogue (amounts in ``currency``, default the run's), or None with no turns."""
    turns = load_dialogue_turns(run_dir, dialogue_id)
    if turns.empty:
        return None
    body = []
    for line in transcript_lines(turns, currency or run_currency(run_dir)):
        style = "bold green" if line.startswith("private") else ("cyan" if "] persuader" in line else "")
        body.append(Text(line, style=style))
    first = turns.iloc[0]
    title = f"one sampled dialogue: {escape(str(first['dialogue_id']))} ({escape(str(first['method']))})"
    return Panel(Group(*body), title=title, title_align="left")
