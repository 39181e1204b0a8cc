"""Public checks for lab 04 (the hybrid and the decision). Each runs a few fixed cases on the learner's code
and prints one banner line (see labkit.checks.run_check); it never raises. The graders are stricter."""

from __future__ import annotations

import math
from collections.abc import Callable

from labkit.checks import run_check
from labkit.data import EvalItem
from labkit.evaluate import Reply
from labkit.rag import Hit
from labkit.stats import Estimate
from labkit.testing.echo import EchoClient, FixedIndex


def check_4_1(p95: Callable) -> bool:
    """Exercise 4.1: the 95th percentile with linear interpolation."""
    def body() -> None:
        assert p95([10.0]) == 10.0, "one value: it is its own percentile"
        got = p95(list(range(1, 21)))
        assert math.isclose(got, 19.05), f"p95 of 1..20 is 19.05 (position 0.95 x 19 = 18.05), got {got}"
        assert math.isclose(p95([300, 100, 200]), 290.0), "sort first: p95 of [300, 100, 200] is 290"
        try:
            p95([])
        except ValueError:
            return
        raise AssertionError("an empty list should raise ValueError")
    return run_check("4.1", body)


def check_4_2(cost_per_million: Callable) -> bool:
    """Exercise 4.2: dollars per million queries from mean tokens and the dated price table."""
    def body() -> None:
        got = cost_per_million(1000, 100, "claude-sonnet-4-6")
        assert math.isclose(got, 4500.0), f"1,000 in x $3 + 100 out x $15 = $4,500 per 1M queries, got {got}"
        assert math.isclose(cost_per_million(0, 0, "claude-haiku-4-5"), 0.0), "no tokens cost nothing"
        assert math.isclose(cost_per_million(2000, 50, "claude-haiku-4-5"), 2250.0), "use the model's own prices"
    return run_check("4.2", body)


def check_4_3(unsupported_numbers: Callable) -> bool:
    """Exercise 4.3: numbers in an answer that the evidence does not contain."""
    def body() -> None:
        assert unsupported_numbers("Pro costs $29/month.", "Pro: $29 per month") == [], "$29 is in the evidence"
        assert unsupported_numbers("Pro costs $35.", "Pro: $29 per month") == ["$35"], "$35 is invented"
        got = unsupported_numbers("Basic is $9.", "Basic: $90 per year")
        assert got == ["$9"], f"'$9' is not supported by '$90' (whole numbers only), got {got}"
        assert unsupported_numbers("1,000 requests", "1000 requests per minute") == [], "normalize first"
        got = unsupported_numbers("5 or 5 or 7%", "nothing here")
        assert got == ["5", "7%"], f"each number once, in order, keeping % and $: got {got}"
    return run_check("4.3", body)


_HITS = [Hit("refunds-policy", "refunds-policy#0", "kb/refunds-policy.md", "Refunds",
             "Full refund within 14 days of a charge.", 0.9),
         Hit("plan-pro", "plan-pro#0", "kb/plan-pro.md", "Pro", "Pro costs $29/month.", 0.8)]
_ITEM = EvalItem(id="x1", question="How long do refunds take?", answer="", key_facts=["14 days"],
                 sources=["refunds-policy"], category="factual", difficulty="easy", answerable=True, split="dev")


def check_4_4(strategy_class: Callable) -> bool:
    """Exercise 4.4: a hybrid strategy object (retrieve, Context + Question, guardrail system prompt)."""
    def body() -> None:
        client, index = EchoClient(), FixedIndex(_HITS)
        strategy = strategy_class(index=index, client=client, model="ft:demo", top_k=1)
        reply = strategy.answer(_ITEM)
        assert isinstance(reply, Reply), f"answer() must return a labkit.evaluate.Reply, got {type(reply).__name__}"
        assert index.queries == [(_ITEM.question, 1)], f"search the question with top_k; searched {index.queries}"
        call = client.calls[-1]
        assert call["model"] == "ft:demo", "call the strategy's model"
        user = call["messages"][-1]["content"]
        assert user.startswith("Context:\n<documents>") and user.endswith(f"Question: {_ITEM.question}"), \
            "the user message is 'Context:\\n' + build_context(hits) + '\\n\\nQuestion: ' + question"
        assert "plan-pro" not in user, "only the top_k hits go into the context"
        assert "Diagnosis" in call["system"] and "ONLY" in call["system"], "system = SYSTEM (format + guardrail)"
        assert reply.evidence and user in reply.evidence, "evidence = the system prompt and the user message"
        assert reply.input_tokens > 0 and reply.retrieval_ms is not None, "keep the token counts and retrieval time"
        assert strategy.kind == "hybrid", "kind = 'hybrid'"
    return run_check("4.4", body)


def check_4_5(recommend: Callable) -> bool:
    """Exercise 4.5: the seed's flowchart as a function of measured inputs."""
    def body() -> None:
        base = {"latency_budget_ms": None, "retrieval_ms": 40.0}
        assert recommend(2000, False, False, **base) == "prompt-only", "small, stable knowledge: prompt-only"
        assert recommend(20000, False, False, **base) == "rag", "knowledge over the budget: rag"
        assert recommend(2000, True, False, **base) == "rag", "changing knowledge: rag"
        assert recommend(20000, True, True, **base) == "hybrid", "large or changing + format: hybrid"
        got = recommend(20000, False, False, latency_budget_ms=20, retrieval_ms=40.0)
        assert got == "fine-tuned", f"stable knowledge and retrieval over the latency budget: fine-tuned, got {got}"
    return run_check("4.5", body)


