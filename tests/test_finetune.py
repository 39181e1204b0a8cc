"""labkit.finetune: validation (every kind, line numbers), cleaning, statistics, costs, exporters, CLI.

The raw ticket file is checked against its answer key (tickets_raw.defects.json) and its data card:
each documented defect must be reported on exactly the listed lines, under the kind mapped below.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from labkit import finetune as ft
from labkit.costs import UnknownModelPrice
from labkit.engine import EngineError

ROOT = Path(__file__).parents[1]
TICKETS = ROOT / "shared/labkit/data/tickets"
RAW, CLEAN = TICKETS / "tickets_raw.jsonl", TICKETS / "tickets.jsonl"
MANIFEST = json.loads((TICKETS / "tickets_raw.defects.json").read_text(encoding="utf-8"))
CARD_RAW = ROOT / "shared/labkit/data/cards/tickets_raw.md"
LABKIT = ROOT / ".venv/bin/labkit"

# The data card's defect names -> the validator's kinds.
CARD_TO_KIND = {
    "exact_duplicate": "duplicate", "near_duplicate": "near_duplicate", "pii_email": "pii_email",
    "pii_phone": "pii_phone", "pii_card": "pii_card", "malformed_json": "invalid_json",
    "wrong_role": "unknown_role", "missing_role": "missing_role", "empty_content": "empty_content",
    "overlong": "over_token_limit", "wrong_format": "wrong_format",
}

SYSTEM = {"role": "system", "content": "You are AcmeCorp support."}
REPLY = ("1. Diagnosis: The reset link expired after one hour.\n2. Solution:\n   1) Request a new link.\n"
         "   2) Open it within the hour.\n3. Prevention: Use the link right away.\n"
         "Source: [troubleshooting-login] Reset")


def chat(user: str = "My password reset link does not work.", reply: str = REPLY,
         system: bool = True) -> dict:
    return {"messages": ([SYSTEM] if system else []) + [{"role": "user", "content": user},
                                                        {"role": "assistant", "content": reply}]}


GOOD = chat()


def write(tmp_path: Path, rows: list, name: str = "data.jsonl") -> Path:
    """Rows as JSONL: dicts are dumped, strings written as they are."""
    path = tmp_path / name
    text = "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows)
    path.write_text(text, encoding="utf-8")
    return path


def kinds_on(report: ft.Report, line: int, severity: str | None = None) -> set[str]:
    return {p.kind for p in report.problems if p.line == line and severity in (None, p.severity)}


@pytest.fixture(autouse=True)
def _offline_counter(monkeypatch):
    """counter="auto" must mean the local tokenizer in tests, whatever the environment holds."""
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)


@pytest.fixture(scope="module")
def raw_report() -> ft.Report:
    return ft.validate(RAW, format=ft.support_format, counter="local")


# -------------------------------------------------------------------------------- every error kind
def _msgs(*pairs) -> dict:
    return {"messages": [{"role": r, "content": c} for r, c in pairs]}


ERROR_CASES = {
    "invalid_json": '{"messages": [{"role": "user", "content": "hi"}',
    "not_an_object": "[1, 2, 3]",
    "missing_messages": {},
    "messages_not_a_list": {"messages": "hello"},
    "empty_messages": {"messages": []},
    "message_not_an_object": {"messages": [SYSTEM, "hello", {"role": "assistant", "content": REPLY}]},
    "missing_role": {"messages": [SYSTEM, {"content": "hi"}, {"role": "assistant", "content": REPLY}]},
    "unknown_role": {"messages": [SYSTEM, {"role": "user", "content": "hi"},
                                  {"role": "Assistant ", "content": REPLY}]},
    "missing_content": {"messages": [SYSTEM, {"role": "user"}, {"role": "assistant", "content": REPLY}]},
    "content_not_a_string": {"messages": [SYSTEM,
                                          {"role": "user", "content": [{"type": "text", "text": "hi"}]},
                                          {"role": "assistant", "content": REPLY}]},
    "empty_content": _msgs(("system", "s"), ("user", " \n\t"), ("assistant", REPLY)),
    "system_not_first": _msgs(("user", "a"), ("assistant", REPLY), ("system", "s"), ("user", "b"),
                              ("assistant", REPLY)),
    "roles_not_alternating": _msgs(("system", "s"), ("user", "a"), ("user", "b"), ("assistant", REPLY)),
    "last_not_assistant": _msgs(("system", "s"), ("user", "a"), ("assistant", REPLY), ("user", "b")),
    "no_assistant": _msgs(("system", "s"), ("user", "a")),
    "unexpected_key": {**GOOD, "id": 7},
}


@pytest.mark.parametrize("kind", list(ERROR_CASES))
def test_each_error_kind_is_reported_on_its_line(tmp_path, kind):
    path = write(tmp_path, [GOOD, ERROR_CASES[kind], GOOD | {}])
    report = ft.validate(path, counter="estimate", duplicates=False)
    assert kinds_on(report, 2, "error") == {kind}, report.details()
    assert not kinds_on(report, 1) and not kinds_on(report, 3)
    assert report.n_lines == 3 and report.n_valid == 2 and not report.ok
    assert report.counts[kind] == 1 and set(ft.ERRORS) >= {kind}


def test_unexpected_key_inside_a_message(tmp_path):
    bad = {"messages": [SYSTEM, {"role": "user", "content": "hi", "tone": "angry"},
                        {"role": "assistant", "content": REPLY}]}
    report = ft.validate(write(tmp_path, [bad]), counter="estimate")
    assert kinds_on(report, 1) == {"unexpected_key"}
    assert "messages[1]" in report.problems[0].message and "'tone'" in report.problems[0].message


def test_over_token_limit_uses_the_counter_and_the_limit(tmp_path):
    long = chat(user="logs " * 400)
    path = write(tmp_path, [GOOD, long])
    report = ft.validate(path, max_tokens=300, counter="local")
    assert report.lines_with("over_token_limit") == [2]
    assert report.tokens[1] < 300 < report.tokens[2]
    assert report.counter.startswith("local model") and "300" in report.problems[0].message
    assert ft.validate(path, max_tokens=10_000, counter="local").ok


def test_validation_never_stops_at_the_first_error(tmp_path):
    rows = [ERROR_CASES[k] for k in ERROR_CASES] + [GOOD]
    report = ft.validate(write(tmp_path, rows), counter="estimate", duplicates=False)
    assert [report.lines_with(k) for k in ERROR_CASES] == [[i] for i in range(1, len(ERROR_CASES) + 1)]
    assert report.n_lines == len(rows) and report.n_valid == 1


def test_a_line_that_is_not_utf8_is_one_problem_not_a_crash(tmp_path):
    path = tmp_path / "mixed.jsonl"
    good = json.dumps(GOOD).encode() + b"\n"
    path.write_bytes(good + b'{"messages": "\xff\xfe"}\n' + good)
    report = ft.validate(path, counter="estimate", duplicates=False)
    assert report.lines_with("invalid_json") == [2] and "UTF-8" in report.problems[0].message
    assert report.n_valid == 2


# --------------------------------------------------------------------------------------- warnings
def test_warnings_do_not_make_a_file_fail(tmp_path):
    rows = [
        GOOD,
        "",                                                                   # 2 blank_line
        GOOD,                                                                 # 3 duplicate of 1
        chat(user="MY password reset link,  does NOT work!!"),                # 4 near_duplicate of 1
        chat(user="My password reset link does not load."),                  # 5 one word apart: near of 1
        chat(user="Why was I charged twice? Mail me at a.b@example.com"),     # 6 pii_email
        chat(user="Call me on +1 415 555 0199 about the export"),             # 7 pii_phone
        chat(user="I paid with 4111-1111-1111-1111 and it failed"),           # 8 pii_card
        chat(user="How do I export my data?", reply="Just click export."),    # 9 wrong_format
        chat(user="Can I change plan mid-cycle?", system=False),              # 10 no_system
    ]
    report = ft.validate(write(tmp_path, rows), format=ft.support_format, counter="estimate")
    expected = {2: "blank_line", 3: "duplicate", 4: "near_duplicate", 5: "near_duplicate", 6: "pii_email",
                7: "pii_phone", 8: "pii_card", 9: "wrong_format", 10: "no_system"}
    assert {line: kinds_on(report, line) for line in expected} == {k: {v} for k, v in expected.items()}
    assert report.ok and all(p.severity == "warning" for p in report.problems)
    assert report.n_valid == len(rows) - 1  # the blank line is not an example
    assert "of line 1" in next(p.message for p in report.problems if p.line == 4)
    # format checking is optional: without format= the validator stays general
    assert not ft.validate(write(tmp_path, rows), counter="estimate").lines_with("wrong_format")


def test_two_words_changed_is_not_a_near_duplicate_and_empty_user_texts_are_never_grouped(tmp_path):
    rows = [GOOD, chat(user="My password reset email does not arrive."),
            _msgs(("user", "   "), ("assistant", REPLY)), _msgs(("user", ""), ("assistant", REPLY))]
    report = ft.validate(write(tmp_path, rows), counter="estimate")
    assert not report.lines_with("near_duplicate") and not report.lines_with("duplicate")


def test_support_format_explains_what_is_wrong():
    assert ft.support_format(REPLY) is None
    assert "Diagnosis" in ft.support_format("Sure! Reset it.")
    assert "Source" in ft.support_format(REPLY.rsplit("\n", 1)[0])
    assert "steps" in ft.support_format(REPLY.replace("   2) ", "   3) "))



def test_reply_max_tokens_fits_every_trained_reply():
    """The fine-tuned strategies and evaluate_format cap replies at REPLY_MAX_TOKENS: a cap below the trained
    replies' length cuts off Prevention and Source, and the format check then measures the cap, not the model."""
    from transformers import AutoTokenizer

    from labkit.data import load_tickets
    from labkit.engine import model_path
    from labkit.finetune.reply_format import REPLY_MAX_TOKENS

    gguf = model_path()
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)  # the course model's vocabulary
    longest = max(len(tokenizer(t["messages"][-1]["content"])["input_ids"]) for t in load_tickets())
    assert 140 < longest < REPLY_MAX_TOKENS
    from labkit.adapters import FORMAT
    from labkit.strategies import FineTuned, Hybrid, PromptFormat

    assert Hybrid.max_tokens == PromptFormat.max_tokens == REPLY_MAX_TOKENS
    assert FineTuned(client=object(), adapter=FORMAT).max_tokens == REPLY_MAX_TOKENS


