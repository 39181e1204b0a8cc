"""Before/after of every metric fix of issue 20 on the same answers: re-score a saved `labkit compare` run with
the metrics as they were (labkit/evaluate.py at commit OLD, read from git history) and as they are now.

    labkit compare --split dev --limit 12 --json --save-answers bench/metric_fixes_answers.jsonl
    .venv/bin/python bench/metric_fixes.py                        # the committed answers
    .venv/bin/python bench/metric_fixes.py path/to/answers.jsonl --changes   # and every answer that moved

No model runs: the answers are read from the file. Each step changes one thing, so each fix's effect is its
own column:
- accuracy: old (old normalize, key facts as substrings with digit boundaries) -> + normalisation (HTML
  unescape, number formats) -> + whole values (words too) -> + contradictions (= the new `correct`);
- hallucination: old (old claims, against what each model was shown) -> new claims against the same shown
  evidence (`hallucinated_shown`) -> new claims against the knowledge base for every strategy (`hallucinated`);
- freshness (the updated run): the share of answers with every updated fact, old and new.
Then the same checks against the labelled answers (labkit.calibration): precision / recall / kappa, old and new.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import types
from collections import defaultdict
from pathlib import Path

from labkit import calibration, facts
from labkit.claims import kb_evidence
from labkit.data import load_docs, load_eval
from labkit.evaluate import Reply, score_answer

ROOT = Path(__file__).resolve().parents[1]
OLD = "f2fa64b"  # main before issue 20's metric fixes
DEFAULT = ROOT / "bench" / "metric_fixes_answers.jsonl"


def old_evaluate() -> types.ModuleType:
    """labkit/evaluate.py as it was at OLD, imported from git history (it still runs against today's labkit)."""
    source = subprocess.run(["git", "-C", str(ROOT), "show", f"{OLD}:shared/labkit/evaluate.py"], check=True,
                            capture_output=True, text=True).stdout
    module = types.ModuleType("old_evaluate")
    sys.modules["old_evaluate"] = module  # dataclasses look their module up
    exec(compile(source, f"{OLD}:shared/labkit/evaluate.py", "exec"), module.__dict__)
    return module


def substring_fact(answer: str, fact: str) -> bool:
    """The old matching rule (digits may not be glued on, words may) over the new normal form."""
    norm = facts.normalize(fact)
    before = r"(?<![\d.,])" if norm[:1].isdigit() else ""
    after = r"(?![\d]|[.,]\d)" if norm[-1:].isdigit() else ""
    return bool(re.search(before + re.escape(norm) + after, facts.normalize(answer)))


def load_answers(path: Path) -> tuple[list[dict], dict[str, str]]:
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in lines if "evidence" not in r], {r["evidence"]: r["text"] for r in lines if "evidence" in r}


def rescore(rows: list[dict], shown: dict[str, str], old: types.ModuleType,
            changes: list[str] | None = None) -> dict[tuple[str, str], dict]:
    """{(facts, strategy): {measure: [values per answer]}}; `changes` collects a line per answer whose verdict
    (correct, hallucinated) moved, with what the new metrics found."""
    items = {i.id: i for i in load_eval("all")}
    out: dict[tuple[str, str], dict] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        item, version = items[r["id"]], r["facts"]
        key_facts = item.updated_key_facts if version == "updated" and item.updated_key_facts else item.key_facts
        evidence = shown.get(r["evidence_key"]) if r.get("evidence_key") else None
        text = r["answer"]
        m = out[(version, r["strategy"])]
        old_refused = old.is_refusal(text)
        if item.answerable:
            m["accuracy: old"].append(old.key_fact_score(text, key_facts) == 1.0)
            m["+ normalisation"].append(all(substring_fact(text, f) for f in key_facts))
            m["+ whole values"].append(facts.key_fact_score(text, key_facts) == 1.0)
        new = score_answer(item, Reply(text, r["input_tokens"], r["output_tokens"], evidence),
                           kb_evidence(version), facts=version)
        if item.answerable:
            m["+ contradictions"].append(new.correct)
        if evidence is not None:
            old_unsupported = old.unsupported_claims(text, f"{evidence}\n{item.question}")
            m["halluc.: old (shown)"].append(bool(old_unsupported) and not old_refused)
            m["new claims, shown"].append(bool(new.hallucinated_shown))
        m["new claims, KB"].append(bool(new.hallucinated))
        if not item.answerable:
            m["refusal: old"].append(old_refused)
            m["refusal: new"].append(new.refused)
        was = (m["accuracy: old"][-1] if item.answerable else old_refused,
               m["halluc.: old (shown)"][-1] if evidence is not None else None)
        if changes is not None and was != (new.correct, new.hallucinated if evidence is not None else None):
            changes.append(f"- {r['strategy']} ({version}) {item.id}: correct {was[0]} -> {new.correct}, "
                           f"hallucinated {was[1]} -> {new.hallucinated}; missing {new.missing}, contradicted "
                           f"{new.contradicted}, unsupported {new.unsupported}\n  > {' '.join(text.split())[:300]}")
    return out


