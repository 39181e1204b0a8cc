"""Graders for lab 03 (fine-tuning data): the learner's functions on fixed inputs, deterministic results."""

from __future__ import annotations

import json
import random

import pytest

from labkit.data import load_tickets

SYSTEM = {"role": "system", "content": "You are AcmeCorp support."}


def row(user: str, reply: str = "Sure.", system: bool = True) -> dict:
    return {"messages": ([SYSTEM] if system else []) + [{"role": "user", "content": user},
                                                          {"role": "assistant", "content": reply}]}


# --------------------------------------------------------------------------------- 3.1 validator
@pytest.mark.exercise("3.1")
@pytest.mark.parametrize("line, expected", [
    (json.dumps(row("Hi")), []),
    (json.dumps({"messages": [{"role": "user", "content": "Hi"},
                              {"role": "assistant", "content": "Hello"}]}), []),
    ('{"messages": [{"role": "user"', ["invalid_json"]),
    ("not json at all", ["invalid_json"]),
    ('{"conversation": []}', ["missing_messages"]),
    ("[1, 2]", ["missing_messages"]),
    (json.dumps({"messages": [SYSTEM, {"role": "user", "content": "Hi"}]}), ["last_not_assistant"]),
])
def test_find_errors(submission, line, expected):
    assert submission.find_errors(line) == expected


@pytest.mark.exercise("3.1")
def test_find_errors_on_the_raw_file(submission):
    raw = load_tickets(raw=True)
    flagged = [i for i, line in enumerate(raw, 1) if line.strip() and submission.find_errors(line)]
    assert flagged, "the raw file has broken lines"
    for i in flagged:  # every flagged line is really broken in one of the three ways
        try:
            obj = json.loads(raw[i - 1])
        except json.JSONDecodeError:
            continue
        last = obj["messages"][-1] if isinstance(obj, dict) and obj.get("messages") else {}
        assert last.get("role") != "assistant"


# --------------------------------------------------------------------------------- 3.2 dedupe
@pytest.mark.exercise("3.2")
def test_dedupe_keeps_first_copy(submission):
    rows = [row("Reset my password", "a"), row("Export my data"), row("Reset my password", "b"),
            row("  RESET my password?!"), row("Reset my passwords")]
    assert submission.dedupe(rows) == [rows[0], rows[1], rows[4]]


@pytest.mark.exercise("3.2")
def test_dedupe_clean_tickets_are_all_distinct(submission):
    tickets = load_tickets()
    assert submission.dedupe(tickets) == tickets
    assert submission.dedupe(tickets + tickets[:5]) == tickets


# --------------------------------------------------------------------------------- 3.3 scrub
@pytest.mark.exercise("3.3")
@pytest.mark.parametrize("text, expected", [
    ("write to jane.doe+acme@mail.example.co.uk please", "write to [EMAIL] please"),
    ("phone 415-555-0134 today", "phone [PHONE] today"),
    ("my number is +44 20 7946 0958.", "my number is [PHONE]."),
    ("card 5555-5555-5555-4444 was declined", "card [CARD] was declined"),
    ("card 4111111111111111", "card [CARD]"),
    ("invoice 1234567890123 is wrong", "invoice 1234567890123 is wrong"),
    ("we have 25 seats and 3 projects", "we have 25 seats and 3 projects"),
])
def test_scrub(submission, text, expected):
    assert submission.scrub(text) == expected


# --------------------------------------------------------------------------------- 3.4 split
def _users(rows):
    return {m["content"].lower().strip(" ?!.") for r in rows for m in r["messages"] if m["role"] == "user"}


@pytest.mark.exercise("3.4")
def test_split_has_no_leakage(submission):
    rng = random.Random(1)
    rows = [row(f"ticket {i % 25}" + rng.choice(["", "?", "!"]), f"reply {i}") for i in range(100)]
    train, val = submission.split_without_leakage(rows, 0.2, 3)
    assert sorted(map(json.dumps, train + val)) == sorted(map(json.dumps, rows))
    assert not (_users(train) & _users(val))
    assert 12 <= len(val) <= 28


@pytest.mark.exercise("3.4")
def test_split_is_reproducible(submission):
    tickets = load_tickets()[:60]
    first = submission.split_without_leakage(tickets, 0.1, 7)
    assert first == submission.split_without_leakage(tickets, 0.1, 7)
    assert 3 <= len(first[1]) <= 9


# --------------------------------------------------------------------------------- 3.5 bedrock
@pytest.mark.exercise("3.5")
def test_to_bedrock_row_matches_labkit(submission):
    from labkit.finetune import to_bedrock

    tickets = load_tickets()[:20] + [row("no system", system=False)]
    assert [submission.to_bedrock_row(t) for t in tickets] == to_bedrock(tickets)


# --------------------------------------------------------------------------------- 3.6 cost
@pytest.mark.exercise("3.6")
def test_estimate_cost(submission):
    def chars(messages):
        return sum(len(m["content"]) for m in messages)

    rows = [row("x" * 10, "y" * 5), row("x" * 500, "y")]  # 40 and 526 characters with the system prompt
    expected = (40 + 526) * 2 * 25.0 / 1e6
    assert submission.estimate_cost(rows, chars, 2, 25.0, 10_000) == pytest.approx(expected)
    assert submission.estimate_cost(rows, chars, 1, 1e6, 100) == pytest.approx(40 + 100)
    assert submission.estimate_cost([], chars, 3, 8.0, 100) == 0
