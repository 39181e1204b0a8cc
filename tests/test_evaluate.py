"""labkit.evaluate: normalisation, key facts, refusals, format, and the eval runner (no model needed)."""

from __future__ import annotations

import math

import pytest

from labkit import costs, evaluate
from labkit.data import EvalItem, load_docs, load_eval
from labkit.evaluate import (
    EvalRun,
    Reply,
    as_reply,
    comparison_rows,
    contradictions,
    format_ok,
    format_table,
    has_fact,
    is_refusal,
    key_fact_score,
    missing_facts,
    normalize,
    run_eval,
)
from labkit.prompts import ESCALATION_REPLY, parse_json_reply


@pytest.mark.parametrize("text, expected", [
    ("  Pro   costs\n$29 ", "pro costs $29"),
    ("**$29**/month", "$29 per month"),
    ("$29 / month and $290 a year", "$29 per month and $290 per year"),
    ("3,000 requests; 1,000,000 rows; 1,5 and 12,34", "3000 requests; 1000000 rows; 1,5 and 12,34"),
    ("5GB, 5 GB, 5  gb, 99.9 %", "5gb, 5gb, 5gb, 99.9%"),
    ("Settings→Export -> Download All", "settings > export > download all"),
    ("Settings>Billing", "settings > billing"),
    ("I don\u2019t know \u2013 sorry", "i don't know - sorry"),
    # issue 20: the HTML escaping that protects RAG's prompt leaks into its answers
    ("Settings &gt; Data &gt; Export workspace", "settings > data > export workspace"),
    ("Pro&nbsp;is\u200b $29.00 or $29.0", "pro is $29 or $29"),
    ("17 percent off; a 14-day window; fourteen days; two weeks", "17% off; a 14 day window; 14 day; 2 week"),
])
def test_normalize(text, expected):
    assert normalize(text) == expected


@pytest.mark.parametrize("answer, fact, found", [
    ("Pro is $29 per month.", "$29/month", True),
    ("Pro is **$29**/month.", "$29 per month", True),
    ("You get 5GB.", "5 GB", True),
    ("Enterprise: 3000 requests per minute", "3,000 requests per minute", True),
    ("Go to Settings → Export → Download All", "Settings > Export > Download All", True),
    ("Basic costs $90/year.", "$9", False),         # a number matches whole
    ("Basic costs $9.50.", "$9", False),
    ("Basic costs $9.", "$9", True),                 # a full stop after the number is fine
    ("Up to 13 team members.", "3 team members", False),
    ("Uptime is 99.9%.", "99.9%", True),
    ("We process it on Pro.", "pro", True),          # words match whole too
    ("We process it.", "pro", False),
    ("Discounts cannot be stacked.", "stack", True),  # an inflection is the same word
    ("Then SSO is enforced.", "enforce", True),
    ("Refunds within 14 days.", "14-day", True),
])
def test_has_fact(answer, fact, found):
    assert has_fact(answer, fact) is found


def test_key_fact_score_and_missing_facts():
    answer = "Refunds are full within 14 days of a charge."
    assert key_fact_score(answer, ["14 days", "original payment method"]) == 0.5
    assert missing_facts(answer, ["14 days", "original payment method"]) == ["original payment method"]
    assert key_fact_score(answer, []) == 1.0
    assert key_fact_score("", ["14 days"]) == 0.0


def test_every_gold_answer_scores_one_and_only_unanswerables_refuse():
    for item in load_eval("all"):
        if item.answerable:
            assert key_fact_score(item.answer, item.key_facts) == 1.0, item.id
            assert not is_refusal(item.answer), item.id
        else:
            assert is_refusal(item.answer), item.id
        if item.updated_answer:
            assert key_fact_score(item.updated_answer, item.updated_key_facts) == 1.0, item.id


def test_every_gold_answer_is_correct_and_invents_nothing_against_its_knowledge_base():
    gold = {item.id: item for item in load_eval("all")}
    current = run_eval(gold.values(), lambda item: item.answer)
    updated = run_eval([i for i in gold.values() if i.updated_answer], lambda item: item.updated_answer,
                       facts="updated")
    for record in current.records + updated.records:
        assert record.correct and not record.hallucinated, (record.id, record.contradicted, record.unsupported)


