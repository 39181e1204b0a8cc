"""RAG as a strategy: module 2's grounded answers (`labkit.rag.answer`) over a shared knowledge-base index.
Lessons 02 and 04; `labkit compare`'s rag role."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from labkit.data import EvalItem, load_docs
from labkit.documents import Document
from labkit.evaluate import Reply, format_ok
from labkit.models import DEFAULT_MODEL
from labkit.strategies.base import SHORT_WORDS, default_client


def kb_index(docs: Sequence[Document] | None = None, path: Any = None):
    """A `labkit.rag.Index` of the knowledge base (`path` None: a temporary folder)."""
    from labkit.rag import Index

    index = Index(path)
    index.add(docs if docs is not None else load_docs())
    return index


def reindex(index: Any, docs: Sequence[Document]) -> str:
    """Add `docs` to the index (only changed documents are re-embedded) and say what changed."""
    started = time.perf_counter()
    report = index.add(docs)
    if not (report.updated or report.added):  # e.g. RAG and the hybrid share one index: the first updated it
        seconds = time.perf_counter() - started
        return f"index already current: all {report.unchanged} documents unchanged ({seconds:.1f} s)"
    return (f"re-indexed: {report.updated} documents updated, {report.added} added, {report.unchanged} "
            f"unchanged ({time.perf_counter() - started:.1f} s)")


@dataclass
class Rag:
    """Retrieve `top_k` chunks, answer from them with citations (labkit.rag.answer)."""

    kind: ClassVar[str] = "rag"

    index: Any = None
    client: Any = None
    top_k: int = 5
    model: str = DEFAULT_MODEL
    max_tokens: int = 80
    name: str = "rag"
    role: str = "rag"
    answered_by: str = field(init=False, default="")

    def __post_init__(self) -> None:
        self.client = default_client(self.client)
        self.index = self.index if self.index is not None else kb_index()

    def answer(self, item: EvalItem) -> Reply:
        from labkit.rag import answer, build_prompt

        result = answer(item.question, self.index, client=self.client, top_k=self.top_k, model=self.model,
                        max_tokens=self.max_tokens)
        self.answered_by = result.model
        # evidence: the system prompt and the retrieved documents; the worked example turns are left out on
        # purpose (their facts are a bakery's, so repeating them in an AcmeCorp answer is an invention)
        system, messages = build_prompt(item.question, result.hits, examples=False)
        return Reply(result.text, result.usage["input_tokens"], result.usage["output_tokens"],
                     f"{system}\n{messages[-1]['content']}", result.retrieval_ms)

    def format_check(self, text: str) -> bool:
        return format_ok(text, max_words=SHORT_WORDS)

    def update(self, docs: Sequence[Document]) -> str:
        """Re-index: only changed documents are re-embedded (the seed: 'keep document index updated')."""
        return reindex(self.index, docs)
