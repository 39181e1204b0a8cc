"""Probes for lab 04 (the hybrid and the decision), run in the sandbox after the learner's notebook.

Inputs only; the expected values are in checks.py. The hybrid strategy (4.4) is probed with a client that
echoes the user message and an index that returns fixed hits. They are defined here rather than
imported from labkit.testing.echo: what records the learner's calls must be an object the notebook
could not have replaced before the probes arrived (anything labkit computes in the sandbox is a claim,
which checks.py recomputes).
"""

from __future__ import annotations

import itertools
import math
import random

from labkit.data import EvalItem
from labkit.evaluate import Reply
from labkit.grading.probing import attempt, probe
from labkit.rag import Hit
from labkit.stats import Estimate

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
INF, NAN = math.inf, math.nan
# (low, high, the measured interval as (value, low, high, n) or None, higher_is_better)
VERDICT_CASES = [
    (100, 500, (250.0, 200.0, 300.0, 60), False), (100, 500, (300.0, 100.0, 500.0, 60), False),
    (100, 500, (19.0, 15.0, 24.0, 60), False), (100, 500, (19.0, 15.0, 24.0, 60), True),
    (100, 500, (900.0, 600.0, 1200.0, 60), False), (0.0, 0.5, (0.7, 0.6, 0.8, 60), True),
    (0.9, INF, (0.6, 0.5, 0.7, 60), True), (0.9, 1.0, (0.97, 0.95, 0.99, 60), True),
    (-INF, 0.0, (0.1, 0.02, 0.2, 60), False), (-INF, 0.0, (-0.1, -0.2, -0.01, 60), False),
    (-INF, 0.0, (-0.05, -0.2, 0.1, 60), False), (100, 500, (120.0, 80.0, 160.0, 60), False),
    (100, 500, (480.0, 400.0, 560.0, 60), True), (100, 500, (80.0, 60.0, 100.0, 60), False),
    (100, 500, (20.0, 10.0, 600.0, 60), False), (100, 500, (150.0, NAN, NAN, 1), False),
    (100, 500, (NAN, NAN, NAN, 0), False), (100, 500, None, True),
]
DECISION = ["labkit.decision.range_verdict", "labkit.decision.difference_verdict", "labkit.decision.verdicts"]


def interval(measured) -> Estimate | None:
    return None if measured is None else Estimate(*measured, "grader interval")


@probe("4.6", forbid=DECISION)
def verdicts(nb):
    return [attempt(nb.verdict, low, high, interval(measured), better)
            for low, high, measured, better in VERDICT_CASES]


# ---------------------------------------------------------------------------------------------- 4.7
# (delta, sd_a, sd_b, rho, alpha, power)
MILLER_CASES = [(0.05, 0.5, 0.5, 0.0, 0.05, 0.8), (0.05, 0.5, 0.5, 0.5, 0.05, 0.8),
                (-0.11, math.sqrt(0.35 * 0.65), math.sqrt(0.24 * 0.76), 0.3, 0.05, 0.8),
                (0.1, 0.48, 0.43, 0.6, 0.01, 0.9), (0.2, 0.4, 0.4, 1.0, 0.05, 0.8),
                (150.0, 900.0, 700.0, 0.8, 0.05, 0.8), (0.3, 0.1, 0.2, 0.0, 0.05, 0.5),
                (0.02, 0.45, 0.45, 0.95, 0.1, 0.95), (0.07, 0.3, 0.6, -0.4, 0.2, 0.6)]
MILLER_ERRORS = [(0.0, 0.5, 0.5, 0.0, 0.05, 0.8), (0.1, 0.5, 0.5, 0.0, 0.0, 0.8), (0.1, 0.5, 0.5, 0.0, 0.05, 1.0)]


