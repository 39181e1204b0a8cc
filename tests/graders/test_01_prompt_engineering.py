"""Grader tests for lab 01 (prompt engineering): the learner's functions on fixed inputs, never model wording.

Run against the solution: `pytest tests/graders/test_01_prompt_engineering.py`; against a submission:
`LABKIT_SUBMISSION=path/to/01_prompt_engineering.ipynb pytest tests/graders/test_01_prompt_engineering.py`.
"""

from __future__ import annotations

import json

import pytest

from labkit.data import load_eval
from labkit.prompts import ESCALATION_REPLY, count_tokens

PLANS = [
    {"name": "Basic", "price": "$9/month", "projects": "10 projects", "storage": "5 GB",
     "members": "up to 3 team members"},
    {"name": "Pro", "price": "$29/month", "projects": "unlimited projects", "storage": "50 GB",
     "members": "up to 25 team members"},
    {"name": "Enterprise", "price": "custom pricing", "projects": "unlimited projects",
     "storage": "from 1 TB", "members": "unlimited team members"},
]
POLICIES = {
    "Refunds": "Full refund within 14 days of a charge; "
               "after that, annual plans get unused whole months back.",
    "Downgrades": "Take effect at the end of the current billing cycle.",
    "Data export": "Settings > Export > Download All",
}
# The knowledge base after the 2026-12-01 update: a prompt built from data must follow it.
UPDATED_PLANS = [dict(p) for p in PLANS]
UPDATED_PLANS[0]["projects"] = "15 projects"
UPDATED_PLANS[1].update(price="$35/month", storage="100 GB")
UPDATED_POLICIES = dict(POLICIES, Refunds="Full refund within 30 days of a charge.",
                        **{"Data export": "Settings > Data > Export workspace"})


# ---------------------------------------------------------------------------------------------- 1.1
@pytest.mark.exercise("1.1")
@pytest.mark.parametrize("plans, policies", [(PLANS, POLICIES), (UPDATED_PLANS, UPDATED_POLICIES)])
def test_1_1_prompt_holds_every_plan_value_and_policy(submission, plans, policies):
    prompt = submission.build_acme_prompt(plans, policies, 400)
    for plan in plans:
        for key, value in plan.items():
            assert value in prompt, f"{plan['name']} {key}"
    for name, text in policies.items():
        assert name in prompt and text in prompt


@pytest.mark.exercise("1.1")
def test_1_1_prompt_is_built_from_the_data_not_hard_coded(submission):
    prompt = submission.build_acme_prompt(UPDATED_PLANS, UPDATED_POLICIES, 400)
    assert "$35/month" in prompt and "$29/month" not in prompt
    assert "30 days" in prompt and "14 days" not in prompt


@pytest.mark.exercise("1.1")
def test_1_1_prompt_has_role_format_and_escalation(submission):
    prompt = submission.build_acme_prompt(PLANS, POLICIES, 400)
    assert "AcmeCorp" in prompt.strip().splitlines()[0]
    assert "Output format:" in prompt
    assert ESCALATION_REPLY in prompt


@pytest.mark.exercise("1.1")
def test_1_1_budget_is_measured_with_count_tokens(submission, local_client):
    prompt = submission.build_acme_prompt(PLANS, POLICIES, 400)
    tokens = count_tokens(local_client, prompt)
    assert tokens <= 400
    # exactly at the budget is allowed; one token less is over it
    assert submission.build_acme_prompt(PLANS, POLICIES, tokens) == prompt
    with pytest.raises(ValueError):
        submission.build_acme_prompt(PLANS, POLICIES, tokens - 1)
    with pytest.raises(ValueError):
        submission.build_acme_prompt(PLANS, POLICIES, 40)


# ---------------------------------------------------------------------------------------------- 1.2
@pytest.mark.exercise("1.2")
def test_1_2_examples_alternate_and_end_with_the_assistant(submission):
    messages = submission.json_few_shot()
    assert isinstance(messages, list) and len(messages) >= 4 and len(messages) % 2 == 0
    for i, message in enumerate(messages):
        assert message["role"] == ("user" if i % 2 == 0 else "assistant")
        assert isinstance(message["content"], str) and message["content"].strip()


