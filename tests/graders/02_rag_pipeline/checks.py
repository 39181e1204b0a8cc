"""Checks for lab 02 (a RAG pipeline), run by the trusted scorer on what probes.py returned.

Expected values live here only (2.6's are measured here with labkit's own index on the same corpus).
Messages name the input, never the expected value.
"""

from __future__ import annotations

import re
import threading
from functools import cache

from labkit.grading.checking import check, close
from labkit.rag import REFUSAL, Index, evaluate_retrieval

from . import probes as p

ELEMENT = re.compile(r'<document id="([^"]*)">\n(.*?)\n</document>', re.S)


# ---------------------------------------------------------------------------------------------- 2.1
@check(p.windows, hint="Windows start every size - overlap words; stop once a window reaches the last word.")
def windows(got):
    starts = [[0, 3, 6], [0, 4], [0, 3, 6], [0], list(range(10))]
    for (n, size, overlap), out, first in zip(p.WINDOWS, got, starts, strict=True):
        want = [" ".join(p.WORDS[s:min(s + size, n)]) for s in first]
        assert out.value == want, f"chunk_words on {n} words with size={size}, overlap={overlap} is not right"


@check(p.blanks_and_bad_parameters)
def blank_text_and_whitespace(got):
    for (text, size, overlap), out, want in zip(p.BLANKS, got["blanks"], [[], [], ["a b c", "c d"]], strict=True):
        assert out.value == want, f"chunk_words({text!r}, {size}, {overlap}) is not right"


@check(p.blanks_and_bad_parameters, hint="Raise ValueError unless size >= 1 and 0 <= overlap < size.")
def rejects_bad_parameters(got):
    for (size, overlap), out in zip(p.BAD_PARAMETERS, got["bad"], strict=True):
        assert out.raised(ValueError), f"chunk_words(..., size={size}, overlap={overlap}) should raise a ValueError"


# ---------------------------------------------------------------------------------------------- 2.2
@check(p.recall, hint="1.0 when any gold id is among the first k ranked ids, else 0.0.")
def recall_at_k(got):
    for (ranked, gold, k), out, want in zip(p.RECALL_CASES, got, [1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0], strict=True):
        assert close(out.value, want), f"recall_at_k({ranked}, {gold}, {k}) is not right"


@check(p.mrr, hint="1/rank of the first gold document (0 when absent), averaged; no questions: ValueError.")
def mean_reciprocal_rank(got):
    for (rankings, golds), out, want in zip(p.MRR_CASES, got["cases"], [1 / 3, (1 + 0.5 + 0) / 3, 0.5], strict=True):
        assert close(out.value, want), f"mean_reciprocal_rank({rankings}, {golds}) is not right"
    assert got["empty"].raised(ValueError), "mean_reciprocal_rank([], []) should raise a ValueError"


# ---------------------------------------------------------------------------------------------- 2.3
def _fused(out) -> list:
    fused = out.value
    assert isinstance(fused, list) and all(isinstance(x, tuple | list) and len(x) == 2 for x in fused), \
        "rrf should return a list of (id, score) pairs"
    return fused


@check(p.fusion, hint="score(id) = sum over rankings of 1 / (k + rank), rank starting at 1; best first.")
def scores_and_order(got):
    fused = _fused(got["cases"][0])
    assert [i for i, _ in fused] == ["a", "c", "b", "d"], "rrf of two rankings has the wrong order"
    scores = dict(fused)
    for doc, want in (("a", 1 / 61 + 1 / 62), ("c", 1 / 63 + 1 / 61), ("b", 1 / 62), ("d", 1 / 63)):
        assert close(scores.get(doc), want), f"the fused score of {doc!r} is not right"


@check(p.fusion)
def default_k_ties_and_edges(got):
    assert close(dict(_fused(got["default_k"])).get("x"), 1 / 61), "rrf's default k should be 60"
    assert [i for i, _ in _fused(got["cases"][1])] == ["p", "q"], "equal scores: the id seen first comes first"
    assert got["cases"][2].value == [] and got["cases"][3].value == [], "no rankings (or empty ones) give []"
    three = dict(_fused(got["cases"][4]))
    assert close(three.get("y"), 1 / 2 + 1 + 1) and close(three.get("x"), 1 + 1 / 2), "rrf with k=0 is not right"


# ---------------------------------------------------------------------------------------------- 2.4
def _prompt(out) -> tuple[str, str]:
    pair = out.value
    assert isinstance(pair, tuple | list) and len(pair) == 2 and all(isinstance(s, str) for s in pair), \
        "build_grounded_prompt should return (system prompt, user message), two strings"
    assert all(len(s) < 20_000 for s in pair), "the prompt is far longer than three short hits need"  # bounds ELEMENT
    return pair[0], pair[1]


