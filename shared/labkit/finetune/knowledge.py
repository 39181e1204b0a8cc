"""The knowledge adapter's data: question-answer pairs written from the knowledge base, and their test.

The seed's matrix says "Fine-Tuning: Highest (internalized knowledge)"; its takeaways say "fine-tune ...
not for adding factual knowledge (use RAG for that)". Only a model trained on the knowledge can decide
between the two, so the course trains a second adapter on `data/kb_qa/train.jsonl`: every section and
table row of the knowledge base as a templated question and an answer quoting the document, written by
`tools/build_kb_qa.py` (deterministic). `heldout.jsonl` asks the same facts in other words; it measures
whether the adapter recalls what it was trained on. No evaluation question or near-paraphrase of one is in
the training data (`paraphrase_hits`, checked by a test). Used by `make finetune` and lesson 04.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parents[1] / "data" / "kb_qa"
SYSTEM = ("You are a customer support agent for AcmeCorp, maker of Acme Workspace. "
          "Answer in one or two short sentences from what you know about AcmeCorp's plans and policies.")
PARAPHRASE = 0.8  # MiniLM cosine similarity from which two questions count as near-paraphrases


def load_train() -> list[dict]:
    """The training pairs as chat examples ({"messages": [system, user, assistant]})."""
    return [json.loads(line) for line in (DATA_DIR / "train.jsonl").read_text().splitlines()]


def load_heldout() -> list[dict]:
    """The same facts asked another way: {"doc", "question", "answer", "key_facts"} per line."""
    return [json.loads(line) for line in (DATA_DIR / "heldout.jsonl").read_text().splitlines()]


def paraphrase_hits(questions: list[str], against: list[str], threshold: float = PARAPHRASE) -> dict[str, str]:
    """{question: the `against` question it nearly repeats} for every question whose cosine similarity
    (all-MiniLM-L6-v2) to one of `against` is at least `threshold`."""
    from labkit.embed import embed

    if not questions or not against:
        return {}
    similarity = embed(questions) @ embed(against).T
    best = similarity.argmax(axis=1)
    return {q: against[j] for q, j, row in zip(questions, best, similarity) if row[j] >= threshold}


@dataclass
class RecallScore:
    """Share of held-out questions whose answer states every key fact (labkit.evaluate.key_fact_score)."""

    accuracy: float
    n: int
    correct: int
    model: str = ""
    answers: list[dict] = field(default_factory=list)


def evaluate_recall(client, model: str, items: list[dict], max_tokens: int = 80) -> RecallScore:
    """Ask each held-out item (with key facts) with `model` and score the answers by their key facts."""
    from labkit.evaluate import key_fact_score

    answers, answered_by = [], ""
    for item in items:
        msg = client.messages.create(model=model, max_tokens=max_tokens, system=SYSTEM,
                                     messages=[{"role": "user", "content": item["question"]}])
        text = "".join(getattr(b, "text", "") for b in msg.content).strip()
        answered_by = msg.model
        answers.append({"question": item["question"], "answer": text,
                        "correct": key_fact_score(text, item["key_facts"]) == 1.0})
    correct = sum(a["correct"] for a in answers)
    return RecallScore(correct / max(len(answers), 1), len(answers), correct, answered_by, answers)
