"""What every strategy shares: the interface, the course's wording (role, short-answer rule, guardrail),
and how a reply is read. Lesson 04 section 1; the strategies of `labkit.strategies` build on it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Protocol

from labkit.data import EvalItem, load_tickets
from labkit.documents import Document
from labkit.evaluate import Reply, as_reply

ROLE = "You are a customer support agent for AcmeCorp, maker of Acme Workspace."
SHORT_ANSWER = "Answer in one or two short sentences. Quote prices, limits and menu paths exactly as written above."
SHORT_WORDS = 60  # prompt-only and RAG are asked for short answers; more words fails their format check

# The seed's hybrid guardrails, added to the fine-tuned model's own system prompt: answer from the context.
GUARDRAIL = ("Use ONLY the facts in the Context. Never invent prices, limits, dates or menu paths. "
             "If the Context does not answer the question, reply exactly: I don't know based on the documentation.")


class Strategy(Protocol):
    """What `compare` needs from a strategy. `kind` says which of the seed's strategies it is (one of
    labkit.decision.KINDS), so the seed's claims can be checked; `name` labels it in tables."""

    name: str

    @property
    def kind(self) -> str: ...  # read-only: the strategies set it as a ClassVar

    def answer(self, item: EvalItem) -> Reply: ...

    def format_check(self, text: str) -> bool: ...

    def update(self, docs: Sequence[Document]) -> str: ...


def default_client(client: Any = None) -> Any:
    if client is not None:
        return client
    from labkit.llm import get_client

    return get_client()


def ticket_system_prompt() -> str:
    """The system prompt of the fine-tuning tickets (Diagnosis / Solution / Prevention, cite the docs)."""
    return load_tickets()[0]["messages"][0]["content"]


def support_format_ok(text: str) -> bool:
    """The support format is followed, strictly (labkit.finetune.strict_support_format: the sections and a
    Source line naming a real document)."""
    from labkit.finetune.heldout import strict_support_format

    return bool(text.strip()) and strict_support_format(text) is None


def reply_of(message: Any, evidence: str, retrieval_ms: float | None = None) -> Reply:
    """`labkit.evaluate.as_reply(message)`, stripped, with what the model was shown and the retrieval time."""
    reply = as_reply(message)
    return replace(reply, text=reply.text.strip(), evidence=evidence, retrieval_ms=retrieval_ms)
