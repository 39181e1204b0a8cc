"""The knowledge adapter's training data (labkit/data/kb_qa, labkit.finetune.knowledge): valid chat JSONL,
rebuilt byte for byte by its script, and free of evaluation questions and their near-paraphrases."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from labkit import finetune as ft
from labkit.data import load_eval
from labkit.finetune.knowledge import DATA_DIR, PARAPHRASE, load_heldout, load_train, paraphrase_hits

ROOT = Path(__file__).resolve().parents[1]
EVAL_QUESTIONS = [item.question for split in ("dev", "test") for item in load_eval(split)]


def test_the_training_file_is_valid_chat_jsonl():
    report = ft.validate(DATA_DIR / "train.jsonl", counter="estimate")
    assert report.ok and report.n_valid == report.n_lines == len(load_train()) > 300


def test_no_evaluation_question_or_near_paraphrase_is_trained_on():
    questions = [ex["messages"][1]["content"] for ex in load_train()] + [item["question"] for item in load_heldout()]
    assert not set(questions) & set(EVAL_QUESTIONS)
    assert paraphrase_hits(questions, EVAL_QUESTIONS, PARAPHRASE) == {}


def test_the_check_would_catch_a_paraphrase():
    hits = paraphrase_hits(["How much does the Basic plan cost each month?"], EVAL_QUESTIONS)
    assert hits == {"How much does the Basic plan cost each month?": "how much is the Basic plan a month?"}


def test_held_out_items_ask_the_trained_facts_in_other_words():
    train, held = load_train(), load_heldout()
    assert len(train) == len(held)
    for ex, item in zip(train, held):
        assert ex["messages"][2]["content"] == item["answer"] and ex["messages"][1]["content"] != item["question"]


def test_the_script_rebuilds_the_committed_files_byte_for_byte(tmp_path):
    subprocess.run([sys.executable, str(ROOT / "tools" / "build_kb_qa.py"), "--out", str(tmp_path)], check=True,
                   capture_output=True, timeout=300)
    for name in ("train.jsonl", "heldout.jsonl"):
        assert (tmp_path / name).read_bytes() == (DATA_DIR / name).read_bytes()
