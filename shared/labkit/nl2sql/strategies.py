"""The seed article's four strategies on its own fine-tuning task, NL->SQL, with one interface.

Used by the NL->SQL lesson and lab (issue 18) and by `labkit.nl2sql.runner` (and `labkit compare --task sql`).

A strategy has a `name` (for tables), a `kind` (one of labkit.decision.KINDS) and `answer(pair) -> Reply`
(labkit.evaluate.Reply: the model's raw text, honest token counts, what the model was shown, the retrieval
time). Every strategy calls `client.messages.create` once per question with the same `DECODING` (max_tokens;
the engine's own greedy decoding) and no stop sequences, and returns the text untouched: post-processing
happens once, in `labkit.nl2sql.metrics.score`, the same for all.

- PromptOnly: the whole schema (`labkit.nl2sql.schema`) and a few fixed training examples in the system
  prompt. The prompt is the same for every question, so the local engine keeps it in its prompt cache.
- Rag: the k most similar training pairs (few-shot by retrieval) and the schema parts they and the question
  need (`labkit.nl2sql.retrieve`), in a system prompt of the same shape as prompt-only's: only what is
  selected changes. Measure k on the validation split (`runner.measure_k`), never on test.
- FineTuned: the seed's JSONL as it is: a fine-tuned model id (the lead's SQL LoRA adapter, e.g. an "ft:..."
  id the local engine answers with Qwen2.5-Coder-0.5B + that adapter), the seed's system prompt "You
  generate SQL from natural language." and the bare question. No schema: the model must have learned it.
- Hybrid: the same fine-tuned model id and system prompt, plus the retrieved schema parts.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import cache
from typing import Any, ClassVar, Protocol

from labkit.data import SqlPair, load_sql_pairs
from labkit.evaluate import Reply, as_reply
from labkit.models import DEFAULT_MODEL
from labkit.nl2sql.retrieve import K_EXAMPLES, N_TABLES, Retriever
from labkit.nl2sql.schema import Schema, describe
from labkit.strategies.base import default_client

# Room for the longest gold query (about 150 tokens of the local model) with margin; the same for every strategy.
MAX_TOKENS = 256
# Every call's decoding settings. No temperature: the Messages API of anthropic 2.x takes none; the local
# engine decodes greedily (labkit.local_model), so the same request gives the same text.
DECODING: dict[str, Any] = {"max_tokens": MAX_TOKENS}
INSTRUCTIONS = ("Write one DuckDB SQL query (PostgreSQL style: DATE_TRUNC, INTERVAL '1 month', CURRENT_DATE) that "
                "answers the question. Reply with the SQL only: no explanation, no markdown, no code fence.")
N_FIXED = 4  # prompt-only's fixed examples


class SqlStrategy(Protocol):
    name: str

    @property
    def kind(self) -> str: ...  # read-only: the strategies set it as a ClassVar

    def answer(self, pair: SqlPair) -> Reply: ...


@cache
def seed_system_prompt() -> str:
    """The system prompt of the seed article's training file, as the pairs carry it."""
    return load_sql_pairs()[0].messages[0]["content"]


def _train() -> list[SqlPair]:
    from labkit.nl2sql.split import load_split

    return load_split().train


def fixed_examples(train: list[SqlPair], n: int = N_FIXED) -> list[SqlPair]:
    """`n` training pairs for prompt-only: the seed's two examples, then the first pair (in file order) of each
    difficulty from hard down that reads a table not yet shown, then any, until there are `n`."""
    chosen = [p for p in train if p.source == "seed"][:n]
    for difficulty in ("hard", "medium", "easy") * n:
        if len(chosen) >= n:
            break
        shown = {t for p in chosen for t in p.tables}
        fresh = [p for p in train if p.difficulty == difficulty and p not in chosen and set(p.tables) - shown]
        if fresh:
            chosen.append(fresh[0])
    chosen += [p for p in train if p not in chosen][: n - len(chosen)]
    return chosen


def build_system(schema_text: str, examples: list[SqlPair]) -> str:
    """The system prompt of prompt-only and RAG: the seed's line and the instructions, the schema, examples."""
    parts = [f"{seed_system_prompt()}\n{INSTRUCTIONS}", f"The database:\n\n{schema_text}"]
    if examples:
        parts.append("Examples:\n\n" + "\n\n".join(f"Question: {p.question}\nSQL: {p.sql}" for p in examples))
    return "\n\n".join(parts)


