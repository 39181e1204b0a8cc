"""Keyword search (BM25) and reciprocal rank fusion: the "hybrid" half of retrieval that is not embeddings.

Dense retrieval finds paraphrases; keyword search finds exact terms (an error code, a plan name, "SAML").
Reciprocal rank fusion (RRF) merges the two rankings without having to compare their scores. Lesson 02
section 4 and lab exercise 2.3 (RRF); `labkit.rag.Index.search(mode="hybrid")` uses both.
"""

from __future__ import annotations

import re

RRF_K = 60                # the constant of the original RRF paper (Cormack et al., 2009)

_TOKEN = re.compile(r"[a-z0-9]+(?:[.,/][a-z0-9]+)*")
_STOPWORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "can", "do", "does", "for", "from", "had", "has",
    "have", "how", "i", "if", "in", "into", "is", "it", "its", "me", "my", "no", "not", "of", "on", "or", "our",
    "so", "than", "that", "the", "their", "them", "then", "there", "these", "they", "this", "to", "was", "we",
    "were", "what", "when", "where", "which", "who", "why", "will", "with", "you", "your"})


def _stem(word: str) -> str:
    """A deliberately tiny stemmer (plural and -ing/-ed endings) so 'refunds' matches 'refund'."""
    for suffix, keep in (("ies", "y"), ("sses", "ss"), ("ing", ""), ("ed", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            return word[: len(word) - len(suffix)] + keep
    return word


def tokenize(text: str) -> list[str]:
    """Lower-cased words and numbers (keeping '2.5', '1,000', 'v2'), minus stopwords, lightly stemmed."""
    return [_stem(t) for t in _TOKEN.findall(text.lower()) if t not in _STOPWORDS]


class _Keyword:
    """A BM25 index over a fixed list of chunk ids (rebuilt by `Index` whenever the chunks change)."""

    def __init__(self, ids: list[str], texts: list[str]):
        import bm25s

        self.ids = ids
        self.bm25 = bm25s.BM25()
        if ids:
            self.bm25.index([tokenize(t) or ["_"] for t in texts], show_progress=False)

    def search(self, query: str, k: int) -> list[tuple[str, float]]:
        tokens = tokenize(query)
        if not self.ids or not tokens or k < 1:
            return []
        found, scores = self.bm25.retrieve([tokens], k=min(k, len(self.ids)), show_progress=False)
        return [(self.ids[int(i)], float(s)) for i, s in zip(found[0], scores[0], strict=True) if s > 0]


def rrf(rankings: list[list[str]], k: int = RRF_K) -> list[tuple[str, float]]:
    """Reciprocal rank fusion: each id scores the sum of 1 / (k + rank) over the rankings it is in
    (rank 1 = first). Returns (id, score), best first; ties keep the order in which ids were first seen."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda pair: -pair[1])
