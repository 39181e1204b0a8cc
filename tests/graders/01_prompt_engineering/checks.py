"""Checks for lab 01 (prompt engineering), run by the trusted scorer on what probes.py returned.

Expected values live here only. Messages name the input, never the expected value.
"""

from __future__ import annotations

import threading
from functools import cache

from labkit.data import load_eval
from labkit.grading.checking import check, close, json_of
from labkit.prompts import ESCALATION_REPLY, count_tokens

from . import probes as p


@cache
def _client():
    from labkit.llm import get_client

    return get_client("local")


_COUNTING = threading.Lock()  # one local model for every submission graded at once


def trusted_tokens(prompt: str) -> int:
    with _COUNTING:
        return count_tokens(_client(), prompt)


# ---------------------------------------------------------------------------------------------- 1.1
@check(p.acme_prompts, hint="Build the prompt from the plans and policies you are given (no hard-coded facts).")
def prompt_holds_every_plan_value_and_policy(got):
    for key, plans, policies in (("current", p.PLANS, p.POLICIES), ("updated", p.UPDATED_PLANS, p.UPDATED_POLICIES)):
        prompt = got[key].value
        assert isinstance(prompt, str), "build_acme_prompt should return a str"
        for plan in plans:
            for field, value in plan.items():
                assert value in prompt, f"the prompt lacks plan {plan['name']}'s {field} ({key} knowledge base)"
        for name, text in policies.items():
            assert name in prompt and text in prompt, f"the prompt lacks the {name} policy ({key} knowledge base)"


@check(p.acme_prompts)
def prompt_is_built_from_the_data_not_hard_coded(got):
    prompt = got["updated"].value
    assert isinstance(prompt, str) and "$35/month" in prompt and "$29/month" not in prompt, \
        "after the price update the prompt still shows the old Pro price"
    assert "30 days" in prompt and "14 days" not in prompt, \
        "after the update the prompt still shows the old refund window"


@check(p.acme_prompts, hint="build_system_prompt(role=..., output_format=..., escalation=escalation_rule()).")
def prompt_has_role_format_and_escalation(got):
    prompt = got["current"].value
    assert isinstance(prompt, str) and prompt.strip(), "build_acme_prompt should return a non-empty str"
    assert "AcmeCorp" in prompt.strip().splitlines()[0], "the first line should give the role and name AcmeCorp"
    assert "Output format:" in prompt, "the prompt has no output-format instruction"
    assert ESCALATION_REPLY in prompt, "the escalation rule must quote ESCALATION_REPLY exactly"


@check(p.acme_budget, hint="Measure with check_budget(client, prompt, budget, strict=True), which raises when over.")
def budget_is_measured_with_count_tokens(got):
    prompt, tokens = got["prompt"], got["tokens"]
    assert tokens == trusted_tokens(prompt), ("the token count seen in the notebook differs from labkit's "
                                              "(does the notebook replace count_tokens or the client?)")
    assert tokens <= 400, "the prompt is over the 400-token budget"
    assert got["at"].value == prompt, "a budget of exactly the prompt's size must be allowed"
    assert got["under"].raised(ValueError), "one token under the prompt's size must raise a ValueError"
    assert got["tiny"].raised(ValueError), "budget=40 must raise a ValueError (TokenBudgetExceeded)"


# ---------------------------------------------------------------------------------------------- 1.2
def _messages(got) -> list:
    messages = got.value
    assert isinstance(messages, list), "json_few_shot should return a list of messages"
    return messages


@check(p.few_shot, hint="Alternate user and assistant messages; the last one is the assistant's reply.")
def examples_alternate_and_end_with_the_assistant(got):
    messages = _messages(got)
    assert len(messages) >= 4 and len(messages) % 2 == 0, \
        "give at least two examples, each a user and an assistant turn"
    for i, message in enumerate(messages):
        assert isinstance(message, dict), f"message {i} is not a dict"
        assert message.get("role") == ("user" if i % 2 == 0 else "assistant"), f"message {i} has the wrong role"
        content = message.get("content")
        assert isinstance(content, str) and content.strip(), f"message {i} has no text content"


@check(p.few_shot, hint='Each reply is json.dumps({"answer": ..., "escalate": ...}); escalate at least once.')
def every_reply_is_pure_json_in_the_schema(got):
    replies = [json_of(m.get("content") if isinstance(m, dict) else None, f"reply {i}")
               for i, m in enumerate(_messages(got)[1::2])]
    for i, reply in enumerate(replies):
        assert isinstance(reply, dict) and set(reply) == {"answer", "escalate"}, \
            f"reply {i} should have exactly the keys answer and escalate"
        assert isinstance(reply["answer"], str) and reply["answer"].strip(), \
            f"reply {i}: answer must be a non-empty str"
        assert isinstance(reply["escalate"], bool), f"reply {i}: escalate must be true or false"
    escalations = [r for r in replies if r["escalate"]]
    assert escalations and len(escalations) < len(replies), "show both kinds of reply: escalated and answered"
    assert all(r["answer"] == ESCALATION_REPLY for r in escalations), "an escalated reply must answer ESCALATION_REPLY"


