"""The LLM judge (labkit.judge): the extra hallucination check of module 4, Claude only.

Claude cannot be reached here, so the judge is driven through the real anthropic SDK against a scripted
Messages API server (an in-process httpx2 transport, the same mechanism as labkit.llm's local backend): the
tests see the exact request the SDK sends and feed it the replies Claude could give, good and bad.
"""

from __future__ import annotations

import json

import anthropic
import httpx2
import pytest

from labkit.cli import main
from labkit.data import EvalItem
from labkit.evaluate import JUDGE_COLUMNS, Reply, comparison_rows, format_table, run_eval
from labkit.judge import JUDGE_SYSTEM, JudgeError, JudgeNeedsClaude, judge_answer, make_judge, parse_verdict
from labkit.models import FAST_MODEL


def _item(id_: str, question: str, key_facts: list[str], answerable: bool = True) -> EvalItem:
    return EvalItem(id=id_, question=question, answer="", key_facts=key_facts, sources=[], difficulty="easy",
                    category="factual" if answerable else "unanswerable", answerable=answerable, split="dev")


class ScriptedClaude:
    """A Messages API server that answers each POST /v1/messages with the next scripted text."""

    def __init__(self, *texts: str):
        self.texts = list(texts)
        self.requests: list[dict] = []
        self.usage: dict = {}  # extra usage fields, e.g. cache reads

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        assert request.url.path == "/v1/messages"
        body = json.loads(request.content)
        self.requests.append(body)
        text = self.texts.pop(0)
        return httpx2.Response(200, json={
            "id": f"msg_{len(self.requests)}", "type": "message", "role": "assistant", "model": body["model"],
            "content": [{"type": "text", "text": text}], "stop_reason": "end_turn", "stop_sequence": None,
            "usage": {"input_tokens": 100 + len(self.requests), "output_tokens": 7, **self.usage}})

    def client(self) -> anthropic.Anthropic:
        return anthropic.Anthropic(api_key="test", base_url="http://claude.test", max_retries=0,
                                   http_client=httpx2.Client(transport=httpx2.MockTransport(self),
                                                             base_url="http://claude.test"))


def test_judge_sends_evidence_question_and_answer_and_reads_the_verdict():
    server = ScriptedClaude('{"unsupported": ["Refunds are available for any reason."]}')
    verdict = judge_answer(server.client(), "Can I get a refund?", "Refunds within 14 days [billing].",
                           "Yes, refunds are available for any reason.")
    assert verdict.unsupported == ["Refunds are available for any reason."]
    assert verdict.hallucinated and (verdict.input_tokens, verdict.output_tokens) == (101, 7)
    sent = server.requests[0]
    assert sent["model"] == FAST_MODEL and sent["system"][0] == {"type": "text", "text": JUDGE_SYSTEM}
    # the evidence (the knowledge base in run_eval) is its own system block, marked for prompt caching
    assert sent["system"][1] == {"type": "text", "text": "<evidence>\nRefunds within 14 days [billing].\n</evidence>",
                                 "cache_control": {"type": "ephemeral"}}
    content = sent["messages"][0]["content"]
    assert "Can I get a refund?" in content and "Refunds within 14 days" not in content
    assert "<answer>\nYes, refunds are available for any reason.\n</answer>" in content


@pytest.mark.parametrize("text, expected", [
    ('{"unsupported": []}', []),
    ('```json\n{"unsupported": ["$35 per month", "  "]}\n```', ["$35 per month"]),
])
def test_parse_verdict_accepts_json_and_a_fence(text, expected):
    assert parse_verdict(text) == expected


@pytest.mark.parametrize("text, message", [
    ("Everything is supported.", "not JSON"),
    ('{"unsupported": "none"}', 'no "unsupported" list'),
    ('["a"]', 'no "unsupported" list'),
])
def test_a_reply_that_is_not_the_asked_json_is_a_judge_error_quoting_it(text, message):
    with pytest.raises(JudgeError, match=message) as info:
        parse_verdict(text)
    assert text[:20] in str(info.value)