def call(client: Any, model: str, system: str, question: str, retrieval_ms: float | None = None) -> Reply:
    """One Messages API call with `DECODING`: the reply's text untouched, its prompt tokens (cache reads
    included) and output tokens, what the model was shown."""
    message = client.messages.create(model=model, system=system, messages=[{"role": "user", "content": question}],
                                     **DECODING)
    reply = as_reply(message)
    # Every prompt token, cached or not: the engine's prefix cache must not make a long prompt look cheap.
    prompt = reply.input_tokens + reply.cache_read_input_tokens + reply.cache_creation_input_tokens
    return Reply(reply.text, prompt, reply.output_tokens, f"{system}\n{question}", retrieval_ms)


@dataclass
class PromptOnly:
    """The whole schema and `N_FIXED` fixed training examples in the system prompt."""

    kind: ClassVar[str] = "prompt-only"

    client: Any = None
    schema: Schema | None = None
    examples: list[SqlPair] | None = None
    model: str = DEFAULT_MODEL
    name: str = "prompt-only"
    system: str = field(init=False, default="")

    def __post_init__(self) -> None:
        self.client = default_client(self.client)
        self.schema = self.schema or describe()
        self.examples = fixed_examples(_train()) if self.examples is None else list(self.examples)
        self.system = build_system(self.schema.text(), self.examples)

    def answer(self, pair: SqlPair) -> Reply:
        return call(self.client, self.model, self.system, pair.question)


@dataclass
class Rag:
    """The `k` most similar training pairs and the schema parts they and the question need."""

    kind: ClassVar[str] = "rag"

    retriever: Retriever | None = None
    client: Any = None
    k: int = K_EXAMPLES
    n_tables: int = N_TABLES
    model: str = DEFAULT_MODEL
    name: str = "rag"

    def __post_init__(self) -> None:
        self.client = default_client(self.client)

    def prompt(self, pair: SqlPair) -> str:
        """The system prompt for `pair` (retrieval runs here)."""
        retriever = _retriever(self)
        examples, tables = retriever.retrieve(pair, self.k, self.n_tables)
        return build_system(retriever.schema.text(tables), examples)

    def answer(self, pair: SqlPair) -> Reply:
        return _answer_retrieving(self, pair)


@dataclass
class FineTuned:
    """A fine-tuned model with the seed's system prompt and the bare question, as in the training file."""

    kind: ClassVar[str] = "fine-tuned"

    model: str
    client: Any = None
    name: str = "fine-tuned"

    def __post_init__(self) -> None:
        self.client = default_client(self.client)

    def answer(self, pair: SqlPair) -> Reply:
        return call(self.client, self.model, seed_system_prompt(), pair.question)


@dataclass
class Hybrid:
    """The fine-tuned model and system prompt, plus the schema parts RAG would retrieve (no examples shown)."""

    kind: ClassVar[str] = "hybrid"

    model: str
    retriever: Retriever | None = None
    client: Any = None
    k: int = K_EXAMPLES          # examples retrieved to choose tables, not shown
    n_tables: int = N_TABLES
    name: str = "hybrid"

    def __post_init__(self) -> None:
        self.client = default_client(self.client)

    def prompt(self, pair: SqlPair) -> str:
        retriever = _retriever(self)
        tables = retriever.retrieve(pair, self.k, self.n_tables)[1]
        return f"{seed_system_prompt()}\n\nThe database:\n\n{retriever.schema.text(tables)}"

    def answer(self, pair: SqlPair) -> Reply:
        return _answer_retrieving(self, pair)


def _retriever(strategy: Rag | Hybrid) -> Retriever:
    """The strategy's retriever, built over the train split and the schema on first use."""
    if strategy.retriever is None:
        strategy.retriever = Retriever(_train(), describe())
    return strategy.retriever


def _answer_retrieving(strategy: Rag | Hybrid, pair: SqlPair) -> Reply:
    """Build the prompt (retrieval included in the latency), then ask the model."""
    started = time.perf_counter()
    system = strategy.prompt(pair)
    return call(strategy.client, strategy.model, system, pair.question, (time.perf_counter() - started) * 1000)
