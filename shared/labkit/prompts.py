"""Prompt engineering helpers: system-prompt builders, few-shot turns, token budgets, JSON replies.

    from labkit.prompts import build_system_prompt, check_budget, few_shot_messages, parse_json_reply

    system = build_system_prompt(
        role="You are a customer support agent for AcmeCorp.",
        knowledge=["Basic Plan: $9/month, 10 projects, 5 GB storage"],
        policies=["Refunds: full refund within 14 days of a charge"],
        output_format="Answer in one or two short sentences.",
        escalation=escalation_rule(),
    )
    check_budget(client, system).tokens      # measured with client.messages.count_tokens

The seed article's first strategy puts all of a company's knowledge in the system prompt and gives one rule
of thumb: it works while that knowledge fits "under 5,000 tokens" (`TOKEN_BUDGET`). This module builds such
prompts from named parts, so each part can be changed and measured on its own, and checks the budget with
the API's own token counter rather than a characters-per-token guess.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from labkit.documents import Document
from labkit.models import DEFAULT_MODEL

# The seed article's AcmeCorp support agent, verbatim (line breaks included).
SEED_SYSTEM_PROMPT = """You are a customer support agent for AcmeCorp.

Product Information:
- Basic Plan: $9/month, 10 projects, 5GB storage
- Pro Plan: $29/month, unlimited projects, 50GB storage
- Enterprise: Custom pricing, SSO, dedicated support

Policies:
- Refunds: Full refund within 14 days, pro-rated after
- Downgrade: Takes effect at end of billing cycle
- Data export: Available in Settings > Export > Download All

Always be helpful and concise. If unsure, say you'll escalate
to a human agent."""

TOKEN_BUDGET = 5_000  # the seed: prompt engineering fits when the knowledge is "under 5,000 tokens"

# What the agent says when it does not know. One fixed sentence is easy to detect in an evaluation
# (labkit.evaluate.is_refusal recognises it) and easy for a support tool to route to a human.
ESCALATION_REPLY = "I'm not sure about that, so I'll escalate it to a human agent."

# The section headings build_system_prompt writes, in order.
KNOWLEDGE_HEADING = "Product information:"
POLICIES_HEADING = "Policies:"
FORMAT_HEADING = "Output format:"
ESCALATION_HEADING = "If unsure:"


# ----------------------------------------------------------------------------------------------
# Building a system prompt from parts
# ----------------------------------------------------------------------------------------------
def _bullets(lines: Sequence[str] | str) -> str:
    """A list of facts as '- fact' lines; a string is used as it is (already formatted)."""
    if isinstance(lines, str):
        return lines.strip()
    return "\n".join(f"- {line.strip()}" for line in lines if line.strip())


def escalation_rule(reply: str = ESCALATION_REPLY) -> str:
    """The constraint of the seed ("If unsure, say you'll escalate to a human agent") made checkable:
    the model is told the exact sentence to use, so code can recognise an escalation."""
    return ("If the answer is not in the information above, do not guess and do not invent prices, "
            f"limits or dates. Reply exactly: {reply}")


def build_system_prompt(role: str, knowledge: Sequence[str] | str = (), policies: Sequence[str] | str = (),
                        output_format: str = "", escalation: str = "") -> str:
    """A system prompt from its five parts, each under its own heading, in a fixed order:
    role, knowledge (product facts), policies, output format, escalation rule.

    knowledge and policies: a list of one-line facts (written as '- ' bullets) or a pre-formatted string.
    Empty parts are left out. Raises ValueError if the role is empty: every prompt says who is speaking.
    """
    if not role or not role.strip():
        raise ValueError("build_system_prompt: role is empty; start with who the model is, "
                         "e.g. 'You are a customer support agent for AcmeCorp.'")
    parts = [role.strip()]
    for heading, body in ((KNOWLEDGE_HEADING, _bullets(knowledge)), (POLICIES_HEADING, _bullets(policies)),
                          (FORMAT_HEADING, output_format.strip()), (ESCALATION_HEADING, escalation.strip())):
        if body:
            parts.append(f"{heading}\n{body}")
    return "\n\n".join(parts)


def knowledge_from_docs(docs: Sequence[Document], max_bytes: int | None = None) -> str:
    """Knowledge-base documents pasted one after another ('## title [id]' then the text), cut at
    `max_bytes` UTF-8 bytes (at a line end) when given. Used to grow a prompt and watch its cost."""
    text = "\n\n".join(f"## {d.title} [{d.id}]\n{d.text.strip()}" for d in docs)
    if max_bytes is None or len(text.encode("utf-8")) <= max_bytes:
        return text
    cut = text.encode("utf-8")[:max_bytes].decode("utf-8", errors="ignore")
    return cut[: cut.rfind("\n")] if "\n" in cut else cut


# ----------------------------------------------------------------------------------------------
# Few-shot examples
# ----------------------------------------------------------------------------------------------
def few_shot_messages(examples: Sequence[tuple[str, str]], question: str) -> list[dict]:
    """Worked examples as alternating user/assistant turns, then the real question as the last user turn.

    Examples as real turns (rather than text inside the system prompt) show the model exactly what one
    of its own replies should look like. examples: (customer message, ideal reply) pairs.
    """
    messages: list[dict] = []
    for number, pair in enumerate(examples, start=1):
        if not (isinstance(pair, tuple | list) and len(pair) == 2):
            raise ValueError(f"few_shot_messages: example {number} must be a (question, reply) pair")
        user, assistant = pair
        if not str(user).strip() or not str(assistant).strip():
            raise ValueError(f"few_shot_messages: example {number} has an empty question or reply")
        messages += [{"role": "user", "content": str(user)}, {"role": "assistant", "content": str(assistant)}]
    if not question.strip():
        raise ValueError("few_shot_messages: the question is empty")
    return messages + [{"role": "user", "content": question}]


# ----------------------------------------------------------------------------------------------
# Token budget
# ----------------------------------------------------------------------------------------------
class TokenBudgetExceeded(ValueError):
    """A prompt is over its token budget; the message says by how much and what to do."""


@dataclass(frozen=True)
class BudgetCheck:
    """A prompt's measured size against a budget."""

    tokens: int
    budget: int

    @property
    def fits(self) -> bool:
        return self.tokens <= self.budget

    @property
    def headroom(self) -> int:
        """Tokens left (negative when over budget)."""
        return self.budget - self.tokens


