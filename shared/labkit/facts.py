"""Key facts: the normal form answers are compared in, whole-value matching, and contradictions.

    from labkit.facts import normalize, key_fact_score, contradictions
    key_fact_score("Go to Settings &gt; Data &gt; Export workspace.", ["Settings > Data > Export workspace"])  # 1.0
    contradictions("You pay $9/month for 10 months and $29/month for 2 years.", ["10 months"])  # ['2 year']

Used by `labkit.evaluate` (accuracy in every lesson, from 01 on) and by `labkit.claims` (the hallucination
check of lesson 04). One normal form for both, so an answer and the knowledge base are compared alike.

Why contradictions: an answer that states the right value *and* a different value of the same quantity
("$9/month for 10 months and $29/month for 2 years") contains every key fact, yet a customer cannot tell which
number is theirs. `contradictions` finds such competing values, and `labkit.evaluate` does not count the
answer as correct. The rule, precisely:

1. A *quantity* is a number with a unit, in normalised text: money `$N` (with its rate, "per month", if one
   follows), a percentage `N%`, a size `Ngb`/`mb`/`tb`/`kb`, or a duration `N minute|hour|day|week|month|year`.
   Its *kind* is money-with-that-rate, percent, size or duration; sizes compare in GB, durations in days
   (a month is 30 days, a year 365), so "12 months" and "1 year" are different values and "365 day" and
   "1 year" are the same.
2. A key fact that holds a quantity is *contradicted* when a sentence of the answer that contains it also
   states another quantity of the same kind with a different value, unless that value's number also occurs
   in the question, in the gold answer or in another key fact (the allowed text passed as `allowed`), or a
   new name stands between the two ("Pro keeps 180 days of history, and Basic 30 days": "Basic" marks the 30
   days as another plan's; a name is a capitalised word that does not open a sentence, and it is new when the
   sentence has not named it before the first of the two values).
   A bare number ("get 12") has no kind and contradicts nothing.

What the rule cannot tell: what a number is about when no name says so. "Exports over 100 GB take up to 24
hours and arrive as 10 GB parts" is counted as contradicted (two sizes in one sentence); so is "$9 per month,
or $7.50 per month billed annually". Read `EvalRecord.contradicted` before trusting a low accuracy.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

_UNITS = "minute|hour|day|week|month|year"
_RATES = "month|year|minute|hour|day|week|user|seat"
_WORD_NUMBERS = {w: str(i) for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())} | {"thirty": "30", "sixty": "60", "ninety": "90"}


def normalize(text: str) -> str:
    """Text in the form key facts and claims are compared in. In order:

    1. HTML entities are unescaped ("Settings &gt; Data" -> "Settings > Data": the escaping that protects a
       prompt must not cost a correct answer its score); zero-width spaces go.
    2. Unicode NFKC, lower case; curly quotes become ' and "; en/em dashes become -.
    3. Markdown emphasis and code marks (`*`, `` ` ``) are removed: "**$29**/month" -> "$29/month".
    4. Thousands separators go: "3,000 requests" -> "3000 requests" (only a comma between digits
       followed by exactly three digits).
    5. Number formats: "$29.00" -> "$29"; "17 percent" -> "17%" ("29 dollars" stays: lab 04's graded
       exercise 4.3 reads it as the number 29);
       a spelled number before a unit ("fourteen days", "two weeks") becomes digits; "14-day" -> "14 day";
       a unit after a number is singular ("14 days" -> "14 day").
    6. Menu arrows are unified: "Settings → Export", "Settings -> Export", "Settings>Export" all become
       "settings > export".
    7. A number and its unit are joined: "5 GB" -> "5gb", "99.9 %" -> "99.9%" (GB, MB, TB, KB, %).
    8. Rates are spelled one way: "$29/month", "$29 / month" and "$29 a month" -> "$29 per month"
       (month, year, minute, hour, day, week, user, seat).
    9. Runs of whitespace become one space; ends are stripped.
    """
    t = html.unescape(text).replace("\u200b", "")
    t = unicodedata.normalize("NFKC", t).lower()
    t = re.sub(r"[\u2018\u2019]", "'", re.sub(r"[\u201c\u201d]", '"', t))
    t = re.sub(r"[\u2013\u2014]", "-", t)
    t = re.sub(r"[*`]", "", t)
    t = re.sub(r"(?<=\d),(?=\d{3}\b)", "", t)
    t = re.sub(r"(\$\d+)\.00?\b", r"\1", t)
    t = re.sub(r"(\d) ?percent\b", r"\1%", t)
    words = "|".join(_WORD_NUMBERS)
    t = re.sub(rf"\b({words})[ -]({_UNITS})s?\b", lambda m: f"{_WORD_NUMBERS[m[1]]} {m[2]}", t)
    t = re.sub(rf"(\d)[ -]({_UNITS})s?\b", r"\1 \2", t)
    t = re.sub(r"\s*(?:->|\u2192|\u00bb|>)\s*", " > ", t)
    t = re.sub(r"(\d)\s+(?=(?:gb|mb|tb|kb)\b|%)", r"\1", t)
    t = re.sub(rf"\s*(?:/|\ba\b)\s*({_RATES})\b", r" per \1", t)
    return re.sub(r"\s+", " ", t).strip()