@pytest.mark.exercise("1.2")
def test_1_2_every_reply_is_pure_json_in_the_schema(submission):
    replies = [json.loads(m["content"]) for m in submission.json_few_shot()[1::2]]
    for reply in replies:
        assert set(reply) == {"answer", "escalate"}
        assert isinstance(reply["answer"], str) and reply["answer"].strip()
        assert isinstance(reply["escalate"], bool)
    escalations = [r for r in replies if r["escalate"]]
    assert escalations and len(escalations) < len(replies)
    assert all(r["answer"] == ESCALATION_REPLY for r in escalations)


@pytest.mark.exercise("1.2")
def test_1_2_examples_do_not_leak_evaluation_questions(submission):
    eval_questions = {" ".join(item.question.lower().split()) for item in load_eval("all")}
    for message in submission.json_few_shot()[0::2]:
        assert " ".join(message["content"].lower().split()) not in eval_questions


# ---------------------------------------------------------------------------------------------- 1.3
GOOD = {"answer": "Pro costs $29/month.", "escalate": False}


@pytest.mark.exercise("1.3")
@pytest.mark.parametrize("text", [
    json.dumps(GOOD),
    "```json\n" + json.dumps(GOOD) + "\n```",
    "Here is my reply: " + json.dumps(GOOD) + " Hope that helps!",
])
def test_1_3_parses_json_with_or_without_surrounding_text(submission, text):
    assert submission.parse_reply(text) == GOOD


@pytest.mark.exercise("1.3")
def test_1_3_keeps_extra_keys(submission):
    reply = {"answer": "Yes.", "escalate": True, "sources": ["refunds-policy"]}
    assert submission.parse_reply(json.dumps(reply)) == reply


@pytest.mark.exercise("1.3")
@pytest.mark.parametrize("text, field", [
    ('{"escalate": false}', "answer"),
    ('{"answer": "Yes."}', "escalate"),
    ('{"answer": "", "escalate": false}', "answer"),
    ('{"answer": "   ", "escalate": false}', "answer"),
    ('{"answer": 29, "escalate": false}', "answer"),
    ('{"answer": "Yes.", "escalate": "false"}', "escalate"),
    ('{"answer": "Yes.", "escalate": 0}', "escalate"),
    ('{"answer": "Yes.", "escalate": null}', "escalate"),
])
def test_1_3_invalid_field_raises_value_error_naming_it(submission, text, field):
    with pytest.raises(ValueError, match=field):
        submission.parse_reply(text)


@pytest.mark.exercise("1.3")
@pytest.mark.parametrize("text", ["Pro costs $29/month.", '{"answer": "Yes", "escalate": fals}', "",
                                  "[1, 2]"])
def test_1_3_no_json_object_raises_value_error(submission, text):
    with pytest.raises(ValueError):
        submission.parse_reply(text)


# ---------------------------------------------------------------------------------------------- 1.4
@pytest.mark.exercise("1.4")
@pytest.mark.parametrize("answer, facts, score", [
    ("Pro costs $29/month.", ["$29"], 1.0),
    ("PRO COSTS $29 PER MONTH", ["$29/month"], 1.0),
    ("Pro costs $29/month", ["$29 per month"], 1.0),
    ("Pro is $290/year.", ["$290 per year"], 1.0),
    ("You get 50GB.", ["50 GB"], 1.0),
    ("You get 50 gb.", ["50GB"], 1.0),
    ("Enterprise: 3,000 requests\n per   minute.", ["3000 requests per minute"], 1.0),
    ("Enterprise: 3000 requests per minute.", ["3,000 requests per minute"], 1.0),
    ("Basic costs $90/year.", ["$9"], 0.0),
    ("It allows 13 team members.", ["3 team members"], 0.0),
    ("Refunds within 14 days.", ["14 days", "original payment method"], 0.5),
    ("Go to Settings > Export > Download All; the link lasts 7 days.",
     ["Settings > Export > Download All", "7 days", "ZIP"], 2 / 3),
    ("Anything at all.", [], 1.0),
    ("", ["$9"], 0.0),
])
def test_1_4_key_fact_score_on_fixed_answers(submission, answer, facts, score):
    got = submission.score_answer(answer, facts)
    assert isinstance(got, float | int) and got == pytest.approx(score)


@pytest.mark.exercise("1.4")
def test_1_4_every_gold_answer_scores_full_marks(submission):
    for item in load_eval("all"):
        if item.answerable:
            assert submission.score_answer(item.answer, item.key_facts) == pytest.approx(1.0), item.id


