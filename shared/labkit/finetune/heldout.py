"""Held-out support tickets, split by scenario, and the before/after measurement of a fine-tuned model.

The ticket file holds 6 phrasings of each of 65 problem scenarios, and the replies within a scenario are
nearly the same text (data card). A random split puts phrasings of one scenario on both sides, so a
"held-out" ticket's gold reply can appear word for word in training: the test then measures recall of a
seen reply, not the skill. Here a scenario is the documentation section its reply cites (`Source: [doc]
Heading`), and whole scenarios go to one side: the held-out tickets ask about problems the model never
saw. Lab exercise 3.4 asks for the same kind of split.

`evaluate_format` asks each held-out ticket through the anthropic SDK (base model or an `ft:` id, same
engine) and scores two things, each named for what it measures:
- format adherence: the reply passes `strict_support_format` (the sections, and a Source line naming a
  real knowledge-base document and a well-formed heading);
- real section: the Source heading is one of that document's sections (knowledge, not format);
- cites the gold document: the reply's Source names the same document as the gold reply. This is about
  routing (which documentation answers this problem), not whether the steps are right.
Used by lesson 03 and `make finetune`.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache

from labkit.finetune.examples import Example, as_examples
from labkit.finetune.reply_format import REPLY_MAX_TOKENS, support_format

SOURCE_LINE = re.compile(r"Source: \[([\w.-]+)\] (.+)$", re.M)


def cited_doc(reply: str) -> str | None:
    """The doc id of the first 'Source: [doc-id] ...' in a reply, wherever it is (None if there is none)."""
    found = SOURCE_LINE.search(reply)
    return found.group(1) if found else None


@cache
def doc_headings() -> dict[str, frozenset[str]]:
    """doc id -> the document's title and markdown headings (what a Source line may name)."""
    from labkit.data import load_docs

    out = {}
    for doc in load_docs():
        heads = {line.lstrip("#").strip() for line in doc.text.splitlines() if line.startswith("#")}
        out[doc.id] = frozenset(heads | {doc.title})
    return out


WELL_FORMED_HEADING = re.compile(r"[A-Z0-9][\w'&/(),.:?!-]*(?: [\w'&/(),.:?!-]+){0,11}")
MAX_WORD = 20  # longer "words" are run-together garbage ("Payingfirehosefirehose")


def strict_support_format(reply: str) -> str | None:
    """None when `reply` follows the support format (labkit.finetune.support_format) AND its Source line
    names a real knowledge-base document and a well-formed heading (one to twelve words, none run
    together); else what is wrong. Whether the heading really is one of that document's sections is a
    separate question (`real_section`): it is knowledge, not format."""
    problem = support_format(reply)
    if problem:
        return problem
    source = SOURCE_LINE.search(reply.strip().split("\n")[-1])
    assert source is not None  # support_format has checked that the last line is a Source line
    doc, heading = source.groups()
    if doc not in doc_headings():
        return f"cites [{doc}], which is not a document of the knowledge base"
    heading = heading.strip()
    if not WELL_FORMED_HEADING.fullmatch(heading) or max(map(len, heading.split())) > MAX_WORD:
        return f"the Source heading '{heading[:60]}' is not a well-formed section name"
    return None


def real_section(reply: str) -> bool:
    """The reply's Source line names a document of the knowledge base and one of that document's headings."""
    found = SOURCE_LINE.search(reply)
    return found is not None and found.group(2).strip() in doc_headings().get(found.group(1), ())


def scenario(example: Example) -> str:
    """The scenario of a ticket: the Source line of its gold reply (the section that answers it)."""
    found = SOURCE_LINE.search(example.messages[-1]["content"])
    return found.group(0) if found else example.messages[-1]["content"]


