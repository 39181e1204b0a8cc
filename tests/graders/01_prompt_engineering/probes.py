"""Probes for lab 01 (prompt engineering), run in the sandbox after the learner's notebook.

Each calls the learner's functions on fixed inputs and returns what they gave (plain data). Inputs only:
the expected values are in checks.py, which never enters the sandbox.
"""

from __future__ import annotations

import json

from labkit.grading.probing import attempt, probe

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
@probe("1.1")
def acme_prompts(nb):
    return {"current": attempt(nb.build_acme_prompt, PLANS, POLICIES, 400),
            "updated": attempt(nb.build_acme_prompt, UPDATED_PLANS, UPDATED_POLICIES, 400)}


@probe("1.1")
def acme_budget(nb):
    """The prompt's size measured here with labkit's counter (the scorer measures it again), then the
    function at exactly that budget, one token less, and a budget far too small."""
    from labkit.llm import get_client
    from labkit.prompts import count_tokens

    prompt = nb.build_acme_prompt(PLANS, POLICIES, 400)
    tokens = count_tokens(get_client("local"), prompt)
    return {"prompt": prompt, "tokens": tokens, "at": attempt(nb.build_acme_prompt, PLANS, POLICIES, tokens),
            "under": attempt(nb.build_acme_prompt, PLANS, POLICIES, tokens - 1),
            "tiny": attempt(nb.build_acme_prompt, PLANS, POLICIES, 40)}


# ---------------------------------------------------------------------------------------------- 1.2
@probe("1.2")
def few_shot(nb):
    return attempt(nb.json_few_shot)


# ---------------------------------------------------------------------------------------------- 1.3
GOOD = {"answer": "Pro costs $29/month.", "escalate": False}
WRAPPED = [json.dumps(GOOD), "```json\n" + json.dumps(GOOD) + "\n```",
           "Here is my reply: " + json.dumps(GOOD) + " Hope that helps!"]
EXTRA = {"answer": "Yes.", "escalate": True, "sources": ["refunds-policy"]}
BAD_FIELDS = [
    ('{"escalate": false}', "answer"),
    ('{"answer": "Yes."}', "escalate"),
    ('{"answer": "", "escalate": false}', "answer"),
    ('{"answer": "   ", "escalate": false}', "answer"),
    ('{"answer": 29, "escalate": false}', "answer"),
    ('{"answer": "Yes.", "escalate": "false"}', "escalate"),
    ('{"answer": "Yes.", "escalate": 0}', "escalate"),
    ('{"answer": "Yes.", "escalate": null}', "escalate"),
]
NO_OBJECT = ["Pro costs $29/month.", '{"answer": "Yes", "escalate": fals}', "", "[1, 2]"]
PARSER = ["labkit.prompts.parse_json_reply"]


@probe("1.3", forbid=PARSER)
def parse_wrapped(nb):
    return [attempt(nb.parse_reply, text) for text in WRAPPED] + [attempt(nb.parse_reply, json.dumps(EXTRA))]


@probe("1.3", forbid=PARSER)
def parse_invalid(nb):
    return {"fields": [attempt(nb.parse_reply, text) for text, _ in BAD_FIELDS],
            "no_object": [attempt(nb.parse_reply, text) for text in NO_OBJECT]}


# ---------------------------------------------------------------------------------------------- 1.4
KEY_FACT_CASES = [
    ("Pro costs $29/month.", ["$29"]),
    ("PRO COSTS $29 PER MONTH", ["$29/month"]),
    ("Pro costs $29/month", ["$29 per month"]),
    ("Pro is $290/year.", ["$290 per year"]),
    ("You get 50GB.", ["50 GB"]),
    ("You get 50 gb.", ["50GB"]),
    ("Enterprise: 3,000 requests\n per   minute.", ["3000 requests per minute"]),
    ("Enterprise: 3000 requests per minute.", ["3,000 requests per minute"]),
    ("Basic costs $90/year.", ["$9"]),
    ("It allows 13 team members.", ["3 team members"]),
    ("Refunds within 14 days.", ["14 days", "original payment method"]),
    ("Go to Settings > Export > Download All; the link lasts 7 days.",
     ["Settings > Export > Download All", "7 days", "ZIP"]),
    ("Anything at all.", []),
    ("", ["$9"]),
]
SCORERS = ["labkit.evaluate.key_fact_score", "labkit.evaluate.has_fact", "labkit.evaluate.missing_facts"]


