"""One method's campaign on the network: who has adopted, from whom, who was asked, and the round plan.

Pure logic, no LLM: :meth:`Diffusion.plan` decides a round's (advocate, target) contacts from the state
and seeded generators; :meth:`Diffusion.apply` applies all of a round's outcomes at once, so the order in
which dialogues finish never changes the result.  Rules: every adopter stays an advocate; an advocate
asks each neighbour at most once (a refusal is not asked again by the same friend); a person is asked by
at most one advocate per round (advocates claim targets in a seeded random order); a person asked again
by another friend in a later round remembers the earlier outcome (:attr:`Diffusion.history`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx
import numpy as np

_ORDER_STREAM = 0xAD0C  # the order advocates claim targets in
_PICK_STREAM = 0xC0DE  # which neighbours an advocate with a contact limit asks


@dataclass(frozen=True)
class Contact:
    """One planned dialogue: ``advocate`` asks ``target`` in ``round``."""

    round: int
    advocate: int
    target: int


@dataclass(frozen=True)
class Outcome:
    """How a dialogue ended for its target."""

    round: int
    advocate: int
    donation: float | None  # None: the dialogue failed (the endpoint gave up)
    adopted: bool
    status: str


@dataclass
class Diffusion:
    """The state of one method's campaign (see module doc)."""

    graph: nx.Graph
    seeds: list[int]
    seed: int
    seed_gift: float = 1.0  # what a seed advocate says it gave
    adopted_round: dict[int, int] = field(default_factory=dict)
    parent: dict[int, int | None] = field(default_factory=dict)
    depth: dict[int, int] = field(default_factory=dict)
    asked: set[tuple[int, int]] = field(default_factory=set)
    history: dict[int, list[Outcome]] = field(default_factory=dict)
    gift: dict[int, float] = field(default_factory=dict)  # what each advocate gave (it tells its friends)

    def __post_init__(self) -> None:
        for node in self.seeds:
            self.adopted_round[node] = 0
            self.parent[node] = None
            self.depth[node] = 0
            self.gift[node] = self.seed_gift

    def adopted(self, node: int) -> bool:
        return node in self.adopted_round

    def advocates(self) -> list[int]:
        """Everyone who has adopted (seeds included), sorted."""
        return sorted(self.adopted_round)

    def plan(self, round_: int, contacts_per_round: int | None) -> list[Contact]:
        """The contacts of ``round_``: each advocate asks up to ``contacts_per_round`` neighbours (None: all)
        who have not adopted, whom it has not asked, and whom no other advocate claimed this round."""
        order = self.advocates()
        np.random.default_rng([self.seed, round_, _ORDER_STREAM]).shuffle(order)
        claimed: set[int] = set()
        contacts: list[Contact] = []
        for advocate in order:
            open_ = [n for n in sorted(self.graph.neighbors(advocate))
                     if not self.adopted(n) and (advocate, n) not in self.asked and n not in claimed]  # fmt: skip
            if contacts_per_round is not None and len(open_) > contacts_per_round:
                pick = np.random.default_rng([self.seed, round_, advocate, _PICK_STREAM])
                open_ = sorted(int(n) for n in pick.choice(open_, size=contacts_per_round, replace=False))
            claimed.update(open_)
            contacts.extend(Contact(round_, advocate, target) for target in open_)
        return sorted(contacts, key=lambda c: (c.advocate, c.target))

    def apply(self, results: list[tuple[Contact, Outcome]]) -> list[int]:
        """Apply a round's outcomes at once; returns the new adopters, sorted."""
        new: list[int] = []
        for contact, outcome in sorted(results, key=lambda r: (r[0].advocate, r[0].target)):
            self.asked.add((contact.advocate, contact.target))
            self.history.setdefault(contact.target, []).append(outcome)
            if outcome.adopted and not self.adopted(contact.target):
                self.adopted_round[contact.target] = contact.round
                self.parent[contact.target] = contact.advocate
                self.depth[contact.target] = self.depth[contact.advocate] + 1
                self.gift[contact.target] = outcome.donation or 0.0
                new.append(contact.target)
        return sorted(new)

    def earlier(self, target: int) -> Outcome | None:
        """The latest earlier outcome of ``target`` (what it remembers when asked again), or None."""
        past = self.history.get(target)
        return past[-1] if past else None

    def donated(self, node: int) -> float | None:
        """What ``node`` gave over all its dialogues (None: never asked, or every dialogue failed)."""
        gifts = [o.donation for o in self.history.get(node, []) if o.donation is not None]
        return float(sum(gifts)) if gifts else None

    def cascade_depth(self) -> int:
        """The longest chain of parents (seeds are depth 0)."""
        return max(self.depth.values(), default=0)
