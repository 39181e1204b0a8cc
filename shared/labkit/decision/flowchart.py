"""The seed's decision flowchart as a function of measured inputs. Lesson 04 section 11, lab exercise 4.5."""

from __future__ import annotations

from labkit.prompts import TOKEN_BUDGET


def recommend(knowledge_tokens: int, changes_often: bool, needs_format: bool, latency_budget_ms: float | None,
              retrieval_ms: float, budget: int = TOKEN_BUDGET) -> str:
    """The seed's flowchart as a function; returns one of KINDS.

    1. Knowledge fits the prompt (`knowledge_tokens` < `budget`) and does not change often: prompt-only.
    2. Large (does not fit) or changing knowledge: add RAG ...
    4. ... unless the measured `retrieval_ms` alone exceeds the latency budget and the knowledge is stable:
       then fine-tune the knowledge in.
    3./5. Needing a consistent format adds fine-tuning: fine-tuned alone, or the hybrid with RAG.
    """
    needs_retrieval = knowledge_tokens >= budget or changes_often
    too_slow = latency_budget_ms is not None and retrieval_ms > latency_budget_ms
    if needs_retrieval and too_slow and not changes_often:
        return "fine-tuned"
    if needs_retrieval:
        return "hybrid" if needs_format else "rag"
    return "fine-tuned" if needs_format else "prompt-only"
