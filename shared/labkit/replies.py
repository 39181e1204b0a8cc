"""Reading a reply: does it decline, which documents does it cite, is it in the asked-for format.

One definition of each, used by `labkit.evaluate` (scoring every strategy), `labkit.rag` (its grounded
answers) and the graders. Lessons 01, 02 and 04 use them through those modules.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from labkit.facts import normalize

# An answer "refuses" when its normalised text matches any of these. Declining and escalating count the
# same: either way the customer gets no invented answer. Apostrophes are normalised to ' first.
REFUSAL_PATTERNS: tuple[str, ...] = (
    r"\bi (?:don't|do not) know\b",                                   # "I don't know", rag.REFUSAL
    r"\bi'?m not sure\b|\bi am not sure\b",                           # "I'm not sure about that"
    r"\bnot (?:in|covered (?:in|by)|mentioned in|included in) (?:the|our) (?:documentation|docs|information)",
    r"\b(?:documentation|docs|information) (?:does not|doesn't|do not|don't) "
    r"(?:cover|mention|say|include|contain)",
    r"\bescalat\w*\b[^.]{0,40}\bhuman\b",                             # "escalate it to a human agent"
    r"\bi (?:don't|do not) have (?:that|this|any|enough) information\b",
    r"\bno information (?:about|on)\b",
)
_REFUSAL = re.compile("|".join(f"(?:{p})" for p in REFUSAL_PATTERNS))


def is_refusal(text: str) -> bool:
    """True when the answer declines or escalates instead of answering (see `REFUSAL_PATTERNS`)."""
    return bool(_REFUSAL.search(normalize(text)))


def format_ok(text: str, *, max_words: int | None = None, parser: Callable[[str], Any] | None = None) -> bool:
    """True when the answer is non-empty, has at most `max_words` words (if given) and `parser(text)`
    does not raise ValueError (if given; e.g. `labkit.prompts.parse_json_reply` for JSON replies)."""
    if not text or not text.strip():
        return False
    if max_words is not None and len(text.split()) > max_words:
        return False
    if parser is not None:
        try:
            parser(text)
        except ValueError:
            return False
    return True


_CITATION = re.compile(r"\[([A-Za-z0-9][A-Za-z0-9_.\-]*)(?:#\d+)?\]")  # the form labkit.rag cites in


def cited_ids(text: str) -> list[str]:
    """The document ids cited as [doc-id] (or [doc-id#n], a chunk) in `text`, each once, in order."""
    return list(dict.fromkeys(_CITATION.findall(text)))
