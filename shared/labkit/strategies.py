"""The four strategies of the seed article as small objects with one interface, and their comparison.

    from labkit.strategies import PromptOnly, Rag, FineTuned, Hybrid, compare
    runs = compare([PromptOnly(), Rag(index)], load_eval("dev")[:8])   # {name: labkit.evaluate.EvalRun}

A strategy is anything with a `name`, an `answer(item) -> labkit.evaluate.Reply` method, a
`format_check(text) -> bool` (the output format it asks for) and an `update(docs) -> str` method (what it
takes to learn changed facts). The Reply carries the text, honest token counts, the `evidence` the model
was shown (for the hallucination check) and the retrieval time. Add your own strategy by writing one more
such dataclass; `compare` and `labkit compare` take it as it is.

- PromptOnly: the seed's first strategy. All knowledge that fits the seed's 5,000-token budget in the
  system prompt (whole knowledge-base documents, smallest first, so the most documents fit), the escalation
  rule of module 1. The prompt is the same for every question, so the local model reads it once and keeps
  it in its cache (llama.cpp reuses the longest common prefix of consecutive prompts).
- Rag: module 2's `labkit.rag.answer` (hybrid retrieval, grounded prompt, [doc-id] citations, refusal).
- FineTuned: a LoRA adapter on the same base model and engine (labkit.adapters), no documents in the
  prompt: its knowledge is in its weights. Two of them, because the seed makes two claims: the knowledge
  adapter (trained on question-answer pairs from the knowledge base: "Highest (internalized knowledge)")
  and the format adapter (trained on support tickets: "fine-tune when you need consistent ... format").
- Hybrid: the seed's hybrid pipeline. The format adapter (format), RAG context (facts) and a guardrail
  prompt (answer only from the context, else escalate).

Hallucination is judged against the same evidence for every strategy: the knowledge base the question is
about (`labkit.evaluate.run_eval`). A Reply's `evidence` is what that model was shown (system prompt + context
+ question), for the separate `hallucinated_shown` check; the fine-tuned model is shown no documents, so its
shown evidence is the knowledge base its training tickets were written from.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, Literal, Protocol

from labkit.adapters import FORMAT, KNOWLEDGE, Adapter
from labkit.data import EvalItem, load_docs, load_tickets
from labkit.decision import ROLES
from labkit.documents import Document
from labkit.evaluate import EvalRun, Reply, as_reply, format_ok, run_eval
from labkit.finetune.validate import REPLY_MAX_TOKENS
from labkit.judge import Judge
from labkit.models import DEFAULT_MODEL
from labkit.prompts import TOKEN_BUDGET, build_system_prompt, count_tokens, escalation_rule, knowledge_from_docs

ROLE = "You are a customer support agent for AcmeCorp, maker of Acme Workspace."
SHORT_ANSWER = "Answer in one or two short sentences. Quote prices, limits and menu paths exactly as written above."
SHORT_WORDS = 60  # prompt-only and RAG are asked for short answers; more words fails their format check

# The seed's hybrid guardrails, added to the fine-tuned model's own system prompt: answer from the context.
GUARDRAIL = ("Use ONLY the facts in the Context. Never invent prices, limits, dates or menu paths. "
             "If the Context does not answer the question, reply exactly: I don't know based on the documentation.")


class Strategy(Protocol):
    """What `compare` needs from a strategy. `kind` says which of the seed's strategies it is (one of
    labkit.decision.KINDS), so the seed's claims can be checked; `name` labels it in tables."""

    name: str
    kind: str

    def answer(self, item: EvalItem) -> Reply: ...

    def format_check(self, text: str) -> bool: ...

    def update(self, docs: Sequence[Document]) -> str: ...


def _client(client: Any) -> Any:
    if client is not None:
        return client
    from labkit.llm import get_client

    return get_client()


def ticket_system_prompt() -> str:
    """The system prompt of the fine-tuning tickets (Diagnosis / Solution / Prevention, cite the docs)."""
    return load_tickets()[0]["messages"][0]["content"]


def support_format_ok(text: str) -> bool:
    """The support format is followed, strictly (labkit.finetune.strict_support_format: the sections and a
    Source line naming a real document)."""
    from labkit.finetune.heldout import strict_support_format

    return bool(text.strip()) and strict_support_format(text) is None


def _reply(message: Any, evidence: str, retrieval_ms: float | None = None) -> Reply:
    """`labkit.evaluate.as_reply(message)`, stripped, with what the model was shown and the retrieval time."""
    reply = as_reply(message)
    return replace(reply, text=reply.text.strip(), evidence=evidence, retrieval_ms=retrieval_ms)


# ----------------------------------------------------------------------------------------------
# Prompt engineering: knowledge in the system prompt
# ----------------------------------------------------------------------------------------------
Selection = Literal["curated", "whole-kb", "smallest-first"]