def rate(values: list) -> str:
    return f"{sum(values) / len(values):.2f} ({sum(values)}/{len(values)})" if values else "n/a"


def table(title: str, scores: dict, columns: list[str]) -> str:
    lines = [f"## {title}", "", "| strategy (knowledge base) | " + " | ".join(columns) + " |",
             "|---|" + "---|" * len(columns)]
    for (version, strategy), m in scores.items():
        lines.append(f"| {strategy} ({version}) | " + " | ".join(rate(m.get(c, [])) for c in columns) + " |")
    return "\n".join(lines)


def labels_before_after(old: types.ModuleType) -> str:
    """The labelled answers checked by the old and the new metrics (no shown evidence there: the old claims are
    run against the knowledge base, so the row isolates the new claim kinds)."""
    rows = calibration.load_labels()
    texts = {v: "\n".join(f"{d.title}\n{d.text}" for d in load_docs(v)) for v in ("current", "updated")}

    def old_hallucinated(row, item):
        unsupported = old.unsupported_claims(row.answer, f"{texts[row.kb]}\n{item.question}\n{item.answer}")
        return bool(unsupported) and not old.is_refusal(row.answer)

    def old_correct(row, item):
        facts_ = item.updated_key_facts if row.kb == "updated" and item.updated_key_facts else item.key_facts
        return old.key_fact_score(row.answer, facts_) == 1.0 if item.answerable else old.is_refusal(row.answer)

    report = {"hallucination, old claims vs the KB": calibration.calibrate(old_hallucinated, rows),
              "hallucination, new claims vs the KB": calibration.calibrate(calibration.deterministic_hallucination,
                                                                           rows),
              "correct, old (substrings, no contradictions)": calibration.calibrate(old_correct, rows, "correct"),
              "correct, new": calibration.calibrate(calibration.metric_correct, rows, "correct")}
    return "## The checks against the labelled answers (labkit.calibration)\n\n" + calibration.format_report(report)


def main(argv: list[str]) -> int:
    show_changes = "--changes" in argv
    argv = [a for a in argv if a != "--changes"]
    path = Path(argv[0]) if argv else DEFAULT
    if not path.exists():
        print(f"metric_fixes: no saved answers at {path}; make them with `labkit compare --split dev --limit 12 "
              f"--json --save-answers {path}`", file=sys.stderr)
        return 2
    rows, shown = load_answers(path)
    old = old_evaluate()
    changes: list[str] = []
    scores = rescore(rows, shown, old, changes)
    print(f"# Metric fixes of issue 20, before/after on {path.name} ({len(rows)} answers; old = {OLD})\n")
    print(table("Accuracy (answerable questions; the updated rows are the freshness re-run)", scores,
                ["accuracy: old", "+ normalisation", "+ whole values", "+ contradictions"]))
    print()
    print(table("Hallucination (all questions)", scores,
                ["halluc.: old (shown)", "new claims, shown", "new claims, KB"]))
    print()
    print(table("Refusal on unanswerable questions (unchanged rule, for reference)", scores,
                ["refusal: old", "refusal: new"]))
    print()
    print(labels_before_after(old))
    print(f"\n{len(changes)} answers changed verdict" + (":" if show_changes else " (--changes lists them)"))
    if show_changes:
        print("\n".join(changes))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
