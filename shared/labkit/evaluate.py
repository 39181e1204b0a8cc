"""Score answers and run an answer function over evaluation questions: the course's measuring stick.

    from labkit.data import load_eval
    from labkit.evaluate import run_eval, format_table, comparison_rows

    run = run_eval(load_eval("dev")[:10], lambda item: client.messages.create(...))
    print(run.summary.accuracy, run.summary.cost_per_query)
    print(format_table(comparison_rows({"v1": run})))

Every metric here is deterministic string work, so the same answers always get the same scores:
- `key_fact_score`: the fraction of an item's key facts found in the answer after `normalize`;
- `is_refusal`: the answer declines or escalates (a fixed list of patterns, `REFUSAL_PATTERNS`);
- `format_ok`: the answer is non-empty, short enough and (optionally) parses as the JSON asked for;
- `unsupported_claims`: the checkable claims of an answer (prices and other numbers, menu paths, e-mail
  addresses, URLs) that do not occur in the evidence the model had (system prompt, context, question):
  the deterministic hallucination check of module 4;
- `cited_ids`: the [doc-id] citations of an answer, for citation accuracy against the gold sources.
An LLM judge (`labkit.judge`, Claude only) can be passed to `run_eval` as an extra: its hallucination
rate is reported beside the deterministic one, with how often the two agree.

`run_eval` calls the answer function once per question, times it, takes token counts from the reply's
`usage`, prices them with `labkit.costs` and returns per-question records plus a summary.
"""

from __future__ import annotations

import math
import re
import time
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from labkit import costs
from labkit.data import EvalItem
from labkit.models import DEFAULT_MODEL

if TYPE_CHECKING:  # labkit.judge imports this module
    from labkit.judge import Judge


# ----------------------------------------------------------------------------------------------
# Normalisation and key facts
# ----------------------------------------------------------------------------------------------
def normalize(text: str) -> str:
    """Text in the form key facts are compared in. In order:

    1. Unicode NFKC, lower case; curly quotes become ' and "; en/em dashes become -.
    2. Markdown emphasis and code marks (`*`, `` ` ``) are removed: "**$29**/month" -> "$29/month".
    3. Thousands separators go: "3,000 requests" -> "3000 requests" (only a comma between digits
       followed by exactly three digits).
    4. Menu arrows are unified: "Settings → Export", "Settings -> Export", "Settings>Export" all become
       "settings > export".
    5. A number and its unit are joined: "5 GB" -> "5gb", "99.9 %" -> "99.9%" (GB, MB, TB, KB, %).
    6. Rates are spelled one way: "$29/month", "$29 / month" and "$29 a month" -> "$29 per month"
       (month, year, minute, hour, day, week, user, seat).
    7. Runs of whitespace become one space; ends are stripped.
    """
    t = unicodedata.normalize("NFKC", text).lower()
    t = re.sub(r"[\u2018\u2019]", "'", re.sub(r"[\u201c\u201d]", '"', t))
    t = re.sub(r"[\u2013\u2014]", "-", t)
    t = re.sub(r"[*`]", "", t)
    t = re.sub(r"(?<=\d),(?=\d{3}\b)", "", t)
    t = re.sub(r"\s*(?:->|\u2192|\u00bb|>)\s*", " > ", t)
    t = re.sub(r"(\d)\s+(?=(?:gb|mb|tb|kb)\b|%)", r"\1", t)
    t = re.sub(r"\s*(?:/|\ba\b)\s*(month|year|minute|hour|day|week|user|seat)\b", r" per \1", t)
    return re.sub(r"\s+", " ", t).strip()


def _fact_pattern(fact: str) -> re.Pattern:
    """A normalised fact as a regex; a fact that starts or ends with a digit may not be glued to more
    digits, so "$9" is not found in "$90" and "3 team members" is not found in "13 team members"."""
    norm = normalize(fact)
    before = r"(?<![\d.,])" if norm[:1].isdigit() else ""
    after = r"(?![\d]|[.,]\d)" if norm[-1:].isdigit() else ""
    return re.compile(before + re.escape(norm) + after)


