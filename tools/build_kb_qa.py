"""Write the knowledge adapter's training data: question-answer pairs built from the knowledge base.

    .venv/bin/python tools/build_kb_qa.py [--out DIR]    # rewrites shared/labkit/data/kb_qa/*.jsonl

The seed's decision matrix says fine-tuning gives the "highest" accuracy through "internalized knowledge".
To test that claim, a model has to be trained on the knowledge. This script turns every section and every
table row of the 35 knowledge-base documents into a question and a short answer that quotes the document,
with fixed templates (no model writes them, so the output is the same on every run):

- a section "## Refunds within 14 days" of "Refund policy" gives
  Q "Refund policy: what should I know about refunds within 14 days?"  A: the section's first sentences;
- a table row "| Storage | 5 GB | 50 GB | ..." under "| | Basic | Pro | ..." gives one pair per column:
  Q "Plans and pricing overview: what is the storage of Pro?"  A "The storage of Pro is 50 GB."

Each fact gets two phrasings: the first goes to train.jsonl (chat JSONL, the seed's format), the second to
heldout.jsonl, which measures before/after whether the adapter recalls trained facts when asked another way.
No evaluation question may be in the training data, not even as a near-paraphrase: any generated question
whose MiniLM cosine similarity to an evaluation question reaches labkit.finetune.knowledge.PARAPHRASE is
dropped, and the count is printed (tests/test_knowledge_data.py checks the committed files the same way).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "shared"))

from labkit.claims import literal_claims  # noqa: E402
from labkit.data import load_docs, load_eval  # noqa: E402
from labkit.finetune.knowledge import DATA_DIR, SYSTEM, paraphrase_hits  # noqa: E402

MAX_WORDS = 55


def plain(text: str) -> str:
    """Markdown to plain text: no emphasis, code marks or [doc-id] links; one line."""
    text = re.sub(r"[*`]", "", text)
    text = re.sub(r"\[([\w.-]+)\]", r"\1", text)
    return re.sub(r"\s+", " ", text).strip()


def first_words(text: str, limit: int = MAX_WORDS) -> str:
    """Whole sentences of `text` up to about `limit` words (at least one sentence)."""
    out: list[str] = []
    for sentence in re.split(r"(?<=[.!?])\s+", text):
        if out and len(" ".join(out + [sentence]).split()) > limit:
            break
        out.append(sentence)
    return " ".join(out)


def sections(body: str) -> list[tuple[str, list[str]]]:
    """(heading, lines) of each section; the text before the first ## is under the document title."""
    found: list[tuple[str, list[str]]] = [("", [])]
    in_code = False
    for line in body.splitlines():
        if line.startswith("```"):
            in_code = not in_code
            continue
        if in_code or line.startswith("# "):
            continue
        if line.startswith("#"):
            found.append((line.lstrip("#").strip(), []))
        elif line.strip():
            found[-1][1].append(line.strip())
    return [(h, lines) for h, lines in found if lines]


def cells(row: str) -> list[str]:
    return [plain(c) for c in row.strip().strip("|").split("|")]


def pairs_of(doc) -> list[tuple[str, str, str, list[str]]]:
    """(question A, question B, answer, key facts) for every section and table cell of a document."""
    out = []
    title = re.sub(r"^The ", "", doc.title)
    for heading, lines in sections(doc.text):
        prose = plain(" ".join(line.lstrip("-0123456789.) ") for line in lines if not line.startswith("|")))
        topic = heading.lower() if heading else f"{title.lower()} in general"
        if prose and len(prose.split()) >= 6 and not prose.endswith(":"):
            answer = first_words(prose)
            out.append((f"{title}: what should I know about {topic}?",
                        f"Tell me what the {title} documentation says about {topic}.", answer, literal_claims(answer)))
        table = [cells(line) for line in lines if line.startswith("|") and not re.fullmatch(r"\|[-| :]+\|", line)]
        if len(table) < 2:
            continue
        header, rows = table[0], table[1:]
        for row in rows:
            label = row[0]
            for column, value in zip(header[1:], row[1:]):
                if not value or value in ("-", "–") or not label:
                    continue
                if header[0].lower() in ("", "feature") and column:  # | | Basic | Pro |: columns are the things
                    thing, aspect = column, label
                else:                                   # | Plan | Requests per minute | : rows are the things
                    thing, aspect = label, column
                question_a = f"{title}: what is the {aspect.lower()} for {thing}?"
                question_b = f"According to the {title} documentation, {aspect.lower()} for {thing}?"
                answer = f"{title}, {thing}: {aspect.lower()} {value}."
                out.append((question_a, question_b, answer, [value]))
    return out


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=DATA_DIR, help="folder to write into (default: the course's)")
    out = parser.parse_args(argv).out
    docs = load_docs()
    eval_questions = [item.question for split in ("dev", "test") for item in load_eval(split)]
    rows = [(doc.id, *pair) for doc in docs for pair in pairs_of(doc)]
    seen: set[str] = set()
    unique = []
    for row in rows:
        if row[1].lower() not in seen:
            seen.add(row[1].lower())
            unique.append(row)
    hits = paraphrase_hits([q for r in unique for q in (r[1], r[2])], eval_questions)
    kept = [r for r in unique if r[1] not in hits and r[2] not in hits]
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "train.jsonl", "w") as train, open(out / "heldout.jsonl", "w") as held:
        for doc_id, question_a, question_b, answer, facts in kept:
            train.write(json.dumps({"messages": [{"role": "system", "content": SYSTEM},
                                                 {"role": "user", "content": question_a},
                                                 {"role": "assistant", "content": answer}]}) + "\n")
            held.write(json.dumps({"doc": doc_id, "question": question_b, "answer": answer,
                                   "key_facts": facts}) + "\n")
    print(f"{len(kept)} pairs from {len(docs)} documents ({len(rows) - len(unique)} repeated questions and "
          f"{len(unique) - len(kept)} near-paraphrases of evaluation questions dropped)")


if __name__ == "__main__":
    main()
