"""Stand-ins for the model and the index, for fast and deterministic tests of strategies (no model runs).

`EchoClient` has the two calls of `anthropic.Anthropic` that the strategies use: `messages.create` answers
with the last user message it was sent (so an answer holds exactly what the model was shown, and the
hallucination check must find nothing unsupported in it), and `messages.count_tokens` counts words.
`FixedIndex` returns the same hits for every query and records what it was asked.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any


class EchoClient:
    """messages.create -> a Message-like object whose text is the last user message; every call is kept."""

    def __init__(self) -> None:
        self.calls: list[dict] = []
        self.messages = SimpleNamespace(create=self.create, count_tokens=self.count_tokens)

    def create(self, *, model: str, max_tokens: int, messages: list[dict], system: str | None = None,
               **_: Any) -> SimpleNamespace:
        self.calls.append({"model": model, "max_tokens": max_tokens, "system": system, "messages": messages})
        text = messages[-1]["content"]
        usage = SimpleNamespace(input_tokens=len(f"{system or ''} {text}".split()), output_tokens=len(text.split()),
                                cache_read_input_tokens=0)
        return SimpleNamespace(content=[SimpleNamespace(type="text", text=text)], usage=usage, model=f"echo:{model}")

    def count_tokens(self, *, model: str, messages: list[dict], system: str | None = None) -> SimpleNamespace:
        words = len((system or "").split()) + sum(len(m["content"].split()) for m in messages)
        return SimpleNamespace(input_tokens=words)


class FixedIndex:
    """search() returns `hits[:top_k]` whatever the query; queries and added documents are recorded."""

    def __init__(self, hits: Sequence[Any]):
        self.hits = list(hits)
        self.queries: list[tuple[str, int]] = []
        self.added: list[Any] = []

    def search(self, query: str, top_k: int = 5, mode: str = "hybrid") -> list[Any]:
        self.queries.append((query, top_k))
        return self.hits[:top_k]

    def add(self, documents: Sequence[Any]) -> SimpleNamespace:
        self.added += list(documents)
        return SimpleNamespace(added=0, updated=len(documents), unchanged=0, removed_chunks=0, added_chunks=0)