def has_fact(answer: str, fact: str) -> bool:
    """True when `fact` occurs in `answer`, both normalised (see `normalize`)."""
    return bool(_fact_pattern(fact).search(normalize(answer)))


def missing_facts(answer: str, key_facts: Sequence[str]) -> list[str]:
    """The key facts not found in `answer` (read these before trusting a low score)."""
    return [fact for fact in key_facts if not has_fact(answer, fact)]


def key_fact_score(answer: str, key_facts: Sequence[str]) -> float:
    """The fraction of `key_facts` found in `answer` (normalised substring match, see `normalize`).

    An empty list scores 1.0: nothing was required. Strict by design: "two weeks" does not match "14 days";
    read the misses (`missing_facts`) before drawing conclusions.
    """
    if not key_facts:
        return 1.0
    return 1 - len(missing_facts(answer, key_facts)) / len(key_facts)


# ----------------------------------------------------------------------------------------------
# Refusals and format
# ----------------------------------------------------------------------------------------------
# An answer "refuses" when its normalised text matches any of these. Declining and escalating count the
# same: either way the customer gets no invented answer. Apostrophes are normalised to ' first.
REFUSAL_PATTERNS: tuple[str, ...] = (
    r"\bi (?:don't|do not) know\b",                                   # "I don't know", rag.REFUSAL
    r"\bi'?m not sure\b|\bi am not sure\b",                           # "I'm not sure about that"
    r"\bnot (?:in|covered (?:in|by)|mentioned in|included in) (?:the|our) (?:documentation|docs|information)",
    r"\b(?:documentation|docs|information) (?:does not|doesn't|do not|don't) "
    r"(?:cover|mention|say|include|contain)",
    r"\bescalat\w*\b[^.]{0,40}\bhuman\b",                             # "escalate it to a human agent"
    r"\bi (?:don't|do not) have (?:that|this|any|enough) information\b",
    r"\bno information (?:about|on)\b",
)
_REFUSAL = re.compile("|".join(f"(?:{p})" for p in REFUSAL_PATTERNS))


def is_refusal(text: str) -> bool:
    """True when the answer declines or escalates instead of answering (see `REFUSAL_PATTERNS`)."""
    return bool(_REFUSAL.search(normalize(text)))


def format_ok(text: str, *, max_words: int | None = None, parser: Callable[[str], Any] | None = None) -> bool:
    """True when the answer is non-empty, has at most `max_words` words (if given) and `parser(text)`
    does not raise ValueError (if given; e.g. `labkit.prompts.parse_json_reply` for JSON replies)."""
    if not text or not text.strip():
        return False
    if max_words is not None and len(text.split()) > max_words:
        return False
    if parser is not None:
        try:
            parser(text)
        except ValueError:
            return False
    return True


# ----------------------------------------------------------------------------------------------
# Claims and hallucination (deterministic), citations
# ----------------------------------------------------------------------------------------------
# A *claim* is a piece of an answer that can be checked by string matching, after `normalize`:
#   - a number, with a leading "$" or a trailing "%" or size unit kept ("$35", "99.9%", "50gb", "1000",
#     "2026-12-01");
#     list markers at the start of a line ("1." and "2)") are not claims;
#   - a menu step "a > b": the word before and the word after each ">" ("settings > export");
#   - an e-mail address, or a URL / host name with a path ("api.acmecorp.example/v2").
# A claim is *supported* when it also occurs in the evidence (what the model was shown: its system prompt,
# the retrieved context and the customer's question): numbers as whole numbers ("$9" is not in "$90"),
# the others as substrings. An answer with an unsupported claim *hallucinates*. The check is strict and
# blind to wording ("two weeks" is no claim at all, "14-day" is the claim "14"): read the claims it lists.
_NUMBER = re.compile(r"(?<![\w.$/-])\$?\d+(?:[.:-]\d+)*(?:%|gb|mb|tb|kb)?(?![\w/])")
_LIST_MARKER = re.compile(r"^\s*\d+[.)]\s", re.M)
_MENU_STEP = re.compile(r"([a-z0-9]+) > (?=([a-z0-9]+))")  # overlapping: "a > b > c" has two steps
_EMAIL = re.compile(r"[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)+")
_URL = re.compile(r"(?:https?://)?((?:[a-z0-9-]+\.)+[a-z]{2,}/[^\s)\]]*[a-z0-9/])")  # claim: without scheme


