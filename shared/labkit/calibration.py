"""How far to trust a checker: its agreement with answers a person labelled (precision, recall, Cohen's kappa).

    from labkit.calibration import calibration_report, format_report
    print(format_report(calibration_report()))           # the deterministic checks against the labels
    print(format_report(calibration_report(judge=make_judge())))   # and the Claude judge, with a key

A hallucination rate of 0.20 means little until we know how often the check that produced it is right.
`labkit/data/eval/hallucination_labels.jsonl` holds answers to dev questions (faithful, invented numbers,
paths and products, worded inventions, refusals, partial answers), each labelled by a written rule (its data
card: `data/cards/hallucination_labels.md`). This module runs a checker over them and counts:

- precision: of the answers the checker flags, the share the labels flag too;
- recall: of the answers the labels flag, the share the checker finds;
- Cohen's kappa: agreement beyond what chance would give with the same flag rates (1 perfect, 0 chance).

The checkers are the course's own: `labkit.evaluate.score_answer` (the same code `run_eval` runs, against
the knowledge base the row names) for hallucination and for correctness, and the LLM judge of `labkit.judge`
when Claude is configured. `labkit compare` and the lessons print these figures beside the rates they qualify.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from labkit.claims import kb_evidence
from labkit.data import EVAL_DIR, DataFileError, EvalItem, load_docs, load_eval, read_jsonl
from labkit.evaluate import Reply, is_refusal, kb_text, score_answer

LABELS_PATH = EVAL_DIR / "hallucination_labels.jsonl"
_FIELDS = {"id": str, "question_id": str, "kb": str, "answer": str, "hallucinated": bool, "correct": bool,
           "kind": str, "note": str, "labelled_by": str, "rule": str}


@dataclass(frozen=True)
class LabelledAnswer:
    """One labelled answer (see the data card for the rules H and C)."""

    id: str
    question_id: str
    kb: str              # "current" or "updated": the knowledge base the answer is judged against
    answer: str
    hallucinated: bool   # rule H
    correct: bool        # rule C
    kind: str            # what the author meant the answer to be: faithful, invented-number, refusal, ...
    note: str            # why the labels are what they are (the document that decides)
    labelled_by: str
    rule: str


def load_labels(path: Path | None = None) -> list[LabelledAnswer]:
    """The labelled answers; a missing or mistyped field, an unknown question id or a kb other than current /
    updated raises DataFileError naming the file and line."""
    path = Path(path) if path is not None else LABELS_PATH
    questions = {i.id for i in load_eval("all")}
    rows = []
    for line, row in enumerate(read_jsonl(path), start=1):
        for name, kind in _FIELDS.items():
            if not isinstance(row.get(name), kind):
                raise DataFileError(f"{path}: line {line}: field {name!r} must be a {kind.__name__}, "
                                    f"got {row.get(name)!r}")
        if row["question_id"] not in questions:
            raise DataFileError(f"{path}: line {line}: question_id {row['question_id']!r} is not in eval/*.jsonl")
        if row["kb"] not in ("current", "updated"):
            raise DataFileError(f"{path}: line {line}: kb must be 'current' or 'updated', not {row['kb']!r}")
        rows.append(LabelledAnswer(**{name: row[name] for name in _FIELDS}))
    return rows


@dataclass(frozen=True)
class Agreement:
    """A checker's flags against the labels' flags: the confusion counts and the figures made from them."""

    tp: int  # both flag
    fp: int  # the checker flags, the label does not
    fn: int  # the label flags, the checker does not
    tn: int  # neither flags

    @property
    def n(self) -> int:
        return self.tp + self.fp + self.fn + self.tn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else math.nan

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else math.nan

    @property
    def accuracy(self) -> float:
        return (self.tp + self.tn) / self.n if self.n else math.nan

    @property
    def kappa(self) -> float:
        """Cohen's kappa: (observed agreement - chance agreement) / (1 - chance agreement)."""
        n = self.n
        if not n:
            return math.nan
        observed = (self.tp + self.tn) / n
        chance = ((self.tp + self.fp) * (self.tp + self.fn) + (self.fn + self.tn) * (self.fp + self.tn)) / n**2
        return (observed - chance) / (1 - chance) if chance < 1 else math.nan


