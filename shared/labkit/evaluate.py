"""Score answers and run an answer function over evaluation questions: the course's measuring stick.

    from labkit.data import load_eval
    from labkit.evaluate import run_eval, format_table, comparison_rows

    run = run_eval(load_eval("dev")[:10], lambda item: client.messages.create(...))
    print(run.summary.accuracy, run.summary.hallucination_rate, run.summary.cost_per_query)
    print(format_table(comparison_rows({"v1": run})))

Every metric here is deterministic string work, so the same answers always get the same scores:
- `key_fact_score` (labkit.facts): the fraction of an item's key facts found in the answer as whole values
  after `normalize` (HTML entities, whitespace, number formats); `contradictions`: values that compete with
  a key fact in the same sentence ("10 months ... 2 years"); an answer is *correct* with every key fact and
  no contradiction;
- `is_refusal`: the answer declines or escalates (a fixed list of patterns, `REFUSAL_PATTERNS`);
- `format_ok`: the answer is non-empty, short enough and (optionally) parses as the JSON asked for;
- `unsupported_claims` (labkit.claims): the checkable claims of an answer (prices and other numbers, menu
  paths, e-mail addresses, URLs, products on platforms, names) that the evidence does not support: the
  deterministic hallucination check of lesson 04. `hallucinated` judges every strategy against the *same*
  evidence: the knowledge base the question is about (the current documents, or the updated ones when
  `facts="updated"`), plus the question and its gold answer. `hallucinated_shown` keeps the old, per-strategy
  reading: against what that model was shown (its prompt and context), when the reply says;
- `cited_ids`: the [doc-id] citations of an answer, for citation accuracy against the gold sources.
An LLM judge (`labkit.judge`, Claude only) can be passed to `run_eval` as an extra: it reads every answer
against the same knowledge base; its rate is reported beside the deterministic one, with how often they agree.
`labkit.calibration` measures both against answers a person labelled.

`run_eval` calls the answer function once per question, times it, takes token counts from the reply's
`usage` (cache reads and writes included), prices them with `labkit.costs` and returns per-question records
plus a summary. The side-by-side tables (`comparison_rows`, `format_table`) are in `labkit.tables`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from labkit import costs
from labkit.claims import Evidence, as_evidence, claims, unsupported_claims
from labkit.data import EvalItem
from labkit.documents import Document
from labkit.facts import contradictions, has_fact, key_fact_score, missing_facts, normalize
from labkit.models import DEFAULT_MODEL
from labkit.replies import REFUSAL_PATTERNS, Reply, as_reply, cited_ids, format_ok, is_refusal
from labkit.tables import COMPARE_COLUMNS, JUDGE_COLUMNS, TABLE_COLUMNS, comparison_rows, format_table

if TYPE_CHECKING:  # only for the annotation: labkit.judge needs nothing of this module
    from labkit.judge import Judge

__all__ = [  # normalize, claims, the tables ... live in labkit.facts, .claims, .tables and stay importable here
    "COMPARE_COLUMNS", "JUDGE_COLUMNS", "REFUSAL_PATTERNS", "TABLE_COLUMNS", "EvalRecord", "EvalRun",
    "EvalSummary", "Evidence", "Reply", "as_reply", "cited_ids", "claims", "comparison_rows", "contradictions",
    "format_ok", "format_table", "has_fact", "is_refusal", "key_fact_score", "missing_facts", "normalize",
    "percentile", "run_eval", "summarize", "unsupported_claims",
]


# ----------------------------------------------------------------------------------------------
# The runner
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class EvalRecord:
    """One question's result. correct_refusal is None for answerable questions."""

    id: str
    category: str
    answerable: bool
    answer: str
    key_fact_score: float
    missing: list[str]
    refused: bool
    correct_refusal: bool | None
    format_ok: bool
    input_tokens: int
    output_tokens: int
    latency_ms: float
    cost_usd: float                       # every prompt token at the full input price (no caching)
    unsupported: list[str] | None = None  # claims the knowledge base does not support (see run_eval)
    cited: list[str] = field(default_factory=list)
    citation_ok: bool | None = None       # cites a gold source; None: answerable-and-cited only
    retrieval_ms: float | None = None
    judge_unsupported: list[str] | None = None  # what the LLM judge found unsupported (None: not judged)
    contradicted: list[str] = field(default_factory=list)  # values competing with a key fact (labkit.facts)
    unsupported_shown: list[str] | None = None  # claims not in what the model was shown (None: unknown)
    cache_read_input_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cost_cached_usd: float = math.nan     # as billed with the reply's cache reads and writes
    evidence_shown: str | None = field(default=None, repr=False)  # what the model was shown, when known

    @property
    def judge_hallucinated(self) -> bool | None:
        """The LLM judge found an unsupported statement in an answer that did not refuse; None: not judged."""
        if self.judge_unsupported is None:
            return None
        return bool(self.judge_unsupported) and not self.refused

    @property
    def hallucinated(self) -> bool | None:
        """A claim the knowledge base does not support, in an answer that did not refuse (the same evidence
        for every strategy); None only for records made without a knowledge base."""
        if self.unsupported is None:
            return None
        return bool(self.unsupported) and not self.refused

    @property
    def hallucinated_shown(self) -> bool | None:
        """A claim that was not in what this model was shown, in an answer that did not refuse; None when the
        reply did not say what the model was shown. Not comparable across strategies (each was shown other
        evidence): kept to see what a strategy added beyond its own prompt."""
        if self.unsupported_shown is None:
            return None
        return bool(self.unsupported_shown) and not self.refused

    @property
    def correct(self) -> bool:
        """Answerable: every key fact present and none contradicted. Unanswerable: the answer refused."""
        if self.answerable:
            return self.key_fact_score == 1.0 and not self.contradicted
        return bool(self.refused)

    @property
    def prompt_tokens(self) -> int:
        """Every prompt token, whether read at full price, from the cache or written to it."""
        return self.input_tokens + self.cache_read_input_tokens + self.cache_creation_input_tokens