def fact_pattern(fact: str) -> re.Pattern:
    """A fact as a regex over normalised text. A fact matches as a whole value: one that starts or ends with
    a digit may not be glued to more digits ("$9" is not in "$90" or "$9.50", "3 team members" is not in
    "13 team members"), and one that starts or ends with a letter may not be glued to more letters, except
    an inflection ("pro" is not in "process"; "stack" is in "stacked", "block" in "blocks")."""
    norm = normalize(fact)
    before = r"(?<![\d.,])" if norm[:1].isdigit() else r"(?<![a-z])" if norm[:1].isalpha() else ""
    after = (r"(?![\d]|[.,]\d)" if norm[-1:].isdigit()
             else r"(?:s|es|d|ed|ing)?(?![a-z])" if norm[-1:].isalpha() else "")
    return re.compile(before + re.escape(norm) + after)


def has_fact(answer: str, fact: str) -> bool:
    """True when `fact` occurs in `answer` as a whole value, both normalised (see `normalize`)."""
    return bool(fact_pattern(fact).search(normalize(answer)))


def missing_facts(answer: str, key_facts: Sequence[str]) -> list[str]:
    """The key facts not found in `answer` (read these before trusting a low score)."""
    return [fact for fact in key_facts if not has_fact(answer, fact)]


def key_fact_score(answer: str, key_facts: Sequence[str]) -> float:
    """The fraction of `key_facts` found in `answer` (normalised, whole values, see `has_fact`).

    An empty list scores 1.0: nothing was required. Strict by design: "two weeks" does not match "14 days";
    read the misses (`missing_facts`) before drawing conclusions.
    """
    if not key_facts:
        return 1.0
    return 1 - len(missing_facts(answer, key_facts)) / len(key_facts)


# ----------------------------------------------------------------------------------------------
# Quantities and contradictions
# ----------------------------------------------------------------------------------------------
_GLUE = r"(?<![\w.$/-])"  # a number that is not the tail of a word, a decimal, a price, a path or a range
_QUANTITY = re.compile(
    rf"\$(\d+(?:\.\d+)?)(?: per ({_RATES}))?"            # money, with its rate
    rf"|{_GLUE}(\d+(?:\.\d+)?)%"                          # percent
    rf"|{_GLUE}(\d+(?:\.\d+)?)(kb|mb|tb|gb)\b"           # size
    rf"|{_GLUE}(\d+(?:\.\d+)?) ({_UNITS})\b"             # duration
)
_DAYS = {"minute": 1 / 1440, "hour": 1 / 24, "day": 1, "week": 7, "month": 30, "year": 365}
_GB = {"kb": 1e-6, "mb": 1e-3, "gb": 1, "tb": 1000}
_SENTENCE = re.compile(r"(?<!\d)[.!?;](?!\d)|\.(?=\s|$)|\n")


