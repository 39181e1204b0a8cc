"""labkit.prompts: prompt builders, few-shot turns, the token budget and the JSON reply parser."""

from __future__ import annotations

import json

import pytest

from labkit import prompts
from labkit.data import load_docs
from labkit.prompts import (
    ESCALATION_REPLY,
    REPLY_SCHEMA,
    SEED_SYSTEM_PROMPT,
    BudgetCheck,
    ReplyFormatError,
    TokenBudgetExceeded,
    build_system_prompt,
    check_budget,
    count_tokens,
    escalation_rule,
    few_shot_messages,
    json_instruction,
    knowledge_from_docs,
    parse_json_reply,
)


def test_seed_prompt_is_verbatim():
    assert SEED_SYSTEM_PROMPT.startswith(
        "You are a customer support agent for AcmeCorp.\n\nProduct Information:")
    assert "- Pro Plan: $29/month, unlimited projects, 50GB storage" in SEED_SYSTEM_PROMPT
    assert SEED_SYSTEM_PROMPT.endswith("If unsure, say you'll escalate\nto a human agent.")


def test_build_system_prompt_orders_the_five_parts():
    prompt = build_system_prompt(role="You are AcmeCorp support.", knowledge=["Basic: $9/month"],
                                 policies=["Refunds: 14 days"], output_format="One sentence.",
                                 escalation=escalation_rule())
    parts = ("You are AcmeCorp support.", prompts.KNOWLEDGE_HEADING, "- Basic: $9/month",
             prompts.POLICIES_HEADING, "- Refunds: 14 days", prompts.FORMAT_HEADING,
             prompts.ESCALATION_HEADING, ESCALATION_REPLY)
    order = [prompt.index(s) for s in parts]
    assert order == sorted(order)


def test_build_system_prompt_leaves_out_empty_parts_and_needs_a_role():
    assert build_system_prompt("You are AcmeCorp support.") == "You are AcmeCorp support."
    assert build_system_prompt("Role.", knowledge="- already\n- formatted") == \
        "Role.\n\nProduct information:\n- already\n- formatted"
    with pytest.raises(ValueError, match="role"):
        build_system_prompt("  ")


def test_knowledge_from_docs_cuts_at_a_line_end():
    docs = load_docs()
    full = knowledge_from_docs(docs)
    assert full.startswith(f"## {docs[0].title} [{docs[0].id}]")
    part = knowledge_from_docs(docs, max_bytes=2000)
    assert len(part.encode()) <= 2000 and full.startswith(part) and full[len(part)] == "\n"


def test_few_shot_messages_alternate_and_end_with_the_question():
    messages = few_shot_messages([("Q1", "A1"), ("Q2", "A2")], "Real question?")
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant", "user"]
    assert messages[-1]["content"] == "Real question?" and messages[1]["content"] == "A1"
    assert few_shot_messages([], "Only this?") == [{"role": "user", "content": "Only this?"}]


@pytest.mark.parametrize("examples, question, match", [
    ([("Q1", "")], "Q?", "example 1"),
    ([("Q1", "A1"), ("only one",)], "Q?", "example 2"),
    ([], " ", "question"),
])
def test_few_shot_messages_rejects_bad_examples(examples, question, match):
    with pytest.raises(ValueError, match=match):
        few_shot_messages(examples, question)


def test_count_tokens_uses_the_client(local_client):
    short = count_tokens(local_client, "You are AcmeCorp support.")
    longer = count_tokens(local_client, SEED_SYSTEM_PROMPT)
    assert 0 < short < longer < 300
    with_turns = count_tokens(local_client, "You are AcmeCorp support.",
                              messages=[{"role": "user", "content": "Can I get a refund? " * 10}])
    assert with_turns > short


def test_check_budget_reports_and_raises(local_client):
    check = check_budget(local_client, SEED_SYSTEM_PROMPT)
    assert isinstance(check, BudgetCheck) and check.budget == prompts.TOKEN_BUDGET == 5000
    assert check.fits and check.headroom == 5000 - check.tokens
    tight = check_budget(local_client, SEED_SYSTEM_PROMPT, budget=50)
    assert not tight.fits and tight.headroom < 0
    with pytest.raises(TokenBudgetExceeded, match="over the budget of 50"):
        check_budget(local_client, SEED_SYSTEM_PROMPT, budget=50, strict=True)
    assert issubclass(TokenBudgetExceeded, ValueError)


class _FakeCounter:
    """A stand-in client: count_tokens returns a fixed number (the budget logic needs no model)."""

    class messages:  # noqa: N801 - mirrors client.messages
        @staticmethod
        def count_tokens(**kwargs):
            assert kwargs["messages"] and "system" in kwargs and kwargs["model"]
            return type("Count", (), {"input_tokens": 5001})()


def test_the_whole_seed_rule_is_under_5000_not_at_it():
    assert not check_budget(_FakeCounter(), "x").fits
    assert check_budget(_FakeCounter(), "x", budget=5001).fits


def test_json_instruction_names_every_field():
    text = json_instruction()
    assert '"answer": "..."' in text and '"escalate": true|false' in text
    assert json_instruction({"sql": str, "rows": int}).endswith('{"sql": "...", "rows": 0}')


@pytest.mark.parametrize("text", [
    '{"answer": "Pro costs $29/month.", "escalate": false}',
    'Sure! ```json\n{"answer": "Pro costs $29/month.", "escalate": false}\n```',
])
def test_parse_json_reply_accepts_fenced_and_wrapped_json(text):
    assert parse_json_reply(text) == {"answer": "Pro costs $29/month.", "escalate": False}


@pytest.mark.parametrize("text, message", [
    ('{"escalate": false}', "field 'answer' is missing"),
    ('{"answer": "Hi"}', "field 'escalate' is missing"),
    ('{"answer": "", "escalate": false}', "field 'answer' must be a string (non-empty)"),
    ('{"answer": "Hi", "escalate": "no"}', "field 'escalate' must be true or false, got 'no'"),
    ('{"answer": "Hi", "escalate": 1}', "field 'escalate'"),
    ("No JSON here.", "no JSON object"),
    ('{"answer": "Hi", "escalate": fals}', "does not parse"),
])
def test_parse_json_reply_names_the_broken_field(text, message):
    with pytest.raises(ReplyFormatError) as info:
        parse_json_reply(text)
    assert message in str(info.value)
    assert isinstance(info.value, ValueError)


def test_parse_json_reply_with_another_schema():
    schema = {"sql": str, "rows": int, "score": float, "tags": list}
    good = {"sql": "SELECT 1", "rows": 3, "score": 1, "tags": [], "extra": "kept"}
    assert parse_json_reply(json.dumps(good), schema) == good
    with pytest.raises(ReplyFormatError, match="'rows' must be an integer"):
        parse_json_reply(json.dumps(dict(good, rows=True)), schema)
    assert REPLY_SCHEMA == {"answer": str, "escalate": bool}
