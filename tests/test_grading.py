"""`labkit grade` end to end on the fixture lab (tests/fixtures/grading), and its parts.

One batch grades a learner per kind of trouble (a cell that loops forever, one that ignores the
interrupt, one that kills the kernel, one that raises, one that tries the internet, a syntax error, a file
that is not JSON, a tampering notebook, a deleted exercise cell) through the CLI with -j 2, each in its
sandbox; each test then checks one row. None of them may stop the batch. Attacks on the grader itself
are in tests/test_grading_attacks.py.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from labkit.checks import run_check
from labkit.cli import main
from labkit.grading import sandbox
from labkit.grading.submissions import UsageError, discover, shard

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
# Without bubblewrap these skip locally; under CI=true they run (and fail, naming the fix).
needs_sandbox = pytest.mark.skipif(sandbox.sandbox_problem() is not None and os.environ.get("CI", "").lower()
                                   not in ("1", "true", "yes"), reason=f"no sandbox: {sandbox.sandbox_problem()}")


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """Every variant as its own learner (sub-folder), graded once through the CLI with all reports."""
    folder = tmp_path_factory.mktemp("class")
    for name in subs.EXPECTED:
        subs.write_variant(name, folder / "class" / name / f"{subs.LAB}.ipynb")
    reports = {ext: folder / f"report.{ext}" for ext in ("json", "csv", "xml")}
    code = main(["grade", str(folder / "class"), "-j", "2", "--timeout", str(TIMEOUT), *FIXTURE_DIRS, "-q",
                 "--json", str(reports["json"]), "--csv", str(reports["csv"]), "--junit", str(reports["xml"]),
                 "--feedback", str(folder / "feedback")])
    data = json.loads(reports["json"].read_text())
    rows = {s["learner"]: s for s in data["submissions"]}
    return {"code": code, "rows": rows, "reports": reports, "data": data, "feedback": folder / "feedback"}


def _exercise(row: dict, ex_id: str) -> dict:
    return next(e for e in row["exercises"] if e["exercise"] == ex_id)


@needs_sandbox
def test_batch_completes_and_every_learner_scores_as_expected(batch):
    assert batch["code"] == 0
    assert set(batch["rows"]) == set(subs.EXPECTED)
    scores = {learner: row["points"] for learner, row in batch["rows"].items()}
    assert scores == subs.EXPECTED
    assert all(row["max_points"] == 5 for row in batch["rows"].values())
    assert {row["sandbox"] for row in batch["rows"].values() if row["status"] == "graded"} == {"bubblewrap"}
    assert batch["data"]["warnings"] == []


@needs_sandbox
def test_untouched_lab_scores_zero_as_not_attempted(batch):
    row = batch["rows"]["untouched"]
    assert row["status"] == "graded" and row["cells"]["error"] == []
    assert {e["message"] for e in row["exercises"]} == {"not attempted yet"}


@needs_sandbox
def test_cell_that_loops_forever_times_out_and_only_its_exercise_scores_zero(batch):
    row = batch["rows"]["hang"]
    assert row["cells"]["timeout"] == [subs.EX_CELLS["99.2"]]
    assert _exercise(row, "99.2")["message"] == f"cell 7 timed out after {TIMEOUT} s"
    assert _exercise(row, "99.1")["passed"] and _exercise(row, "99.3")["passed"]  # later cells still ran


@needs_sandbox
def test_loop_that_ignores_the_interrupt_gets_the_kernel_restarted(batch):
    row = batch["rows"]["stubborn"]
    assert row["restarts"] >= 1 and row["cells"]["timeout"] == [subs.EX_CELLS["99.1"]]
    assert not _exercise(row, "99.1")["passed"]
    assert _exercise(row, "99.2")["passed"] and _exercise(row, "99.3")["passed"]


@needs_sandbox
def test_cell_that_kills_the_kernel(batch):
    row = batch["rows"]["crash"]
    assert row["cells"]["died"] == [subs.EX_CELLS["99.1"]]
    assert _exercise(row, "99.1")["message"] == "cell 3 killed the kernel"


@needs_sandbox
def test_no_network_even_with_the_guard_undone(batch):
    row = batch["rows"]["offline"]  # its 99.1 cell raises if a connection (or a child's) gets out
    assert row["points"] == 5 and row["cells"]["error"] == []


@needs_sandbox
def test_cell_that_raises(batch):
    row = batch["rows"]["raises"]
    assert row["cells"]["error"] == [subs.EX_CELLS["99.2"]]
    assert _exercise(row, "99.2")["message"] == "cell 7 raised ValueError: not today"


@needs_sandbox
def test_syntax_error(batch):
    message = _exercise(batch["rows"]["syntax"], "99.1")["message"]
    assert message.startswith("cell 3 raised SyntaxError")


@needs_sandbox
def test_file_that_is_not_json_is_an_error_row(batch):
    row = batch["rows"]["badjson"]
    assert row["status"] == "error" and "not valid JSON (line 1" in row["error"]
    assert row["points"] == 0 and row["max_points"] == 5 and len(row["exercises"]) == 3


@needs_sandbox
def test_tampering_does_not_change_the_grade(batch):
    """Fake run_check/check_*/`submission`, labkit.checks and json.dumps patched, 100 points claimed in
    the metadata: still the untouched lab's grade (the patched json.dumps only spoils its own results)."""
    row = batch["rows"]["tamper"]
    assert row["points"] == 0 and row["max_points"] == 5
    assert "could not be read" in _exercise(row, "99.2")["message"]


