"""Validate a chat fine-tuning file (JSONL) line by line, reporting every problem with its line number.

It covers the checks of OpenAI's "Data preparation and analysis for chat model fine-tuning" notebook
(format errors by type, token counts, examples over the limit) and adds the ones a training job or a
reviewer would trip over: roles in the wrong order, empty replies, duplicates, personal data and,
optionally, replies that do not follow the house format.

Errors make a line unusable (the training API would reject the file, or the example teaches nothing).
Warnings flag lines that are usable but probably should be fixed or removed before training.
Reading never stops at the first problem: one report lists them all.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from labkit.finetune.cleaning import find_duplicates, find_pii
from labkit.finetune.examples import Example, read_lines, texts_of
from labkit.finetune.tokens import TokenCounter, get_counter

# The per-example limit of OpenAI's data-preparation notebook (gpt-3.5-turbo's 16,385-token context,
# openai/openai-cookbook PR #1178); longer examples are truncated in training. Pass your model's own limit.
DEFAULT_MAX_TOKENS = 16_385

ROLES = ("system", "user", "assistant")
TOP_LEVEL_KEYS = ("messages",)
MESSAGE_KEYS = ("role", "content", "name", "weight")  # name and weight are allowed by OpenAI's format

ERRORS = {
    "invalid_json": "the line is not valid JSON (or not UTF-8 text)",
    "not_an_object": "the line is JSON but not an object {...}",
    "missing_messages": "the object has no 'messages' key",
    "messages_not_a_list": "'messages' is not a list",
    "empty_messages": "'messages' is an empty list",
    "message_not_an_object": "a message is not an object {...}",
    "missing_role": "a message has no 'role'",
    "unknown_role": "a role is not exactly 'system', 'user' or 'assistant'",
    "missing_content": "a message has no 'content' (or it is null)",
    "content_not_a_string": "a message's content is not a string",
    "empty_content": "a message's content is empty or only whitespace",
    "system_not_first": "a system message appears after the first position",
    "roles_not_alternating": "after the system message, turns must go user, assistant, user, ...",
    "last_not_assistant": "the last message is not the assistant's (nothing to learn at the end)",
    "no_assistant": "no assistant message at all (nothing to learn)",
    "unexpected_key": "a key the format does not allow (top level or in a message)",
    "over_token_limit": "the example is longer than the token limit",
}
WARNINGS = {
    "blank_line": "an empty line (skipped by cleaning)",
    "duplicate": "an exact copy of an earlier example",
    "near_duplicate": "the same user text as an earlier example after normalising, or one word apart",
    "pii_email": "an e-mail address in the user text",
    "pii_phone": "a phone number in the user text",
    "pii_card": "a card number (Luhn-valid) in the user text",
    "wrong_format": "the assistant reply does not have the required format (format= check)",
    "no_system": "no system message",
}


@dataclass(frozen=True)
class Problem:
    line: int
    kind: str
    message: str
    severity: str  # "error" | "warning"


def _json_type(value: object) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null",
            int: "a number", float: "a number"}.get(type(value), type(value).__name__)


def order_problems(roles: list[str]) -> list[tuple[str, str]]:
    """Problems with the order of known roles: system first, user/assistant alternating, assistant last."""
    shown = " -> ".join(roles)
    if "assistant" not in roles:
        return [("no_assistant", f"no assistant message ({shown})")]
    found = []
    if "system" in roles[1:]:
        found.append(("system_not_first", f"a system message is not first ({shown})"))
    turns = [r for r in roles if r != "system"]
    if any(role != ("user" if i % 2 == 0 else "assistant") for i, role in enumerate(turns)):
        expected = "expected user, assistant, user, ... after the system message"
        found.append(("roles_not_alternating", f"{expected}, got {shown}"))
    if roles[-1] != "assistant":
        found.append(("last_not_assistant", f"the last message is {roles[-1]!r}, not 'assistant' ({shown})"))
    return found


def check_example(obj: object) -> list[tuple[str, str]]:
    """Every structural error of one parsed line, as (kind, message) pairs; [] if it is well formed."""
    if not isinstance(obj, dict):
        return [("not_an_object", f"expected a JSON object, got {_json_type(obj)}")]
    found = [("unexpected_key", f"unexpected top-level key {k!r} (allowed: {', '.join(TOP_LEVEL_KEYS)})")
             for k in obj if k not in TOP_LEVEL_KEYS]
    if "messages" not in obj:
        return found + [("missing_messages", "no 'messages' key")]
    messages = obj["messages"]
    if not isinstance(messages, list):
        return found + [("messages_not_a_list", f"'messages' is {_json_type(messages)}, not a list")]
    if not messages:
        return found + [("empty_messages", "'messages' is an empty list")]
    roles_ok = True
    for i, m in enumerate(messages):
        where = f"messages[{i}]"
        if not isinstance(m, dict):
            found.append(("message_not_an_object", f"{where} is {_json_type(m)}, not an object"))
            roles_ok = False
            continue
        found += [("unexpected_key", f"{where} has unexpected key {k!r} (allowed: {', '.join(MESSAGE_KEYS)})")
                  for k in m if k not in MESSAGE_KEYS]
        if "role" not in m:
            found.append(("missing_role", f"{where} has no 'role'"))
            roles_ok = False
        elif m["role"] not in ROLES:
            found.append(("unknown_role", f"{where}.role is {m['role']!r}; use system, user or assistant"))
            roles_ok = False
        content = m.get("content")
        if content is None:
            found.append(("missing_content", f"{where} has no 'content'"))
        elif not isinstance(content, str):
            found.append(("content_not_a_string", f"{where}.content is {_json_type(content)}, not a string"))
        elif not content.strip():
            found.append(("empty_content", f"{where}.content is empty or only whitespace"))
    if roles_ok:  # order checks only make sense once every role is known
        found += order_problems([m["role"] for m in messages])
    return found


# ----------------------------------------------------------------------------------------- the report
@dataclass
class Report:
    """Everything `validate` found in one file."""

    path: str
    n_lines: int
    problems: list[Problem] = field(default_factory=list)
    tokens: dict[int, int] = field(default_factory=dict)  # line -> tokens, for structurally valid lines
    counter: str = ""
    max_tokens: int = DEFAULT_MAX_TOKENS

    def lines_with(self, kind: str) -> list[int]:
        """Sorted line numbers that have a problem of this kind."""
        return sorted({p.line for p in self.problems if p.kind == kind})

    @property
    def counts(self) -> dict[str, int]:
        """Lines affected, per kind, errors first (a line with two unknown roles counts once)."""
        found = Counter(kind for _, kind in {(p.line, p.kind) for p in self.problems})
        return {kind: found[kind] for kind in [*ERRORS, *WARNINGS] if kind in found}

    @property
    def error_lines(self) -> set[int]:
        return {p.line for p in self.problems if p.severity == "error"}

    @property
    def n_valid(self) -> int:
        """Lines that are usable examples: no error and not blank."""
        return self.n_lines - len(self.error_lines | set(self.lines_with("blank_line")))

    @property
    def ok(self) -> bool:
        """True when no line has an error (warnings allowed)."""
        return not self.error_lines

    def to_dict(self) -> dict:
        return {"path": self.path, "n_lines": self.n_lines, "n_valid": self.n_valid, "ok": self.ok,
                "counter": self.counter, "max_tokens": self.max_tokens, "counts": self.counts,
                "total_tokens": sum(self.tokens.values()), "problems": [asdict(p) for p in self.problems]}

    def details(self) -> str:
        """One line per problem, in file order."""
        rows = sorted(self.problems, key=lambda p: (p.line, p.severity != "error", p.kind))
        return "\n".join(f"line {p.line:>5}  {p.severity:<7}  {p.kind:<22} {p.message}" for p in rows)

    def __str__(self) -> str:
        warned = {p.line for p in self.problems if p.severity == "warning"}
        head = [(f"{Path(self.path).name}: {self.n_lines} lines, {self.n_valid} valid examples, "
                 f"{len(self.error_lines)} lines with errors, {len(warned)} with warnings")]
        if self.tokens:
            values = list(self.tokens.values())
            mean = sum(values) / len(values)
            head.append(f"tokens: {sum(values):,} in {len(values)} examples (mean {mean:,.0f}, "
                        f"max {max(values):,}); limit {self.max_tokens:,}; counted with {self.counter}")
        if not self.problems:
            return "\n".join(head + ["no problems found"])
        rows = [f"{'severity':<8}  {'kind':<22} {'lines':>5}  line numbers"]
        for severity, kinds in (("error", ERRORS), ("warning", WARNINGS)):
            for kind in kinds:
                lines = self.lines_with(kind)
                if lines:
                    shown = ", ".join(map(str, lines[:12]))
                    if len(lines) > 12:
                        shown += f", ... (+{len(lines) - 12})"
                    rows.append(f"{severity:<8}  {kind:<22} {len(lines):>5}  {shown}")
        return "\n".join(head + [""] + rows)


# ------------------------------------------------------------------------------------------ validate
def validate(path: str | Path, max_tokens: int = DEFAULT_MAX_TOKENS,
             format: Callable[[str], str | None] | None = None,
             counter: str | TokenCounter = "auto", pii: bool = True, duplicates: bool = True) -> Report:
    """Check every line of a chat JSONL file and return a Report (never stops at the first problem).

    max_tokens: examples longer than this are errors (over_token_limit).
    format:     optional check of each assistant reply: a function returning None when the reply is
                fine, else what is wrong (e.g. `support_format`); failures are wrong_format warnings.
    counter:    "auto" | "claude" | "local" | "estimate", or a TokenCounter (see labkit.finetune.tokens).
    pii, duplicates: turn those warning checks off.
    Raises DatasetNotFound / DatasetFileError if the file itself cannot be read.
    """
    lines = read_lines(path)  # raises now if the file is missing, before a tokenizer is loaded
    counter = counter if isinstance(counter, TokenCounter) else get_counter(counter)
    report = Report(path=str(path), n_lines=0, counter=counter.name, max_tokens=max_tokens)

    def add(line: int, kind: str, message: str) -> None:
        report.problems.append(Problem(line, kind, message, "error" if kind in ERRORS else "warning"))

    examples: list[Example] = []  # every line whose messages are a list, for the duplicate check
    for line, text in lines:
        report.n_lines = line
        if text is None:
            add(line, "invalid_json", "the line is not valid UTF-8 text")
            continue
        if not text.strip():
            add(line, "blank_line", "blank line")
            continue
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            add(line, "invalid_json", f"{exc.msg} (column {exc.colno})")
            continue
        structure = check_example(obj)
        for kind, message in structure:
            add(line, kind, message)
        if not (isinstance(obj, dict) and isinstance(obj.get("messages"), list)):
            continue
        example = Example(messages=obj["messages"], line=line)
        examples.append(example)
        if pii:
            for match in find_pii("\n".join(texts_of(example, "user"))):
                add(line, f"pii_{match.kind}", f"{match.kind} in the user text: {match.text!r}")
        if structure:
            continue  # size and content checks only for well-formed examples
        n = counter(example.messages)
        report.tokens[line] = n
        if n > max_tokens:
            add(line, "over_token_limit", f"{n:,} tokens > limit {max_tokens:,} ({counter.name})")
        if not texts_of(example, "system"):
            add(line, "no_system", "no system message")
        if format is not None:
            for reply in texts_of(example, "assistant"):
                reason = format(reply)
                if reason:
                    add(line, "wrong_format", f"assistant reply {reason}")
                    break
    if duplicates:
        for d in find_duplicates(examples):
            add(d.line, "duplicate" if d.kind == "exact" else "near_duplicate", d.reason)
    report.problems.sort(key=lambda p: p.line)
    return report
