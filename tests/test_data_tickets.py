"""Checks for the support-ticket data of module 3 (fine-tuning).

* tickets.jsonl             clean chat examples: schema, system prompt, reply format, citations, no duplicates
* tickets_raw.jsonl         the data-cleaning exercise: every defect type is re-detected here from the text
                            alone, with detectors written independently of build_tickets.py, and must match
                            tickets_raw.defects.json line for line and the counts in cards/tickets_raw.md
* build_tickets.py          rerunning it (into a temp dir) reproduces all three files byte for byte

Stdlib only.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from labkit.data import load_docs

DATA = Path(__file__).parents[1] / "shared/labkit/data"
TICKETS = DATA / "tickets"
CLEAN = TICKETS / "tickets.jsonl"
RAW = TICKETS / "tickets_raw.jsonl"
MANIFEST = TICKETS / "tickets_raw.defects.json"
GENERATOR = Path(__file__).parents[1] / "tools" / "build_tickets.py"
KB = DATA / "kb"
CARD_CLEAN = DATA / "cards" / "tickets.md"
CARD_RAW = DATA / "cards" / "tickets_raw.md"

SYSTEM = (
    "You are a technical support specialist for AcmeCorp.\n"
    "Format responses as:\n"
    "1. Diagnosis (one sentence)\n"
    "2. Solution (step-by-step)\n"
    "3. Prevention (one tip)\n"
    "Always cite the documentation section you referenced."
)
ROLES = ("system", "user", "assistant")

# The knowledge base's document ids (35), read from the documents themselves.
DOC_IDS = {doc.id for doc in load_docs()}

EXPECTED_COUNTS = {
    "exact_duplicate": 12,
    "near_duplicate": 10,
    "pii_email": 8,
    "pii_phone": 6,
    "pii_card": 5,
    "malformed_json": 6,
    "wrong_role": 5,
    "missing_role": 4,
    "empty_content": 5,
    "overlong": 3,
    "wrong_format": 10,
}

MAX_REPLY_WORDS = 130       # the brief says "under ~120"; the generator enforces 120
OVERLONG_WORDS = 4000

# ------------------------------------------------------------------------------------------ helpers
DIAG_RE = re.compile(r"1\. Diagnosis: (\S[^\n]*\.)")
STEP_RE = re.compile(r"   (\d)\) (\S[^\n]*)")
PREV_RE = re.compile(r"3\. Prevention: (\S[^\n]*\.)")
SOURCE_RE = re.compile(r"Source: \[([a-z0-9-]+)\] (\S[^\n]*)")


def parse_reply(text: str):
    """Return (doc_id, heading, n_steps, diagnosis, prevention) if `text` has the required shape, else None.

    Shape: "1. Diagnosis: ...", "2. Solution:", 2-5 lines "   k) ..." numbered 1..k,
    "3. Prevention: ...", "Source: [doc-id] Heading" -- nothing before, between or after.
    """
    lines = text.split("\n")
    if len(lines) < 6 or lines[1] != "2. Solution:":
        return None
    diag = DIAG_RE.fullmatch(lines[0])
    prev = PREV_RE.fullmatch(lines[-2])
    src = SOURCE_RE.fullmatch(lines[-1])
    steps = [STEP_RE.fullmatch(line) for line in lines[2:-2]]
    if not (diag and prev and src and steps and all(steps)):
        return None
    numbers = [int(m.group(1)) for m in steps]
    if not 2 <= len(numbers) <= 5 or numbers != list(range(1, len(numbers) + 1)):
        return None
    return src.group(1), src.group(2), len(numbers), diag.group(1), prev.group(1)


def normalize(text: str) -> tuple[str, ...]:
    """Lower-case, strip punctuation, collapse whitespace."""
    return tuple(re.sub(r"[^\w\s]", "", text.lower()).split())


def is_near(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Same normalised text, or same length with a single word changed."""
    if a == b:
        return True
    return len(a) == len(b) and sum(1 for x, y in zip(a, b) if x != y) == 1


EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]*\w")
PHONE = re.compile(
    r"(?<![\w])(?<![0-9][ .-])"          # not glued to a word or to a previous digit group
    r"(?:\+[0-9]{1,3}[ .-]?)?"            # optional country code
    r"(?:\([0-9]{2,5}\)|[0-9]{2,4})"      # area code, maybe in brackets
    r"[ .-][0-9]{3,4}[ .-][0-9]{4}"
    r"(?![ .-]?[0-9])")
DIGIT_RUN = re.compile(r"[0-9][0-9 -]{13,24}[0-9]")


def luhn(number: str) -> bool:
    digits = [int(c) for c in number][::-1]
    total = sum(digits[0::2]) + sum(sum(divmod(2 * d, 10)) for d in digits[1::2])
    return total % 10 == 0


def has_card_number(text: str) -> bool:
    for run in DIGIT_RUN.findall(text):
        digits = run.replace(" ", "").replace("-", "")
        if len(digits) == 16 and luhn(digits):
            return True
    return False


def read_lines(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    assert text.endswith("\n"), f"{path.name} must end with a newline"
    return text[:-1].split("\n")


def try_parse(line: str):
    try:
        return json.loads(line)
    except json.JSONDecodeError:
        return None


CLEAN_LINES = read_lines(CLEAN)
CLEAN_OBJS = [json.loads(line) for line in CLEAN_LINES]
RAW_LINES = read_lines(RAW)
MAN = json.loads(MANIFEST.read_text(encoding="utf-8"))


# ------------------------------------------------------------------------------------- clean file
def test_clean_size():
    assert len(CLEAN_LINES) >= 300, len(CLEAN_LINES)


def test_clean_schema_and_system_prompt():
    for n, obj in enumerate(CLEAN_OBJS, 1):
        assert list(obj) == ["messages"], n
        msgs = obj["messages"]
        assert len(msgs) == 3, n
        for m in msgs:
            assert set(m) == {"role", "content"}, n
            assert isinstance(m["content"], str) and m["content"].strip(), n
        assert tuple(m["role"] for m in msgs) == ROLES, n
        assert msgs[0]["content"] == SYSTEM, n


def test_clean_reply_format_and_citation():
    for n, obj in enumerate(CLEAN_OBJS, 1):
        reply = obj["messages"][2]["content"]
        parsed = parse_reply(reply)
        assert parsed, f"line {n}: reply not in Diagnosis/Solution/Prevention/Source format:\n{reply}"
        doc, _heading, _, diag, prev = parsed
        assert doc in DOC_IDS, f"line {n}: unknown doc id {doc!r}"
        assert len(reply.split()) <= MAX_REPLY_WORDS, f"line {n}: reply has {len(reply.split())} words"
        for sentence in (diag, prev):   # one sentence each
            assert not re.search(r"[.!?] +[A-Z]", sentence), f"line {n}: more than one sentence: {sentence!r}"


@pytest.mark.skipif(not KB.is_dir(), reason="knowledge base not present")
def test_clean_cited_headings_exist_in_kb():
    missing = set()
    for obj in CLEAN_OBJS:
        doc, heading, *_ = parse_reply(obj["messages"][2]["content"])
        path = KB / f"{doc}.md"
        headings = {line[3:].strip() for line in path.read_text(encoding="utf-8").splitlines()
                    if line.startswith("## ")}
        if heading not in headings:
            missing.add((doc, heading))
    assert not missing, sorted(missing)


def test_clean_covers_many_topics():
    sources = Counter(parse_reply(o["messages"][2]["content"])[:2] for o in CLEAN_OBJS)
    docs = {doc for doc, _ in sources}
    assert len(docs) >= 25, sorted(docs)
    assert len(sources) >= 40, len(sources)
    assert max(sources.values()) <= len(CLEAN_OBJS) // 10, sources.most_common(3)


def test_clean_no_duplicate_or_near_duplicate_tickets():
    seen: dict[int, list[tuple[int, tuple[str, ...]]]] = {}
    for n, obj in enumerate(CLEAN_OBJS, 1):
        toks = normalize(obj["messages"][1]["content"])
        for m, other in seen.get(len(toks), []):
            assert not is_near(toks, other), f"lines {m} and {n} are (near) duplicates"
        seen.setdefault(len(toks), []).append((n, toks))
    assert len(set(CLEAN_LINES)) == len(CLEAN_LINES)


def test_clean_has_no_pii_and_no_overlong_examples():
    for n, obj in enumerate(CLEAN_OBJS, 1):
        user = obj["messages"][1]["content"]
        assert not EMAIL.search(user), n
        assert not PHONE.search(user), n
        assert not has_card_number(user), n
        assert sum(len(m["content"].split()) for m in obj["messages"]) < 1000, n


def test_clean_card_matches_file():
    card = CARD_CLEAN.read_text(encoding="utf-8")
    m = re.search(r"^\| *Examples *\| *(\d+) *\|", card, re.MULTILINE)
    assert m and int(m.group(1)) == len(CLEAN_LINES)
    assert "CC BY 4.0" in card and "build_tickets.py" in card and "20261124" in card


# --------------------------------------------------------------------------------------- raw file
def detect_all(lines: list[str]) -> dict[str, dict[int, int | None]]:
    """Independent detectors: {defect: {line_number: of_line_or_None}}."""
    found: dict[str, dict[int, int | None]] = {k: {} for k in EXPECTED_COUNTS}
    first_seen: dict[str, int] = {}
    earlier_users: list[tuple[int, tuple[str, ...]]] = []
    for n, line in enumerate(lines, 1):
        exact_of = first_seen.get(line)
        if exact_of is None:
            first_seen[line] = n
        else:
            found["exact_duplicate"][n] = exact_of

        obj = try_parse(line)
        if obj is None:
            found["malformed_json"][n] = None
            continue
        msgs = obj["messages"]
        if any("role" not in m for m in msgs):
            found["missing_role"][n] = None
        elif tuple(m["role"] for m in msgs) != ROLES:
            found["wrong_role"][n] = None
        if any(isinstance(m.get("content"), str) and m["content"].strip() == "" for m in msgs):
            found["empty_content"][n] = None
        if sum(len(m.get("content", "").split()) for m in msgs) > OVERLONG_WORDS:
            found["overlong"][n] = None

        user, reply = msgs[1].get("content", ""), msgs[2].get("content", "")
        if EMAIL.search(user):
            found["pii_email"][n] = None
        if PHONE.search(user):
            found["pii_phone"][n] = None
        if has_card_number(user):
            found["pii_card"][n] = None
        if reply.strip() and parse_reply(reply) is None:
            found["wrong_format"][n] = None

        toks = normalize(user)
        if toks and exact_of is None:
            near_of = next((m for m, other in earlier_users if is_near(toks, other)), None)
            if near_of is not None:
                found["near_duplicate"][n] = near_of
        if toks:
            earlier_users.append((n, toks))
    return found


DETECTED = detect_all(RAW_LINES)


def manifest_lines(defect: str) -> dict[int, int | None]:
    return {e["line"]: e.get("of") for e in MAN["lines"] if e["defect"] == defect}


def card_counts() -> dict[str, int]:
    card = CARD_RAW.read_text(encoding="utf-8")
    return {name: int(num) for name, num in re.findall(r"^\| *`([a-z_]+)` *\| *(\d+) *\|", card, re.MULTILINE)}


def test_manifest_counts_match_expected_and_card():
    assert set(MAN) == {"counts", "lines"}
    assert MAN["counts"] == EXPECTED_COUNTS
    assert Counter(e["defect"] for e in MAN["lines"]) == Counter(EXPECTED_COUNTS)
    assert card_counts() == EXPECTED_COUNTS
    m = re.search(r"^\| *Lines *\| *(\d+) *\|", CARD_RAW.read_text(encoding="utf-8"), re.MULTILINE)
    assert m and int(m.group(1)) == len(RAW_LINES)


def test_manifest_lines_are_valid_and_one_defect_each():
    numbers = [e["line"] for e in MAN["lines"]]
    assert numbers == sorted(numbers)
    assert len(numbers) == len(set(numbers)), "a line carries more than one defect"
    assert all(1 <= n <= len(RAW_LINES) for n in numbers)
    for e in MAN["lines"]:
        assert ("of" in e) == (e["defect"] in ("exact_duplicate", "near_duplicate")), e
        if "of" in e:
            assert e["of"] < e["line"] and e["of"] not in numbers, e   # the earlier line is the clean one


@pytest.mark.parametrize("defect", list(EXPECTED_COUNTS))
def test_raw_detector_matches_manifest(defect):
    detected, listed = DETECTED[defect], manifest_lines(defect)
    assert sorted(detected) == sorted(listed), (
        f"{defect}: only detected {sorted(set(detected) - set(listed))}, "
        f"only in manifest {sorted(set(listed) - set(detected))}")
    if defect in ("exact_duplicate", "near_duplicate"):
        assert detected == listed, f"{defect}: 'of' lines differ"


def test_raw_duplicates_point_at_their_originals():
    for line, of in manifest_lines("exact_duplicate").items():
        assert RAW_LINES[line - 1] == RAW_LINES[of - 1]
    for line, of in manifest_lines("near_duplicate").items():
        a, b = (json.loads(RAW_LINES[k - 1])["messages"][1]["content"] for k in (of, line))
        assert a != b and is_near(normalize(a), normalize(b))


def test_raw_clean_lines_come_from_clean_file():
    defective = {e["line"] for e in MAN["lines"]}
    clean = set(CLEAN_LINES)
    assert len(RAW_LINES) >= 250
    for n, line in enumerate(RAW_LINES, 1):
        if n not in defective:
            assert line in clean, f"raw line {n} is neither listed as defective nor a clean example"


def test_raw_defects_are_spread_out():
    numbers = sorted(e["line"] for e in MAN["lines"])
    quarter = len(RAW_LINES) / 4
    assert all(any(q * quarter < n <= (q + 1) * quarter for n in numbers) for q in range(4))
    for defect in EXPECTED_COUNTS:
        lines = sorted(manifest_lines(defect))
        assert lines[-1] - lines[0] > len(lines), f"{defect} lines are bunched together: {lines}"


def test_raw_card_numbers_are_luhn_valid_test_numbers():
    for line in manifest_lines("pii_card"):
        user = json.loads(RAW_LINES[line - 1])["messages"][1]["content"]
        assert has_card_number(user)


def test_detectors_can_fail():
    """The detectors flag a fresh defect of every kind (so the equality checks above are not vacuous)."""
    good = CLEAN_LINES[0]
    obj = json.loads(good)

    def variant(change):
        o = json.loads(good)
        for (i, key), value in change.items():
            if value is None:
                del o["messages"][i][key]
            else:
                o["messages"][i][key] = value
        return json.dumps(o)

    user = obj["messages"][1]["content"]
    cases = {
        "exact_duplicate": [good, good],
        "near_duplicate": [good, variant({(1, "content"): user.upper() + "  "})],
        "pii_email": [variant({(1, "content"): user + " Mail me: a.b@example.com"})],
        "pii_phone": [variant({(1, "content"): user + " Tel +1 415 555 0199"})],
        "pii_card": [variant({(1, "content"): user + " card 4111-1111-1111-1111"})],
        "malformed_json": [good[:-3]],
        "wrong_role": [variant({(2, "role"): "bot"})],
        "missing_role": [variant({(0, "role"): None})],
        "empty_content": [variant({(2, "content"): "  "})],
        "overlong": [variant({(1, "content"): "log " * 4100})],
        "wrong_format": [variant({(2, "content"): "Just reset it in settings, that should work."})],
    }
    for defect, lines in cases.items():
        found = detect_all(lines)
        assert len(lines) in found[defect], defect
        others = [k for k, v in found.items() if k != defect and v]
        assert not others, (defect, others)


# -------------------------------------------------------------------------------------- generator
def test_generator_reproduces_files(tmp_path):
    subprocess.run([sys.executable, str(GENERATOR), "--out", str(tmp_path)],
                   check=True, capture_output=True, text=True, timeout=600)
    for path in (CLEAN, RAW, MANIFEST):
        assert (tmp_path / path.name).read_bytes() == path.read_bytes(), f"{path.name} differs"