@needs_sandbox
def test_deleted_exercise_cell(batch):
    message = _exercise(batch["rows"]["deleted"], "99.3")["message"]
    assert "does not define 'save_counts'" in message


@needs_sandbox
def test_reports_and_feedback(batch):
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
    assert sorted(p.stem for p in batch["feedback"].glob("*.md")) == sorted(subs.EXPECTED)
    partial = (batch["feedback"] / "partial.md").read_text()
    assert "## Lab 99_fixture: 3/5 points" in partial
    assert "| 99.3 Save the counts | 0/2 | not attempted yet |" in partial
    assert "- 99.3: json.dumps(counts, sort_keys=True)" in partial  # the failed check's hint


@needs_sandbox
def test_bench_small_class_scores_correctly(tmp_path):
    """bench/grading_bench.py on 6 learners (full, partial, hanging, not JSON, untouched, syntax error)."""
    bench = _load("grading_bench", ROOT / "bench" / "grading_bench.py")
    result = bench.run(n=6, jobs=2, timeout=TIMEOUT, folder=tmp_path)
    assert result["wrong"] == {}
    assert result["csv_rows"] == 18 and result["junit_suites"] == 6


@needs_sandbox
def test_two_notebooks_of_one_lab_are_one_error_row(tmp_path):
    subs.write_variant("full", tmp_path / "class" / "alice" / f"{subs.LAB}.ipynb")
    subs.write_variant("full", tmp_path / "class" / "alice" / f"{subs.LAB}_final.ipynb")
    subs.write_variant("full", tmp_path / "class" / "bob" / f"{subs.LAB}.ipynb")
    assert main(["grade", str(tmp_path / "class"), *FIXTURE_DIRS, "-q", "--json", str(tmp_path / "r.json")]) == 0
    rows = json.loads((tmp_path / "r.json").read_text())["submissions"]
    assert [(r["learner"], r["status"]) for r in rows] == [("alice", "error"), ("bob", "graded")]
    assert f"{subs.LAB}.ipynb, {subs.LAB}_final.ipynb" in rows[0]["error"] and rows[0]["points"] == 0


@needs_sandbox
def test_shards_merge_into_the_whole_class(tmp_path):
    learners = subs.write_class(tmp_path / "class", 5, ["full", "partial", "untouched"])
    common = ["grade", str(tmp_path / "class"), *FIXTURE_DIRS, "-q", "--timeout", str(TIMEOUT)]
    for k in (1, 2):
        assert main([*common, "--shard", f"{k}/2", "--json", str(tmp_path / f"shard{k}.json")]) == 0
    shards = [json.loads((tmp_path / f"shard{k}.json").read_text()) for k in (1, 2)]
    names = [{s["learner"] for s in data["submissions"]} for data in shards]
    assert names[0] | names[1] == set(learners) and not names[0] & names[1] and shards[0]["shard"] == "1/2"
    assert main(["grade", "merge", str(tmp_path / "shard1.json"), str(tmp_path / "shard2.json"), "-q",
                 "--json", str(tmp_path / "all.json"), "--feedback", str(tmp_path / "feedback")]) == 0
    merged = json.loads((tmp_path / "all.json").read_text())
    assert {s["learner"]: s["points"] for s in merged["submissions"]} == {
        learner: subs.EXPECTED[variant] for learner, variant in learners.items()}
    assert len(list((tmp_path / "feedback").glob("*.md"))) == 5


