"""A dishonest learner against `labkit grade`: one submission per attack, all in one batch with honest learners.

Every attacker starts from lab 04's untouched notebook (none of its points earned) in a temporary copy of the
kit and adds a few lines, knowing every path a perfect attacker could know (the kit copy, the batch
folder, the report file). The batch runs through `labkit grade` (the console script, from the batch
folder, -j 2), with an honest learner graded alongside (`aaa_honest`) and one after every attacker
(`zzz_honest`); a later batch grades the honest learners again. Each test checks one attack:
the attacker's unsolved exercises score 0, the honest learners score exactly as in a batch without
attackers, the graders, solutions and kit are byte-identical afterwards, the report does not change
after `labkit grade` exits, and no process the batch started survives it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from labkit.grading import sandbox
from labkit.grading.exercises import read_exercises

ROOT = Path(__file__).resolve().parents[1]
LAB = "04_hybrid_and_decision"
FULL = sum(e.points for e in read_exercises(ROOT / "solutions" / f"{LAB}.ipynb"))  # the lab's full marks
LABKIT = ROOT / "shared" / "labkit"
MARKER = "labkit-attack-marker-7f3a"
SECRET = "hunter2-grader-secret-value"
# Without bubblewrap these skip locally; under CI=true they run (and fail, naming the fix).
pytestmark = pytest.mark.skipif(sandbox.sandbox_problem() is not None and os.environ.get("CI", "").lower()
                                not in ("1", "true", "yes"), reason=f"no sandbox: {sandbox.sandbox_problem()}")

# Each attack: (exercise whose cell it replaces, or None to append a cell; the code). {kit}, {batch},
# {report}, {repo}, {marker} are filled in; the code of an exercise cell keeps the lab's stub after it.
ATTACKS = {
    # read the solution from disk (found through labkit.__file__, or where the kit copy is) and run it
    "read_solutions": (None, """
import json, pathlib
import labkit
found = []
for base in (pathlib.Path(labkit.__file__).resolve().parents[2], pathlib.Path({kit!r}), pathlib.Path({repo!r})):
    try:
        cells = json.loads((base / "solutions" / "04_hybrid_and_decision.ipynb").read_text())["cells"]
    except OSError:
        continue
    found.append(str(base))
    for cell in cells:
        if cell["cell_type"] == "code":
            exec("".join(cell["source"]), globals())
print("solutions found in", found)
"""),
    # replace the grading runtime in the kernel (what `Function.runtest = lambda self: None` was to pytest)
    "patch_runtime": (None, """
import contextlib
import labkit.grading.plain as plain
import labkit.grading.probing as probing
probing.tripwires = lambda names: contextlib.nullcontext()
probing.run = lambda *args: plain.encode({{"outcome": plain.Attempt(value=True), "forbidden": []}})
"""),
    # rewrite the results, the report and the graders when the process exits or is told to stop
    "atexit_rewrite": (None, """
import atexit, signal
def rewrite(*args):
    for path in ({report!r}, {kit!r} + "/tests/graders/04_hybrid_and_decision/checks.py"):
        try:
            open(path, "w").write("hacked")
        except OSError:
            pass
atexit.register(rewrite)
signal.signal(signal.SIGTERM, rewrite)
"""),
    # forge full-marks results for exercise 4.5 into every pipe and file descriptor in reach, then exit
    "forge_events": (None, """
import os
line = {forged!r}.encode()
for pid in [p for p in os.listdir("/proc") if p.isdigit()]:
    for fd in range(0, 8):
        try:
            with open(f"/proc/{{pid}}/fd/{{fd}}", "ab") as f:
                f.write(line)
        except OSError:
            pass
for fd in range(0, 64):
    try:
        os.write(fd, line)
    except OSError:
        pass
os._exit(0)
"""),
    # leave modules where a grading process might import them (the old pytest_timeout.py trick)
    "plant_modules": (None, """
import pathlib
code = "open({marker_file!r}, 'a').write('imported by the grader\\\\n')"
for folder in (pathlib.Path.cwd(), pathlib.Path.cwd().parent, pathlib.Path({batch!r}), pathlib.Path({kit!r}),
               pathlib.Path({repo!r}) / "shared"):
    for name in ("json.py", "rich.py", "pytest_timeout.py", "sitecustomize.py", "labkit_graders.py"):
        try:
            (folder / name).write_text(code)
        except OSError:
            pass