# --------------------------------------------------------------------------- report presentation
def test_report_table_json_and_details(raw_report):
    text = str(raw_report)
    assert text.startswith("tickets_raw.jsonl: 282 lines, 259 valid examples, 23 lines with errors")
    assert re.search(r"error\s+invalid_json\s+6\s+8, 29, 78, 184, 213, 239", text)
    assert "counted with local model" in text
    data = json.loads(json.dumps(raw_report.to_dict()))
    assert data["counts"] == raw_report.counts and data["ok"] is False and len(data["problems"]) == 74
    assert raw_report.details().splitlines()[0].startswith("line     4  warning  pii_phone")


# ---------------------------------------------------------------------- the course's ticket files
def card_counts() -> dict[str, int]:
    card = CARD_RAW.read_text(encoding="utf-8")
    return {name: int(n) for name, n in re.findall(r"^\| *`([a-z_]+)` *\| *(\d+) *\|", card, re.MULTILINE)}


@pytest.mark.parametrize("defect", list(CARD_TO_KIND))
def test_raw_tickets_every_documented_defect_on_its_lines(raw_report, defect):
    listed = sorted(e["line"] for e in MANIFEST["lines"] if e["defect"] == defect)
    assert raw_report.lines_with(CARD_TO_KIND[defect]) == listed
    assert raw_report.counts[CARD_TO_KIND[defect]] == MANIFEST["counts"][defect] == card_counts()[defect]


