"""Public checks for lab 03 (fine-tuning data). Each runs a few fixed cases on the learner's function and
prints one banner line (see labkit.checks.run_check); it never raises. The graders are stricter."""

from __future__ import annotations

import json
from collections.abc import Callable

from labkit.checks import run_check

SYSTEM = {"role": "system", "content": "You are AcmeCorp support."}


def row(user: str, reply: str = "Sure.", system: bool = True) -> dict:
    """A chat example with one ticket and one reply."""
    return {"messages": ([SYSTEM] if system else []) + [{"role": "user", "content": user},
                                                          {"role": "assistant", "content": reply}]}


def check_3_1(find_errors: Callable) -> bool:
    """Exercise 3.1: the three error kinds, and [] for a good line."""
    def body() -> None:
        good = json.dumps(row("How do I export?"))
        assert find_errors(good) == [], f"a well-formed line should give [], got {find_errors(good)!r}"
        assert find_errors('{"messages": [') == ["invalid_json"], "a truncated line is 'invalid_json'"
        assert find_errors('{"msgs": []}') == ["missing_messages"], "no 'messages' key is 'missing_messages'"
        ends_user = json.dumps({"messages": [{"role": "user", "content": "Hi"}]})
        assert find_errors(ends_user) == ["last_not_assistant"], "a last user turn: 'last_not_assistant'"
    return run_check("3.1", body)


def check_3_2(dedupe: Callable) -> bool:
    """Exercise 3.2: exact and near duplicates (same ticket after normalising) go, the first copy stays."""
    def body() -> None:
        rows = [row("Reset my password"), row("Reset my password"), row("reset my   password!"), row("Other")]
        kept = dedupe(rows)
        assert kept == [rows[0], rows[3]], f"expected the first copy and 'Other' ({len(kept)} rows kept)"
    return run_check("3.2", body)


def check_3_3(scrub: Callable) -> bool:
    """Exercise 3.3: e-mail, phone and card numbers become placeholders; other numbers stay."""
    def body() -> None:
        assert scrub("mail ana@example.com now") == "mail [EMAIL] now", "e-mail addresses become [EMAIL]"
        assert scrub("call +1 415 555 0134") == "call [PHONE]", "phone numbers become [PHONE]"
        assert scrub("card 4111 1111 1111 1111 failed") == "card [CARD] failed", "card numbers become [CARD]"
        assert scrub("order 1234567890123 (not a card)") == "order 1234567890123 (not a card)", \
            "a 13-digit number that fails the Luhn check is not a card"
    return run_check("3.3", body)


def _ticket(scenario: int, phrasing: int) -> dict:
    """Phrasing `phrasing` of scenario `scenario`: a different question, the scenario's one reply."""
    reply = f"1. Diagnosis: case {scenario}.\nSource: [doc-{scenario}] Section {scenario}"
    return row(f"question {phrasing} about case {scenario}", reply)


def check_3_4(split_without_leakage: Callable, scenario_of: Callable) -> bool:
    """Exercise 3.4: whole scenarios (the gold reply's Source line) go to one side; every row lands once."""
    def body() -> None:
        with_source = _ticket(3, 0)
        got = scenario_of(with_source)
        assert got == "Source: [doc-3] Section 3", f"the scenario is the reply's whole Source line, got {got!r}"
        plain = row("Hi", "No source line here.")
        assert scenario_of(plain) == "No source line here.", "a reply without a Source line is its own scenario"
        rows = [_ticket(s, p) for p in range(5) for s in range(8)]  # 8 scenarios, 5 phrasings each
        train, val = split_without_leakage(rows, 0.2, 0)
        assert len(train) + len(val) == 40 and all(r in rows for r in train + val), \
            "every example must land in train or validation, once"
        shared = {scenario_of(r) for r in train} & {scenario_of(r) for r in val}
        assert not shared, f"these scenarios are on both sides: {sorted(shared)[:3]}"
        held = {scenario_of(r) for r in val}
        assert len(held) == 2, f"round(8 scenarios x 0.2) = 2 scenarios should be held out, got {len(held)}"
        assert val == [r for r in rows if scenario_of(r) in held], "keep the rows' order in both lists"
        assert split_without_leakage(rows[::-1], 0.2, 0)[1] == val[::-1], \
            "sort the scenarios before shuffling: the same rows in another order should hold out the same scenarios"
    return run_check("3.4", body)


def check_3_5(to_bedrock_row: Callable) -> bool:
    """Exercise 3.5: the system message moves to a top-level "system" string."""
    def body() -> None:
        out = to_bedrock_row(row("Hi", "Hello"))
        assert out.get("system") == SYSTEM["content"], "Bedrock wants a top-level 'system'"
        assert [m["role"] for m in out["messages"]] == ["user", "assistant"], "only user/assistant turns"
        assert "system" not in to_bedrock_row(row("Hi", system=False)), "no system message: no 'system' key"
    return run_check("3.5", body)


def check_3_6(estimate_cost: Callable) -> bool:
    """Exercise 3.6: tokens (capped per example) x epochs x price per million."""
    def body() -> None:
        def words(messages):
            return sum(len(m["content"].split()) for m in messages)
        rows = [row("one two three", "four five"), row("a " * 50, "b")]  # 9 and 55 words with the system
        cost = estimate_cost(rows, words, epochs=3, usd_per_mtok=8.0, max_tokens=1000)
        expected = (9 + 55) * 3 * 8.0 / 1e6
        assert abs(cost - expected) < 1e-12, f"expected {expected:.6f} USD, got {cost!r}"
        capped = estimate_cost(rows, words, epochs=1, usd_per_mtok=1e6, max_tokens=10)
        assert capped == 9 + 10, "each example counts at most max_tokens (the rest is truncated)"
    return run_check("3.6", body)