@dataclass(frozen=True)
class EvalSummary:
    """Means over the records. Rates are in [0, 1] and NaN when no question counts toward them."""

    n: int
    n_answerable: int
    n_unanswerable: int
    accuracy: float           # answerable questions answered correctly (every key fact, no contradiction)
    mean_key_fact_score: float  # answerable questions, partial credit
    refusal_correct: float    # unanswerable questions that were refused
    false_refusal: float      # answerable questions that were refused anyway
    format_ok: float          # all questions
    mean_input_tokens: float  # as the usage reports them (cache reads not included)
    mean_output_tokens: float
    cost_per_query: float     # USD at `price_model`'s prices, every prompt token at the full input price
    p50_latency_ms: float
    price_model: str
    p95_latency_ms: float = math.nan
    hallucination_rate: float = math.nan   # answers (all questions) with a claim the knowledge base lacks
    citation_accuracy: float = math.nan    # answerable answers that cite: share citing a gold source
    citation_rate: float = math.nan        # answerable answers that cite anything
    p50_retrieval_ms: float = math.nan
    judge_hallucination_rate: float = math.nan  # the LLM judge's rate (labkit.judge), when one was used
    judge_agreement: float = math.nan           # answers where judge and deterministic check agree
    hallucination_rate_shown: float = math.nan  # against what each model was shown (not comparable)
    contradiction_rate: float = math.nan   # answerable answers with a value competing with a key fact
    key_facts_rate: float = math.nan       # answerable answers with every key fact (contradictions allowed)
    mean_cache_read_tokens: float = 0.0
    mean_cache_creation_tokens: float = 0.0
    cost_per_query_cached: float = math.nan  # USD as billed with the replies' cache reads and writes

    @property
    def cost_per_million(self) -> float:
        """USD per million queries like these: the unit of the seed's cost table."""
        return self.cost_per_query * 1_000_000

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class EvalRun:
    records: list[EvalRecord]
    summary: EvalSummary
    extra: dict = field(default_factory=dict)  # room for what a later module measures


