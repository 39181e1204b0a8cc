"""Reading a reply: its text and token counts (`Reply`, `as_reply`), does it decline, which documents does it
cite, is it in the asked-for format.

One definition of each, used by `labkit.evaluate` (scoring every strategy), `labkit.rag` (its grounded
answers) and the graders. Lessons 01, 02 and 04 use them through those modules.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Reply:
    """What an answer function may return when it is not an anthropic Message: text and token counts.

    Token counts follow Anthropic's usage: `input_tokens` are the prompt tokens read at the full price, not
    counting `cache_read_input_tokens` (read from the prompt cache) or `cache_creation_input_tokens`
    (written to it)."""

    text: str
    input_tokens: int = 0
    output_tokens: int = 0
    evidence: str | None = None   # what the model was shown (for `hallucinated_shown`); None: unknown
    retrieval_ms: float | None = None  # time spent retrieving, when the strategy retrieves
    cache_read_input_tokens: int = 0
    cache_creation_input_tokens: int = 0


def as_reply(result: Any) -> Reply:
    """A Reply from an answer function's result: a Reply, an `anthropic.types.Message` or a plain str."""
    if isinstance(result, Reply):
        return result
    if isinstance(result, str):
        return Reply(result)
    content, usage = getattr(result, "content", None), getattr(result, "usage", None)
    if content is not None and usage is not None:  # an anthropic Message
        text = "".join(getattr(block, "text", "") for block in content)
        return Reply(text, int(usage.input_tokens), int(usage.output_tokens),
                     cache_read_input_tokens=int(getattr(usage, "cache_read_input_tokens", 0) or 0),
                     cache_creation_input_tokens=int(getattr(usage, "cache_creation_input_tokens", 0) or 0))
    raise TypeError(f"the answer function returned {type(result).__name__}; return a str, an anthropic "
                    "Message or a labkit.evaluate.Reply")
