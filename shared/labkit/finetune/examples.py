"""Chat examples and how they are read from a JSONL file.

A fine-tuning file holds one JSON object per line: `{"messages": [{"role": ..., "content": ...}, ...]}`.
Every step of the data preparation (validate, dedupe, scrub, split, export) keeps the 1-based line an
example came from, so any report can point at the line a learner must fix.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path


class DatasetFileError(OSError):
    """A dataset file cannot be read at all (its lines are never half-read); the message names the path."""


class DatasetNotFound(DatasetFileError, FileNotFoundError):
    """The dataset file does not exist."""


@dataclass(frozen=True)
class Example:
    """One chat example and the line of the file it came from."""

    messages: list[dict]
    line: int

    def to_dict(self) -> dict:
        return {"messages": self.messages}


def as_examples(rows: Iterable[Example | dict]) -> list[Example]:
    """Examples from Examples or plain dicts ({"messages": [...]}); a dict's line is its 1-based position."""
    out = []
    for position, row in enumerate(rows, start=1):
        if isinstance(row, Example):
            out.append(row)
        elif isinstance(row, dict) and isinstance(row.get("messages"), list):
            out.append(Example(messages=row["messages"], line=position))
        else:
            raise TypeError(f"example {position}: expected an Example or a dict with a 'messages' list, "
                            f"got {type(row).__name__}")
    return out


def read_lines(path: str | Path) -> Iterator[tuple[int, str | None]]:
    """(line number, text) for every line of `path`; text is None when the line is not valid UTF-8.

    The file is opened at once, so a missing or unreadable file raises here (DatasetNotFound,
    DatasetFileError) before any work starts. Lines are decoded one by one: one bad byte spoils one
    line, not the whole file.
    """
    path = Path(path)
    if not path.exists():
        raise DatasetNotFound(f"{path}: no such file")
    if path.is_dir():
        raise DatasetFileError(f"{path}: is a folder, expected a .jsonl file")
    try:
        handle = open(path, "rb")  # noqa: SIM115 - the generator below closes it
    except OSError as exc:
        raise DatasetFileError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    return _decoded(handle)


def _decoded(handle) -> Iterator[tuple[int, str | None]]:
    with handle:
        for number, raw in enumerate(handle, start=1):
            try:
                yield number, raw.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError:
                yield number, None


def texts_of(example: Example, role: str) -> list[str]:
    """The string contents of every message with this role."""
    return [m["content"] for m in example.messages
            if isinstance(m, dict) and m.get("role") == role and isinstance(m.get("content"), str)]


def prompt_words(example: Example) -> tuple[str, ...]:
    """The user turns, normalised for duplicate detection: lower-case, punctuation removed, whitespace
    collapsed. Two tickets that differ only in case, punctuation or spacing get the same words."""
    text = "\n".join(texts_of(example, "user"))
    return tuple(re.sub(r"[^\w\s]", "", text.lower()).split())