def _mean(values: Iterable[float]) -> float:
    values = list(values)
    return float(sum(values) / len(values)) if values else math.nan


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100, linear interpolation); NaN for no values."""
    return float(np.percentile(list(values), q)) if len(values) else math.nan


def summarize(records: Sequence[EvalRecord], price_model: str = DEFAULT_MODEL) -> EvalSummary:
    """The summary of a list of records (see EvalSummary)."""
    answerable = [r for r in records if r.answerable]
    unanswerable = [r for r in records if not r.answerable]
    judged = [r for r in records if r.judge_unsupported is not None]
    return EvalSummary(
        n=len(records), n_answerable=len(answerable), n_unanswerable=len(unanswerable),
        accuracy=_mean(r.correct for r in answerable),
        mean_key_fact_score=_mean(r.key_fact_score for r in answerable),
        refusal_correct=_mean(r.refused for r in unanswerable),
        false_refusal=_mean(r.refused for r in answerable),
        format_ok=_mean(r.format_ok for r in records),
        mean_input_tokens=_mean(r.input_tokens for r in records),
        mean_output_tokens=_mean(r.output_tokens for r in records),
        cost_per_query=_mean(r.cost_usd for r in records),
        p50_latency_ms=percentile([r.latency_ms for r in records], 50),
        price_model=price_model,
        p95_latency_ms=percentile([r.latency_ms for r in records], 95),
        hallucination_rate=_mean(r.hallucinated for r in records if r.hallucinated is not None),
        citation_accuracy=_mean(r.citation_ok for r in records if r.citation_ok is not None),
        citation_rate=_mean(bool(r.cited) for r in answerable),
        p50_retrieval_ms=percentile([r.retrieval_ms for r in records if r.retrieval_ms is not None], 50),
        judge_hallucination_rate=_mean(r.judge_hallucinated for r in judged if r.judge_hallucinated is not None),
        judge_agreement=_mean(r.judge_hallucinated == r.hallucinated for r in judged if r.hallucinated is not None),
        hallucination_rate_shown=_mean(r.hallucinated_shown for r in records if r.hallucinated_shown is not None),
        contradiction_rate=_mean(bool(r.contradicted) for r in answerable),
        key_facts_rate=_mean(r.key_fact_score == 1.0 for r in answerable),
        mean_cache_read_tokens=_mean(r.cache_read_input_tokens for r in records) if records else 0.0,
        mean_cache_creation_tokens=_mean(r.cache_creation_input_tokens for r in records) if records else 0.0,
        cost_per_query_cached=_mean(r.cost_cached_usd for r in records),
    )


def kb_text(docs: Sequence[Document]) -> str:
    """The knowledge base as one readable text (each document under its title and id), for the judge."""
    return "\n\n".join(f"# {d.title} [{d.id}]\n{d.text}" for d in docs)


def score_answer(item: EvalItem, reply: Reply, kb: Evidence, *, facts: Literal["current", "updated"] = "current",
                 format_check: Callable[[str], bool] | None = None, price_model: str = DEFAULT_MODEL,
                 latency_ms: float = 0.0, judge_unsupported: list[str] | None = None) -> EvalRecord:
    """One answer's record (every metric of run_eval, without calling anything): how `run_eval` scores, and how
    a saved answer is re-scored (bench/metric_fixes.py). `kb`: the knowledge base as `labkit.claims.Evidence`."""
    fresh = facts == "updated" and bool(item.updated_key_facts)
    key_facts = item.updated_key_facts if fresh else item.key_facts
    gold = (item.updated_answer or item.answer) if fresh else item.answer
    text = reply.text
    refused = is_refusal(text)
    cited = cited_ids(text)
    shown = None if reply.evidence is None else f"{reply.evidence}\n{item.question}"
    read, written = reply.cache_read_input_tokens, reply.cache_creation_input_tokens
    return EvalRecord(
        id=item.id, category=item.category, answerable=item.answerable, answer=text,
        key_fact_score=key_fact_score(text, key_facts) if item.answerable else 0.0,
        missing=missing_facts(text, key_facts) if item.answerable else [],
        refused=refused, correct_refusal=None if item.answerable else refused,
        format_ok=bool((format_check or format_ok)(text)), input_tokens=reply.input_tokens,
        output_tokens=reply.output_tokens, latency_ms=latency_ms,
        cost_usd=costs.cost_per_query(price_model, reply.input_tokens + read + written, reply.output_tokens),
        unsupported=unsupported_claims(text, kb.plus(item.question, gold)),
        cited=cited, citation_ok=bool(set(cited) & set(item.sources)) if item.answerable and cited else None,
        retrieval_ms=reply.retrieval_ms, judge_unsupported=judge_unsupported,
        contradicted=contradictions(text, key_facts, f"{item.question}\n{gold}") if item.answerable else [],
        unsupported_shown=None if shown is None else unsupported_claims(text, shown),
        cache_read_input_tokens=read, cache_creation_input_tokens=written,
        cost_cached_usd=costs.cost_per_query(price_model, reply.input_tokens, reply.output_tokens,
                                             cache_read_input_tokens=read, cache_creation_input_tokens=written),
        evidence_shown=reply.evidence,
    )


def run_eval(items: Iterable[EvalItem], answer_fn: Callable[[EvalItem], Any], *,
             format_check: Callable[[str], bool] | None = None, price_model: str = DEFAULT_MODEL,
             facts: Literal["current", "updated"] = "current", judge: Judge | None = None,
             kb: Sequence[Document] | str | None = None) -> EvalRun:
    """Answer every item with `answer_fn(item)` and score it.

    answer_fn returns an anthropic Message (token counts from its usage), a Reply, or a str (0 tokens).
    format_check(text) -> bool decides format compliance (default: `format_ok(text)`, i.e. non-empty).
    price_model: whose prices turn tokens into dollars (offline the tokens are the local model's, so the
    cost is an estimate of the same traffic on that model). facts="updated" scores freshness-sensitive
    items against their `updated_key_facts` (the knowledge base after kb_updates/).
    kb: the knowledge base the questions are about, the evidence of the hallucination check for every
    strategy alike: documents, a text, or None for the course's (`labkit.data.load_docs(facts)`). Each
    answer is checked against it plus its question and gold answer (whose computed figures, like "$10/month"
    for 100 GB of extra storage, follow from the documents without being written in them).
    When the reply carries `evidence` (what the model was shown: a Reply from a `labkit.strategies` strategy
    does), `unsupported_shown` checks against that too. Citations are compared with the item's gold `sources`.
    judge (`labkit.judge.make_judge()`, Claude only) also reads every answer that did not refuse, against the
    same knowledge base; its calls are not timed or priced with the answer.
    """
    from labkit.data import load_docs

    evidence = as_evidence(kb, facts)  # None: the course's, prepared once per process
    judge_evidence = kb if isinstance(kb, str) else kb_text(load_docs(facts) if kb is None else kb)
    records = []
    for item in items:
        started = time.perf_counter()
        reply = as_reply(answer_fn(item))
        latency_ms = (time.perf_counter() - started) * 1000
        judged = None
        if judge is not None:
            judged = [] if is_refusal(reply.text) else judge(item.question, judge_evidence, reply.text).unsupported
        records.append(score_answer(item, reply, evidence, facts=facts, format_check=format_check,
                                    price_model=price_model, latency_ms=latency_ms, judge_unsupported=judged))
    return EvalRun(records, summarize(records, price_model))
