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
- FineTuned: module 3's LoRA model, called as the seed calls it (`ft:claude-sonnet-4-6:acmecorp:support-v3`),
  with the ticket system prompt it was trained on and no documents: its knowledge is in its weights.
- Hybrid: the seed's hybrid pipeline. The fine-tuned model (format), RAG context (facts) and a guardrail
  prompt (answer only from the context, else escalate).

Hallucination is judged against the same evidence for every strategy: the knowledge base the question is
about (`labkit.evaluate.run_eval`). A Reply's `evidence` is what that model was shown (system prompt + context
+ question), for the separate `hallucinated_shown` check; the fine-tuned model is shown no documents, so its
shown evidence is the knowledge base its training tickets were written from.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, Literal, Protocol

from labkit.data import EvalItem, load_docs, load_tickets
from labkit.documents import Document
from labkit.evaluate import EvalRun, Reply, as_reply, format_ok, run_eval
from labkit.finetune.validate import REPLY_MAX_TOKENS
from labkit.judge import Judge
from labkit.models import DEFAULT_MODEL, SEED_FINETUNED_MODEL
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
    """The fine-tuned model's format (labkit.finetune.support_format) is followed."""
    from labkit.finetune.validate import support_format

    return bool(text.strip()) and support_format(text) is None


def _reply(message: Any, evidence: str, retrieval_ms: float | None = None) -> Reply:
    """`labkit.evaluate.as_reply(message)`, stripped, with what the model was shown and the retrieval time."""
    reply = as_reply(message)
    return replace(reply, text=reply.text.strip(), evidence=evidence, retrieval_ms=retrieval_ms)


# ----------------------------------------------------------------------------------------------
# Prompt engineering: knowledge in the system prompt
# ----------------------------------------------------------------------------------------------
def pack_documents(docs: Sequence[Document], fits: Callable[[list[Document]], bool]) -> list[Document]:
    """Whole documents, smallest first, while `fits(chosen)` stays True: the most documents in a budget."""
    chosen: list[Document] = []
    for doc in sorted(docs, key=lambda d: (len(d.text), d.id)):
        if fits([*chosen, doc]):
            chosen.append(doc)
    return sorted(chosen, key=lambda d: d.id)


@dataclass
class PromptOnly:
    """All knowledge that fits `budget` tokens in the system prompt; one call per question."""

    kind: ClassVar[str] = "prompt-only"

    client: Any = None
    docs: Sequence[Document] | None = None
    budget: int = TOKEN_BUDGET
    model: str = DEFAULT_MODEL
    max_tokens: int = 80
    name: str = "prompt-only"
    system: str = field(init=False, default="")
    included: list[str] = field(init=False, default_factory=list)
    prompt_tokens: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self.client = _client(self.client)
        self.update(self.docs if self.docs is not None else load_docs())

    def build(self, docs: Sequence[Document]) -> str:
        return build_system_prompt(ROLE, knowledge_from_docs(docs), output_format=SHORT_ANSWER,
                                   escalation=escalation_rule())

    def update(self, docs: Sequence[Document]) -> str:
        """Rebuild the prompt from `docs` (the seed: 'update prompts manually')."""
        started = time.perf_counter()
        chosen = pack_documents(docs, lambda ds: count_tokens(self.client, self.build(ds), model=self.model)
                                < self.budget)
        self.system, self.included = self.build(chosen), [d.id for d in chosen]
        self.prompt_tokens = count_tokens(self.client, self.system, model=self.model)
        return (f"prompt rebuilt: {len(chosen)} of {len(docs)} documents, {self.prompt_tokens:,} tokens "
                f"({time.perf_counter() - started:.1f} s)")

    def answer(self, item: EvalItem) -> Reply:
        message = self.client.messages.create(model=self.model, max_tokens=self.max_tokens, system=self.system,
                                              messages=[{"role": "user", "content": item.question}])
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

    def __post_init__(self) -> None:
        self.client = _client(self.client)
        self.index = self.index if self.index is not None else kb_index()

    def answer(self, item: EvalItem) -> Reply:
        from labkit.rag import answer, build_prompt

        result = answer(item.question, self.index, client=self.client, top_k=self.top_k, model=self.model,
                        max_tokens=self.max_tokens)
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
# Fine-tuning: module 3's LoRA model
# ----------------------------------------------------------------------------------------------
IfMissing = Literal["train", "base", "error"]
_noticed: set[str] = set()


def _stderr(text: str) -> None:
    print(text, file=sys.stderr)


