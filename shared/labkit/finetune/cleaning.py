"""Cleaning a fine-tuning set: find personal data, remove duplicates, split without leakage.

Why each step matters:
- PII: a model can memorise and repeat what it was trained on, so e-mail addresses, phone numbers and card
  numbers in the training data can come back out in answers. They are replaced by placeholders.
- Duplicates: a ticket that appears twice is learned twice (over-weighted), and if one copy lands in the
  training set and the other in the validation set, the validation score measures memory, not skill.
- Split: near-duplicates are grouped first, so a group goes entirely to train or entirely to validation.

Only the *user* turns are scanned for PII by default: replies are written by your own staff and may quote
the company's own contact details (e.g. support@acmecorp.example), which are not personal data.
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from labkit.finetune.examples import Example, as_examples, prompt_words

# ----------------------------------------------------------------------------------------------- PII
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# A run of 13-19 digits, optionally grouped by single spaces or dashes; it counts as a card number
# only if it also passes the Luhn checksum that every real card number satisfies.
CARD_CANDIDATE = re.compile(r"(?<!\d)\d(?:[ -]?\d){12,18}(?!\d)")
PHONE = re.compile(
    r"(?<![\w+])(?<!\d[ .-])"            # not glued to a word, not the tail of a longer number
    r"(?:\+\d{1,3}[ .-]?)?"              # optional country code: +1, +44
    r"(?:\(\d{2,5}\)|\d{2,4})"           # area code, maybe in brackets: (020), 415
    r"[ .-]\d{3,4}[ .-]\d{4}"            # the number: 555 0134, 7946-0958
    r"(?![\w]|[ .-]?\d)")                # and not the start of a longer number
PLACEHOLDERS = {"email": "[EMAIL]", "phone": "[PHONE]", "card": "[CARD]"}


def luhn_ok(digits: str) -> bool:
    """The Luhn checksum: double every second digit from the right; the total must end in 0."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


@dataclass(frozen=True)
class PiiMatch:
    kind: str   # "email" | "phone" | "card"
    start: int
    end: int
    text: str


def find_pii(text: str) -> list[PiiMatch]:
    """E-mail addresses, Luhn-valid card numbers and phone numbers in `text`, in order of position.

    Cards are found first and hidden before looking for phones, so the digit groups of a card number
    are never mistaken for a phone number.
    """
    found = [PiiMatch("email", m.start(), m.end(), m.group()) for m in EMAIL.finditer(text)]
    for m in CARD_CANDIDATE.finditer(text):
        if luhn_ok(re.sub(r"\D", "", m.group())):
            found.append(PiiMatch("card", m.start(), m.end(), m.group()))
    masked = list(text)
    for f in found:
        masked[f.start:f.end] = "#" * (f.end - f.start)
    found += [PiiMatch("phone", m.start(), m.end(), m.group()) for m in PHONE.finditer("".join(masked))]
    return sorted(found, key=lambda f: f.start)


def scrub_text(text: str) -> tuple[str, list[PiiMatch]]:
    """`text` with each PII match replaced by its placeholder ([EMAIL], [PHONE], [CARD])."""
    matches = find_pii(text)
    for f in reversed(matches):  # from the end, so earlier positions stay valid
        text = text[:f.start] + PLACEHOLDERS[f.kind] + text[f.end:]
    return text, matches


@dataclass
class PiiReport:
    """What scrub_pii replaced: counts per type and, per line, the types found."""

    counts: Counter = field(default_factory=Counter)
    lines: dict[int, list[str]] = field(default_factory=dict)

    @property
    def n_changed(self) -> int:
        return len(self.lines)

    def __str__(self) -> str:
        per_type = ", ".join(f"{kind}: {self.counts[kind]}" for kind in PLACEHOLDERS) or "none"
        return f"PII replaced in {self.n_changed} examples ({per_type})"


def scrub_pii(examples: Iterable[Example | dict], roles: tuple[str, ...] = ("user",)
              ) -> tuple[list[Example], PiiReport]:
    """Copies of the examples with PII in the given roles' messages replaced by placeholders."""
    report = PiiReport()
    out = []
    for ex in as_examples(examples):
        messages, kinds = [], []
        for m in ex.messages:
            if isinstance(m, dict) and m.get("role") in roles and isinstance(m.get("content"), str):
                text, matches = scrub_text(m["content"])
                if matches:
                    m = {**m, "content": text}
                    kinds += [f.kind for f in matches]
            messages.append(m)
        if kinds:
            report.counts.update(kinds)
            report.lines[ex.line] = kinds
            ex = Example(messages=messages, line=ex.line)
        out.append(ex)
    return out, report