# ---------------------------------------------------------------------------------------------- issue 20's cases
def test_an_escaped_menu_path_scores_as_the_path():
    """RAG's correct post-update answer "Settings &gt; Data &gt; Export workspace" scored 0 (freshness 50%)."""
    item = next(i for i in load_eval("dev") if i.id == "q102")
    answer = "Go to Settings &gt; Data &gt; Export workspace [data-export]."
    assert key_fact_score(answer, item.updated_key_facts) == 1.0
    record = run_eval([item], lambda item: answer, facts="updated").records[0]
    assert record.correct and record.missing == [] and not record.hallucinated


ISSUE_ANSWER = ("You pay $9/month for 10 months and $29/month for 2 years, which works out to about 17% off\u2026 "
                "approximately $46.50 per month overall.")


def test_a_right_value_beside_a_competing_one_is_not_correct():
    """The issue's "$9/month for 10 months and $29/month for 2 years... approximately $46.50" counted as correct."""
    item = next(i for i in load_eval("dev") if i.id == "q041")  # key facts: 10 months, 17%
    assert key_fact_score(ISSUE_ANSWER, item.key_facts) == 1.0  # every key fact is there...
    record = run_eval([item], lambda item: ISSUE_ANSWER).records[0]
    assert record.contradicted == ["2 year"]                   # ...beside a second billing term
    assert not record.correct and run_eval([item], lambda item: ISSUE_ANSWER).summary.accuracy == 0.0
    assert record.hallucinated and "$46.50" in record.unsupported


@pytest.mark.parametrize("answer, key_facts, allowed, expected", [
    (ISSUE_ANSWER, ["10 months", "17%"], "", ["2 year"]),
    ("You pay for 10 months and get 12 months.", ["10 months"], "You pay for 10 months and get 12", []),
    ("You pay for 10 months and get 12 months.", ["10 months"], "", ["12 month"]),  # 12 is allowed only by the gold
    ("Basic costs $9 per month, or $90 per year.", ["$9"], "", []),              # another rate: another quantity
    ("Basic costs $9 per month and Pro $29 per month.", ["$9"], "", []),           # a name between: Pro's price
    ("Basic costs $9 per month or $29 per month.", ["$9"], "", ["$29 per month"]),
    ("Pro keeps history for 180 days, and Basic for 30 days.", ["180 days"], "", []),
    ("The Pro plan costs $29/month, while the Pro plan is $49/month.", ["$29"], "", ["$49 per month"]),
    ("Exports over 100 GB take a day and arrive as 10 GB parts.", ["100 GB"], "", ["10gb"]),  # documented limit
    ("Basic costs $9 per month. Pro costs $29 per month.", ["$9"], "", []),          # other sentence
    ("Exports over 100 GB take up to 24 hours, or 2 days.", ["100 GB", "24 hours"], "", ["2 day"]),
    ("Exports over 100 GB take up to 24 hours, i.e. 1 day.", ["24 hours"], "", []),  # the same duration
    ("A full refund within 14 days.", ["full refund"], "", []),                     # no quantity to compete
    ("Refunds within 30 days, not 14 days.", ["14 days"], "", ["30 day"]),
    ("Pro is $29 per month.", ["$35"], "", []),                                     # a missing fact is just missing
])
def test_contradictions(answer, key_facts, allowed, expected):
    assert contradictions(answer, key_facts, allowed) == expected


def test_hallucination_is_judged_against_the_same_knowledge_base_for_every_strategy():
    """Prompt-only scored 0.00 hallucination on a run where it invented "a Linux desktop app called Acme
    Workspace": each strategy was checked against what it was shown (three documents for prompt-only, the whole
    knowledge base for fine-tuned), and the claims had no kind for an invented product."""
    items = {i.id: i for i in load_eval("dev") if i.id in ("q121", "q095")}
    shown = {"prompt-only": "AcmeCorp makes Acme Workspace. Webhooks send an HTTP POST. Changelog: 2026-06-01.",
             "fine-tuned": "\n".join(d.text for d in load_docs())}
    answers = {"q121": "Yes! AcmeCorp offers a Linux desktop app called Acme Workspace, which you can download.",
               "q095": "Pro costs $29 per month per workspace."}  # true, but not in prompt-only's three documents
    runs = {name: run_eval(items.values(), lambda item, e=e: Reply(answers[item.id], evidence=e))
            for name, e in shown.items()}
    for run in runs.values():  # the same evidence for every strategy: the same verdict on the same answer
        pro, linux = run.records  # dev order: q095, q121
        assert linux.unsupported == ["linux app"] and linux.hallucinated
        assert pro.unsupported == [] and not pro.hallucinated
        assert run.summary.hallucination_rate == 0.5
    # the per-strategy check is kept under its own name; against three documents the true price "is invented"
    assert [r.hallucinated_shown for r in runs["prompt-only"].records] == [True, True]
    assert [r.hallucinated_shown for r in runs["fine-tuned"].records] == [False, True]
    assert runs["prompt-only"].summary.hallucination_rate_shown == 1.0
    denied = "No, there is no Linux desktop app; Linux users can use the API."
    assert not run_eval([items["q121"]], lambda item: denied).records[0].hallucinated


