"""The parts of sandboxed grading that need no sandbox: plain data across the wall, reference tripwires,
how checks judge results, report text, and that every lab's grader loads and names real references."""

from __future__ import annotations

import math
import os
import sys
import types
from pathlib import Path

import pytest

from labkit.grading import plain, probing, redact
from labkit.grading.checking import ProbeRun, check, judge, load_grader
from labkit.grading.exercises import read_exercises

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))


def test_plain_values_cross_and_come_back_as_they_were():
    value = {"t": (1, "a", None), "s": frozenset({1, 2}), "ints": {80: 0.9, 120: 0.95}, "$sneaky": [True, 2.5],
             "nan": float("nan"), "nested": [[{"x": (1,)}]]}
    back = plain.decode(plain.encode(value))
    assert back["t"] == (1, "a", None) and back["s"] == frozenset({1, 2}) and back["ints"] == {80: 0.9, 120: 0.95}
    assert list(back["ints"]) == [80, 120] and back["$sneaky"] == [True, 2.5] and back["nested"] == [[{"x": (1,)}]]
    assert math.isnan(back["nan"])


class AlwaysEqual:
    def __eq__(self, other):
        return True

    __hash__ = object.__hash__


class Str(str):
    def __eq__(self, other):
        return True

    __hash__ = str.__hash__


@pytest.mark.parametrize("value, named", [(AlwaysEqual(), "AlwaysEqual"), (Str("x"), "subclass of str"),
                                          ([1, {"k": AlwaysEqual()}], "the result[1]['k']"),
                                          (types.SimpleNamespace(), "SimpleNamespace"), (print, "builtin")])
def test_anything_but_plain_data_is_refused_with_its_type(value, named):
    with pytest.raises(plain.NotPlain, match=named.replace("[", r"\[").replace("]", r"\]")):
        plain.encode(value)
    outcome = plain.decode(plain.encode(plain.Attempt(value=value)))
    assert not outcome.ok and "not plain data" in outcome.problem
    with pytest.raises(plain.CheckFailed, match="not plain data"):
        outcome.value  # noqa: B018


def test_numpy_scalars_travel_as_numbers():
    np = pytest.importorskip("numpy")
    assert plain.decode(plain.encode([np.float64(1.5), np.int64(3), np.bool_(True)])) == [1.5, 3, True]
    with pytest.raises(plain.NotPlain):
        plain.encode(np.array([1.0]))


@pytest.mark.parametrize("text", ['{"$tuple": 3}', '{"$other": 1}', '{"$dict": [[1]]}', '{"$set": [[1]]}',
                                  "[" * 100_000, '{"a": ' + "9" * 5000 + "}"])
def test_forged_or_monstrous_results_are_unreadable_not_objects(text):
    with pytest.raises(ValueError):
        plain.decode(text)


def test_outcomes_say_what_was_raised_without_its_message():
    a = probing.attempt(int, "x")
    outcome = plain.decode(plain.encode(a))
    assert outcome.raised(ValueError) and outcome.raised("ValueError") and not outcome.raised(KeyError)
    assert "invalid literal" in outcome.message and outcome.problem == "your code raised ValueError"


def test_tripwires_catch_every_way_of_calling_the_reference():
    from labkit import decision
    from labkit.decision import recommend as saved

    args = (100, False, False, None, 40.0)
    wrapper = lambda *a: decision.recommend(*a)  # noqa: E731
    assert saved(*args) == "prompt-only"
    with probing.tripwires(("labkit.decision.recommend",)):
        for fn in (saved, wrapper, decision.recommend):
            got = probing.attempt(fn, *args)
            assert got.raised and got.raised[0].endswith("ReferenceUsed")
        with pytest.raises(probing.ReferenceUsed):  # `except Exception` in learner code does not hide it
            try:
                saved(*args)
            except Exception:  # noqa: BLE001
                pass
    assert saved(*args) == "prompt-only" and "labkit.decision.recommend" in probing._CALLED


def _spec(forbid=()):
    @probing.probe("9.1", forbid=forbid)
    def probe_fn(nb):
        return nb

    @check(probe_fn, hint="a hint")
    def returns_one(got):
        """returns one"""
        assert got == 1, "returns the wrong number"

    return returns_one.__labkit_check__, returns_one


def _run(outcome, forbidden=()):
    return ProbeRun("ok", plain.encode({"outcome": outcome, "forbidden": list(forbidden)}))