def curated_order(docs: Sequence[Document]) -> list[Document]:
    """The documents a support agent needs most first: ranked by how many support tickets cite them
    (labkit.data.load_tickets: the help desk's real load), then shorter first. No evaluation question is
    looked at, so the choice is fair to the test split."""
    from labkit.finetune.heldout import cited_doc

    load: dict[str, int] = {}
    for ticket in load_tickets():
        doc = cited_doc(ticket["messages"][-1]["content"])
        load[doc] = load.get(doc, 0) + 1
    return sorted(docs, key=lambda d: (-load.get(d.id, 0), len(d.text), d.id))


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
        self.client = _client(self.client)
        whole = self.selection == "whole-kb"
        self.name = self.name or ("prompt-only (whole KB)" if whole else "prompt-only")
        self.role = self.role or ("prompt-whole-kb" if whole else "prompt-only")
        self.update(self.docs if self.docs is not None else load_docs())

    def build(self, docs: Sequence[Document]) -> str:
        return build_system_prompt(ROLE, knowledge_from_docs(docs), output_format=SHORT_ANSWER,
                                   escalation=escalation_rule())

    def update(self, docs: Sequence[Document]) -> str:
        """Rebuild the prompt from `docs` (the seed: 'update prompts manually')."""
        started = time.perf_counter()
        chosen = pack_documents(docs, lambda ds: count_tokens(self.client, self.build(ds), model=self.model)
                                < self.budget, self.selection)
        self.system, self.included = self.build(chosen), [d.id for d in chosen]
        self.prompt_tokens = count_tokens(self.client, self.system, model=self.model)
        return (f"prompt rebuilt: {len(chosen)} of {len(docs)} documents, {self.prompt_tokens:,} tokens "
                f"({time.perf_counter() - started:.1f} s)")

    def answer(self, item: EvalItem) -> Reply:
        message = self.client.messages.create(model=self.model, max_tokens=self.max_tokens, system=self.system,
                                              messages=[{"role": "user", "content": item.question}])
        self.answered_by = message.model
        return _reply(message, self.system)

    def format_check(self, text: str) -> bool:
        return format_ok(text, max_words=SHORT_WORDS)


# ----------------------------------------------------------------------------------------------
# RAG: module 2's grounded answers
# ----------------------------------------------------------------------------------------------
def kb_index(docs: Sequence[Document] | None = None, path: Any = None):
    """A `labkit.rag.Index` of the knowledge base (`path` None: a temporary folder)."""
    from labkit.rag import Index

    index = Index(path)
    index.add(docs if docs is not None else load_docs())
    return index


def _reindex(index: Any, docs: Sequence[Document]) -> str:
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
        self.client = _client(self.client)
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
        return _reindex(self.index, docs)


# ----------------------------------------------------------------------------------------------
# Fine-tuning: module 3's LoRA adapters on the same base model and engine
# ----------------------------------------------------------------------------------------------
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

        self.client = _client(self.client)
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
        return _reply(message, f"{self.system}\n{self.knowledge}")

    def format_check(self, text: str) -> bool:
        return support_format_ok(text) if self.adapter is FORMAT else format_ok(text, max_words=SHORT_WORDS)

    def update(self, docs: Sequence[Document]) -> str:
        """Nothing changes without a new training run (the seed: 're-train periodically')."""
        return "unchanged: the weights hold the old facts until the adapter is retrained"


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

        self.client = _client(self.client)
        self.name = self.name or f"prompt-only ({self.k}-shot format)"
        self.system = ticket_system_prompt()
        examples = default_split(self.k, 0)[0]  # training tickets: never a held-out scenario
        self.shots = [m for ex in examples for m in ex.messages if m["role"] != "system"]
        self.knowledge = "\n".join(d.text for d in load_docs())

    def answer(self, item: EvalItem) -> Reply:
        message = self.client.messages.create(model=self.model, max_tokens=self.max_tokens, system=self.system,
                                              messages=[*self.shots, {"role": "user", "content": item.question}])
        self.answered_by = message.model
        return _reply(message, f"{self.system}\n{self.knowledge}")

    def format_check(self, text: str) -> bool:
        return support_format_ok(text)

    def update(self, docs: Sequence[Document]) -> str:
        return "unchanged: its examples hold no documents"


# ----------------------------------------------------------------------------------------------
# Hybrid: fine-tuned format + RAG facts + prompt guardrails (the seed's hybrid_pipeline)
# ----------------------------------------------------------------------------------------------
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
        self.client = _client(self.client)
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
        return _reply(message, f"{self.system}\n{user}", retrieval_ms)

    def format_check(self, text: str) -> bool:
        return support_format_ok(text)

    def update(self, docs: Sequence[Document]) -> str:
        return _reindex(self.index, docs)