def claims(text: str) -> list[str]:
    """The checkable claims of `text` (see above), normalised, each once, in order of appearance."""
    norm = normalize(_LIST_MARKER.sub(" ", unicodedata.normalize("NFKC", text)))
    found = [m.group(0).rstrip(".") for m in _EMAIL.finditer(norm)]
    found += [m.group(1) for m in _URL.finditer(norm)]
    rest = _URL.sub(" ", _EMAIL.sub(" ", norm))
    found += [f"{a} > {b}" for a, b in _MENU_STEP.findall(rest)]
    found += [n.rstrip(".") for n in _NUMBER.findall(rest)]
    return list(dict.fromkeys(found))


def _supported(claim: str, evidence: str) -> bool:
    if claim[:1].isdigit() or claim[:1] == "$":
        return bool(_fact_pattern(claim).search(evidence))
    return claim in evidence


def unsupported_claims(answer: str, evidence: str) -> list[str]:
    """The claims of `answer` that do not occur in `evidence` (both normalised): what it invented."""
    norm = normalize(evidence)
    return [c for c in claims(answer) if not _supported(c, norm)]


_CITATION = re.compile(r"\[([A-Za-z0-9][A-Za-z0-9_.\-]*)(?:#\d+)?\]")  # the form labkit.rag cites in


def cited_ids(text: str) -> list[str]:
    """The document ids cited as [doc-id] (or [doc-id#n], a chunk) in `text`, each once, in order."""
    return list(dict.fromkeys(_CITATION.findall(text)))


# ----------------------------------------------------------------------------------------------
# The runner
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Reply:
    """What an answer function may return when it is not an anthropic Message: text and token counts."""

    text: str
    input_tokens: int = 0
    output_tokens: int = 0
    evidence: str | None = None   # what the model was shown (for the hallucination check); None: unknown
    retrieval_ms: float | None = None  # time spent retrieving, when the strategy retrieves


def as_reply(result: Any) -> Reply:
    """A Reply from an answer function's result: a Reply, an `anthropic.types.Message` or a plain str."""
    if isinstance(result, Reply):
        return result
    if isinstance(result, str):
        return Reply(result)
    content, usage = getattr(result, "content", None), getattr(result, "usage", None)
    if content is not None and usage is not None:  # an anthropic Message
        text = "".join(getattr(block, "text", "") for block in content)
        return Reply(text, int(usage.input_tokens), int(usage.output_tokens))
    raise TypeError(f"the answer function returned {type(result).__name__}; return a str, an anthropic "
                    "Message or a labkit.evaluate.Reply")


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
    cost_usd: float
    unsupported: list[str] | None = None  # claims not in the evidence (None: no evidence was given)
    cited: list[str] = field(default_factory=list)
    citation_ok: bool | None = None       # cites a gold source; None: answerable-and-cited only
    retrieval_ms: float | None = None
    judge_unsupported: list[str] | None = None  # what the LLM judge found unsupported (None: not judged)

    @property
    def judge_hallucinated(self) -> bool | None:
        """The LLM judge found an unsupported statement in an answer that did not refuse; None: not judged."""
        if self.judge_unsupported is None:
            return None
        return bool(self.judge_unsupported) and not self.refused

    @property
    def hallucinated(self) -> bool | None:
        """An unsupported claim in an answer that did not refuse; None when there was no evidence."""
        if self.unsupported is None:
            return None
        return bool(self.unsupported) and not self.refused

    @property
    def correct(self) -> bool:
        """Answerable: every key fact present. Unanswerable: the answer refused."""
        return self.key_fact_score == 1.0 if self.answerable else bool(self.refused)