# count_tokens needs at least one message; this one adds a few tokens to the system prompt
PROBE_MESSAGES = [{"role": "user", "content": "Hi"}]


def count_tokens(client: Any, system: str, messages: list[dict] | None = None,
                 model: str = DEFAULT_MODEL) -> int:
    """Input tokens of a request, measured by `client.messages.count_tokens` (the API's own counter).

    With messages=None the system prompt is counted with a one-word user turn (`PROBE_MESSAGES`).
    The count is the answering model's: the local model's tokenizer offline, Claude's with a key.
    They differ by tens of percent, so keep headroom under a budget.
    """
    result = client.messages.count_tokens(model=model, system=system, messages=messages or PROBE_MESSAGES)
    return int(result.input_tokens)


def check_budget(client: Any, system: str, budget: int = TOKEN_BUDGET, *, messages: list[dict] | None = None,
                 model: str = DEFAULT_MODEL, strict: bool = False) -> BudgetCheck:
    """Measure `system` (plus `messages`) against `budget` tokens; strict=True raises TokenBudgetExceeded."""
    check = BudgetCheck(tokens=count_tokens(client, system, messages, model), budget=budget)
    if strict and not check.fits:
        raise TokenBudgetExceeded(
            f"the prompt is {check.tokens:,} tokens, {-check.headroom:,} over the budget of {budget:,}: "
            "cut knowledge that the questions do not need, or retrieve it per question instead "
            "(RAG, module 2)")
    return check


# ----------------------------------------------------------------------------------------------
# Structured output: a JSON reply with a small schema
# ----------------------------------------------------------------------------------------------
# A schema is {field: type}. Every field is required; extra fields are allowed and kept.
REPLY_SCHEMA: dict[str, type] = {"answer": str, "escalate": bool}

_JSON_TYPE_NAMES = {str: "a string", bool: "true or false", int: "an integer", float: "a number",
                    list: "a list"}
_PLACEHOLDERS = {str: '"..."', bool: "true|false", int: "0", float: "0.0", list: "[...]"}


class ReplyFormatError(ValueError):
    """A model reply is not the JSON the prompt asked for; the message names the field that is wrong."""


def json_instruction(schema: dict[str, type] = REPLY_SCHEMA) -> str:
    """The output-format sentence that asks for a JSON object with exactly these fields."""
    shape = ", ".join(f'"{name}": {_PLACEHOLDERS.get(kind, "...")}' for name, kind in schema.items())
    return f"Reply with one JSON object and nothing else, in this form: {{{shape}}}"


def _json_object_text(text: str) -> str:
    """The JSON object inside a reply: small models wrap it in ```json fences or add a sentence around it."""
    start, end = text.find("{"), text.rfind("}")
    if start == -1 or end < start:
        preview = text.strip()[:60]
        raise ReplyFormatError(f"the reply contains no JSON object (no {{...}}); it starts with {preview!r}")
    return text[start:end + 1]


def _type_ok(value: Any, kind: type) -> bool:
    if kind is bool:
        return isinstance(value, bool)
    if isinstance(value, bool):  # JSON true/false are not numbers or strings here
        return False
    if kind is float:
        return isinstance(value, int | float)
    if kind is str:
        return isinstance(value, str) and bool(value.strip())
    return isinstance(value, kind)


def parse_json_reply(text: str, schema: dict[str, type] = REPLY_SCHEMA) -> dict:
    """Parse a model reply as the JSON object `schema` describes; raise ReplyFormatError naming the
    missing or invalid field. Strings must be non-empty; booleans must be JSON true/false."""
    try:
        data = json.loads(_json_object_text(text))
    except json.JSONDecodeError as exc:
        raise ReplyFormatError(f"the reply's JSON does not parse: {exc.msg} at character {exc.pos}") from exc
    if not isinstance(data, dict):
        raise ReplyFormatError("the reply's JSON is not an object")
    for name, kind in schema.items():
        expected = _JSON_TYPE_NAMES.get(kind, kind.__name__)
        if name not in data:
            raise ReplyFormatError(f"field {name!r} is missing (expected {expected})")
        if not _type_ok(data[name], kind):
            raise ReplyFormatError(f"field {name!r} must be {expected}"
                                   f"{' (non-empty)' if kind is str else ''}, got {data[name]!r}")
    return data
