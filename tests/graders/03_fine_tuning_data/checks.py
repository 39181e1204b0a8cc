"""Checks for lab 03 (fine-tuning data), run by the trusted scorer on what probes.py returned.

Expected values live here only. Messages name the input, never the expected value.
"""

from __future__ import annotations

import json

from labkit.data import load_tickets
from labkit.finetune import as_examples, to_bedrock
from labkit.finetune.heldout import scenario, split_by_scenario
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
def _split(out, name: str) -> tuple[list, list]:
    value = out.value
    assert isinstance(value, tuple | list) and len(value) == 2 and all(isinstance(v, list) for v in value), \
        f"split_without_leakage({name}) should return (train, val), two lists"
    return value[0], value[1]


def _positions(rows: list[dict], side: list, name: str) -> list[int]:
    index = {json.dumps(r, sort_keys=True): i for i, r in enumerate(rows)}
    found = [index.get(json.dumps(r, sort_keys=True), -1) if isinstance(r, dict) else -1 for r in side]
    assert -1 not in found, f"split_without_leakage({name}) returns rows that are not among its input rows"
    return found


def _reference(rows: list[dict], fraction: float, seed: int) -> tuple[list[int], list[int]]:
    train, held = split_by_scenario(rows, fraction, seed)
    return [ex.line - 1 for ex in train], [ex.line - 1 for ex in held]


WHAT = {"rows": "the probe's 10 scenarios", "reversed": "the same rows reversed", "tickets": "the ticket file"}


def _cases():
    """(key, the input as it is named in messages, its rows, val_fraction, seed) of each split case."""
    for key, (which, fraction, seed) in p.SPLIT_CASES.items():
        yield key, f"{WHAT[which]}, {fraction:g}, {seed}", p.split_inputs(which), fraction, seed


@check(p.scenarios, hint="re.search(r'Source: \\[([\\w.-]+)\\] (.+)$', reply, re.M).group(0) on the last "
                         "message; the whole reply when nothing matches.")
def scenario_is_the_source_line(got):
    for reply, row, out in zip(p.SCENARIO_REPLIES, p.scenario_rows(), got, strict=True):
        assert out.value == scenario(as_examples([row])[0]), f"scenario_of(a row whose reply is {reply[:40]!r}) " \
                                                             "is not right"


@check(p.splits, hint="Whole scenarios on one side: train + val are the rows, each once, in their order, and "
                      "no scenario on both sides.")
def split_keeps_scenarios_whole(got):
    for key, name, rows, _, _ in _cases():
        train, val = (_positions(rows, side, name) for side in _split(got[key], name))
        assert sorted(train + val) == list(range(len(rows))), f"split_without_leakage({name}): every row should " \
                                                              "land in train or val exactly once"
        assert train == sorted(train) and val == sorted(val), f"split_without_leakage({name}): keep the rows' order"
        examples = as_examples(rows)
        shared = {scenario(examples[i]) for i in train} & {scenario(examples[i]) for i in val}
        assert not shared, f"split_without_leakage({name}) puts {len(shared)} scenario(s) on both sides"
        if key.startswith("tickets"):
            seen = {rows[i]["messages"][-1]["content"] for i in train}
            assert not any(rows[i]["messages"][-1]["content"] in seen for i in val), \
                f"split_without_leakage({name}): a validation reply appears word for word in training"
    assert got["empty"].value in (([], []), [[], []]), "split_without_leakage([]) should be ([], [])"


@check(p.splits, hint="Sort the distinct scenarios, random.Random(seed).shuffle them, hold out the first "
                      "max(1, round(len(scenarios) * val_fraction)).")
def split_holds_out_the_specified_scenarios(got):
    for key, name, rows, fraction, seed in _cases():
        train, val = (_positions(rows, side, name) for side in _split(got[key], name))
        examples = as_examples(rows)
        n_held = max(1, round(len({scenario(e) for e in examples}) * fraction))
        assert len({scenario(examples[i]) for i in val}) == n_held, \
            f"split_without_leakage({name}) holds out the wrong number of scenarios"
        assert (train, val) == _reference(rows, fraction, seed), \
            f"split_without_leakage({name}) holds out other scenarios than the sorted, seeded shuffle"


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
