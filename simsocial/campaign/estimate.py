"""An upper bound on a campaign's dialogues and calls before it runs (``simsocial campaign --dry-run``).

Two bounds, the smaller wins: an advocate asks each friend at most once, so a campaign holds at most one
dialogue per ordered pair (advocate, friend) whose friend is not a first advocate; and with a contact
limit ``c``, round ``r`` holds at most ``c`` dialogues per advocate, of whom there are at most
``seeds × (1 + c)^(r - 1)`` (never more than the people).
"""

from __future__ import annotations

import networkx as nx


def dialogue_bound(graph: nx.Graph, seeds: list[int], contacts_per_round: int | None, rounds: int) -> int:
    """At most this many dialogues in one method's campaign (see module doc)."""
    first = set(seeds)
    by_edges = sum(1 for advocate in graph for friend in graph.neighbors(advocate) if friend not in first)
    if contacts_per_round is None:
        return by_edges
    people = graph.number_of_nodes()
    by_rounds = sum(min(people, len(seeds) * (1 + contacts_per_round) ** (r - 1)) * contacts_per_round
                    for r in range(1, rounds + 1))  # fmt: skip
    return min(by_edges, by_rounds)