def test_raw_tickets_nothing_else_is_reported(raw_report):
    assert set(raw_report.counts) == set(CARD_TO_KIND.values())
    assert sum(raw_report.counts.values()) == len(MANIFEST["lines"]) == 74  # one problem kind per line
    assert raw_report.n_lines == 282 and raw_report.n_valid == 282 - 23


def test_raw_tickets_duplicates_point_at_the_manifest_originals():
    parsed = []
    for n, text in ft.read_lines(RAW):
        try:
            parsed.append(ft.Example(json.loads(text)["messages"], n))
        except json.JSONDecodeError:
            continue
    found = {(d.line, d.of, d.kind) for d in ft.find_duplicates(parsed)}
    expected = {(e["line"], e["of"], "exact" if e["defect"] == "exact_duplicate" else "near")
                for e in MANIFEST["lines"] if "of" in e}
    assert found == expected


def test_clean_tickets_have_no_problems_at_all():
    report = ft.validate(CLEAN, format=ft.support_format, counter="local")
    assert report.ok and report.problems == [] and report.n_valid == report.n_lines == 390
    assert str(report).endswith("no problems found")


# ------------------------------------------------------------------------------------ token counters
def test_local_counter_is_the_engines_own_count(local_client):
    """The local count is llama.cpp's count_tokens for the course model: the chat template included (a
    conversation without a system message gets Qwen's default one), so it is what the model reads."""
    counter = ft.local_counter(local_client)
    hello = [{"role": "user", "content": "Hello there, my invoice is wrong!"}]
    with_system = [{"role": "system", "content": "Be brief."}, *hello]
    assert counter.name.startswith("local model (qwen2.5-coder-0.5b")
    assert counter(hello) == local_client.messages.count_tokens(model="claude-sonnet-4-6", messages=hello).input_tokens
    assert 10 < counter(with_system) < counter(hello)  # "Be brief." is shorter than Qwen's default system prompt
    assert ft.token_counts([GOOD], counter) == [counter(GOOD["messages"])]