@check(p.few_shot)
def examples_do_not_leak_evaluation_questions(got):
    eval_questions = {" ".join(item.question.lower().split()) for item in load_eval("all")}
    for i, message in enumerate(_messages(got)[0::2]):
        text = message.get("content") if isinstance(message, dict) else ""
        assert " ".join(str(text).lower().split()) not in eval_questions, \
            f"example {i} is a question of the evaluation set: write your own"


# ---------------------------------------------------------------------------------------------- 1.3
@check(p.parse_wrapped, hint="Take the text from the first '{' to the last '}' and json.loads it.")
def parses_json_with_or_without_surrounding_text(got):
    for text, out in zip(p.WRAPPED, got[:3], strict=True):
        assert out.value == p.GOOD, f"parse_reply({text[:40]!r}...) does not return the reply's object"


@check(p.parse_wrapped)
def keeps_extra_keys(got):
    assert got[3].value == p.EXTRA, "parse_reply should keep keys beyond answer and escalate"


@check(p.parse_invalid, hint="Raise ValueError with the field's name in the message: 'answer' or 'escalate'.")
def invalid_field_raises_value_error_naming_it(got):
    for (text, field), out in zip(p.BAD_FIELDS, got["fields"], strict=True):
        assert out.raised(ValueError) and field in out.message, \
            f"parse_reply({text!r}) should raise a ValueError naming {field!r}"


@check(p.parse_invalid)
def no_json_object_raises_value_error(got):
    for text, out in zip(p.NO_OBJECT, got["no_object"], strict=True):
        assert out.raised(ValueError), f"parse_reply({text!r}) should raise a ValueError"


# ---------------------------------------------------------------------------------------------- 1.4
KEY_FACT_SCORES = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.5, 2 / 3, 1.0, 0.0]


@check(p.key_facts, hint="Normalise both texts the same way (case, thousands commas, '50 GB', '/month'), "
                         "and match numbers as whole numbers.")
def key_fact_score_on_fixed_answers(got):
    for (answer, facts), out, want in zip(p.KEY_FACT_CASES, got, KEY_FACT_SCORES, strict=True):
        assert close(out.value, want, rel=1e-6), f"score_answer({answer!r}, {facts!r}) is not right"


@check(p.gold_answers)
def every_gold_answer_scores_full_marks(got):
    expected = [item.id for item in load_eval("all") if item.answerable]
    assert sorted(got) == sorted(expected), "score_answer was not run on every gold answer"
    for item_id in expected:
        assert close(got[item_id].value, 1.0, rel=1e-6), f"the gold answer of {item_id} does not score 1.0"


# ---------------------------------------------------------------------------------------------- 1.5
CHOSEN = {"clear gap, the dearer leader": "lead", "overlap, the cheaper": "b", "three versions": "b",
          "paired, not two averages": "a", "ties go to the first listed": "y", "the leader is cheapest": "a"}


@check(p.choices, hint="Leader = best accuracy; drop versions whose paired interval (leader - version) lies above 0; "
                       "of the rest, the cheapest.")
def choose_prompt_keeps_what_the_intervals_cannot_separate_and_ships_the_cheapest(got):
    assert set(got["choices"]) == set(CHOSEN), "choose_prompt was not run on every case"
    for case, want in CHOSEN.items():
        assert got["choices"][case].value == want, f"choose_prompt picks the wrong version in the case '{case}'"


@check(p.choices)
def different_questions_or_a_missing_cost_raise_value_error(got):
    assert got["mismatched"].raised(ValueError), "versions run on different questions should raise a ValueError"
    assert got["no_cost"].raised(ValueError), "a version without a cost should raise a ValueError"


# ---------------------------------------------------------------------------------------------- 1.6
E = ESCALATION_REPLY
GUARDED = ["Pro costs $29/month.", "Basic is $90/year.", "The cap is $1,000.", "Use Settings > Export > Download All.",
           E, E, E, E, E, E, E, E, E]


@check(p.guardrails, hint="Escalate an empty reply, a question with an escalate word, or a $ amount the "
                          "knowledge does not have (compare amounts without thousands commas).")
def guardrail_on_fixed_replies(got):
    for (question, reply), out, want in zip(p.GUARD_CASES, got["cases"], GUARDED, strict=True):
        assert out.value == want, f"guardrail({question!r}, {reply!r}, ...) is not right"


@check(p.guardrails)
def guardrail_uses_the_given_escalate_words(got):
    assert got["manager"].value == E, "with escalate_words=('manager',), a question naming a manager must escalate"
    assert got["human_not_listed"].value == "Yes.", "only the given escalate_words should escalate"
