"""The campaign's social network: a seeded networkx graph with integer nodes, and who starts as an advocate."""

from __future__ import annotations

import networkx as nx
import numpy as np

from simsocial.campaign.config import NetworkSpec, SeedsSpec
from simsocial.sim.scenario import ScenarioError

_SEEDS_STREAM = 0x5EED5  # keeps the choice of seed advocates apart from every other draw


def build_graph(spec: NetworkSpec, seed: int) -> nx.Graph:
    """The network ``spec`` describes, the same for the same ``seed``; nodes are 0..n-1.

    An edge-list file's labels are kept in the node attribute ``label`` (nodes are renumbered in sorted
    label order, so the numbering does not depend on the order of the lines).
    """
    if spec.generator == "watts_strogatz":
        # The connected variant: a campaign on a graph that fell apart would measure the rewiring, not persuasion.
        graph = nx.connected_watts_strogatz_graph(spec.n, spec.k, spec.p, tries=1000, seed=seed)
    elif spec.generator == "barabasi_albert":
        graph = nx.barabasi_albert_graph(spec.n, spec.m, seed=seed)
    elif spec.generator == "erdos_renyi":
        graph = nx.gnp_random_graph(spec.n, spec.p, seed=seed)
    elif spec.generator == "line":
        graph = nx.path_graph(spec.n)
    else:
        graph = _read_edge_list(spec)
    return nx.Graph(graph)  # a plain undirected graph whatever the generator returned


def _read_edge_list(spec: NetworkSpec) -> nx.Graph:
    assert spec.path is not None  # validated
    if not spec.path.is_file():
        raise ScenarioError(f"campaign.network.path: edge-list file not found: {spec.path}")
    try:
        graph = nx.read_edgelist(spec.path, nodetype=str, data=False)
    except (TypeError, IndexError) as exc:
        raise ScenarioError(f"campaign.network.path: {spec.path} is not an edge list ('a b' per line): {exc}") from None
    if graph.number_of_nodes() < 2:
        raise ScenarioError(f"campaign.network.path: {spec.path} has fewer than 2 people")
    graph.remove_edges_from(nx.selfloop_edges(graph))
    return nx.convert_node_labels_to_integers(graph, ordering="sorted", label_attribute="label")


def choose_seeds(graph: nx.Graph, spec: SeedsSpec, seed: int) -> list[int]:
    """The first advocates, sorted: the listed nodes, or ``count`` at random (seeded) or by degree."""
    nodes = sorted(graph.nodes)
    if spec.nodes is not None:
        unknown = [n for n in spec.nodes if n not in graph]
        if unknown:
            raise ScenarioError(f"campaign.seeds.nodes: {unknown} are not nodes of the network (0..{len(nodes) - 1})")
        return sorted(set(spec.nodes))
    count = spec.count or 0
    if count > len(nodes):
        raise ScenarioError(f"campaign.seeds.count: {count} seeds but the network has {len(nodes)} people")
    if spec.choose == "random":
        rng = np.random.default_rng([seed, _SEEDS_STREAM])
        return sorted(int(n) for n in rng.choice(nodes, size=count, replace=False))
    sign = -1 if spec.choose == "highest_degree" else 1
    return sorted(sorted(nodes, key=lambda n: (sign * graph.degree[n], n))[:count])
