"""Counting the tokens of a chat example, with the best counter available.

Token counts decide two things before any training starts: whether an example fits the model's limit
(longer ones are truncated or rejected) and what training costs (providers bill per token per epoch).

Counters, best first:
- "claude": Anthropic's own count (`client.messages.count_tokens`), used when Claude is configured
  (ANTHROPIC_API_KEY set). One request per example.
- "local": the tokenizer of the course's local model, read from its GGUF file *without* loading the
  weights (llama.cpp's vocab-only mode: about a second, a few MB of memory).
- "estimate": words x 1.3 plus a few tokens per message, used only when no tokenizer can be loaded.
Every report says which counter produced its numbers.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

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


@cache
def load_tokenizer(path: str | None = None):
    """The local model's tokenizer only: llama.cpp reads the vocabulary from the GGUF file, not the weights.

    path: a GGUF file (default: the course's local model, `labkit.local_model.default_model_path()`).
    Returns a `llama_cpp.Llama` that can only tokenize. Raises LocalModelError if the model is missing.
    """
    from llama_cpp import Llama

    from labkit.local_model import LocalModelError, default_model_path

    gguf = Path(path) if path else default_model_path()
    try:
        # llama.cpp prints a harmless context-size warning for vocab-only models; keep the output clean.
        with contextlib.redirect_stderr(io.StringIO()):
            return Llama(str(gguf), vocab_only=True, verbose=False)
    except Exception as exc:
        raise LocalModelError(f"could not read the tokenizer of {gguf}: {exc}") from exc


def chatml(messages: list[dict]) -> str:
    """The messages in ChatML, the chat format of the course's local model (Qwen2.5), as it is trained on:
    <|im_start|>role\\ncontent<|im_end|>\\n for each message."""
    return "".join(f"<|im_start|>{m.get('role')}\n{m.get('content')}<|im_end|>\n" for m in messages)


def local_counter(path: str | None = None) -> TokenCounter:
    """Exact token counts for the local model (raises LocalModelError if its tokenizer cannot load)."""
    tokenizer = load_tokenizer(path)

    def count(messages: list[dict]) -> int:
        return len(tokenizer.tokenize(chatml(messages).encode("utf-8"), add_bos=False, special=True))

    name = Path(tokenizer.model_path).stem
    return TokenCounter(f"local tokenizer ({name})", count)


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
    from labkit.local_model import LocalModelError

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
    except LocalModelError as exc:
        return estimate_counter(f"local tokenizer unavailable: {exc}")