def test_judging_a_probe_result():
    spec, fn = _spec(("labkit.decision.recommend",))
    assert judge(spec, fn, _run(plain.Attempt(1)), ()).passed
    assert judge(spec, fn, _run(plain.Attempt(2)), ()).message == "returns the wrong number"

    def bare(got):
        assert got == 12345  # no message: the values compared must not show

    assert judge(spec, bare, _run(plain.Attempt(2)), ()).message == "returns one: not right yet"
    stub = judge(spec, fn, _run(plain.Attempt(raised=["NotImplementedError", "RuntimeError"])), ())
    assert stub.not_attempted and not stub.passed
    missing = judge(spec, fn, _run(plain.Attempt(raised=["labkit.grading.probing.MissingName"], message="rrf")), ())
    assert "does not define 'rrf'" in missing.message
    sneaky = judge(spec, fn, _run(plain.Attempt(raised=["labkit.grading.probing.MissingName"], message="x y")), ())
    assert "x y" not in sneaky.message
    used = judge(spec, fn, _run(plain.Attempt(1), ["labkit.decision.recommend", "made.up"]),
                 ("labkit.decision.recommend",))
    assert not used.passed and used.message.endswith("your code called labkit.decision.recommend")
    assert judge(spec, fn, ProbeRun("timeout"), (), " after 4 s").message == "returns one: timed out after 4 s"
    assert "could not be read" in judge(spec, fn, ProbeRun("ok", "{}"), ()).message


def test_a_check_that_crashes_on_an_odd_result_fails_without_details(capsys):
    spec, _ = _spec()
    outcome = judge(spec, lambda got: got["key"], _run(plain.Attempt(1)), ())
    assert outcome.message == "returns one: the result does not have the expected form"
    assert "TypeError" in capsys.readouterr().err  # the grader's log, not the report


def test_report_text_is_capped_redacted_and_never_quotes_the_grader(monkeypatch):
    monkeypatch.setenv("GRADER_TOKEN", "s3cr3t-t0ken-value")
    assert redact.public("cell 3 raised KeyError: s3cr3t-t0ken-value") == "cell 3 raised KeyError: [redacted]"
    assert len(redact.public("x" * 1000)) == redact.LIMIT
    assert redact.public("a\n\tb\x00c") == "a b c"
    secret = (ROOT / "tests" / "graders" / "04_hybrid_and_decision" / "checks.py").read_text()
    quote = secret[secret.index("def calls_the_model"):][:120]
    assert redact.public(f"ValueError: {quote}", secret=secret) == "(message withheld: it quotes the grader)"
    assert redact.public("ValueError: not today", secret=secret) == "ValueError: not today"


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.stem)
def test_every_lab_grader_loads_and_forbids_only_real_functions(solution):
    exercises = [e.id for e in read_exercises(solution)]
    grader = load_grader(ROOT / "tests" / "graders", solution.stem, exercises)
    assert {c.exercise for c, _ in grader.checks} == set(exercises)
    for spec in grader.probes:
        for name in spec.forbid:
            assert isinstance(getattr(probing.resolve(name), "__func__", probing.resolve(name)),
                              types.FunctionType), f"{spec.name}: {name} is not a Python function of labkit"
    assert os.path.basename(grader.folder) == solution.stem


def test_the_grading_process_drops_the_working_directory_and_graded_folders_from_its_path(tmp_path, monkeypatch):
    from labkit.commands.grading import trusted_sys_path

    (tmp_path / "class" / "alice").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    kept = str(ROOT / "shared")
    monkeypatch.setattr("sys.path", ["", ".", str(tmp_path), str(tmp_path / "class" / "alice"), kept])
    trusted_sys_path([Path("class")])
    assert sys.path == [kept]


def test_what_a_learner_controls_cannot_slow_the_scorer_or_become_a_formula(tmp_path):
    import csv
    import time

    from labkit.grading.checking import MAX_RESULT
    from labkit.grading.grade import ExerciseScore, SubmissionResult
    from labkit.grading.report import write_csv

    spec, fn = _spec()
    assert "larger than" in judge(spec, fn, ProbeRun("ok", "[" + "1," * MAX_RESULT + "1]"), ()).message
    start = time.monotonic()
    assert len(redact.public("x" * 50_000_000)) == redact.LIMIT and time.monotonic() - start < 1
    row = SubmissionResult("=HYPERLINK(\"http://x\")", "99_fixture", "n.ipynb",
                           exercises=[ExerciseScore("99.1", "t", 0, 1, False, "-1 is wrong")])
    write_csv([row], tmp_path / "r.csv")
    (got,) = csv.DictReader((tmp_path / "r.csv").open())
    assert got["learner"].startswith("'=") and got["message"] == "'-1 is wrong"
