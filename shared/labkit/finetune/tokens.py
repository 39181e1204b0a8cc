"""Counting the tokens of a chat example, with the best counter available.

Token counts decide two things before any training starts: whether an example fits the model's limit
(longer ones are truncated or rejected) and what training costs (providers bill per token per epoch).

Counters, best first:
- "claude": Anthropic's own count (`client.messages.count_tokens`), used when Claude is configured
  (ANTHROPIC_API_KEY set). One request per example.
- "local": the course's local model counts them itself (the engine's `count_tokens`, the same call as
  Claude's): exact for the model the course fine-tunes.
- "estimate": words x 1.3 plus a few tokens per message, used only when no tokenizer can be loaded.
Every report says which counter produced its numbers.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass

from labkit.models import DEFAULT_MODEL

WORDS_TO_TOKENS = 1.3     # rule of thumb for English text
MARKER_TOKENS = 5         # per message: <|im_start|>, the role, a newline, <|im_end|>, a newline


@dataclass(frozen=True)
class TokenCounter:
    """A named way of counting the tokens of a list of messages."""

    name: str
    count: Callable[[list[dict]], int]

    def __call__(self, messages: list[dict]) -> int:
        return self.count(messages)


def local_counter(client=None) -> TokenCounter:
    """Exact token counts for the course's local model: the engine's own `count_tokens` (labkit.engine,
    through the anthropic SDK), which renders the chat template exactly as it does when answering.
    Raises labkit.engine.EngineError if the model cannot be started."""
    from labkit.engine import MODEL_NAME
    from labkit.llm import get_client

    counter = claude_counter(client or get_client("local"), model=DEFAULT_MODEL)
    return TokenCounter(f"local model ({MODEL_NAME})", counter.count)


def estimate_counter(reason: str = "") -> TokenCounter:
    """Words x 1.3 plus the chat markers of each message: a rough count that needs nothing loaded."""
    def count(messages: list[dict]) -> int:
        words = sum(len(str(m.get("content", "")).split()) for m in messages)
        return math.ceil(words * WORDS_TO_TOKENS) + MARKER_TOKENS * len(messages)

    return TokenCounter("estimate (words x 1.3)" + (f"; {reason}" if reason else ""), count)


def claude_counter(client=None, model: str = DEFAULT_MODEL) -> TokenCounter:
    """Anthropic's token count for `model`: the system message goes to `system=`, the rest to `messages=`.

    client: an `anthropic.Anthropic` (default: `labkit.llm.get_client("claude")`, which needs a key).
    """
    if client is None:
        from labkit.llm import get_client

        client = get_client("claude")

    def count(messages: list[dict]) -> int:
        system = "\n".join(m["content"] for m in messages if m.get("role") == "system")
        turns = [{"role": m["role"], "content": m["content"]} for m in messages if m.get("role") != "system"]
        kwargs = {"system": system} if system else {}
        return client.messages.count_tokens(model=model, messages=turns, **kwargs).input_tokens

    return TokenCounter(f"Claude count_tokens ({model})", count)


def get_counter(kind: str = "auto") -> TokenCounter:
    """A counter by name: "auto" (Claude when configured, else local), "claude", "local" or "estimate".

    "local" and "auto" fall back to the estimate when the local tokenizer cannot be loaded, and the
    counter's name says so.
    """
    from labkit.engine import EngineError

    if kind not in ("auto", "claude", "local", "estimate"):
        raise ValueError(f"counter must be 'auto', 'claude', 'local' or 'estimate', not {kind!r}")
    if kind == "auto" and os.environ.get("ANTHROPIC_API_KEY"):
        # labkit.llm decides the backend; it is imported only here because it loads the anthropic SDK (~3 s)
        from labkit.llm import backend_name

        kind = "claude" if backend_name("auto") == "claude" else "local"
    if kind == "claude":
        return claude_counter()
    if kind == "estimate":
        return estimate_counter()
    try:
        return local_counter()
    except EngineError as exc:
        return estimate_counter(f"local model unavailable: {exc}")