@probe("1.4", forbid=SCORERS)
def key_facts(nb):
    return [attempt(nb.score_answer, answer, facts) for answer, facts in KEY_FACT_CASES]


@probe("1.4", forbid=SCORERS)
def gold_answers(nb):
    from labkit.data import load_eval

    return {item.id: attempt(nb.score_answer, item.answer, item.key_facts) for item in load_eval("all")
            if item.answerable}


# ---------------------------------------------------------------------------------------------- 1.5
IDS = [f"q{k:02d}" for k in range(20)]


def _first(n: int) -> dict[str, bool]:
    """The first n of the 20 questions right, the rest wrong (so versions' right answers nest)."""
    return {i: k < n for k, i in enumerate(IDS)}


# (outcomes, cost per query); the expected choice of each is in checks.py.
CHOICE_CASES = {
    "clear gap, the dearer leader": ({"lead": _first(16), "cheap": _first(4)}, {"lead": 0.01, "cheap": 0.001}),
    "overlap, the cheaper": ({"a": _first(11), "b": _first(10)}, {"a": 0.004, "b": 0.001}),
    "three versions": ({"a": _first(15), "b": _first(13), "c": _first(3)}, {"a": 0.01, "b": 0.002, "c": 0.0001}),
    "paired, not two averages": ({"a": _first(14), "b": _first(8)}, {"a": 0.003, "b": 0.001}),
    "ties go to the first listed": ({"y": _first(10), "x": _first(10)}, {"y": 0.002, "x": 0.002}),
    "the leader is cheapest": ({"a": _first(12), "b": _first(11)}, {"a": 0.001, "b": 0.002}),
}
MISMATCHED = ({"a": _first(10), "b": {i: True for i in IDS[:19]}}, {"a": 0.001, "b": 0.001})
NO_COST = ({"a": _first(10), "b": _first(9)}, {"a": 0.001})


@probe("1.5")
def choices(nb):
    return {"choices": {name: attempt(nb.choose_prompt, outcomes, costs)
                        for name, (outcomes, costs) in CHOICE_CASES.items()},
            "mismatched": attempt(nb.choose_prompt, *MISMATCHED),
            "no_cost": attempt(nb.choose_prompt, *NO_COST)}


# ---------------------------------------------------------------------------------------------- 1.6
KNOWLEDGE = ("Basic plan: $9/month, $90/year. Pro plan: $29/month. Extra storage: $5/month per 50 GB. "
             "Cap: $1000.")
GUARD_CASES = [
    ("How much is Pro?", "  Pro costs $29/month.\n"),
    ("How much is Basic per year?", "Basic is $90/year."),
    ("What is the cap?", "The cap is $1,000."),
    ("How do I export?", "Use Settings > Export > Download All."),
    ("How much is Pro?", "Pro costs $35/month."),
    ("How much is Basic?", "Basic costs $9.50 a month."),
    ("How much is Basic per year?", "It is $900."),
    ("Is there a discount?", "Yes, $5 off, and the add-on is $5/month; totals $2,500."),
    ("How much is Pro?", ""),
    ("How much is Pro?", " \n "),
    ("Can I talk to a HUMAN please?", "Pro costs $29/month."),
    ("My lawyer wants our data.", "Sure."),
    ("I want to file a complaint", "Okay."),
]


@probe("1.6")
def guardrails(nb):
    return {"cases": [attempt(nb.guardrail, question, reply, KNOWLEDGE) for question, reply in GUARD_CASES],
            "manager": attempt(nb.guardrail, "Can I speak to a manager?", "Yes.", KNOWLEDGE, ("manager",)),
            "human_not_listed": attempt(nb.guardrail, "Can I talk to a human?", "Yes.", KNOWLEDGE, ("manager",))}
