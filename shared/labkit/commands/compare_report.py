"""The printed and recorded forms of `labkit compare`: markdown tables, the JSON record (every metric and
verdict with its interval, every answer) and the saved answers. Functions of the runs, estimates and
verdicts; no orchestration (that is labkit.commands.compare). Lesson 04 reads what `to_json` writes."""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from labkit.decision import Verdict
    from labkit.stats import Estimate


def write_record(record: str | None, out: dict, text: str) -> None:
    """--record PATH.json: the JSON there and the tables next to it as PATH.md."""
    if not record:
        return
    from pathlib import Path

    path = Path(record)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=1, default=float, allow_nan=False) + "\n")
    command = " ".join(["labkit compare", *sys.argv[2:]]) if sys.argv[1:2] == ["compare"] else "labkit compare"
    path.with_suffix(".md").write_text(f"# Recorded run: `{command}`\n\nGenerated; do not edit by hand.\n\n{text}\n")


def report(split: str, items: Sequence[Any], runs: Mapping[str, Any], estimates: Mapping[str, Mapping[str, Estimate]],
           fresh: Sequence[Any], fresh_estimates: Mapping[str, Mapping[str, Estimate]],
           effort: Mapping[str, Mapping[str, Estimate]], volume: Sequence[Any], claims: Sequence[Verdict],
           notes: Sequence[str], wall: float, judged: bool = False, costs: Sequence[Any] = (),
           calibration: str = "", splits: Mapping[str, Any] | None = None) -> str:
    """The whole comparison as markdown: metrics, freshness, effort, volume, the claims, notes."""
    from labkit.evaluate import format_table

    parts = [f"## Measured: {len(items)} {split} questions, 95% intervals\n", metrics_table(estimates)]
    if splits:
        parts += ["\n## By split: dev (the lessons tune on it) and test (nobody tunes on it)\n", split_table(splits)]
    if calibration:
        parts += ["\nHow far the checks agree with hand labels (eval/hallucination_labels.jsonl, 80 answers):\n",
                  calibration]
    if judged:
        parts.append("\nLLM judge (no intervals): " + "; ".join(
            f"{name}: hallucination {runs[name].summary.judge_hallucination_rate:.2f}, agrees with the check "
            f"{runs[name].summary.judge_agreement:.2f}" for name in runs))
    if fresh:
        parts += ["\n## Freshness: the knowledge base updated (kb_updates/), freshness-sensitive questions asked "
                  "again\n", freshness_table(fresh, fresh_estimates)]
    if effort:
        parts += ["\n## Setup and iteration: machine seconds (median of 3 runs and their range; fine-tuned: its "
                  "one recorded training run, `make finetune`)\n", effort_table(effort)]
    if volume:
        parts += ["\n## Knowledge volume: accuracy as the knowledge base grows past the prompt budget\n",
                  format_table([volume_row(p) for p in volume])]
    if costs:
        from labkit.costs import format_scenarios

        parts += ["\n## Costs as a user would pay them: measured tokens x dated prices, caching off and on\n",
                  format_scenarios(costs)]
    parts += ["\n## The seed's claims beside the measurements\n", verdicts_table(claims), f"\n{counts_line(claims)}"]
    parts += [f"- {note}" for note in notes] + [f"\nwall time: {wall:.0f} s"]
    return "\n".join(parts)


def metrics_table(estimates: Mapping[str, Mapping[str, Estimate]]) -> str:
    """One row per metric, one column per strategy: 'value [low, high]' (labkit.intervals.METRICS)."""
    from labkit.evaluate import format_table
    from labkit.intervals import METRICS

    rows = [{"metric": m.label, **{name: est[m.name].format(m.fmt) for name, est in estimates.items()}}
            for m in METRICS]
    return format_table(rows)


SPLIT_METRICS = ("accuracy", "hallucination_rate")