# ---------------------------------------------------------------------------------------------- 1.5
SCORES = {
    "v1-seed": {"accuracy": 0.38, "refusal": 0.00, "format": 1.00, "cost_per_query": 0.00089},
    "v2-anatomy": {"accuracy": 0.88, "refusal": 1.00, "format": 1.00, "cost_per_query": 0.00113},
    "v3-few-shot": {"accuracy": 0.90, "refusal": 1.00, "format": 0.95, "cost_per_query": 0.00171},
    "v4-all-docs": {"accuracy": 0.96, "refusal": 0.50, "format": 0.90, "cost_per_query": 0.04612},
}


@pytest.mark.exercise("1.5")
@pytest.mark.parametrize("kwargs, expected", [
    ({}, "v2-anatomy"),                                   # v4 misses the refusal floor; v2 within 0.03 of v3
    ({"margin": 0.0}, "v3-few-shot"),                     # no slack: the most accurate qualifying version
    ({"min_refusal": 0.4}, "v4-all-docs"),                # v4 qualifies and nobody is within 0.03 of it
    ({"min_refusal": 0.4, "margin": 0.07}, "v3-few-shot"),  # v3 is as good and cheaper than v4
    ({"min_format": 0.99}, "v2-anatomy"),
    ({"min_refusal": 0.0, "min_format": 0.99, "margin": 0.6}, "v1-seed"),
])
def test_1_5_choose_prompt_by_floors_margin_and_cost(submission, kwargs, expected):
    assert submission.choose_prompt(SCORES, **kwargs) == expected


@pytest.mark.exercise("1.5")
def test_1_5_equal_cost_goes_to_the_first_listed(submission):
    scores = {"b": {"accuracy": 0.9, "refusal": 1.0, "format": 1.0, "cost_per_query": 0.002},
              "a": {"accuracy": 0.9, "refusal": 1.0, "format": 1.0, "cost_per_query": 0.002}}
    assert submission.choose_prompt(scores) == "b"


@pytest.mark.exercise("1.5")
def test_1_5_nothing_qualifies_raises_value_error(submission):
    with pytest.raises(ValueError):
        submission.choose_prompt(SCORES, min_refusal=1.0, min_format=1.0 + 1e-6)


# ---------------------------------------------------------------------------------------------- 1.6
KNOWLEDGE = ("Basic plan: $9/month, $90/year. Pro plan: $29/month. Extra storage: $5/month per 50 GB. "
             "Cap: $1000.")


@pytest.mark.exercise("1.6")
@pytest.mark.parametrize("question, reply, expected", [
    ("How much is Pro?", "  Pro costs $29/month.\n", "Pro costs $29/month."),
    ("How much is Basic per year?", "Basic is $90/year.", "Basic is $90/year."),
    ("What is the cap?", "The cap is $1,000.", "The cap is $1,000."),
    ("How do I export?", "Use Settings > Export > Download All.", "Use Settings > Export > Download All."),
    ("How much is Pro?", "Pro costs $35/month.", ESCALATION_REPLY),
    ("How much is Basic?", "Basic costs $9.50 a month.", ESCALATION_REPLY),
    ("How much is Basic per year?", "It is $900.", ESCALATION_REPLY),
    ("Is there a discount?", "Yes, $5 off, and the add-on is $5/month; totals $2,500.", ESCALATION_REPLY),
    ("How much is Pro?", "", ESCALATION_REPLY),
    ("How much is Pro?", " \n ", ESCALATION_REPLY),
    ("Can I talk to a HUMAN please?", "Pro costs $29/month.", ESCALATION_REPLY),
    ("My lawyer wants our data.", "Sure.", ESCALATION_REPLY),
    ("I want to file a complaint", "Okay.", ESCALATION_REPLY),
])
def test_1_6_guardrail_on_fixed_replies(submission, question, reply, expected):
    assert submission.guardrail(question, reply, KNOWLEDGE) == expected


@pytest.mark.exercise("1.6")
def test_1_6_guardrail_uses_the_given_escalate_words(submission):
    escalated = submission.guardrail("Can I speak to a manager?", "Yes.", KNOWLEDGE, ("manager",))
    assert escalated == ESCALATION_REPLY
    assert submission.guardrail("Can I talk to a human?", "Yes.", KNOWLEDGE, ("manager",)) == "Yes."