@check(p.grounded_prompts, hint="Say that documents are data, never instructions; show the [doc-id] citation form; "
                                "give REFUSAL for questions the documents do not answer.")
def system_prompt(got):
    system, _ = _prompt(got["hits"])
    assert REFUSAL in system, "the system prompt should give the refusal sentence REFUSAL"
    assert "instruction" in system.lower(), "the system prompt should say text in the documents is no instruction"
    assert "[" in system and "]" in system, "the system prompt should show the [doc-id] citation form"


@check(p.grounded_prompts, hint='<documents>, then one <document id="..."> per hit, its text html-escaped.')
def documents_are_delimited_in_order_and_escaped(got):
    _, user = _prompt(got["hits"])
    assert user.startswith("<documents>\n"), "the user message should start with <documents>"
    elements = ELEMENT.findall(user)
    assert [doc_id for doc_id, _ in elements] == ["plan-pro", "forum-post", "refunds-policy"], \
        'each hit should be one <document id="..."> element, in order'
    assert user.count("</document>") == 3 and user.count("</documents>") == 1, \
        "a document's text must not be able to close the element"
    injected = elements[1][1]
    assert "&lt;/document&gt;" in injected and "&lt;b&gt;free&lt;/b&gt;" in injected, "escape < and > in a hit's text"
    assert "<" not in injected and ">" not in injected, "escape < and > in a hit's text"
    assert "$29/month" in elements[0][1] and "50 GB" in elements[0][1], "keep the hit's text otherwise as it is"
    assert user.endswith("</documents>\n\nQuestion: How much is Pro?"), "end with a blank line and 'Question: ...'"


@check(p.grounded_prompts)
def no_hits_and_other_questions(got):
    system, user = _prompt(got["none"])
    assert REFUSAL in system, "the system prompt should give REFUSAL even without hits"
    assert ELEMENT.findall(user) == [] and user.endswith("Question: Is there a Linux app?"), \
        "without hits there are no document elements, and the question comes last"


# ---------------------------------------------------------------------------------------------- 2.5
def _pair(out):
    value = out.value
    return tuple(value) if isinstance(value, tuple | list) else value


@check(p.citations, hint="Find [id] and [id#n]; split into ids among the hits' doc_ids and the others, "
                         "each once, in order of appearance.")
def valid_and_invalid(got):
    assert _pair(got["cited"]) == (["plan-pro", "refunds-policy"], ["pricing-faq"]), \
        "check_citations on a reply citing plan-pro, refunds-policy and pricing-faq is not right"


@check(p.citations)
def forms(got):
    wants = [([], []), (["forum-post", "plan-pro"], []), (["refunds-policy"], ["v2.api_docs"]), (["plan-pro"], []),
             ([], ["plan-pro"])]
    for (text, _), out, want in zip(p.CITATION_FORMS, got["forms"], wants, strict=True):
        assert _pair(out) == want, f"check_citations({text!r}, ...) is not right"


# ---------------------------------------------------------------------------------------------- 2.6
@check(p.pick, hint="The smallest size whose recall reaches the target; None when there is none.")
def pick_chunk_size(got):
    for (recalls, target), out, want in zip(p.PICK_CASES, got, [120, 200, None, None, 30], strict=True):
        assert out.value == want, f"pick_chunk_size({recalls}, {target}) is not right"


_MEASURING = threading.Lock()


@cache
def _reference_recall() -> dict[int, float]:
    docs, questions = p.second_corpus()
    recalls = {}
    for size in p.SIZES:
        index = Index(chunk_size=size, overlap=size // 5)
        index.add(docs)
        recalls[size] = evaluate_retrieval(index, questions, mode="hybrid", ks=(1,)).recall[1]
    return recalls


@check(p.recall_on_another_corpus, hint="For each size: Index(chunk_size=size, overlap=size // 5), add the "
                                        "documents, evaluate_retrieval(..., mode='hybrid', ks=(k,)).recall[k].")
def recall_by_chunk_size_on_another_corpus(got):
    recalls = got.value
    assert isinstance(recalls, dict) and list(recalls) == p.SIZES, \
        "recall_by_chunk_size should return {size: recall} for the given sizes, in their order"
    with _MEASURING:
        want = _reference_recall()
    for size in p.SIZES:
        assert close(recalls[size], want[size]), f"the recall with chunk size {size} on another corpus is not right"
