"""Probes for lab 03 (fine-tuning data), run in the sandbox after the learner's notebook.

Inputs only; the expected values are in checks.py.
"""

from __future__ import annotations

import json
import random

from labkit.data import load_tickets
from labkit.grading.probing import attempt, probe

SYSTEM = {"role": "system", "content": "You are AcmeCorp support."}


def row(user: str, reply: str = "Sure.", system: bool = True) -> dict:
    return {"messages": ([SYSTEM] if system else []) + [{"role": "user", "content": user},
                                                          {"role": "assistant", "content": reply}]}


# --------------------------------------------------------------------------------- 3.1 validator
LINES = [
    json.dumps(row("Hi")),
    json.dumps({"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}),
    '{"messages": [{"role": "user"',
    "not json at all",
    '{"conversation": []}',
    "[1, 2]",
    json.dumps({"messages": [SYSTEM, {"role": "user", "content": "Hi"}]}),
]
VALIDATORS = ["labkit.finetune.validation.validate", "labkit.finetune.validation.check_example"]


@probe("3.1", forbid=VALIDATORS)
def errors_of_lines(nb):
    return [attempt(nb.find_errors, line) for line in LINES]


@probe("3.1", forbid=VALIDATORS)
def errors_of_the_raw_file(nb):
    """The line numbers the learner's validator flags in the raw tickets file."""
    raw = load_tickets(raw=True)
    return [i for i, line in enumerate(raw, 1) if line.strip() and nb.find_errors(line)]


# --------------------------------------------------------------------------------- 3.2 dedupe
DUPLICATES = [row("Reset my password", "a"), row("Export my data"), row("Reset my password", "b"),
              row("  RESET my password?!"), row("Reset my passwords")]
DEDUPERS = ["labkit.finetune.dedupe", "labkit.finetune.find_duplicates"]


@probe("3.2", forbid=DEDUPERS)
def dedupe_rows(nb):
    return attempt(nb.dedupe, DUPLICATES)


@probe("3.2", forbid=DEDUPERS)
def dedupe_tickets(nb):
    tickets = load_tickets()
    return {"once": attempt(nb.dedupe, tickets), "twice": attempt(nb.dedupe, tickets + tickets[:5])}


# --------------------------------------------------------------------------------- 3.3 scrub
SCRUB_TEXTS = ["write to jane.doe+acme@mail.example.co.uk please", "phone 415-555-0134 today",
               "my number is +44 20 7946 0958.", "card 5555-5555-5555-4444 was declined", "card 4111111111111111",
               "invoice 1234567890123 is wrong", "we have 25 seats and 3 projects"]


@probe("3.3", forbid=["labkit.finetune.scrub_text", "labkit.finetune.find_pii", "labkit.finetune.scrub_pii",
                      "labkit.finetune.luhn_ok"])
def scrubbed(nb):
    return [attempt(nb.scrub, text) for text in SCRUB_TEXTS]


# --------------------------------------------------------------------------------- 3.4 split
def ticket(scenario: str, phrasing: int) -> dict:
    """A phrasing of a scenario: its own question, the scenario's reply (with a Source line, or none)."""
    if scenario.startswith("none"):
        return row(f"{scenario}: question {phrasing}", f"Sorry, {scenario} has no source.")
    doc, heading = scenario.split("/")
    return row(f"{doc} question {phrasing}", f"1. Diagnosis: {doc}.\nSource: [{doc}] {heading}")


SCENARIO_REPLIES = [
    "1. Diagnosis: x.\n2. Solution: y.\n3. Prevention: z.\nSource: [data-export] Export everything",
    "Source: [plan-pro] Limits\nand a line after it",
    "See Source: [api.v2-limits] Rate limits  \nSource: [second] Not this one",
    "No source line at all.",
    "Source: [bad id] Spaces are not allowed in an id",
    "Source: [x]",
]
SPLIT_SCENARIOS = ["acme-a/Setup", "acme-b/Billing", "acme-c/Billing", "acme-d/SSO", "acme-e/Export", "none-1",
                   "none-2", "acme-f/Limits", "acme-g/Refunds", "acme-h/Seats"]


def scenario_rows() -> list[dict]:
    return [row("q", reply) for reply in SCENARIO_REPLIES]


def split_rows() -> list[dict]:
    """10 scenarios with 1 to 7 phrasings each, interleaved, every row distinct."""
    rng = random.Random(1)
    rows = [ticket(s, p) for i, s in enumerate(SPLIT_SCENARIOS) for p in range(1 + (3 * i) % 7)]
    rng.shuffle(rows)
    return rows


SPLIT_REFERENCES = ["labkit.finetune.heldout.split_by_scenario", "labkit.finetune.heldout.scenario",
                    "labkit.finetune.heldout.default_split", "labkit.finetune.split", "labkit.finetune.near_groups"]


@probe("3.4", forbid=SPLIT_REFERENCES)
def scenarios(nb):
    return [attempt(nb.scenario_of, r) for r in scenario_rows()]


# key -> (the rows, val_fraction, seed); "empty" is [] with 0.15 and 0
SPLIT_CASES = {"rows": ("rows", 0.27, 3), "one": ("rows", 0.01, 3), "reversed": ("reversed", 0.27, 3),
               "tickets": ("tickets", 0.15, 0), "tickets_seed": ("tickets", 0.13, 11)}


def split_inputs(which: str) -> list[dict]:
    """The rows of a split case: the probe's 10 scenarios (in shuffled or reversed order) or the ticket file."""
    if which == "tickets":
        return load_tickets()
    return split_rows()[::-1] if which == "reversed" else split_rows()


@probe("3.4", forbid=SPLIT_REFERENCES)
def splits(nb):
    got = {key: attempt(nb.split_without_leakage, split_inputs(which), fraction, seed)
           for key, (which, fraction, seed) in SPLIT_CASES.items()}
    return {**got, "empty": attempt(nb.split_without_leakage, [], 0.15, 0)}


# --------------------------------------------------------------------------------- 3.5 bedrock
def bedrock_inputs() -> list[dict]:
    return load_tickets()[:20] + [row("no system", system=False)]


@probe("3.5", forbid=["labkit.finetune.to_bedrock"])
def bedrock_rows(nb):
    return [attempt(nb.to_bedrock_row, t) for t in bedrock_inputs()]


# --------------------------------------------------------------------------------- 3.6 cost
def chars(messages) -> int:
    return sum(len(m["content"]) for m in messages)


COST_ROWS = [row("x" * 10, "y" * 5), row("x" * 500, "y")]  # 40 and 526 characters with the system prompt
COST_CASES = [(COST_ROWS, 2, 25.0, 10_000), (COST_ROWS, 1, 1e6, 100), ([], 3, 8.0, 100)]


@probe("3.6", forbid=["labkit.finetune.estimate_training_cost", "labkit.finetune.billable_tokens"])
def costs(nb):
    return [attempt(nb.estimate_cost, rows, chars, epochs, price, cap) for rows, epochs, price, cap in COST_CASES]
