"""What each strategy takes to build, to change, and how it holds as the knowledge grows: the seed's
"Time to first result", "Iteration speed" and "Knowledge Volume" rows, measured. Lesson 04, `labkit compare`.

- setup: build the strategy from nothing on this machine: write the prompt (choose the documents, count
  their tokens), build the index (chunk, embed, store every document), train the adapter (its run record:
  `make finetune`);
- iteration: apply one changed fact (the refund policy's 2026-12-01 update): rebuild the prompt, re-index
  the changed document (only it is re-embedded), retrain (nothing is incremental: the whole run again);
- knowledge volume: the same dev questions answered by prompt-only and RAG from knowledge bases of 25%,
  50%, 100% and 200% of the seed's 5,000-token prompt budget (the documents help-desk tickets cite most
  come first). Prompt-only carries what fits the budget; RAG indexes all of it.
Times are machine time only: writing the documents, the prompt or the training data is not counted,
which is most of what the seed's "hours / days / weeks" are about. Each time is the median of `repeats`
runs, its interval their range.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from labkit.data import EvalItem, load_docs, load_eval
from labkit.evaluate import EvalRun
from labkit.prompts import TOKEN_BUDGET
from labkit.stats import Estimate

VOLUME_FRACTIONS = (0.25, 0.5, 1.0, 2.0)
CHANGED_DOC = "refunds-policy"  # the fact that changes: full refunds within 14 -> 30 days


def timed(fn: Callable[[], Any], repeats: int = 3) -> Estimate:
    """Median wall seconds of `repeats` calls of `fn`, with their range as the interval."""
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        seconds.append(time.perf_counter() - started)
    return Estimate(statistics.median(seconds), min(seconds), max(seconds), repeats, f"median of {repeats} runs, range")


def training_seconds() -> Estimate:
    """The knowledge adapter's training wall time, from its committed run record (one run)."""
    from labkit.adapters import KNOWLEDGE

    record = KNOWLEDGE.record()
    if record is None:
        return Estimate(float("nan"), float("nan"), float("nan"), 0, "no run record: `make finetune`")
    s = float(record["train"]["wall_seconds"])
    return Estimate(s, s, s, 1, f"one training run ({record['when']}, `make finetune`)")


def setup_times(client: Any = None, repeats: int = 3) -> dict[str, Estimate]:
    """Seconds to build prompt-only, RAG and the fine-tuned model from nothing."""
    from labkit.strategies import PromptOnly, default_client, kb_index

    client = default_client(client)
    docs = load_docs()
    return {"prompt-only": timed(lambda: PromptOnly(client, docs=docs), repeats),
            "rag": timed(lambda: kb_index(docs), repeats),
            "fine-tuned": training_seconds()}


def iteration_times(client: Any = None, repeats: int = 3) -> dict[str, Estimate]:
    """Seconds to apply one changed document: rebuild the prompt, re-index it, retrain."""
    from labkit.strategies import PromptOnly, default_client, kb_index

    client = default_client(client)
    old = load_docs()
    new = [d for d in load_docs("updated") if d.id == CHANGED_DOC] + [d for d in old if d.id != CHANGED_DOC]
    prompt = PromptOnly(client, docs=old)
    indexes = [kb_index(old) for _ in range(repeats)]  # a fresh index per repeat: each re-embeds the change

    def reindex() -> None:
        report = indexes.pop().add(new)
        assert report.updated == 1 and report.added == 0, report

    return {"prompt-only": timed(lambda: prompt.update(new), repeats), "rag": timed(reindex, repeats),
            "fine-tuned": training_seconds()}


@dataclass
class VolumePoint:
    """Prompt-only and RAG on one knowledge-base size."""

    fraction: float           # knowledge-base tokens / the prompt budget
    kb_tokens: int
    n_docs: int
    prompt_docs: int          # how many of them prompt-only could carry
    prompt_only: EvalRun
    rag: EvalRun


def knowledge_subsets(client: Any, fractions: Sequence[float] = VOLUME_FRACTIONS) -> list[tuple[float, list, int]]:
    """(fraction, documents, their tokens) growing in curated order until each fraction of the budget."""
    from labkit.prompts import count_tokens, knowledge_from_docs
    from labkit.strategies import curated_order

    ordered, out = curated_order(load_docs()), []
    for fraction in fractions:
        chosen: list = []
        tokens = 0
        for doc in ordered:
            if tokens >= fraction * TOKEN_BUDGET:
                break
            chosen.append(doc)
            tokens = count_tokens(client, knowledge_from_docs(chosen))
        out.append((fraction, chosen, tokens))
    return out


def volume_curve(client: Any = None, questions: int = 8, fractions: Sequence[float] = VOLUME_FRACTIONS,
                 items: Sequence[EvalItem] | None = None) -> list[VolumePoint]:
    """Accuracy of prompt-only and RAG as the knowledge base grows past the prompt budget. At each size the
    questions are `questions` answerable dev questions whose gold sources are all in that knowledge base."""
    from labkit.strategies import PromptOnly, Rag, default_client, kb_index, run, spread

    client = default_client(client)
    items = list(items) if items is not None else load_eval("dev")
    points = []
    for fraction, docs, tokens in knowledge_subsets(client, fractions):
        ids = {d.id for d in docs}
        asked = spread([i for i in items if i.answerable and set(i.sources) <= ids], questions)
        prompt = PromptOnly(client, docs=docs)
        rag = Rag(kb_index(docs), client)
        points.append(VolumePoint(fraction, tokens, len(docs), len(prompt.included),
                                  run(prompt, asked), run(rag, asked)))
    return points