def ensure_adapter(if_missing: IfMissing = "base", steps: int | None = None, n_train: int | None = None,
                   log: Callable[[str], None] | None = None) -> tuple[str, str]:
    """(model id, label) of the module-3 model to call.

    With a trained adapter (labkit.finetune.latest_adapter()): the seed's fine-tuned id, label "fine-tuned".
    Without one: if_missing="train" trains module 3's full run (`make finetune`'s `FULL_RUN` unless `n_train`
    tickets and `steps` steps are given) into
    the cache and says how long it took; "base" answers with the base SmolLM2-135M, honestly labelled
    "smollm2-base (not fine-tuned)"; "error" raises NoAdapter.
    """
    from labkit.finetune import BASE_MODEL_ID, NoAdapter, default_split, latest_adapter, train_lora
    from labkit.finetune.train import FULL_RUN

    steps = FULL_RUN["steps"] if steps is None else steps
    n_train = FULL_RUN["train"] if n_train is None else n_train

    log = log or _stderr
    if latest_adapter() is not None:
        return SEED_FINETUNED_MODEL, "fine-tuned"
    if if_missing == "error":
        raise NoAdapter("no fine-tuned adapter in the labkit cache: run `make finetune` (module 3), or pass "
                        "if_missing='train' (train one now) or 'base' (the base model, not fine-tuned)")
    if if_missing == "base":
        if log is not _stderr or "base" not in _noticed:  # the same notice once per process on stderr
            _noticed.add("base")
            log("labkit: no fine-tuned adapter yet: the fine-tuned strategy uses the BASE SmolLM2-135M "
                "(not fine-tuned); run `make finetune` to train one")
        return BASE_MODEL_ID, "smollm2-base (not fine-tuned)"
    log(f"labkit: no fine-tuned adapter yet: training module 3's default LoRA run ({n_train} tickets, "
        f"{steps} steps) on the CPU, once; it is cached for next time")
    train, held_out = default_split(n_train, FULL_RUN["eval"])
    result = train_lora(train, held_out, max_steps=steps)
    log(f"labkit: trained in {result.wall_seconds:.0f} s; adapter in {result.adapter_dir}")
    return SEED_FINETUNED_MODEL, "fine-tuned"


@dataclass
class FineTuned:
    """The module-3 model with the ticket system prompt and no documents (knowledge in the weights)."""

    kind: ClassVar[str] = "fine-tuned"

    client: Any = None
    model: str | None = None        # None: ensure_adapter(if_missing) decides
    if_missing: IfMissing = "base"
    max_tokens: int = REPLY_MAX_TOKENS  # a whole Diagnosis / Solution / Prevention / Source reply
    name: str = ""
    system: str = field(default_factory=ticket_system_prompt)
    knowledge: str = field(init=False, default="")

    def __post_init__(self) -> None:
        self.client = _client(self.client)
        label = "fine-tuned"
        if self.model is None:
            self.model, label = ensure_adapter(self.if_missing)
        self.name = self.name or label
        self.knowledge = "\n".join(d.text for d in load_docs())

    def answer(self, item: EvalItem) -> Reply:
        message = self.client.messages.create(model=self.model, max_tokens=self.max_tokens, system=self.system,
                                              messages=[{"role": "user", "content": item.question}])
        return _reply(message, f"{self.system}\n{self.knowledge}")

    def format_check(self, text: str) -> bool:
        return support_format_ok(text)

    def update(self, docs: Sequence[Document]) -> str:
        """Nothing changes without a new training run (the seed: 're-train periodically')."""
        return "unchanged: the weights hold the old facts until the adapter is retrained"


# ----------------------------------------------------------------------------------------------
# Hybrid: fine-tuned format + RAG facts + prompt guardrails (the seed's hybrid_pipeline)
# ----------------------------------------------------------------------------------------------
@dataclass
class Hybrid:
    """The seed's hybrid: retrieve context, then the fine-tuned model answers from it, with guardrails."""

    kind: ClassVar[str] = "hybrid"

    index: Any = None
    client: Any = None
    model: str | None = None
    if_missing: IfMissing = "base"
    top_k: int = 3
    max_tokens: int = REPLY_MAX_TOKENS
    name: str = ""

    def __post_init__(self) -> None:
        self.client = _client(self.client)
        self.index = self.index if self.index is not None else kb_index()
        label = "fine-tuned"
        if self.model is None:
            self.model, label = ensure_adapter(self.if_missing)
        self.name = self.name or ("hybrid" if label == "fine-tuned" else "hybrid (base, not fine-tuned)")
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


def build(kinds: Sequence[str], client: Any = None, index: Any = None, if_missing: IfMissing = "base",
          **options: Any) -> list[Strategy]:
    """The strategies of `kinds` (labkit.decision.KINDS), sharing one client and one knowledge-base index."""
    classes = {"prompt-only": PromptOnly, "rag": Rag, "fine-tuned": FineTuned, "hybrid": Hybrid}
    unknown = [k for k in kinds if k not in classes]
    if unknown:
        raise ValueError(f"unknown strategy {', '.join(unknown)}: choose from {', '.join(classes)}")
    client = _client(client)
    if index is None and {"rag", "hybrid"} & set(kinds):
        index = kb_index()
    made: list[Strategy] = []
    for kind in kinds:
        if kind == "prompt-only":
            made.append(PromptOnly(client, **options.get(kind, {})))
        elif kind == "rag":
            made.append(Rag(index, client, **options.get(kind, {})))
        elif kind == "fine-tuned":
            made.append(FineTuned(client, if_missing=if_missing, **options.get(kind, {})))
        else:
            made.append(Hybrid(index, client, if_missing=if_missing, **options.get(kind, {})))
    return made