def test_the_knowledge_base_of_the_freshness_rerun_is_the_updated_one():
    item = next(i for i in load_eval("dev") if i.id == "q095")
    answer = "Pro costs $35 per month per workspace."
    assert run_eval([item], lambda item: answer).records[0].unsupported == ["$35"]
    assert run_eval([item], lambda item: answer, facts="updated").records[0].unsupported == []
    assert run_eval([item], lambda item: answer, kb="Pro: $35/month").records[0].unsupported == []


@pytest.mark.parametrize("text", [
    "I don't know based on the documentation.",   # labkit.rag's fixed refusal
    "I do not know.",
    ESCALATION_REPLY,
    "I'm not sure; let me escalate this to a human agent.",
    "That is not covered in the documentation.",
    "The documentation doesn\u2019t mention a Linux app.",
    "I don't have that information.",
])
def test_is_refusal_recognises_declines_and_escalations(text):
    assert is_refusal(text)


@pytest.mark.parametrize("text", [
    "Pro costs $29/month.",
    "Yes, you can get a full refund within 14 days.",
    "I know the answer: 50 GB.",
    "",
])
def test_is_refusal_leaves_answers_alone(text):
    assert not is_refusal(text)


def test_format_ok():
    assert format_ok("Pro costs $29/month.")
    assert not format_ok("   ")
    assert format_ok("one two three", max_words=3) and not format_ok("one two three four", max_words=3)
    good = '{"answer": "Yes.", "escalate": false}'
    assert format_ok(good, parser=parse_json_reply)
    assert not format_ok('{"answer": "Yes."}', parser=parse_json_reply)


def _item(id_: str, answerable: bool, key_facts: list[str], category: str = "factual", **kw) -> EvalItem:
    return EvalItem(id=id_, question=f"question {id_}?", answer="", key_facts=key_facts, sources=[],
                    category=category if answerable else "unanswerable", difficulty="easy",
                    answerable=answerable, split="dev", **kw)


ITEMS = [
    _item("a", True, ["$29"]),
    _item("b", True, ["14 days", "full refund"]),
    _item("c", True, ["Settings > Export > Download All"],
          updated_key_facts=["Settings > Data > Export workspace"]),
    _item("d", False, []),
    _item("e", False, []),
]
ANSWERS = {
    "a": Reply("Pro costs $29/month.", 100, 10),
    "b": Reply("You get a full refund within 14 days.", 200, 20),
    "c": Reply(ESCALATION_REPLY, 300, 30),                      # answerable, but refused
    "d": Reply("I don't know based on the documentation.", 400, 40),
    "e": Reply("Yes, a Linux app ships next month! " * 10, 500, 50),  # invented, and too long
}


def test_run_eval_records_and_summary():
    run = run_eval(ITEMS, lambda item: ANSWERS[item.id], format_check=lambda t: format_ok(t, max_words=20))
    assert isinstance(run, EvalRun) and [r.id for r in run.records] == ["a", "b", "c", "d", "e"]
    a, b, c, d, e = run.records
    assert (a.key_fact_score, b.key_fact_score, c.key_fact_score) == (1.0, 1.0, 0.0)
    assert c.missing == ["Settings > Export > Download All"] and c.refused and c.correct_refusal is None
    assert d.refused and d.correct_refusal is True and d.correct
    assert not e.refused and e.correct_refusal is False and not e.correct and not e.format_ok
    assert a.cost_usd == pytest.approx(costs.cost_per_query("claude-sonnet-4-6", 100, 10))
    assert all(r.latency_ms >= 0 for r in run.records)
    s = run.summary
    assert (s.n, s.n_answerable, s.n_unanswerable) == (5, 3, 2)
    assert s.accuracy == pytest.approx(2 / 3) and s.mean_key_fact_score == pytest.approx(2 / 3)
    assert s.refusal_correct == 0.5 and s.false_refusal == pytest.approx(1 / 3)
    assert s.format_ok == 0.8
    assert s.mean_input_tokens == 300 and s.mean_output_tokens == 30
    assert s.cost_per_query == pytest.approx(costs.cost_per_query("claude-sonnet-4-6", 300, 30))
    assert s.price_model == "claude-sonnet-4-6" and s.as_dict()["n"] == 5