@dataclass(frozen=True)
class Quantity:
    """A number with a unit in normalised text (see the module docstring)."""

    kind: str      # "money", "money per <rate>", "percent", "size" or "duration"
    value: float   # in the kind's unit: dollars, percent, GB, days
    number: float  # the number as written
    text: str      # the normalised text matched, e.g. "$29 per month", "2 year"
    start: int
    end: int


def quantities(text: str) -> list[Quantity]:
    """The quantities of normalised `text` (`normalize` it first), in order."""
    found = []
    for m in _QUANTITY.finditer(text):
        money, rate, pct, size, size_unit, dur, dur_unit = m.groups()
        if money is not None:
            kind, number, value = "money" + (f" per {rate}" if rate else ""), float(money), float(money)
        elif pct is not None:
            kind, number, value = "percent", float(pct), float(pct)
        elif size is not None:
            kind, number = "size", float(size)
            value = number * _GB[size_unit]
        else:
            kind, number = "duration", float(dur)
            value = number * _DAYS[dur_unit]
        found.append(Quantity(kind, value, number, m.group(0), m.start(), m.end()))
    return found


def _numbers(text: str) -> set[float]:
    return {float(n) for n in re.findall(r"(?<![\d.])\d+(?:\.\d+)?(?![\d]|\.\d)", text)}


def contradictions(answer: str, key_facts: Sequence[str], allowed: str = "") -> list[str]:
    """The values in `answer` that compete with one of its key facts (see the module docstring for the rule):
    normalised quantity texts such as "2 year" or "$29 per month", each once, in order.

    `allowed`: text whose numbers may appear beside a key fact without contradicting it (`labkit.evaluate`
    passes the question and the gold answer, so "pay for 10 months and get 12 months" is not contradicted).
    Only key facts found in the answer are checked: a missing fact already makes the answer wrong.
    """
    sentences = [s for s in _SENTENCE.split(normalize(answer)) if s.strip()]
    names = _subject_names(answer)
    exempt = _numbers(normalize(allowed)) | _numbers(" ".join(normalize(f) for f in key_facts))
    found: list[str] = []
    for fact in key_facts:
        own = quantities(normalize(fact))
        if not own:
            continue  # "full refund", a menu path: nothing to compete with
        pattern, values = fact_pattern(fact), {q.value for q in own}
        for sentence in sentences:
            match = pattern.search(sentence)
            if not match:
                continue
            here = quantities(sentence)
            # the fact's kind as written here: "$9" followed by "per month" is a monthly price
            kinds = {q.kind for q in here if q.start < match.end() and match.start() < q.end} or {q.kind for q in own}
            found += [q.text for q in here if q.kind in kinds and q.value not in values and q.number not in exempt
                      and not _named_between(sentence, match, q, names)]
    return list(dict.fromkeys(found))


def _subject_names(text: str) -> set[str]:
    """Capitalised words of `text` that do not open a sentence ("Basic" in "Pro keeps 180 days, and Basic 30"),
    lower-cased: the subjects an answer names."""
    words = re.finditer(r"(?<=[^\s.!?:;\n(\[\"'*-]) ([A-Z][\w-]*)", html.unescape(text))
    return {m.group(1).lower() for m in words}


def _named_between(sentence: str, match: re.Match, other: Quantity, names: set[str]) -> bool:
    """A new name stands between the key fact and the other value (one the sentence has not used before the
    first of them): the other value is another thing's. "Pro is $29/month, while the Pro plan is $49/month"
    names no new thing, so $49 still competes."""
    first, start, end = ((match.start(), match.end(), other.start) if match.end() <= other.start
                         else (other.start, other.end, match.start()))

    def named(text: str, name: str) -> bool:
        return bool(re.search(rf"(?<![a-z]){re.escape(name)}(?![a-z])", text))
    return any(named(sentence[start:end], n) and not named(sentence[:first], n) for n in names)
