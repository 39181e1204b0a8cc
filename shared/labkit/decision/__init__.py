"""The seed article's claims tested against measured 95% intervals, and its decision flowchart as a function.

    from labkit.decision import Measured, verdicts, recommend
    measured = Measured(runs={"prompt-only": run1, "rag": run2}, items=questions)   # runs keyed by role
    for v in verdicts(measured):
        print(v.verdict, "|", v.measured)    # e.g. "inconclusive | rag - prompt-only accuracy +0.11 [-0.05, +0.27]"
    recommend(knowledge_tokens=11_000, changes_often=True, needs_format=False,
              latency_budget_ms=None, retrieval_ms=40)          # -> "rag"

Every claim is quoted from the article (its decision matrix, cost table and key takeaways) and paired with
the quantity that tests it. A verdict is computed, never written by hand:
- "agree" / "disagree": only when the 95% interval of the tested quantity lies wholly on one side of the
  claim's boundary (a range claim: wholly inside, or wholly outside, the claimed range);
- a disagreement says which way it fails: "disagree (better than claimed)" (retrieval takes 19 ms where
  the seed says 100-500 ms) or "disagree (worse than claimed)";
- "inconclusive": the interval straddles the boundary, so these questions cannot tell;
- "n/a": a strategy the test needs did not run, or did not really run (a base model standing in for a
  fine-tuned one because no adapter was trained).
Two strategies are compared on the same questions (paired differences, labkit.intervals.paired).

Runs are keyed by *role* (ROLES): "fine-tuned" is the adapter trained on knowledge-base Q&A (the seed's
"internalized knowledge"), "fine-tuned-format" the support-ticket format adapter ("fine-tune for format"),
"hybrid" the seed's hybrid pipeline. Latency and cost claims about "Fine-Tuning" use the knowledge
adapter's run, or the format adapter's when that is the only one (both read no documents).
One file per part: `verdicts.py` (what is measured, the two verdict rules, a verdict row), `claims.py`
(the seed's claims and their tests: a declarative table), `flowchart.py` (`recommend`). Lesson 04 and
`labkit compare` use this package.
"""

from labkit.decision.claims import SEED_CLAIMS, verdicts
from labkit.decision.flowchart import recommend
from labkit.decision.verdicts import (
    AGREE,
    BETTER,
    FINE_TUNED_ANY,
    INCONCLUSIVE,
    KINDS,
    NA,
    ROLE_OF_KIND,
    ROLES,
    VERDICTS,
    WORSE,
    Check,
    Claim,
    Measured,
    Outcome,
    Quantity,
    Verdict,
    counts,
    difference_verdict,
    from_strategies,
    not_real,
    range_verdict,
    role_of,
)

__all__ = [
    "AGREE", "BETTER", "FINE_TUNED_ANY", "INCONCLUSIVE", "KINDS", "NA", "ROLES", "ROLE_OF_KIND", "SEED_CLAIMS",
    "VERDICTS", "WORSE", "Check", "Claim", "Measured", "Outcome", "Quantity", "Verdict", "counts",
    "difference_verdict", "from_strategies", "not_real", "range_verdict", "recommend", "role_of", "verdicts",
]
