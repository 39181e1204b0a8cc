"""Grader tests for lab 04 (the hybrid and the decision): the learner's functions on fixed inputs, never
model wording. The hybrid strategy is graded with an echo client and a fixed index (labkit.testing.echo).

Run against the solution: `pytest tests/graders/test_04_hybrid_and_decision.py`; against a submission:
`LABKIT_SUBMISSION=path/to/04_hybrid_and_decision.ipynb pytest tests/graders/test_04_hybrid_and_decision.py`.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from labkit import costs
from labkit.data import EvalItem
from labkit.decision import recommend
from labkit.evaluate import Reply, run_eval
from labkit.rag import Hit, build_context
from labkit.strategies import GUARDRAIL, ticket_system_prompt
from labkit.testing.echo import EchoClient, FixedIndex


# ---------------------------------------------------------------------------------------------- 4.1
@pytest.mark.exercise("4.1")
@pytest.mark.parametrize("values", [[5.0], [1.0, 2.0], [3.0, 1.0, 2.0, 10.0], list(range(100)),
                                    [120.5, 80.25, 3000.0, 95.0, 101.0, 99.5, 87.0]])
def test_4_1_matches_numpy(submission, values):
    assert math.isclose(submission.p95(list(values)), float(np.percentile(values, 95)))


@pytest.mark.exercise("4.1")
def test_4_1_empty_and_unchanged_input(submission):
    with pytest.raises(ValueError):
        submission.p95([])
    values = [3.0, 1.0, 2.0]
    submission.p95(values)
    assert values == [3.0, 1.0, 2.0]  # the caller's list is not sorted in place


# ---------------------------------------------------------------------------------------------- 4.2
@pytest.mark.exercise("4.2")
@pytest.mark.parametrize("model", ["claude-sonnet-4-6", "claude-haiku-4-5", "claude-opus-4-6", "local"])
@pytest.mark.parametrize("tokens", [(0, 0), (1000, 100), (4782.5, 37.25)])
def test_4_2_matches_the_price_table(submission, model, tokens):
    got = submission.cost_per_million(*tokens, model)
    assert math.isclose(got, costs.cost_per_million_queries(model, *tokens), abs_tol=1e-9)


@pytest.mark.exercise("4.2")
def test_4_2_unknown_model(submission):
    with pytest.raises(costs.UnknownModelPrice):
        submission.cost_per_million(10, 10, "gpt-nothing")


# ---------------------------------------------------------------------------------------------- 4.3
@pytest.mark.exercise("4.3")
@pytest.mark.parametrize("answer, evidence, expected", [
    ("Enterprise has a 99.9% SLA.", "SLA of 99.9 % uptime", []),
    ("Enterprise has a 99.5% SLA.", "SLA of 99.9% uptime", ["99.5%"]),
    ("Up to 13 members, or 3 on Basic.", "Basic: up to 3 team members", ["13"]),
    ("It costs 3.5 dollars.", "3 projects", ["3.5"]),
    ("Limit: 1,000 requests, burst 120.", "1000 requests per minute; burst of 120 in 10 seconds", []),
    ("Pay $290 a year or $29 a month.", "$29/month or $290/year", []),
    ("Pay $29 or 29.", "costs 29 euros", ["$29"]),
    ("No numbers.", "", []),
    ("7 days, then 7 days, then 14 days.", "", ["7", "14"]),
])
def test_4_3_cases(submission, answer, evidence, expected):
    assert submission.unsupported_numbers(answer, evidence) == expected


# ---------------------------------------------------------------------------------------------- 4.4
HITS = [Hit("data-export", "data-export#1", "kb/data-export.md", "Export", "Settings > Export > Download All.", 0.9),
        Hit("plan-pro", "plan-pro#0", "kb/plan-pro.md", "Pro <plan>", "Pro costs $29/month & more.", 0.8),
        Hit("refunds-policy", "refunds-policy#0", "kb/refunds-policy.md", "Refunds", "14 days.", 0.7)]
ITEM = EvalItem(id="g1", question="How do I export everything?", answer="", key_facts=["Download All"],
                sources=["data-export"], category="procedure", difficulty="easy", answerable=True, split="dev")


def _run(submission, top_k=2, max_tokens=77):
    client, index = EchoClient(), FixedIndex(HITS)
    strategy = submission.HybridStrategy(index=index, client=client, model="ft:grader", top_k=top_k,
                                         max_tokens=max_tokens)
    return strategy, client, index, strategy.answer(ITEM)


@pytest.mark.exercise("4.4")
def test_4_4_calls_the_model_with_the_seed_prompt(submission):
    _, client, index, reply = _run(submission)
    assert index.queries == [(ITEM.question, 2)]
    (call,) = client.calls
    user = f"Context:\n{build_context(HITS[:2])}\n\nQuestion: {ITEM.question}"
    assert call["model"] == "ft:grader" and call["max_tokens"] == 77
    assert call["system"] == f"{ticket_system_prompt()}\n{GUARDRAIL}"
    assert call["messages"] == [{"role": "user", "content": user}]
    assert isinstance(reply, Reply) and reply.text == user
    assert reply.evidence == f"{call['system']}\n{user}"
    assert (reply.input_tokens, reply.output_tokens) == (len(f"{call['system']} {user}".split()), len(user.split()))
    assert reply.retrieval_ms is not None and reply.retrieval_ms >= 0


@pytest.mark.exercise("4.4")
def test_4_4_runs_in_the_harness(submission):
    strategy, _, _, _ = _run(submission, top_k=1)
    assert strategy.kind == "hybrid"
    run = run_eval([ITEM], strategy.answer, format_check=strategy.format_check)
    record = run.records[0]
    assert record.key_fact_score == 1.0 and record.unsupported == [] and record.hallucinated is False
    assert not record.format_ok  # an echo is not a Diagnosis/Solution/Prevention reply
    assert run.summary.p50_retrieval_ms >= 0


# ---------------------------------------------------------------------------------------------- 4.5
@pytest.mark.exercise("4.5")
@pytest.mark.parametrize("tokens", [100, 4999, 5000, 60000])
@pytest.mark.parametrize("changes_often", [False, True])
@pytest.mark.parametrize("needs_format", [False, True])
@pytest.mark.parametrize("latency", [(None, 40.0), (20.0, 40.0), (50.0, 40.0)])
def test_4_5_agrees_with_the_flowchart(submission, tokens, changes_often, needs_format, latency):
    args = (tokens, changes_often, needs_format, *latency)
    assert submission.recommend(*args) == recommend(*args)


@pytest.mark.exercise("4.5")
def test_4_5_budget_argument(submission):
    assert submission.recommend(3000, False, False, None, 40.0, budget=2000) == "rag"
    assert submission.recommend(3000, False, False, None, 40.0, budget=8000) == "prompt-only"


# ---------------------------------------------------------------------------------------------- 4.6
@pytest.mark.exercise("4.6")
@pytest.mark.parametrize("low, high, measured, expected", [
    (100, 500, 100, "agree"), (100, 500, 99.99, "disagree"), (100, 500, 501, "disagree"),
    (200, 500, 1234.5, "disagree"), (0.0, 1.0, 0.5, "agree"), (100, 500, None, "n/a"),
    (100, 500, float("nan"), "n/a"), (150, 400, 150.0, "agree"),
])
def test_4_6_verdict(submission, low, high, measured, expected):
    assert submission.verdict(low, high, measured) == expected