def test_run_eval_reports_the_judge_beside_the_deterministic_check():
    items = [_item("q1", "Pro price?", ["$29"]), _item("q2", "Refund window?", ["14 days"]),
             _item("q3", "Moon base?", [], answerable=False)]
    answers = {"q1": "Pro is $29 per month.", "q2": "Refunds within 14 days, for any reason.",
               "q3": "I don't know based on the documentation."}
    evidence = "Pro costs $29 per month. Refunds within 14 days."
    # The judge is called for q1 and q2 only (q3 refused): q1 supported, q2 has a worded invention.
    server = ScriptedClaude('{"unsupported": []}', '{"unsupported": ["for any reason"]}')
    run = run_eval(items, lambda item: Reply(answers[item.id], evidence=evidence), judge=make_judge(server.client()))
    assert len(server.requests) == 2
    # the judge reads the knowledge base (the same for every strategy), not what the strategy was shown
    judged = [r["system"][1]["text"] for r in server.requests]
    assert judged[0] == judged[1] and "# The Pro plan [plan-pro]" in judged[0] and evidence not in judged[0]
    assert [r.judge_unsupported for r in run.records] == [[], ["for any reason"], []]
    # The deterministic check finds no claim to fault in q2 ("14" is in the evidence): the two disagree once.
    assert [r.hallucinated for r in run.records] == [False, False, False]
    assert run.summary.judge_hallucination_rate == pytest.approx(1 / 3)
    assert run.summary.judge_agreement == pytest.approx(2 / 3)
    table = format_table(comparison_rows({"rag": run}, label="strategy", columns=JUDGE_COLUMNS))
    assert "| rag | 0.33 | 0.67 |" in table


def test_without_a_judge_the_judge_rates_are_not_measured():
    run = run_eval([_item("q1", "Pro price?", ["$29"])], lambda item: Reply("$29", evidence="$29"))
    assert run.records[0].judge_unsupported is None
    assert "n/a | n/a" in format_table(comparison_rows({"rag": run}, label="strategy", columns=JUDGE_COLUMNS))


def test_make_judge_refuses_the_local_model(monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with pytest.raises(JudgeNeedsClaude, match="ANTHROPIC_API_KEY"):
        make_judge()


def test_compare_judge_offline_stops_before_answering_anything(monkeypatch, capsys):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    assert main(["compare", "--judge", "--limit", "1", "--strategies", "prompt-only"]) == 2
    err = capsys.readouterr().err
    assert "labkit compare: the LLM judge runs only with Claude: set ANTHROPIC_API_KEY" in err
    assert "strategies x" not in err


def test_the_judge_reports_cache_reads_and_is_calibrated_against_the_labels():
    from labkit.calibration import agreement, calibrate, judge_hallucination, load_labels

    rows = [r for r in load_labels() if r.id in ("h001", "h002", "h031", "h032", "h069")]  # h069 refuses
    server = ScriptedClaude('{"unsupported": []}', '{"unsupported": ["$12 per month"]}', '{"unsupported": []}',
                            '{"unsupported": []}')
    got = calibrate(judge_hallucination(make_judge(server.client())), rows)
    assert len(server.requests) == 4  # the refusal is not judged, as in run_eval
    # the scripted judge misses h032's worded invention ("online 24/7 for every plan"): 1 of 2 found
    assert got == agreement([False, True, False, False, False], [r.hallucinated for r in rows])
    assert (got.tp, got.fn, got.precision, got.recall) == (1, 1, 1.0, 0.5)
    cached = ScriptedClaude('{"unsupported": []}')
    cached.usage = {"cache_read_input_tokens": 15000, "cache_creation_input_tokens": 0}
    verdict = judge_answer(cached.client(), "q", "the knowledge base", "a")
    assert (verdict.input_tokens, verdict.cache_read_input_tokens) == (101, 15000)
