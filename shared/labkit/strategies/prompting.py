"""Prompt engineering: knowledge in the system prompt (curated within the seed's budget, or the whole
knowledge base in a cached prompt), and prompting for the ticket format instead of training it.
Lessons 01 and 04; `labkit compare`'s prompt-only, prompt-whole-kb and prompt-format roles."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from labkit.data import EvalItem, load_docs, load_tickets
from labkit.documents import Document
from labkit.evaluate import Reply, format_ok
from labkit.finetune.reply_format import REPLY_MAX_TOKENS
from labkit.models import DEFAULT_MODEL
from labkit.prompts import TOKEN_BUDGET, build_system_prompt, count_tokens, escalation_rule, knowledge_from_docs
from labkit.strategies.base import (
    ROLE,
    SHORT_ANSWER,
    SHORT_WORDS,
    default_client,
    reply_of,
    support_format_ok,
    ticket_system_prompt,
)

Selection = Literal["curated", "whole-kb", "smallest-first"]


def curated_order(docs: Sequence[Document]) -> list[Document]:
    """The documents a support agent needs most first: ranked by how many dev questions (what customers
    ask) have them as a gold source, then by how many support tickets cite them (the help desk's load),
    then shorter first. Dev is the split for tuning; the test questions are never looked at."""
    from labkit.data import load_eval
    from labkit.finetune.heldout import cited_doc

    asked: dict[str, int] = {}
    for item in load_eval("dev"):
        for source in item.sources:
            asked[source] = asked.get(source, 0) + 1
    load: dict[str | None, int] = {}  # None: tickets that cite no document
    for ticket in load_tickets():
        doc = cited_doc(ticket["messages"][-1]["content"])
        load[doc] = load.get(doc, 0) + 1
    return sorted(docs, key=lambda d: (-asked.get(d.id, 0), -load.get(d.id, 0), len(d.text), d.id))


def pack_documents(docs: Sequence[Document], fits: Callable[[list[Document]], bool],
                   selection: Selection = "curated") -> list[Document]:
    """Whole documents in `selection` order while `fits(chosen)` stays True (a document that does not fit
    is skipped and the next one tried). "curated": by support load (`curated_order`); "smallest-first": the
    most documents in the budget, whatever they are; "whole-kb": every document, no budget."""
    if selection == "whole-kb":
        return sorted(docs, key=lambda d: d.id)
    ordered = curated_order(docs) if selection == "curated" else sorted(docs, key=lambda d: (len(d.text), d.id))
    chosen: list[Document] = []
    for doc in ordered:
        if fits([*chosen, doc]):
            chosen.append(doc)
    return sorted(chosen, key=lambda d: d.id)


@dataclass
class PromptOnly:
    """Knowledge in the system prompt; one call per question.

    selection "curated" (default): the documents the help desk cites most, within the seed's 5,000-token
    budget; "whole-kb": all 35 documents (~15k tokens), which the engine reads once and then serves from
    its prompt cache (on Claude: a cached prompt, see labkit.costs); "smallest-first": the most documents
    that fit, a baseline that looks good on a document count and carries no plan prices."""

    kind: ClassVar[str] = "prompt-only"

    client: Any = None
    docs: Sequence[Document] | None = None
    budget: int = TOKEN_BUDGET
    model: str = DEFAULT_MODEL
    max_tokens: int = 80
    selection: Selection = "curated"
    name: str = ""
    role: str = ""  # which of the seed's claims its measurements answer (labkit.decision.ROLES)
    answered_by: str = field(init=False, default="")  # the model that answered the last question
    system: str = field(init=False, default="")
    included: list[str] = field(init=False, default_factory=list)
    prompt_tokens: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self.client = default_client(self.client)
        whole = self.selection == "whole-kb"
        self.name = self.name or ("prompt-only (whole KB)" if whole else "prompt-only")
        self.role = self.role or ("prompt-whole-kb" if whole else "prompt-only")
        self.update(self.docs if self.docs is not None else load_docs())

    def system_prompt(self, docs: Sequence[Document]) -> str:
        return build_system_prompt(ROLE, knowledge_from_docs(docs), output_format=SHORT_ANSWER,
                                   escalation=escalation_rule())

    def update(self, docs: Sequence[Document]) -> str:
        """Rebuild the prompt from `docs` (the seed: 'update prompts manually')."""
        started = time.perf_counter()
        chosen = pack_documents(docs, lambda ds: count_tokens(self.client, self.system_prompt(ds), model=self.model)
                                < self.budget, self.selection)
        self.system, self.included = self.system_prompt(chosen), [d.id for d in chosen]
        self.prompt_tokens = count_tokens(self.client, self.system, model=self.model)
        return (f"prompt rebuilt: {len(chosen)} of {len(docs)} documents, {self.prompt_tokens:,} tokens "
                f"({time.perf_counter() - started:.1f} s)")

    def answer(self, item: EvalItem) -> Reply:
        message = self.client.messages.create(model=self.model, max_tokens=self.max_tokens, system=self.system,
                                              messages=[{"role": "user", "content": item.question}])
        self.answered_by = message.model
        return reply_of(message, self.system)

    def format_check(self, text: str) -> bool:
        return format_ok(text, max_words=SHORT_WORDS)


@dataclass
class PromptFormat:
    """Prompting for the format instead of training it: the tickets' system prompt plus `k` training
    tickets as earlier turns (few-shot), on the base model. The baseline the format adapter must beat."""

    kind: ClassVar[str] = "prompt-only"

    client: Any = None
    k: int = 2
    model: str = DEFAULT_MODEL
    max_tokens: int = REPLY_MAX_TOKENS  # the same room for a whole reply as the format adapter
    name: str = ""
    role: str = "prompt-format"
    answered_by: str = field(init=False, default="")
    system: str = field(init=False, default="")
    shots: list[dict] = field(init=False, default_factory=list)
    knowledge: str = field(init=False, default="")

    def __post_init__(self) -> None:
        from labkit.finetune.heldout import default_split

        self.client = default_client(self.client)
        self.name = self.name or f"prompt-only ({self.k}-shot format)"
        self.system = ticket_system_prompt()
        examples = default_split(self.k, 0)[0]  # training tickets: never a held-out scenario
        self.shots = [m for ex in examples for m in ex.messages if m["role"] != "system"]
        self.knowledge = "\n".join(d.text for d in load_docs())

    def answer(self, item: EvalItem) -> Reply:
        message = self.client.messages.create(model=self.model, max_tokens=self.max_tokens, system=self.system,
                                              messages=[*self.shots, {"role": "user", "content": item.question}])
        self.answered_by = message.model
        return reply_of(message, f"{self.system}\n{self.knowledge}")

    def format_check(self, text: str) -> bool:
        return support_format_ok(text)

    def update(self, docs: Sequence[Document]) -> str:
        return "unchanged: its examples hold no documents"