def _interval(value: float, low: float, high: float, n: int = 30) -> Estimate:
    return Estimate(value, low, high, n, "check")


def check_4_6(verdict: Callable) -> bool:
    """Exercise 4.6: a claimed range against a measured 95% interval (agree / disagree which way /
    inconclusive / n/a)."""
    def body() -> None:
        inside = _interval(250.0, 200.0, 300.0)
        assert verdict(100, 500, inside, False) == "agree", "an interval of [200, 300] lies inside 100-500: agree"
        fast = _interval(19.0, 15.0, 24.0)
        got = verdict(100, 500, fast, False)
        assert got == "disagree (better than claimed)", \
            f"[15, 24] ms lies below 100-500 ms, and lower latency is better: 'disagree (better than claimed)', " \
            f"got {got!r}"
        got = verdict(0.9, math.inf, _interval(0.6, 0.5, 0.7), True)
        assert got == "disagree (worse than claimed)", \
            f"an accuracy of [0.5, 0.7] against 'at least 0.9' is 'disagree (worse than claimed)', got {got!r}"
        got = verdict(100, 500, _interval(120.0, 80.0, 160.0), False)
        assert got == "inconclusive", f"[80, 160] straddles the claim's end at 100: 'inconclusive', got {got!r}"
        assert verdict(100, 500, _interval(300.0, 100.0, 500.0), False) == "agree", \
            "the ends of the range count as inside"
        nothing = Estimate(math.nan, math.nan, math.nan, 0, "check")
        assert verdict(100, 500, None, False) == "n/a" and verdict(100, 500, nothing, False) == "n/a", \
            "nothing measured (None, or n == 0): 'n/a'"
    return run_check("4.6", body)


def check_4_7(miller_n: Callable, questions_to_tell: Callable) -> bool:
    """Exercise 4.7: Miller's sample size, from standard deviations and from per-question scores."""
    def body() -> None:
        got = miller_n(0.1, 0.5, 0.5)
        assert got == 393, f"delta 0.1, sd 0.5 and 0.5, rho 0: (1.96 + 0.84)^2 x 0.5 / 0.01 rounds up to 393, got {got}"
        got = miller_n(0.1, 0.5, 0.5, rho=0.5)
        assert got == 197, f"with rho 0.5, omega^2 = 0.25 + 0.25 - 0.25: 197 questions, got {got}"
        assert miller_n(-0.1, 0.5, 0.5) == 393, "the sign of delta does not matter: it is squared"
        assert miller_n(0.2, 0.3, 0.3, rho=1.0) == 1, "omega^2 = 0 (identical scores): at least 1 question"
        for bad in ((0.0, 0.5, 0.5), (0.1, 0.5, 0.5, 0.0, 1.5)):
            try:
                miller_n(*bad)
            except ValueError:
                continue
            raise AssertionError(f"miller_n{bad} should raise ValueError")
        a, b = [1, 1, 0, 1, 0, 1, 1, 0], [1, 0, 0, 1, 0, 0, 1, 0]
        got = questions_to_tell(a, b)
        assert got == 27, f"scores with means 0.625 and 0.375, sd 0.518 each, rho 0.6: 27 questions, got {got}"
        assert questions_to_tell(a, b, delta=0.05) == 673, "an explicit delta replaces mean(a) - mean(b)"
        try:
            questions_to_tell([1, 0], [1, 0, 1])
        except ValueError:
            return
        raise AssertionError("lists of different lengths should raise ValueError")
    return run_check("4.7", body)


def check_4_8(pick_strategy: Callable) -> bool:
    """Exercise 4.8: the cheapest strategy within budget that is not significantly worse than the best."""
    def body() -> None:
        best = [True] * 33 + [False] * 27
        close_second = [True] * 30 + [False] * 30          # 3 fewer: the paired interval includes 0
        clearly_worse = [True] * 25 + [False] * 35          # 8 fewer, none gained: significantly worse
        correct = {"hybrid": best, "rag": close_second, "prompt-only": clearly_worse}
        prices = {"hybrid": 700.0, "rag": 300.0, "prompt-only": 150.0}
        got = pick_strategy(correct, prices, 1000)
        assert got == "rag", f"budget $1000: rag is cheaper than the hybrid and not significantly worse, got {got!r}"
        got = pick_strategy(correct, prices, 299.99)
        assert got == "prompt-only", f"budget $299.99: only prompt-only is affordable, got {got!r}"
        got = pick_strategy(correct, prices, 100)
        assert got is None, f"nothing is affordable at $100: None, got {got!r}"
        got = pick_strategy({"a": best, "b": best}, {"a": 200.0, "b": 200.0}, 500)
        assert got == "a", f"equal cost and accuracy: the name that sorts first, got {got!r}"
    return run_check("4.8", body)