def test_claude_counter_calls_count_tokens(local_client):
    """The Claude path (system to system=, the rest to messages=), here answered by the local engine's
    count_tokens: the same request as the local counter makes."""
    counter = ft.claude_counter(client=local_client)
    assert counter.name.startswith("Claude count_tokens")
    assert counter(GOOD["messages"]) == ft.local_counter(local_client)(GOOD["messages"])


def test_counter_choice_and_fallback(monkeypatch):
    assert ft.get_counter("auto").name.startswith("local model")
    assert ft.get_counter("estimate").name.startswith("estimate")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test-not-used")
    monkeypatch.setattr("labkit.finetune.tokens.claude_counter", lambda: ft.TokenCounter("claude stub", len))
    assert ft.get_counter("auto").name == "claude stub"

    def broken(client=None):
        raise EngineError("no GGUF here")

    monkeypatch.setattr("labkit.finetune.tokens.local_counter", broken)
    fallback = ft.get_counter("local")
    assert fallback.name.startswith("estimate (words x 1.3)") and "no GGUF here" in fallback.name
    ten_words = "one two three four five six seven eight nine ten"
    assert fallback([{"role": "user", "content": ten_words}]) == 13 + 5
    with pytest.raises(ValueError, match="counter must be"):
        ft.get_counter("tiktoken")


# ----------------------------------------------------------------------------------------- cleaning
def test_dedupe_reports_what_it_dropped_and_why():
    rows = [GOOD, chat(user="How do I export?"), GOOD, chat(user="how do I export"),
            chat(user="How can we import data?"), chat(user="How can they import files?")]
    kept, report = ft.dedupe(rows)
    assert [ex.line for ex in kept] == [1, 2, 5, 6]  # first copies kept, in order; two words apart kept
    assert [(d.line, d.of, d.kind) for d in report.dropped] == [(3, 1, "exact"), (4, 2, "near")]
    assert report.counts == {"exact": 1, "near": 1} and report.n_in == 6 and report.n_out == 4
    assert "line 4: a near-duplicate" in str(report) and "of line 2" in str(report)


def test_scrub_pii_replaces_and_counts_per_type():
    rows = [chat(user="Mail a.b@example.com or c@example.org, call (020) 7946 0958, "
                      "card 4111 1111 1111 1111."),
            chat(user="Order 4111 1111 1111 1112 failed", reply=REPLY + " Write to support@acmecorp.example"),
            GOOD]
    scrubbed, report = ft.scrub_pii(rows)
    user = scrubbed[0].messages[1]["content"]
    assert user == "Mail [EMAIL] or [EMAIL], call [PHONE], card [CARD]."
    assert dict(report.counts) == {"email": 2, "phone": 1, "card": 1} and report.lines == {
        1: ["email", "email", "phone", "card"]}
    assert scrubbed[1].messages == rows[1]["messages"]  # not Luhn-valid, and replies are not scanned
    assert rows[0]["messages"][1]["content"].startswith("Mail a.b@")  # the input is not modified
    assert ft.luhn_ok("4111111111111111") and ft.luhn_ok("5555555555554444")
    assert not ft.luhn_ok("4111111111111112")
    assert ft.scrub_pii(rows, roles=("user", "assistant"))[1].counts["email"] == 3