# ----------------------------------------------------------------------------------------------
# Running and comparing
# ----------------------------------------------------------------------------------------------
def evaluate(strategy: Strategy, items: Iterable[EvalItem], price_model: str = DEFAULT_MODEL,
             facts: Literal["current", "updated"] = "current", judge: Judge | None = None,
             kb: Sequence[Document] | None = None) -> EvalRun:
    """`labkit.evaluate.run_eval` with the strategy's answer function and format check (and the optional
    LLM judge of `labkit.judge`); kb: the knowledge base hallucination is judged against (None: the course's)."""
    return run_eval(items, strategy.answer, format_check=strategy.format_check, price_model=price_model,
                    facts=facts, judge=judge, kb=kb)


def compare(strategies: Iterable[Strategy], items: Sequence[EvalItem], price_model: str = DEFAULT_MODEL,
            log: Callable[[str], None] | None = None, judge: Judge | None = None) -> dict[str, EvalRun]:
    """{strategy name: EvalRun} over the same items (one strategy after the other)."""
    runs = {}
    for strategy in strategies:
        started = time.perf_counter()
        runs[strategy.name] = evaluate(strategy, items, price_model, judge=judge)
        runs[strategy.name].extra["answered_by"] = getattr(strategy, "answered_by", "")
        if log:
            log(f"{strategy.name}: {len(items)} questions in {time.perf_counter() - started:.0f} s")
    return runs


@dataclass(frozen=True)
class Freshness:
    """One strategy after the knowledge base changed: what updating took, and which answers are new."""

    strategy: str
    action: str           # what `update` did (rebuild the prompt, re-index, nothing)
    n: int                # freshness-sensitive questions asked
    new_fact: float       # share of answers with every updated key fact
    old_fact: float       # share of answers still stating every old key fact
    run: EvalRun


def measure_freshness(strategies: Iterable[Strategy], items: Sequence[EvalItem],
                      docs: Sequence[Document] | None = None) -> list[Freshness]:
    """Apply the knowledge-base update (`load_docs("updated")`) to each strategy, then ask the questions
    that have updated facts; score them against the new and the old facts."""
    from labkit.evaluate import key_fact_score

    fresh_items = [i for i in items if i.updated_key_facts]
    if not fresh_items:
        raise ValueError("measure_freshness needs freshness-sensitive items (with updated_key_facts); "
                         "pick them with [i for i in load_eval('dev') if i.updated_key_facts]")
    docs = docs if docs is not None else load_docs("updated")
    results = []
    for strategy in strategies:
        action = strategy.update(docs)
        run = evaluate(strategy, fresh_items, facts="updated", kb=docs)
        by_id = {i.id: i for i in fresh_items}
        old = [key_fact_score(r.answer, by_id[r.id].key_facts) == 1.0 for r in run.records]
        results.append(Freshness(strategy.name, action, len(fresh_items), run.summary.accuracy,
                                 sum(old) / len(old), run))
    return results


def spread(items: Sequence[EvalItem], n: int) -> list[EvalItem]:
    """`n` items taken round-robin over the categories (in order of first appearance): a small subset
    that still has every kind of question. n >= len(items) returns all items."""
    if n >= len(items):
        return list(items)
    by_category: dict[str, list[EvalItem]] = {}
    for item in items:
        by_category.setdefault(item.category, []).append(item)
    queues = list(by_category.values())
    chosen: list[EvalItem] = []
    while len(chosen) < n:
        for queue in queues:
            if queue and len(chosen) < n:
                chosen.append(queue.pop(0))
    order = {item.id: i for i, item in enumerate(items)}
    return sorted(chosen, key=lambda item: order[item.id])


def build(roles: Sequence[str], client: Any = None, index: Any = None, if_missing: IfMissing = "error",
          **options: Any) -> dict[str, Strategy]:
    """{role: strategy} for `roles` (of ROLES), sharing one client and one knowledge-base index.
    "prompt-only" is the curated prompt within the seed's budget, "prompt-whole-kb" the whole knowledge
    base in a cached prompt, "prompt-format" the few-shot format baseline; "fine-tuned" is the knowledge
    adapter (the seed's "internalized knowledge"), "fine-tuned-format" the support-ticket format adapter;
    `options[role]` are keyword arguments for that strategy."""
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise ValueError(f"unknown strategy {', '.join(unknown)}: choose from {', '.join(ROLES)}")
    client = _client(client)
    if index is None and {"rag", "hybrid"} & set(roles):
        index = kb_index()
    makers = {
        "prompt-only": lambda **o: PromptOnly(client, **o),
        "prompt-whole-kb": lambda **o: PromptOnly(client, selection="whole-kb", **o),
        "prompt-format": lambda **o: PromptFormat(client, **o),
        "rag": lambda **o: Rag(index, client, **o),
        "fine-tuned": lambda **o: FineTuned(client, adapter=KNOWLEDGE, if_missing=if_missing, **o),
        "fine-tuned-format": lambda **o: FineTuned(client, adapter=FORMAT, if_missing=if_missing, **o),
        "hybrid": lambda **o: Hybrid(index, client, if_missing=if_missing, **o),
    }
    return {role: makers[role](**options.get(role, {})) for role in roles}