def split_by_scenario(examples: Iterable[Example | dict], held_out_fraction: float = 0.15, seed: int = 0
                      ) -> tuple[list[Example], list[Example]]:
    """(train, held out): whole scenarios (about `held_out_fraction` of them) go to the held-out side.
    Both lists keep the file order; no held-out ticket shares its scenario with a training ticket."""
    examples = as_examples(examples)
    keys = sorted({scenario(ex) for ex in examples})
    random.Random(seed).shuffle(keys)
    held = set(keys[: max(1, round(len(keys) * held_out_fraction))])
    return ([ex for ex in examples if scenario(ex) not in held], [ex for ex in examples if scenario(ex) in held])


def default_split(n_train: int = 120, n_eval: int = 20, seed: int = 0) -> tuple[list[Example], list[Example]]:
    """The course's split of the clean tickets: n_train training tickets and n_eval held-out tickets from
    scenarios the training tickets do not cover (`split_by_scenario`)."""
    from labkit.data import load_tickets

    train, held_out = split_by_scenario(load_tickets(), seed=seed)
    return train[:n_train], held_out[:n_eval]


@dataclass
class FormatResult:
    """One held-out ticket: the reply, what is wrong with its format (None: nothing), which doc it cites."""

    ticket: str
    reply: str
    format_problem: str | None
    gold_doc: str
    cited_doc: str | None
    output_tokens: int = 0
    real_section: bool = False


@dataclass
class FormatScore:
    """Format adherence and gold-document citation of one model on held-out tickets."""

    adherence: float       # share of replies that pass strict_support_format
    cites_gold_doc: float  # share of replies whose Source names the gold reply's document
    n: int
    real_section: float = 0.0  # share of replies whose Source is a real section of a real document
    model: str = ""        # which model answered (the server's name for it)
    per_example: list[FormatResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def passed(self) -> int:
        return sum(r.format_problem is None for r in self.per_example)


def evaluate_format(client, tickets: Iterable[Example | dict], model: str, max_tokens: int = REPLY_MAX_TOKENS,
                    system: str | None = None, examples: Iterable[Example | dict] = ()) -> FormatScore:
    """Ask each ticket (its own system prompt unless `system` is given) with `model` and score the replies.

    client: an `anthropic.Anthropic` (labkit.llm.get_client()). examples: tickets shown before each
    question as earlier user/assistant turns: the few-shot baseline, prompting for the format instead of
    training it.
    """
    started = time.perf_counter()
    shots = [m for ex in as_examples(examples) for m in ex.messages if m["role"] != "system"]
    results, answered_by = [], ""
    for ex in as_examples(tickets):
        by_role = {m["role"]: m["content"] for m in ex.messages}
        prompt = system if system is not None else by_role.get("system")
        kwargs = {"system": prompt} if prompt else {}
        msg = client.messages.create(model=model, max_tokens=max_tokens, **kwargs,
                                     messages=[*shots, {"role": "user", "content": by_role["user"]}])
        reply = "".join(getattr(b, "text", "") for b in msg.content).strip()
        answered_by = msg.model
        results.append(FormatResult(by_role["user"], reply, strict_support_format(reply),
                                    cited_doc(by_role["assistant"]) or "", cited_doc(reply), msg.usage.output_tokens,
                                    real_section(reply)))
    return score(results, answered_by, time.perf_counter() - started)


def score(results: list[FormatResult], model: str = "", seconds: float = 0.0) -> FormatScore:
    """The shares of `results` that pass each check."""
    n = max(len(results), 1)
    return FormatScore(adherence=sum(r.format_problem is None for r in results) / n,
                       cites_gold_doc=sum(r.cited_doc == r.gold_doc for r in results) / n, n=len(results),
                       real_section=sum(r.real_section for r in results) / n, model=model, per_example=results,
                       seconds=seconds)


def comparison_table(scores: dict[str, FormatScore]) -> str:
    """A markdown table of named scores, e.g. {"base": before, "LoRA": after}."""
    rows = ["| model | format adherence | real section | cites the gold document | n |", "|---|---:|---:|---:|---:|"]
    for name, s in scores.items():
        rows.append(f"| {name} | {s.adherence:.0%} ({s.passed}/{s.n}) | {s.real_section:.0%} | "
                    f"{s.cites_gold_doc:.0%} | {s.n} |")
    return "\n".join(rows)