"""),
    # objects that equal anything, and a str that equals anything
    "always_equal": (None, """
class Yes:
    def __eq__(self, other):
        return True
    def __ne__(self, other):
        return False
    __hash__ = object.__hash__
class YesStr(str):
    def __eq__(self, other):
        return True
    __hash__ = str.__hash__
def p95(values): return Yes()
def cost_per_million(*args, **kwargs): return Yes()
def unsupported_numbers(*args, **kwargs): return [Yes()]
def recommend(*args, **kwargs): return YesStr("rag")
def verdict(*args, **kwargs): return YesStr("agree")
"""),
    # make every later learner pass by appending to the graders (the old conftest.py append)
    "edit_graders": (None, """
import pathlib
import labkit
for base in (pathlib.Path({kit!r}), pathlib.Path(labkit.__file__).resolve().parents[2], pathlib.Path({repo!r})):
    folder = base / "tests" / "graders" / "04_hybrid_and_decision"
    for name in ("checks.py", "probes.py", "conftest.py", "__init__.py"):
        try:
            with open(folder / name, "a") as f:
                f.write("\\nimport sys; sys.modules[__name__].__dict__.clear()\\n")
        except OSError:
            pass
"""),
    # find the batch folder through the ancestors' command lines and spoil another learner's notebook
    "spoil_others": (None, """
import os, pathlib
folders = {{pathlib.Path({batch!r})}}
for pid in [p for p in os.listdir("/proc") if p.isdigit()]:
    try:
        args = open(f"/proc/{{pid}}/cmdline", "rb").read().split(b"\\0")
    except OSError:
        continue
    folders |= {{pathlib.Path(a.decode(errors="ignore")) for a in args if a.startswith(b"/")}}
for folder in folders:
    for victim in list(folder.glob("*/04_hybrid_and_decision.ipynb")) if folder.is_dir() else []:
        try:
            victim.write_text("{{}}")
        except OSError:
            pass
"""),
    # a process that outlives grading and rewrites the report afterwards
    "outlive": (None, """
