"""What a campaign did, read from its run directories only: adoption curves, reach, depth, dollars.

- :func:`adoption_curves` — share of people adopted by round, per method, mean over seeds with a seeded
  percentile bootstrap interval over seeds (a campaign that stopped early keeps its last share).
- :func:`campaign_summary` — per method: seeds, dialogues, failed dialogues, final reach, cascade depth
  (the longest parent chain), dollars raised, dollars per dialogue and the share of dialogues that convert,
  each mean over seeds with its bootstrap interval.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from simsocial.campaign.tables import NETWORK_FILE, ROUNDS_FILE
from simsocial.contract import DIALOGUES_FILE
from simsocial.metrics.bootstrap import bootstrap_mean


@dataclass(frozen=True)
class CampaignData:
    """The campaign tables of one or more run directories (a ``run`` column says which)."""

    network: pd.DataFrame
    rounds: pd.DataFrame
    dialogues: pd.DataFrame


def is_campaign_dir(path: str | Path) -> bool:
    """A finished campaign run directory (it has ``rounds.parquet``)."""
    return (Path(path) / ROUNDS_FILE).is_file()


def read_campaigns(run_dirs: Sequence[str | Path]) -> CampaignData:
    """Read and stack the campaign tables of ``run_dirs``; a missing table raises FileNotFoundError."""
    frames: dict[str, list[pd.DataFrame]] = {"network": [], "rounds": [], "dialogues": []}
    names = [Path(d).name for d in run_dirs]
    for run_dir, name in zip(run_dirs, names if len(set(names)) == len(names) else map(str, run_dirs), strict=True):
        for key, filename in (("network", NETWORK_FILE), ("rounds", ROUNDS_FILE), ("dialogues", DIALOGUES_FILE)):
            path = Path(run_dir) / filename
            if not path.is_file():
                raise FileNotFoundError(f"{run_dir}: no {filename} (not a finished campaign run)")
            frames[key].append(pd.read_parquet(path).assign(run=name))
    return CampaignData(*(pd.concat(frames[k], ignore_index=True) for k in ("network", "rounds", "dialogues")))


def per_seed_shares(data: CampaignData) -> pd.DataFrame:
    """Share adopted by round for every (run, method, seed): rows = campaigns, columns = rounds 0..R."""
    seeds = data.network.groupby(["run", "method", "seed"]).agg(n=("node", "size"), adopted=("is_seed", "sum"))
    start = (seeds["adopted"] / seeds["n"]).rename(0)
    by_round = data.rounds.assign(share=data.rounds["adopted_total"] / data.rounds["n_nodes"])
    wide = by_round.pivot_table(index=["run", "method", "seed"], columns="round", values="share")
    shares = pd.concat([start, wide], axis=1).sort_index(axis=1)
    return shares.ffill(axis=1)  # a campaign with nobody left to ask keeps its share


def adoption_curves(data: CampaignData, *, n_resamples: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Per method and round: mean share adopted over seeds, with a bootstrap interval over seeds."""
    shares = per_seed_shares(data)
    rows = []
    for (run, method), group in shares.groupby(level=["run", "method"]):
        for round_ in group.columns:
            ci = bootstrap_mean(group[round_].to_numpy(), rng=seed, n_resamples=n_resamples)
            rows.append({"run": run, "method": method, "round": int(round_), "share": ci.estimate, "low": ci.low,
                         "high": ci.high, "n_seeds": len(group)})  # fmt: skip
    return pd.DataFrame(rows)


def campaign_summary(data: CampaignData, *, n_resamples: int = 2000, seed: int = 0) -> pd.DataFrame:
    """One row per (run, method): the figures of the module doc, each ``[estimate, low, high]`` over seeds."""
    keys = ["run", "method", "seed"]
    net = data.network
    per_seed = net.groupby(keys).agg(n=("node", "size"), reach=("adopted_round", lambda s: s.notna().sum()),
                                     depth=("depth", "max"))  # fmt: skip
    dialogues = data.dialogues.groupby(keys).agg(
        dialogues=("dialogue_id", "size"), failed=("status", lambda s: (s == "failed").sum()),
        raised=("final_donation", lambda s: s.fillna(0).sum()))  # fmt: skip
    converted = data.rounds.groupby(keys)["new_adopters"].sum().rename("converted")
    per_seed = per_seed.join(dialogues, how="left").join(converted, how="left").fillna(0)
    per_seed["reach_share"] = per_seed["reach"] / per_seed["n"]
    per_seed["per_dialogue"] = per_seed["raised"] / per_seed["dialogues"].where(per_seed["dialogues"] > 0)
    per_seed["conversion"] = per_seed["converted"] / per_seed["dialogues"].where(per_seed["dialogues"] > 0)
    rows = []
    for (run, method), group in per_seed.groupby(level=["run", "method"]):
        row = {"run": run, "method": method, "seeds": len(group), "dialogues": int(group["dialogues"].sum()),
               "failed": int(group["failed"].sum())}  # fmt: skip
        for name in ("reach_share", "depth", "raised", "per_dialogue", "conversion"):
            values = group[name].dropna().to_numpy(dtype=float)
            ci = bootstrap_mean(values, rng=seed, n_resamples=n_resamples)
            row |= {name: ci.estimate, f"{name}_low": ci.low, f"{name}_high": ci.high}
        rows.append(row)
    return pd.DataFrame(rows)


def last_states(data: CampaignData, run: str, method: str, seed: int) -> pd.DataFrame:
    """One campaign's nodes at its last round, with a ``state``: seed, adopted, asked or unasked."""
    net = data.network
    nodes = net[(net["run"] == run) & (net["method"] == method) & (net["seed"] == seed)].copy()
    asked = np.where(nodes["times_asked"] > 0, "asked", "unasked")
    state = np.where(nodes["is_seed"], "seed", np.where(nodes["adopted_round"].notna(), "adopted", asked))
    return nodes.assign(state=state)