def by_split(items: Sequence[Any], runs: Mapping[str, Any]) -> dict[str, dict[str, dict[str, Estimate]]]:
    """{strategy: {split: {metric: estimate}}} when the questions span splits (`--split all`): the test split is
    the one no lesson tuned on, so a strategy that looks better on dev than on test was tuned to dev. Empty
    for one split."""
    from labkit.evaluate import EvalRun, summarize
    from labkit.intervals import cluster_labels, estimate

    splits = sorted({i.split for i in items})
    if len(splits) < 2:
        return {}
    split_of, clusters = {i.id: i.split for i in items}, cluster_labels(items)
    out: dict[str, dict[str, dict[str, Estimate]]] = {}
    for name, run in runs.items():
        out[name] = {}
        for split in splits:
            records = [r for r in run.records if split_of.get(r.id) == split]
            part = EvalRun(records, summarize(records, run.summary.price_model))
            out[name][split] = {m: estimate(part, m, clusters) for m in SPLIT_METRICS}
    return out


def splits_as_record(splits: Mapping[str, Mapping[str, Mapping[str, Estimate]]]) -> dict:
    """`by_split` as the JSON record holds it (Estimate.as_dict); `splits_from_record` reads it back."""
    return {name: {split: {m: e.as_dict() for m, e in per.items()} for split, per in parts.items()}
            for name, parts in splits.items()}


def splits_from_record(by_split: Mapping[str, Mapping[str, Mapping[str, dict]]]
                       ) -> dict[str, dict[str, dict[str, Estimate]]]:
    """A record's JSON `by_split` back as estimates, for `split_table` (lesson 04, tools/record_headlines.py)."""
    from labkit.stats import Estimate

    return {name: {split: {m: Estimate.from_dict(e) for m, e in per.items()} for split, per in parts.items()}
            for name, parts in by_split.items()}


def split_table(splits: Mapping[str, Mapping[str, Mapping[str, Estimate]]]) -> str:
    """One row per strategy: accuracy and hallucination on each split, with intervals."""
    from labkit.evaluate import format_table

    return format_table([{"strategy": name, **{f"{m.replace('_rate', '')} ({split}, n={e[m].n})": e[m].format()
                                               for split, e in per.items() for m in SPLIT_METRICS}}
                         for name, per in splits.items()])


def freshness_table(fresh: Sequence[Any], estimates: Mapping[str, Mapping[str, Estimate]]) -> str:
    """One row per labkit.strategies.Freshness, with the intervals of its new-fact and old-fact shares."""
    from labkit.evaluate import format_table

    return format_table([{"strategy": f.strategy, "update": f.action, "questions": f.n,
                          "new fact": estimates[f.strategy]["new_fact"].format("{:.0%}"),
                          "old fact": estimates[f.strategy]["old_fact"].format("{:.0%}")} for f in fresh])


PRICED = {"prompt-only": "prompt-only", "prompt-whole-kb": "prompt-only", "rag": "rag", "fine-tuned": "fine-tuned"}


def cost_rows(strategies: Sequence[Any], runs: Mapping[str, Any]) -> list:
    """labkit.costs' scenario rows (model tier x caching) for the strategies the seed prices, from the
    measured tokens (the cacheable prefix: what the engine read from its cache)."""
    from dataclasses import replace

    from labkit.costs import TokenMeans, cost_scenarios
    from labkit.decision import role_of

    rows = []
    for s in strategies:
        kind = PRICED.get(role_of(s))
        if kind is None:
            continue
        means = TokenMeans.from_summary(kind, runs[s.name].summary, getattr(s, "prompt_tokens", None) or None)
        rows += [replace(r, strategy=s.name) for r in cost_scenarios([means])]
    return rows


def effort_table(effort: Mapping[str, Mapping[str, Estimate]]) -> str:
    """One row per strategy: setup and iteration seconds with their ranges (labkit.effort)."""
    from labkit.evaluate import format_table

    roles = list(next(iter(effort.values())))
    return format_table([{"strategy": r, **{what: times[r].format("{:,.1f}") for what, times in effort.items()}}
                         for r in roles])


def volume_row(point: Any, as_json: bool = False) -> dict:
    """One knowledge-base size of labkit.effort.volume_curve: its size, and both accuracies with intervals."""
    from labkit.intervals import estimate

    po, rag = estimate(point.prompt_only, "accuracy"), estimate(point.rag, "accuracy")
    row = {"size": f"{point.fraction:.0%} of the budget", "tokens": point.kb_tokens, "documents": point.n_docs,
           "in the prompt": point.prompt_docs, "questions": point.rag.summary.n}
    if as_json:
        return {**row, "prompt_only_accuracy": po.as_dict(), "rag_accuracy": rag.as_dict()}
    return {**row, "prompt-only accuracy": po.format(), "rag accuracy": rag.format()}


