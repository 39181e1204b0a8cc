"""Retrieval metrics and the evaluation of an index on a question set.

- the *document ranking* of a hit list is its documents' ids, deduplicated in rank order;
- recall@k: a question counts as found when one of its gold documents is among the documents of the top-k
  chunk hits (exactly the documents `answer(..., top_k=k)` puts in front of the model);
- MRR: the mean over questions of 1/r, r the position of the first gold document in the document ranking
  of the top-10 hits (0 when none is there).
Lesson 02 section 4 and lab exercise 2.2 (recall@k, MRR); bench/retrieval_eval.py.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from labkit.rag.index import Hit, Index, Mode

def doc_ids(hits: Iterable[Hit]) -> list[str]:
    """The document ranking of a hit list: each document's id once, in the order of its best chunk."""
    return list(dict.fromkeys(h.doc_id for h in hits))


def recall_at_k(ranked_doc_ids: Sequence[str], gold: Iterable[str], k: int) -> float:
    """1.0 when one of the `gold` documents is among the first `k` ranked documents, else 0.0."""
    return 1.0 if set(ranked_doc_ids[:k]) & set(gold) else 0.0


def reciprocal_rank(ranked_doc_ids: Sequence[str], gold: Iterable[str]) -> float:
    """1/r for the first position r (from 1) holding a gold document; 0.0 when none does."""
    gold = set(gold)
    return next((1.0 / r for r, d in enumerate(ranked_doc_ids, start=1) if d in gold), 0.0)


@dataclass(frozen=True)
class RetrievalScores:
    """Retrieval quality over a question set (see the module docstring for the definitions)."""

    mode: str
    questions: int
    recall: dict[int, float]      # k -> recall@k
    mrr: float
    misses: list[str] = field(default_factory=list)   # question ids not found in the top max(ks)
    latency_ms: list[float] = field(default_factory=list)


def evaluate_retrieval(index: Index, questions: Iterable[tuple[str, str, Sequence[str]]], mode: Mode = "hybrid",
                       ks: Sequence[int] = (1, 5), mrr_depth: int = 10) -> RetrievalScores:
    """recall@k for each k and MRR@mrr_depth over (question id, question, gold doc ids) triples."""
    found = {k: 0.0 for k in ks}
    rr = 0.0
    misses: list[str] = []
    latencies: list[float] = []
    n = 0
    for qid, question, gold in questions:
        started = time.perf_counter()
        hits = index.search(question, top_k=max(max(ks), mrr_depth), mode=mode)
        latencies.append((time.perf_counter() - started) * 1000)
        for k in ks:
            found[k] += recall_at_k(doc_ids(hits[:k]), gold, k)
        rr += reciprocal_rank(doc_ids(hits[:mrr_depth]), gold)
        if not recall_at_k(doc_ids(hits[:max(ks)]), gold, max(ks)):
            misses.append(qid)
        n += 1
    if n == 0:
        raise ValueError("evaluate_retrieval needs at least one question")
    return RetrievalScores(mode=mode, questions=n, recall={k: v / n for k, v in found.items()}, mrr=rr / n,
                           misses=misses, latency_ms=latencies)