def near_pairs_across(train: list[ft.Example], val: list[ft.Example]) -> list[tuple[int, int]]:
    from labkit.finetune.cleaning import near
    from labkit.finetune.examples import prompt_words

    return [(a.line, b.line) for a in train for b in val if near(prompt_words(a), prompt_words(b))]


def test_split_keeps_near_duplicate_groups_together():
    rows = []
    for i in range(30):  # 30 topics, each asked 1-3 times with tiny edits
        base = f"question {i} {i * 7} {i * 13} about billing"  # any two topics differ in 3 words
        variants = [base, base.upper() + "?", base.replace("about", "on")]
        rows += [chat(user=v) for v in variants[: 1 + i % 3]]
    train, val = ft.split(rows, val_fraction=0.2, seed=3)
    assert len(train) + len(val) == len(rows) and len(val) == round(len(rows) * 0.2)
    assert not near_pairs_across(train, val)
    assert sorted(ex.line for ex in train + val) == list(range(1, len(rows) + 1))
    assert ft.split(rows, val_fraction=0.2, seed=3) == (train, val)        # reproducible
    assert ft.split(rows, val_fraction=0.2, seed=4) != (train, val)        # and the seed matters
    assert [ex.line for ex in train] == sorted(ex.line for ex in train)  # file order kept
    with pytest.raises(ValueError, match="val_fraction"):
        ft.split(rows, val_fraction=1.5)


def test_clean_accounts_for_every_raw_line():
    result = ft.clean(RAW, format=ft.support_format, counter="local", seed=0)
    result.check_accounted()
    assert len(result.train) + len(result.val) + len(result.dropped) == 282
    dropped = {}
    for d in result.dropped:
        dropped[d.kind] = dropped.get(d.kind, 0) + 1
    expected = {CARD_TO_KIND[k]: n for k, n in MANIFEST["counts"].items() if not k.startswith("pii_")}
    assert dropped == expected
    assert dict(result.pii.counts) == {"email": 8, "phone": 6, "card": 5} and result.pii.n_changed == 19
    assert len(result.train) + len(result.val) == 282 - 74 + 19 and len(result.val) == round(227 * 0.1)
    for ex in result.train + result.val:
        assert not ft.find_pii(ex.messages[1]["content"]), ex.line
    assert not near_pairs_across(result.train, result.val)
    assert [s.name for s in result.steps] == ["read", "validate", "dedupe", "scrub_pii", "split"]
    assert "282 lines -> 204 train + 23 validation, 55 dropped" in str(result)


def test_cleaned_output_validates_clean(tmp_path):
    result = ft.clean(RAW, format=ft.support_format, counter="local")
    for name, part in (("train", result.train), ("val", result.val)):
        path = ft.write_jsonl(ft.to_openai(part), tmp_path / f"{name}.jsonl")
        report = ft.validate(path, format=ft.support_format, counter="local")
        assert report.problems == [], report.details()


# ------------------------------------------------------------------------------------ statistics
def test_token_statistics_are_numbers():
    stats = ft.describe([10, 20, 30, 40, 100])
    assert (stats.n, stats.total, stats.min, stats.max, stats.median, stats.mean) == (5, 200, 10, 100, 30, 40)
    assert stats.p5 <= 20 and stats.p95 >= 40
    edges, counts = ft.histogram([10, 20, 30, 40, 100], bins=3)
    assert edges == [10.0, 40.0, 70.0, 100.0] and counts == [3, 1, 1]
    with pytest.raises(ValueError, match="empty"):
        ft.describe([])


def test_training_cost_arithmetic():
    assert ft.estimate_training_cost(1_000_000, 3, 3.00) == pytest.approx(9.00)
    assert ft.estimate_training_cost(79_222, 3, 25.00) == pytest.approx(79_222 * 3 * 25 / 1e6)
    assert ft.estimate_training_cost(500_000, 4, 0.0) == 0
    assert ft.billable_tokens([100, 5000, 20_000], max_tokens=16_385) == 100 + 5000 + 16_385
    # OpenAI's default epochs, as estimated in its data-preparation notebook
    assert [ft.openai_default_epochs(n) for n in (5, 40, 390, 20_000)] == [20, 3, 3, 1]
    with pytest.raises(ValueError):
        ft.estimate_training_cost(-1, 3, 3.0)


