"""Checks for the evaluation set (shared/labkit/data/eval/{dev,test}.jsonl).

Stdlib only. The key facts of every answerable question must appear literally (after lower-casing and
collapsing whitespace) in its gold knowledge-base documents; freshness-sensitive questions must also
have their updated facts in the newer version of the docs (kb_updates/, else kb/).
"""
import json
import re
import sys
from collections import Counter
from pathlib import Path

import pytest

DATA = Path(__file__).parents[1] / "shared/labkit/data"
EVAL = DATA / "eval"
KB = DATA / "kb"
KB_UPDATES = DATA / "kb_updates"
SPLITS = ("dev", "test")

CATEGORY_MINIMUMS = {
    "factual": 1,
    "multi-document": 10,
    "numeric": 10,
    "procedure": 10,
    "policy-edge-case": 10,
    "unanswerable": 18,
    "freshness-sensitive": 12,
    "adversarial": 8,
}
DIFFICULTIES = {"easy", "medium", "hard"}
REQUIRED = {
    "id": str, "question": str, "answer": str, "key_facts": list, "sources": list,
    "category": str, "difficulty": str, "answerable": bool,
}
FRESHNESS_FIELDS = {"updated_answer": str, "updated_key_facts": list}
MIN_TOTAL = 120


def normalize(text: str) -> str:
    return re.sub(r"\s+", " ", text.lower()).strip()


def load_split(name: str) -> list[dict]:
    path = EVAL / f"{name}.jsonl"
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        assert line.strip(), f"{path.name}:{n}: blank line"
        rows.append(json.loads(line))
    return rows


def doc_text(doc_id: str, updated: bool = False) -> str:
    """Normalized text of kb/<id>.md (or kb_updates/<id>.md if updated and present); "" if missing."""
    path = KB_UPDATES / f"{doc_id}.md"
    if not (updated and path.is_file()):
        path = KB / f"{doc_id}.md"
    return normalize(path.read_text(encoding="utf-8")) if path.is_file() else ""


def missing_facts(facts: list[str], sources: list[str], updated: bool = False) -> list[str]:
    """Facts not found in any of the given source docs."""
    texts = [doc_text(s, updated) for s in sources]
    return [f for f in facts if not any(normalize(f) in t for t in texts)]


@pytest.fixture(scope="module")
def splits() -> dict[str, list[dict]]:
    return {name: load_split(name) for name in SPLITS}


@pytest.fixture(scope="module")
def rows(splits) -> list[dict]:
    return [r for name in SPLITS for r in splits[name]]


def test_schema_and_types(rows):
    problems = []
    for r in rows:
        rid = r.get("id", "?")
        for key, typ in REQUIRED.items():
            if not isinstance(r.get(key), typ):
                problems.append(f"{rid}: {key} missing or not {typ.__name__}")
        extra = set(r) - set(REQUIRED) - set(FRESHNESS_FIELDS)
        if extra:
            problems.append(f"{rid}: unknown fields {sorted(extra)}")
        if not re.fullmatch(r"q\d{3,}", str(rid)):
            problems.append(f"{rid}: id must look like q001")
        if r.get("category") not in CATEGORY_MINIMUMS:
            problems.append(f"{rid}: bad category {r.get('category')!r}")
        if r.get("difficulty") not in DIFFICULTIES:
            problems.append(f"{rid}: bad difficulty {r.get('difficulty')!r}")
        for key in ("question", "answer"):
            if isinstance(r.get(key), str) and not r[key].strip():
                problems.append(f"{rid}: empty {key}")
        for key in ("key_facts", "sources"):
            if isinstance(r.get(key), list) and not all(isinstance(x, str) and x.strip() for x in r[key]):
                problems.append(f"{rid}: {key} must hold non-empty strings")
            if isinstance(r.get(key), list) and len(set(r[key])) != len(r[key]):
                problems.append(f"{rid}: duplicate entries in {key}")
    assert not problems, "\n".join(problems)


def test_total_and_split_sizes(splits):
    n_dev, n_test = len(splits["dev"]), len(splits["test"])
    total = n_dev + n_test
    assert total >= MIN_TOTAL, f"only {total} questions"
    assert 0.30 <= n_dev / total <= 0.50, f"dev share {n_dev / total:.2f} is not about 40%"


def test_ids_unique_across_splits(rows):
    dup = [i for i, c in Counter(r["id"] for r in rows).items() if c > 1]
    assert not dup, f"duplicate ids: {dup}"