@dataclass(frozen=True)
class EvalSummary:
    """Means over the records. Rates are in [0, 1] and NaN when no question counts toward them."""

    n: int
    n_answerable: int
    n_unanswerable: int
    accuracy: float           # answerable questions with every key fact
    mean_key_fact_score: float  # answerable questions, partial credit
    refusal_correct: float    # unanswerable questions that were refused
    false_refusal: float      # answerable questions that were refused anyway
    format_ok: float          # all questions
    mean_input_tokens: float
    mean_output_tokens: float
    cost_per_query: float     # USD at `price_model`'s prices
    p50_latency_ms: float
    price_model: str
    p95_latency_ms: float = math.nan
    hallucination_rate: float = math.nan   # answers (all questions) with an unsupported claim
    citation_accuracy: float = math.nan    # answerable answers that cite: share citing a gold source
    citation_rate: float = math.nan        # answerable answers that cite anything
    p50_retrieval_ms: float = math.nan
    judge_hallucination_rate: float = math.nan  # the LLM judge's rate (labkit.judge), when one was used
    judge_agreement: float = math.nan           # answers where judge and deterministic check agree

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
        accuracy=_mean(r.key_fact_score == 1.0 for r in answerable),
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
        judge_hallucination_rate=_mean(r.judge_hallucinated for r in judged),
        judge_agreement=_mean(r.judge_hallucinated == r.hallucinated for r in judged if r.hallucinated is not None),
    )


def run_eval(items: Iterable[EvalItem], answer_fn: Callable[[EvalItem], Any], *,
             format_check: Callable[[str], bool] | None = None, price_model: str = DEFAULT_MODEL,
             facts: Literal["current", "updated"] = "current", judge: Judge | None = None) -> EvalRun:
    """Answer every item with `answer_fn(item)` and score it.

    answer_fn returns an anthropic Message (token counts from its usage), a Reply, or a str (0 tokens).
    format_check(text) -> bool decides format compliance (default: `format_ok(text)`, i.e. non-empty).
    price_model: whose prices turn tokens into dollars (offline the tokens are the local model's, so the
    cost is an estimate of the same traffic on that model). facts="updated" scores freshness-sensitive
    items against their `updated_key_facts` (the knowledge base after kb_updates/).
    Hallucination is checked when the reply carries `evidence` (a Reply from a `labkit.strategies`
    strategy does); citations are compared with the item's gold `sources`. judge (`labkit.judge.make_judge()`,
    Claude only) also reads every answer that has evidence and did not refuse; its calls are not timed or priced
    with the answer.
    """
    check = format_check or format_ok
    records = []
    for item in items:
        started = time.perf_counter()
        reply = as_reply(answer_fn(item))
        latency_ms = (time.perf_counter() - started) * 1000
        fresh = facts == "updated" and item.updated_key_facts
        key_facts = item.updated_key_facts if fresh else item.key_facts
        refused = is_refusal(reply.text)
        cited = cited_ids(reply.text)
        evidence = None if reply.evidence is None else f"{reply.evidence}\n{item.question}"
        judged = None
        if judge is not None and evidence is not None:
            judged = [] if refused else judge(item.question, reply.evidence or "", reply.text).unsupported
        records.append(EvalRecord(
            id=item.id, category=item.category, answerable=item.answerable, answer=reply.text,
            key_fact_score=key_fact_score(reply.text, key_facts) if item.answerable else 0.0,
            missing=missing_facts(reply.text, key_facts) if item.answerable else [],
            refused=refused, correct_refusal=None if item.answerable else refused,
            format_ok=bool(check(reply.text)), input_tokens=reply.input_tokens,
            output_tokens=reply.output_tokens, latency_ms=latency_ms,
            cost_usd=costs.cost_per_query(price_model, reply.input_tokens, reply.output_tokens),
            unsupported=None if evidence is None else unsupported_claims(reply.text, evidence),
            cited=cited, citation_ok=bool(set(cited) & set(item.sources)) if item.answerable and cited else None,
            retrieval_ms=reply.retrieval_ms, judge_unsupported=judged,
        ))
    return EvalRun(records, summarize(records, price_model))