def test_training_price_table_is_dated_and_sourced():
    table = ft.training_prices()
    assert {"gpt-4o-mini-2024-07-18", "local-lora"} <= set(table)
    for row in table.values():
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", row.as_of) and len(row.source) > 20
    assert ft.training_price("local-lora").training_usd_per_mtok == 0
    assert ft.training_price("gpt-4o-mini-2024-07-18").training_usd_per_mtok > 0
    with pytest.raises(UnknownModelPrice, match="training_prices.csv"):
        ft.training_price("gpt-imaginary")


def test_local_run_costs_nothing_but_minutes():
    result, run = ft.timed_run(sum, range(100_000), tokens=12_000)
    assert result == sum(range(100_000)) and run.usd == 0 and run.seconds > 0
    assert run.minutes == pytest.approx(run.seconds / 60) and run.tokens_per_second > 0
    assert ft.estimate_local_minutes(60_000, 2, tokens_per_second=100) == pytest.approx(20.0)
    with pytest.raises(ValueError, match="measure"):
        ft.estimate_local_minutes(1, 1, 0)


# ------------------------------------------------------------------------------------- exporters
TEXT = {"type": "string", "minLength": 1}
MESSAGE = {"type": "object", "required": ["role", "content"],
           "properties": {"role": {"enum": ["system", "user", "assistant"]}, "content": TEXT}}
OPENAI_SCHEMA = {  # platform.openai.com/docs/guides/fine-tuning: chat format
    "type": "object", "required": ["messages"], "additionalProperties": False,
    "properties": {"messages": {"type": "array", "minItems": 2, "items": {
        **MESSAGE, "additionalProperties": False,
        "properties": {**MESSAGE["properties"], "name": {"type": "string"}, "weight": {"enum": [0, 1]}}}}}}
TRL_SCHEMA = {  # huggingface.co/docs/trl/dataset_formats: conversational language modeling
    "type": "object", "required": ["messages"], "additionalProperties": False,
    "properties": {"messages": {"type": "array", "minItems": 1,
                                "items": {**MESSAGE, "additionalProperties": False}}}}
BEDROCK_SCHEMA = {  # Anthropic cookbook, "Finetuning Claude 3 Haiku on Bedrock"
    "type": "object", "required": ["messages"], "additionalProperties": False,
    "properties": {"system": {"type": "string"}, "messages": {"type": "array", "minItems": 2, "items": {
        "type": "object", "required": ["role", "content"], "additionalProperties": False,
        "properties": {"role": {"enum": ["user", "assistant"]}, "content": TEXT}}}}}


def check_bedrock(row: dict) -> None:
    jsonschema.validate(row, BEDROCK_SCHEMA)
    roles = [m["role"] for m in row["messages"]]  # user first, assistant last, alternating
    assert roles == ["user", "assistant"] * (len(roles) // 2), roles


MULTI_TURN = _msgs(("system", "s"), ("user", "a"), ("assistant", "b"), ("user", "c"), ("assistant", "d"))


def test_exports_match_their_published_schemas():
    tickets = [json.loads(t) for t in CLEAN.read_text(encoding="utf-8").splitlines()]
    rows = tickets + [MULTI_TURN, chat(system=False)]
    for row in ft.to_openai(rows):
        jsonschema.validate(row, OPENAI_SCHEMA)
    for row in ft.to_trl(rows):
        jsonschema.validate(row, TRL_SCHEMA)
    bedrock = ft.to_bedrock(rows)
    for row in bedrock:
        check_bedrock(row)
    assert bedrock[0]["system"] == tickets[0]["messages"][0]["content"]
    assert "system" not in bedrock[-1]
    assert [m["content"] for m in bedrock[-2]["messages"]] == ["a", "b", "c", "d"]
    weighted = {"messages": [SYSTEM, {"role": "user", "content": "a"},
                             {"role": "assistant", "content": "b", "weight": 0}]}
    assert ft.to_openai([weighted])[0]["messages"][2]["weight"] == 0       # OpenAI keeps weight
    assert "weight" not in ft.to_trl([weighted])[0]["messages"][2]         # TRL gets role/content only


def test_schema_checks_can_fail():
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"messages": [SYSTEM, {"role": "user", "content": ""}]}, OPENAI_SCHEMA)
    with pytest.raises(jsonschema.ValidationError):
        check_bedrock({"system": "s", "messages": [SYSTEM, {"role": "user", "content": "a"}]})
    with pytest.raises(AssertionError):
        check_bedrock({"messages": [{"role": "assistant", "content": "a"}, {"role": "user", "content": "b"}]})


