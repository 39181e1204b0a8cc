"""`labkit grade` end to end on the fixture lab (tests/fixtures/grading), and its parts.

One batch grades a learner per kind of trouble (a cell that loops forever, one that ignores the
interrupt, one that kills the kernel, one that raises, one that tries the internet, a syntax error, a file
that is not JSON, a tampering notebook, a deleted exercise cell) through the CLI with -j 2; each test
then checks one row. None of them may stop the batch.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import nbformat
import pytest

from labkit.checks import run_check
from labkit.cli import main
from labkit.grading.namespace import Submission, load_namespace, protected_modules
from labkit.grading.submissions import UsageError, discover

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "grading"
TIMEOUT = 4  # seconds per cell: every fixture cell takes milliseconds (margin for a busy machine)


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


subs = _load("grading_fixture_submissions", FIXTURE / "submissions.py")
FIXTURE_DIRS = ["--solutions", str(subs.SOLUTIONS), "--graders", str(subs.GRADERS)]


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """Every variant as its own learner (sub-folder), graded once through the CLI with all three reports."""
    folder = tmp_path_factory.mktemp("class")
    for name in subs.EXPECTED:
        subs.write_variant(name, folder / "class" / name / f"{subs.LAB}.ipynb")
    reports = {ext: folder / f"report.{ext}" for ext in ("json", "csv", "xml")}
    code = main(["grade", str(folder / "class"), "-j", "2", "--timeout", str(TIMEOUT), *FIXTURE_DIRS, "-q",
                 "--json", str(reports["json"]), "--csv", str(reports["csv"]), "--junit", str(reports["xml"])])
    data = json.loads(reports["json"].read_text())
    rows = {s["learner"]: s for s in data["submissions"]}
    return {"code": code, "rows": rows, "reports": reports, "data": data}


def _exercise(row: dict, ex_id: str) -> dict:
    return next(e for e in row["exercises"] if e["exercise"] == ex_id)


def test_batch_completes_and_every_learner_scores_as_expected(batch):
    assert batch["code"] == 0
    assert set(batch["rows"]) == set(subs.EXPECTED)
    scores = {learner: row["points"] for learner, row in batch["rows"].items()}
    assert scores == subs.EXPECTED
    assert all(row["max_points"] == 5 for row in batch["rows"].values())


def test_untouched_lab_scores_zero_as_not_attempted(batch):
    row = batch["rows"]["untouched"]
    assert row["status"] == "graded" and row["cells"]["error"] == []
    assert {e["message"] for e in row["exercises"]} == {"not attempted yet"}


def test_cell_that_loops_forever_times_out_and_only_its_exercise_scores_zero(batch):
    row = batch["rows"]["hang"]
    assert row["cells"]["timeout"] == [subs.EX_CELLS["99.2"]]
    assert _exercise(row, "99.2")["message"] == f"cell 7 timed out after {TIMEOUT} s"
    assert _exercise(row, "99.1")["passed"] and _exercise(row, "99.3")["passed"]  # later cells still ran


def test_loop_that_ignores_the_interrupt_gets_the_kernel_restarted(batch):
    row = batch["rows"]["stubborn"]
    assert row["restarts"] >= 1 and row["cells"]["timeout"] == [subs.EX_CELLS["99.1"]]
    assert not _exercise(row, "99.1")["passed"]
    assert _exercise(row, "99.2")["passed"] and _exercise(row, "99.3")["passed"]


def test_cell_that_kills_the_kernel(batch):
    row = batch["rows"]["crash"]
    assert row["cells"]["died"] == [subs.EX_CELLS["99.1"]]
    assert _exercise(row, "99.1")["message"] == "cell 3 killed the kernel"


def test_no_network_in_the_kernel_nor_in_the_grader(batch):
    row = batch["rows"]["offline"]  # its 99.1 cell raises unless the connection is refused by the guard
    assert row["points"] == 5 and row["cells"]["error"] == []


def test_cell_that_raises(batch):
    row = batch["rows"]["raises"]
    assert row["cells"]["error"] == [subs.EX_CELLS["99.2"]]
    assert _exercise(row, "99.2")["message"] == "cell 7 raised ValueError: not today"


def test_syntax_error(batch):
    message = _exercise(batch["rows"]["syntax"], "99.1")["message"]
    assert message.startswith("cell 3 raised SyntaxError")


def test_file_that_is_not_json_is_an_error_row(batch):
    row = batch["rows"]["badjson"]
    assert row["status"] == "error" and "not valid JSON (line 1" in row["error"]
    assert row["points"] == 0 and row["max_points"] == 5 and len(row["exercises"]) == 3


def test_tampering_does_not_change_the_grade(batch):
    """Fake run_check/check_*/`submission`, labkit.checks and json.dumps patched, 100 points claimed in
    the metadata: still the untouched lab's grade (its fake word_counts passes only if json.dumps stays
    patched while the grader tests run)."""
    row = batch["rows"]["tamper"]
    assert row["points"] == 0 and row["max_points"] == 5
    assert _exercise(row, "99.2")["message"].startswith("assert '{}' == ")  # json.dumps was restored


def test_deleted_exercise_cell(batch):
    message = _exercise(batch["rows"]["deleted"], "99.3")["message"]
    assert "does not define 'save_counts'" in message


def test_reports(batch):
    reports, n = batch["reports"], len(subs.EXPECTED)
    assert batch["data"]["summary"] == {"submissions": n, "graded": n - 1, "errors": 1,
                                        "points": sum(subs.EXPECTED.values()), "max_points": 5 * n}
    rows = list(csv.DictReader(reports["csv"].open()))
    assert len(rows) == 3 * n
    assert {(r["learner"], r["exercise"], r["points"]) for r in rows if r["learner"] == "partial"} == {
        ("partial", "99.1", "1"), ("partial", "99.2", "2"), ("partial", "99.3", "0")}
    root = ET.parse(reports["xml"]).getroot()
    assert len(root.findall("testsuite")) == n and root.get("errors") == "1"
    full = next(s for s in root.findall("testsuite") if s.get("name") == "full/99_fixture")
    assert full.get("failures") == "0" and len(full.findall("testcase")) == 3


def test_bench_small_class_scores_correctly(tmp_path):
    """bench/grading_bench.py on 6 learners (full, partial, hanging, not JSON, untouched, syntax error)."""
    bench = _load("grading_bench", ROOT / "bench" / "grading_bench.py")
    result = bench.run(n=6, jobs=2, timeout=TIMEOUT, folder=tmp_path)
    assert result["wrong"] == {}
    assert result["csv_rows"] == 18 and result["junit_suites"] == 6


# --- no kernel needed below ----------------------------------------------------------------------------
def test_empty_folder_is_a_usage_error(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["grade", str(tmp_path / "empty"), *FIXTURE_DIRS, "--json", str(tmp_path / "r.json")]) == 2
    assert "no notebooks" in capsys.readouterr().err
    assert not (tmp_path / "r.json").exists()


def test_unknown_lab_and_missing_path_are_usage_errors(tmp_path, capsys):
    assert main(["grade", str(tmp_path / "nope"), *FIXTURE_DIRS]) == 2
    assert main(["grade", str(tmp_path), "--lab", "42_nothing", *FIXTURE_DIRS]) == 2
    err = capsys.readouterr().err
    assert "no such file or folder" in err and "--lab 42_nothing: no such lab" in err


def test_discover_one_learner_per_file_or_per_folder(tmp_path):
    labs = ["01_prompting", "99_fixture"]
    flat = tmp_path / "flat"
    for name in ("alice_99_fixture", "99_fixture", "bob"):
        subs.write_variant("full", flat / f"{name}.ipynb")
    (flat / "data").mkdir()
    refs, warnings = discover([flat], labs)
    assert {(r.learner, r.lab) for r in refs} == {("alice_99_fixture", "99_fixture"), ("99_fixture", "99_fixture"),
                                                  ("bob", None)}
    assert "cannot tell which lab bob.ipynb is" in next(r.problem for r in refs if r.learner == "bob")
    assert any("data" in w for w in warnings)  # a data folder next to notebooks is not a learner
    assert {r.lab for r in discover([flat], labs, lab="99_fixture")[0]} == {"99_fixture"}

    nested = tmp_path / "nested"
    subs.write_variant("full", nested / "carol" / "99_fixture.ipynb")
    (nested / "dave").mkdir()
    (nested / ".ipynb_checkpoints").mkdir()
    refs, _ = discover([nested], labs)
    assert {(r.learner, r.lab, bool(r.problem)) for r in refs} == {("carol", "99_fixture", False),
                                                                   ("dave", None, True)}
    with pytest.raises(UsageError, match="nothing to grade"):
        discover([tmp_path / "flat" / "data"], labs)
    # a notebook named after its lab belongs to the learner whose folder holds it
    assert [r.learner for r in discover([nested / "carol" / "99_fixture.ipynb"], labs)[0]] == ["carol"]


def test_protected_modules_restores_patched_functions():
    original = json.dumps
    with protected_modules():
        json.dumps = lambda *a, **k: "{}"
    assert json.dumps is original


def test_namespace_skips_cells_and_names_missing_definitions(tmp_path):
    path = subs.write_variant("full", tmp_path / "99_fixture.ipynb")
    ns = load_namespace(path, skip_cells={subs.EX_CELLS["99.2"]})
    assert isinstance(ns, Submission) and ns.add(1, 2) == 3
    with pytest.raises(AttributeError, match="does not define 'word_counts'"):
        ns.word_counts("a")
    assert (tmp_path / "counts.json").exists()  # cells run in the notebook's folder


def test_namespace_runs_dataclasses_with_annotations(tmp_path):
    """Cells are compiled without this module's `from __future__ import annotations`: with it, a learner's
    @dataclass (string annotations, in a namespace that is no module) fails to build (lab 04 has one)."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "from dataclasses import dataclass\nfrom typing import Any, ClassVar\n\n@dataclass\nclass S:\n"
        "    index: Any\n    top_k: int = 3\n    kind: ClassVar[str] = 'hybrid'")])
    path = tmp_path / "04_x.ipynb"
    nbformat.write(nb, str(path))
    ns = load_namespace(path)
    assert ns.S(index=None).top_k == 3 and ns.S.kind == "hybrid"


def test_run_check_prints_one_banner_and_never_raises(capsys):
    def stub():
        raise NotImplementedError("Exercise 9.9: x")

    def wrong():
        raise AssertionError("one is not two")  # (a plain assert would be rewritten by pytest here)

    def bare():
        raise AssertionError

    def crash():
        raise SystemExit(3)

    assert run_check("9.9", lambda: None) is True
    assert [run_check("9.9", f) for f in (stub, wrong, bare, crash)] == [False] * 4
    assert capsys.readouterr().out.splitlines() == [
        "✅ Exercise 9.9 passed", "⏳ Exercise 9.9 not attempted yet", "❌ Exercise 9.9: one is not two",
        "❌ Exercise 9.9: not right yet", "❌ Exercise 9.9: your code raised SystemExit: 3"]
