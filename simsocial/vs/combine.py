"""Turn the parsed answers of a method's calls into the one distribution a choice is sampled from."""

from __future__ import annotations

from collections.abc import Sequence

from simsocial.vs.distribution import Candidate, VerbalizedDistribution, merge_duplicates
from simsocial.vs.methods import Method, MethodConfig


def combine_answers(config: MethodConfig, answers: Sequence[VerbalizedDistribution]) -> VerbalizedDistribution:
    """One distribution from the per-call answers, keeping every repair and the raw texts.

    ``direct``/``multi_turn`` take one candidate per call (extra ones are noted, not kept);
    ``sequence`` puts equal weight on its candidates; ``vs_standard``/``vs_cot`` keep the verbalized
    probabilities; ``vs_multi`` gives each call equal total weight and merges the lists.
    """
    if not answers:
        raise ValueError("no answers to combine")
    repairs = [r for a in answers for r in a.repairs]
    raw = "\n---\n".join(a.raw_text or "" for a in answers)
    method = config.method

    if method in (Method.DIRECT, Method.MULTI_TURN):
        if any(a.k > 1 for a in answers):
            repairs.append("extra_candidates_ignored")
        cands = merge_duplicates([a.candidates[0] for a in answers], repairs)
        return VerbalizedDistribution.uniform(cands, repairs=repairs, raw_text=raw)

    if method == Method.SEQUENCE:
        cands = list(answers[0].candidates)
        _note_k(config, len(cands), repairs)
        return VerbalizedDistribution.uniform(cands, repairs=repairs, raw_text=raw)

    if method == Method.VS_MULTI:
        weighted = [Candidate(c.text, c.probability / len(answers), c.fields) for a in answers for c in a.candidates]
        cands = merge_duplicates(weighted, repairs)
        _note_k(config, len(cands), repairs)
        return VerbalizedDistribution.normalised(cands, repairs, raw)

    answer = answers[0]
    _note_k(config, answer.k, repairs)
    return VerbalizedDistribution(answer.candidates, tuple(repairs), raw)


def _note_k(config: MethodConfig, got: int, repairs: list[str]) -> None:
    if config.k is not None and got != config.k:
        repairs.append("k_mismatch")