def verdicts_table(claims: Sequence[Verdict]) -> str:
    """The claims table: factor, the seed's words, the test, every interval measured, the verdict."""
    from labkit.evaluate import format_table

    return format_table([c.row() for c in claims])


def counts_line(claims: Sequence[Verdict]) -> str:
    """'3 agree, 1 disagree (better than claimed), ..., 2 n/a'."""
    from labkit.decision import counts

    return ", ".join(f"{n} {verdict}" for verdict, n in counts(claims).items())


def to_json(split: str, items: Sequence[Any], price_model: str, strategies: Sequence[Any],
            runs: Mapping[str, Any], estimates: Mapping[str, Mapping[str, Estimate]], claims: Sequence[Verdict],
            fresh: Sequence[Any], fresh_estimates: Mapping[str, Mapping[str, Estimate]], notes: Sequence[str],
            wall: float) -> dict:
    """The JSON form of a comparison: every metric and every verdict with value, low and high."""
    from labkit.decision import counts, not_real, role_of

    return {
        "split": split, "questions": [i.id for i in items], "price_model": price_model,
        "strategies": {s.name: {"kind": s.kind, "role": role_of(s), "real": not_real(s) is None,
                                "n": runs[s.name].summary.n,
                                "metrics": {k: e.as_dict() for k, e in estimates[s.name].items()},
                                "summary": no_nan(runs[s.name].summary.as_dict()),
                                "answered_by": runs[s.name].extra.get("answered_by", ""),
                                "records": [record_row(r) for r in runs[s.name].records]}
                       for s in strategies},
        "claims": [c.as_dict() for c in claims], "verdict_counts": counts(claims),
        "freshness": [{"strategy": f.strategy, "action": f.action, "n": f.n,
                       **{k: e.as_dict() for k, e in fresh_estimates[f.strategy].items()}} for f in fresh],
        "notes": list(notes), "wall_seconds": round(wall, 1)}


RECORD_FIELDS = ("id", "category", "answerable", "correct", "refused", "format_ok", "hallucinated", "citation_ok",
                 "latency_ms", "retrieval_ms", "input_tokens", "output_tokens", "cost_usd", "answer")


def record_row(record: Any) -> dict:
    """One answer of a run, as JSON: what a lesson needs to recompute any interval or paired difference."""
    return no_nan({f: getattr(record, f) for f in RECORD_FIELDS})


def no_nan(row: dict) -> dict:
    """NaN (a rate with no question to count) as JSON null: NaN is not valid JSON."""
    return {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in row.items()}


def save_answers(path: str, split: str, strategies: list, runs: dict, fresh: list) -> None:
    """One JSON line per answer of the comparison and of the freshness re-run: what re-scoring needs. What a
    model was shown is often the same long prompt for every question, so each distinct text is written once
    as {"evidence": key, "text": ...} and answers name it by "evidence_key"."""
    fields = ("id", "answer", "input_tokens", "output_tokens", "cache_read_input_tokens",
              "cache_creation_input_tokens", "latency_ms", "retrieval_ms")
    kinds = {s.name: s.kind for s in strategies}
    keys: dict[str, str] = {}
    with open(path, "w", encoding="utf-8") as out:
        for facts, named in (("current", runs), ("updated", {f.strategy: f.run for f in fresh})):
            for name, run in named.items():
                for record in run.records:
                    shown = record.evidence_shown
                    if shown is not None and shown not in keys:
                        keys[shown] = f"e{len(keys) + 1}"
                        out.write(json.dumps({"evidence": keys[shown], "text": shown}, ensure_ascii=False) + "\n")
                    row = {"split": split, "facts": facts, "strategy": name, "kind": kinds[name],
                           **{f: getattr(record, f) for f in fields},
                           "evidence_key": None if shown is None else keys[shown]}
                    out.write(json.dumps(row, ensure_ascii=False) + "\n")
