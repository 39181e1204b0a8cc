"""Checks for the AcmeCorp knowledge base (kb/) and its update set (kb_updates/).

Stdlib only: front matter is parsed by a tiny local parser (flat `key: value` lines).
"""
import datetime as dt
import re
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1] / "shared" / "labkit" / "data"
KB = DATA / "kb"
UPDATES = DATA / "kb_updates"

SECTIONS = {"plans", "billing", "account", "data", "security", "api",
            "integrations", "troubleshooting", "support", "changelog"}


def parse(path):
    """Return (front matter dict, body) for a markdown file with --- front matter."""
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    assert lines[0] == "---", f"{path.name}: no front matter"
    end = lines.index("---", 1)
    meta = {}
    for line in lines[1:end]:
        if not line.strip():
            continue
        key, sep, value = line.partition(":")
        assert sep, f"{path.name}: bad front-matter line {line!r}"
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        meta[key.strip()] = value
    return meta, "\n".join(lines[end + 1:])


def docs(folder):
    return {p.stem: parse(p) for p in sorted(folder.glob("*.md"))}


def date(s):
    return dt.date.fromisoformat(s)


CURRENT = docs(KB)
UPDATED = docs(UPDATES)
ALL_CURRENT = "\n".join(body for _, body in CURRENT.values())


def test_kb_size():
    assert len(CURRENT) >= 30
    total = sum(p.stat().st_size for p in KB.glob("*.md"))
    assert total >= 40_000, total


@pytest.mark.parametrize("folder", [KB, UPDATES], ids=["kb", "kb_updates"])
def test_front_matter_and_headings(folder):
    ids = []
    for stem, (meta, body) in docs(folder).items():
        assert meta.get("id") == stem, stem
        assert meta.get("title", "").strip(), stem
        assert meta.get("section") in SECTIONS, (stem, meta.get("section"))
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", meta.get("updated", "")), stem
        date(meta["updated"])  # raises if not a real date
        assert re.search(r"^# \S", body, re.M), f"{stem}: no '# ' title"
        assert re.search(r"^## \S", body, re.M), f"{stem}: no '## ' heading"
        ids.append(meta["id"])
    assert len(ids) == len(set(ids))


def test_current_dates_in_range():
    for stem, (meta, _) in CURRENT.items():
        assert date("2025-09-01") <= date(meta["updated"]) <= date("2026-06-30"), stem


def test_updates_are_newer_versions():
    assert len(UPDATED) >= 5
    for stem, (meta, body) in UPDATED.items():
        assert stem in CURRENT, stem
        old_meta, old_body = CURRENT[stem]
        assert meta["section"] == old_meta["section"], stem
        assert date(meta["updated"]) > date(old_meta["updated"]), stem
        assert body != old_body, f"{stem}: update body identical to current"


@pytest.mark.parametrize("fact", [
    "$9/month", "$29/month", "$290/year", "5 GB", "50 GB", "From 1 TB",
    "600 requests per minute", "3,000 requests per minute",
    "Settings > Export > Download All", "14 days",
    "end of the current billing cycle", "Settings > Billing > Cancel subscription",
    "X-Acme-Signature", "Preferences > Advanced > Reset cache",
])
def test_current_facts_present(fact):
    assert fact in ALL_CURRENT


def test_current_facts_in_right_docs():
    assert "$29/month" in CURRENT["plan-pro"][1]
    assert "50 GB" in CURRENT["plan-pro"][1]
    assert "| Projects | 10 |" in CURRENT["plan-basic"][1]
    refunds = CURRENT["refunds-policy"][1]
    assert "## Refunds within 14 days" in refunds
    assert "## Refunds after 14 days" in refunds
    assert "valid for 7 days" in CURRENT["data-export"][1]
    assert "end of the current billing cycle" in CURRENT["downgrades"][1]
    # the current KB must not yet know the update-set facts
    assert "$35/month" not in ALL_CURRENT
    assert "Settings > Data > Export workspace" not in ALL_CURRENT


def test_changelog_current_newest_first():
    body = CURRENT["changelog"][1]
    dates = re.findall(r"^#+ (\d{4}-\d{2}-\d{2})", body, re.M)
    assert dates == sorted(dates, reverse=True)
    assert dates[0] == "2026-06-01" and dates[-1] == "2025-09-01"
    assert len(dates) == 6


@pytest.mark.parametrize("stem,fact", [
    ("plans-overview", "$35/month"), ("plans-overview", "100 GB"),
    ("plan-pro", "$35/month"), ("plan-pro", "$350/year"), ("plan-pro", "100 GB"),
    ("plan-basic", "| Projects | 15 |"),
    ("refunds-policy", "30 days"), ("refunds-policy", "## Refunds within 30 days"),
    ("api-rate-limits", "1,000 requests per minute"),
    ("api-rate-limits", "120 requests in 10 seconds"),
    ("data-export", "Settings > Data > Export workspace"),
    ("data-export", "valid for 14 days"),
    ("changelog", "2026-12-01"),
])
def test_update_facts_present(stem, fact):
    assert fact in UPDATED[stem][1]


def test_updates_drop_old_values():
    assert "$29/month" not in UPDATED["plans-overview"][1]
    assert "| Storage | 50 GB |" not in UPDATED["plan-pro"][1]
    assert "14 days" not in UPDATED["refunds-policy"][1]
    assert "600 requests per minute" not in UPDATED["api-rate-limits"][1]
    assert "valid for 7 days" not in UPDATED["data-export"][1]


def test_updated_changelog_has_new_entry_on_top():
    body = UPDATED["changelog"][1]
    dates = re.findall(r"^#+ (\d{4}-\d{2}-\d{2})", body, re.M)
    assert dates[0] == "2026-12-01"
    assert dates[1:] == re.findall(r"^#+ (\d{4}-\d{2}-\d{2})", CURRENT["changelog"][1], re.M)
