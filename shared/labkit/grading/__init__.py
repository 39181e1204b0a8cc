"""Grading: labs generated from solutions, notebook execution with timeouts, grader tests, reports.

One module per step (docs/instructor_guide.md tells the whole story):
- exercises: exercise ids, titles and points from a SOLUTION notebook's cell metadata;
- strip, build: `labkit labs build|check`, labs/NN.ipynb from solutions/NN.ipynb;
- submissions: which notebooks `labkit grade PATH...` grades, whose, and for which lab;
- execute: run a notebook to the end in a fresh kernel (per-cell limit, interrupt or restart, no network);
- namespace, fixture: the `submission` object grader tests receive (tests/graders/conftest.py);
- graders, plugin: run tests/graders/test_<lab>.py in a fresh Python and collect each test's outcome;
- grade: score exercises, grade many submissions in parallel; report: table, JSON, CSV, JUnit.
The command line is labkit.commands.grading.
"""
