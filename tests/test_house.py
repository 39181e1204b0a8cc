"""The kit stays a house a newcomer can live in: modules a learner reads in one sitting, no import cycle
inside labkit, notebooks committed without outputs, and every command the README and docs mention exists."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LABKIT = ROOT / "shared" / "labkit"
MAX_LINES = 300
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def labkit_modules() -> dict[str, Path]:
    """{dotted name: file} of every Python module of the package, data generators excepted."""
    found = {}
    for path in sorted(LABKIT.rglob("*.py")):
        rel = path.relative_to(LABKIT.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def test_modules_are_short_or_say_why():
    long = {}
    for name, path in labkit_modules().items():
        lines = len(path.read_text().splitlines())
        doc = ast.get_docstring(ast.parse(path.read_text())) or ""
        if lines > MAX_LINES and "on purpose" not in doc and "/data/" not in str(path):
            long[name] = lines
    assert long == {}, f"modules over {MAX_LINES} lines whose docstring does not say why (on purpose): {long}"


def top_level_imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """The labkit modules `path` imports when it is imported (not inside functions or TYPE_CHECKING)."""
    found: set[str] = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        found |= {n for n in names if n in modules}
    return found


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def test_find_cycle_finds_one():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_no_import_cycle_inside_labkit():
    modules = labkit_modules()
    # A package importing its own submodules to re-export them is no cycle of ideas; leave those edges out.
    graph = {name: {m for m in top_level_imports(path, modules) if not m.startswith(name + ".")}
             for name, path in modules.items()}
    assert find_cycle(graph) is None, f"import cycle: {' -> '.join(find_cycle(graph) or [])}"


def test_notebooks_are_committed_without_outputs():
    with_outputs = []
    for folder in ("notebooks", "solutions", "labs"):
        for path in sorted((ROOT / folder).glob("*.ipynb")):
            cells = json.loads(path.read_text())["cells"]
            if any(c.get("outputs") or c.get("execution_count") for c in cells if c["cell_type"] == "code"):
                with_outputs.append(str(path.relative_to(ROOT)))
    assert with_outputs == [], f"strip the outputs (make check) of: {with_outputs}"


def code_spans(text: str) -> list[str]:
    """Inline `code` and the lines of fenced code blocks."""
    blocks = re.findall(r"```[^\n]*\n(.*?)```", text, flags=re.S)
    inline = re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", text, flags=re.S))
    return [line for block in blocks for line in block.splitlines()] + inline


def make_targets() -> set[str]:
    return set(re.findall(r"^([A-Za-z][\w-]*):", (ROOT / "Makefile").read_text(), flags=re.M))


def labkit_commands() -> set[str]:
    import argparse

    from labkit.cli import build_parser

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return set(sub.choices)


def test_every_command_the_docs_mention_exists():
    targets, commands, missing = make_targets(), labkit_commands(), []
    assert {"lab", "test", "test-fast", "check"} <= targets and {"compare", "grade", "serve"} <= commands
    for doc in DOCS:
        for span in code_spans(doc.read_text()):
            for target in re.findall(r"(?:^|[\s;&(])make ([a-z][\w-]*)", span):
                if target not in targets:
                    missing.append(f"{doc.name}: make {target}")
            for command in re.findall(r"(?:^|[\s;&(]|bin/)labkit ([a-z][\w-]*)", span):
                if command not in commands:
                    missing.append(f"{doc.name}: labkit {command}")
            if "is missing" in span:  # a quoted error message about a file that is not there
                continue
            for path in re.findall(r"(?<![\w./-])((?:tests|bench|tools|docs)/[\w./*<>-]*[\w*])", span):
                placeholder = "*" in path or "<" in path or "NN" in path
                if not placeholder and not (ROOT / path).exists():
                    missing.append(f"{doc.name}: {path}")
    assert missing == [], f"the docs mention what does not exist: {missing}"


def test_the_readme_quotes_the_committed_recorded_run():
    """The README's recorded-run figures are generated (tools/record_headlines.py), never typed: its block is
    exactly what the script makes from bench/compare_all.json, so the two cannot drift apart."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("record_headlines", ROOT / "tools" / "record_headlines.py")
    assert spec and spec.loader
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    readme = (ROOT / "README.md").read_text()
    expected = tool.block(json.loads(tool.RECORD.read_text()))
    assert expected in readme, "the README's recorded-run block is stale: make record (or tools/record_headlines.py)"
    assert "[" in expected and "inconclusive" in expected  # intervals and verdicts, not bare numbers
