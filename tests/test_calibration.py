"""labkit.calibration: the labelled answers, precision / recall / Cohen's kappa, and the figures in the card."""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from pathlib import Path

import pytest
from sklearn.metrics import cohen_kappa_score, precision_score, recall_score

from labkit import calibration as cal
from labkit.data import DataFileError, load_eval

CARD = Path(cal.__file__).parent / "data" / "cards" / "hallucination_labels.md"


def test_agreement_matches_a_hand_computation_and_sklearn():
    predicted = [True, True, False, False, True, False, False, False, True, False]
    labels = [True, False, True, False, True, False, False, True, True, False]
    a = cal.agreement(predicted, labels)
    assert (a.tp, a.fp, a.fn, a.tn, a.n) == (3, 1, 2, 4, 10)
    # by hand: precision 3/4, recall 3/5; observed 7/10, chance (4*5 + 6*5)/100 = 0.5, kappa (0.7-0.5)/0.5 = 0.4
    assert (a.precision, a.recall, a.accuracy) == (0.75, 0.6, 0.7) and a.kappa == pytest.approx(0.4)
    assert a.precision == precision_score(labels, predicted) and a.recall == recall_score(labels, predicted)
    assert a.kappa == pytest.approx(cohen_kappa_score(labels, predicted))
    assert math.isnan(cal.agreement([False], [False]).precision) and math.isnan(cal.agreement([], []).kappa)
    with pytest.raises(ValueError, match="2 predictions for 1 labels"):
        cal.agreement([True, False], [True])


def test_the_labelled_set_is_dev_only_and_its_card_counts_it():
    rows = cal.load_labels()
    assert 40 <= len(rows) <= 80 and len({r.id for r in rows}) == len(rows)
    dev = {i.id for i in load_eval("dev")}
    assert {r.question_id for r in rows} <= dev  # the test split stays locked
    assert all(r.labelled_by and r.rule and r.note for r in rows)
    card = CARD.read_text(encoding="utf-8")
    for kind, count in Counter(r.kind for r in rows).items():
        assert f"| {kind} | {count} |" in card, kind
    flagged, correct = sum(r.hallucinated for r in rows), sum(r.correct for r in rows)
    assert f"**{len(rows)}** ({flagged} labelled hallucinated, {correct} labelled correct)" in card


def test_the_issues_cases_are_in_the_set_and_the_metrics_get_them_right():
    rows = {r.id: r for r in cal.load_labels()}
    items = {i.id: i for i in load_eval("dev")}
    escaped, billing, linux = rows["h060"], rows["h035"], rows["h068"]
    assert "&gt;" in escaped.answer and escaped.correct and cal.metric_correct(escaped, items["q102"])
    assert "$46.50" in billing.answer and not billing.correct and not cal.metric_correct(billing, items["q041"])
    assert "Linux desktop app" in linux.answer and linux.hallucinated
    assert cal.deterministic_hallucination(linux, items["q121"])


def test_the_report_is_the_figures_the_card_prints():
    report = cal.calibration_report()
    rows = cal.load_labels()
    items = {i.id: i for i in load_eval("all")}
    predicted = [cal.deterministic_hallucination(r, items[r.question_id]) for r in rows]
    labels = [r.hallucinated for r in rows]
    det = report["hallucination (deterministic, vs the KB)"]
    assert det.n == len(rows) and det.precision == precision_score(labels, predicted)
    assert det.recall == recall_score(labels, predicted)
    assert det.kappa == pytest.approx(cohen_kappa_score(labels, predicted))
    card = CARD.read_text(encoding="utf-8")
    for name, line in (("hallucination (deterministic, vs the KB)", "hallucination, deterministic"),
                       ("correct (key facts + contradictions)", "correct (key facts")):
        a = report[name]
        row = next(r for r in card.splitlines() if r.startswith(f"| {line}"))
        assert re.findall(r"\| ([\d.]+) ", row + " ")[-3:] == [f"{a.precision:.2f}", f"{a.recall:.2f}",
                                                               f"{a.kappa:.2f}"], row
    table = cal.format_report(report)
    assert table.splitlines()[0].startswith("| check | n | flagged both |") and len(table.splitlines()) == 4


def test_a_bad_label_file_names_the_line_and_field(tmp_path):
    good = json.loads(cal.LABELS_PATH.read_text(encoding="utf-8").splitlines()[0])
    cases = [({"hallucinated": "yes"}, "line 1: field 'hallucinated' must be a bool"),
             ({"question_id": "q999"}, "line 1: question_id 'q999' is not in eval"),
             ({"kb": "old"}, "line 1: kb must be 'current' or 'updated'")]
    for change, message in cases:
        path = tmp_path / "labels.jsonl"
        path.write_text(json.dumps(good | change) + "\n", encoding="utf-8")
        with pytest.raises(DataFileError, match=re.escape(message)):
            cal.load_labels(path)
    with pytest.raises(ValueError, match="'hallucinated' or 'correct'"):
        cal.calibrate(cal.deterministic_hallucination, label="format")
