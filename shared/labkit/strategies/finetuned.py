"""Fine-tuned strategies: a LoRA adapter on the same base model and engine (labkit.adapters), alone (its
knowledge in its weights) or in the seed's hybrid (format adapter + retrieved context + a guardrail).
Lessons 03 and 04; `labkit compare`'s fine-tuned, fine-tuned-format and hybrid roles."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from labkit.adapters import FORMAT, KNOWLEDGE, Adapter
from labkit.data import EvalItem, load_docs
from labkit.documents import Document
from labkit.evaluate import Reply, format_ok
from labkit.finetune.reply_format import REPLY_MAX_TOKENS
from labkit.models import DEFAULT_MODEL
from labkit.strategies.base import (
    GUARDRAIL,
    SHORT_WORDS,
    default_client,
    reply_of,
    support_format_ok,
    ticket_system_prompt,
)
from labkit.strategies.retrieval import kb_index, reindex

IfMissing = Literal["base", "error"]


def finetuned_model(adapter: Adapter, if_missing: IfMissing = "error") -> tuple[str, bool]:
    """(model id to call, really fine-tuned?) for a course adapter. Its GGUF file is committed; if it is
    missing, if_missing="base" answers with the base model (honestly flagged not fine-tuned), "error" raises."""
    from labkit.adapters import NoAdapter

    if adapter.path.exists():
        return adapter.model_id, True
    if if_missing == "error":
        raise NoAdapter(f"the {adapter.name} adapter ({adapter.path}) is missing: `make finetune` trains it, "
                        "or restore it with `git checkout -- shared/labkit/data/adapters`")
    from labkit.llm import notice_once

    notice_once(f"base:{adapter.name}", f"the {adapter.name} adapter is missing: answering with the BASE model "
                                        "(not fine-tuned); `make finetune` trains it")
    return DEFAULT_MODEL, False


@dataclass
class FineTuned:
    """A fine-tuned model answering from its weights alone (no documents in the prompt).

    adapter: labkit.adapters.KNOWLEDGE (trained on question-answer pairs from the knowledge base: the seed's
    "internalized knowledge", answers in short sentences) or labkit.adapters.FORMAT (trained on support
    tickets: the Diagnosis / Solution / Prevention / Source format, with the tickets' system prompt)."""

    kind: ClassVar[str] = "fine-tuned"

    client: Any = None
    adapter: Adapter = KNOWLEDGE
    if_missing: IfMissing = "error"
    max_tokens: int | None = None   # None: the adapter's trained reply length (see __post_init__)
    name: str = ""
    model: str = field(init=False, default="")
    real: bool = field(init=False, default=True)   # False: the adapter is missing and the base model answers
    role: str = field(init=False, default="")      # "fine-tuned" (knowledge) or "fine-tuned-format"
    answered_by: str = field(init=False, default="")
    system: str = field(init=False, default="")
    knowledge: str = field(init=False, default="")

    def __post_init__(self) -> None:
        from labkit.finetune.knowledge import SYSTEM

        self.client = default_client(self.client)
        self.model, self.real = finetuned_model(self.adapter, self.if_missing)
        is_format = self.adapter is FORMAT
        self.system = ticket_system_prompt() if is_format else SYSTEM
        if self.max_tokens is None:
            self.max_tokens = REPLY_MAX_TOKENS if is_format else 80
        label = "format" if is_format else "knowledge"
        self.role = "fine-tuned-format" if is_format else "fine-tuned"
        self.name = self.name or (f"fine-tuned ({label})" if self.real else f"base model (no {label} adapter)")
        self.knowledge = "\n".join(d.text for d in load_docs())

    def answer(self, item: EvalItem) -> Reply:
        message = self.client.messages.create(model=self.model, max_tokens=self.max_tokens, system=self.system,
                                              messages=[{"role": "user", "content": item.question}])
        self.answered_by = message.model
        return reply_of(message, f"{self.system}\n{self.knowledge}")

    def format_check(self, text: str) -> bool:
        return support_format_ok(text) if self.adapter is FORMAT else format_ok(text, max_words=SHORT_WORDS)

    def update(self, docs: Sequence[Document]) -> str:
        """Nothing changes without a new training run (the seed: 're-train periodically')."""
        return "unchanged: the weights hold the old facts until the adapter is retrained"


@dataclass
class Hybrid:
    """The seed's hybrid: retrieve context, then the fine-tuned model answers from it, with guardrails."""

    kind: ClassVar[str] = "hybrid"

    index: Any = None
    client: Any = None
    adapter: Adapter = FORMAT
    if_missing: IfMissing = "error"
    top_k: int = 3
    max_tokens: int = REPLY_MAX_TOKENS
    name: str = ""
    model: str = field(init=False, default="")
    real: bool = field(init=False, default=True)
    role: str = "hybrid"
    answered_by: str = field(init=False, default="")

    def __post_init__(self) -> None:
        self.client = default_client(self.client)
        self.index = self.index if self.index is not None else kb_index()
        self.model, self.real = finetuned_model(self.adapter, self.if_missing)
        self.name = self.name or ("hybrid" if self.real else "hybrid (base model, no adapter)")
        self.system = f"{ticket_system_prompt()}\n{GUARDRAIL}"

    def prompt(self, question: str, hits: Sequence[Any]) -> str:
        """The seed's user turn: 'Context:' with the retrieved chunks (as data), then the question."""
        from labkit.rag import build_context

        return f"Context:\n{build_context(hits)}\n\nQuestion: {question}"

    def answer(self, item: EvalItem) -> Reply:
        started = time.perf_counter()
        hits = self.index.search(item.question, top_k=self.top_k)
        retrieval_ms = (time.perf_counter() - started) * 1000
        user = self.prompt(item.question, hits)
        message = self.client.messages.create(model=self.model, max_tokens=self.max_tokens, system=self.system,
                                              messages=[{"role": "user", "content": user}])
        self.answered_by = message.model
        return reply_of(message, f"{self.system}\n{user}", retrieval_ms)

    def format_check(self, text: str) -> bool:
        return support_format_ok(text)

    def update(self, docs: Sequence[Document]) -> str:
        return reindex(self.index, docs)
