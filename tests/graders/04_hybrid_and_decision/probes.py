"""Probes for lab 04 (the hybrid and the decision), run in the sandbox after the learner's notebook.

Inputs only; the expected values are in checks.py. The hybrid strategy (4.4) is probed with a client that
echoes the user message and an index that returns fixed hits. They are defined here rather than
imported from labkit.testing.echo: what records the learner's calls must be an object the notebook
could not have replaced before the probes arrived (anything labkit computes in the sandbox is a claim,
which checks.py recomputes).
"""

from __future__ import annotations

import itertools

from labkit.data import EvalItem
from labkit.evaluate import Reply
from labkit.grading.probing import attempt, probe
from labkit.rag import Hit

# ---------------------------------------------------------------------------------------------- 4.1
P95_CASES = [[5.0], [1.0, 2.0], [3.0, 1.0, 2.0, 10.0], [float(v) for v in range(100)],
             [120.5, 80.25, 3000.0, 95.0, 101.0, 99.5, 87.0]]


@probe("4.1", forbid=["labkit.evaluate.percentile"])
def percentiles(nb):
    values = [3.0, 1.0, 2.0]
    unchanged = attempt(nb.p95, values)
    return {"cases": [attempt(nb.p95, list(v)) for v in P95_CASES], "empty": attempt(nb.p95, []),
            "after": values, "unchanged": unchanged}


# ---------------------------------------------------------------------------------------------- 4.2
MODELS = ["claude-sonnet-4-6", "claude-haiku-4-5", "claude-opus-4-6", "local"]
TOKENS = [(0, 0), (1000, 100), (4782.5, 37.25)]


@probe("4.2", forbid=["labkit.costs.cost_per_million_queries", "labkit.costs.cost_per_query"])
def prices(nb):
    return {"cases": [[attempt(nb.cost_per_million, i, o, model) for i, o in TOKENS] for model in MODELS],
            "unknown": attempt(nb.cost_per_million, 10, 10, "gpt-nothing")}


# ---------------------------------------------------------------------------------------------- 4.3
NUMBER_CASES = [
    ("Enterprise has a 99.9% SLA.", "SLA of 99.9 % uptime"),
    ("Enterprise has a 99.5% SLA.", "SLA of 99.9% uptime"),
    ("Up to 13 members, or 3 on Basic.", "Basic: up to 3 team members"),
    ("It costs 3.5 dollars.", "3 projects"),
    ("Limit: 1,000 requests, burst 120.", "1000 requests per minute; burst of 120 in 10 seconds"),
    ("Pay $290 a year or $29 a month.", "$29/month or $290/year"),
    ("Pay $29 or 29.", "costs 29 euros"),
    ("No numbers.", ""),
    ("7 days, then 7 days, then 14 days.", ""),
]


@probe("4.3", forbid=["labkit.evaluate.unsupported_claims", "labkit.evaluate.claims"])
def numbers(nb):
    return [attempt(nb.unsupported_numbers, answer, evidence) for answer, evidence in NUMBER_CASES]


# ---------------------------------------------------------------------------------------------- 4.4
HITS = [Hit("data-export", "data-export#1", "kb/data-export.md", "Export", "Settings > Export > Download All.", 0.9),
        Hit("plan-pro", "plan-pro#0", "kb/plan-pro.md", "Pro <plan>", "Pro costs $29/month & more.", 0.8),
        Hit("refunds-policy", "refunds-policy#0", "kb/refunds-policy.md", "Refunds", "14 days.", 0.7)]
ITEM = EvalItem(id="g1", question="How do I export everything?", answer="", key_facts=["Download All"],
                sources=["data-export"], category="procedure", difficulty="easy", answerable=True, split="dev")


class _Block:
    type = "text"

    def __init__(self, text: str) -> None:
        self.text = text


class _Usage:
    def __init__(self, input_tokens: int, output_tokens: int) -> None:
        self.input_tokens, self.output_tokens = input_tokens, output_tokens


class _Message:
    def __init__(self, text: str, usage: _Usage) -> None:
        self.content, self.usage = [_Block(text)], usage


class EchoClient:
    """messages.create answers with the last user message; word counts as usage; every call kept."""

    def __init__(self) -> None:
        self.calls: list = []
        self.messages = self

    def create(self, *, model, max_tokens, messages, system=None, **_):
        self.calls.append({"model": model, "max_tokens": max_tokens, "system": system, "messages": messages})
        text = messages[-1]["content"]
        return _Message(text, _Usage(len(f"{system or ''} {text}".split()), len(text.split())))


class FixedIndex:
    """search() returns the first top_k hits whatever the query; the queries are kept."""

    def __init__(self, hits) -> None:
        self.hits, self.queries = list(hits), []

    def search(self, query, top_k=5, mode="hybrid"):  # noqa: ARG002 - the Index signature
        self.queries.append((query, top_k))
        return self.hits[:top_k]


def _reply(reply) -> dict:
    fields = ("text", "input_tokens", "output_tokens", "evidence", "retrieval_ms")
    return {"is_reply": isinstance(reply, Reply), **{f: getattr(reply, f, None) for f in fields}}


HYBRID = ["labkit.strategies.Hybrid.answer"]


@probe("4.4", forbid=HYBRID)
def hybrid_call(nb):
    client, index = EchoClient(), FixedIndex(HITS)
    strategy = nb.HybridStrategy(index=index, client=client, model="ft:grader", top_k=2, max_tokens=77)
    reply = strategy.answer(ITEM)
    return {"queries": list(index.queries), "calls": list(client.calls), "reply": _reply(reply)}


@probe("4.4", forbid=HYBRID)
def hybrid_for_the_harness(nb):
    strategy = nb.HybridStrategy(index=FixedIndex(HITS), client=EchoClient(), model="ft:grader", top_k=1,
                                 max_tokens=77)
    reply = strategy.answer(ITEM)
    text = getattr(reply, "text", None)
    return {"kind": strategy.kind, "reply": _reply(reply),
            "format_ok": strategy.format_check(text) if isinstance(text, str) else None}


# ---------------------------------------------------------------------------------------------- 4.5
FLOWCHART_CASES = list(itertools.product([100, 4999, 5000, 60000], [False, True], [False, True],
                                         [(None, 40.0), (20.0, 40.0), (50.0, 40.0)]))


@probe("4.5", forbid=["labkit.decision.recommend"])
def recommendations(nb):
    return {"cases": [attempt(nb.recommend, tokens, often, fmt, *latency)
                      for tokens, often, fmt, latency in FLOWCHART_CASES],
            "small_budget": attempt(nb.recommend, 3000, False, False, None, 40.0, budget=2000),
            "large_budget": attempt(nb.recommend, 3000, False, False, None, 40.0, budget=8000)}


# ---------------------------------------------------------------------------------------------- 4.6
VERDICT_CASES = [(100, 500, 100), (100, 500, 99.99), (100, 500, 501), (200, 500, 1234.5), (0.0, 1.0, 0.5),
                 (100, 500, None), (100, 500, float("nan")), (150, 400, 150.0)]


@probe("4.6")
def verdicts(nb):
    return [attempt(nb.verdict, low, high, measured) for low, high, measured in VERDICT_CASES]