def test_no_duplicate_question_text(rows):
    dup = [q for q, c in Counter(normalize(r["question"]) for r in rows).items() if c > 1]
    assert not dup, f"duplicate questions: {dup}"


def test_category_minimums(rows):
    counts = Counter(r["category"] for r in rows)
    short = {c: (counts[c], m) for c, m in CATEGORY_MINIMUMS.items() if counts[c] < m}
    assert not short, f"categories below minimum (have, need): {short}"


def test_every_category_in_both_splits(splits):
    for name in SPLITS:
        missing = set(CATEGORY_MINIMUMS) - {r["category"] for r in splits[name]}
        assert not missing, f"{name} lacks categories {sorted(missing)}"


def test_sources_exist_in_kb(rows):
    bad = [(r["id"], s) for r in rows for s in r["sources"] if not (KB / f"{s}.md").is_file()]
    assert not bad, f"sources without kb/<id>.md: {bad}"


def test_answerable_iff_sources(rows):
    bad = []
    for r in rows:
        if r["answerable"] != bool(r["sources"]):
            bad.append(f"{r['id']}: answerable={r['answerable']} but {len(r['sources'])} sources")
        if r["answerable"] != (r["category"] != "unanswerable"):
            bad.append(f"{r['id']}: answerable={r['answerable']} in category {r['category']}")
        if r["answerable"] and not 1 <= len(r["key_facts"]) <= 4:
            bad.append(f"{r['id']}: needs 1-4 key facts")
        if not r["answerable"] and r["key_facts"]:
            bad.append(f"{r['id']}: unanswerable question with key facts")
        if r["category"] == "multi-document" and len(r["sources"]) < 2:
            bad.append(f"{r['id']}: multi-document question with fewer than 2 sources")
    assert not bad, "\n".join(bad)


def test_key_facts_in_gold_sources(rows):
    problems = []
    for r in rows:
        if not r["answerable"]:
            continue
        for fact in missing_facts(r["key_facts"], r["sources"]):
            problems.append(f"{r['id']}: {fact!r} not in {r['sources']}")
        # every gold source must contribute at least one key fact
        for s in r["sources"]:
            if not any(normalize(f) in doc_text(s) for f in r["key_facts"]):
                problems.append(f"{r['id']}: source {s} holds none of the key facts")
    assert not problems, "\n".join(problems)


def test_freshness_fields(rows):
    problems = []
    for r in rows:
        is_fresh = r["category"] == "freshness-sensitive"
        has = [k for k in FRESHNESS_FIELDS if k in r]
        if not is_fresh:
            if has:
                problems.append(f"{r['id']}: {has} only belong to freshness-sensitive questions")
            continue
        bad_fields = [k for k, typ in FRESHNESS_FIELDS.items() if not isinstance(r.get(k), typ) or not r.get(k)]
        if bad_fields:
            problems.append(f"{r['id']}: {bad_fields} missing or empty")
            continue
        if not any((KB_UPDATES / f"{s}.md").is_file() for s in r["sources"]):
            problems.append(f"{r['id']}: no source has a kb_updates version")
        if {normalize(f) for f in r["updated_key_facts"]} <= {normalize(f) for f in r["key_facts"]}:
            problems.append(f"{r['id']}: updated_key_facts do not differ from key_facts")
        for fact in missing_facts(r["updated_key_facts"], r["sources"], updated=True):
            problems.append(f"{r['id']}: updated fact {fact!r} not in updated {r['sources']}")
    assert not problems, "\n".join(problems)


def test_checker_catches_missing_fact(tmp_path, monkeypatch):
    """The fact check itself must be able to fail."""
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "doc.md").write_text("Pro costs $29 per\n  month and has 50 GB.", encoding="utf-8")
    monkeypatch.setattr(sys.modules[__name__], "KB", kb)
    assert missing_facts(["$29 PER MONTH", "50 gb"], ["doc"]) == []
    assert missing_facts(["$35"], ["doc"]) == ["$35"]


def test_gold_answers_contain_their_key_facts(rows):
    """A gold answer must pass its own key-fact check (and likewise for the updated answer)."""
    problems = []
    for r in rows:
        pairs = [("answer", "key_facts"), ("updated_answer", "updated_key_facts")]
        for ans_key, facts_key in pairs:
            if ans_key not in r:
                continue
            answer = normalize(r[ans_key])
            problems += [f"{r['id']}: {ans_key} lacks {f!r}" for f in r[facts_key] if normalize(f) not in answer]
    assert not problems, "\n".join(problems)
