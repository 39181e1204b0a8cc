"""Checks for lab 04 (the hybrid and the decision), run by the trusted scorer on what probes.py returned.

Expected values live here only: numpy's percentile, labkit's price table and flowchart, labkit's
evaluation harness run on the hybrid's reply (as data), labkit.decision's range verdict, labkit.paired's
sample size and, for the budget decision (4.8), the rule below on labkit.paired's interval. Messages name
the input, never the expected value.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np

from labkit import costs, decision
from labkit.decision import recommend
from labkit.evaluate import Reply, run_eval
from labkit.grading.checking import check, close
from labkit.paired import paired_rate_diff, questions_needed, sample_size
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
def _expected_verdict(low: float, high: float, measured, higher_is_better: bool) -> str:
    """labkit.decision's verdict for the claim 'in [low, high]' on this interval (None: not measured)."""
    interval = p.interval(measured)
    return decision.NA if interval is None else decision.range_verdict(interval, low, high, higher_is_better)


def _shown(measured) -> str:
    return "None" if measured is None else "[{1:g}, {2:g}] (value {0:g}, n={3})".format(*measured)


@check(p.verdicts, hint="n/a: nothing measured; agree: the whole interval inside [low, high]; disagree: wholly "
                        "outside, better or worse by higher_is_better and the side; else inconclusive.")
def verdict_from_the_interval(got):
    for (low, high, measured, better), out in zip(p.VERDICT_CASES, got, strict=True):
        assert out.value == _expected_verdict(low, high, measured, better), \
            f"verdict({low:g}, {high:g}, {_shown(measured)}, higher_is_better={better}) is not right"


# ---------------------------------------------------------------------------------------------- 4.7
def _z(alpha: float, power: float) -> float:
    return NormalDist().inv_cdf(1 - alpha / 2) + NormalDist().inv_cdf(power)


def _sizes(delta: float, sd_a: float, sd_b: float, rho: float, alpha: float, power: float) -> set[int]:
    """labkit.paired.sample_size, and its neighbour when the unrounded n is within rounding of a whole number
    (then the order of the floating-point operations decides the ceiling)."""
    want = sample_size(delta, sd_a, sd_b, rho, True, alpha, power)
    raw = _z(alpha, power) ** 2 * max(sd_a ** 2 + sd_b ** 2 - 2 * rho * sd_a * sd_b, 0.0) / delta ** 2
    near = abs(raw - round(raw)) < 1e-6 * max(1.0, raw)
    return {want, max(1, round(raw)), max(1, round(raw) + 1)} if near else {want}


def _score_sizes(a, b, delta, alpha, power) -> set[int]:
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    sd_a, sd_b = float(x.std(ddof=1)), float(y.std(ddof=1))
    rho = float(np.corrcoef(x, y)[0, 1]) if sd_a > 0 and sd_b > 0 else 0.0
    delta = float(x.mean() - y.mean()) if delta is None else delta
    assert questions_needed(a, b, delta, True, alpha, power) in _sizes(delta, sd_a, sd_b, rho, alpha, power)
    return _sizes(delta, sd_a, sd_b, rho, alpha, power)


@check(p.sample_sizes, hint="n = (z(1 - alpha/2) + z(power))^2 * (sd_a^2 + sd_b^2 - 2 rho sd_a sd_b) / delta^2, "
                            "rounded up, at least 1; z = NormalDist().inv_cdf.")
def millers_formula(got):
    for case, out in zip(p.MILLER_CASES, got["cases"], strict=True):
        assert out.value in _sizes(*case), "miller_n({:g}, {:.3g}, {:.3g}, {:g}, {:g}, {:g}) is not right".format(*case)
    assert got["defaults"].value in _sizes(0.1, 0.5, 0.5, 0.0, 0.05, 0.8), \
        "miller_n(0.1, 0.5, 0.5) should use rho=0, alpha=0.05, power=0.8"


@check(p.sample_sizes)
def nothing_to_detect_or_no_test(got):
    for case, out in zip(p.MILLER_ERRORS, got["errors"], strict=True):
        shown = ", ".join(f"{v:g}" for v in case)
        assert out.raised(ValueError), f"miller_n({shown}) should raise ValueError"


@check(p.sample_sizes_from_scores, hint="sd with n - 1 (ddof=1), rho = np.corrcoef (0 when an sd is 0), "
                                        "delta = mean(a) - mean(b) unless given; then miller_n.")
def from_per_question_scores(got):
    for (a, b, delta, alpha, power), out in zip(p.score_cases(), got["cases"], strict=True):
        assert out.value in _score_sizes(a, b, delta, alpha, power), \
            f"questions_to_tell(two lists of {len(a)} scores, delta={delta}, alpha={alpha:g}, power={power:g}) " \
            "is not right"
    eight_a, eight_b = [1, 1, 0, 1, 0, 1, 1, 0], [1, 0, 0, 1, 0, 0, 1, 0]
    assert got["defaults"].value in _score_sizes(eight_a, eight_b, None, 0.05, 0.8), \
        "questions_to_tell(a, b) should default to delta = mean(a) - mean(b), alpha=0.05, power=0.8"


@check(p.sample_sizes_from_scores)
def unusable_scores(got):
    for (a, b), out in zip(p.SCORE_ERRORS, got["errors"], strict=True):
        assert out.raised(ValueError), f"questions_to_tell({a}, {b}) should raise ValueError"


# ---------------------------------------------------------------------------------------------- 4.8
def _pick(correct: dict[str, list[bool]], cost: dict[str, float], budget: float) -> str | None:
    """The rule of exercise 4.8, on labkit.paired's McNemar score interval."""
    def accuracy(name: str) -> float:
        return sum(correct[name]) / len(correct[name])

    affordable = [name for name in correct if cost[name] <= budget]
    if not affordable:
        return None
    best = min(affordable, key=lambda name: (-accuracy(name), cost[name], name))
    qualifying = [name for name in affordable
                  if name == best or paired_rate_diff(correct[name], correct[best]).high >= 0]
    return min(qualifying, key=lambda name: (cost[name], -accuracy(name), name))


@check(p.picks, hint="Affordable: cost <= budget; best: highest accuracy; keep those whose "
                     "paired_rate_diff(s, best).high >= 0; the cheapest of them (ties: accuracy, then name).")
def picks_the_cheapest_not_worse(got):
    for (key, budget), out in zip(p.PICK_CASES, got, strict=True):
        correct = p.pick_inputs(key)
        n = len(next(iter(correct.values())))
        assert out.value == _pick(correct, p.PICK_COSTS[key], budget), \
            f"pick_strategy({', '.join(correct)} on {n} questions, budget ${budget:g}) is not right"
