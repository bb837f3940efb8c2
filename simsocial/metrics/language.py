"""Language figures shared by human and simulated text.

- :func:`distinct_n` — distinct-1/2/3: unique n-grams / all n-grams (n-grams never cross utterances)
- :func:`flesch_kincaid_grade` — Flesch–Kincaid grade of a corpus (``textstat``)
- :func:`semantic_diversity` — mean pairwise cosine distance between utterance embeddings, with a
  pluggable :class:`Embedder`: :class:`OpenAIEmbedder` (any OpenAI-compatible ``/embeddings`` endpoint)
  or :class:`HashingBagOfWordsEmbedder`, a local fallback that is *lexical*, not semantic — its result is
  labelled as such (``DiversityResult.semantic is False``)
- :func:`verbalized_entropy` — mean Shannon entropy (nats) of the verbalized distributions a run sampled
  from, read from ``turns.parquet``'s ``entropy`` column or recomputed from ``candidates.parquet``
"""

from __future__ import annotations

import functools
import os
import re
import zlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
import pandas as pd

_TOKEN = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens (letters/digits, keeping contractions like ``don't`` whole)."""
    return _TOKEN.findall(text.lower()) if isinstance(text, str) else []


def _ngrams(tokens: Sequence[str], n: int) -> Iterable[tuple[str, ...]]:
    return zip(*(tokens[i:] for i in range(n)), strict=False)


def distinct_n(texts: Iterable[str], n: int) -> float:
    """Distinct-n of a corpus: number of unique n-grams / number of n-grams (NaN if there are none).

    Depends on corpus size (more text → lower distinct-n); compare corpora of similar size.
    """
    if n < 1:
        raise ValueError("n must be >= 1")
    total, unique = 0, set()
    for text in texts:
        grams = list(_ngrams(tokenize(text), n))
        total += len(grams)
        unique.update(grams)
    return len(unique) / total if total else float("nan")


@functools.cache
def _pyphen():
    from pyphen import Pyphen  # a dependency of textstat

    return Pyphen(lang="en_US")


@functools.lru_cache(maxsize=65536)
def _syllables(word: str) -> int:
    return len(_pyphen().positions(word)) + 1


def readability_counts(texts: Iterable[str]) -> np.ndarray:
    """Per-text ``[words, sentences, syllables]`` (shape ``(n, 3)``) for :func:`fk_grade_from_counts`.

    Words: ``textstat.remove_punctuation(text).split()``; sentences: ``textstat.sentence_count`` of the
    text (at least 1 per non-empty utterance; textstat does not count sentences of ≤ 2 words);
    syllables: the Pyphen hyphenation dictionary — textstat's own fallback counter — rather than
    textstat's default CMU dictionary, an NLTK corpus downloaded at first use, which fails offline and
    would make the figure depend on the machine.
    """
    import textstat  # lazy: slow import

    rows = []
    for text in texts:
        text = text.strip() if isinstance(text, str) else ""
        words = textstat.remove_punctuation(text).lower().split() if text else []
        if not words:
            rows.append((0, 0, 0))
            continue
        rows.append((len(words), textstat.sentence_count(text), sum(_syllables(w) for w in words)))
    return np.asarray(rows, dtype=float).reshape(-1, 3)


def fk_grade_from_counts(counts: np.ndarray) -> float:
    """``0.39·words/sentence + 11.8·syllables/word − 15.59`` over summed counts (NaN without words)."""
    words, sentences, syllables = np.asarray(counts, dtype=float).reshape(-1, 3).sum(axis=0)
    if words == 0 or sentences == 0:
        return float("nan")
    return float(0.39 * words / sentences + 11.8 * syllables / words - 15.59)


def flesch_kincaid_grade(texts: Iterable[str]) -> float:
    """Flesch–Kincaid grade level of a corpus of utterances (see :func:`readability_counts`).

    Counts are summed over utterances, so the corpus grade is not the mean of per-utterance grades, and
    a cluster bootstrap can resample per-dialogue sums.  NaN for an empty corpus.
    """
    return fk_grade_from_counts(readability_counts(texts))


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into vectors.  ``semantic`` says whether similarity in that space means similar meaning."""

    name: str
    semantic: bool

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """An array of shape ``(len(texts), dim)``."""
        ...


class HashingBagOfWordsEmbedder:
    """Local, dependency-free *lexical* embedder: TF-IDF-weighted hashed unigrams and bigrams.

    NOT semantic — "I'll give a dollar" and "count me in for $1" share no words and come out orthogonal.
    Use it to get a diversity figure without an embeddings endpoint, and label it as lexical diversity.
    Hashing uses CRC-32 (not Python's salted ``hash``), so vectors are identical across processes.
    IDF is computed over the texts passed to one :meth:`embed` call.
    """

    semantic = False

    def __init__(self, dim: int = 2048, ngrams: tuple[int, ...] = (1, 2)) -> None:
        self.dim = dim
        self.ngrams = ngrams
        self.name = f"hashing-bow-{dim}"

    def _features(self, text: str) -> Counter[str]:
        tokens = tokenize(text)
        return Counter(" ".join(g) for n in self.ngrams for g in _ngrams(tokens, n))

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        features = [self._features(t) for t in texts]
        doc_freq = Counter(f for feats in features for f in feats)
        n_docs = len(texts)
        out = np.zeros((n_docs, self.dim))
        for row, feats in enumerate(features):
            for feat, count in feats.items():
                h = zlib.crc32(feat.encode("utf-8"))
                sign = 1.0 if h & 0x80000000 else -1.0  # signed hashing: collisions cancel on average
                idf = np.log((1 + n_docs) / (1 + doc_freq[feat])) + 1.0
                out[row, h % self.dim] += sign * (1.0 + np.log(count)) * idf
        return out


class OpenAIEmbedder:
    """Embeddings from an OpenAI-compatible ``/embeddings`` endpoint (OpenAI, vLLM, Ollama, llama.cpp …).

    The key comes from ``api_key`` or the ``OPENAI_API_KEY`` environment variable (local servers accept
    any placeholder); it is kept out of ``repr`` and never logged.
    """

    semantic = True

    def __init__(
        self, model: str, base_url: str | None = None, api_key: str | None = None, batch_size: int = 128
    ) -> None:
        self.model = model
        self.base_url = base_url
        self.batch_size = batch_size
        self.name = f"openai-compatible:{model}"
        self._api_key = api_key or os.environ.get("OPENAI_API_KEY") or "not-needed"

    def __repr__(self) -> str:
        return f"OpenAIEmbedder(model={self.model!r}, base_url={self.base_url!r})"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        from openai import OpenAI  # lazy: only needed when an endpoint is configured

        client = OpenAI(base_url=self.base_url, api_key=self._api_key)
        vectors: list[list[float]] = []
        for start in range(0, len(texts), self.batch_size):
            batch = [t if t.strip() else " " for t in texts[start : start + self.batch_size]]
            response = client.embeddings.create(model=self.model, input=batch)
            vectors.extend(d.embedding for d in sorted(response.data, key=lambda d: d.index))
        return np.asarray(vectors, dtype=float)


@dataclass(frozen=True)
class DiversityResult:
    """Mean pairwise cosine distance of embeddings, and what produced it."""

    mean_distance: float
    n_texts: int
    embedder: str
    semantic: bool


def mean_pairwise_cosine_distance(vectors: np.ndarray) -> float:
    """Mean of ``1 − cos(u, v)`` over all unordered pairs of non-zero rows (NaN with fewer than 2)."""
    norms = np.linalg.norm(vectors, axis=1)
    unit = vectors[norms > 0] / norms[norms > 0, None]
    n = len(unit)
    if n < 2:
        return float("nan")
    sims = unit @ unit.T
    upper = sims[np.triu_indices(n, k=1)]
    return float(np.mean(1.0 - upper))


def semantic_diversity(
    texts: Sequence[str],
    embedder: Embedder | None = None,
    *,
    max_texts: int = 500,
    rng: np.random.Generator | None = None,
) -> DiversityResult:
    """Mean pairwise cosine distance between embeddings of ``texts`` (non-empty ones).

    More than ``max_texts`` texts are subsampled without replacement with ``rng`` (seeded
    ``np.random.default_rng(0)`` if not given) to keep the pairwise matrix small.  The default embedder
    is :class:`HashingBagOfWordsEmbedder` — then the figure is lexical, and ``semantic`` says so.
    """
    embedder = embedder or HashingBagOfWordsEmbedder()
    kept = [t for t in texts if isinstance(t, str) and t.strip()]
    if len(kept) > max_texts:
        rng = rng or np.random.default_rng(0)
        kept = [kept[i] for i in sorted(rng.choice(len(kept), size=max_texts, replace=False))]
    value = mean_pairwise_cosine_distance(embedder.embed(kept)) if len(kept) >= 2 else float("nan")
    return DiversityResult(mean_distance=value, n_texts=len(kept), embedder=embedder.name, semantic=embedder.semantic)


# --- Entropy of verbalized distributions ------------------------------------------------------------


def entropy_from_probabilities(probabilities: Sequence[float]) -> float:
    """Shannon entropy (nats) of the distribution after clipping negatives and renormalising."""
    p = np.clip(np.asarray(probabilities, dtype=float), 0.0, None)
    p = p[np.isfinite(p)]
    if p.sum() <= 0:
        return float("nan")
    p = p / p.sum()
    p = p[p > 0]
    return float(-(p * np.log(p)).sum())


@dataclass(frozen=True)
class EntropySummary:
    """Mean entropy (nats) over sampled choices; how many came from the ``entropy`` column vs candidates."""

    mean: float
    n: int
    n_from_column: int
    n_from_candidates: int


_CHOICE_KEYS = ("run_id", "method", "dialogue_id", "turn", "role", "kind")


def choice_entropies(
    turns: pd.DataFrame,
    candidates: pd.DataFrame | None = None,
    *,
    role: str | None = None,
    kind: str | None = None,
) -> pd.DataFrame:
    """Entropy (nats) per sampled choice: ``dialogue_id``, ``entropy``, ``source`` (``column``/``candidates``).

    Uses ``turns.entropy`` where present; where it is null and ``candidates`` is given, recomputes it
    from the candidates' probabilities of the same choice (matched on run/method/dialogue/turn/role/kind,
    whichever columns both tables have).  Choices with neither are left out.  Filter with ``role``
    (``persuader``/``persuadee``) and ``kind`` (``utterance``/``donation``).
    """
    t = turns
    if role is not None:
        t = t[t["role"] == role]
    if kind is not None:
        t = t[t["kind"] == kind]
    column = pd.to_numeric(t["entropy"], errors="coerce") if "entropy" in t else pd.Series(np.nan, index=t.index)
    out = pd.DataFrame({"dialogue_id": t["dialogue_id"].astype(str), "entropy": column, "source": "column"})
    missing = t[column.isna()]
    if candidates is not None and len(missing) and len(candidates):
        keys = [k for k in _CHOICE_KEYS if k in missing.columns and k in candidates.columns]
        per_choice = candidates.groupby(keys)["probability"].apply(entropy_from_probabilities)
        wanted = pd.Index(missing[keys[0]]) if len(keys) == 1 else pd.MultiIndex.from_frame(missing[keys])
        out.loc[missing.index, "entropy"] = per_choice.reindex(wanted).to_numpy(float)
        out.loc[missing.index, "source"] = "candidates"
    return out[out["entropy"].notna()].reset_index(drop=True)


def verbalized_entropy(
    turns: pd.DataFrame,
    candidates: pd.DataFrame | None = None,
    *,
    role: str | None = None,
    kind: str | None = None,
) -> EntropySummary:
    """Mean entropy of the distributions behind the sampled choices (see :func:`choice_entropies`)."""
    values = choice_entropies(turns, candidates, role=role, kind=kind)
    return EntropySummary(
        mean=float(values["entropy"].mean()) if len(values) else float("nan"),
        n=len(values),
        n_from_column=int((values["source"] == "column").sum()),
        n_from_candidates=int((values["source"] == "candidates").sum()),
    )
