"""Rows of the campaign's own tables: ``network.parquet`` (method × node) and ``rounds.parquet`` (method × round).

The columns are a public interface (:data:`NETWORK_SCHEMA`, :data:`ROUNDS_SCHEMA`), as the run contract's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import networkx as nx
import pyarrow as pa

from simsocial.campaign.diffusion import Contact, Diffusion, Outcome
from simsocial.contract import CANDIDATES_SCHEMA, DIALOGUES_SCHEMA, STATUS_FAILED, TURNS_SCHEMA
from simsocial.sim.personas import Persona

NETWORK_FILE = "network.parquet"
ROUNDS_FILE = "rounds.parquet"

NETWORK_SCHEMA = pa.schema([
    ("method", pa.string()),
    ("seed", pa.int64()),  # the run seed (network, seed advocates, personas and draws derive from it)
    ("node", pa.int64()),
    ("label", pa.string()),  # the node's name in an edge-list file, else its number
    ("degree", pa.int64()),
    ("neighbors", pa.list_(pa.int64())),  # the network's edges, so a report can draw it
    ("persona_id", pa.string()),
    ("is_seed", pa.bool_()),  # a first advocate
    ("adopted_round", pa.int64()),  # 0 for seed advocates, null if never adopted
    ("parent", pa.int64()),  # the advocate whose dialogue made it adopt; null for seeds and non-adopters
    ("depth", pa.int64()),  # length of its parent chain (seeds 0); null if never adopted
    ("times_asked", pa.int64()),
    ("donation", pa.float64()),  # total final donation over its dialogues; null if never asked (or all failed)
])  # fmt: skip

ROUNDS_SCHEMA = pa.schema([
    ("method", pa.string()),
    ("seed", pa.int64()),
    ("round", pa.int64()),
    ("n_nodes", pa.int64()),
    ("advocates", pa.int64()),  # advocates at the start of the round
    ("dialogues", pa.int64()),
    ("failed_dialogues", pa.int64()),  # the endpoint gave up: no donation, no adoption (kept, status = failed)
    ("new_adopters", pa.int64()),
    ("adopted_total", pa.int64()),  # advocates after the round (seeds included)
    ("total_donated", pa.float64()),  # sum of the round's final donations
])  # fmt: skip

_CAMPAIGN_FIELDS = [("round", pa.int64()), ("advocate", pa.int64()), ("target", pa.int64())]
DIALOGUES_CAMPAIGN_SCHEMA = pa.schema([*DIALOGUES_SCHEMA, *_CAMPAIGN_FIELDS])
TURNS_CAMPAIGN_SCHEMA = pa.schema([*TURNS_SCHEMA, *_CAMPAIGN_FIELDS])
CANDIDATES_CAMPAIGN_SCHEMA = pa.schema([*CANDIDATES_SCHEMA, *_CAMPAIGN_FIELDS])


def round_row(
    label: str, seed: int, round_: int, advocates: int, results: Sequence[tuple[Contact, Outcome]], new: list[int],
    diffusion: Diffusion, n_nodes: int,
) -> dict[str, Any]:  # fmt: skip
    """One ``rounds.parquet`` row."""
    return {
        "method": label, "seed": seed, "round": round_, "n_nodes": n_nodes, "advocates": advocates,
        "dialogues": len(results),
        "failed_dialogues": sum(o.status == STATUS_FAILED for _, o in results),
        "new_adopters": len(new),
        "adopted_total": len(diffusion.advocates()),
        "total_donated": float(sum(o.donation for _, o in results if o.donation is not None)),
    }  # fmt: skip


def network_rows(
    label: str, seed: int, graph: nx.Graph, diffusion: Diffusion, personas: Sequence[Persona]
) -> list[dict[str, Any]]:
    """The ``network.parquet`` rows of one method's campaign."""
    rows = []
    for node in sorted(graph.nodes):
        rows.append({
            "method": label, "seed": seed, "node": node, "label": str(graph.nodes[node].get("label", node)),
            "degree": graph.degree[node], "neighbors": sorted(graph.neighbors(node)),
            "persona_id": personas[node].persona_id,
            "is_seed": node in diffusion.seeds, "adopted_round": diffusion.adopted_round.get(node),
            "parent": diffusion.parent.get(node), "depth": diffusion.depth.get(node),
            "times_asked": len(diffusion.history.get(node, [])), "donation": diffusion.donated(node),
        })  # fmt: skip
    return rows
