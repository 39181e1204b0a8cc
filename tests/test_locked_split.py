"""The test split stays locked: no lesson, solution or lab reads it (issue: a fair experiment).

Lessons and labs tune on dev (prompts, chunking, k); the test split is read only by the recorded run,
`make record` (`labkit compare --split test`), whose committed record lesson 04 reads. Lesson 00 counts the
splits with `labkit.data.split_sizes()`, which builds no question."""

from __future__ import annotations

import json
import re
from pathlib import Path

from labkit.data import SPLITS, split_sizes

ROOT = Path(__file__).resolve().parents[1]
# the support split (load_eval, --split) and the NL->SQL split's test pairs (split.test[0], ["test"], in ....test)
READS_LOCKED = re.compile(r"""load_eval\(\s*(split\s*=\s*)?["'](test|all)["']|--split["',\s]+(test|all)\b"""
                          r"""|\.test\s*\[|(split|\))\s*\[\s*["']test["']\s*\]|in\s+\w*\.test\b""")


def code_cells(path: Path) -> list[tuple[int, str]]:
    cells = json.loads(path.read_text())["cells"]
    return [(i, "".join(c["source"])) for i, c in enumerate(cells) if c["cell_type"] == "code"]


def test_no_notebook_reads_the_test_split():
    offenders = [f"{path.relative_to(ROOT)} cell {i}: {m.group(0)}"
                 for folder in ("notebooks", "solutions", "labs") for path in sorted((ROOT / folder).glob("*.ipynb"))
                 for i, text in code_cells(path) for m in [READS_LOCKED.search(text)] if m]
    assert offenders == [], "tune on dev; only `make record` reads the test split:\n" + "\n".join(offenders)


def test_the_check_sees_every_way_a_notebook_would_read_it():
    for reads in ('load_eval("test")', "load_eval( split='all')", 'data.load_eval("all")',
                  '!labkit compare --split test', '["labkit", "compare", "--split", "all"]',
                  "split.test[:5]", 'load_split()["test"]', "for pair in split.test:"):
        assert READS_LOCKED.search(reads), reads
    for fine in ('load_eval("dev")', 'load_eval()', 'load_record("compare_all")', 'record["split"] == "test"',
                 '--split dev', "len(split.test)", 'split["validation"]', "sizes['test']"):
        assert not READS_LOCKED.search(fine), fine


def test_split_sizes_count_both_splits():
    sizes = split_sizes()
    assert set(sizes) == set(SPLITS) and sizes["dev"] == 60 and sizes["test"] == 81