def score_cases() -> list[tuple[list, list, float | None, float, float]]:
    """(a, b, delta, alpha, power): rates as 0/1 and True/False, latencies in ms, a constant strategy."""
    rng = random.Random(4)
    latency_a = [round(rng.gauss(900, 200), 1) for _ in range(30)]
    latency_b = [round(0.8 * v + rng.gauss(0, 80), 1) for v in latency_a]
    hybrid, prompt_only = [True] * 33 + [False] * 27, [True] * 25 + [False] * 35
    eight_a, eight_b = [1, 1, 0, 1, 0, 1, 1, 0], [1, 0, 0, 1, 0, 0, 1, 0]
    return [(hybrid, prompt_only, None, 0.05, 0.8), (eight_a, eight_b, 0.03, 0.1, 0.9),
            (latency_a, latency_b, None, 0.05, 0.8), (latency_a, latency_b, -25.0, 0.05, 0.8),
            ([1] * 10, [1] * 7 + [0] * 3, None, 0.05, 0.8), (prompt_only, hybrid, 0.04, 0.01, 0.8)]


SCORE_ERRORS = [([1, 0, 1], [1, 0]), ([1], [0]), ([1, 0, 1, 0], [0, 1, 0, 1])]
POWER = ["labkit.paired.sample_size", "labkit.paired.questions_needed"]


@probe("4.7", forbid=POWER)
def sample_sizes(nb):
    return {"cases": [attempt(nb.miller_n, *case) for case in MILLER_CASES],
            "defaults": attempt(nb.miller_n, 0.1, 0.5, 0.5),
            "errors": [attempt(nb.miller_n, *case) for case in MILLER_ERRORS]}


@probe("4.7", forbid=POWER)
def sample_sizes_from_scores(nb):
    return {"cases": [attempt(nb.questions_to_tell, a, b, delta, alpha, power)
                      for a, b, delta, alpha, power in score_cases()],
            "defaults": attempt(nb.questions_to_tell, [1, 1, 0, 1, 0, 1, 1, 0], [1, 0, 0, 1, 0, 0, 1, 0]),
            "errors": [attempt(nb.questions_to_tell, a, b) for a, b in SCORE_ERRORS]}


# ---------------------------------------------------------------------------------------------- 4.8
# Strategies on the same questions: the names and {which of them got a question right: how many questions}.
PICK_DATA = {
    "three": (("hybrid", "rag", "prompt-only"), {(1, 1, 1): 23, (1, 0, 0): 4, (1, 0, 1): 2, (1, 1, 0): 4,
                                                 (0, 1, 0): 3, (0, 0, 0): 24}),
    "ties": (("z-rag", "y-rag", "a-prompt", "c-tuned"), {(1, 1, 1, 1): 10, (1, 0, 1, 1): 1, (1, 0, 0, 1): 1,
                                                          (0, 1, 0, 1): 1, (0, 1, 0, 0): 1, (0, 0, 0, 0): 6}),
    "few": (("tuned", "prompt"), {(1, 1): 3, (1, 0): 4, (0, 0): 1}),
    "more": (("tuned", "prompt"), {(1, 1): 15, (1, 0): 20, (0, 0): 5}),
    "cheap-best": (("premium", "basic"), {(1, 1): 20, (0, 1): 6, (1, 0): 1, (0, 0): 13}),
}
PICK_COSTS = {"three": {"hybrid": 700.0, "rag": 300.0, "prompt-only": 150.0},
              "ties": {"z-rag": 80.0, "y-rag": 80.0, "a-prompt": 80.0, "c-tuned": 500.0},
              "few": {"tuned": 900.0, "prompt": 100.0}, "more": {"tuned": 900.0, "prompt": 100.0},
              "cheap-best": {"premium": 2000.0, "basic": 400.0}}
PICK_CASES = [("three", 1000.0), ("three", 700.0), ("three", 699.99), ("three", 150.0), ("three", 149.99),
              ("ties", 500.0), ("ties", 100.0), ("few", 1000.0), ("more", 1000.0), ("cheap-best", 5000.0),
              ("cheap-best", 399.0)]


def pick_inputs(key: str) -> dict[str, list[bool]]:
    """{name: right or wrong on each question}, the patterns expanded in a fixed order."""
    names, patterns = PICK_DATA[key]
    rows = [pattern for pattern, count in patterns.items() for _ in range(count)]
    return {name: [bool(row[i]) for row in rows] for i, name in enumerate(names)}


@probe("4.8")
def picks(nb):
    return [attempt(nb.pick_strategy, pick_inputs(key), dict(PICK_COSTS[key]), budget) for key, budget in PICK_CASES]
