"""Public checks for lab 01 (prompt engineering). Each runs a few fixed cases on the learner's function and
prints one banner line (see labkit.checks.run_check); it never raises. The graders are stricter."""

from __future__ import annotations

import json
from collections.abc import Callable

from labkit.checks import run_check
from labkit.prompts import ESCALATION_REPLY, TokenBudgetExceeded, count_tokens

# A small product sheet, different from the lab's, so a prompt that hard-codes the lab's facts fails.
PLANS = [
    {"name": "Starter", "price": "$12/month", "storage": "8 GB", "members": "up to 4"},
    {"name": "Team", "price": "$41/month", "storage": "120 GB", "members": "up to 40"},
]
POLICIES = {"Refunds": "Full refund within 21 days of a charge.",
            "Data export": "Settings > Data > Export workspace"}


def check_1_1(build_acme_prompt: Callable, client=None, budget: int = 400) -> bool:
    """Exercise 1.1: the prompt holds every plan value and policy, the escalation sentence, and fits."""
    def body() -> None:
        from labkit.llm import get_client

        prompt = build_acme_prompt(PLANS, POLICIES, budget)
        assert isinstance(prompt, str), f"return the prompt as a str, not {type(prompt).__name__}"
        assert "AcmeCorp" in prompt.splitlines()[0], "the first line should give the role and name AcmeCorp"
        for plan in PLANS:
            for key, value in plan.items():
                assert value in prompt, f"plan {plan['name']}: {key} {value!r} is not in the prompt"
        for name, text in POLICIES.items():
            assert name in prompt and text in prompt, f"policy {name!r} (with its text) is not in the prompt"
        assert "Output format:" in prompt, \
            "add an output-format instruction (build_system_prompt's output_format)"
        assert ESCALATION_REPLY in prompt, "the escalation rule must quote ESCALATION_REPLY exactly"
        tokens = count_tokens(client or get_client(), prompt)
        assert tokens <= budget, f"the prompt is {tokens} tokens, over the budget of {budget}"
        try:
            build_acme_prompt(PLANS, POLICIES, 40)
        except (TokenBudgetExceeded, ValueError):
            return
        raise AssertionError("with budget=40 the function should raise TokenBudgetExceeded (a ValueError)")
    return run_check("1.1", body)


def check_1_2(json_few_shot: Callable) -> bool:
    """Exercise 1.2: alternating turns, JSON replies with both escalate values."""
    def body() -> None:
        messages = json_few_shot()
        assert isinstance(messages, list) and len(messages) >= 4, "give at least two examples (four messages)"
        for i, m in enumerate(messages):
            want = "user" if i % 2 == 0 else "assistant"
            assert isinstance(m, dict) and m.get("role") == want, f"message {i} should have role {want!r}"
        assert len(messages) % 2 == 0, "end with an assistant reply: the real question is added after"
        replies = []
        for i, m in enumerate(messages[1::2]):
            try:
                replies.append(json.loads(m["content"]))
            except (TypeError, json.JSONDecodeError):
                raise AssertionError(f"assistant reply {i + 1} is not pure JSON: {m['content']!r}") from None
        for i, r in enumerate(replies, start=1):
            assert isinstance(r, dict) and set(r) == {"answer", "escalate"}, \
                f"reply {i} must have exactly the keys 'answer' and 'escalate'"
            assert isinstance(r["escalate"], bool), f"reply {i}: escalate must be true or false"
        assert any(r["escalate"] for r in replies) and not all(r["escalate"] for r in replies), \
            "show both cases: one example that escalates and one that answers"
    return run_check("1.2", body)


def check_1_3(parse_reply: Callable) -> bool:
    """Exercise 1.3: good replies parse; a missing or wrong field raises ValueError naming it."""
    def body() -> None:
        good = parse_reply('Sure! ```json\n{"answer": "Pro costs $29/month.", "escalate": false}\n```')
        assert good == {"answer": "Pro costs $29/month.", "escalate": False}, \
            f"the JSON inside fences and text should parse to a dict; got {good!r}"
        for text, field in (('{"answer": "Hi"}', "escalate"), ('{"answer": "", "escalate": true}', "answer"),
                            ('{"answer": "Hi", "escalate": "no"}', "escalate")):
            try:
                parse_reply(text)
            except ValueError as exc:
                assert field in str(exc), f"for {text} the error should name the field {field!r}: {exc}"
                continue
            raise AssertionError(f"{text} should raise ValueError naming {field!r}")
    return run_check("1.3", body)


def check_1_4(score_answer: Callable) -> bool:
    """Exercise 1.4: normalised key-fact matching."""
    def body() -> None:
        cases = [("Pro is $29/month with 50GB.", ["$29 per month", "50 GB"], 1.0),
                 ("Enterprise gets 3,000 requests per minute.", ["3000 requests per minute"], 1.0),
                 ("Basic costs $90/year.", ["$9"], 0.0),
                 ("Refunds within 14 days.", ["14 days", "original payment method"], 0.5)]
        for answer, facts, want in cases:
            got = score_answer(answer, facts)
            assert abs(got - want) < 1e-9, f"score_answer({answer!r}, {facts}) should be {want}, got {got}"
    return run_check("1.4", body)


def check_1_5(choose_prompt: Callable) -> bool:
    """Exercise 1.5: the cheapest version that the paired intervals do not show worse than the leader."""
    def body() -> None:
        ids = [f"q{i}" for i in range(10)]
        clear = {"big": dict.fromkeys(ids, True) | {"q9": False}, "small": dict.fromkeys(ids, False) | {"q0": True}}
        got = choose_prompt(clear, {"big": 0.004, "small": 0.001})
        assert got == "big", f"9/10 vs 1/10 on the same questions is a real gap: expected 'big', got {got!r}"
        close = {"a": {i: k < 6 for k, i in enumerate(ids)}, "b": {i: k < 5 for k, i in enumerate(ids)}}
        got = choose_prompt(close, {"a": 0.004, "b": 0.001})
        assert got == "b", f"6/10 vs 5/10 cannot tell the two apart, so ship the cheaper: expected 'b', got {got!r}"
    return run_check("1.5", body)


def check_1_6(guardrail: Callable) -> bool:
    """Exercise 1.6: escalate on empty replies, invented prices and requests for a person."""
    def body() -> None:
        knowledge = "Pro plan: $29/month. Basic plan: $9/month."
        ok = guardrail("How much is Pro?", " Pro costs $29/month. ", knowledge)
        assert ok == "Pro costs $29/month.", f"a grounded reply should pass through (stripped), got {ok!r}"
        cases = (("How much is Pro?", "Pro costs $35/month.", "an invented price"),
                 ("How much is Pro?", "  ", "an empty reply"),
                 ("Can I talk to a human?", "Sure, Pro costs $29/month.", "a request for a person"))
        for question, reply, why in cases:
            got = guardrail(question, reply, knowledge)
            assert got == ESCALATION_REPLY, f"{why} should return ESCALATION_REPLY, got {got!r}"
    return run_check("1.6", body)
