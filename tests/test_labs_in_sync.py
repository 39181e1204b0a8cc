"""labs/ equals what `labkit labs build` produces from solutions/ (byte for byte), and the stripping rules.

Labs are generated, never edited: after changing a solution run `make labs` (or `labkit labs build`).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from labkit.cli import main
from labkit.grading.build import build_labs, check_labs, expected_labs
from labkit.grading.exercises import read_exercises
from labkit.grading.strip import SolutionMarkerError, lab_bytes

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "grading"


@pytest.mark.parametrize("folder", [ROOT, FIXTURE], ids=["course", "fixture"])
def test_labs_equal_what_the_build_writes(folder):
    solutions, labs = folder / "solutions", folder / "labs"
    assert {p.name for p in labs.glob("*.ipynb")} == {p.name for p in solutions.glob("*.ipynb")}, \
        "labs/ and solutions/ hold different notebooks: run `make labs`"
    assert check_labs(solutions, labs) == [], "labs/ is out of date: run `make labs`"


def test_fixture_lab_is_stubbed():
    lab = nbformat.read(str(FIXTURE / "labs" / "99_fixture.ipynb"), as_version=4)
    code = "\n".join(c.source for c in lab.cells if c.cell_type == "code")
    assert "BEGIN SOLUTION" not in code and "a + b" not in code
    assert '    raise NotImplementedError("Exercise 99.1: Add two numbers")' in code.splitlines()
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in lab.cells if c.cell_type == "code")
    assert [e.id for e in read_exercises(FIXTURE / "labs" / "99_fixture.ipynb")] == ["99.1", "99.2", "99.3"]


def _solution(*sources: str, metadata: bool = True) -> nbformat.NotebookNode:
    cells = [nbformat.v4.new_code_cell(s) for s in sources]
    for cell in cells:
        if metadata:
            cell.metadata["labkit"] = {"exercise": "1.1", "title": "T", "points": 1}
        cell.outputs = [nbformat.v4.new_output("stream", text="hi")]
        cell.execution_count = 3
    for i, cell in enumerate(cells):
        cell["id"] = f"c{i}"
    return nbformat.v4.new_notebook(cells=cells)


@pytest.mark.parametrize("source, message", [
    ("def f():\n    # BEGIN SOLUTION\n    return 1", "line 2: '# BEGIN SOLUTION' is never closed"),
    ("def f():\n    return 1\n    # END SOLUTION", "line 3: '# END SOLUTION' without a '# BEGIN SOLUTION'"),
    ("# BEGIN SOLUTION\nx = 1\n# BEGIN SOLUTION\n# END SOLUTION", "line 3: nested '# BEGIN SOLUTION'"),
    ("def f():\n    # BEGIN SOLUTION\n    return 1\n# END SOLUTION", "indented differently"),
    ("def f():\n    return 1", "has no '# BEGIN SOLUTION'"),
])
def test_bad_markers_name_the_notebook_and_cell(source, message):
    with pytest.raises(SolutionMarkerError, match="01_x.ipynb cell 0") as info:
        lab_bytes(_solution(source), name="solutions/01_x.ipynb", lab="01_x")
    assert message in str(info.value)


def test_markers_outside_an_exercise_cell_are_an_error():
    with pytest.raises(SolutionMarkerError, match="without exercise metadata"):
        lab_bytes(_solution("# BEGIN SOLUTION\nx = 1\n# END SOLUTION", metadata=False), name="n", lab="n")


def test_stub_keeps_indentation_and_bytes_are_deterministic(tmp_path):
    nb = _solution('class A:\n    def f(self):\n        # BEGIN SOLUTION\n        return "x"\n        # END SOLUTION\n'
                   '    g = 1')
    nb.cells[0].metadata["labkit"]["title"] = 'Say "hi"'
    data = lab_bytes(nb, name="s", lab="01_x")
    assert data == lab_bytes(nb, name="s", lab="01_x") and data.endswith(b"}\n")
    lab = nbformat.reads(data.decode(), as_version=4)
    assert lab.cells[0].source == ('class A:\n    def f(self):\n        raise NotImplementedError("Exercise 1.1: '
                                   'Say \\"hi\\"")\n    g = 1')
    assert lab.cells[0].outputs == [] and lab.cells[0].execution_count is None
    compile(lab.cells[0].source, "lab", "exec")


def test_build_and_check_commands(tmp_path, capsys):
    solutions, labs = tmp_path / "solutions", tmp_path / "labs"
    solutions.mkdir()
    (solutions / "99_fixture.ipynb").write_bytes((FIXTURE / "solutions" / "99_fixture.ipynb").read_bytes())
    labs.mkdir()
    (labs / "00_stale.ipynb").write_text("{}")
    dirs = ["--solutions", str(solutions), "--labs", str(labs)]
    assert main(["labs", "check", *dirs]) == 1
    assert main(["labs", "build", *dirs]) == 0
    assert [p.name for p in labs.iterdir()] == ["99_fixture.ipynb"]  # the stale lab is removed
    assert (labs / "99_fixture.ipynb").read_bytes() == expected_labs(solutions)["99_fixture.ipynb"]
    assert main(["labs", "check", *dirs]) == 0
    assert build_labs(solutions, labs).unchanged == [labs / "99_fixture.ipynb"]
    (labs / "99_fixture.ipynb").write_text((labs / "99_fixture.ipynb").read_text().replace("Word counts", "X"))
    assert main(["labs", "check", *dirs]) == 1
    assert "99_fixture.ipynb: differs" in capsys.readouterr().out