# ----------------------------------------------------------------------------------------------
# Side-by-side tables
# ----------------------------------------------------------------------------------------------
# (column header, EvalSummary attribute, scale, format) of a comparison table.
TABLE_COLUMNS: tuple[tuple[str, str, float, str], ...] = (
    ("accuracy", "accuracy", 1, "{:.2f}"),
    ("refusal", "refusal_correct", 1, "{:.2f}"),
    ("false refusal", "false_refusal", 1, "{:.2f}"),
    ("format", "format_ok", 1, "{:.2f}"),
    ("in tokens", "mean_input_tokens", 1, "{:,.0f}"),
    ("out tokens", "mean_output_tokens", 1, "{:,.0f}"),
    ("$/query", "cost_per_query", 1, "{:.5f}"),
    ("$/1M queries", "cost_per_query", 1_000_000, "{:,.0f}"),
    ("p50 ms", "p50_latency_ms", 1, "{:,.0f}"),
)


# Module 4's table: every metric of the strategy comparison (`labkit compare`).
COMPARE_COLUMNS: tuple[tuple[str, str, float, str], ...] = (
    ("accuracy", "accuracy", 1, "{:.2f}"),
    ("hallucination", "hallucination_rate", 1, "{:.2f}"),
    ("citation", "citation_accuracy", 1, "{:.2f}"),
    ("refusal", "refusal_correct", 1, "{:.2f}"),
    ("format", "format_ok", 1, "{:.2f}"),
    ("p50 ms", "p50_latency_ms", 1, "{:,.0f}"),
    ("p95 ms", "p95_latency_ms", 1, "{:,.0f}"),
    ("retrieval ms", "p50_retrieval_ms", 1, "{:,.0f}"),
    ("in tokens", "mean_input_tokens", 1, "{:,.0f}"),
    ("out tokens", "mean_output_tokens", 1, "{:,.0f}"),
    ("$/query", "cost_per_query", 1, "{:.5f}"),
    ("$/1M queries", "cost_per_query", 1_000_000, "{:,.0f}"),
)

# Added to COMPARE_COLUMNS when an LLM judge was used (labkit compare --judge).
JUDGE_COLUMNS: tuple[tuple[str, str, float, str], ...] = (
    ("judge hallucination", "judge_hallucination_rate", 1, "{:.2f}"),
    ("judge agrees", "judge_agreement", 1, "{:.2f}"),
)


def comparison_rows(runs: Mapping[str, EvalRun | EvalSummary], label: str = "version",
                    columns: Sequence[tuple[str, str, float, str]] = TABLE_COLUMNS) -> list[dict]:
    """One row per run: {label: name, column: value, ...} with `columns` (default TABLE_COLUMNS;
    COMPARE_COLUMNS for module 4's full comparison)."""
    rows = []
    for name, run in runs.items():
        summary = run.summary if isinstance(run, EvalRun) else run
        values = {h: getattr(summary, attr) * scale for h, attr, scale, _ in columns}
        rows.append({label: name, **values})
    return rows


def format_table(rows: Sequence[Mapping[str, Any]], formats: Mapping[str, str] | None = None) -> str:
    """Rows of dicts as a markdown table; numbers use `formats` (default: the TABLE_COLUMNS formats)."""
    if not rows:
        return "(no rows)"
    fmt = {h: f for h, _, _, f in (*TABLE_COLUMNS, *COMPARE_COLUMNS, *JUDGE_COLUMNS)} | dict(formats or {})
    headers = list(rows[0])

    def cell(h: str, v: Any) -> str:
        if isinstance(v, float) and math.isnan(v):
            return "n/a"
        return fmt[h].format(v) if h in fmt and isinstance(v, int | float) else str(v)

    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(h, r[h]) for h in headers) + " |" for r in rows]
    return "\n".join(lines)