def test_merge_warns_about_a_missing_shard(tmp_path, capsys):
    report = {"summary": {}, "warnings": [], "shard": "1/3", "submissions": []}
    (tmp_path / "a.json").write_text(json.dumps(report))
    assert main(["grade", "merge", str(tmp_path / "a.json"), "-q", "--json", str(tmp_path / "m.json")]) == 0
    assert "shard(s) 2/3, 3/3 missing" in capsys.readouterr().err
    (tmp_path / "bad.json").write_text("{}")
    assert main(["grade", "merge", str(tmp_path / "bad.json")]) == 2


def test_without_a_sandbox_grading_refuses_unless_told(tmp_path, monkeypatch, capsys):
    subs.write_variant("full", tmp_path / "class" / "alice" / f"{subs.LAB}.ipynb")
    monkeypatch.setattr(sandbox, "bwrap_path", lambda: None)
    sandbox.sandbox_problem.cache_clear()
    try:
        args = ["grade", str(tmp_path / "class"), *FIXTURE_DIRS, "-q", "--json", str(tmp_path / "r.json")]
        assert main(args) == 2 and not (tmp_path / "r.json").exists()
        assert "apt-get install bubblewrap" in capsys.readouterr().err
        assert main([*args, "--no-sandbox"]) == 0
    finally:
        sandbox.sandbox_problem.cache_clear()
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["submissions"][0]["points"] == 5 and data["submissions"][0]["sandbox"].startswith("none")
    assert any("WITHOUT a sandbox" in w for w in data["warnings"])
    assert "WITHOUT a sandbox" in capsys.readouterr().err


# --- no kernel needed below ----------------------------------------------------------------------------
def test_empty_folder_is_a_usage_error(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["grade", str(tmp_path / "empty"), *FIXTURE_DIRS, "--json", str(tmp_path / "r.json")]) == 2
    assert "no notebooks" in capsys.readouterr().err
    assert not (tmp_path / "r.json").exists()


def test_unknown_lab_missing_path_and_bad_shard_are_usage_errors(tmp_path, capsys):
    assert main(["grade", str(tmp_path / "nope"), *FIXTURE_DIRS]) == 2
    assert main(["grade", str(tmp_path), "--lab", "42_nothing", *FIXTURE_DIRS]) == 2
    subs.write_variant("full", tmp_path / "c" / "a" / f"{subs.LAB}.ipynb")
    assert main(["grade", str(tmp_path / "c"), "--shard", "3/2", *FIXTURE_DIRS]) == 2
    err = capsys.readouterr().err
    assert "no such file or folder" in err and "--lab 42_nothing: no such lab" in err and "need 1 <= K <= N" in err


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


def test_shards_are_deterministic_whole_learners_and_cover_the_class(tmp_path):
    for learner in ("eve", "bob", "alice", "dan", "carol"):
        subs.write_variant("full", tmp_path / learner / "99_fixture.ipynb")
        subs.write_variant("full", tmp_path / learner / "01_prompting.ipynb")
    refs, _ = discover([tmp_path], ["01_prompting", "99_fixture"])
    slices = [shard(refs, k, 3) for k in (1, 2, 3)]
    assert [sorted({r.learner for r in s}) for s in slices] == [["alice", "dan"], ["bob", "eve"], ["carol"]]
    assert sum(len(s) for s in slices) == len(refs) == 10
    assert shard(list(reversed(refs)), 2, 3) == list(reversed(slices[1]))


def test_sandbox_command_line():
    """What the sandbox sees and how it is confined (bwrap is not run here)."""
    mounts = sandbox.Mounts(stage=Path("/tmp/stage/in"), cache=Path("/nonexistent"), grader_data=Path("/tmp/data"))
    cmd = sandbox.sandbox_command(mounts, sandbox.Limits(), {"PATH": "/usr/bin"}, ["python", "-I", "-m", "x"])
    text = " ".join(cmd)
    for flag in ("--unshare-pid", "--unshare-net", "--unshare-ipc", "--die-with-parent", "--new-session",
                 "--clearenv", "--ro-bind /tmp/stage/in /grading/in", "--ro-bind /tmp/data /grading/grader/data",
                 "--tmpfs /grading/work", "--tmpfs /tmp", "--chdir /grading/work"):
        assert flag in text, flag
    assert str(ROOT / "solutions") not in text and str(ROOT / "tests") not in text
    binds = [cmd[i + 2] for i, a in enumerate(cmd) if a in ("--bind", "--ro-bind")]
    assert all(not Path(b).is_relative_to(ROOT) or Path(b).is_relative_to(ROOT / "shared" / "labkit")
               or Path(b).is_relative_to(ROOT / ".venv") for b in binds), binds
    assert cmd[-4:] == ["python", "-I", "-m", "x"]
    assert "--setenv PATH /usr/bin" in text and "/nonexistent" not in text  # no cache bound that does not exist


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