def test_run_eval_accepts_strings_messages_and_other_prices(local_client):
    run = run_eval(ITEMS[:1], lambda item: "Pro costs $29/month.", price_model="claude-haiku-4-5")
    assert run.records[0].key_fact_score == 1.0 and run.records[0].cost_usd == 0.0
    message = local_client.messages.create(model="claude-sonnet-4-6", max_tokens=5,
                                           messages=[{"role": "user", "content": "Say hi."}])
    run = run_eval(ITEMS[:1], lambda item: message, price_model="claude-haiku-4-5")
    record = run.records[0]
    assert record.answer == message.content[0].text
    usage = message.usage
    assert (record.input_tokens, record.output_tokens) == (usage.input_tokens, usage.output_tokens)
    # the cost without caching prices every prompt token, also those the engine read from its prefix cache
    assert record.cost_usd == pytest.approx(costs.cost_per_query("claude-haiku-4-5", record.prompt_tokens,
                                                                 record.output_tokens))
    with pytest.raises(TypeError, match="return a str"):
        run_eval(ITEMS[:1], lambda item: 42)


def test_run_eval_scores_freshness_against_updated_facts():
    answer = {"c": Reply("Go to Settings > Data > Export workspace.")}
    current = run_eval(ITEMS[2:3], lambda item: answer[item.id])
    updated = run_eval(ITEMS[2:3], lambda item: answer[item.id], facts="updated")
    assert current.records[0].key_fact_score == 0.0 and updated.records[0].key_fact_score == 1.0


def test_summary_rates_are_nan_without_questions_of_that_kind():
    run = run_eval(ITEMS[:1], lambda item: ANSWERS["a"])
    assert math.isnan(run.summary.refusal_correct) and run.summary.accuracy == 1.0
    assert math.isnan(evaluate.percentile([], 50)) and evaluate.percentile([1, 2, 3, 10], 50) == 2.5


def test_comparison_rows_and_table():
    runs = {"v1": run_eval(ITEMS, lambda item: ANSWERS[item.id]),
            "v2": run_eval(ITEMS, lambda item: Reply("I don't know.", 1000, 5))}
    rows = comparison_rows(runs)
    assert [r["version"] for r in rows] == ["v1", "v2"]
    assert list(rows[0]) == ["version"] + [c[0] for c in evaluate.TABLE_COLUMNS]
    assert rows[1]["refusal"] == 1.0 and rows[1]["accuracy"] == 0.0
    per_million = costs.cost_per_million_queries("claude-sonnet-4-6", 1000, 5)
    assert rows[1]["$/1M queries"] == pytest.approx(per_million)
    table = format_table(rows)
    lines = table.splitlines()
    assert len(lines) == 4 and lines[0].startswith("| version | accuracy |")
    assert "| v2 | 0.00 | 1.00 |" in lines[3] and "3,075" in lines[3]
    assert format_table([]) == "(no rows)"
    assert format_table([{"kb": 1, "x": 0.5}], {"x": "{:.0%}"}) == "| kb | x |\n|---|---|\n| 1 | 50% |"


def test_cache_tokens_are_read_from_the_usage_and_priced_both_ways():
    from anthropic.types import Message, TextBlock, Usage

    message = Message(id="msg_1", type="message", role="assistant", model="claude-sonnet-4-6",
                      content=[TextBlock(type="text", text="Pro costs $29/month.")], stop_reason="end_turn",
                      stop_sequence=None, usage=Usage(input_tokens=20, output_tokens=10,
                                                      cache_read_input_tokens=4980, cache_creation_input_tokens=0))
    reply = as_reply(message)
    assert (reply.input_tokens, reply.cache_read_input_tokens, reply.cache_creation_input_tokens) == (20, 4980, 0)
    record = run_eval(ITEMS[:1], lambda item: message).records[0]
    assert record.prompt_tokens == 5000
    assert record.cost_usd == pytest.approx(costs.cost_per_query("claude-sonnet-4-6", 5000, 10))  # no caching
    assert record.cost_cached_usd == pytest.approx((20 * 3 + 4980 * 0.30 + 10 * 15) / 1e6)
    s = run_eval(ITEMS[:1], lambda item: message).summary
    assert s.mean_cache_read_tokens == 4980 and s.cost_per_query_cached < s.cost_per_query
