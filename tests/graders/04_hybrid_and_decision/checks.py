"""Checks for lab 04 (the hybrid and the decision), run by the trusted scorer on what probes.py returned.

Expected values live here only: numpy's percentile, labkit's price table and flowchart, and labkit's
evaluation harness run on the hybrid's reply (as data). Messages name the input, never the expected value.
"""

from __future__ import annotations

import numpy as np

from labkit import costs
from labkit.decision import recommend
from labkit.evaluate import Reply, run_eval
from labkit.grading.checking import check, close
from labkit.rag import build_context
from labkit.strategies import GUARDRAIL, ticket_system_prompt

from . import probes as p


# ---------------------------------------------------------------------------------------------- 4.1
@check(p.percentiles, hint="Sort a copy; position = 0.95 * (n - 1); interpolate between the two ranks around it.")
def matches_numpy(got):
    for values, out in zip(p.P95_CASES, got["cases"], strict=True):
        assert close(out.value, float(np.percentile(values, 95))), f"p95 of {len(values)} values is not right"


@check(p.percentiles)
def empty_and_unchanged_input(got):
    assert got["empty"].raised(ValueError), "p95([]) should raise a ValueError"
    got["unchanged"].value  # noqa: B018 - the call itself must work
    assert got["after"] == [3.0, 1.0, 2.0], "p95 sorts the caller's list in place: sort a copy"


# ---------------------------------------------------------------------------------------------- 4.2
@check(p.prices, hint="costs.price(model) gives the dollars per million input and output tokens.")
def matches_the_price_table(got):
    for model, row in zip(p.MODELS, got["cases"], strict=True):
        for (i, o), out in zip(p.TOKENS, row, strict=True):
            want = costs.cost_per_million_queries(model, i, o)
            assert close(out.value, want, abs_tol=1e-9), f"cost_per_million({i}, {o}, {model!r}) is not right"


@check(p.prices)
def unknown_model(got):
    assert got["unknown"].raised(costs.UnknownModelPrice), \
        "an unknown model should raise costs.UnknownModelPrice (costs.price does)"


# ---------------------------------------------------------------------------------------------- 4.3
UNSUPPORTED = [[], ["99.5%"], ["13"], ["3.5"], [], [], ["$29"], [], ["7", "14"]]


@check(p.numbers, hint="normalize() both texts; a number is supported when it appears whole in the evidence.")
def cases(got):
    for (answer, evidence), out, want in zip(p.NUMBER_CASES, got, UNSUPPORTED, strict=True):
        assert out.value == want, f"unsupported_numbers({answer!r}, {evidence!r}) is not right"


# ---------------------------------------------------------------------------------------------- 4.4
SYSTEM = f"{ticket_system_prompt()}\n{GUARDRAIL}"


@check(p.hybrid_call, hint="Search item.question with top_k; user = 'Context:\\n' + build_context(hits) + "
                           "'\\n\\nQuestion: ' + question; system = SYSTEM; return a Reply.")


def calls_the_model_with_the_seed_prompt(got):
    user = f"Context:\n{build_context(p.HITS[:2])}\n\nQuestion: {p.ITEM.question}"
    assert got["queries"] == [(p.ITEM.question, 2)], "answer() should search the question once, with top_k"
    assert len(got["calls"]) == 1, "answer() should call the model once"
    call = got["calls"][0]
    assert call["model"] == "ft:grader" and call["max_tokens"] == 77, "call the strategy's model and max_tokens"
    assert call["system"] == SYSTEM, "the system prompt should be SYSTEM (the ticket format and the guardrail)"
    assert call["messages"] == [{"role": "user", "content": user}], "the user message is not Context + Question"
    reply = got["reply"]
    assert reply["is_reply"], "answer() should return a labkit.evaluate.Reply"
    assert reply["text"] == user, "the reply's text should be the model's text"
    assert reply["evidence"] == f"{call['system']}\n{user}", "evidence = the system prompt, a newline, the user message"
    assert (reply["input_tokens"], reply["output_tokens"]) == (len(f"{SYSTEM} {user}".split()), len(user.split())), \
        "keep the model's token counts"
    assert isinstance(reply["retrieval_ms"], int | float) and reply["retrieval_ms"] >= 0, "measure the retrieval time"


@check(p.hybrid_for_the_harness)
def runs_in_the_harness(got):
    assert got["kind"] == "hybrid", "kind should be 'hybrid'"
    data = got["reply"]
    assert data["is_reply"] and isinstance(data["text"], str), "answer() should return a labkit.evaluate.Reply"
    reply = Reply(data["text"], data["input_tokens"] or 0, data["output_tokens"] or 0, data["evidence"],
                  data["retrieval_ms"])
    run = run_eval([p.ITEM], lambda item: reply, format_check=lambda text: bool(got["format_ok"]))
    record = run.records[0]
    assert record.key_fact_score == 1.0 and record.unsupported == [] and record.hallucinated is False, \
        "in the evaluation harness the reply misses the key fact or is not grounded in its evidence"
    assert not record.format_ok, "format_check should reject an echo (it is no Diagnosis/Solution/Prevention reply)"
    assert run.summary.p50_retrieval_ms is not None and run.summary.p50_retrieval_ms >= 0, \
        "the harness sees no retrieval time"


# ---------------------------------------------------------------------------------------------- 4.5
@check(p.recommendations, hint="Retrieval when the knowledge does not fit the budget or changes often; fine-tune "
                               "instead when retrieval alone is too slow and the knowledge is stable; add "
                               "fine-tuning for a format.")


def agrees_with_the_flowchart(got):
    for (tokens, often, fmt, latency), out in zip(p.FLOWCHART_CASES, got["cases"], strict=True):
        assert out.value == recommend(tokens, often, fmt, *latency), \
            f"recommend({tokens}, {often}, {fmt}, {latency[0]}, {latency[1]}) is not right"


@check(p.recommendations)
def budget_argument(got):
    assert got["small_budget"].value == "rag", "recommend(3000, ..., budget=2000) ignores the budget"
    assert got["large_budget"].value == "prompt-only", "recommend(3000, ..., budget=8000) ignores the budget"


# ---------------------------------------------------------------------------------------------- 4.6
VERDICTS = ["agree", "disagree", "disagree", "disagree", "agree", "n/a", "n/a", "agree"]


@check(p.verdicts, hint="None or NaN: 'n/a'; inside [low, high] (ends included): 'agree'; else 'disagree'.")
def verdict(got):
    for (low, high, measured), out, want in zip(p.VERDICT_CASES, got, VERDICTS, strict=True):
        assert out.value == want, f"verdict({low}, {high}, {measured}) is not right"