# ---------------------------------------------------------------------------------------- duplicates
def near(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Same normalised words, or the same number of words with exactly one word changed."""
    if len(a) != len(b):
        return False
    changed = 0
    for x, y in zip(a, b, strict=True):
        if x != y:
            changed += 1
            if changed > 1:
                return False
    return True


@dataclass(frozen=True)
class Duplicate:
    line: int   # the later copy (the one to drop)
    of: int     # the earlier example it repeats (the one to keep)
    kind: str   # "exact": same messages; "near": same user text after normalising, or one word apart

    @property
    def reason(self) -> str:
        what = "an exact copy" if self.kind == "exact" else "a near-duplicate (user text equal after " \
            "normalising or one word apart)"
        return f"{what} of line {self.of}"


def find_duplicates(examples: Iterable[Example | dict]) -> list[Duplicate]:
    """Every example that repeats an earlier one, with the earliest line it repeats.

    Exact: the same messages. Near: the user turns match after lower-casing, removing punctuation and
    collapsing whitespace, or differ in exactly one word (a synonym or a typo). Examples with no user
    text are never near-duplicates of each other.
    """
    found = []
    first_copy: dict[str, int] = {}
    by_length: dict[int, list[tuple[int, tuple[str, ...]]]] = {}  # only same-length texts can be near
    for ex in as_examples(examples):
        key = json.dumps(ex.messages, sort_keys=True, ensure_ascii=False)
        if key in first_copy:
            found.append(Duplicate(ex.line, first_copy[key], "exact"))
            continue
        first_copy[key] = ex.line
        words = prompt_words(ex)
        if not words:
            continue
        bucket = by_length.setdefault(len(words), [])
        of = next((line for line, other in bucket if near(words, other)), None)
        if of is not None:
            found.append(Duplicate(ex.line, of, "near"))
        bucket.append((ex.line, words))
    return found


@dataclass
class DedupeReport:
    """What dedupe dropped and why."""

    n_in: int
    dropped: list[Duplicate]

    @property
    def n_out(self) -> int:
        return self.n_in - len(self.dropped)

    @property
    def counts(self) -> Counter:
        return Counter(d.kind for d in self.dropped)

    def __str__(self) -> str:
        lines = [(f"kept {self.n_out} of {self.n_in} examples; dropped {self.counts['exact']} exact and "
                  f"{self.counts['near']} near-duplicates")]
        lines += [f"  line {d.line}: {d.reason}" for d in self.dropped]
        return "\n".join(lines)


def dedupe(examples: Iterable[Example | dict]) -> tuple[list[Example], DedupeReport]:
    """Keep the first of every group of exact or near-duplicates; report each one dropped."""
    examples = as_examples(examples)
    dropped = find_duplicates(examples)
    drop_lines = {d.line for d in dropped}
    kept = [ex for ex in examples if ex.line not in drop_lines]
    return kept, DedupeReport(n_in=len(examples), dropped=dropped)


# ---------------------------------------------------------------------------------------------- split
def near_groups(examples: list[Example]) -> list[list[int]]:
    """Positions of the examples, grouped so that near-duplicates (directly or through a chain of them)
    share a group; every other example is a group of one."""
    parent = list(range(len(examples)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    by_length: dict[int, list[tuple[int, tuple[str, ...]]]] = {}
    for i, ex in enumerate(examples):
        words = prompt_words(ex)
        if not words:
            continue
        for j, other in by_length.get(len(words), []):
            if near(words, other):
                parent[root(i)] = root(j)
        by_length.setdefault(len(words), []).append((i, words))
    groups: dict[int, list[int]] = {}
    for i in range(len(examples)):
        groups.setdefault(root(i), []).append(i)
    return list(groups.values())


def split(examples: Iterable[Example | dict], val_fraction: float = 0.1, seed: int = 0
          ) -> tuple[list[Example], list[Example]]:
    """(train, validation): about `val_fraction` of the examples go to validation, chosen at random
    (reproducible with `seed`), whole near-duplicate groups at a time so none straddles the split.
    Both lists keep the file order."""
    if not 0 <= val_fraction < 1:
        raise ValueError(f"val_fraction must be in [0, 1), got {val_fraction}")
    examples = as_examples(examples)
    target = round(len(examples) * val_fraction)
    if val_fraction > 0 and len(examples) > 1:
        target = max(target, 1)
    groups = near_groups(examples)
    random.Random(seed).shuffle(groups)
    in_val: set[int] = set()
    for group in groups:
        if len(in_val) + len(group) <= target:
            in_val.update(group)
    train = [ex for i, ex in enumerate(examples) if i not in in_val]
    val = [ex for i, ex in enumerate(examples) if i in in_val]
    return train, val
