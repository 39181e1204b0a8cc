"""Running strategies over questions: one strategy (`run`), several side by side (`compare`), the
knowledge-base update (`measure_freshness`) and a small subset that keeps every category (`spread`).
Lesson 04 and `labkit compare`."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from labkit.data import EvalItem, load_docs
from labkit.documents import Document
from labkit.evaluate import EvalRun, run_eval
from labkit.judge import Judge
from labkit.models import DEFAULT_MODEL
from labkit.strategies.base import Strategy


def run(strategy: Strategy, items: Iterable[EvalItem], price_model: str = DEFAULT_MODEL,
        facts: Literal["current", "updated"] = "current", judge: Judge | None = None,
        kb: Sequence[Document] | None = None) -> EvalRun:
    """`labkit.evaluate.run_eval` with the strategy's answer function and format check (and the optional
    LLM judge of `labkit.judge`); kb: the knowledge base hallucination is judged against (None: the course's)."""
    return run_eval(items, strategy.answer, format_check=strategy.format_check, price_model=price_model,
                    facts=facts, judge=judge, kb=kb)


def compare(strategies: Iterable[Strategy], items: Sequence[EvalItem], price_model: str = DEFAULT_MODEL,
            log: Callable[[str], None] | None = None, judge: Judge | None = None) -> dict[str, EvalRun]:
    """{strategy name: EvalRun} over the same items (one strategy after the other)."""
    runs = {}
    for strategy in strategies:
        started = time.perf_counter()
        runs[strategy.name] = run(strategy, items, price_model, judge=judge)
        runs[strategy.name].extra["answered_by"] = getattr(strategy, "answered_by", "")
        if log:
            log(f"{strategy.name}: {len(items)} questions in {time.perf_counter() - started:.0f} s")
    return runs


@dataclass(frozen=True)
class Freshness:
    """One strategy after the knowledge base changed: what updating took, and which answers are new."""

    strategy: str
    action: str           # what `update` did (rebuild the prompt, re-index, nothing)
    n: int                # freshness-sensitive questions asked
    new_fact: float       # share of answers with every updated key fact
    old_fact: float       # share of answers still stating every old key fact
    run: EvalRun


def measure_freshness(strategies: Iterable[Strategy], items: Sequence[EvalItem],
                      docs: Sequence[Document] | None = None) -> list[Freshness]:
    """Apply the knowledge-base update (`load_docs("updated")`) to each strategy, then ask the questions
    that have updated facts; score them against the new and the old facts."""
    from labkit.evaluate import key_fact_score

    fresh_items = [i for i in items if i.updated_key_facts]
    if not fresh_items:
        raise ValueError("measure_freshness needs freshness-sensitive items (with updated_key_facts); "
                         "pick them with [i for i in load_eval('dev') if i.updated_key_facts]")
    docs = docs if docs is not None else load_docs("updated")
    results = []
    for strategy in strategies:
        action = strategy.update(docs)
        outcome = run(strategy, fresh_items, facts="updated", kb=docs)
        by_id = {i.id: i for i in fresh_items}
        old = [key_fact_score(r.answer, by_id[r.id].key_facts) == 1.0 for r in outcome.records]
        results.append(Freshness(strategy.name, action, len(fresh_items), outcome.summary.accuracy,
                                 sum(old) / len(old), outcome))
    return results


def spread(items: Sequence[EvalItem], n: int) -> list[EvalItem]:
    """`n` items taken round-robin over the categories (in order of first appearance): a small subset
    that still has every kind of question. n >= len(items) returns all items."""
    if n >= len(items):
        return list(items)
    by_category: dict[str, list[EvalItem]] = {}
    for item in items:
        by_category.setdefault(item.category, []).append(item)
    queues = list(by_category.values())
    chosen: list[EvalItem] = []
    while len(chosen) < n:
        for queue in queues:
            if queue and len(chosen) < n:
                chosen.append(queue.pop(0))
    order = {item.id: i for i, item in enumerate(items)}
    return sorted(chosen, key=lambda item: order[item.id])
