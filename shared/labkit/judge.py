"""An LLM judge for hallucination: the extra check of module 4, used only when Claude is configured.

    from labkit.judge import make_judge
    judge = make_judge()                       # JudgeNeedsClaude without ANTHROPIC_API_KEY
    verdict = judge(question, evidence, answer)
    verdict.unsupported                        # the statements the judge found no support for

`labkit.evaluate.unsupported_claims` is the course's hallucination check: deterministic, cheap and blind to
wording (it checks numbers, menu paths, e-mails, URLs, products and names). A judge model reads the whole
answer instead, so it also catches an invented policy written in words ("refunds are available for any reason"), at the
price of being a model: it costs tokens, takes time and can be wrong. The course reports the judge's rate
*beside* the deterministic one, never instead of it, and counts how often the two agree. Both read the same
evidence for every strategy: the knowledge base the question is about (`labkit.evaluate.run_eval`), which the
judge's request marks for prompt caching. `labkit.calibration` measures the judge against labelled answers.

Offline the only judge at hand would be the 0.5B local model, whose verdicts are no better than a coin:
`make_judge` refuses it (JudgeNeedsClaude) rather than print a number that means nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from labkit.models import FAST_MODEL
from labkit.prompts import ReplyFormatError, parse_json_reply
from labkit.replies import as_reply

JUDGE_SYSTEM = (
    "You check a customer-support answer against the evidence (the company's knowledge base). List every "
    "statement of fact in the answer (a price, limit, date, menu path, product, platform, policy, procedure "
    "step, contact) that the evidence does not support. A refusal or an escalation to a human is not a "
    "statement of fact. Rephrasing a supported fact is fine. Reply with JSON only, no prose: "
    '{"unsupported": ["<statement>", ...]} (an empty list when everything is supported).'
)


class JudgeNeedsClaude(RuntimeError):
    """The judge was asked for without Claude configured (ANTHROPIC_API_KEY unset)."""


class JudgeError(ValueError):
    """The judge's reply was not the JSON it was asked for; the message quotes the reply."""


@dataclass(frozen=True)
class JudgeVerdict:
    """What the judge said of one answer: the unsupported statements (empty: all supported)."""

    unsupported: list[str]
    input_tokens: int
    output_tokens: int
    cache_read_input_tokens: int = 0
    cache_creation_input_tokens: int = 0

    @property
    def hallucinated(self) -> bool:
        return bool(self.unsupported)


def judge_system(evidence: str) -> list[dict]:
    """The judge's system prompt: the instructions, then the evidence in its own block marked for prompt
    caching. `run_eval` passes the same knowledge base for every answer, so Claude writes it to the cache once
    and reads it at a tenth of the input price afterwards (`labkit.costs`)."""
    return [{"type": "text", "text": JUDGE_SYSTEM},
            {"type": "text", "text": f"<evidence>\n{evidence}\n</evidence>", "cache_control": {"type": "ephemeral"}}]


def judge_prompt(question: str, answer: str) -> str:
    """The user message the judge reads: the question and the answer in tagged blocks."""
    return f"<question>\n{question}\n</question>\n\n<answer>\n{answer}\n</answer>"


def parse_verdict(text: str) -> list[str]:
    """The "unsupported" list of the judge's JSON reply (`labkit.prompts.parse_json_reply`: a ```json fence
    or a sentence around the object is allowed)."""
    problem = 'is not JSON or has no "unsupported" list of strings'
    try:
        items = parse_json_reply(text, {"unsupported": list})["unsupported"]
    except ReplyFormatError as exc:
        raise JudgeError(f"the judge's reply {problem} ({exc}): {text[:200]!r}") from None
    if not all(isinstance(s, str) for s in items):
        raise JudgeError(f"the judge's reply {problem}: {text[:200]!r}")
    return [s.strip() for s in items if s.strip()]


def judge_answer(client: Any, question: str, evidence: str, answer: str, model: str = FAST_MODEL) -> JudgeVerdict:
    """Ask `model` (through `client.messages.create`) which statements of `answer` `evidence` does not support."""
    message = client.messages.create(model=model, max_tokens=400, system=judge_system(evidence),
                                     messages=[{"role": "user", "content": judge_prompt(question, answer)}])
    reply = as_reply(message)
    return JudgeVerdict(parse_verdict(reply.text), reply.input_tokens, reply.output_tokens,
                        reply.cache_read_input_tokens, reply.cache_creation_input_tokens)


Judge = Callable[[str, str, str], JudgeVerdict]


def make_judge(client: Any = None, model: str = FAST_MODEL) -> Judge:
    """A judge function (question, evidence, answer) -> JudgeVerdict that calls Claude.

    Without `client`, Claude must be configured (ANTHROPIC_API_KEY set), else JudgeNeedsClaude. Passing a
    client skips that check: it is how the tests drive the judge through the real SDK with a scripted server.
    """
    if client is None:
        from labkit.llm import backend_name, get_client

        if backend_name() != "claude":
            raise JudgeNeedsClaude("the LLM judge runs only with Claude: set ANTHROPIC_API_KEY (offline, the "
                                   "deterministic hallucination check in the table is the measurement)")
        client = get_client("claude")
    return lambda question, evidence, answer: judge_answer(client, question, evidence, answer, model)