def agreement(predicted: Sequence[bool], labels: Sequence[bool]) -> Agreement:
    """Compare a checker's flags with the labels, answer by answer (same order, same length)."""
    if len(predicted) != len(labels):
        raise ValueError(f"{len(predicted)} predictions for {len(labels)} labels: pass one per labelled answer")
    pairs = [(bool(p), bool(t)) for p, t in zip(predicted, labels)]
    return Agreement(tp=pairs.count((True, True)), fp=pairs.count((True, False)),
                     fn=pairs.count((False, True)), tn=pairs.count((False, False)))


Checker = Callable[[LabelledAnswer, EvalItem], bool]


def _record(row: LabelledAnswer, item: EvalItem):
    return score_answer(item, Reply(row.answer), kb_evidence(row.kb), facts=row.kb)  # type: ignore[arg-type]


def deterministic_hallucination(row: LabelledAnswer, item: EvalItem) -> bool:
    """`EvalRecord.hallucinated` for this answer, exactly as `run_eval` computes it."""
    return bool(_record(row, item).hallucinated)


def metric_correct(row: LabelledAnswer, item: EvalItem) -> bool:
    """`EvalRecord.correct` for this answer (key facts as whole values, no contradiction; refusal if
    unanswerable), exactly as `run_eval` computes it."""
    return _record(row, item).correct


def judge_hallucination(judge: Callable) -> Checker:
    """A checker from an LLM judge (`labkit.judge.make_judge()`): it reads each answer against the knowledge
    base the row names, as `run_eval` has it do; refusals are not judged (as in `run_eval`)."""
    texts = {version: kb_text(load_docs(version)) for version in ("current", "updated")}

    def check(row: LabelledAnswer, item: EvalItem) -> bool:
        if is_refusal(row.answer):
            return False
        return judge(item.question, texts[row.kb], row.answer).hallucinated
    return check


def calibrate(checker: Checker, labels: Sequence[LabelledAnswer] | None = None,
              label: str = "hallucinated") -> Agreement:
    """How `checker(row, item) -> bool` agrees with the labels' `label` ("hallucinated" or "correct")."""
    if label not in ("hallucinated", "correct"):
        raise ValueError(f"label must be 'hallucinated' or 'correct', not {label!r}")
    rows = list(labels) if labels is not None else load_labels()
    items = {i.id: i for i in load_eval("all")}
    return agreement([checker(r, items[r.question_id]) for r in rows], [getattr(r, label) for r in rows])


def calibration_report(judge: Callable | None = None,
                       labels: Sequence[LabelledAnswer] | None = None) -> dict[str, Agreement]:
    """{check: Agreement} for the deterministic hallucination check, the accuracy metric and (with a judge)
    the LLM judge, against the committed labels."""
    rows = list(labels) if labels is not None else load_labels()
    report = {"hallucination (deterministic, vs the KB)": calibrate(deterministic_hallucination, rows),
              "correct (key facts + contradictions)": calibrate(metric_correct, rows, "correct")}
    if judge is not None:
        report["hallucination (LLM judge, vs the KB)"] = calibrate(judge_hallucination(judge), rows)
    return report


def format_report(report: dict[str, Agreement]) -> str:
    """The report as a markdown table: n, confusion counts, precision, recall, kappa."""
    def f(x: float) -> str:
        return "n/a" if math.isnan(x) else f"{x:.2f}"

    lines = ["| check | n | flagged both | checker only | labels only | precision | recall | kappa |",
             "|---|---|---|---|---|---|---|---|"]
    lines += [f"| {name} | {a.n} | {a.tp} | {a.fp} | {a.fn} | {f(a.precision)} | {f(a.recall)} | {f(a.kappa)} |"
              for name, a in report.items()]
    return "\n".join(lines)
