"""Checks for lab 03 (fine-tuning data), run by the trusted scorer on what probes.py returned.

Expected values live here only. Messages name the input, never the expected value.
"""

from __future__ import annotations

import json

from labkit.data import load_tickets
from labkit.finetune import to_bedrock
from labkit.grading.checking import check, close

from . import probes as p


# --------------------------------------------------------------------------------- 3.1 validator
@check(p.errors_of_lines, hint="json.loads in a try; then a dict with 'messages'; then the last message's role.")
def find_errors(got):
    wants = [[], [], ["invalid_json"], ["invalid_json"], ["missing_messages"], ["missing_messages"],
             ["last_not_assistant"]]
    for line, out, want in zip(p.LINES, got, wants, strict=True):
        assert out.value == want, f"find_errors({line[:50]!r}) is not right"


@check(p.errors_of_the_raw_file)
def find_errors_on_the_raw_file(got):
    raw = load_tickets(raw=True)
    assert isinstance(got, list) and got, "find_errors flags no line of the raw file, which has broken lines"
    for i in got:
        assert isinstance(i, int) and 1 <= i <= len(raw), "find_errors was run on lines that are not in the file"
        try:
            obj = json.loads(raw[i - 1])
        except json.JSONDecodeError:
            continue
        last = obj["messages"][-1] if isinstance(obj, dict) and obj.get("messages") else {}
        assert last.get("role") != "assistant", f"find_errors flags line {i} of the raw file, which is well formed"


# --------------------------------------------------------------------------------- 3.2 dedupe
@check(p.dedupe_rows, hint="Key each row by its normalised user text (lower case, no punctuation, single spaces).")
def dedupe_keeps_first_copy(got):
    rows = p.DUPLICATES
    assert got.value == [rows[0], rows[1], rows[4]], "dedupe of five rows with near-duplicates is not right"


@check(p.dedupe_tickets)
def dedupe_clean_tickets_are_all_distinct(got):
    tickets = load_tickets()
    assert got["once"].value == tickets, "dedupe changes the clean tickets, which have no duplicates"
    assert got["twice"].value == tickets, "dedupe of the tickets plus five copies should drop the copies"


# --------------------------------------------------------------------------------- 3.3 scrub
SCRUBBED = ["write to [EMAIL] please", "phone [PHONE] today", "my number is [PHONE].", "card [CARD] was declined",
            "card [CARD]", "invoice 1234567890123 is wrong", "we have 25 seats and 3 projects"]


@check(p.scrubbed, hint="E-mails first, then 13-19 digit numbers that pass the Luhn check, then phone numbers.")
def scrub(got):
    for text, out, want in zip(p.SCRUB_TEXTS, got, SCRUBBED, strict=True):
        assert out.value == want, f"scrub({text!r}) is not right"


# --------------------------------------------------------------------------------- 3.4 split
def _users(rows) -> set[str]:
    return {m["content"].lower().strip(" ?!.") for r in rows for m in r["messages"] if m["role"] == "user"}


def _split(out) -> tuple[list, list]:
    value = out.value
    assert isinstance(value, tuple | list) and len(value) == 2 and all(isinstance(v, list) for v in value), \
        "split_without_leakage should return (train, val), two lists"
    return value[0], value[1]


@check(p.splits, hint="Group rows by normalised user text, shuffle the groups with random.Random(seed), "
                      "fill val with whole groups.")
def split_has_no_leakage(got):
    train, val = _split(got["groups"])
    rows = p.split_rows()
    assert sorted(map(json.dumps, train + val)) == sorted(map(json.dumps, rows)), "train + val should be the rows"
    assert not (_users(train) & _users(val)), "the same ticket text is in both train and val"
    assert 12 <= len(val) <= 28, "val is far from val_fraction of the rows"


@check(p.splits)
def split_is_reproducible(got):
    first, again = _split(got["first"]), _split(got["again"])
    assert first == again, "the same seed should give the same split"
    assert 3 <= len(first[1]) <= 9, "val is far from val_fraction of the rows"


# --------------------------------------------------------------------------------- 3.5 bedrock
@check(p.bedrock_rows, hint="A top-level 'system' (when there is one), then the other messages as they are.")
def to_bedrock_row_matches_labkit(got):
    for i, (out, want) in enumerate(zip(got, to_bedrock(p.bedrock_inputs()), strict=True)):
        assert out.value == want, f"to_bedrock_row of example {i} is not in Bedrock's format"


# --------------------------------------------------------------------------------- 3.6 cost
COSTS = [(40 + 526) * 2 * 25.0 / 1e6, 40 + 100, 0.0]


@check(p.costs, hint="Count each row's tokens with `counter`, cap each at max_tokens, times epochs and the price.")
def estimate_cost(got):
    for (rows, epochs, price, cap), out, want in zip(p.COST_CASES, got, COSTS, strict=True):
        assert close(out.value, want, rel=1e-6), \
            f"estimate_cost of {len(rows)} rows, {epochs} epoch(s), ${price:g}/Mtok, max_tokens={cap} is not right"