def test_exporters_refuse_malformed_examples_naming_the_line():
    bad = _msgs(("system", "s"), ("user", "a"), ("user", "b"), ("assistant", "c"))
    for export in (ft.to_openai, ft.to_trl, ft.to_bedrock):
        with pytest.raises(ft.ExportError, match=r"line 2: .*roles_not_alternating"):
            export([GOOD, bad])


def test_write_jsonl_round_trip(tmp_path):
    rows = ft.to_bedrock([chat(user="Ça coûte combien ?")])
    path = ft.write_jsonl(rows, tmp_path / "sub" / "out.jsonl")
    text = path.read_text(encoding="utf-8")
    assert "Ça coûte" in text and text.count("\n") == 1 and json.loads(text) == rows[0]
    written = ft.write_jsonl([ft.Example(GOOD["messages"], 1)], tmp_path / "ex.jsonl")
    assert written.read_text(encoding="utf-8").strip() == json.dumps(GOOD)


# --------------------------------------------------------------------------------- file errors
def test_missing_or_unreadable_files_raise_naming_the_path(tmp_path):
    missing = tmp_path / "nope.jsonl"
    for call in (lambda: ft.validate(missing), lambda: ft.clean(missing)):
        with pytest.raises(ft.DatasetNotFound, match=re.escape(str(missing))):
            call()
    with pytest.raises(ft.DatasetFileError, match="is a folder"):
        ft.validate(tmp_path)
    assert issubclass(ft.DatasetNotFound, FileNotFoundError)


# ------------------------------------------------------------------------------------------- CLI
def labkit(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "ANTHROPIC_API_KEY"}
    return subprocess.run([str(LABKIT), *args], capture_output=True, text=True, timeout=300, env=env,
                          cwd=ROOT)


@pytest.mark.skipif(not LABKIT.exists(), reason="the course venv's labkit script is not installed")
def test_cli_validate_exit_codes_and_output(tmp_path):
    raw = labkit("ft", "validate", str(RAW))
    assert raw.returncode == 1, raw.stderr
    for defect, kind in CARD_TO_KIND.items():
        assert re.search(rf"\s{kind}\s+{MANIFEST['counts'][defect]}\s", raw.stdout), kind
    assert "line     8  error    invalid_json" in raw.stdout

    clean = labkit("ft", "validate", str(CLEAN), "--json")
    assert clean.returncode == 0, clean.stderr
    data = json.loads(clean.stdout)
    assert data["ok"] and data["problems"] == [] and data["n_valid"] == 390
    assert data["counter"].startswith("local model")

    tight = labkit("ft", "validate", str(CLEAN), "--max-tokens", "100", "--summary")
    assert tight.returncode == 1 and re.search(r"over_token_limit\s+390\s", tight.stdout)

    missing = labkit("ft", "validate", str(tmp_path / "nope.jsonl"))
    assert missing.returncode == 2 and "nope.jsonl: no such file" in missing.stderr


@pytest.mark.skipif(not LABKIT.exists(), reason="the course venv's labkit script is not installed")
def test_cli_clean_writes_train_and_val(tmp_path):
    done = labkit("ft", "clean", str(RAW), "--out", str(tmp_path), "--to", "bedrock")
    assert done.returncode == 0, done.stderr
    train = [json.loads(t) for t in (tmp_path / "train.jsonl").read_text(encoding="utf-8").splitlines()]
    val = [json.loads(t) for t in (tmp_path / "val.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(train) + len(val) == 227 and "55 dropped" in done.stdout
    for row in train + val:
        check_bedrock(row)


def test_cli_module_is_registered():
    from labkit.cli import COMMAND_MODULES, build_parser

    assert "labkit.commands.finetune" in COMMAND_MODULES
    args = build_parser().parse_args(["ft", "validate", "x.jsonl", "--max-tokens", "9"])
    assert args.max_tokens == 9 and args.format == "support" and callable(args.func)
    assert sys.modules.get("labkit.commands.finetune") is not None
