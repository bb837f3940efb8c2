"""``simsocial batch --dry-run`` on a campaign sweep: an upper bound on dialogues, calls and tokens per cell group.

Each cell is bounded by its network's edges and contact limit (:func:`simsocial.campaign.estimate.dialogue_bound`),
times the full-length estimate of one of its dialogues (:func:`simsocial.batch.estimate.dialogue_estimate`).
No call is made, nothing is written.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.markup import escape
from rich.table import Table

from simsocial.batch.estimate import Estimate, dialogue_estimate
from simsocial.campaign.estimate import dialogue_bound
from simsocial.campaign.network import build_graph, choose_seeds
from simsocial.campaign.sweep import CampaignCell


def cell_bound(cell: CampaignCell) -> Estimate:
    """At most this many dialogues, calls and tokens in ``cell``."""
    spec = cell.campaign.campaign
    graph = build_graph(spec.network, cell.seed)
    dialogues = dialogue_bound(graph, choose_seeds(graph, spec.seeds, cell.seed), spec.contacts_per_round, cell.rounds)
    return dialogue_estimate(cell.campaign.peer_scenario, cell.condition).times(dialogues)


def bound_table(cells: Sequence[CampaignCell]) -> Table:
    """One row per cell group (a cell without its seed), and the total."""
    groups: dict[str, tuple[int, Estimate]] = {}
    for cell in cells:
        key = cell.label.removesuffix(f"-s{cell.seed}")
        count, total = groups.get(key, (0, Estimate()))
        groups[key] = (count + 1, total + cell_bound(cell))
    title = f"at most, over {len(cells)} cell(s) (bounded by the networks' edges; nothing was called)"
    table = Table(title=title)
    for header in ("cells", "seeds", "dialogues", "LLM calls", "prompt tokens", "completion tokens"):
        table.add_column(header, justify="left" if header == "cells" else "right")
    rows = list(groups.items())
    if len(rows) > 1:
        everything = Estimate()
        for _, (_, e) in rows:
            everything += e
        rows.append(("total", (len(cells), everything)))
    for name, (count, e) in rows:
        table.add_row(escape(name), str(count), f"{e.dialogues:,}", f"{e.calls:,}", f"{e.prompt_tokens:,}",
                      f"{e.completion_tokens:,}")  # fmt: skip
    return table