import subprocess, sys
for _ in range(2):
    subprocess.Popen([sys.executable, "-c", "import sys, time; time.sleep(6); open(sys.argv[1], 'w').write('hacked')",
                      {report!r}, {marker!r}], start_new_session=True, stdin=subprocess.DEVNULL,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
subprocess.Popen(["sh", "-c", "sleep 30; : {marker}"], start_new_session=True)
"""),
    # 3 GiB at once in the kernel (exercise 4.1's cell) and in a child process (4.2's cell)
    "memory": ("4.1", """
blob = b"\\x01" * (3 * 2**30)
"""),
    "memory_child": ("4.2", """
import subprocess, sys
child = subprocess.run([sys.executable, "-c", "b = bytearray(3 * 2**30); b[::4096] = b'x' * len(b[::4096])"])
assert child.returncode != 0, "a child process allocated 3 GiB"
"""),
    # the network, with labkit's guard undone, a raw socket, and a child Python (4.3's cell)
    "network": ("4.3", """
import _socket, socket, subprocess, sys
import labkit.testing.no_network as guard
guard.uninstall()
for connect in (lambda: socket.create_connection(("93.184.216.34", 80), timeout=2),
                lambda: _socket.socket().connect(("1.1.1.1", 53)), lambda: socket.getaddrinfo("example.com", 80)):
    try:
        connect()
    except OSError:
        continue
    raise RuntimeError("the network is open")
child = subprocess.run([sys.executable, "-I", "-c", "import socket; socket.create_connection(('1.1.1.1', 53), 2)"])
assert child.returncode != 0, "a child Python reached the network"
"""),
    # as many processes as it can start (4.5's cell), a file beyond the size limit (4.6's cell)
    "processes": ("4.5", """
import subprocess
started = []
try:
    for _ in range(1000):
        started.append(subprocess.Popen(["sleep", "60", {marker!r}]))
except OSError:
    pass
assert len(started) < 1000, f"started {{len(started)}} processes"
"""),
    "file_size": ("4.6", """
try:
    with open("big.bin", "wb") as f:
        f.seek(2 * 2**30)
        f.write(b"x")
    raise RuntimeError("wrote a file of 2 GiB")
except OSError:
    pass
"""),
    # 20 MB of output in one cell
    "output_flood": (None, """
print("x" * 20_000_000)
"""),
    # kill every process it can
    "kill_everything": (None, """
import os, signal
os.kill(-1, signal.SIGKILL)
"""),
    # the reference implementations called, aliased, saved early, and with ReferenceUsed swallowed
    "reference": (None, """
import labkit.decision, labkit.evaluate
from labkit import costs
saved = labkit.evaluate.percentile
def p95(values):
    return saved(values, 95)
def cost_per_million(input_tokens, output_tokens, model):
    return costs.cost_per_million_queries(model, input_tokens, output_tokens)
def recommend(*args, **kwargs):
    try:
        return labkit.decision.recommend(*args, **kwargs)
    except BaseException:
        return "rag"
"""),
    # read the grader's environment and the other processes' (4.4's cell, so the message is reported)
    "environment": ("4.4", """
import os
found = [open(f"/proc/{{p}}/environ", "rb").read().decode(errors="ignore") for p in os.listdir("/proc")
         if p.isdigit() and os.access(f"/proc/{{p}}/environ", os.R_OK)]
raise ValueError(repr(dict(os.environ)) + " ".join(found))
"""),
    # become root again, or someone else (4.1's cell, so a success would be reported)
    "escalate": ("4.1", """
import os, subprocess
escalated = []
try:
    os.setuid(0)
    escalated.append("setuid(0)")
except OSError:
    pass
for cmd in (["sudo", "-n", "true"], ["su", "-c", "true"], ["mount", "-t", "tmpfs", "none", "/grading/in"],
            ["unshare", "-r", "cat", {kit!r} + "/solutions/04_hybrid_and_decision.ipynb"],
            ["unshare", "-r", "-m", "sh", "-c", "umount /grading/work && ls /grading/work/.."]):
    try:
        if subprocess.run(cmd, capture_output=True, timeout=20).returncode == 0:
            escalated.append(" ".join(cmd[:2]))
    except (OSError, subprocess.TimeoutExpired):
        pass
if escalated:
    raise RuntimeError(f"escalated: {{escalated}}")
"""),
    # plain wrong answers: the messages must not give the right ones away
    "wrong_answers": (None, """
def recommend(*args, **kwargs):
    return "hybrid"
def verdict(low, high, measured, higher_is_better):
    return "maybe"
def unsupported_numbers(answer, evidence):
    return ["42"]
"""),
    # spoil labkit's shared cache for later learners
    "cache": (None, """
import os, pathlib
for root in (os.environ.get("LABKIT_CACHE", ""), "/grading/cache"):
    for path in pathlib.Path(root).rglob("*") if root else []:
        try:
            if path.is_file():
                path.write_bytes(b"poisoned")
        except OSError:
            pass
"""),
}


def _forged_line() -> str:
    """A probe event that would give full marks for 4.5, built with the real probes and the reference."""
    from labkit.decision import recommend
    from labkit.grading import plain

    spec = importlib.util.spec_from_file_location("lab04_probes", ROOT / "tests" / "graders" / LAB / "probes.py")
    probes = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(probes)
    value = {"cases": [plain.Attempt(recommend(t, o, f, *lat)) for t, o, f, lat in probes.FLOWCHART_CASES],
             "small_budget": plain.Attempt("rag"), "large_budget": plain.Attempt("prompt-only")}
    text = plain.encode({"outcome": plain.Attempt(value), "forbidden": []})
    return json.dumps({"event": "probe", "name": "recommendations", "status": "ok", "text": text}) + "\n"


def _exercise_cells(nb) -> dict[str, int]:
    return {c.metadata["labkit"]["exercise"]: i for i, c in enumerate(nb.cells) if "labkit" in c.metadata}


def _attacker(name: str, path: Path, fill: dict) -> None:
    exercise, code = ATTACKS[name]
    nb = nbformat.read(str(fill["kit_path"] / "labs" / f"{LAB}.ipynb"), as_version=4)
    code = code.format(**{k: v for k, v in fill.items() if k != "kit_path"})
    if exercise is None:
        nb.cells.append(nbformat.v4.new_code_cell(code))
    else:
        cell = nb.cells[_exercise_cells(nb)[exercise]]
        cell.source = code + "\n\n" + cell.source
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))


def _digests(*folders: Path) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for folder in folders
            for p in sorted(folder.rglob("*")) if p.is_file() and "__pycache__" not in p.parts}


def _cache_state() -> dict[str, tuple]:
    """labkit's shared cache: size and modification time of every file (it holds a 0.5 GB model)."""
    from labkit.paths import cache_dir

    root = cache_dir()
    return {str(p): (p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(root.rglob("*")) if p.is_file()}


def _honest(folder: Path, kit: Path) -> None:
    for learner, source in (("aaa_honest", "solutions"), ("zzz_honest", "solutions"), ("mmm_untouched", "labs")):
        (folder / learner).mkdir(parents=True)
        shutil.copy(kit / source / f"{LAB}.ipynb", folder / learner / f"{LAB}.ipynb")


def _grade(folder: Path, report: Path, *extra: str, kit: Path) -> subprocess.CompletedProcess:
    """`labkit grade` as an instructor runs it: the console script, from the batch folder."""
    env = {**os.environ, "LABKIT_ATTACK_SECRET": SECRET}
    cmd = [str(Path(sys.executable).with_name("labkit")), "grade", ".", "-j", "2", "-q", "--timeout", "30",
           "--solutions", str(kit / "solutions"), "--graders", str(kit / "tests" / "graders"),
           "--json", str(report), "--csv", str(report.with_suffix(".csv")), "--feedback", str(report.parent / "fb"),
           *extra]
    return subprocess.run(cmd, cwd=folder, env=env, capture_output=True, text=True, timeout=1800)


def _rows(report: Path) -> dict[str, dict]:
    return {s["learner"]: s for s in json.loads(report.read_text())["submissions"]}


def _survivors() -> list[str]:
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if MARKER.encode() in (proc / "cmdline").read_bytes():
                found.append(proc.name)
        except OSError:
            continue
    return found


@pytest.fixture(scope="module")
def attacked(tmp_path_factory):
    top = tmp_path_factory.mktemp("attacks")
    kit = top / "kit"
    for sub in ("solutions", "labs"):
        (kit / sub).mkdir(parents=True)
        shutil.copy(ROOT / sub / f"{LAB}.ipynb", kit / sub)
    shutil.copytree(ROOT / "tests" / "graders" / LAB, kit / "tests" / "graders" / LAB)
    before = _digests(kit, ROOT / "tests" / "graders", ROOT / "solutions", LABKIT)
    cache_before = _cache_state()

    base = top / "baseline" / "class"
    _honest(base, kit)
    baseline = _grade(base, top / "baseline" / "report.json", kit=kit)
    assert baseline.returncode == 0, baseline.stderr

    batch, report = top / "batch" / "class", top / "batch" / "report.json"
    fill = {"kit": str(kit), "batch": str(batch), "report": str(report), "repo": str(ROOT), "marker": MARKER,
            "marker_file": str(top / "imported-by-the-grader"), "forged": _forged_line(), "kit_path": kit}
    for name in ATTACKS:
        _attacker(name, batch / name / f"{LAB}.ipynb", fill)
    _honest(batch, kit)
    (batch / "linked_notebook").mkdir()  # links to the solution: a notebook, and a whole learner folder
    (batch / "linked_notebook" / f"{LAB}.ipynb").symlink_to(kit / "solutions" / f"{LAB}.ipynb")
    (batch / "linked_folder").symlink_to(kit / "solutions")
    for name in ("json.py", "rich.py", "sitecustomize.py", "labkit.py"):  # next to what is graded, and in cwd
        (batch / name).write_text(f"open({fill['marker_file']!r}, 'a').write('imported by the grader')\n")
        (batch / "plant_modules" / name).write_text((batch / name).read_text())
    honest_notebooks = _digests(*(batch / h for h in ("aaa_honest", "zzz_honest", "mmm_untouched")))
    start = time.monotonic()
    run = _grade(batch, report, kit=kit)
    seconds = time.monotonic() - start
    assert run.returncode == 0, run.stderr
    right_after = report.read_bytes()
    time.sleep(8)  # longer than the processes meant to outlive grading wait
    later = top / "later" / "class"
    _honest(later, kit)
    again = _grade(later, top / "later" / "report.json", kit=kit)
    assert again.returncode == 0, again.stderr
    return {"top": top, "kit": kit, "report": report, "rows": _rows(report),
            "baseline": _rows(base.parent / "report.json"), "later": _rows(later.parent / "report.json"),
            "right_after": right_after, "before": before, "cache_before": cache_before,
            "honest_notebooks": honest_notebooks, "batch": batch, "seconds": seconds, "stderr": run.stderr,
            "marker_file": Path(fill["marker_file"])}


def _ex(row: dict, ex_id: str) -> dict:
    return next(e for e in row["exercises"] if e["exercise"] == ex_id)


def _comparable(row: dict) -> tuple:
    return row["points"], row["status"], [(e["exercise"], e["points"], e["message"]) for e in row["exercises"]]


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_the_attacker_earns_nothing(attacked, attack):
    row = attacked["rows"][attack]
    assert row["max_points"] == FULL and row["points"] == 0, [(e["exercise"], e["message"]) for e in row["exercises"]]


def test_honest_learners_score_exactly_as_without_attackers(attacked):
    baseline = {name: _comparable(row) for name, row in attacked["baseline"].items()}
    assert baseline["aaa_honest"][0] == FULL and baseline["mmm_untouched"][0] == 0
    for name in baseline:
        assert _comparable(attacked["rows"][name]) == baseline[name], name     # same batch as the attackers
        assert _comparable(attacked["later"][name]) == baseline[name], name    # a later batch


def test_graders_solutions_kit_and_honest_notebooks_are_byte_identical_afterwards(attacked):
    assert _digests(attacked["kit"], ROOT / "tests" / "graders", ROOT / "solutions", LABKIT) == attacked["before"]
    before, after = attacked["cache_before"], _cache_state()
    assert {k: v for k, v in after.items() if k in before} == before  # (other jobs may add files to the cache)
    batch = attacked["batch"]
    assert _digests(*(batch / h for h in ("aaa_honest", "zzz_honest", "mmm_untouched"))) == attacked["honest_notebooks"]


def test_the_report_does_not_change_after_grading_and_no_process_survives(attacked):
    assert attacked["report"].read_bytes() == attacked["right_after"]
    assert _survivors() == []


def test_nothing_a_submission_planted_is_imported_by_the_grader(attacked):
    assert not attacked["marker_file"].exists()


def test_links_to_the_solution_are_error_rows(attacked):
    for learner in ("linked_notebook", "linked_folder"):
        row = attacked["rows"][learner]
        assert row["status"] == "error" and row["points"] == 0 and "symbolic link" in row["error"], row


def test_forged_results_are_not_taken(attacked):
    assert _ex(attacked["rows"]["forge_events"], "4.5")["message"] == "not attempted yet"


def test_not_plain_data_fails_with_a_message(attacked):
    row = attacked["rows"]["always_equal"]
    for ex_id in ("4.1", "4.2", "4.3", "4.5", "4.6"):
        assert "not plain data" in _ex(row, ex_id)["message"], _ex(row, ex_id)


def test_calling_the_reference_implementation_scores_nothing(attacked):
    row = attacked["rows"]["reference"]
    for ex_id, name in (("4.1", "labkit.evaluate.percentile"), ("4.2", "labkit.costs.cost_per_million_queries"),
                        ("4.5", "labkit.decision.recommend")):
        assert _ex(row, ex_id)["message"].endswith(f"your code called {name}"), _ex(row, ex_id)


def test_three_gib_fail_in_the_kernel_and_in_a_child_while_the_batch_goes_on(attacked):
    assert _ex(attacked["rows"]["memory"], "4.1")["message"].startswith("cell 4 raised MemoryError")
    assert _ex(attacked["rows"]["memory_child"], "4.2")["message"] == "not attempted yet"  # its assert held


def test_no_way_back_to_root_or_out_of_the_mounts(attacked):
    assert _ex(attacked["rows"]["escalate"], "4.1")["message"] == "not attempted yet"


def test_no_network_and_limited_processes_and_file_size(attacked):
    assert _ex(attacked["rows"]["network"], "4.3")["message"] == "not attempted yet"
    assert _ex(attacked["rows"]["processes"], "4.5")["message"] == "not attempted yet"
    assert _ex(attacked["rows"]["file_size"], "4.6")["message"] == "not attempted yet"


def test_killing_everything_ends_only_the_attackers_sandbox(attacked):
    row = attacked["rows"]["kill_everything"]
    assert "the sandbox ended early" in row["error"] or row["cells"]["died"], row


def test_reports_leak_no_environment_and_no_grader_source(attacked):
    top = attacked["top"] / "batch"
    texts = [p.read_text() for p in (top / "report.json", top / "report.csv", *sorted((top / "fb").glob("*.md")))]
    assert all(SECRET not in t and "LABKIT_ATTACK_SECRET" not in t for t in texts)
    code = [line.strip() for f in ("probes.py", "checks.py") for line in
            (ROOT / "tests" / "graders" / LAB / f).read_text().splitlines()
            if len(line.strip()) > 25 and line.strip().startswith(("def ", "assert ", "return ", "for ", "@", "if "))]
    assert not [line for line in code if any(line in t for t in texts)]
    messages = [e["message"] for r in attacked["rows"].values() for e in r["exercises"]]
    assert max(len(m) for m in messages) <= 300
    assert _ex(attacked["rows"]["environment"], "4.4")["message"].startswith("cell 14 raised ValueError")


def test_messages_never_give_the_expected_value_away(attacked):
    row = attacked["rows"]["wrong_answers"]
    messages = " ".join(_ex(row, ex)["message"] for ex in ("4.3", "4.5", "4.6"))
    assert "is not right" in messages
    for expected in ("prompt-only", "fine-tuned", "'rag'", "agree", "n/a", "99.5%", "'13'"):
        assert expected not in messages, expected


def test_attacks_took_bounded_time(attacked):
    """Nothing stretched the batch: every submission finished within its cap."""
    assert all(r["seconds"] < 600 for r in attacked["rows"].values())
    assert "Traceback" not in attacked["stderr"]


SLEEPY = "import time\ntime.sleep(4.5)"   # just under the 5 s cell limit, forty times
MEMORY_TOTAL = """
import subprocess, sys
hog = "import time; b = bytearray(450 * 2**20); b[::4096] = b'x' * len(b[::4096]); time.sleep(1)"
children = [subprocess.Popen([sys.executable, "-c", hog]) for _ in range(3)]
codes = [c.wait() for c in children]
if all(code == 0 for code in codes):
    raise RuntimeError("three processes held 1.35 GB together")
"""


@pytest.fixture(scope="module")
def limited(tmp_path_factory):
    """A batch with a small time cap and memory: an attacker with many slow cells, one whose processes
    together exceed the memory, and an honest learner."""
    top = tmp_path_factory.mktemp("limited")
    kit = ROOT
    folder = top / "class"
    nb = nbformat.read(str(ROOT / "labs" / f"{LAB}.ipynb"), as_version=4)
    nb.cells += [nbformat.v4.new_code_cell(SLEEPY) for _ in range(40)]
    (folder / "slow").mkdir(parents=True)
    nbformat.write(nb, str(folder / "slow" / f"{LAB}.ipynb"))
    nb = nbformat.read(str(ROOT / "labs" / f"{LAB}.ipynb"), as_version=4)
    cell = nb.cells[_exercise_cells(nb)["4.1"]]
    cell.source = MEMORY_TOTAL + "\n\n" + cell.source
    (folder / "hog").mkdir()
    nbformat.write(nb, str(folder / "hog" / f"{LAB}.ipynb"))
    (folder / "zzz_honest").mkdir()
    shutil.copy(ROOT / "solutions" / f"{LAB}.ipynb", folder / "zzz_honest")
    start = time.monotonic()
    run = subprocess.run([str(Path(sys.executable).with_name("labkit")), "grade", str(folder), "-j", "2", "-q",
                          "--timeout", "5", "--max-time", "40", "--memory", "1024",
                          "--solutions", str(kit / "solutions"), "--graders", str(kit / "tests" / "graders"),
                          "--json", str(top / "report.json")], capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr
    return {"rows": _rows(top / "report.json"), "seconds": time.monotonic() - start}


def test_the_time_cap_does_not_grow_with_the_number_of_cells(limited):
    row = limited["rows"]["slow"]
    assert row["points"] == 0 and row["cells"]["cap"], row["cells"]   # cells past the cap were not started
    assert row["seconds"] < 40 + 15 and row["cells"]["timeout"] == []
    assert limited["rows"]["zzz_honest"]["points"] == FULL


@pytest.mark.skipif(os.geteuid() != 0, reason="the memory cgroup needs root here")
def test_memory_is_limited_for_all_of_a_submissions_processes_together(limited):
    row = limited["rows"]["hog"]
    assert row["sandbox"] == "bubblewrap" and row["points"] == 0
    assert _ex(row, "4.1")["message"] in ("not attempted yet", "cell 4 killed the kernel"), _ex(row, "4.1")
    assert row["peak_memory_mb"] is not None and row["peak_memory_mb"] <= 1024 + 1
