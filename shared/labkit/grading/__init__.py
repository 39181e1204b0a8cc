"""Grading: labs generated from solutions, each submission run in an OS sandbox, scored outside it.

One module per step (docs/instructor_guide.md tells the whole story):
- exercises, notebooks: exercise ids, titles and points from a SOLUTION notebook; notebooks read as data;
- strip, build: `labkit labs build|check`, labs/NN.ipynb from solutions/NN.ipynb;
- submissions: which notebooks `labkit grade PATH...` grades, whose, for which lab; shards of a class;
- sandbox, cgroups: the bubblewrap sandbox around one submission, its limits, what comes back;
- driver, execute (inside the sandbox): execute the notebook in a fresh kernel, then run the probes;
- probing (authoring API, inside), checking (authoring API, trusted), plain (the data between them):
  a lab's grader is tests/graders/<lab>/probes.py and checks.py;
- stage, grade: copy a submission for its sandbox; sandbox, then score; many at once; redact: report text;
- report: table, JSON, CSV, JUnit, feedback per learner, merging shards.
The command line is labkit.commands.grading.
"""
