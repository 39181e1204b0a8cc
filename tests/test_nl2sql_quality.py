"""The quality-vs-quantity experiment (labkit.nl2sql.quality): its conditions, the reuse of the course SQL
adapter's run for the condition that repeats it exactly, and the committed record lesson 03b and lab 3b read."""

from __future__ import annotations

import pytest

from labkit.adapters import SQL
from labkit.nl2sql import load_split, quality

FULL = next(c for c in quality.CONDITIONS if c.n_train == 119 and not c.corrupt_share)
CORRUPTED = next(c for c in quality.CONDITIONS if c.corrupt_share)


def test_the_conditions_are_the_issues_sizes_and_one_corrupted_copy():
    assert [(c.n_train, c.corrupt_share) for c in quality.CONDITIONS] == [(25, 0.0), (50, 0.0), (119, 0.0),
                                                                        (119, 0.3)]
    assert [c.steps for c in quality.CONDITIONS] == [10, 19, 45, 45]  # three passes of batches of 8


def test_only_the_exact_repeat_of_the_course_run_is_reused():
    train = load_split().train
    assert SQL.record() is not None, "the SQL adapter's record is missing: make finetune writes it"
    assert quality.course_run(FULL, list(train), 40) == SQL.record()
    assert quality.course_run(FULL, list(train), 20) is None          # scored on other questions
    assert quality.course_run(FULL, list(train[:-1]) + [train[0]], 40) is None   # other data
    assert quality.course_run(CORRUPTED, list(train), 40) is None      # corrupted: trained anew


def test_the_committed_record_holds_every_condition_on_the_same_questions():
    record = quality.load()
    assert record is not None, f"{quality.RECORD} is missing: make sql-quality writes it"
    assert [c["name"] for c in record["conditions"]] == [c.name for c in quality.CONDITIONS]
    validation = [p.id for p in load_split().validation]
    assert record["validation"] == validation
    for c in record["conditions"]:
        assert [r["id"] for r in c["records"]] == validation
        assert c["summary"]["n"] == len(validation)
        assert c["summary"]["execution_accuracy"] == pytest.approx(
            sum(r["correct"] for r in c["records"]) / len(validation))
        assert (len(c["corrupted"]) == round(c["corrupt_share"] * c["n_train"])) and c["train"]["steps"] == c["steps"]
